"""Make untrusted log text safe to place in Markdown: inline text, table cells and code spans.

A log line can hold anything: `|` that splits a table row, backticks that open a code span,
`<script>` or `<img onerror>` that a renderer might keep, `[x](javascript:...)` links, a leading `#`
that turns a timeline row into a heading, newlines that end the row, and invisible bidi controls
that make text read differently from what it is ("Trojan Source"). Everything that comes from a
log goes through `md_inline` or `md_code` in Markdown templates; HTML output relies on Jinja2's
autoescape and uses `plain` only to drop control characters.

A literal `TODO` in a log line is written as `TO&#68;O` (it renders as TODO), so that
`postmortem check` counts only the TODOs the template and the humans wrote.
"""

from __future__ import annotations

import re

# Invisible characters that reorder or hide text: zero-width, bidi embeddings, overrides and
# isolates, word joiners, BOM, soft hyphen, Arabic letter mark, Mongolian vowel separator.
_INVISIBLE = re.compile(
    "[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]"
)
# Other control characters (C0 incl. CR/LF/TAB, DEL, C1, line/paragraph separators) end up as
# spaces, so that words they separated stay apart.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")

_INLINE_SPECIAL = re.compile(
    r"\\(?=[!-/:-@\[-`{-~]|$)"  # a backslash that would escape what follows it
    r"|[`*\[\]|~$]"  # code spans, emphasis, links, table cells, strikethrough, GitHub math
    r"|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])"  # emphasis; `user_id` needs no escape
    r"|<"  # HTML tags, comments and autolinks
    r"|&(?=#?[A-Za-z0-9]+;)"  # something that would read as an entity
    r"|\bTODO\b"
)
_ENTITY = {"<": "&lt;", "&": "&amp;", "TODO": "TO&#68;O"}
_LEADING_BLOCK = re.compile(r"^(?:[#+=>-]|\d+(?=[.)]))")
_BACKTICK_RUN = re.compile(r"`+")


def plain(text: object) -> str:
    """One line of visible text: invisible characters dropped, controls and runs of space as one."""
    if text is None:
        return ""
    visible = _CONTROL.sub(" ", _INVISIBLE.sub("", str(text)))
    return " ".join(visible.split())


def md_inline(text: object) -> str:
    """Log text as inline Markdown, safe in running text and in a table cell.

    The result renders as exactly the original characters (flattened to one line), never as a
    tag, link, code span, heading, list item, quote or extra table column.
    """
    flat = plain(text)
    escaped = _INLINE_SPECIAL.sub(_escape_match, flat)
    leading = _LEADING_BLOCK.match(escaped)
    if leading:
        end = leading.end()
        if escaped[:end].isdigit():  # `1.` or `1)` would start an ordered list
            return f"{escaped[:end]}\\{escaped[end:]}"
        return f"\\{escaped}"
    return escaped


def md_code(text: object, *, table: bool = False) -> str:
    """Log text as an inline code span whose fence no backtick run inside can close.

    In a table cell pass `table=True`: GitHub splits cells on `|` before it sees code spans, so
    pipes are written `\\|` there (and render as `|`, also inside the span).
    """
    flat = plain(text)
    if not flat:
        return ""
    longest = max((len(run) for run in _BACKTICK_RUN.findall(flat)), default=0)
    fence = "`" * (longest + 1)
    if table:
        flat = flat.replace("|", "\\|")
    pad = " " if flat.startswith("`") or flat.endswith("`") else ""
    return f"{fence}{pad}{flat}{pad}{fence}"


def _escape_match(match: re.Match[str]) -> str:
    found = match.group(0)
    return _ENTITY.get(found, "\\" + found)
