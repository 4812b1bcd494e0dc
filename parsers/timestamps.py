"""Turn timestamp text into UTC instants: once per unique string, with an explicit format.

A log file repeats the same second thousands of times, so parsing the unique strings and mapping
back is far cheaper than parsing every line; dateutil is only the last resort for odd leftovers.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
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
    codes, uniques = pd.factorize(text.astype(object), use_na_sentinel=True)
    unique_text = pd.Series(uniques, dtype=object)
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
