"""Read what the user pointed at into one events table, with an account of every file.

`pipeline.inputs` turns paths into text streams; this module detects and parses each stream and
keeps the books: per file, what format read it, how many lines became events, and what it could
not read. A postmortem built on logs that were silently half-read is worse than none.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from parsers import detect_format, get_format
from parsers.base import LogFormat, extra_formats
from parsers.log_format import compile_log_format
from parsers.mixed import ParsedFile, YearNeedsWholeFile, parse_blocks, parse_file
from parsers.timestamps import TimeOptions
from pipeline.clocks import Clocks, ClockSkew, place_clocks
from pipeline.engine import Engine, LocalEngine
from pipeline.errors import PostmortemError
from pipeline.globs import matches_glob, parse_glob_rules
from pipeline.inputs import (
    Input,
    Skipped,
    Source,
    Unreadable,
    find_sources,
    read_source,
    rotation_key,
)
from pipeline.memory import release_memory
from pipeline.schema import (
    CATEGORY,
    COLUMNS,
    concat_column,
    conform,
    empty_events,
    project,
    validate,
)


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
    year_rule: str | None = None  # year-less files: "--year", "bundle" or "file date"
    tz_assumed: str | None = None  # zone given to zone-less timestamps
    tz_rule: str | None = None  # why: "stated", "same host", "aligned", "other hosts", "assumed"
    tz_evidence: str | None = None  # the evidence behind `tz_rule`, in words
    tz_score: float | None = None  # the alignment's correlation, for "aligned"
    host: str | None = None  # the machine the file came from, where a clue named it
    host_rule: str | None = None  # "--host-for", "folder", "syslog hostname", "same folder"
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
    skew: list[ClockSkew] = field(default_factory=list)  # hosts whose clocks disagree


FormatRule = tuple[str, str]  # (glob, format name) from `--format-for GLOB=FORMAT`


def parse_format_rules(values: Iterable[str]) -> tuple[FormatRule, ...]:
    """`GLOB=FORMAT` options checked up front: a typo in a format name must not cost a run."""
    rules = parse_glob_rules(values, "--format-for", "FORMAT")
    for _, name in rules:
        try:
            get_format(name)
        except KeyError as error:
            raise PostmortemError(str(error.args[0])) from None
    return rules


def forced_format(name: str, rules: Sequence[FormatRule]) -> LogFormat | None:
    """The format the first matching rule forces on `name` (a path or `bundle!member`)."""
    for pattern, format_name in rules:
        if matches_glob(name, pattern):
            return get_format(format_name)
    return None


@dataclass(frozen=True)
class ReadPlan:
    """What reading any one source needs besides the source itself (picklable: a task's input)."""

    time: TimeOptions = field(default_factory=TimeOptions)  # wall clock: only `year` matters
    format_for: tuple[FormatRule, ...] = ()
    nginx_log_format: str | None = None  # compiled (and registered) wherever the task runs
    year_hint: tuple[pd.Timestamp, pd.Timestamp] | None = None  # for year-less streams
    columns: tuple[str, ...] | None = None  # the events' columns to keep; None: all of them
    compact: bool = False  # text columns as categories (`pipeline.schema.CATEGORICAL_TEXT`)

    def keep(self, events: pd.DataFrame) -> pd.DataFrame:
        """`events` as the caller asked for them: only its columns, compact or not."""
        return project(events, self.columns, self.compact)


@dataclass
class ParsedInput:
    """One stream, parsed: its events and the accounting its file report needs (no lines)."""

    item: Input  # with its lines let go
    parsed: ParsedFile
    forced: bool
    yearless: bool  # its format has no year: parsed in the second round, with the bundle's span


@dataclass(frozen=True)
class Deferred:
    """A year-less stream met in the first round: it waits for the span of the others."""

    name: str


def parse_source(
    source: Source, plan: ReadPlan, yearless: bool = False
) -> list[ParsedInput | Skipped | Deferred]:
    """Read one source and parse its streams: those with a year, or (`yearless`) those without.

    A pure function of its arguments, so that it runs the same in this process or as a task on
    another machine (`pipeline.engine`).
    """
    custom = [compile_log_format(plan.nginx_log_format)] if plan.nginx_log_format else []
    out: list[ParsedInput | Skipped | Deferred] = []
    with extra_formats(custom):
        for item in read_source(source):
            if isinstance(item, Skipped):
                if not yearless:
                    out.append(item)
                continue
            forced = forced_format(item.name, plan.format_for)
            detected = forced or detect_format(item.lines)
            is_yearless = detected is not None and detected.yearless
            if is_yearless != yearless:
                if not yearless:
                    out.append(Deferred(item.name))
                continue
            try:
                parsed, item = _parse_input(item, plan, forced, yearless, source)
            except Unreadable as error:  # a large file's later blocks proved corrupt
                out.append(Skipped(item.name, str(error)))
                continue
            lineless = dataclasses.replace(item, lines=pa.array([], pa.string()), rest=None)
            del item  # the lines are as large as the events: let go of them before the next
            out.append(ParsedInput(lineless, parsed, forced is not None, is_yearless))
    return out


def _parse_input(
    item: Input, plan: ReadPlan, forced: LogFormat | None, yearless: bool, source: Source
) -> tuple[ParsedFile, Input]:
    """One stream's events (trimmed to `plan.columns`), and the stream with the decoding counts
    of every block it was read in."""
    options = {"forced": forced, "year_default": _year(item.mtime)}
    year_hint = plan.year_hint if yearless else None
    if item.rest is None:
        parsed = parse_file(item.lines, plan.time, year_hint=year_hint, **options)
        parsed.events = plan.keep(parsed.events)
        return parsed, item
    counts = {"invalid_utf8": item.invalid_utf8, "truncated_lines": item.truncated_lines}

    def blocks() -> Iterator[pa.Array]:
        for chunk in item.rest:
            counts["invalid_utf8"] += chunk.invalid_utf8
            counts["truncated_lines"] += chunk.truncated_lines
            yield chunk.lines

    first = item.lines
    item = dataclasses.replace(item, lines=pa.array([], pa.string()))
    try:
        parsed = parse_blocks(
            first, blocks(), plan.time, keep=plan.keep, year_hint=year_hint, **options
        )
    except YearNeedsWholeFile:
        del first
        parsed = parse_file(_whole(source, item.name), plan.time, year_hint=year_hint, **options)
        parsed.events = plan.keep(parsed.events)
    return parsed, dataclasses.replace(item, **counts)


def _whole(source: Source, name: str) -> pa.Array:
    """Every line of stream `name` of `source`, read again and joined: for the rare year-less
    file whose blocks could not be given their year apart (`YearNeedsWholeFile`)."""
    for item in read_source(source):
        if isinstance(item, Input) and item.name == name:
            return pa.concat_arrays([item.lines, *(chunk.lines for chunk in item.rest or ())])
    raise Unreadable("changed while it was read")


def ingest(
    paths: Sequence[Path | str],
    time: TimeOptions | None = None,
    *,
    format_for: Sequence[FormatRule] = (),
    nginx_log_format: str | None = None,
    engine: Engine | None = None,
    columns: Sequence[str] | None = None,
    compact: bool = False,
) -> Ingested:
    """Read every file under `paths` into one events table sorted by time.

    Zone-less timestamps are parsed as wall clock, then placed in UTC per file once every file
    is read (`pipeline.zones`): a file's zone may come from another file of its host, or from
    lining it up with all of them. Events at the same instant keep the order of their files
    (rotated series oldest first) and lines, so a tie never reorders what happened.

    Sources are read and parsed one at a time by `engine` (in this process by default): files
    with full timestamps first, then, knowing the span those cover, the year-less syslog files,
    whose year is the one that puts them in that span.
    """
    time = time or TimeOptions()
    engine = engine or LocalEngine()
    plan = ReadPlan(
        TimeOptions(year=time.year),
        tuple(format_for),
        nginx_log_format,
        columns=None if columns is None else tuple(columns),
        compact=compact,
    )
    found = find_sources(paths)
    sources = [source for source in found if isinstance(source, Source)]
    first = iter(engine.map(functools.partial(parse_source, plan=plan), sources))
    # Every stream in the order it was found: the tie-break of the rotation order.
    results: list[ParsedInput | Skipped | Deferred] = []
    again: list[Source] = []
    for source in found:
        batch = [source] if isinstance(source, Skipped) else next(first)
        results += batch
        if any(isinstance(result, Deferred) for result in batch):
            again.append(source)
    names = [
        result.item.name if isinstance(result, ParsedInput) else result.name for result in results
    ]
    hint = None
    if again:
        hint = _year_hint([r.parsed.events for r in results if isinstance(r, ParsedInput)])
        second = engine.map(
            functools.partial(
                parse_source, plan=dataclasses.replace(plan, year_hint=hint), yearless=True
            ),
            again,
        )
        results += [result for batch in second for result in batch]
        del second
    ranked = sorted(names, key=rotation_key)
    order = {name: position for position, name in enumerate(ranked)}
    year_rule = "--year" if time.year else "bundle" if hint else "file date"
    return combine(results, order, time, year_rule, compact)


def combine(
    results: list[ParsedInput | Skipped | Deferred],
    order: dict[str, int],
    time: TimeOptions,
    year_rule: str,
    compact: bool = False,
) -> Ingested:
    """The parsed streams of a bundle on one clock, in one table, with a report per file.

    `order` ranks every stream (rotated series oldest first); `year_rule` says where the year of
    year-less streams came from.
    """
    files = [
        FileQuality(path=result.name, format=None, skipped=result.reason)
        for result in results
        if isinstance(result, Skipped)
    ]
    parsed = [result for result in results if isinstance(result, ParsedInput)]
    parsed.sort(key=lambda result: (result.yearless, order[result.item.name]))
    frames = {result.item.name: result.parsed.events for result in parsed}
    for result in parsed:  # only the counts are kept: `frames` holds the events
        result.parsed = dataclasses.replace(result.parsed, events=pd.DataFrame())
    clocks = place_clocks(frames, time)
    frames.clear()  # from here on, only the placed frames hold events
    for result in parsed:
        rule = year_rule if result.yearless or year_rule == "--year" else "file date"
        name = result.item.name
        files.append(
            _quality(result.item, result.parsed, clocks.frames[name], clocks, result.forced, rule)
        )

    files.sort(key=lambda q: order.get(q.path, len(order)))
    if not clocks.frames:
        return Ingested(events=empty_events(), files=files, skew=clocks.skew)
    placed = sorted(clocks.frames.items(), key=lambda entry: order[entry[0]])
    clocks.frames.clear()
    events = _merge(placed, compact)
    del placed
    release_memory()  # what parsing freed is not held under the analysis' peak
    return Ingested(events=events, files=files, skew=clocks.skew)


def _merge(placed: list[tuple[str, pd.DataFrame]], compact: bool = False) -> pd.DataFrame:
    """Every file's events in one table, by time, then file order, then line: built a column at a
    time, each column taken from the files' frames (and dropped from them) in sorted order.

    `pd.concat` + `sort_values` + `conform` held the files' frames, their concatenation (with
    categorical columns widened to Python objects where files' categories differed) and the
    sorted copy at once: 1.7 GB of peak memory for a 300 MB table. Results are the same: the
    categories are those the concatenation would have ended up with.
    """
    frames = [(name, frame) for name, frame in placed if len(frame)] or placed[:1]
    # Every frame has the schema's columns, or the same projection of them (`ReadPlan.keep`).
    kept = [name for name in COLUMNS if name in frames[0][1].columns]
    if not all(list(frame.columns) == kept for _, frame in frames):
        frames = [(name, conform(frame)[kept]) for name, frame in frames]
    sizes = np.array([len(frame) for _, frame in frames], dtype=np.int64)
    file_no = np.repeat(np.arange(len(frames), dtype=np.int64), sizes)
    ts = np.concatenate([_nanoseconds(frame["ts"]) for _, frame in frames])
    line_no = np.concatenate(
        [frame["line_no"].to_numpy(dtype=np.float64, na_value=np.nan) for _, frame in frames]
    )
    # Stable, with missing times and lines last, as `sort_values(na_position="last")` puts them.
    by_time = np.lexsort((line_no, file_no, ts, ts == _NAT))
    del ts, line_no

    # The file names, cast as `conform` cast the concatenated column of them.
    names = pd.Series([name for name, _ in frames])
    categories = names.astype(CATEGORY).cat.categories
    codes = categories.get_indexer(names)[file_no[by_time]]
    columns = {
        "source_file": pd.Categorical.from_codes(codes, dtype=pd.CategoricalDtype(categories))
    }
    del file_no, codes
    for column in kept:
        if column != "source_file":
            pieces = [frame.pop(column) for _, frame in frames]  # freed column by column
            columns[column] = concat_column(pieces).array.take(by_time)
            del pieces
            release_memory()
    # Every column is new and already in its schema dtype: `conform` would only copy them.
    merged = pd.DataFrame({name: columns[name] for name in kept}, copy=False)
    return validate(merged, kept, compact)


_NAT = np.iinfo(np.int64).min  # NaT as nanoseconds


def _nanoseconds(ts: pd.Series) -> np.ndarray:
    """UTC timestamps as int64 nanoseconds (NaT as `_NAT`), without a copy where possible."""
    return ts.dt.tz_convert(None).to_numpy(dtype="datetime64[ns]").view(np.int64)


def _quality(
    item: Input,
    parsed: ParsedFile,
    events: pd.DataFrame,
    clocks: Clocks,
    forced: bool,
    year_rule: str,
) -> FileQuality:
    quality = FileQuality(
        path=item.name,
        format=parsed.format,
        lines=parsed.lines,
        events=len(events),
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
    if len(events):
        quality.first = events["ts"].min()
        quality.last = events["ts"].max()
    if any(get_format(name).yearless for name in parsed.formats):
        quality.year_rule = year_rule
        quality.year_assumed = year_rule != "--year"
    host = clocks.hosts.get(item.name)
    if host is not None:
        quality.host, quality.host_rule = host.name, host.rule
    zone = clocks.zones.get(item.name)
    if zone is not None:
        quality.tz_assumed, quality.tz_rule, quality.tz_evidence = (
            zone.zone,
            zone.rule,
            zone.evidence,
        )
        quality.tz_score = zone.score
    return quality


def _year_hint(frames: Sequence[pd.DataFrame]) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """The span the bundle's zoned logs cover, else the span of every dated log: year-less
    syslog takes the year that puts it closest to it."""
    zoned = [frame["ts"][frame["utc_offset"].notna().to_numpy()] for frame in frames]
    return _span(zoned) or _span(frame["ts"] for frame in frames)


def _span(times: Iterable[pd.Series]) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    known = [ts for ts in times if ts.notna().any()]
    if not known:
        return None
    return min(ts.min() for ts in known), max(ts.max() for ts in known)


def _year(mtime: float | None) -> int | None:
    """The year the file was last written: its last year-less line was written then."""
    if mtime is None:
        return None
    return dt.datetime.fromtimestamp(mtime, dt.UTC).year
