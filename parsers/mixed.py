"""Parse one whole file whatever it holds: one format, several, or `docker compose logs` output.

`parse_lines` reads a batch with one format. Real files are messier: an app log with a few syslog
lines pasted in, or `docker compose logs` where every container's lines carry a `name  | ` prefix
and each container speaks its own format. This module is the per-file driver on top of it:

1. A compose prefix, when most lines have one, is stripped into `service`, and each container's
   lines are parsed as their own stream (so a traceback folds into its own container's event and
   each container gets its own format vote).
2. A stream is parsed with the format that wins the vote over its first lines (or the forced one).
3. Lines the winner did not understand are offered, as one batch, to every other format that
   recognises some of them, most votes first; each format parses its share vectorised. What no
   format takes stays unparsed, with its line number.

Line accounting holds throughout: events + continuation + unparsed + blank == lines.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from parsers.base import (
    DeferredYear,
    LogFormat,
    ParsedLines,
    detect_format,
    first_non_blank,
    parse_lines,
    registered,
)
from parsers.timestamps import TimeOptions, YearlessTimes
from pipeline.memory import release_memory
from pipeline.schema import concat_column, conform, empty_events

ANSI = r"\x1b\[[0-9;?]*[A-Za-z]"
# `docker compose logs`: `web-1  | text` (v2) or `web_1  | text` (v1), names padded to one width,
# optionally coloured, and the whole line sometimes led by an erase-line escape.
COMPOSE_PREFIX = (
    rf"^(?:{ANSI})*(?P<service>[A-Za-z0-9][\w.-]*)(?:{ANSI})* +(?:{ANSI})*\|(?:{ANSI})*"
    r" ?(?P<rest>.*)$"
)
COMPOSE_SHARE = 0.5  # share of the first non-blank lines that must carry the prefix
DETECT_LINES = 200


@dataclass
class ParsedFile(ParsedLines):
    """A whole file's parse: `ParsedLines` plus which formats read it."""

    format: str | None = None  # the format that read most events (the detected one if none did)
    formats: dict[str, int] = field(default_factory=dict)  # events per format
    compose_services: list[str] = field(default_factory=list)  # compose prefixes stripped


def parse_file(
    lines: list[str] | pa.Array,
    time: TimeOptions | None = None,
    *,
    forced: LogFormat | None = None,
    year_hint: tuple[pd.Timestamp, pd.Timestamp] | None = None,
    year_default: int | None = None,
) -> ParsedFile:
    """Parse every line of one file; `forced` skips detection and the per-line fallback."""
    array = lines if isinstance(lines, pa.Array) else pa.array(list(lines), pa.string())
    options = _Options(time or TimeOptions(), forced, year_hint, year_default)
    compose = _compose_prefix(array)
    if compose is None:
        result, primary = _parse_stream(array, options)
        return _finish(result, primary, [])
    services, rest = compose
    parts: list[tuple[ParsedLines, np.ndarray, str | None]] = []
    primaries: list[str] = []
    for service in [*pd.unique(services.dropna()).tolist(), None]:
        mask = (services.isna() if service is None else services == service).to_numpy(
            dtype=bool, na_value=False
        )
        positions = np.flatnonzero(mask)
        if not len(positions):
            continue
        part, primary = _parse_stream(rest.take(pa.array(positions, pa.int64())), options)
        if primary is not None:
            primaries.append(primary)
        parts.append((part, positions, service))
    merged = _merge([_relocate(part, positions, service) for part, positions, service in parts])
    merged.lines = len(array)
    named = sorted(s for s in pd.unique(services.dropna()).tolist())
    return _finish(merged, primaries[0] if primaries else None, named)


class YearNeedsWholeFile(Exception):
    """The year chosen for a year-less file makes some line's date other than it was taken to
    be while the blocks were parsed (`Feb 29` in a year that has none): its events would differ
    from reading the file whole, so the caller reads it whole."""


