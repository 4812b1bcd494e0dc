"""Application logs written as JSON lines (one object per line), whatever the logging library.

Libraries disagree on key names (`ts`/`time`/`@timestamp`, `level`/`severity`/`log.level`,
`msg`/`message`/`event`), on nesting (ECS writes `{"log": {"level": ...}}` or the dotted key
`"log.level"`), and on time (ISO text or epoch s/ms/µs/ns). We read the batch with pyarrow's JSON
reader, flatten nested objects to dotted names, and take each column from the first key present,
so one format covers structlog, bunyan, pino, zap, logrus, ECS loggers, docker's json-file, GELF.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pa_json

from parsers.appfields import (
    duration_ms,
    epoch_candidates,
    epoch_to_iso,
    http_status,
    severity_from_number,
    valid_text,
    whole_numbers,
)
from parsers.base import LogFormat, Sample, register, severity_from_status
from pipeline.schema import STRING

TIME_KEYS = (
    "@timestamp", "timestamp", "time", "ts", "t", "asctime", "datetime", "date", "eventTime",
    "instant",
)  # fmt: skip

# Our column <- the first (flattened, dotted) key present, in this order.
KEYS: dict[str, tuple[str, ...]] = {
    "ts_text": TIME_KEYS,
    "level": (
        "level", "log.level", "severity", "lvl", "levelname", "loglevel", "log_level",
        "@fields.level", "@fields.lvl",
    ),
    "message": (
        "msg", "message", "fields.message", "event", "short_message", "@message", "log", "text",
        "@fields.msg", "@fields.message",
    ),
    "service": (
        "service.name", "service", "logger", "log.logger", "logger_name", "logger.name", "app",
        "application", "name", "component", "target",
    ),
    "host": ("host.name", "host.hostname", "host", "hostname"),
    "pid": ("pid", "process.pid"),
    "request_id": (
        "request_id", "requestId", "req_id", "reqId", "request.id", "http.request.id",
        "correlation_id", "trace_id", "traceId", "trace.id",
    ),
    "method": ("method", "http.request.method", "http_method", "req.method", "request_method"),
    "path": ("path", "url.path", "uri", "request_uri", "req.url", "url", "url.original"),
    "status": (
        "status", "status_code", "statusCode", "http.response.status_code", "res.statusCode",
        "http_status", "response_status",
    ),
    "client_ip": (
        "client_ip", "remote_addr", "remote_ip", "clientIp", "client.ip", "source.ip", "ip",
    ),
    "user_agent": ("user_agent", "user_agent.original", "userAgent", "http_user_agent"),
    "bytes": ("bytes", "http.response.body.bytes", "body_bytes_sent", "response_size"),
}  # fmt: skip

# Columns the events table takes as text unchanged: they stay arrow strings. As Python objects
# (the other columns are read as such) they cost about 60 MB each per million lines.
AS_TEXT = frozenset({"message", "request_id", "path", "client_ip", "user_agent"})

# Duration keys -> milliseconds per bare number (text with a unit, `5.2s`, carries its own).
DURATION_KEYS: dict[str, float] = {
    "duration_ms": 1.0, "latency_ms": 1.0, "elapsed_ms": 1.0, "response_time_ms": 1.0,
    "responseTime": 1.0, "took_ms": 1.0, "duration": 1.0, "latency": 1.0, "elapsed": 1.0,
    "request_time": 1e3, "duration_s": 1e3, "event.duration": 1e-6,
}  # fmt: skip

# A line is ours when it is an object with one of our time keys (quoted exactly, so journald's
# `"__REALTIME_TIMESTAMP"` is not). Lines without a time key are left for the driver to count.
SNIFF = r'^\s*\{.*"(?:' + "|".join(TIME_KEYS) + r')"\s*:.*\}\s*$'

# Flattened, dotted key -> its values as text, one per line read (missing where a line lacks it).
Records = dict[str, pa.Array]

_SMALLEST_BLOCK = 64  # below this, a batch arrow refuses is read line by line


def parse_json_lines(lines: pa.Array) -> pd.DataFrame:
    """Columns of the schema from a batch of JSON lines; lines that are not JSON are left out."""
    records, positions = _read(lines, 0)
    frame = pd.DataFrame(index=pd.Index(positions, dtype=np.int64))
    for column, keys in KEYS.items():
        values = _first_present(records, keys)
        if values is None:
            continue
        frame[column] = pd.array(values, dtype=STRING) if column in AS_TEXT else _as_str(values)
    if "ts_text" not in frame.columns:
        frame["ts_text"] = None
    frame["ts_text"] = _time_text(records, frame["ts_text"])
    if "message" in frame.columns:  # docker's json-file keeps the line's own newline
        frame["message"] = frame["message"].str.rstrip("\r\n")
    else:
        frame["message"] = ""
    if "status" in frame.columns:
        frame["status"] = _per_distinct(frame["status"], http_status).to_numpy()
    for column in ("pid", "bytes"):
        if column in frame.columns:
            frame[column] = _per_distinct(frame[column], whole_numbers)
    durations = [
        _per_distinct(pd.Series(pd.array(records[key], dtype=STRING)), duration_ms, unit)
        for key, unit in DURATION_KEYS.items()
        if key in records
    ]
    if durations:
        merged = durations[0]
        for more in durations[1:]:
            merged = merged.fillna(more)
        frame["duration_ms"] = merged.to_numpy()
    frame["severity"] = _severity(frame)
    return frame


def _as_str(values: pa.Array) -> pd.api.extensions.ExtensionArray | np.ndarray:
    """What pandas makes of the values as Python objects (str or None), built from arrow.

    Pandas infers its `str` dtype from strings, and keeps object dtype when there is no string
    at all. Making a Python string of every value for pandas to turn back into arrow cost
    0.6 s per million lines (the eight columns of the benchmark's app log).
    """
    if values.null_count == len(values):
        return np.full(len(values), None, dtype=object)
    return pd.array(values, dtype=pd.StringDtype("pyarrow", na_value=np.nan))


def _per_distinct(
    values: pd.Series, function: Callable[..., pd.Series], *args: object
) -> pd.Series:
    """`function(values, *args)` computed once per distinct value (and once for missing).

    A file's statuses, pids and durations repeat; the conversions (`pd.to_numeric` on text,
    regexes) cost per value. The distinct values are taken from `values` itself, missing
    included, so that `function` sees the same set of values and dtype and gives the same
    result dtype (`pd.to_numeric` goes to float for a missing value or a huge integer).
    """
    codes, uniques = pd.factorize(values)
    codes = np.where(codes < 0, len(uniques), codes)
    row_of = np.full(len(uniques) + 1, -1, dtype=np.int64)
    row_of[codes] = np.arange(len(codes))  # a row holding each distinct value (any will do)
    rows = row_of[row_of >= 0]  # no missing value: no row for it
    slot = np.full(len(uniques) + 1, -1, dtype=np.int64)
    slot[codes[rows]] = np.arange(len(rows))
    distinct = values.iloc[rows].reset_index(drop=True)
    result = function(distinct, *args).reset_index(drop=True)
    return pd.Series(result.take(slot[codes]).array, index=values.index)


def _read(lines: pa.Array, offset: int) -> tuple[Records, np.ndarray]:
    """Flattened records and their positions; halves a batch arrow refuses to find the bad lines.

    Arrow refuses a whole batch for one malformed line or one key whose type changes between
    lines; halving keeps the fast reader for all the good lines around it.
    """
    table = _read_block(lines)
    if table is not None:
        return _flat_records(table), np.arange(offset, offset + len(lines), dtype=np.int64)
    if len(lines) <= _SMALLEST_BLOCK:
        return _read_each(lines, offset)
    half = len(lines) // 2
    left, left_pos = _read(lines.slice(0, half), offset)
    right, right_pos = _read(lines.slice(half), offset + half)
    return _concat(left, len(left_pos), right, len(right_pos)), np.concatenate(
        [left_pos, right_pos]
    )


def _concat(left: Records, left_rows: int, right: Records, right_rows: int) -> Records:
    """Two batches' records one after the other; a key one of them lacks is missing there."""
    out: Records = {}
    for name in [*left, *(name for name in right if name not in left)]:
        parts = [
            left.get(name, pa.nulls(left_rows, pa.string())),
            right.get(name, pa.nulls(right_rows, pa.string())),
        ]
        out[name] = pa.concat_arrays(parts)
    return out


