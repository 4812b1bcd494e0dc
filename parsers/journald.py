"""systemd journal exported with `journalctl -o json`: one JSON object per line.

The journal stores every field as text (`"__REALTIME_TIMESTAMP": "1534860261221373"`, µs since
the epoch; `"PRIORITY": "3"`), except a field that is not valid UTF-8, which is written as an array
of byte values, and a field set twice, written as an array of its values. We read the batch with
pyarrow's JSON reader, asking only for the fields we use (so odd types elsewhere cannot spoil the
batch); the rare lines with an array `MESSAGE` are decoded one by one.

The sniff is the `"__REALTIME_TIMESTAMP"` key, which no application logger writes, and the format's
`specificity` is above `json_lines` so that a journal export is never read as an app log.
"""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pa_json

from parsers.appfields import valid_text, whole_numbers
from parsers.base import LogFormat, Sample, register, severity_from_pri
from parsers.syslog import message_level
from pipeline.schema import STRING

FIELDS = (
    "__REALTIME_TIMESTAMP", "PRIORITY", "_HOSTNAME", "SYSLOG_IDENTIFIER", "_COMM", "_PID",
    "SYSLOG_PID", "MESSAGE",
)  # fmt: skip
SNIFF = r'^\s*\{.*"__REALTIME_TIMESTAMP"\s*:\s*"?\d+'
_ARRAY_MESSAGE = r'"MESSAGE"\s*:\s*\['
_SCHEMA = pa.schema([(name, pa.string()) for name in FIELDS])
_SMALLEST_BLOCK = 64  # below this, a block arrow refuses is read line by line


def parse_journald(lines: pa.Array) -> pd.DataFrame:
    """Schema columns from a batch of `journalctl -o json` lines; non-JSON lines are left out."""
    array_message = pc.match_substring_regex(lines, _ARRAY_MESSAGE).fill_null(False)
    mask = array_message.to_numpy(zero_copy_only=False)
    positions = np.arange(len(lines), dtype=np.int64)
    parts = [_read(lines.filter(pc.invert(array_message)), positions[~mask])]
    if mask.any():
        parts.append(_read_each(lines.filter(array_message), positions[mask]))
    records = pd.concat([part for part in parts if len(part)] or [parts[0]]).sort_index()

    frame = pd.DataFrame(index=records.index)
    micros = pd.to_numeric(records["__REALTIME_TIMESTAMP"], errors="coerce")
    frame["ts"] = pd.to_datetime(micros, unit="us", utc=True, errors="coerce")
    frame["host"] = records["_HOSTNAME"].to_numpy()
    frame["service"] = records["SYSLOG_IDENTIFIER"].fillna(records["_COMM"]).to_numpy()
    pid = records["_PID"].fillna(records["SYSLOG_PID"])
    frame["pid"] = whole_numbers(pid)
    message = records["MESSAGE"].fillna("").astype(object)
    frame["message"] = pd.array(message.to_numpy(), dtype=STRING)
    frame["severity"] = severity_from_pri(records["PRIORITY"]).to_numpy()
    frame["level"] = message_level(message).to_numpy()
    return frame


def _read(lines: pa.Array, positions: np.ndarray) -> pd.DataFrame:
    """Our fields of each line as text, indexed by position; halves a block arrow refuses."""
    if not len(lines):
        return _empty()
    table = _read_block(lines)
    if table is not None:
        columns = {name: table.column(name).to_numpy() for name in FIELDS}
        return pd.DataFrame(columns, index=pd.Index(positions, dtype=np.int64), dtype=object)
    if len(lines) <= _SMALLEST_BLOCK:
        return _read_each(lines, positions)
    half = len(lines) // 2
    return pd.concat(
        [_read(lines.slice(0, half), positions[:half]), _read(lines.slice(half), positions[half:])]
    )


def _read_block(lines: pa.Array) -> pa.Table | None:
    data = "\n".join(lines.to_pylist()).encode("utf-8", "replace")
    options = pa_json.ParseOptions(explicit_schema=_SCHEMA, unexpected_field_behavior="ignore")
    read_options = pa_json.ReadOptions(block_size=max(1 << 20, len(data) + 1))
    try:
        table = pa_json.read_json(
            io.BytesIO(data), read_options=read_options, parse_options=options
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    return table if table.num_rows == len(lines) else None


def _read_each(lines: pa.Array, positions: np.ndarray) -> pd.DataFrame:
    """Slow path for the rare lines arrow cannot take: binary messages, malformed objects."""
    rows, kept = [], []
    for position, text in zip(positions, lines.to_pylist(), strict=True):
        try:
            record = json.loads(text)
        except (TypeError, ValueError, RecursionError):
            continue
        if isinstance(record, dict):
            rows.append({name: _text(record.get(name)) for name in FIELDS})
            kept.append(position)
    if not rows:
        return _empty()
    return pd.DataFrame(rows, index=pd.Index(kept, dtype=np.int64), columns=list(FIELDS))


def _text(value: object) -> str | None:
    """A journal value as text: byte arrays decoded (invalid UTF-8 replaced), a repeated field's
    values joined by newlines."""
    if value is None:
        return None
    if isinstance(value, list):
        if all(isinstance(item, int) and 0 <= item < 256 for item in value):
            return bytes(value).decode("utf-8", "replace")
        return "\n".join(filter(None, (_text(item) for item in value)))
    return valid_text(str(value))


def _empty() -> pd.DataFrame:
    return pd.DataFrame({name: pd.Series([], dtype=object) for name in FIELDS}).set_index(
        pd.Index([], dtype=np.int64)
    )


JOURNALD_JSON = register(
    LogFormat(
        name="journald_json",
        description="systemd journal as `journalctl -o json` writes it (one object per line)",
        sniff=SNIFF,
        parse=parse_journald,
        specificity=25,  # above json_lines: a journal line is JSON too
        samples=[
            Sample(
                '{ "__CURSOR" : "s=e991;i=372a", "__REALTIME_TIMESTAMP" : "1710383467123456",'
                ' "PRIORITY" : "3", "_HOSTNAME" : "web-1", "SYSLOG_IDENTIFIER" : "gunicorn",'
                ' "_COMM" : "python3", "_PID" : "2231", "_SYSTEMD_UNIT" : "checkout.service",'
                ' "MESSAGE" : "Worker timeout (pid:2231)" }',
                severity="error",
                fields={
                    "ts": "2024-03-14T02:31:07.123456Z",
                    "host": "web-1",
                    "service": "gunicorn",
                    "pid": 2231,
                    "message": "Worker timeout (pid:2231)",
                },
            ),
            Sample(
                '{"__REALTIME_TIMESTAMP":"1710383467000000","PRIORITY":"6","_HOSTNAME":"web-1",'
                '"_COMM":"kernel-helper","_PID":"77","MESSAGE":[104,105,255,33]}',
                severity="info",
                fields={"service": "kernel-helper", "message": "hi\ufffd!"},
            ),
        ],
    )
)
