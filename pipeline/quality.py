"""Per-file data quality as `postmortem inspect` shows it: plain text for people, JSON for scripts.

Before trusting a draft, an engineer wants to see how each file was read: which format won, how
many lines became events, what was not understood (with the line numbers to go and look), which
hours the file covers and which zone was assumed for timestamps that carry none.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import pandas as pd

from pipeline.skew import ClockSkew
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
        **time_dict(quality),
    }


def time_dict(quality: FileQuality) -> dict:
    """How a file's times were placed: its host, the zone and rule behind it, the year rule."""
    return {
        "host": quality.host,
        "host_rule": quality.host_rule,
        "tz_rule": quality.tz_rule,
        "tz_evidence": quality.tz_evidence,
        "tz_score": quality.tz_score,
        "year_rule": quality.year_rule,
    }


def skew_dict(skew: ClockSkew) -> dict:
    return dataclasses.asdict(skew)


def skew_text(skew: ClockSkew) -> str:
    """`db-1 runs 42 s ahead of web-1 (118 shared request ids)`."""
    support = (
        f"{skew.support} shared request ids"
        if skew.evidence == "request ids"
        else f"{skew.support} errors in aligned bursts"
    )
    return f"{skew.ahead} runs {skew.seconds:g} s ahead of {skew.behind} ({support})"


def zone_text(quality: FileQuality) -> str:
    """The zone of a file's zone-less timestamps and why, in one line."""
    if not quality.tz_assumed:
        return "timestamps carry their own offset"
    rule = quality.tz_rule or "assumed"
    text = f"{quality.tz_assumed} for timestamps without one ({rule}"
    return text + (f": {quality.tz_evidence})" if quality.tz_evidence else ")")


YEAR_RULES = {
    "--year": "given with --year",
    "bundle": "inferred from the span of the bundle's dated logs (pass --year to pin it)",
    "file date": "inferred from the file's modification time (pass --year to pin it)",
}


def describe(files: list[FileQuality], skew: Sequence[ClockSkew] = ()) -> str:
    """A few lines per file, aligned, readable in a terminal or pasted into a ticket."""
    blocks = [_describe_one(quality) for quality in files]
    if skew:
        blocks.append("\n".join(f"clock skew  {skew_text(s)}" for s in skew))
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
    if quality.host:
        rows.append(f"  host        {quality.host} ({quality.host_rule})")
    rows.append(f"  zone        {zone_text(quality)}")
    if quality.year_rule:
        rows.append(f"  year        {YEAR_RULES[quality.year_rule]}")
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
