"""Render a context dict with a Jinja2 template from `templates/` (shipped as package data)."""

from __future__ import annotations

from importlib import resources

import jinja2

from pipeline.escape import md_code, md_inline, plain


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FunctionLoader(_load_builtin),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )
    env.filters["md"] = md_inline
    env.filters["code"] = md_code
    env.filters["plain"] = plain
    env.filters["hhmm"] = lambda iso: iso[11:16] if iso else ""
    env.filters["hhmmss"] = lambda iso: iso[11:19] if iso else ""
    env.filters["duration"] = human_duration
    env.filters["pct"] = lambda ratio: "n/a" if ratio is None else f"{100 * ratio:.1f} %"
    return env


def _load_builtin(name: str) -> str | None:
    resource = resources.files("templates").joinpath(name)
    return resource.read_text(encoding="utf-8") if resource.is_file() else None


def human_duration(seconds: int | None) -> str:
    """`2280` -> `38 min`, `5400` -> `1 h 30 min`, `42` -> `42 s`."""
    if seconds is None:
        return "unknown"
    if seconds < 60:
        return f"{seconds} s"
    hours, minutes = divmod(round(seconds / 60), 60)
    if not hours:
        return f"{minutes} min"
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


def render(context: dict, template: str = "postmortem.md.j2") -> str:
    return _environment().get_template(template).render(**context)
