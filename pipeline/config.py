"""Team defaults from `postmortem.toml` or `[tool.postmortem]` in pyproject.toml.

A team drafts many postmortems with the same template, zone and redaction policy; typing them
every time invites the one run that forgets `--redact-ips`. The nearest config file wins, looked
for in the current directory and then upwards (as ruff and pytest do): `postmortem.toml` first,
then a `pyproject.toml` that has a `[tool.postmortem]` table (one without it is skipped).
Command-line flags override the file: `config.override(tz=flag_or_None, ...)`.

    # postmortem.toml
    template = "brief"
    tz = "Europe/Berlin"
    redact = true
    redact_ips = true
    [services]
    gunicorn = "checkout-api"

Keys may be written with `-` or `_`. An unknown key or a wrong type is an error naming the file,
so a typo cannot silently turn redaction off.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType

from pipeline.errors import PostmortemError

CONFIG_NAME = "postmortem.toml"
PYPROJECT = "pyproject.toml"


@dataclass(frozen=True)
class Config:
    """Defaults for a run; `source` is the file they came from (None: built-in defaults)."""

    template: str = "default"
    tz: str | None = None  # None: each file's zone is inferred
    redact: bool = True
    redact_ips: bool = False
    services: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    source: Path | None = None

    def override(self, **flags: object) -> Config:
        """A copy with every flag that was given (not None) replacing the configured value."""
        unknown = set(flags) - _KEYS
        if unknown:
            raise TypeError(f"unknown config keys: {sorted(unknown)}")
        return replace(self, **{key: value for key, value in flags.items() if value is not None})


_TYPES: dict[str, type] = {"template": str, "tz": str, "redact": bool, "redact_ips": bool}
_KEYS = set(_TYPES) | {"services"}


def load_config(start: Path | None = None) -> Config:
    """The nearest config at or above `start` (default: the current directory)."""
    found = find_config(start or Path.cwd())
    if found is None:
        return Config()
    path, table = found
    return _parse(table, path)


def find_config(start: Path) -> tuple[Path, dict] | None:
    """The nearest config file and its postmortem table, or None."""
    for directory in [start.resolve(), *start.resolve().parents]:
        own = directory / CONFIG_NAME
        if own.is_file():
            return own, _read(own)
        project = directory / PYPROJECT
        if project.is_file():
            table = _read(project).get("tool", {}).get("postmortem")
            if table is not None:
                if not isinstance(table, dict):
                    raise PostmortemError(f"{project}: [tool.postmortem] must be a table")
                return project, table
    return None


def _read(path: Path) -> dict:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise PostmortemError(f"{path}: not valid TOML: {error}") from None
    except OSError as error:
        raise PostmortemError(f"cannot read {path}: {error.strerror}") from None


def _parse(table: dict, path: Path) -> Config:
    values: dict[str, object] = {"source": path}
    for raw_key, value in table.items():
        key = raw_key.replace("-", "_")
        if key not in _KEYS:
            known = ", ".join(sorted(_KEYS))
            raise PostmortemError(f"{path}: unknown key {raw_key!r} (known: {known})")
        if key == "services":
            values[key] = _services(value, path)
        elif not isinstance(value, _TYPES[key]):
            expected = _TYPES[key].__name__
            raise PostmortemError(f"{path}: {raw_key} must be a {expected}, not {value!r}")
        else:
            values[key] = value
    return Config(**values)  # type: ignore[arg-type]


def _services(value: object, path: Path) -> Mapping[str, str]:
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise PostmortemError(f"{path}: services must map log names to display names (strings)")
    return MappingProxyType(dict(value))
