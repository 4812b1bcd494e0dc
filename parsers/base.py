"""The format registry: a log format is data plus its own sample lines.

A format says how to recognise its lines (`sniff`, an RE2 regex run vectorised by pyarrow), how to
parse a batch of them (`parse`, lines in, columns out), how to read its timestamps, and which lines
it must parse to what (`samples`). `register` refuses a format whose samples it does not recognise,
and one parametrised test checks every registered sample, so adding a format needs no new plumbing.

`parse_lines` is the one driver every format goes through: detection, multi-line folding,
timestamps, severity and the line accounting (`events` + `continuation` + `unparsed` + `blank` ==
`lines`) live here once, not in each format.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from parsers.appfields import whole_numbers
from parsers.timestamps import TimeOptions, YearlessTimes, parse_times
from pipeline.memory import release_memory
from pipeline.schema import SEVERITY, SEVERITY_LEVELS, STRING, conform

# A parse function: a batch of event-start lines in, a frame indexed by the positions (in the
# batch) of the lines it understood out. Columns are schema columns plus, optionally, `ts_text`
# (read centrally with the format's `ts_format`) and `level` (a level word to normalise).
ParseFunction = Callable[[pa.Array], pd.DataFrame]

DETECT_LINES = 200  # lines that vote on a file's format


@dataclass(frozen=True)
class Sample:
    """A line (or a multi-line event) that a format must parse, with what it must give."""

    line: str
    severity: str
    fields: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class LogFormat:
    name: str
    description: str
    sniff: str  # RE2 regex matched against the first line of each event
    parse: ParseFunction
    samples: Sequence[Sample]
    ts_format: str | None = None  # strptime format or "ISO8601" for `ts_text`
    yearless: bool = False  # `ts_text` has no year (RFC 3164): the driver supplies it
    multiline: bool = False  # lines that do not sniff continue the previous event
    continues: str | None = None  # if set, RE2 regex a multiline continuation must match
    specificity: int = 0  # breaks ties when several formats recognise the same lines
    parse_is_sniff: bool = False  # `parse` keeps exactly the lines `sniff` matches, no others
    # RE2 regex: a message that repeats the event before it (`last message repeated 3 times`),
    # whose program, host, pid and severity it takes where it names none.
    repeats: str | None = None

    def matches(self, lines: pa.Array) -> np.ndarray:
        """Boolean mask of the lines this format recognises as the start of an event."""
        if len(lines) == 0:
            return np.zeros(0, dtype=bool)
        mask = pc.match_substring_regex(lines, self.sniff)
        return mask.fill_null(False).to_numpy(zero_copy_only=False)


_REGISTRY: dict[str, LogFormat] = {}


def register(fmt: LogFormat) -> LogFormat:
    """Add `fmt` to the registry after checking that it recognises its own samples."""
    if not fmt.samples:
        raise ValueError(f"format {fmt.name!r} has no sample lines")
    if fmt.name in _REGISTRY:
        raise ValueError(f"format {fmt.name!r} registered twice")
    for sample in fmt.samples:
        first = sample.line.split("\n", 1)[0]
        if not fmt.matches(pa.array([first], pa.string()))[0]:
            raise ValueError(f"format {fmt.name!r} does not recognise its sample {first!r}")
    _REGISTRY[fmt.name] = fmt
    return fmt


@contextmanager
def extra_formats(formats: Sequence[LogFormat]) -> Iterator[None]:
    """Make user-defined formats (e.g. `--nginx-log-format`) known for the duration of a run.

    They have no sample lines to check, and they must not outlive the run that asked for them.
    """
    added = [fmt for fmt in formats if fmt.name not in _REGISTRY]
    for fmt in formats:
        if fmt.name in _REGISTRY and _REGISTRY[fmt.name] is not fmt:
            raise ValueError(f"format {fmt.name!r} is already registered")
        _REGISTRY[fmt.name] = fmt
    try:
        yield
    finally:
        for fmt in added:
            _REGISTRY.pop(fmt.name, None)


def registered() -> list[LogFormat]:
    """All formats, in registration order."""
    return list(_REGISTRY.values())


def get_format(name: str) -> LogFormat:
    try:
        return _REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY))
        raise KeyError(f"unknown format {name!r} (known: {known})") from None


def detect_format(lines: Sequence[str] | pa.Array) -> LogFormat | None:
    """The format that recognises most of the first non-blank lines; None if none does.

    Ties go to the more specific format (a JSON line is also "some text").
    """
    array = lines if isinstance(lines, pa.Array) else pa.array(list(lines), pa.string())
    sample = first_non_blank(array, DETECT_LINES)
    best: tuple[int, int] = (0, 0)
    winner = None
    for fmt in registered():
        votes = int(fmt.matches(sample).sum())
        if votes and (votes, fmt.specificity) > best:
            best, winner = (votes, fmt.specificity), fmt
    return winner


def first_non_blank(array: pa.Array, count: int) -> pa.Array:
    """The first `count` non-blank lines of `array`, looking at no more of it than needed.

    Filtering a whole file of a million lines to vote on 200 of them cost a third of a second,
    three times per file (format detection twice, the compose-prefix check); a head that doubles
    until it holds enough lines gives the same lines.
    """
    head = count
    while True:
        window = array.slice(0, head)
        non_blank = window.filter(pc.invert(_blank_mask(window)))
        if len(non_blank) >= count or head >= len(array):
            return non_blank.slice(0, count)
        head *= 2


# What a repeat takes from the event before it.
REPEATED_COLUMNS = ("service", "host", "pid", "severity", "level")


@dataclass
class DeferredYear:
    """A block's year-less times, left for the caller to give a year once every block of the
    file is read (`parsers.mixed.parse_blocks`): the year depends on all of them."""

    times: YearlessTimes  # every line the format parsed (event or not), in order
    events: np.ndarray  # bool per such line: it became an event (its text is a date in 2000)


@dataclass
class ParsedLines:
    """What one batch of lines gave: events, and the accounting of every line."""

    events: pd.DataFrame  # conformed to the schema; source_file left empty for the caller
    lines: int
    blank: int
    continuation: int  # lines folded into the event before them
    unparsed_line_nos: list[int]  # 1-based
    unparsed_examples: list[str]
    # A block of a larger file only: its times without their year (`defer_year`), and what the
    # next block's repeats take from it (`repeated`).
    deferred: DeferredYear | None = field(default=None, repr=False)
    repeated: dict[str, object] | None = field(default=None, repr=False)

    @property
    def unparsed(self) -> int:
        return len(self.unparsed_line_nos)


def parse_lines(
    lines: Sequence[str] | pa.Array,
    fmt: LogFormat,
    time: TimeOptions | None = None,
    *,
    year_hint: tuple[pd.Timestamp, pd.Timestamp] | None = None,
    year_default: int | None = None,
    first_line_no: int = 1,
    hold_back_last: bool = False,
    defer_year: bool = False,
    repeated: dict[str, object] | None = None,
) -> ParsedLines:
    """Parse `lines` (one file, in order) with `fmt` into events of the schema.

    `year_hint` is the time span other sources of the bundle cover and `year_default` the year of
    the file's mtime: both only matter for year-less formats when `time.year` is not given.
    `hold_back_last` (for a block of a larger file) leaves out the last event and every line
    after it: the result covers the first `lines` lines only.

    For a block of a larger file, `defer_year` leaves year-less times without their year (the
    events' `ts` is a placeholder; `deferred` holds what choosing the year needs), and
    `repeated` is what the blocks before left for this one's repeats to take.
    """
    time = time or TimeOptions()
    array = lines if isinstance(lines, pa.Array) else pa.array(list(lines), pa.string())
    n = len(array)
    blank = _blank_mask(array).to_numpy(zero_copy_only=False) if n else np.zeros(0, bool)
    # A format whose parse keeps exactly the lines its sniff matches is handed every non-blank
    # line: running the sniff first would be the same regex pass twice.
    starts = ~blank if fmt.parse_is_sniff and not fmt.multiline else fmt.matches(array) & ~blank
    start_pos = np.flatnonzero(starts)

    release_memory()  # detection's copies of the lines
    parsed = fmt.parse(_subset(array, start_pos)) if len(start_pos) else None
    release_memory()  # the parser's intermediates (a JSON batch's whole table)
    parsed_pos = (
        start_pos[parsed.index.to_numpy(dtype=np.int64)] if parsed is not None else start_pos[:0]
    )
    frame = parsed.reset_index(drop=True) if parsed is not None else pd.DataFrame()
    repeat = _attribute_repeats(frame, fmt, repeated)
    times = None
    if defer_year and fmt.yearless:
        frame, times = _leap_year_times(frame, fmt)
    else:
        frame = _with_time(frame, fmt, time, year_hint, year_default)
    valid_time = frame["ts"].notna().to_numpy() if len(frame) else np.zeros(0, bool)
    every_parsed = frame
    frame = frame[valid_time].reset_index(drop=True)
    event_pos = parsed_pos[valid_time]

    is_event = np.zeros(n, dtype=bool)
    is_event[event_pos] = True
    continuation = np.zeros(n, dtype=bool)
    if fmt.multiline and len(event_pos):
        owner = np.cumsum(is_event) - 1  # index of the event each line follows
        continuation = ~is_event & ~starts & ~blank & (owner >= 0)
        if fmt.continues is not None:  # other lines stay unparsed (and are reported)
            follows = pc.match_substring_regex(array, fmt.continues).fill_null(False)
            continuation &= follows.to_numpy(zero_copy_only=False)
        # A blank line inside a traceback belongs to it; trailing blanks of a file do not matter.
        continuation |= blank & (owner >= 0) & _followed_by_continuation(continuation, blank)
        continuation &= ~is_event
        if continuation.any():
            frame["message"] = _fold(frame["message"], array, owner, continuation)
    unparsed = ~is_event & ~continuation & ~blank
    if hold_back_last:
        # The lines from the last event on are left for the caller to parse again with what
        # follows them (its continuation lines may be in the next block): `lines` says where.
        n = int(event_pos[-1]) if len(event_pos) else 0
        frame = frame.iloc[: len(event_pos) - 1] if len(event_pos) else frame.iloc[:0]
        event_pos = event_pos[: len(frame)]
        blank, continuation, unparsed = blank[:n], continuation[:n], unparsed[:n]
    unparsed_pos = np.flatnonzero(unparsed)
    kept = parsed_pos < n  # the parsed lines this result covers
    deferred = None if times is None else DeferredYear(times.take(kept), valid_time[kept])
    if fmt.repeats is not None:
        repeated = _left_for_repeats(every_parsed, repeat, kept, repeated)
    del every_parsed

    frame["line_no"] = event_pos + first_line_no
    frame["format"] = _format_column(fmt.name, len(frame))
    frame["severity"] = _severity(frame)
    examples = array.take(pa.array(unparsed_pos[:3], pa.int64())).to_pylist()
    return ParsedLines(
        events=conform(_missing_names_as_objects(frame)),
        lines=n,
        blank=int((blank & ~continuation).sum()),
        continuation=int(continuation.sum()),
        unparsed_line_nos=(unparsed_pos + first_line_no).tolist(),
        unparsed_examples=examples,
        deferred=deferred,
        repeated=repeated if fmt.repeats is not None else None,
    )


def _attribute_repeats(
    frame: pd.DataFrame, fmt: LogFormat, before: dict[str, object] | None
) -> np.ndarray:
    """Give repeats (`fmt.repeats`) the program, host, pid and severity of the event before
    them, where they name none; returns which parsed lines are repeats.

    "The event before" is the last line that is no repeat and has the value, as a forward fill
    finds it; `before` holds those values from the blocks before this one. A repeat stays an
    event of its own (its count is in its message).
    """
    if fmt.repeats is None or not len(frame):
        return np.zeros(len(frame), dtype=bool)
    message = pa.array(frame["message"], pa.string(), from_pandas=True)
    repeat = pc.match_substring_regex(message, fmt.repeats).fill_null(False)
    repeat = repeat.to_numpy(zero_copy_only=False)
    if not repeat.any():
        return repeat
    for column in REPEATED_COLUMNS:
        if column not in frame.columns:
            continue
        values = frame[column].astype(object)
        previous = values.mask(repeat).ffill()
        if before and before.get(column) is not None:
            previous = previous.where(previous.notna(), before[column])
        frame[column] = values.where(~repeat | values.notna(), previous).to_numpy()
    if "pid" in frame.columns:  # back from the objects the fill went through
        frame["pid"] = whole_numbers(frame["pid"])
    return repeat


def _left_for_repeats(
    frame: pd.DataFrame, repeat: np.ndarray, kept: np.ndarray, before: dict[str, object] | None
) -> dict[str, object]:
    """What a repeat in the next block takes: per column, the value of the last line of this
    one (among `kept`) that is no repeat and has one, else what the blocks before left."""
    out = dict(before or {})
    candidates = kept & ~repeat
    for column in REPEATED_COLUMNS:
        if column not in frame.columns:
            continue
        present = np.flatnonzero(candidates & frame[column].notna().to_numpy(dtype=bool))
        if len(present):
            out[column] = frame[column].iloc[int(present[-1])]
    return out


def _leap_year_times(frame: pd.DataFrame, fmt: LogFormat) -> tuple[pd.DataFrame, YearlessTimes]:
    """Year-less `ts_text` kept for the caller to give a year (`DeferredYear`), and `ts` as if
    every line were of 2000: only to tell lines with a date from lines without, and 2000 is a
    leap year, so `Feb 29` is a date whatever year the file turns out to be in."""
    text_format = fmt.ts_format or "%b %d %H:%M:%S"
    if "ts_text" not in frame.columns:
        empty = YearlessTimes.of(pd.Series([], dtype=object), text_format)
        return _with_time(frame, fmt, TimeOptions(), None, None), empty
    text = frame.pop("ts_text")
    if not isinstance(text.dtype, pd.CategoricalDtype):
        text = text.astype(object)
    times = YearlessTimes.of(text, text_format)
    instants = times.read_in(2000, text_format)
    frame["ts"] = pd.Series(pd.DatetimeIndex(instants).tz_localize("UTC"), index=frame.index)
    return frame, times


def _format_column(name: str, n: int) -> pd.Categorical | str:
    """Every event's format: one category (what casting `n` copies of `name` gives, without
    them); no rows are left as they always were."""
    if not n:
        return name
    return pd.Categorical.from_codes(np.zeros(n, np.int8), categories=pd.Index([name]))


def _missing_names_as_objects(frame: pd.DataFrame) -> pd.DataFrame:
    """Text columns of pandas' `str` dtype (syslog's hosts and programs) that hold no value at
    all, as Python objects.

    `conform` casts them to categories: from `str` those have `str` categories even when there
    are none, from objects (what parsers gave before they kept arrow text) object ones. Tables
    of different files are joined by their categories, so the empty case must not differ.
    """
    for name in frame.columns:
        column = frame[name]
        if column.dtype == _NAMES and not column.notna().any():
            frame[name] = column.astype(object)
    return frame


_NAMES = pd.StringDtype("pyarrow", na_value=np.nan)


def _subset(array: pa.Array, positions: np.ndarray) -> pa.Array:
    """The lines at `positions` (ascending); a slice, not a copy, when they are one run, as in
    a file whose every line starts an event: `take` copied the whole file's text."""
    if positions[-1] - positions[0] + 1 == len(positions):
        return array.slice(int(positions[0]), len(positions))
    return array.take(pa.array(positions, pa.int64()))


