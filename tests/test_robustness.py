"""Bad input never raises and never loses a line: arbitrary bytes and mutated real lines.

The invariant checked everywhere: every line is exactly one of event start, continuation,
unparsed or blank (events + continuation + unparsed + blank == lines), event and unparsed line
numbers are distinct and inside the file, and a file that is not read at all says why.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import pytest
from conftest import CORPUS, ROOT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import parsers
from parsers.mixed import ParsedFile, parse_file
from parsers.timestamps import TimeOptions
from pipeline.inputs import split_lines
from pipeline.schema import validate
from pipeline.sources import ingest

SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
TIME = TimeOptions(year=2024)


def _real_lines() -> list[str]:
    """Lines of every registered sample plus the first lines of a few real files."""
    lines = [
        line for fmt in parsers.registered() for s in fmt.samples for line in s.line.split("\n")
    ]
    files = [
        CORPUS / "lnav" / "test" / "logfile_docker_compose.0",
        CORPUS / "lnav" / "test" / "logfile_syslog_with_access_log.0",
        CORPUS / "lnav" / "test" / "logfile_java.0",
        CORPUS / "elastic-beats" / "nginx" / "access" / "test.log",
        CORPUS / "elastic-beats" / "nginx" / "error" / "error.log",
    ]
    files += sorted((ROOT / "sample_logs").glob("*/*.log"))[:4]
    for path in files:
        if path.is_file():
            text = path.read_bytes()[:20_000].decode("utf-8", errors="replace")
            lines.extend(text.splitlines()[:40])
    return lines


REAL_LINES = _real_lines()


def assert_accounted(result: ParsedFile, n_lines: int) -> None:
    assert result.lines == n_lines
    total = len(result.events) + result.continuation + result.unparsed + result.blank
    assert total == n_lines, (
        len(result.events),
        result.continuation,
        result.unparsed,
        result.blank,
    )
    event_lines = result.events["line_no"].to_numpy(dtype=np.int64)
    unparsed = np.asarray(result.unparsed_line_nos, dtype=np.int64)
    assert len(np.unique(event_lines)) == len(event_lines)
    assert not np.intersect1d(event_lines, unparsed).size
    everything = np.concatenate([event_lines, unparsed])
    assert everything.size == 0 or (everything.min() >= 1 and everything.max() <= n_lines)
    assert result.events["ts"].notna().all()
    validate(result.events)


def _mutate(line: str, data: st.DataObject) -> str:
    """One of the ways real lines go wrong: cut, spliced, a byte flipped, a field doubled."""
    kind = data.draw(st.sampled_from(["cut", "insert", "replace", "delete", "double", "prefix"]))
    at = data.draw(st.integers(0, len(line)))
    junk = data.draw(st.text(min_size=1, max_size=8))
    if kind == "cut":
        return line[:at]
    if kind == "insert":
        return line[:at] + junk + line[at:]
    if kind == "replace":
        return line[:at] + junk + line[at + len(junk) :]
    if kind == "delete":
        return line[:at] + line[at + len(junk) :]
    if kind == "double":
        return line[:at] + line[at:] + line[at:]
    return "web-1  | " + line


def _one_line(text: str) -> str:
    return text.replace("\r", " ").replace("\n", " ")


@SETTINGS
@given(st.lists(st.text(max_size=120).map(_one_line), max_size=30))
def test_arbitrary_text_lines_are_all_accounted_for(lines: list[str]) -> None:
    assert_accounted(parse_file(lines, TIME), len(lines))


@SETTINGS
@given(st.data())
def test_mutated_real_lines_are_all_accounted_for(data: st.DataObject) -> None:
    picked = data.draw(st.lists(st.sampled_from(REAL_LINES), min_size=1, max_size=25))
    lines = [_one_line(_mutate(line, data)) for line in picked]
    assert_accounted(parse_file(lines, TIME), len(lines))


@SETTINGS
@given(st.lists(st.sampled_from(REAL_LINES), min_size=1, max_size=25), st.data())
def test_each_format_forced_on_real_lines_accounts_for_them(
    lines: list[str], data: st.DataObject
) -> None:
    forced = data.draw(st.sampled_from(parsers.registered()))
    assert_accounted(parse_file(lines, TIME, forced=forced), len(lines))


@SETTINGS
@given(st.binary(max_size=600))
def test_arbitrary_bytes_never_raise_and_keep_every_line(raw: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "input.log"
        path.write_bytes(raw)
        ingested = ingest([path], TIME)
    (quality,) = ingested.files
    if quality.skipped is not None:
        assert quality.lines == 0 and len(ingested.events) == 0
        return
    text = raw.decode("utf-16") if raw[:2] in (b"\xff\xfe", b"\xfe\xff") else None
    # A UTF-8 byte-order mark is not text (pipeline.inputs.decode drops it too).
    utf8 = raw.decode("utf-8", "replace").removeprefix("\ufeff")
    expected = len(split_lines(text if text is not None else utf8)[0])
    assert quality.lines == expected
    total = quality.events + quality.continuation + quality.unparsed + quality.blank
    assert total == quality.lines
    assert len(ingested.events) == quality.events


@SETTINGS
@given(st.lists(st.sampled_from(REAL_LINES), max_size=20), st.binary(max_size=50))
def test_real_lines_with_binary_garbage_between_them(lines: list[str], garbage: bytes) -> None:
    raw = "\n".join(lines).encode() + b"\n" + garbage.replace(b"\x00", b"") + b"\n"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "input.log"
        path.write_bytes(raw)
        os.utime(path, (1_710_000_000, 1_710_000_000))
        ingested = ingest([path], TIME)
    (quality,) = ingested.files
    if quality.skipped is None:
        total = quality.events + quality.continuation + quality.unparsed + quality.blank
        assert total == quality.lines


# Values that a column's type cannot hold: each made the whole batch of lines raise (found while
# speeding up the JSON-lines parser). Now the value is missing or replaced, and the lines stay.
ODD_VALUES = {
    "fractional.jsonl": (
        '{"ts": "2024-03-14T02:31:00Z", "msg": "a", "bytes": 10, "pid": 7}\n'
        '{"ts": "2024-03-14T02:31:01Z", "msg": "b", "bytes": 1.5, "pid": 2.5}\n'
    ),
    "surrogate.jsonl": (
        '{"ts": "2024-03-14T02:31:00Z", "msg": "a\\ud800b", "\\udfff": "key"}\n'
        '{"ts": "2024-03-14T02:31:01Z", "msg": "b"}\n'
    ),
    "journal.json": (
        '{"__REALTIME_TIMESTAMP": "1710383460000000", "MESSAGE": "a\\ud800b", "_PID": "1.5"}\n'
        '{"__REALTIME_TIMESTAMP": "1710383461000000", "MESSAGE": "b", "_PID": "1e30"}\n'
    ),
    "app.logfmt": (
        'ts=2024-03-14T02:31:00Z level=info msg="a\\ud800b" pid=1.5 bytes=99999999999999999999\n'
        "ts=2024-03-14T02:31:01Z level=info msg=b pid=7\n"
    ),
    "access.log": (
        '1.2.3.4 - - [14/Mar/2024:02:31:00 +0000] "GET / HTTP/1.1" 200 99999999999999999999999'
        ' "-" "a"\n'
        '1.2.3.4 - - [14/Mar/2024:02:31:01 +0000] "GET / HTTP/1.1" 200 5 "-" "a"\n'
    ),
    "syslog": (
        "Mar 14 02:31:00 web-1 app[99999999999999999999]: a\nMar 14 02:31:01 web-1 app[7]: b\n"
    ),
    "rfc5424.log": (
        "<14>1 2024-03-14T02:31:00Z web-1 app 1.5 - - a\n"
        "<14>1 2024-03-14T02:31:01Z web-1 app 7 - - b\n"
    ),
    "nginx_error.log": (
        "2024/03/14 02:31:00 [error] 99999999999999999999#0: *1 connect() failed, client: 1.2.3.4\n"
        "2024/03/14 02:31:01 [error] 7#0: *2 connect() failed, client: 1.2.3.4\n"
    ),
}


@pytest.mark.parametrize("name", sorted(ODD_VALUES))
def test_a_value_no_column_can_hold_loses_no_line(name: str, tmp_path: Path) -> None:
    path = tmp_path / name
    path.write_text(ODD_VALUES[name], encoding="utf-8")
    ingested = ingest([path], TimeOptions(tz="UTC"))
    assert len(ingested.events) == 2
    assert ingested.files[0].unparsed == 0
    events = ingested.events
    assert "\ud800" not in "".join(events["message"].astype(str))
    for column in ("pid", "bytes"):  # what cannot be a whole number is missing, not a guess
        assert events[column].dropna().isin([5, 7, 10]).all()