def _read_block(lines: pa.Array) -> pa.Table | None:
    """The batch as an arrow table, or None when arrow refuses it.

    Time keys are read as text first: arrow would otherwise turn ISO strings into naive
    timestamps and lose whether they carried a zone. A file with numeric (epoch) times fails that
    schema and is read again with inferred types.
    """
    data = _joined(lines)
    read_options = pa_json.ReadOptions(block_size=max(1 << 20, data.size + 1))
    as_text = pa.schema([(key, pa.string()) for key in TIME_KEYS if key != "instant"])
    for schema in (as_text, None):
        options = pa_json.ParseOptions(explicit_schema=schema, unexpected_field_behavior="infer")
        try:
            table = pa_json.read_json(
                pa.BufferReader(data), read_options=read_options, parse_options=options
            )
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            continue
        if table.num_rows != len(lines):
            return None
        if schema is None and any(pa.types.is_timestamp(f.type) for f in table.schema):
            return None  # inferred timestamps lost their zone: read these lines one by one
        return table
    return None


def _joined(lines: pa.Array) -> pa.Buffer:
    """The lines joined by newlines, as bytes, without leaving arrow's memory.

    Joining `to_pylist()` made a Python string per line, the joined text and its UTF-8 copy:
    about 2.5 times the batch on top of it. Arrow strings are valid UTF-8 already.
    """
    if not len(lines):
        return pa.py_buffer(b"")
    empty, newline = pa.scalar("", pa.large_string()), pa.scalar("\n", pa.large_string())
    ended = pc.binary_join_element_wise(lines.cast(pa.large_string()), empty, newline)
    ended = ended.combine_chunks() if isinstance(ended, pa.ChunkedArray) else ended
    offsets = np.frombuffer(ended.buffers()[1], dtype=np.int64)[ended.offset :]
    start, end = int(offsets[0]), int(offsets[len(ended)])
    return ended.buffers()[2].slice(start, end - start - 1)  # no newline after the last line


