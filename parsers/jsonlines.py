"""Application logs written as JSON lines (one object per line)."""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.json as pa_json

from parsers.base import LogFormat, Sample, register

# Our column <- the first key present, in this order.
KEYS: dict[str, tuple[str, ...]] = {
    "ts_text": ("ts", "time", "timestamp"),
    "level": ("level",),
    "message": ("msg", "message"),
    "service": ("service", "logger", "app"),
    "host": ("host", "hostname"),
    "request_id": ("request_id", "req_id", "trace_id"),
    "method": ("method",),
    "path": ("path",),
    "status": ("status",),
    "duration_ms": ("duration_ms", "latency_ms"),
    "client_ip": ("client_ip", "remote_addr"),
}
_TEXT_KEYS = {key for column, keys in KEYS.items() if column != "status" for key in keys}
_TEXT_KEYS -= {"duration_ms", "latency_ms"}

SNIFF = r'^\s*\{.*"(?:ts|time|timestamp)"\s*:.*\}\s*$'


def parse_json_lines(lines: pa.Array) -> pd.DataFrame:
    """Read the batch with pyarrow's JSON reader; fall back per line only when it refuses."""
    table = _read_block(lines)
    if table is not None:
        records = table.to_pandas(types_mapper=pd.ArrowDtype)
        positions = np.arange(len(lines), dtype=np.int64)
    else:
        records, positions = _read_each(lines)
    frame = pd.DataFrame(index=pd.Index(positions, dtype=np.int64))
    for column, keys in KEYS.items():
        present = [key for key in keys if key in records.columns]
        if not present:
            continue
        values = records[present[0]].astype(object)
        for key in present[1:]:
            values = values.where(values.notna(), records[key].astype(object))
        frame[column] = values.to_numpy()
    if "message" not in frame.columns:
        frame["message"] = ""
    return frame


def _read_block(lines: pa.Array) -> pa.Table | None:
    data = "\n".join(lines.to_pylist()).encode("utf-8")
    schema = pa.schema([(key, pa.string()) for key in sorted(_TEXT_KEYS)])
    options = pa_json.ParseOptions(explicit_schema=schema, unexpected_field_behavior="infer")
    try:
        table = pa_json.read_json(
            io.BytesIO(data),
            read_options=pa_json.ReadOptions(block_size=max(1 << 20, len(data) + 1)),
            parse_options=options,
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    return table if table.num_rows == len(lines) else None


def _read_each(lines: pa.Array) -> tuple[pd.DataFrame, np.ndarray]:
    """Slow path for a batch with a malformed or oddly typed line: keep every line that parses."""
    rows, positions = [], []
    for position, text in enumerate(lines.to_pylist()):
        try:
            record = json.loads(text)
        except (TypeError, ValueError):
            continue
        if isinstance(record, dict):
            rows.append(
                {
                    k: v if not isinstance(v, (dict, list)) else json.dumps(v)
                    for k, v in record.items()
                }
            )
            positions.append(position)
    return pd.DataFrame(rows), np.array(positions, dtype=np.int64)


JSON_LINES = register(
    LogFormat(
        name="json_lines",
        description="application JSON lines with ts|time|timestamp, level, msg|message",
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
        ],
    )
)