def parse_blocks(
    first: pa.Array,
    rest: Iterable[pa.Array],
    time: TimeOptions | None = None,
    *,
    forced: LogFormat | None = None,
    year_hint: tuple[pd.Timestamp, pd.Timestamp] | None = None,
    year_default: int | None = None,
    keep: Callable[[pd.DataFrame], pd.DataFrame] | None = None,
) -> ParsedFile:
    """`parse_file` of a large file that comes a block of lines at a time, same result.

    The file's format is parsed block by block, and `keep` trims each block's events (to the
    columns the caller needs) before the next block is read: memory holds one block of text,
    not the file. The lines that format did not understand are kept aside and offered to the
    other formats at the end, as `parse_file` offers them. A year-less format (RFC 3164) keeps
    each block's time text without a year; the year, which depends on every line, is chosen
    once at the end over the distinct texts (`YearNeedsWholeFile` when that cannot give what
    reading the whole file gives). Anything else (`docker compose` output, a file no format
    recognises in its first lines) needs the whole file in view, so its blocks are joined first.
    """
    keep = keep or (lambda events: events)
    time = time or TimeOptions()
    primary = forced or detect_format(first)
    if primary is None or _compose_prefix(first.slice(0, DETECT_LINES * 10)) is not None:
        whole = pa.concat_arrays([first, *rest])
        del first
        parsed = parse_file(
            whole, time, forced=forced, year_hint=year_hint, year_default=year_default
        )
        parsed.events = keep(parsed.events)
        return parsed
    options = _Options(time, forced, year_hint, year_default)
    pieces: list[pd.DataFrame] = []
    lines = blank = continuation = 0
    unparsed: list[np.ndarray] = []  # 0-based line numbers in the file
    unparsed_text: list[pa.Array] = []
    deferred: list[DeferredYear] = []  # a year-less format's times, block by block
    repeated = None  # what the next block's repeats take from the blocks so far
    carry = None  # a multi-line format's last event so far, and the lines after it
    for block in itertools.chain([first], rest, [None]):
        if block is None:  # after the last block: what was held back, on its own
            if carry is None:
                break
            block, carry, hold_back = carry, None, False
        else:
            if carry is not None:
                block = pa.concat_arrays([carry, block])
            hold_back = primary.multiline
        part = parse_lines(
            block,
            primary,
            time,
            year_default=year_default,
            first_line_no=lines + 1,
            hold_back_last=hold_back,
            defer_year=primary.yearless,
            repeated=repeated,
        )
        if hold_back:
            carry = block.slice(part.lines)
        pieces.append(keep(part.events))
        if part.deferred is not None:
            deferred.append(part.deferred)
        repeated = part.repeated
        positions = np.asarray(part.unparsed_line_nos, dtype=np.int64) - 1
        if len(positions):
            unparsed.append(positions)
            local = positions - lines if forced is None else positions[:3] - lines
            unparsed_text.append(block.take(pa.array(local, pa.int64())))
        lines += part.lines
        blank += part.blank
        continuation += part.continuation
        del block, part
    del first
    leftover = np.concatenate(unparsed) if unparsed else np.zeros(0, np.int64)
    text = pa.concat_arrays(unparsed_text) if unparsed_text else pa.array([], pa.string())
    events = _concat_blocks(pieces)
    del pieces
    if primary.yearless:
        events = _place_years(events, deferred, primary, options)
    if forced is None and len(leftover):
        # As `_parse_stream`: the leftovers, in file order, offered to the other formats.
        if options.year_hint is None and len(events):
            options = dataclasses.replace(
                options, year_hint=(events["ts"].min(), events["ts"].max())
            )
        found, kept = _offer_leftovers(text, leftover, primary, options)
        if found:
            events = _concat_blocks([events, *(keep(piece) for piece in found)])
            events = events.sort_values("line_no", kind="stable").reset_index(drop=True)
        text = text.take(pa.array(kept[:3], pa.int64()))
        leftover = leftover[kept]
    result = ParsedLines(
        events=events,
        lines=lines,
        blank=blank,
        continuation=continuation,
        unparsed_line_nos=(leftover + 1).tolist(),
        unparsed_examples=text.slice(0, 3).to_pylist(),
    )
    return _finish(result, primary.name, [])


def _place_years(
    events: pd.DataFrame, deferred: list[DeferredYear], fmt: LogFormat, options: _Options
) -> pd.DataFrame:
    """The year-less events' `ts`, the year chosen over every block's lines at once, as
    `parse_lines` chooses it for a whole file."""
    times = YearlessTimes.join([part.times for part in deferred])
    was_event = np.concatenate([part.events for part in deferred]) if deferred else np.zeros(0)
    instants = times.choose(
        fmt.ts_format or "%b %d %H:%M:%S", options.time, options.year_hint, options.year_default
    )
    if not np.array_equal(~np.isnat(instants), was_event.astype(bool)):
        raise YearNeedsWholeFile(fmt.name)
    if "ts" in events.columns and len(events):
        placed = pd.DatetimeIndex(instants[was_event.astype(bool)]).tz_localize("UTC")
        events["ts"] = pd.Series(placed, index=events.index)
    return events