def _blank_mask(array: pa.Array) -> pa.Array:
    return pc.match_substring_regex(array, r"^\s*$").fill_null(True)


def _followed_by_continuation(continuation: np.ndarray, blank: np.ndarray) -> np.ndarray:
    """True for blank lines whose next non-blank line is a continuation."""
    n = len(blank)
    index = np.where(blank, n, np.arange(n))
    next_non_blank = np.minimum.accumulate(index[::-1])[::-1]
    has_next = next_non_blank < n
    out = np.zeros(n, dtype=bool)
    out[has_next] = continuation[next_non_blank[has_next]]
    return out & blank


def _fold(
    messages: pd.Series, array: pa.Array, owner: np.ndarray, continuation: np.ndarray
) -> pd.Series:
    """Append continuation lines to the message of the event they follow, joined by newlines."""
    cont_pos = np.flatnonzero(continuation)
    cont_text = pd.Series(array.take(pa.array(cont_pos, pa.int64())).to_pylist(), dtype=object)
    tails = cont_text.groupby(owner[cont_pos]).agg("\n".join)
    out = messages.astype(object).copy()
    heads = out.iloc[tails.index].fillna("")
    out.iloc[tails.index] = (heads + "\n" + tails.to_numpy()).to_numpy()
    return out


def _with_time(
    frame: pd.DataFrame,
    fmt: LogFormat,
    time: TimeOptions,
    year_hint: tuple[pd.Timestamp, pd.Timestamp] | None,
    year_default: int | None,
) -> pd.DataFrame:
    """`ts` from `ts_text`, and `utc_offset`: the offset the line stated, <NA> where it had none."""
    if "ts_text" not in frame.columns:
        if "ts" not in frame.columns:
            frame["ts"] = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns, UTC]")
        # Epoch numbers (journald, `$msec`) are absolute instants: nothing to infer about them.
        frame["utc_offset"] = pd.array(np.zeros(len(frame), np.int16), dtype=pd.Int16Dtype())
        return frame
    text = frame.pop("ts_text")
    if not isinstance(text.dtype, pd.CategoricalDtype):
        text = text.astype(object)
    if fmt.yearless:
        frame["ts"] = _yearless(
            text, fmt.ts_format or "%b %d %H:%M:%S", time, year_hint, year_default
        )
    else:
        frame["ts"], frame["utc_offset"] = parse_times(text, fmt.ts_format, time.tz)
    return frame


