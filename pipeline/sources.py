"""Read what the user pointed at: walk folders, decompress, detect each file's format, parse.

This is the only module that reads files. It returns the events table plus an account of every
file (format, lines, events, what it could not read), because a postmortem built on logs that were
silently half-read is worse than none.
"""

from __future__ import annotations

import datetime as dt
import gzip
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from parsers import detect_format, parse_lines
from parsers.base import LogFormat, ParsedLines
from parsers.timestamps import TimeOptions
from pipeline.errors import PostmortemError
from pipeline.schema import conform, empty_events

BINARY_PROBE = 8192  # bytes inspected for NULs to call a file binary


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

    @property
    def coverage(self) -> float:
        """Share of non-blank lines that ended up in an event."""
        useful = self.lines - self.blank
        return 1.0 if useful == 0 else (useful - self.unparsed) / useful


@dataclass
class Ingested:
    events: pd.DataFrame
    files: list[FileQuality]


def find_files(paths: Sequence[Path]) -> list[tuple[Path, str]]:
    """Every file under `paths` (folders recursively), with the name to show for it.

    Missing paths are an error before any work is done: a typo should not produce a draft.
    """
    found: list[tuple[Path, str]] = []
    for path in paths:
        if not path.exists():
            raise PostmortemError(f"no such file or directory: {path}")
        if path.is_dir():
            children = sorted(p for p in path.rglob("*") if p.is_file() and not _hidden(p, path))
            found.extend((child, _display(child)) for child in children)
        else:
            found.append((path, _display(path)))
    return found


def _hidden(path: Path, root: Path) -> bool:
    """Dotfiles and the README/truth files that describe a bundle are not logs."""
    relative = path.relative_to(root)
    if any(part.startswith(".") for part in relative.parts):
        return True
    return path.name.lower() in {"readme.md", "truth.json"}


def _display(path: Path) -> str:
    """Relative to the working directory when the file is under it, else as the user gave it."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def read_text(path: Path) -> tuple[list[str], int]:
    """The file's lines (plain or gzip), decoded as UTF-8 with replacement, and the bad bytes."""
    try:
        raw = path.read_bytes()
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
    except (OSError, EOFError, gzip.BadGzipFile) as error:
        raise PostmortemError(f"cannot read {path}: {error}") from None
    if b"\x00" in raw[:BINARY_PROBE]:
        raise BinaryFileError(f"{path} looks binary")
    text = raw.decode("utf-8", errors="replace")
    invalid = text.count("\ufffd") - raw.count("\xef\xbf\xbd".encode("latin-1"))
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line.removesuffix("\r") for line in lines], max(invalid, 0)


class BinaryFileError(PostmortemError):
    """A file that is not text: reported and skipped, never parsed."""


def ingest(paths: Sequence[Path], time: TimeOptions | None = None) -> Ingested:
    """Read every file under `paths` into one events table sorted by time."""
    time = time or TimeOptions()
    loaded: list[tuple[str, Path, list[str], int, LogFormat | None]] = []
    files: list[FileQuality] = []
    for path, name in find_files(paths):
        try:
            lines, invalid = read_text(path)
        except BinaryFileError:
            files.append(FileQuality(path=name, format=None, skipped="binary file"))
            continue
        fmt = detect_format(lines)
        loaded.append((name, path, lines, invalid, fmt))

    frames: list[pd.DataFrame] = []
    # Files with full timestamps first: their span tells year-less syslog which year it is in.
    order = sorted(loaded, key=lambda item: bool(item[4] and item[4].yearless))
    year_hint: tuple[pd.Timestamp, pd.Timestamp] | None = None
    for name, path, lines, invalid, fmt in order:
        quality = FileQuality(path=name, format=fmt.name if fmt else None, invalid_utf8=invalid)
        if fmt is None:
            quality.lines = len(lines)
            quality.blank = sum(1 for line in lines if not line.strip())
            quality.unparsed = quality.lines - quality.blank
            quality.unparsed_examples = [line for line in lines if line.strip()][:3]
            files.append(quality)
            continue
        if fmt.yearless and year_hint is None and frames:
            year_hint = _span(frames)
        parsed = parse_lines(
            lines,
            fmt,
            time,
            year_hint=year_hint if fmt.yearless else None,
            year_default=_mtime_year(path),
        )
        parsed.events["source_file"] = name
        frames.append(parsed.events)
        files.append(_quality(quality, parsed, fmt, time))

    files.sort(key=lambda q: q.path)
    if not frames:
        return Ingested(events=empty_events(), files=files)
    events = pd.concat(frames, ignore_index=True)
    events = events.sort_values(["ts", "source_file", "line_no"], kind="stable")
    return Ingested(events=conform(events), files=files)


def _quality(
    quality: FileQuality, parsed: ParsedLines, fmt: LogFormat, time: TimeOptions
) -> FileQuality:
    quality.lines = parsed.lines
    quality.events = len(parsed.events)
    quality.continuation = parsed.continuation
    quality.blank = parsed.blank
    quality.unparsed = parsed.unparsed
    quality.unparsed_examples = parsed.unparsed_examples
    if len(parsed.events):
        quality.first = parsed.events["ts"].min()
        quality.last = parsed.events["ts"].max()
    quality.year_assumed = fmt.yearless and time.year is None
    if not _zoned(fmt):
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


def _mtime_year(path: Path) -> int:
    return dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC).year
