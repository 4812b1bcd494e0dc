"""Turn timestamp text into UTC instants: once per unique string, with an explicit format.

A log file repeats the same second thousands of times, so parsing the unique strings and mapping
back is far cheaper than parsing every line; dateutil is only the last resort for odd leftovers.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from dateutil import parser as dateutil_parser

from pipeline.errors import PostmortemError

_OFFSET = re.compile(r"^(?:UTC|GMT)?([+-])(\d{1,2}):?(\d{2})?$")
# A zone at the end of a timestamp: a numeric offset or `Z` (what `_parse_unique` treats as zoned).
_TRAILING_OFFSET = r"(?:(?P<sign>[+-])(?P<hours>\d\d):?(?P<minutes>\d\d)|(?P<utc>Z))\s*$"


@dataclass(frozen=True)
class TimeOptions:
    """How to place timestamps that do not say everything about themselves."""

    tz: str | None = None  # zone the user stated for timestamps without one; None: infer it
    year: int | None = None  # year for RFC 3164 syslog, which has none
    tz_for: tuple[tuple[str, str], ...] = ()  # (glob, zone) from `--tz-for GLOB=ZONE`
    host_for: tuple[tuple[str, str], ...] = ()  # (glob, host) from `--host-for GLOB=NAME`


def resolve_zone(name: str) -> dt.tzinfo:
    """An IANA zone name, `UTC`/`Z`, or a fixed offset like `+05:30`, `-0700`, `UTC+2`."""
    text = name.strip()
    if text.upper() in {"UTC", "Z", "GMT"}:
        return dt.UTC
    match = _OFFSET.match(text)
    if match:
        sign, hours, minutes = match.groups()
        delta = dt.timedelta(hours=int(hours), minutes=int(minutes or 0))
        if delta > dt.timedelta(hours=14):
            raise PostmortemError(f"time zone offset out of range: {name!r}")
        return dt.timezone(-delta if sign == "-" else delta)
    try:
        return zoneinfo.ZoneInfo(text)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise PostmortemError(
            f"unknown time zone {name!r} (use an IANA name like Europe/Berlin or an offset like"
            " +05:30)"
        ) from None


def parse_timestamps(text: pd.Series, fmt: str | None, tz: str | None = "UTC") -> pd.Series:
    """Parse `text` into datetime64[ns, UTC], localising zone-less values to `tz`.

    `fmt` is a strptime format or "ISO8601"; values it cannot read fall back to dateutil, and what
    dateutil cannot read either becomes NaT (the caller counts those lines as unparsed).
    """
    return parse_times(text, fmt, tz)[0]


def parse_times(
    text: pd.Series, fmt: str | None, tz: str | None = "UTC"
) -> tuple[pd.Series, pd.Series]:
    """`parse_timestamps`, plus the UTC offset (minutes, Int16) each value stated itself.

    The offset is <NA> where the text carried no zone: those instants depend on `tz` (None reads
    them as UTC wall clock), and `pipeline.zones` may later decide which zone they were written in.
    """
    if text.empty:
        empty = pd.Series(pd.DatetimeIndex([], tz="UTC"), index=text.index)
        return empty, pd.Series([], dtype=pd.Int16Dtype(), index=text.index)
    codes, unique_text = factorize_text(text)
    parsed, offsets = _parse_unique(unique_text, fmt, resolve_zone(tz or "UTC"))
    values = parsed.to_numpy(dtype="datetime64[ns]")
    out = np.full(len(codes), np.datetime64("NaT"), dtype="datetime64[ns]")
    valid = codes >= 0
    out[valid] = values[codes[valid]]
    stated = np.full(len(codes), np.nan)
    stated[valid] = offsets[codes[valid]]
    stated[np.isnat(out)] = np.nan
    ts = pd.Series(pd.DatetimeIndex(out).tz_localize("UTC"), index=text.index)
    offset = pd.Series(pd.array(stated, dtype="Float64"), index=text.index).astype("Int16")
    return ts, offset


def factorize_text(text: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """Per row, the index of its text among the distinct texts (-1: missing), and those texts
    in order of first appearance (the order DST inference reads them in).

    Categorical text (the syslog parsers' time text) is factorized by its codes: a million
    Python strings to hash cost a tenth of a second, a million integers next to nothing.
    """
    if not isinstance(text.dtype, pd.CategoricalDtype):
        codes, uniques = pd.factorize(text.astype(object), use_na_sentinel=True)
        return codes, pd.Series(uniques, dtype=object)
    category_codes = text.cat.codes.to_numpy()
    present = category_codes >= 0
    codes = np.full(len(text), -1, dtype=np.intp)
    codes[present], used = pd.factorize(category_codes[present])
    distinct = np.asarray(text.cat.categories, dtype=object)[used]
    return codes, pd.Series(distinct, dtype=object)


def _parse_unique(
    text: pd.Series, fmt: str | None, zone: dt.tzinfo
) -> tuple[pd.Series, np.ndarray]:
    """Parse unique strings; returns naive UTC datetimes and the offsets they stated (NaN: none)."""
    offsets = _stated_offsets(text)
    has_offset = ~np.isnan(offsets)
    result = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    for zoned in (True, False):
        part = text[has_offset == zoned]
        if part.empty:
            continue
        parsed = pd.to_datetime(part, format=fmt, errors="coerce", utc=zoned)
        if not zoned:
            parsed = localize(parsed, zone)
        result.loc[part.index] = parsed.dt.tz_convert("UTC").dt.tz_localize(None)
    missing = np.flatnonzero((result.isna() & text.notna()).to_numpy())
    for position in missing:
        stamp, offset = _dateutil(text.iloc[position], zone)
        result.iloc[position] = stamp
        offsets[position] = offset
    return result, offsets


def _stated_offsets(text: pd.Series) -> np.ndarray:
    """Minutes east of UTC that each string ends with (`+05:30`, `-0700`, `Z`); NaN for none.

    Arrow's regex engine, not pandas' per-string `re`: JSON logs with milliseconds have nearly
    as many distinct timestamps as lines.
    """
    parts = pc.extract_regex(pa.array(text, pa.string(), from_pandas=True), _TRAILING_OFFSET)
    matched = parts.is_valid().to_numpy(zero_copy_only=False)
    offsets = np.full(len(text), np.nan)
    if not matched.any():
        return offsets
    numbers = []
    for name in ("hours", "minutes"):
        digits = pc.fill_null(parts.field(name), "")
        digits = pc.if_else(pc.equal(digits, ""), "0", digits)
        numbers.append(pc.cast(digits, pa.int64()).to_numpy(zero_copy_only=False))
    sign = np.where(
        pc.fill_null(parts.field("sign"), "").to_numpy(zero_copy_only=False) == "-", -1, 1
    )
    offsets[matched] = (sign * (numbers[0] * 60 + numbers[1]))[matched]
    return offsets


def localize(naive: pd.Series, zone: dt.tzinfo) -> pd.Series:
    """Wall-clock times in `zone` as aware times; DST folds inferred from order, gaps shifted."""
    if zone is dt.UTC:
        return naive.dt.tz_localize("UTC")
    try:
        return naive.dt.tz_localize(zone, ambiguous="infer", nonexistent="shift_forward")
    except Exception:  # ambiguous DST hour that cannot be inferred: take standard time
        flags = np.zeros(len(naive), dtype=bool)
        return naive.dt.tz_localize(zone, ambiguous=flags, nonexistent="shift_forward")


def _dateutil(value: str, zone: dt.tzinfo) -> tuple[pd.Timestamp, float]:
    """The last resort for odd leftovers: (naive UTC instant, stated offset in minutes or NaN)."""
    try:
        stamp = dateutil_parser.parse(value)
    except (ValueError, OverflowError, TypeError):
        return pd.NaT, np.nan
    offset = np.nan
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=zone)
    else:
        delta = stamp.utcoffset()
        offset = delta.total_seconds() / 60 if delta is not None else np.nan
    return pd.Timestamp(stamp).tz_convert("UTC").tz_localize(None), offset


@dataclass
class YearlessTimes:
    """Year-less time text (RFC 3164's `Mar  4 02:31:07`) of a file's parsed lines, in file
    order, as what choosing the year needs: each distinct text once, and a code per line.

    The year rule needs every line in view (a New Year rollover anywhere moves the base year),
    but only through the month of each line: blocks of a large file each give their part, the
    parts are joined (`join`), and the year is chosen and the times read once at the end.
    """

    texts: list[str]  # distinct texts, whitespace runs squeezed, in order of first appearance
    months: np.ndarray  # float, the month of each text (NaN: not a date)
    codes: np.ndarray  # int64 per line: index into `texts`, -1 where the line had none

    @classmethod
    def of(cls, text: pd.Series, fmt: str) -> YearlessTimes:
        """The time text of one batch of lines, read with `fmt` (a strptime format)."""
        codes, distinct = factorize_text(text)
        squeezed = [re.sub(r"\s+", " ", value) for value in distinct]
        merged, texts = pd.factorize(pd.Series(squeezed, dtype=object))
        texts = list(texts)
        out = np.where(codes >= 0, merged[np.maximum(codes, 0)] if len(merged) else -1, -1)
        # The month by a leap year: `Feb 29` has one, whatever year the file turns out to be in.
        months = pd.to_datetime(
            pd.Series(["2000 " + value for value in texts], dtype=object),
            format="%Y " + fmt,
            errors="coerce",
        ).dt.month.to_numpy(dtype=np.float64)
        return cls(texts, months, out.astype(np.int64))

    @classmethod
    def join(cls, parts: Sequence[YearlessTimes]) -> YearlessTimes:
        """The parts of consecutive batches as one, texts still in order of first appearance."""
        index: dict[str, int] = {}
        months: list[float] = []
        codes = []
        for part in parts:
            remap = np.empty(len(part.texts) + 1, dtype=np.int64)
            remap[-1] = -1  # code -1 stays missing
            for position, value in enumerate(part.texts):
                if value not in index:
                    index[value] = len(index)
                    months.append(part.months[position])
                remap[position] = index[value]
            codes.append(remap[part.codes])
        joined = np.concatenate(codes) if codes else np.zeros(0, np.int64)
        return cls(list(index), np.asarray(months, dtype=np.float64), joined)

    def __len__(self) -> int:
        return len(self.codes)

    def take(self, rows: np.ndarray) -> YearlessTimes:
        """The same texts for the lines `rows` (positions or a mask) selects only."""
        return YearlessTimes(self.texts, self.months, self.codes[rows])

    def read_in(self, year: int, fmt: str) -> np.ndarray:
        """Each line's time in `year`, no rollover, as UTC wall clock (datetime64[ns], NaT
        where the text is no date in that year)."""
        text = pd.Series([f"{year} {value}" for value in self.texts], dtype=object)
        distinct = parse_timestamps(text, "%Y " + fmt, None).to_numpy(dtype="datetime64[ns]")
        out = np.full(len(self.codes), np.datetime64("NaT"), dtype="datetime64[ns]")
        present = self.codes >= 0
        out[present] = distinct[self.codes[present]]
        return out

    def rolled(self) -> np.ndarray:
        """New Years passed before each line: a month more than six below the line before's.

        A line without a month (no date, or none at all) neither rolls over nor lets the line
        after it roll over, as a difference with a missing month is no number.
        """
        month = np.full(len(self.codes), np.nan)
        present = self.codes >= 0
        month[present] = self.months[self.codes[present]]
        wraps = np.diff(month) < -6
        return np.concatenate([[0], np.cumsum(wraps)]).astype(np.int64)[: len(month)]

    def choose(
        self,
        fmt: str,
        time: TimeOptions,
        year_hint: tuple[pd.Timestamp, pd.Timestamp] | None,
        year_default: int | None,
    ) -> np.ndarray:
        """UTC instants (datetime64[ns], NaT where unreadable), the year chosen for the file.

        The base year is, in order: `--year`; the year that puts the file closest to the span
        the other sources cover (the latest, when several put it inside); the file's mtime year
        (its last line was written then). Each distinct (year, text) is read once.
        """
        rolled = self.rolled()
        wraps = int(rolled[-1]) if len(rolled) else 0
        present = self.codes >= 0
        keys = rolled * max(len(self.texts), 1) + self.codes
        row_pair = np.full(len(self.codes), -1, dtype=np.intp)
        row_pair[present], pairs = pd.factorize(keys[present])
        pair_rolled = pairs // max(len(self.texts), 1)
        pair_text = [self.texts[code] for code in pairs % max(len(self.texts), 1)]

        def with_base(base: int) -> np.ndarray:
            strings = [
                f"{base + r} {t}" for r, t in zip(pair_rolled.tolist(), pair_text, strict=True)
            ]
            text = pd.Series(strings, dtype=object)
            return parse_timestamps(text, "%Y " + fmt, time.tz).to_numpy(dtype="datetime64[ns]")

        if time.year is not None:
            best = with_base(time.year)
        elif year_hint is not None:
            # Years around both ends of the span; among those that put the file inside it, the
            # latest: one stray line from 1970 in another log must not send this one back in time.
            start, end = year_hint
            candidates = {*range(start.year - 1 - wraps, start.year + 1)}
            candidates |= {*range(end.year - 1 - wraps, end.year + 1)}
            placed = {base: with_base(base) for base in sorted(candidates)}
            best = placed[
                min(placed, key=lambda base: (_distance(placed[base], start, end), -base))
            ]
        else:
            best = with_base((year_default or pd.Timestamp.now(tz="UTC").year) - wraps)
        out = np.full(len(self.codes), np.datetime64("NaT"), dtype="datetime64[ns]")
        out[present] = best[row_pair[present]]
        return out


def _distance(instants: np.ndarray, start: pd.Timestamp, end: pd.Timestamp) -> float:
    """Seconds between the span of `instants` (naive UTC) and [start, end]; inf if none."""
    known = instants[~np.isnat(instants)]
    if not len(known):
        return float("inf")
    first = pd.Timestamp(known.min()).tz_localize("UTC")
    last = pd.Timestamp(known.max()).tz_localize("UTC")
    gap_before = max((start - last).total_seconds(), 0.0)
    gap_after = max((first - end).total_seconds(), 0.0)
    return gap_before + gap_after
