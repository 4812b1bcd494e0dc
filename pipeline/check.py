"""What a draft still lacks before it can be published: open TODOs and missing sections.

Teams run `postmortem check` as a gate (CI or a pre-merge hook), so the result must be exact and
quiet: a TODO inside a code span or a fenced code block is quoted log text, not an open item
(and `md_inline` writes a log's own "TODO" so that it does not read as one either).

Which sections are required depends on the template the draft came from. Each built-in template
writes a marker comment at its top, `<!-- postmortem:template name=brief -->`; a team's own
template can list its sections there: `<!-- postmortem:template name=ours sections="A; B" -->`.
A draft without a marker is checked against the default template.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DEFAULT_SECTIONS = (
    "Summary",
    "Impact",
    "Detection",
    "Timeline",
    "Root cause",
    "Resolution",
    "Corrective and preventative measures",
    "Lessons learned",
    "Supporting information",
)
BRIEF_SECTIONS = (
    "Issue Summary",
    "Timeline",
    "Root cause and resolution",
    "Corrective and preventative measures",
)
TEMPLATE_SECTIONS: dict[str, tuple[str, ...]] = {
    "default": DEFAULT_SECTIONS,
    "brief": BRIEF_SECTIONS,
    "html": DEFAULT_SECTIONS,
}

_TEMPLATE_MARK = re.compile(
    r"<!-- postmortem:template name=(?P<name>[\w.-]+)(?: sections=\"(?P<sections>[^\"]*)\")? -->"
)
_ATX = re.compile(r"^ {0,3}#{1,6}(?:[ \t]+(?P<title>.*?))?(?:[ \t]+#+)?[ \t]*$")
_SETEXT_UNDERLINE = re.compile(r"^ {0,3}(?:=+|-+)[ \t]*$")
_CODE_FENCE = re.compile(r"^ {0,3}(?P<fence>`{3,}|~{3,})")
_CODE_SPAN = re.compile(r"(`+)(?!`).*?(?<!`)\1(?!`)")
_TODO = re.compile(r"\bTODO\b")
_NUMBERING = re.compile(r"^\d+(?:\.\d+)*\.?\s+")
MAX_TEXT = 120


@dataclass(frozen=True)
class Finding:
    """One thing left to do, at a 1-based line (a missing section: where it would belong)."""

    line_no: int
    kind: str  # "todo" or "missing_section"
    text: str


def check_draft(text: str) -> list[Finding]:
    """Open TODOs and missing required sections, in line order."""
    lines = text.splitlines()
    headings, todos = _scan(lines)
    missing = _missing_sections(required_sections(text), headings, len(lines) + 1)
    return sorted(todos + missing, key=lambda finding: (finding.line_no, finding.kind))


def template_name(text: str) -> str:
    """The template a draft says it came from; `default` when it does not say."""
    mark = _TEMPLATE_MARK.search(text)
    return mark["name"] if mark else "default"


def required_sections(text: str) -> tuple[str, ...]:
    mark = _TEMPLATE_MARK.search(text)
    if mark and mark["sections"] is not None:
        return tuple(part.strip() for part in mark["sections"].split(";") if part.strip())
    return TEMPLATE_SECTIONS.get(template_name(text), ())


def _scan(lines: list[str]) -> tuple[dict[str, int], list[Finding]]:
    """Headings (normalised title -> first line) and TODO lines, outside code."""
    headings: dict[str, int] = {}
    todos: list[Finding] = []
    fence: str | None = None
    for index, line in enumerate(lines):
        opening = _CODE_FENCE.match(line)
        if fence is not None:
            if opening and opening["fence"][0] == fence[0] and len(opening["fence"]) >= len(fence):
                fence = None
            continue
        if opening:
            fence = opening["fence"]
            continue
        title = _heading(line, lines[index + 1] if index + 1 < len(lines) else "")
        if title is not None:
            headings.setdefault(_normalise(title), index + 1)
        if _TODO.search(_CODE_SPAN.sub("", line)):
            todos.append(Finding(index + 1, "todo", _shorten(line.strip())))
    return headings, todos


def _heading(line: str, next_line: str) -> str | None:
    atx = _ATX.match(line)
    if atx:
        return atx["title"] or ""
    if line.strip() and _SETEXT_UNDERLINE.match(next_line) and not line.startswith(("    ", "\t")):
        return line.strip()
    return None


def _missing_sections(
    required: tuple[str, ...], headings: dict[str, int], end_line: int
) -> list[Finding]:
    found = [headings.get(_normalise(section)) for section in required]
    missing: list[Finding] = []
    for index, section in enumerate(required):
        if found[index] is not None:
            continue
        later = [line for line in found[index + 1 :] if line is not None]
        where = later[0] if later else end_line
        missing.append(Finding(where, "missing_section", f"missing section: {section}"))
    return missing


def _normalise(title: str) -> str:
    plain = re.sub(r"[*_`]", "", title).strip().rstrip(":").strip()
    return " ".join(_NUMBERING.sub("", plain).split()).casefold()


def _shorten(text: str) -> str:
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"