def _flat_records(table: pa.Table) -> Records:
    """Nested objects flattened to dotted names; a dotted key and the nested path it spells
    (`"log.level"` and `{"log": {"level"}}`) merge into one column, the first non-null winning."""
    while any(pa.types.is_struct(field.type) for field in table.schema):
        table = table.flatten()
    columns: Records = {}
    for name, column in zip(table.column_names, table.columns, strict=True):
        values = _as_text(column.combine_chunks() if column.num_chunks else pa.array([]))
        if values is None:
            continue
        columns[name] = values if name not in columns else pc.coalesce(columns[name], values)
    return columns


def _as_text(values: pa.Array) -> pa.Array | None:
    """Scalars as text (numbers keep their digits); lists, nulls and timestamps are dropped."""
    kind = values.type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return values.cast(pa.string())
    if pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_boolean(kind):
        return values.cast(pa.string())
    return None


def _read_each(lines: pa.Array, offset: int) -> tuple[Records, np.ndarray]:
    """Slow path for a small batch with a malformed or oddly typed line: keep every object."""
    rows, positions = [], []
    for position, text in enumerate(lines.to_pylist()):
        try:
            record = json.loads(text)
        except (TypeError, ValueError, RecursionError):
            continue
        if isinstance(record, dict):
            rows.append(_flatten(record))
            positions.append(offset + position)
    names = dict.fromkeys(name for row in rows for name in row)
    records = {name: pa.array([row.get(name) for row in rows], pa.string()) for name in names}
    return records, np.array(positions, np.int64)


