"""The JSON-lines parser's fast path against the plain path it replaced: frames must be identical.

The reference below is the parser as it was before it kept its records in arrow and converted
per distinct value: a pandas frame of text, every regex and `pd.to_numeric` over every line.
It is kept here (not in the package) so that the test, not a comment, says the two agree,
down to the dtype of each column and None against NaN in object columns.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from conftest import CORPUS, SAMPLE_LOGS

from parsers import appfields, jsonlines
from parsers.appfields import duration_ms, epoch_candidates, http_status, severity_from_number
from parsers.base import severity_from_status
from parsers.jsonlines import JSON_LINES, parse_json_lines
from pipeline.schema import STRING

# --- the reference: the plain path -------------------------------------------------------------


def plain_parse_json_lines(lines: pa.Array) -> pd.DataFrame:
    """Records as a pandas frame of text; every conversion over every line."""
    records, positions = _plain_read(lines, 0)
    frame = pd.DataFrame(index=pd.Index(positions, dtype=np.int64))
    for column, keys in jsonlines.KEYS.items():
        present = [key for key in keys if key in records.columns]
        if not present:
            continue
        values = records[present[0]]
        for key in present[1:]:
            values = values.fillna(records[key])
        if column in jsonlines.AS_TEXT:
            frame[column] = values.astype(STRING).array
        else:
            frame[column] = values.astype(object).where(values.notna(), None).to_numpy()
    if "ts_text" not in frame.columns:
        frame["ts_text"] = None
    frame["ts_text"] = _plain_time_text(records, frame["ts_text"])
    if "message" in frame.columns:
        frame["message"] = frame["message"].str.rstrip("\r\n")
    else:
        frame["message"] = ""
    if "status" in frame.columns:
        frame["status"] = http_status(frame["status"]).to_numpy()
    for column in ("pid", "bytes"):
        if column in frame.columns:
            frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("Int64")
    durations = [
        plain_duration_ms(records[key], unit)
        for key, unit in jsonlines.DURATION_KEYS.items()
        if key in records
    ]
    if durations:
        merged = durations[0]
        for more in durations[1:]:
            merged = merged.fillna(more)
        frame["duration_ms"] = merged.to_numpy()
    frame["severity"] = _plain_severity(frame)
    return frame


def _plain_read(lines: pa.Array, offset: int) -> tuple[pd.DataFrame, np.ndarray]:
    table = jsonlines._read_block(lines)
    if table is not None:
        return _plain_flat_frame(table), np.arange(offset, offset + len(lines), dtype=np.int64)
    if len(lines) <= jsonlines._SMALLEST_BLOCK:
        return _plain_read_each(lines, offset)
    half = len(lines) // 2
    left, left_pos = _plain_read(lines.slice(0, half), offset)
    right, right_pos = _plain_read(lines.slice(half), offset + half)
    return pd.concat([left, right], ignore_index=True), np.concatenate([left_pos, right_pos])


def _plain_flat_frame(table: pa.Table) -> pd.DataFrame:
    while any(pa.types.is_struct(field.type) for field in table.schema):
        table = table.flatten()
    columns: dict[str, pa.Array] = {}
    for name, column in zip(table.column_names, table.columns, strict=True):
        values = jsonlines._as_text(column.combine_chunks() if column.num_chunks else pa.array([]))
        if values is None:
            continue
        columns[name] = values if name not in columns else pc.coalesce(columns[name], values)
    return pd.DataFrame(
        {name: pd.Series(pd.array(values, dtype=STRING)) for name, values in columns.items()},
        index=pd.RangeIndex(table.num_rows),
    )


def _plain_read_each(lines: pa.Array, offset: int) -> tuple[pd.DataFrame, np.ndarray]:
    rows, positions = [], []
    for position, text in enumerate(lines.to_pylist()):
        try:
            record = json.loads(text)
        except (TypeError, ValueError, RecursionError):
            continue
        if isinstance(record, dict):
            rows.append(jsonlines._flatten(record))
            positions.append(offset + position)
    frame = pd.DataFrame(rows, index=pd.RangeIndex(len(rows)), dtype=object)
    return frame.astype(STRING) if len(frame.columns) else frame, np.array(positions, np.int64)


def _plain_time_text(records: pd.DataFrame, text: pd.Series) -> np.ndarray:
    if "instant.epochSecond" in records.columns:
        nanos = records.get("instant.nanoOfSecond", pd.Series(pd.NA, index=records.index))
        joined = records["instant.epochSecond"] + "." + nanos.fillna("0").str.zfill(9)
        text = pd.Series(text.to_numpy(), index=records.index).fillna(joined)
    text = pd.Series(pd.array(pd.Series(text.to_numpy(), dtype=object), dtype=STRING))
    text = text.str.replace(r"(\d\d:\d\d:\d\d),(\d)", r"\1.\2", regex=True)
    return plain_epoch_to_iso(text).to_numpy()


def plain_epoch_candidates(text: pd.Series) -> pd.Series:
    """Python's `re` on every line."""
    return text.str.match(appfields._EPOCH).fillna(False).astype(bool)