def _yearless(
    text: pd.Series,
    fmt: str,
    time: TimeOptions,
    year_hint: tuple[pd.Timestamp, pd.Timestamp] | None,
    year_default: int | None,
) -> pd.Series:
    """Give year-less timestamps a year, rolling over at New Year inside the file
    (`YearlessTimes.choose` says how the year is chosen)."""
    instants = YearlessTimes.of(text, fmt).choose(fmt, time, year_hint, year_default)
    return pd.Series(pd.DatetimeIndex(instants).tz_localize("UTC"), index=text.index)


_LEVEL_WORDS = {
    "trace": "debug", "debug": "debug", "dbg": "debug", "dbug": "debug", "d": "debug",
    "verbose": "debug", "fine": "debug", "finer": "debug", "finest": "debug",
    "info": "info", "inf": "info", "information": "info", "informational": "info", "i": "info",
    "notice": "notice", "note": "notice",
    "warn": "warning", "warning": "warning", "wrn": "warning", "w": "warning",
    "err": "error", "error": "error", "eror": "error", "e": "error", "severe": "error",
    "crit": "critical", "critical": "critical", "fatal": "critical", "f": "critical",
    "c": "critical",
    "alert": "alert", "a": "alert",
    "emerg": "emergency", "emergency": "emergency", "panic": "emergency",
}  # fmt: skip


