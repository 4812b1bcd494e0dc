"""Exceptions that the CLI turns into a one-line message and an exit code."""


class PostmortemError(Exception):
    """A problem the user can fix (bad path, bad option, unreadable input): never a traceback."""
