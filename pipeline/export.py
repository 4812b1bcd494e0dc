"""The events table in Elastic Common Schema names, serialised as JSON lines, CSV or Parquet.

Exported events should drop into Elasticsearch, OpenSearch or Timesketch unchanged, so columns are
named the ECS way with dotted keys (`@timestamp`, `http.response.status_code`, ...) and JSON lines
omit null keys, as Filebeat does. Everything is built column by column with pyarrow: a dict per
row would be the slowest part of the whole tool on a big bundle.

This module only serialises; the CLI writes the bytes (DESIGN: only the CLI writes files).
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from pipeline.errors import PostmortemError
from pipeline.zones import format_offset

SUFFIXES = {".jsonl": "jsonl", ".csv": "csv", ".parquet": "parquet"}

# ECS field <- events column, in output order. `url.path` and `url.original` both come from
# `path` (the request target as logged): the first without its query string.
ECS_FIELDS: dict[str, str] = {
    "@timestamp": "ts",
    "log.level": "severity",
    "message": "message",
    "host.name": "host",
    "service.name": "service",
    "process.pid": "pid",
    "source.ip": "client_ip",
    "http.request.method": "method",
    "url.path": "path",
    "url.original": "path",
    "http.response.status_code": "status",
    "http.response.body.bytes": "bytes",
    "event.duration": "duration_ms",
    "user_agent.original": "user_agent",
    "http.request.referrer": "referrer",
    "http.request.id": "request_id",
    "log.file.path": "source_file",
    "log.file.line": "line_no",
    "event.dataset": "format",
    "event.timezone": "utc_offset",
}
_INTEGERS = {"process.pid", "http.response.status_code", "http.response.body.bytes"}
_INTEGERS |= {"event.duration", "log.file.line"}


def export_format(path: Path) -> str:
    """`jsonl`, `csv` or `parquet` from the output's suffix; anything else is a usage error."""
    kind = SUFFIXES.get(path.suffix.lower())
    if kind is None:
        known = ", ".join(SUFFIXES)
        raise PostmortemError(f"cannot tell the export format of {path} (use one of {known})")
    return kind


def ecs_table(events: pd.DataFrame, zones: Mapping[str, str] | None = None) -> pa.Table:
    """The events as a typed Arrow table with ECS column names (timestamps stay timestamps).

    `zones` maps a source file to the zone its zone-less timestamps were read in; with it,
    `event.timezone` says, for every event, in which zone its original text was written: the
    offset the line stated, else its file's zone (ECS asks for it exactly when the original
    timestamp had none).
    """
    columns: dict[str, pa.Array] = {}
    for name, column in ECS_FIELDS.items():
        values = events[column]
        if name == "event.timezone":
            columns[name] = _timezones(values, events["source_file"], zones or {})
        elif name == "@timestamp":
            columns[name] = pa.array(values, pa.timestamp("ns", tz="UTC"))
        elif name == "url.path":
            columns[name] = pc.replace_substring_regex(_text(values), r"[?#].*$", "")
        elif name == "event.duration":
            nanos = (values.astype("Float64") * 1_000_000).round()
            columns[name] = pa.array(nanos.astype("Int64"), pa.int64())
        elif name in _INTEGERS:
            columns[name] = pa.array(values.astype("Int64"), pa.int64())
        else:
            columns[name] = _text(values)
    return pa.table(columns)


def serialize(events: pd.DataFrame, kind: str, zones: Mapping[str, str] | None = None) -> bytes:
    """The events as the bytes of a `.jsonl`, `.csv` or `.parquet` file."""
    table = ecs_table(events, zones)
    if kind == "parquet":
        sink = pa.BufferOutputStream()
        pq.write_table(table, sink)
        return sink.getvalue().to_pybytes()
    if kind == "csv":
        table = table.set_column(0, "@timestamp", rfc3339(table["@timestamp"]))
        buffer = io.BytesIO()
        pa_csv.write_csv(table, buffer)
        return buffer.getvalue()
    if kind == "jsonl":
        lines = json_lines(table)
        return "".join(line + "\n" for line in lines.to_pylist()).encode("utf-8")
    raise PostmortemError(f"unknown export format {kind!r}")