def _concat_blocks(pieces: list[pd.DataFrame]) -> pd.DataFrame:
    """Events of consecutive blocks end to end, categories as `_concat` (which goes through
    Python objects) gives them, without a Python object per row.

    Built a column at a time, each taken out of the blocks as it is joined: the blocks and
    their concatenation are never both held whole (at 10M lines, 900 MB of peak memory).
    """
    pieces = [piece for piece in pieces if len(piece)] or pieces[:1]
    if len(pieces) == 1:
        return pieces[0]
    columns = {}
    for name in list(pieces[0].columns):
        columns[name] = concat_column([piece.pop(name) for piece in pieces])
        release_memory()
    pieces.clear()
    return pd.DataFrame(columns, copy=False)


@dataclass(frozen=True)
class _Options:
    time: TimeOptions
    forced: LogFormat | None
    year_hint: tuple[pd.Timestamp, pd.Timestamp] | None
    year_default: int | None

    def parse(self, array: pa.Array, fmt: LogFormat) -> ParsedLines:
        return parse_lines(
            array,
            fmt,
            self.time,
            year_hint=self.year_hint if fmt.yearless else None,
            year_default=self.year_default,
        )


def _parse_stream(array: pa.Array, options: _Options) -> tuple[ParsedLines, str | None]:
    """One stream of lines: the winning format, then the leftovers offered to the others."""
    primary = options.forced or detect_format(array) or _detect_anywhere(array)
    result = _all_unparsed(array) if primary is None else options.parse(array, primary)
    if options.forced is not None or not result.unparsed:
        return result, primary.name if primary else None
    leftover = np.asarray(result.unparsed_line_nos, dtype=np.int64) - 1
    if options.year_hint is None and len(result.events):
        # Year-less lines mixed into a file with full timestamps take their year from those.
        span = (result.events["ts"].min(), result.events["ts"].max())
        options = dataclasses.replace(options, year_hint=span)
    text = array.take(pa.array(leftover, pa.int64()))
    found, kept = _offer_leftovers(text, leftover, primary, options)
    events = _concat([result.events, *found])
    leftover = leftover[kept]
    examples = text.take(pa.array(kept[:3], pa.int64())).to_pylist()
    merged = ParsedLines(
        events=events,
        lines=result.lines,
        blank=result.blank,
        continuation=result.continuation,
        unparsed_line_nos=(leftover + 1).tolist(),
        unparsed_examples=examples,
    )
    return merged, primary.name if primary else None


def _offer_leftovers(
    text: pa.Array, line_nos: np.ndarray, primary: LogFormat | None, options: _Options
) -> tuple[list[pd.DataFrame], np.ndarray]:
    """Lines the winning format did not read (`text`, from the file's 0-based `line_nos`, in
    order) offered to every other format that recognises some, most votes first.

    Returns the events each format took, with the file's line numbers, and the positions in
    `text` that no format took.
    """
    kept = np.arange(len(text))
    pieces: list[pd.DataFrame] = []
    for fmt in _candidates(text, exclude=primary):
        if not len(kept):
            break
        batch = text.take(pa.array(kept, pa.int64()))
        claimed = fmt.matches(batch)
        if not claimed.any():
            continue
        # Leftover lines are not contiguous, so nothing may fold into them as a continuation.
        single = dataclasses.replace(fmt, multiline=False)
        part = options.parse(batch.filter(pa.array(claimed)), single)
        if part.events.empty:
            continue
        taken = kept[claimed][part.events["line_no"].to_numpy(dtype=np.int64) - 1]
        part.events["line_no"] = pd.array(line_nos[taken] + 1, dtype=pd.Int64Dtype())
        pieces.append(part.events)
        kept = np.setdiff1d(kept, taken, assume_unique=True)
    return pieces, kept


def _detect_anywhere(array: pa.Array) -> LogFormat | None:
    """A vote over the whole file, for files whose first lines are a banner no format knows."""
    if len(array) <= DETECT_LINES:
        return None
    return detect_format(array.slice(DETECT_LINES))


def _candidates(leftover: pa.Array, exclude: LogFormat | None) -> list[LogFormat]:
    """Formats that recognise some leftover lines, most lines first, then the more specific."""
    scored = []
    for fmt in registered():
        if exclude is not None and fmt.name == exclude.name:
            continue
        votes = int(fmt.matches(leftover).sum())
        if votes:
            scored.append((votes, fmt.specificity, fmt))
    scored.sort(key=lambda item: (item[0], item[1]), reverse=True)
    return [fmt for _, _, fmt in scored]