def _flatten(record: Mapping[str, object], prefix: str = "") -> dict[str, str]:
    """The same dotted, text-valued view of one record that `_flat_frame` gives for a batch."""
    out: dict[str, str] = {}
    for key, value in record.items():
        name = valid_text(f"{prefix}{key}")
        if isinstance(value, dict):
            for inner, text in _flatten(value, f"{name}.").items():
                out.setdefault(inner, text)
        elif isinstance(value, bool):
            out.setdefault(name, "true" if value else "false")
        elif isinstance(value, (str, int, float)):
            out.setdefault(name, valid_text(str(value)))
    return out


def _first_present(records: Records, keys: tuple[str, ...]) -> pa.Array | None:
    present = [records[key] for key in keys if key in records]
    if not present:
        return None
    return pc.coalesce(*present) if len(present) > 1 else present[0]


def _time_text(records: Records, text: pd.Series) -> pd.Series:
    """Time as text the driver reads as ISO 8601: epochs converted, log4j2's `instant` joined,
    Python's `,123` milliseconds written with a dot.

    `text` (the frame's column) is taken again from the records, in arrow, unless log4j2's
    `instant` has to fill it in: not through a Python string per line and back.
    """
    if "instant.epochSecond" in records:
        index = pd.RangeIndex(len(text))
        nanos = pd.Series(
            pd.array(
                records.get("instant.nanoOfSecond", pa.nulls(len(text), pa.string())), dtype=STRING
            )
        )
        seconds = pd.Series(pd.array(records["instant.epochSecond"], dtype=STRING))
        joined = seconds + "." + nanos.fillna("0").str.zfill(9)
        text = pd.Series(text.to_numpy(), index=index).fillna(joined)
        text = pd.Series(pd.array(pd.Series(text.to_numpy(), dtype=object), dtype=STRING))
    else:
        time = _first_present(records, KEYS["ts_text"])
        time = pa.nulls(len(text), pa.string()) if time is None else time
        text = pd.Series(pd.array(time, dtype=STRING))
    if _has_comma(text):
        text = text.str.replace(r"(\d\d:\d\d:\d\d),(\d)", r"\1.\2", regex=True)
    if text.notna().any() and not epoch_candidates(text).any():
        # What `epoch_to_iso` gives then is the text itself, as Python objects, which the
        # frame would turn back into its `str` dtype: 0.1 s per block for nothing.
        return _as_str(pa.array(text.array))
    return epoch_to_iso(text).to_numpy()


def _has_comma(text: pd.Series) -> bool:
    """Whether any time has a comma, that is, may have Python's `,123` milliseconds."""
    return bool(pc.any(pc.match_substring(pa.array(text.array), ","), min_count=0).as_py())


def _severity(frame: pd.DataFrame) -> pd.Series:
    """Numeric levels (bunyan, pino, GELF) here; words go to the driver as `level`; a line with
    no level at all but an HTTP status is as severe as its status."""
    out = pd.Series(None, index=frame.index, dtype=object)
    if "level" in frame.columns:
        level = frame["level"]  # a file has a handful of distinct levels
        codes, uniques = pd.factorize(level)
        by_unique = severity_from_number(pd.Series(uniques, dtype=object)).to_numpy()
        out = pd.Series(np.where(codes >= 0, by_unique[codes], None), index=frame.index)
        frame["level"] = _level_words(level, uniques, by_unique, codes)
        if "status" in frame.columns:
            no_level = level.isna() & frame["status"].notna()
            out[no_level] = severity_from_status(frame.loc[no_level, "status"])
    elif "status" in frame.columns:
        known = frame["status"].notna()
        out[known] = severity_from_status(frame.loc[known, "status"])
    return out