def json_lines(table: pa.Table) -> pa.Array:
    """One compact JSON object per row; a null value leaves its key out of that row."""
    fragments = []
    for name in table.column_names:
        column = table[name].combine_chunks() if table.num_rows else pa.array([], table[name].type)
        if name == "@timestamp":
            value = _json_string(rfc3339(column))
        elif pa.types.is_integer(column.type):
            value = pc.cast(column, pa.string())
        else:
            value = _json_string(column)
        # `,"key":value`, or null for a null value: the join below turns that into nothing.
        fragments.append(pc.binary_join_element_wise(f',"{name}":', value, ""))
    if not fragments or table.num_rows == 0:
        return pa.array([], pa.string())
    # Not null_handling="skip": pyarrow 26 drops rows whose inputs are all null in that mode.
    body = pc.binary_join_element_wise(*fragments, "", null_handling="replace")
    body = pc.utf8_slice_codeunits(body, 1)  # the leading comma
    return pc.binary_join_element_wise("{", body, "}", "")


def rfc3339(timestamps: pa.Array | pa.ChunkedArray) -> pa.Array:
    """RFC 3339 UTC text with a `Z`: seconds, plus only the fractional digits that are not zero."""
    if isinstance(timestamps, pa.ChunkedArray):
        timestamps = timestamps.combine_chunks()
    seconds = pc.cast(pc.floor_temporal(timestamps, unit="second"), pa.timestamp("s", tz="UTC"))
    base = pc.strftime(seconds, format="%Y-%m-%dT%H:%M:%S")
    nanos = pc.fill_null(pc.cast(timestamps, pa.int64()), 0).to_numpy(zero_copy_only=False)
    fraction = pa.array(np.mod(nanos, 1_000_000_000), pa.int64())
    digits = pc.utf8_rtrim(pc.utf8_lpad(pc.cast(fraction, pa.string()), 9, "0"), "0")
    dotted = pc.if_else(pc.equal(digits, ""), "", pc.binary_join_element_wise(".", digits, ""))
    text = pc.binary_join_element_wise(base, dotted, "Z", "")
    return pc.if_else(pc.is_null(timestamps), pa.scalar(None, pa.string()), text)


def _timezones(offsets: pd.Series, files: pd.Series, zones: Mapping[str, str]) -> pa.Array:
    """`+05:30` (or `UTC`) from the offset a line stated, else its file's zone (`-07:00`,
    `Europe/Berlin`); null where neither is known: a file that followed its host's DST switch
    (`+01:00/+02:00`) has no one zone to name."""
    codes, uniques = pd.factorize(offsets.astype("Float64"), use_na_sentinel=True)
    texts = np.array([format_offset(int(u)) for u in uniques] + [None], dtype=object)
    named = {f: z for f, z in zones.items() if not (z[:1] in "+-" and "/" in z)}
    categorical = files.astype("category")
    per_file = categorical.cat.categories.map(lambda f: named.get(f)).to_numpy(dtype=object)
    by_file = np.append(per_file, None)[categorical.cat.codes.to_numpy()]  # code -1: no file
    return pa.array(np.where(codes >= 0, texts[codes], by_file), pa.string())


def _text(values: pd.Series) -> pa.Array:
    """A column as Arrow strings (categories and numbers as their text), nulls kept."""
    as_object = values.astype(object)
    return pa.array(as_object.where(as_object.notna(), None).astype(object), pa.string())


_JSON_ESCAPES = [("\\", "\\\\"), ('"', '\\"'), ("\n", "\\n"), ("\r", "\\r"), ("\t", "\\t")]
_JSON_ESCAPES += [("\b", "\\b"), ("\f", "\\f")]
_CONTROL = r"[\x00-\x1f]"


def _json_string(values: pa.Array) -> pa.Array:
    """Quoted, escaped JSON strings, vectorised: one pass per escape, over the whole column."""
    for raw, escaped in _JSON_ESCAPES:
        values = pc.replace_substring(values, raw, escaped)
    if pc.any(pc.match_substring_regex(values, _CONTROL)).as_py():
        for code in range(0x20):  # rare: the remaining control characters as \u00XX
            values = pc.replace_substring(values, chr(code), f"\\u{code:04x}")
    return pc.binary_join_element_wise('"', values, '"', "")