def _all_unparsed(array: pa.Array) -> ParsedLines:
    n = len(array)
    blank = (
        pc.match_substring_regex(array, r"^\s*$").fill_null(True).to_numpy(zero_copy_only=False)
        if n
        else np.zeros(0, dtype=bool)
    )
    unparsed = np.flatnonzero(~blank)
    return ParsedLines(
        events=empty_events(),
        lines=n,
        blank=int(blank.sum()),
        continuation=0,
        unparsed_line_nos=(unparsed + 1).tolist(),
        unparsed_examples=array.take(pa.array(unparsed[:3], pa.int64())).to_pylist(),
    )


def _compose_prefix(array: pa.Array) -> tuple[pd.Series, pa.Array] | None:
    """Per line, the compose service (NA where a line has no prefix) and the text after it.

    None when the file is not compose output: most of its first non-blank lines lack a prefix.
    """
    if not len(array):
        return None
    sample = first_non_blank(array, DETECT_LINES)
    if not len(sample):
        return None
    prefixed = pc.match_substring_regex(sample, COMPOSE_PREFIX).fill_null(False)
    if (pc.sum(prefixed).as_py() or 0) < COMPOSE_SHARE * len(sample):
        return None
    has_prefix = pc.match_substring_regex(array, COMPOSE_PREFIX).fill_null(False)
    parts = pc.extract_regex(
        pc.if_else(has_prefix, array, pa.scalar("", pa.string())), COMPOSE_PREFIX
    )
    services = pd.Series(
        pc.if_else(has_prefix, parts.field("service"), pa.scalar(None, pa.string())),
        dtype=pd.StringDtype("pyarrow"),
    )
    rest = pc.if_else(has_prefix, parts.field("rest"), array)
    rest = pc.replace_substring_regex(rest, ANSI, "")
    return services, rest.combine_chunks() if isinstance(rest, pa.ChunkedArray) else rest


def _relocate(part: ParsedLines, positions: np.ndarray, service: str | None) -> ParsedLines:
    """Map a stream's line numbers back to the file's, and give its events their container."""
    events = part.events.copy()
    if len(events):
        events["line_no"] = positions[events["line_no"].to_numpy(dtype=np.int64) - 1] + 1
        if service is not None:
            given = events["service"].astype(object)
            events["service"] = given.where(given.notna(), service)
        events = conform(events)
    unparsed = positions[np.asarray(part.unparsed_line_nos, dtype=np.int64) - 1] + 1
    return ParsedLines(
        events=events,
        lines=part.lines,
        blank=part.blank,
        continuation=part.continuation,
        unparsed_line_nos=unparsed.tolist(),
        unparsed_examples=part.unparsed_examples,
    )


def _merge(parts: list[ParsedLines]) -> ParsedLines:
    unparsed = sorted(n for part in parts for n in part.unparsed_line_nos)
    examples = {
        n: text
        for part in parts
        for n, text in zip(part.unparsed_line_nos[:3], part.unparsed_examples, strict=False)
    }
    return ParsedLines(
        events=_concat([part.events for part in parts]),
        lines=sum(part.lines for part in parts),
        blank=sum(part.blank for part in parts),
        continuation=sum(part.continuation for part in parts),
        unparsed_line_nos=unparsed,
        unparsed_examples=[examples[n] for n in unparsed[:3] if n in examples],
    )


def _concat(pieces: list[pd.DataFrame]) -> pd.DataFrame:
    """Events of several parses in file order, conformed again (categories differ per piece)."""
    pieces = [piece for piece in pieces if len(piece)]
    if not pieces:
        return empty_events()
    if len(pieces) == 1:
        return pieces[0]
    objects = [
        piece.astype({c: object for c in piece.select_dtypes("category")}) for piece in pieces
    ]
    events = pd.concat(objects, ignore_index=True).sort_values("line_no", kind="stable")
    return conform(events)


def _finish(result: ParsedLines, primary: str | None, services: list[str]) -> ParsedFile:
    formats: dict[str, int] = {}
    if len(result.events):
        counts = result.events["format"].astype(object).value_counts()
        formats = {str(name): int(count) for name, count in counts.items()}
    winner = max(formats, key=lambda name: (formats[name], name == primary)) if formats else primary
    return ParsedFile(
        events=result.events,  # conformed by parse_lines, _concat or _relocate
        lines=result.lines,
        blank=result.blank,
        continuation=result.continuation,
        unparsed_line_nos=result.unparsed_line_nos,
        unparsed_examples=result.unparsed_examples,
        format=winner,
        formats=dict(sorted(formats.items(), key=lambda item: (-item[1], item[0]))),
        compose_services=services,
    )