def _level_words(
    level: pd.Series, uniques: pd.Index, by_unique: np.ndarray, codes: np.ndarray
) -> np.ndarray:
    """Level words for the driver, left out where a numeric level gave the severity already.

    "DEBUG5", "debug2": lnav's numbered debug levels are still debug. The regex runs once per
    distinct level (a file has a handful) instead of once per line: Python's `re` over a
    million lines took 0.4 s per block. A missing level is one more distinct value, last,
    kept as the missing value `level` holds (None or NaN, by the column's dtype).
    """
    missing = level[codes < 0].iloc[0] if (codes < 0).any() else None
    distinct = pd.Series([*uniques, missing], dtype=object)
    numeric = pd.Series([*by_unique, None], dtype=object).notna()
    words = distinct.where(~numeric).str.replace(r"^([A-Za-z]+)\d+$", r"\1", regex=True)
    return words.to_numpy()[np.where(codes >= 0, codes, len(uniques))]


JSON_LINES = register(
    LogFormat(
        name="json_lines",
        description="application JSON lines (structlog, bunyan, pino, zap, ECS, docker json-file)",
        sniff=SNIFF,
        parse=parse_json_lines,
        ts_format="ISO8601",
        specificity=20,
        samples=[
            Sample(
                '{"ts": "2024-03-14T02:31:05.412Z", "level": "error", "service": "checkout",'
                ' "msg": "payment gateway timeout after 5000 ms", "request_id": "r-77"}',
                severity="error",
                fields={
                    "ts": "2024-03-14T02:31:05.412Z",
                    "service": "checkout",
                    "message": "payment gateway timeout after 5000 ms",
                    "request_id": "r-77",
                },
            ),
            Sample(
                '{"time": "2024-03-14T03:31:05+01:00", "level": "WARN", "message": "slow query"}',
                severity="warning",
                fields={"ts": "2024-03-14T02:31:05Z", "message": "slow query"},
            ),
            Sample(
                '{"@timestamp":"2024-03-14T02:31:07.123Z","log.level":"error",'
                '"message":"upstream failed","service":{"name":"orders"},"host":{"name":"web-1"},'
                '"http":{"request":{"method":"POST"},"response":{"status_code":502}},'
                '"url":{"path":"/api/orders"},"event":{"duration":1500000000},'
                '"trace":{"id":"4bf92f3577b34da6"}}',
                severity="error",
                fields={
                    "ts": "2024-03-14T02:31:07.123Z",
                    "service": "orders",
                    "host": "web-1",
                    "method": "POST",
                    "status": 502,
                    "path": "/api/orders",
                    "duration_ms": 1500.0,
                    "request_id": "4bf92f3577b34da6",
                    "message": "upstream failed",
                },
            ),
            Sample(
                '{"level":50,"time":1710383467123,"pid":17,"hostname":"api-2","name":"payments",'
                '"msg":"charge failed","req":{"method":"GET","url":"/pay"},"responseTime":87}',
                severity="error",
                fields={
                    "ts": "2024-03-14T02:31:07.123Z",
                    "pid": 17,
                    "host": "api-2",
                    "service": "payments",
                    "method": "GET",
                    "path": "/pay",
                    "duration_ms": 87.0,
                },
            ),
            Sample(
                '{"asctime": "2024-03-14 02:31:07,250", "levelname": "CRITICAL",'
                ' "name": "orders.db", "message": "pool exhausted", "status": "degraded"}',
                severity="critical",
                fields={
                    "ts": "2024-03-14T02:31:07.250Z",
                    "service": "orders.db",
                    "message": "pool exhausted",
                    "status": None,
                },
            ),
            Sample(
                '{"log":"GET /healthz 503\\n","stream":"stdout","time":"2024-03-14T02:31:07.5Z"}',
                severity="info",
                fields={"ts": "2024-03-14T02:31:07.5Z", "message": "GET /healthz 503"},
            ),
        ],
    )
)