def normalize_level(words: pd.Series) -> pd.Series:
    """Level words in any case or abbreviation to our severity names (unknown -> NA)."""
    mapping = {w: _LEVEL_WORDS.get(str(w).strip().lower()) for w in words.dropna().unique()}
    return words.astype(object).map(mapping)


def severity_from_pri(pri: pd.Series) -> pd.Series:
    """Syslog PRI (facility * 8 + severity) to our severity names."""
    codes = pd.to_numeric(pri, errors="coerce") % 8
    by_code = dict(enumerate(reversed(SEVERITY_LEVELS)))
    return codes.map(by_code)


def severity_from_status(status: pd.Series) -> pd.Series:
    """HTTP status: 5xx error, 4xx warning, anything else info."""
    numeric = pd.to_numeric(status, errors="coerce")
    out = pd.Series("info", index=status.index, dtype=object)
    out[numeric >= 400] = "warning"
    out[numeric >= 500] = "error"
    return out


def _severity(frame: pd.DataFrame) -> pd.Categorical:
    """Severity from what the format gave: `severity`, else a `level` word, else info.

    Worked out per distinct word and taken back by code: a million rows of Python strings to
    map and cast to categories cost a third of a second.
    """
    info = SEVERITY.categories.get_loc("info")
    out = np.full(len(frame), info, dtype=np.int8)
    if "level" in frame.columns:
        from_level = _codes_of(
            frame.pop("level"), lambda word: _LEVEL_WORDS.get(word.strip().lower())
        )
        out = np.where(from_level >= 0, from_level, out)
    if "severity" in frame.columns:
        given = frame["severity"]
        # A name that is no severity level is a missing severity, not info (as casting it is).
        named = _codes_of(given, lambda name: name)
        out = np.where(given.notna().to_numpy(dtype=bool), named, out)
    return pd.Categorical.from_codes(out, dtype=SEVERITY)