def plain_epoch_to_iso(text: pd.Series) -> pd.Series:
    original = appfields.epoch_candidates
    appfields.epoch_candidates = plain_epoch_candidates
    try:
        return appfields.epoch_to_iso(text)
    finally:
        appfields.epoch_candidates = original


def plain_duration_ms(text: pd.Series, bare_unit_ms: float = 1.0) -> pd.Series:
    """Every distinct text split into its parts by Python's `re`, bare numbers included."""
    result = pd.Series(pd.NA, index=text.index, dtype="Float64")
    values = text.dropna().astype(str).str.strip()
    if values.empty:
        return result
    codes, uniques = pd.factorize(values)
    unique = pd.Series(uniques, dtype=object)
    whole = unique.str.fullmatch(rf"(?:{appfields._DURATION_PART})+")
    ms = pd.Series(np.nan, index=unique.index, dtype=float)
    parts = unique[whole].str.extractall(appfields._DURATION_PART)
    if not parts.empty:
        factor = parts["unit"].map(appfields._MS_PER_UNIT).astype(float).fillna(bare_unit_ms)
        total = (parts["number"].astype(float) * factor).groupby(level=0).sum(min_count=1)
        ms[total.index] = total
    result[values.index] = ms.to_numpy()[codes]
    return result


def _plain_severity(frame: pd.DataFrame) -> pd.Series:
    out = pd.Series(None, index=frame.index, dtype=object)
    if "level" in frame.columns:
        level = frame["level"].astype(object)
        codes, uniques = pd.factorize(level)
        by_unique = severity_from_number(pd.Series(uniques, dtype=object)).to_numpy()
        out = pd.Series(np.where(codes >= 0, by_unique[codes], None), index=frame.index)
        words = level.where(out.isna()).str.replace(r"^([A-Za-z]+)\d+$", r"\1", regex=True)
        frame["level"] = words.to_numpy()
        if "status" in frame.columns:
            no_level = level.isna() & frame["status"].notna()
            out[no_level] = severity_from_status(frame.loc[no_level, "status"])
    elif "status" in frame.columns:
        known = frame["status"].notna()
        out[known] = severity_from_status(frame.loc[known, "status"])
    return out


# --- inputs ------------------------------------------------------------------------------------

