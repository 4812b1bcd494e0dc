"""The events table: one row per log event, whatever file or format it came from.

Every stage after the parsers speaks this table, so its columns and dtypes are fixed here and
checked by `validate`. Dtypes are explicit: pandas 3 changed what inference gives for strings.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.errors import PostmortemError

SEVERITY_LEVELS: tuple[str, ...] = (
    "debug",
    "info",
    "notice",
    "warning",
    "error",
    "critical",
    "alert",
    "emergency",
)
SEVERITY = pd.CategoricalDtype(list(SEVERITY_LEVELS), ordered=True)
STRING = pd.StringDtype("pyarrow")
UTC_NS = pd.DatetimeTZDtype("ns", "UTC")

# Any unordered categorical: its categories depend on the data.
CATEGORY = "category"

# Column name -> dtype.
COLUMNS: dict[str, object] = {
    "ts": UTC_NS,
    "utc_offset": pd.Int16Dtype(),
    "source_file": CATEGORY,
    "line_no": pd.Int64Dtype(),
    "format": CATEGORY,
    "host": CATEGORY,
    "service": CATEGORY,
    "pid": pd.Int64Dtype(),
    "severity": SEVERITY,
    "message": STRING,
    "client_ip": STRING,
    "method": CATEGORY,
    "path": STRING,
    "user_agent": STRING,
    "referrer": STRING,
    "request_id": STRING,
    "status": pd.Int16Dtype(),
    "bytes": pd.Int64Dtype(),
    "duration_ms": pd.Float64Dtype(),
}


# What the draft reads. The client's browser, the referrer, the pid and the method are kept for
# `postmortem events` only: a draft never shows them, and at 10M access-log lines they are
# 1.4 GB of text that ingest no longer holds when it reads for a draft.
DRAFT_COLUMNS: tuple[str, ...] = tuple(
    name for name in COLUMNS if name not in ("pid", "method", "user_agent", "referrer")
)
# Text the draft reads is held as categories: a code per event and each distinct text once.
# Clients, paths and messages repeat (an access log's million lines hold a few thousand
# clients), and request ids are mostly missing outside the logs that write them.
CATEGORICAL_TEXT: tuple[str, ...] = ("message", "client_ip", "path", "request_id")


def dtype_of(name: str, compact: bool = False) -> object:
    """The dtype of column `name`: the schema's, or in a compact table (`CATEGORICAL_TEXT`)
    a categorical for its text columns."""
    return CATEGORY if compact and name in CATEGORICAL_TEXT else COLUMNS[name]


class SchemaError(PostmortemError):
    """The events table does not have the agreed columns or dtypes."""


def empty_events() -> pd.DataFrame:
    """An events table with no rows and every column in its declared dtype."""
    return pd.DataFrame({name: pd.Series([], dtype=dtype) for name, dtype in COLUMNS.items()})


def conform(frame: pd.DataFrame) -> pd.DataFrame:
    """Return `frame` with exactly the schema's columns, in order, cast to their dtypes.

    Parsers fill only the columns they know; the rest become missing values of the right type.
    """
    n = len(frame)
    out = {}
    for name, dtype in COLUMNS.items():
        if name in frame.columns:
            column = frame[name]
            if name == "ts":
                column = pd.to_datetime(column, utc=True).astype(UTC_NS)
            elif name == "severity":
                column = column.astype(SEVERITY)
            elif not _has_dtype(column, dtype):
                column = column.astype(dtype)
            out[name] = column.reset_index(drop=True)
        else:
            out[name] = pd.Series(missing_values(dtype, n))
    result = pd.DataFrame(out)
    result.index = pd.RangeIndex(n)
    return result


def missing_values(dtype: object, n: int) -> pd.api.extensions.ExtensionArray:
    """`n` missing values of `dtype`: one is built and repeated by `take` (a list of a million
    NAs cost a tenth of a second per absent column)."""
    if not n:
        return pd.array([], dtype=_concrete(dtype))
    return pd.array([pd.NA], dtype=_concrete(dtype)).take(np.zeros(n, dtype=np.intp))


def project(
    events: pd.DataFrame, columns: Sequence[str] | None, compact: bool = False
) -> pd.DataFrame:
    """`events` with only `columns` (all when None), text as categories when `compact`."""
    if columns is not None:
        events = events[[name for name in events.columns if name in columns]]
    if compact:
        events = events.astype(
            {
                name: CATEGORY
                for name in CATEGORICAL_TEXT
                if name in events.columns and not _has_dtype(events[name], CATEGORY)
            }
        )
        for name in CATEGORICAL_TEXT:
            if name in events.columns:
                _drop_lookup_table(events[name])
    return events


def _drop_lookup_table(column: pd.Series) -> None:
    """Let go of the hash table pandas built over a categorical's categories while casting.

    Nothing looks values up in a block's categories again (blocks are joined by codes), and at
    a few MB per column per block they were 500 MB of a 10M-line read. `_cache` is private:
    if a pandas version lacks it, the table is simply kept.
    """
    cache = getattr(column.cat.categories, "_cache", None)
    if isinstance(cache, dict):
        cache.clear()


def validate(
    frame: pd.DataFrame, columns: Sequence[str] | None = None, compact: bool = False
) -> pd.DataFrame:
    """Raise SchemaError unless `frame` has exactly the schema's columns (or the projection
    `columns` of them, in schema order) and their dtypes (`dtype_of`); return it."""
    expected = list(COLUMNS) if columns is None else [c for c in COLUMNS if c in columns]
    if list(frame.columns) != expected:
        missing = [c for c in expected if c not in frame.columns]
        extra = [c for c in frame.columns if c not in expected]
        raise SchemaError(
            f"events table columns differ from the schema (missing {missing}, unexpected {extra},"
            " or out of order)"
        )
    for name in expected:
        dtype = dtype_of(name, compact)
        if not _has_dtype(frame[name], dtype):
            raise SchemaError(f"column {name!r} has dtype {frame[name].dtype}, expected {dtype}")
    return frame


def concat_column(pieces: list[pd.Series]) -> pd.Series:
    """One column of several files' frames, end to end, in the dtype `pd.concat` followed by
    `conform` gave it.

    Categorical columns whose categories differ between files are recoded to the categories
    that concatenating (which falls back to Python objects) and casting back would have
    chosen, found from each file's used categories, never from a Python object per row.
    """
    dtype = pieces[0].dtype
    if not isinstance(dtype, pd.CategoricalDtype) or all(p.dtype == dtype for p in pieces):
        return pd.concat(pieces, ignore_index=True)
    text = dtype.categories.dtype
    if isinstance(text, pd.StringDtype) and all(p.cat.categories.dtype == text for p in pieces):
        return _concat_text_categories(pieces, text)
    # Each file's distinct values (missing included) stand in for its rows.
    used = [
        pd.Series(
            pd.Categorical.from_codes(
                np.append(_used_codes(piece), -1) if piece.isna().any() else _used_codes(piece),
                dtype=piece.dtype,
            )
        )
        for piece in pieces
    ]
    merged = pd.concat(used, ignore_index=True)
    dtype = merged.dtype if _is_category(merged) else merged.astype(CATEGORY).dtype
    return pd.concat([piece.astype(dtype) for piece in pieces], ignore_index=True)


def _concat_text_categories(pieces: list[pd.Series], text: pd.StringDtype) -> pd.Series:
    """`concat_column` of categoricals over text, in arrow: the used categories of every piece,
    their sorted union (code-point order, as Python sorts `str`), and each piece's codes mapped
    onto it. Pandas' way casts each piece through a hash table of the union: at 10M events and
    3M distinct messages, hundreds of MB of peak memory and Python strings."""
    used = [_used_codes(piece) for piece in pieces]
    chunks: list[pa.Array] = []
    for piece, codes in zip(pieces, used, strict=True):
        categories = pa.array(piece.cat.categories.array)
        if len(codes) < len(categories):  # a block's categories are usually all used: no copy
            categories = categories.take(pa.array(codes))
        categories = categories.cast(pa.large_string())
        chunks.extend(
            categories.chunks if isinstance(categories, pa.ChunkedArray) else [categories]
        )
    # One hash over every piece's categories, chunk by chunk (one dictionary for all of them),
    # gives the union and where each category is in it; the union is then sorted and those
    # places turned into ranks. Joining the pieces' categories into one array first, and int64
    # codes, had the messages of a 10M-line access log (33 blocks) peak at 712 MiB over the
    # blocks; this way 405 MiB, in 1.2 s instead of 2.2 s.
    encoded = pc.dictionary_encode(pa.chunked_array(chunks, type=pa.large_string()))
    del chunks
    dictionary = (
        encoded.chunk(0).dictionary if encoded.num_chunks else pa.array([], pa.large_string())
    )
    order = pc.array_sort_indices(dictionary).to_numpy(zero_copy_only=False)
    union = dictionary.take(pa.array(order))
    rank = np.empty(len(order), dtype=np.int32)
    rank[order] = np.arange(len(order), dtype=np.int32)
    found = rank[
        np.concatenate(
            [chunk.indices.to_numpy(zero_copy_only=False) for chunk in encoded.chunks]
            or [np.zeros(0, np.int32)]
        )
    ]
    del encoded, dictionary
    ends = np.cumsum([len(kept) for kept in used])
    codes = []
    for piece, kept, where in zip(pieces, used, np.split(found, ends[:-1]), strict=True):
        lookup = np.full(len(piece.cat.categories) + 1, -1, dtype=np.int32)  # the last: NaN
        lookup[kept] = where
        codes.append(lookup[piece.cat.codes.to_numpy()])
    categories = pd.Index(pd.array(union, dtype=text))
    merged = pd.Categorical.from_codes(np.concatenate(codes), dtype=pd.CategoricalDtype(categories))
    return pd.Series(merged)


def _used_codes(piece: pd.Series) -> np.ndarray:
    """The codes of the categories `piece` uses, ascending, without sorting its rows."""
    return used_codes(piece.cat.codes.to_numpy(), len(piece.cat.categories))[0]


def used_codes(codes: np.ndarray, n: int) -> tuple[np.ndarray, bool]:
    """The category codes among `codes` (of `n` categories), ascending, and whether a missing
    value (code -1) is among them: counted, not sorted, so 10M rows cost one pass."""
    counts = np.bincount(np.add(codes, 1, dtype=np.int64), minlength=n + 1)
    return np.flatnonzero(counts[1:]), bool(counts[0])


def _is_category(column: pd.Series) -> bool:
    return isinstance(column.dtype, pd.CategoricalDtype) and not column.dtype.ordered


def _concrete(dtype: object) -> object:
    return pd.CategoricalDtype() if dtype is CATEGORY else dtype


def _has_dtype(column: pd.Series, dtype: object) -> bool:
    # Identity, not ==: a CategoricalDtype compares equal to the string "category".
    if dtype is CATEGORY:
        return isinstance(column.dtype, pd.CategoricalDtype) and not column.dtype.ordered
    return column.dtype == dtype
