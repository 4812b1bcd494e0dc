"""The built-in templates: which exist, what each is for, and which output format each writes.

`postmortem templates` lists them, and `--template NAME` picks one by its name: the name its
`<!-- postmortem:template name=... -->` marker gives (the marker also lands in the draft, where
`postmortem check` reads it), else the file name up to the first dot. The output format is the
file name's middle part (`brief.md.j2` writes Markdown, `postmortem.html.j2` HTML). Each template
says what it is for in a Jinja comment on its first line, `{# description: ... #}`, so that
adding a template is one file and no list to keep in step.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

_DESCRIPTION = re.compile(r"^\{#-?\s*description:\s*(?P<text>.*?)\s*-?#\}")
_MARKER_NAME = re.compile(r"<!-- postmortem:template name=(?P<name>[\w.-]+)")


@dataclass(frozen=True)
class TemplateInfo:
    name: str
    file: str
    format: str  # "md", "html", ...
    description: str


def builtin_templates() -> list[TemplateInfo]:
    """Every `*.j2` shipped in the `templates` package, sorted by name."""
    found: list[TemplateInfo] = []
    for resource in resources.files("templates").iterdir():
        if not resource.is_file() or not resource.name.endswith(".j2"):
            continue
        parts = resource.name.split(".")
        text = resource.read_text(encoding="utf-8")
        found.append(
            TemplateInfo(
                name=marker_name(text) or parts[0],
                file=resource.name,
                format=parts[1] if len(parts) > 2 else "md",
                description=describe(text),
            )
        )
    return sorted(found, key=lambda info: info.name)


def describe(template_text: str) -> str:
    first_line = template_text.split("\n", 1)[0]
    match = _DESCRIPTION.match(first_line)
    return match["text"] if match else ""


def marker_name(template_text: str) -> str | None:
    match = _MARKER_NAME.search(template_text)
    return match["name"] if match else None
