"""Field readers shared by the structured application-log formats (JSON lines, logfmt).

Applications spell the same fact many ways: a time as ISO text or as epoch seconds, ms, µs or ns;
a duration as `5.2s`, `150ms` or a bare number; a level as a word or as a bunyan/pino number. These
helpers turn those spellings into what the driver and the schema expect, each over a whole column.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas.arrays import ArrowExtensionArray

from pipeline.schema import SEVERITY_LEVELS, STRING

_EPOCH = r"^\s*(?P<int>\d{1,20})(?:\.(?P<frac>\d{1,9})\d*)?\s*$"
# The ASCII characters `_EPOCH` can match: Python's whitespace (with \v and \x1c-\x1f), digits
# and the dot. Any other ASCII character rules a text out; other characters may be Unicode
# digits or spaces, so they do not.
_MAYBE_EPOCH = r"^[^\x00-\x08\x0e-\x1b\x21-\x2d\x2f\x3a-\x7f]*$"
# Digits of the integer part -> how many of them are below the second. Epoch seconds keep 10
# digits until 2286 and epoch ms keep 13: the magnitude tells the unit without a hint from the user.
_SUB_SECOND_DIGITS_BY_DIGITS = ((11, 0), (14, 3), (17, 6), (20, 9))
_MAX_EPOCH_SECONDS = 9_223_372_035  # datetime64[ns] ends in 2262

_DURATION_PART = r"(?P<number>\d+(?:\.\d+)?)\s*(?P<unit>ns|us|µs|μs|ms|s|m|h|d)?"
_MS_PER_UNIT = {
    "ns": 1e-6, "us": 1e-3, "µs": 1e-3, "μs": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4, "h": 3.6e6,
    "d": 8.64e7,
}  # fmt: skip

# bunyan and pino: 10 trace, 20 debug, 30 info, 40 warn, 50 error, 60 fatal.
_BUNYAN_LEVELS = {10: "debug", 20: "debug", 30: "info", 40: "warning", 50: "error", 60: "critical"}


def epoch_to_iso(text: pd.Series) -> pd.Series:
    """Epoch numbers (as text) become RFC 3339 UTC text; anything else is returned unchanged.

    The unit is chosen by magnitude (seconds, ms, µs, ns); integer and fraction are read apart so
    that nanosecond epochs keep every digit (a float64 would round them to ~256 ns).
    """
    out = text.astype(object)
    as_text = pd.Series(pd.array(out, dtype=STRING), index=text.index)
    candidates = epoch_candidates(as_text)
    if not candidates.any():
        return out
    parts = as_text[candidates].astype(object).str.extract(_EPOCH)
    numeric = parts["int"].notna()
    whole = parts.loc[numeric, "int"].str.lstrip("0").replace("", "0")
    length = whole.str.len()
    seconds_text = whole.copy()
    sub_text = pd.Series("", index=whole.index, dtype=object)
    lower = 0
    for max_digits, sub_digits in _SUB_SECOND_DIGITS_BY_DIGITS:
        group = (length > lower) & (length <= max_digits)
        lower = max_digits
        if sub_digits and group.any():
            seconds_text[group] = whole[group].str[:-sub_digits]
            sub_text[group] = whole[group].str[-sub_digits:]
    seconds = pd.to_numeric(seconds_text, errors="coerce").astype(float)
    in_range = seconds < _MAX_EPOCH_SECONDS
    frac = (sub_text + parts.loc[numeric, "frac"].fillna("")).str.ljust(9, "0").str[:9]
    ns = seconds.where(in_range, 0).astype(np.int64) * 10**9 + frac.astype(np.int64)
    stamps = ns[in_range].to_numpy(dtype=np.int64).astype("datetime64[ns]")
    iso = pd.Series(np.datetime_as_string(stamps, unit="ns"), index=ns[in_range].index) + "Z"
    # Out-of-range epochs cannot be placed: the driver counts their lines unparsed.
    out[numeric.index[numeric]] = None
    out[iso.index] = iso
    return out


def epoch_candidates(text: pd.Series) -> pd.Series:
    """Where `_EPOCH` matches `text` (arrow-backed), with Python's `re` run only where it can.

    `_EPOCH` needs Python's Unicode-aware classes, so pandas ran it line by line in Python:
    0.17 s per 250,000 ISO times, which all fail it. A text with an ASCII character that
    `_MAYBE_EPOCH` rules out cannot match: RE2 finds those at C speed and leaves the rest.
    """
    maybe = pc.match_substring_regex(pa.array(text.array), _MAYBE_EPOCH).fill_null(False)
    maybe = maybe.to_numpy(zero_copy_only=False)
    out = pd.Series(False, index=text.index)
    if maybe.any():
        out[maybe] = text[maybe].str.match(_EPOCH).fillna(False).astype(bool).to_numpy()
    return out


def duration_ms(text: pd.Series, bare_unit_ms: float = 1.0) -> pd.Series:
    """Durations like `5.2s`, `150ms`, `1m30.5s` (Go), or bare numbers in `bare_unit_ms` units."""
    result = pd.Series(pd.NA, index=text.index, dtype="Float64")
    values = text.dropna().astype(str).str.strip()
    if values.empty:
        return result
    codes, uniques = pd.factorize(values)
    unique = pd.Series(uniques, dtype=object)
    ms = pd.Series(np.nan, index=unique.index, dtype=float)
    plain = np.zeros(len(unique), dtype=bool)
    plain[codes] = _plain_numbers(values)
    # A plain number is one part without a unit: what the regexes below would make of it.
    ms[plain] = unique[plain].astype(float).to_numpy() * bare_unit_ms
    whole = pd.Series(False, index=unique.index)
    if not plain.all():
        whole[~plain] = unique[~plain].str.fullmatch(rf"(?:{_DURATION_PART})+").to_numpy()
    parts = unique[whole].str.extractall(_DURATION_PART)
    if not parts.empty:
        factor = parts["unit"].map(_MS_PER_UNIT).astype(float).fillna(bare_unit_ms)
        total = (parts["number"].astype(float) * factor).groupby(level=0).sum(min_count=1)
        ms[total.index] = total
    result[values.index] = ms.to_numpy()[codes]
    return result


def _plain_numbers(values: pd.Series) -> np.ndarray:
    """Where the text is ASCII digits with at most one fraction, found by RE2.

    Most durations are bare numbers (`68.8`); Python's `re` to split them into parts cost
    0.3 s per million lines. Forty digits at most: no float overflow to think about.
    """
    text = pa.array(values.array) if isinstance(values.array, ArrowExtensionArray) else None
    if text is None:
        return np.zeros(len(values), dtype=bool)
    found = pc.match_substring_regex(text, r"^[0-9]{1,40}(?:\.[0-9]{1,40})?$")
    return found.fill_null(False).to_numpy(zero_copy_only=False)


def severity_from_number(values: pd.Series) -> pd.Series:
    """Numeric levels: bunyan/pino 10..60, syslog severity codes 0..7; anything else -> NA."""
    numbers = pd.to_numeric(values, errors="coerce")
    syslog = dict(enumerate(reversed(SEVERITY_LEVELS)))
    out = numbers.map(_BUNYAN_LEVELS).astype(object)
    small = numbers.where((numbers >= 0) & (numbers <= 7) & (numbers == numbers.round()))
    out = out.where(out.notna(), small.map(syslog))
    return out.where(out.notna(), None)


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def valid_text(text: str) -> str:
    """`text` with lone surrogates (what a JSON `\\ud800` escape decodes to) as U+FFFD, as
    invalid UTF-8 is read: arrow cannot hold them, and one lost its whole batch of lines."""
    return _LONE_SURROGATE.sub("\ufffd", text)


def whole_numbers(values: pd.Series) -> pd.Series:
    """Whole numbers (pids, byte counts) as Int64; anything else is missing: text, a fraction
    (`"pid": 1.5`), a number past int64. A cast error there lost the whole batch of lines."""
    numbers = pd.to_numeric(values, errors="coerce")
    if numbers.dtype.kind == "i":  # every value an integer that fits: exactly as they are
        return numbers.astype("Int64")
    # Past int64 pandas' cast wraps silently (to -2**63), so the range is checked here.
    floats = pd.Series(numbers.to_numpy(dtype="float64", na_value=np.nan), index=values.index)
    whole = (floats == np.trunc(floats)) & (floats.abs() < 2.0**63)
    return floats.where(whole).astype("Int64")


def http_status(values: pd.Series) -> pd.Series:
    """HTTP status codes (100..599); words such as `Pending` or `ok` become missing."""
    numbers = pd.to_numeric(values, errors="coerce")
    valid = (numbers >= 100) & (numbers <= 599) & (numbers == numbers.round())
    return numbers.where(valid).astype("Int16")
