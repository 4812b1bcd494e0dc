"""Render a context dict with a Jinja2 template: a built-in one from `templates/` (shipped as
package data) or the user's own file.

Markdown templates escape log text with the `md`/`code` filters (Markdown has no autoescape);
HTML templates get Jinja2's autoescape, so that no log text can become markup there. Fenced
blocks are sealed (their hashes filled in) after rendering, so templates write `hash=` empty.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import jinja2

from pipeline.catalog import builtin_templates
from pipeline.errors import PostmortemError
from pipeline.escape import md_code, md_inline, plain
from pipeline.fences import seal


@dataclass(frozen=True)
class Template:
    """A template to render: its name, the format it writes (`md` or `html`) and its source."""

    name: str
    format: str
    source: str


def load_template(spec: str) -> Template:
    """A built-in template by name (`default`, `brief`, `html`), else a Jinja2 file by path."""
    for info in builtin_templates():
        if spec in (info.name, info.file):
            text = resources.files("templates").joinpath(info.file).read_text(encoding="utf-8")
            return Template(info.name, info.format, text)
    path = Path(spec)
    if not path.is_file():
        names = ", ".join(info.name for info in builtin_templates())
        raise PostmortemError(
            f"unknown template {spec!r}: use a built-in name ({names}) or a template file"
        )
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise PostmortemError(f"cannot read template {spec}: {error}") from None
    fmt = "html" if ".html" in path.name.lower() or ".htm" in path.name.lower() else "md"
    return Template(path.name, fmt, text)


def render_draft(view: dict, template: Template) -> str:
    """The draft text, fences sealed. A broken user template is a one-line error, not a trace."""
    env = _environment(html=template.format == "html")
    try:
        text = env.from_string(template.source).render(**view)
    except jinja2.TemplateError as error:
        where = f" (line {error.lineno})" if getattr(error, "lineno", None) else ""
        raise PostmortemError(f"template {template.name}{where}: {error}") from None
    return seal(text)


def _environment(*, html: bool = False) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FunctionLoader(_load_builtin),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=html,
    )
    env.filters["md"] = md_inline
    env.filters["code"] = md_code
    env.filters["plain"] = plain
    env.filters["hhmm"] = lambda iso: iso[11:16] if iso else ""
    env.filters["hhmmss"] = lambda iso: iso[11:19] if iso else ""
    env.filters["when"] = lambda iso: f"{iso[:10]} {iso[11:19]} UTC" if iso else "unknown"
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