TIMES = [
    '"2024-03-14T02:31:07.123Z"', '"2024-03-14T03:31:07+01:00"', '"2024-03-14 02:31:07,250"',
    "1710383467", "1710383467123", "1710383467123456789", "1710383467.25", '"1710383467"',
    '" 1710383467 "', '"00001710383467"', '"-5"', '"99999999999999999999"',
    '"\u0661\u0667\u0661\u0660\u0663\u0668\u0663\u0664\u0666\u0667"', '"\\u00a01710383467"',
    '"1710383467\\u000b"', '"1710383467\\u001c"', '"1710383467\\n"', '"abc"', '""', "null",
    "true", '"2024-03-14T02:31:07"', "9223372036854775807",
]  # fmt: skip
LEVELS = [
    '"info"', '"DEBUG5"', '"debug2"', "50", '"50"', "3", "3.0", '"3.5"', '""', "null", "8",
    "-1", "true", '"ERR1"', '"x9y"', '"\u0663"', "[1]", '{"a": 1}',
]  # fmt: skip
STATUSES = [
    '"200"', "200", "200.5", '"2e2"', '" 404 "', '"ok"', "99", "600", "null", "503", '"502.0"',
    "99999999999999999999", "true", '"\u0665\u0660\u0663"', '{"code": 1}',
]  # fmt: skip
INTEGERS = ["17", '"17"', '"17.0"', '"abc"', "-5", "null", '" 8 "', '"1e3"', "true", '"0x10"']
DURATIONS = [
    '"5.2s"', '"150ms"', '"1m30.5s"', "12", "12.5", '"12 ms"', '" 7 "', '"\u0663ms"', '"abc"',
    "1e20", "1500000000", "-5", '"1.5e3"', "0", '"0.000001"', "100.0", "null", '"5\u00b5s"',
    '"3.s"', '""', f'"{"9" * 40}.{"5" * 40}"', f'"{"9" * 41}"', f'"{"9" * 400}"',
]  # fmt: skip
MESSAGES = [
    '"hello"',
    '"line\\n"',
    '"crlf\\r\\n"',
    '"\u00fcn\u00efc\u00f8d\u00e9"',
    '""',
    "null",
    "42",
]
DURATION_KEYS = ["duration_ms", "elapsed", "request_time", "event.duration", "responseTime"]


def _tricky_line(rng: random.Random) -> str:
    """One JSON line with a random choice of the awkward spellings above."""
    time_key = rng.choice(["ts", "time", "@timestamp", "asctime", "t"])
    parts = [f'"{time_key}": {rng.choice(TIMES)}']
    for chance, key, values in (
        (0.8, rng.choice(["level", "severity", "lvl"]), LEVELS),
        (0.5, "status", STATUSES),
        (0.3, "pid", INTEGERS),
        (0.3, "bytes", INTEGERS),
        (0.5, rng.choice(DURATION_KEYS), DURATIONS),
        (0.9, rng.choice(["msg", "message", "log"]), MESSAGES),
    ):
        if rng.random() < chance:
            parts.append(f'"{key}": {rng.choice(values)}')
    if rng.random() < 0.2:
        parts.append('"service": {"name": "nested"}, "service.name": "dotted"')
    if rng.random() < 0.1:
        parts.append('"instant": {"epochSecond": 1710383467, "nanoOfSecond": 5}')
    if rng.random() < 0.05:
        parts.append('"ts": "2024-03-14T02:31:09Z"')  # a duplicate key
    rng.shuffle(parts)
    line = "{" + ", ".join(parts) + "}"
    roll = rng.random()
    if roll < 0.02:
        return line[:-1]  # broken
    if roll < 0.03:
        return f"{line} {line}"  # two objects on one line
    return line


def _tricky_batches() -> list[list[str]]:
    rng = random.Random(20261202)
    batches = [[_tricky_line(rng) for _ in range(size)] for size in (1, 2, 5, 63, 65, 130, 300) * 4]
    for key, values in (
        ("ts", TIMES),
        ("level", LEVELS),
        ("status", STATUSES),
        ("pid", INTEGERS),
        ("bytes", INTEGERS),
        ("duration_ms", DURATIONS),
        ("event.duration", DURATIONS),
        ("msg", MESSAGES),
    ):
        for value in values:  # one spelling per batch, so that arrow reads it in one go
            line = f'{{"ts": {value}}}' if key == "ts" else f'{{"ts": 1, "{key}": {value}}}'
            batches.append([line, line, '{"ts": "2024-03-14T02:31:08Z", "msg": "n"}'])
    batches.append(
        [
            '{"instant": {"epochSecond": 1710383467, "nanoOfSecond": 123}, "level": "INFO"}',
            '{"instant": {"epochSecond": 1710383468}, "level": "WARN", "timestamp": "x"}',
        ]
    )
    batches.append([])
    return batches


