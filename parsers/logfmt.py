"""Application logs written as logfmt: `ts=... level=error msg="db timeout" duration=5.2s`.

Go services (logrus, go-kit, zerolog's console writer, Heroku's router) write it. We never split a
line into all its pairs: each column we need is one RE2 regex over the whole batch, run by pyarrow,
that finds its key and captures a bare or a quoted value. Escapes inside quotes are rare, so only
the few unique values that hold a backslash are unquoted in Python.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from parsers.appfields import (
    duration_ms,
    epoch_to_iso,
    http_status,
    severity_from_number,
    valid_text,
    whole_numbers,
)
from parsers.base import LogFormat, Sample, register
from pipeline.schema import STRING

TIME_KEYS = ("ts", "time", "timestamp", "t", "@timestamp", "date")

# Our column <- the first of these keys present in the line.
KEYS: dict[str, tuple[str, ...]] = {
    "ts_text": TIME_KEYS,
    "level": ("level", "lvl", "severity", "loglevel", "at"),
    "message": ("msg", "message", "event", "error", "err"),
    "service": ("service", "app", "logger", "component", "module", "caller"),
    "host": ("host", "hostname"),
    "pid": ("pid",),
    "request_id": ("request_id", "req_id", "requestId", "trace_id", "traceID", "trace"),
    "method": ("method",),
    "path": ("path", "uri", "url"),
    "status": ("status", "status_code", "code"),
    "client_ip": ("client_ip", "remote_addr", "fwd", "ip"),
    "bytes": ("bytes", "size"),
}

# Duration keys -> milliseconds per bare number (values with a unit, `5.2s`, carry their own).
DURATION_KEYS: dict[str, float] = {
    "duration_ms": 1.0, "latency_ms": 1.0, "duration": 1.0, "took": 1.0, "elapsed": 1.0,
    "latency": 1.0, "dur": 1.0, "service": float("nan"),
}  # fmt: skip

_QUOTED = r'(?P<quoted>(?:[^"\\]|\\.)*)'
_BARE = r'(?P<bare>[^\s"]*)'
_TIME_KEY = "(?:" + "|".join(re.escape(key) for key in TIME_KEYS) + ")"
# A line is ours when it starts with a key=value pair and has one of our time keys.
SNIFF = rf"^\s*(?:{_TIME_KEY}=|[^\s=\"]+=.*\s{_TIME_KEY}=)"


def value_of(lines: pa.Array, keys: tuple[str, ...]) -> pd.Series:
    """The value of the first of `keys` found in each line (unquoted), else missing.

    A bare key with no `=` has no value here: we only read keys we know to carry one.
    """
    result = pd.Series(pd.NA, index=pd.RangeIndex(len(lines)), dtype=object)
    for key in keys:
        pattern = rf"(?:^|\s){re.escape(key)}=(?:(?P<open>\"){_QUOTED}\"|{_BARE})"
        matched = pc.match_substring_regex(lines, pattern).fill_null(False)
        todo = matched.to_numpy(zero_copy_only=False) & result.isna().to_numpy()
        if not todo.any():
            continue
        struct = pc.extract_regex(lines.filter(pa.array(todo)), pattern)
        is_quoted = pc.equal(struct.field("open"), '"').to_numpy(zero_copy_only=False)
        quoted = _unescape(struct.field("quoted").to_pandas()).to_numpy()
        values = np.where(is_quoted, quoted, struct.field("bare").to_numpy(zero_copy_only=False))
        values = np.where(values == "", None, values)  # `reason=` says nothing
        result[np.flatnonzero(todo)] = values
    return result


def _unescape(quoted: pd.Series) -> pd.Series:
    """Go-quoted text (`\\"`, `\\\\`, `\\n`, `\\t`, `\\u00e9`) to plain text, per unique value."""
    escaped = quoted[quoted.str.contains("\\", regex=False, na=False)]
    if escaped.empty:
        return quoted
    out = quoted.copy()
    plain = {}
    for text in escaped.unique():
        try:
            plain[text] = valid_text(json.loads(f'"{text}"'))
        except ValueError:  # not JSON-compatible (e.g. `\x41`): drop the backslashes only
            plain[text] = re.sub(r"\\(.)", r"\1", text)
    out[escaped.index] = escaped.map(plain)
    return out


def parse_logfmt(lines: pa.Array) -> pd.DataFrame:
    """Columns of the schema from logfmt lines, one regex per column over the batch."""
    frame = pd.DataFrame(index=pd.Index(np.arange(len(lines)), dtype=np.int64))
    for column, keys in KEYS.items():
        frame[column] = value_of(lines, keys).to_numpy()
    frame["ts_text"] = epoch_to_iso(frame["ts_text"]).to_numpy()
    frame["message"] = frame["message"].fillna("")
    numeric_level = severity_from_number(frame["level"])
    frame["severity"] = numeric_level.to_numpy()
    frame["level"] = frame["level"].where(numeric_level.isna())
    frame["status"] = http_status(frame["status"]).to_numpy()
    for column in ("pid", "bytes"):
        frame[column] = whole_numbers(frame[column])
    merged = pd.Series(pd.NA, index=frame.index, dtype="Float64")
    for key, unit in DURATION_KEYS.items():
        merged = merged.fillna(duration_ms(value_of(lines, (key,)), unit))
    frame["duration_ms"] = merged.to_numpy()
    # `service=18ms` is Heroku's router timing, not a service name.
    is_timing = frame["service"].astype(object).str.fullmatch(r"\d+(?:\.\d+)?ms", na=False)
    frame.loc[is_timing, "service"] = None
    for column in ("message", "service", "host", "request_id", "path", "client_ip"):
        frame[column] = pd.array(frame[column].astype(object), dtype=STRING)
    return frame


LOGFMT = register(
    LogFormat(
        name="logfmt",
        description="logfmt key=value lines with a ts|time|timestamp key (logrus, go-kit, Heroku)",
        sniff=SNIFF,
        parse=parse_logfmt,
        ts_format="ISO8601",
        specificity=15,
        samples=[
            Sample(
                'ts=2024-03-14T02:31:07Z level=error msg="db timeout" request_id=abc duration=5.2s',
                severity="error",
                fields={
                    "ts": "2024-03-14T02:31:07Z",
                    "message": "db timeout",
                    "request_id": "abc",
                    "duration_ms": 5200.0,
                },
            ),
            Sample(
                'time="2024-03-14T02:31:08.250+01:00" level=warning msg="retrying \\"orders\\""'
                " service=checkout method=POST path=/api/orders status=503 took=150ms",
                severity="warning",
                fields={
                    "ts": "2024-03-14T01:31:08.250Z",
                    "message": 'retrying "orders"',
                    "service": "checkout",
                    "method": "POST",
                    "path": "/api/orders",
                    "status": 503,
                    "duration_ms": 150.0,
                },
            ),
        ],
    )
)
