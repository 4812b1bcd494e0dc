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
from dateutil import parser as dateutil_parser

from pipeline.errors import PostmortemError

_OFFSET = re.compile(r"^(?:UTC|GMT)?([+-])(\d{1,2}):?(\d{2})?$")


@dataclass(frozen=True)
class TimeOptions:
    """How to place timestamps that do not say everything about themselves."""

    tz: str = "UTC"  # zone for timestamps without an offset
    year: int | None = None  # year for RFC 3164 syslog, which has none


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


def parse_timestamps(text: pd.Series, fmt: str | None, tz: str = "UTC") -> pd.Series:
    """Parse `text` into datetime64[ns, UTC], localising zone-less values to `tz`.

    `fmt` is a strptime format or "ISO8601"; values it cannot read fall back to dateutil, and what
    dateutil cannot read either becomes NaT (the caller counts those lines as unparsed).
    """
    if text.empty:
        return pd.Series(pd.DatetimeIndex([], tz="UTC"), index=text.index)
    codes, uniques = pd.factorize(text.astype(object), use_na_sentinel=True)
    unique_text = pd.Series(uniques, dtype=object)
    parsed = _parse_unique(unique_text, fmt, resolve_zone(tz))
    values = parsed.to_numpy(dtype="datetime64[ns]")
    out = np.full(len(codes), np.datetime64("NaT"), dtype="datetime64[ns]")
    valid = codes >= 0
    out[valid] = values[codes[valid]]
    return pd.Series(pd.DatetimeIndex(out).tz_localize("UTC"), index=text.index)


def _parse_unique(text: pd.Series, fmt: str | None, zone: dt.tzinfo) -> pd.Series:
    """Parse unique strings; returns naive UTC datetimes."""
    has_offset = text.str.contains(r"(?:[+-]\d\d:?\d\d|Z)\s*$", regex=True, na=False)
    result = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    for zoned in (True, False):
        part = text[has_offset == zoned]
        if part.empty:
            continue
        parsed = pd.to_datetime(part, format=fmt, errors="coerce", utc=zoned)
        if not zoned:
            parsed = _localize(parsed, zone)
        result.loc[part.index] = parsed.dt.tz_convert("UTC").dt.tz_localize(None)
    missing = result.isna() & text.notna()
    if missing.any():
        result.loc[missing] = [_dateutil(value, zone) for value in text[missing]]
    return result


def _localize(naive: pd.Series, zone: dt.tzinfo) -> pd.Series:
    if zone is dt.UTC:
        return naive.dt.tz_localize("UTC")
    try:
        return naive.dt.tz_localize(zone, ambiguous="infer", nonexistent="shift_forward")
    except Exception:  # ambiguous DST hour that cannot be inferred: take standard time
        flags = np.zeros(len(naive), dtype=bool)
        return naive.dt.tz_localize(zone, ambiguous=flags, nonexistent="shift_forward")


def _dateutil(value: str, zone: dt.tzinfo) -> pd.Timestamp:
    try:
        stamp = dateutil_parser.parse(value)
    except (ValueError, OverflowError, TypeError):
        return pd.NaT
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=zone)
    return pd.Timestamp(stamp).tz_convert("UTC").tz_localize(None)