TRICKY = _tricky_batches()


def _json_files() -> list:
    files = sorted(SAMPLE_LOGS.rglob("*.jsonl"))
    if CORPUS.is_dir():
        files += sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.suffix != ".md")
    return files


def _sniffed(path) -> pa.Array:
    lines = path.read_bytes().decode("utf-8", "replace").splitlines()
    array = pa.array(lines, pa.string())
    return array.filter(pa.array(JSON_LINES.matches(array)))


# --- comparison --------------------------------------------------------------------------------


def _outcome(parse: Callable[[pa.Array], pd.DataFrame], lines: pa.Array) -> object:
    """The frame, or the error a batch raises (the plain path raises for some; so must we)."""
    try:
        return parse(lines)
    except (TypeError, ValueError) as error:
        return (type(error).__name__, str(error))


def _assert_same(fast: object, plain: object) -> None:
    if isinstance(plain, tuple) or isinstance(fast, tuple):
        assert fast == plain
        return
    assert isinstance(fast, pd.DataFrame) and isinstance(plain, pd.DataFrame)
    pd.testing.assert_frame_equal(fast, plain, check_exact=True)
    for name in plain.columns:  # assert_frame_equal takes None and NaN as equal
        if plain[name].dtype == object:
            assert [type(v) for v in fast[name]] == [type(v) for v in plain[name]], name


@pytest.mark.parametrize("lines", TRICKY, ids=range(len(TRICKY)))
def test_json_parse_matches_the_plain_path_on_tricky_batches(lines: list[str]) -> None:
    array = pa.array(lines, pa.string())
    _assert_same(_outcome(parse_json_lines, array), _outcome(plain_parse_json_lines, array))


def test_json_parse_matches_the_plain_path_on_sample_and_corpus_files() -> None:
    compared = 0
    for path in _json_files():
        array = _sniffed(path)
        if len(array):
            _assert_same(_outcome(parse_json_lines, array), _outcome(plain_parse_json_lines, array))
            compared += 1
    assert compared >= 5


EDGE_TIMES = [
    "1710383467", " 1710383467 ", "1710383467.25", "2024-03-14T02:31:07Z", "",
    "\u0661\u0667\u0661\u0660", "\u00a01710383467", "1710383467\x0b", "1710383467\x1c",
    "1710383467\x1f", "1710383467\n", "17103834\uff167", "1710383467\x85", "1.2.3", ".", " ",
    "12a", "-12", "+12", "\u0663.\u0663", "1710383467\u2003",
]  # fmt: skip


def test_epoch_candidates_match_python_re_on_every_line() -> None:
    text = pd.Series(pd.array([*EDGE_TIMES, None], dtype=STRING))
    expected = plain_epoch_candidates(text)
    assert expected.sum() >= 8  # the Unicode digits and spaces are candidates too
    pd.testing.assert_series_equal(epoch_candidates(text), expected)


@pytest.mark.parametrize("unit", [1.0, 1e3, 1e-6])
def test_bare_number_durations_match_the_parts_regex(unit: float) -> None:
    values = [json.loads(v) for v in DURATIONS if v != "null"]
    text = pd.Series(
        pd.array([None if v is None else str(v) for v in [*values, None]], dtype=STRING)
    )
    pd.testing.assert_series_equal(duration_ms(text, unit), plain_duration_ms(text, unit))
