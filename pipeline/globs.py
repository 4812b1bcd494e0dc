"""`GLOB=VALUE` options (`--format-for`, `--tz-for`, `--host-for`): parsing and matching files."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from pathlib import PurePosixPath

from pipeline.errors import PostmortemError

GlobRule = tuple[str, str]  # (glob, value)


def parse_glob_rules(values: Iterable[str], option: str, value_name: str) -> tuple[GlobRule, ...]:
    """`GLOB=VALUE` strings as (glob, value) pairs; a malformed one is a one-line usage error."""
    rules = []
    for value in values:
        pattern, sep, given = value.rpartition("=")
        if not sep or not pattern.strip() or not given.strip():
            raise PostmortemError(f"{option} wants GLOB={value_name}, got {value!r}")
        rules.append((pattern.strip(), given.strip()))
    return tuple(rules)


def matches_glob(name: str, pattern: str) -> bool:
    """Whether a file (a path or `bundle!member`) matches a user's glob, by path or base name."""
    member = name.rsplit("!", 1)[-1]
    candidates = {name, member, PurePosixPath(member).name}
    return any(
        fnmatch.fnmatchcase(candidate, pattern) or PurePosixPath(candidate).match(pattern)
        for candidate in candidates
    )
