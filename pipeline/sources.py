"""Read what the user pointed at into one events table, with an account of every file.

`pipeline.inputs` turns paths into text streams; this module detects and parses each stream and
keeps the books: per file, what format read it, how many lines became events, and what it could
not read. A postmortem built on logs that were silently half-read is worse than none.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import numpy as np
import pandas as pd

from parsers import detect_format, get_format
from parsers.base import LogFormat
from parsers.mixed import ParsedFile, parse_file
from parsers.timestamps import TimeOptions
from pipeline.errors import PostmortemError
from pipeline.inputs import Input, Skipped, read_inputs
from pipeline.schema import conform, empty_events


@dataclass
class FileQuality:
    """How well one file was read: the draft's per-source data quality."""

    path: str
    format: str | None
    lines: int = 0
    events: int = 0
    continuation: int = 0
    blank: int = 0
    unparsed: int = 0
    unparsed_examples: list[str] = field(default_factory=list)
    invalid_utf8: int = 0  # replacement characters introduced while decoding
    skipped: str | None = None  # why the file was not read at all
    first: pd.Timestamp | None = None
    last: pd.Timestamp | None = None
    year_assumed: bool = False
    tz_assumed: str | None = None  # zone given to zone-less timestamps
    truncated_lines: int = 0  # lines cut at 1 MiB
    unparsed_example_lines: list[int] = field(default_factory=list)  # 1-based, with the examples
    formats: dict[str, int] = field(default_factory=dict)  # events per format (mixed files)
    forced: bool = False  # the format came from --format-for, not detection

    @property
    def coverage(self) -> float:
        """Share of non-blank lines that ended up in an event."""
        useful = self.lines - self.blank
        return 1.0 if useful == 0 else (useful - self.unparsed) / useful


@dataclass
class Ingested:
    events: pd.DataFrame
    files: list[FileQuality]


FormatRule = tuple[str, str]  # (glob, format name) from `--format-for GLOB=FORMAT`


def parse_format_rules(values: Iterable[str]) -> tuple[FormatRule, ...]:
    """`GLOB=FORMAT` options checked up front: a typo in a format name must not cost a run."""
    rules = []
    for value in values:
        pattern, sep, name = value.rpartition("=")
        if not sep or not pattern or not name:
            raise PostmortemError(f"--format-for wants GLOB=FORMAT, got {value!r}")
        try:
            get_format(name.strip())
        except KeyError as error:
            raise PostmortemError(str(error.args[0])) from None
        rules.append((pattern.strip(), name.strip()))
    return tuple(rules)


def forced_format(name: str, rules: Sequence[FormatRule]) -> LogFormat | None:
    """The format the first matching rule forces on `name` (a path or `bundle!member`)."""
    candidates = {name, name.rsplit("!", 1)[-1], PurePosixPath(name.rsplit("!", 1)[-1]).name}
    for pattern, format_name in rules:
        for candidate in candidates:
            if fnmatch.fnmatchcase(candidate, pattern) or PurePosixPath(candidate).match(pattern):
                return get_format(format_name)
    return None


def ingest(
    paths: Sequence[Path],
    time: TimeOptions | None = None,
    *,
    format_for: Sequence[FormatRule] = (),
) -> Ingested:
    """Read every file under `paths` into one events table sorted by time.

    Events at the same instant keep the order of their files (rotated series oldest first) and
    lines, so a tie never reorders what happened.
    """
    time = time or TimeOptions()
    items = read_inputs(paths)
    files: list[FileQuality] = []
    order = {item.name: position for position, item in enumerate(items)}
    streams: list[tuple[Input, LogFormat | None, LogFormat | None]] = []
    for item in items:
        if isinstance(item, Skipped):
            files.append(FileQuality(path=item.name, format=None, skipped=item.reason))
            continue
        forced = forced_format(item.name, format_for)
        streams.append((item, forced, forced or detect_format(item.lines)))

    frames: list[pd.DataFrame] = []
    # Files with full timestamps first: their span tells year-less syslog which year it is in.
    streams.sort(key=lambda entry: bool(entry[2] and entry[2].yearless))
    year_hint: tuple[pd.Timestamp, pd.Timestamp] | None = None
    for item, forced, detected in streams:
        if detected is not None and detected.yearless and year_hint is None and frames:
            year_hint = _span(frames)
        parsed = parse_file(
            item.lines,
            time,
            forced=forced,
            year_hint=year_hint,
            year_default=_year(item.mtime),
        )
        events = parsed.events
        events["source_file"] = item.name
        events["_order"] = np.int64(order[item.name])
        frames.append(events)
        files.append(_quality(item, parsed, time, forced is not None))

    files.sort(key=lambda q: order.get(q.path, len(order)))
    if not frames:
        return Ingested(events=empty_events(), files=files)
    events = pd.concat([frame for frame in frames if len(frame)] or frames[:1], ignore_index=True)
    events = events.sort_values(["ts", "_order", "line_no"], kind="stable")
    return Ingested(events=conform(events.drop(columns="_order")), files=files)


def _quality(item: Input, parsed: ParsedFile, time: TimeOptions, forced: bool) -> FileQuality:
    quality = FileQuality(
        path=item.name,
        format=parsed.format,
        lines=parsed.lines,
        events=len(parsed.events),
        continuation=parsed.continuation,
        blank=parsed.blank,
        unparsed=parsed.unparsed,
        unparsed_examples=parsed.unparsed_examples,
        unparsed_example_lines=parsed.unparsed_line_nos[: len(parsed.unparsed_examples)],
        invalid_utf8=item.invalid_utf8,
        truncated_lines=item.truncated_lines,
        formats=parsed.formats,
        forced=forced,
    )
    if len(parsed.events):
        quality.first = parsed.events["ts"].min()
        quality.last = parsed.events["ts"].max()
    used = [get_format(name) for name in parsed.formats]
    quality.year_assumed = time.year is None and any(fmt.yearless for fmt in used)
    if any(not _zoned(fmt) for fmt in used):
        quality.tz_assumed = time.tz
    return quality


def _zoned(fmt: LogFormat) -> bool:
    """Whether the format's timestamps carry their own offset."""
    return bool(fmt.ts_format and "%z" in fmt.ts_format) or fmt.ts_format == "ISO8601"


def _span(frames: Iterable[pd.DataFrame]) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    starts = [f["ts"].min() for f in frames if len(f)]
    ends = [f["ts"].max() for f in frames if len(f)]
    if not starts:
        return None
    return min(starts), max(ends)


def _year(mtime: float | None) -> int | None:
    """The year the file was last written: its last year-less line was written then."""
    if mtime is None:
        return None
    return dt.datetime.fromtimestamp(mtime, dt.UTC).year
