"""Per-file data quality as `postmortem inspect` shows it: plain text for people, JSON for scripts.

Before trusting a draft, an engineer wants to see how each file was read: which format won, how
many lines became events, what was not understood (with the line numbers to go and look), which
hours the file covers and which zone was assumed for timestamps that carry none.
"""

from __future__ import annotations

import pandas as pd

from pipeline.sources import FileQuality

EXAMPLE_WIDTH = 160


def quality_dict(quality: FileQuality) -> dict:
    """One file's account as plain JSON-ready values."""
    return {
        "path": quality.path,
        "format": quality.format,
        "formats": quality.formats,
        "forced": quality.forced,
        "skipped": quality.skipped,
        "lines": quality.lines,
        "events": quality.events,
        "continuation": quality.continuation,
        "blank": quality.blank,
        "unparsed": quality.unparsed,
        "unparsed_examples": [
            {"line": line, "text": text}
            for line, text in zip(
                quality.unparsed_example_lines, quality.unparsed_examples, strict=False
            )
        ],
        "invalid_utf8": quality.invalid_utf8,
        "truncated_lines": quality.truncated_lines,
        "first": _iso(quality.first),
        "last": _iso(quality.last),
        "tz_assumed": quality.tz_assumed,
        "year_assumed": quality.year_assumed,
    }


def describe(files: list[FileQuality]) -> str:
    """A few lines per file, aligned, readable in a terminal or pasted into a ticket."""
    blocks = [_describe_one(quality) for quality in files]
    return "\n\n".join(blocks) + ("\n" if blocks else "")


def _describe_one(quality: FileQuality) -> str:
    if quality.skipped:
        return f"{quality.path}\n  skipped     {quality.skipped}"
    rows = [quality.path]
    fmt = quality.format or "none recognised"
    if quality.forced:
        fmt += " (forced)"
    others = {name: n for name, n in quality.formats.items() if name != quality.format}
    if others:
        fmt += " + " + ", ".join(f"{name} ({n} events)" for name, n in others.items())
    rows.append(f"  format      {fmt}")
    rows.append(
        f"  lines       {quality.lines} = {quality.events} events"
        f" + {quality.continuation} continuation + {quality.unparsed} unparsed"
        f" + {quality.blank} blank"
    )
    if quality.first is not None:
        rows.append(f"  time range  {_iso(quality.first)} .. {_iso(quality.last)}")
    else:
        rows.append("  time range  -")
    rows.append(f"  zone        {_zone(quality)}")
    if quality.invalid_utf8:
        rows.append(f"  bad UTF-8   {quality.invalid_utf8} characters replaced")
    if quality.truncated_lines:
        rows.append(f"  truncated   {quality.truncated_lines} lines over 1 MiB cut")
    if quality.unparsed:
        rows.append(f"  unparsed    {quality.unparsed} lines, e.g.")
        for line, text in zip(
            quality.unparsed_example_lines, quality.unparsed_examples, strict=False
        ):
            rows.append(f"    {line}: {_clip(text)}")
    return "\n".join(rows)


def _zone(quality: FileQuality) -> str:
    parts = []
    if quality.tz_assumed:
        parts.append(f"{quality.tz_assumed} assumed for timestamps without one")
    else:
        parts.append("timestamps carry their own offset")
    if quality.year_assumed:
        parts.append("year inferred (pass --year to pin it)")
    return "; ".join(parts)


def _clip(text: str) -> str:
    text = text.replace("\t", " ")
    return text if len(text) <= EXAMPLE_WIDTH else text[: EXAMPLE_WIDTH - 1] + "…"


def _iso(ts: pd.Timestamp | None) -> str | None:
    if ts is None or pd.isna(ts):
        return None
    stamp = pd.Timestamp(ts).tz_convert("UTC")
    text = stamp.strftime("%Y-%m-%dT%H:%M:%S")
    if stamp.microsecond or stamp.nanosecond:
        text += f".{stamp.microsecond:06d}".rstrip("0")
    return text + "Z"
