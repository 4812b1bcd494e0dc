"""Jinja2 templates of the draft, shipped as package data and loaded with importlib.resources."""