def _codes_of(values: pd.Series, name_of: Callable[[str], str | None]) -> np.ndarray:
    """Per row, the SEVERITY code of `name_of(str(value))`; -1 where that is no level or the
    value is missing."""
    codes, distinct = pd.factorize(values)
    names = [name_of(str(value)) for value in distinct]
    lookup = np.array([*SEVERITY.categories.get_indexer(names), -1], dtype=np.int8)
    return lookup[codes]  # code -1 (missing) takes the appended -1


def regex_parser(pattern: str) -> ParseFunction:
    """A parse function from an RE2 pattern with named groups, run by pyarrow on the batch.

    Groups named like schema columns (or `ts_text`, `level`) become those columns; empty captures
    and `-` become missing values, as nginx and syslog write them.
    """
    names = re.compile(pattern).groupindex

    def parse(lines: pa.Array) -> pd.DataFrame:
        matched = pc.match_substring_regex(lines, pattern).fill_null(False)
        positions = np.flatnonzero(matched.to_numpy(zero_copy_only=False))
        if not len(positions):
            return pd.DataFrame(index=pd.Index([], dtype=np.int64))
        subset = lines.filter(matched)
        struct = pc.extract_regex(subset, pattern)
        columns = {}
        for name in names:
            values = struct.field(name)
            nulls = pc.or_(pc.equal(values, ""), pc.equal(values, "-"))
            cleaned = pc.if_else(nulls, pa.scalar(None, pa.string()), values)
            columns[name] = pd.array(cleaned, dtype=STRING)
        return pd.DataFrame(columns, index=pd.Index(positions, dtype=np.int64))

    return parse
