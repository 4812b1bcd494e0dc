"""Large files are read and parsed a block at a time: the events and the file reports must be
exactly those of reading the whole file at once.

Blocks are made tiny here (16 KiB after a first block of 1,000 lines), so the sample bundles'
larger files go through dozens of blocks, with lines that no block's format understood offered
to the other formats at the end, as the whole-file path offers them.
"""

from __future__ import annotations

import bz2
import dataclasses
import datetime as dt
import gzip
import lzma
import os
from pathlib import Path

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from parsers import mixed
from parsers.timestamps import TimeOptions
from pipeline import inputs, sources
from pipeline.inputs import Source, read_source
from pipeline.redact import redact_series
from pipeline.report import build_context
from pipeline.schema import COLUMNS, DRAFT_COLUMNS
from pipeline.sources import Ingested, ingest

ROOT = Path(__file__).resolve().parent.parent
BUNDLES = sorted(p.name for p in (ROOT / "sample_logs").iterdir() if (p / "truth.json").exists())
ACCESS = ROOT / "sample_logs" / "bad-deploy" / "web-1" / "nginx" / "access.log"
SMALL = 16 << 10


def _read(paths: list[Path], **options) -> Ingested:
    return ingest(paths, TimeOptions(), **options)


def _same(whole: Ingested, blocks: Ingested) -> None:
    assert_frame_equal(whole.events, blocks.events)
    assert [dataclasses.asdict(q) for q in whole.files] == [
        dataclasses.asdict(q) for q in blocks.files
    ]
    assert whole.skew == blocks.skew


@pytest.fixture
def in_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # file names relative to the project, as the goldens see them


def test_a_large_file_is_read_in_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(inputs, "BLOCK_BYTES", SMALL)
    (item,) = read_source(Source("access.log", ACCESS))
    assert item.rest is not None
    first = len(item.lines)
    sizes = [len(chunk.lines) for chunk in item.rest]
    assert first >= inputs.FIRST_BLOCK_LINES
    assert len(sizes) > 10
    assert first + sum(sizes) == len(ACCESS.read_bytes().splitlines())


def test_a_small_file_is_read_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    (item,) = read_source(Source("access.log", ACCESS))  # 3 MB: far below the default block
    assert item.rest is None
    assert len(item.lines) == len(ACCESS.read_bytes().splitlines())


@pytest.mark.parametrize("bundle", BUNDLES)
def test_every_bundle_reads_the_same_in_blocks(
    bundle: str, in_root: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = _read([Path("sample_logs") / bundle])
    monkeypatch.setattr(inputs, "BLOCK_BYTES", SMALL)
    _same(whole, _read([Path("sample_logs") / bundle]))


def _messy_access_log() -> bytes:
    """An access log with, in its later blocks: syslog and JSON lines pasted in, lines no
    format reads, blank lines, bad UTF-8, CRLF endings and a line longer than 1 MiB."""
    lines = ACCESS.read_bytes().splitlines()
    syslog = b"<13>1 2024-03-14T02:31:07.000Z web-1 cron 411 - - backup finished"
    json = b'{"ts": "2024-03-14T02:40:00Z", "level": "error", "msg": "pool exhausted"}'
    for at in (1500, 4000, 4001, 9000):
        lines.insert(at, syslog)
    lines.insert(6000, json)
    lines.insert(7000, b"garbage that no format reads")
    lines.insert(7001, b"")
    lines.insert(8000, b"bad \xff\xfe bytes in a line")
    lines.insert(10000, b"x" * ((1 << 20) + 10))
    lines[11000] += b"\r"
    return b"\n".join(lines) + b"\n"


CODECS = {
    "": lambda data: data,
    ".gz": lambda data: gzip.compress(data, mtime=0),
    ".bz2": bz2.compress,
    ".xz": lzma.compress,
}


@pytest.mark.parametrize("suffix", list(CODECS), ids=["plain", "gzip", "bzip2", "xz"])
def test_a_messy_file_reads_the_same_in_blocks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, suffix: str
) -> None:
    data = _messy_access_log()
    path = tmp_path / f"access.log{suffix}"
    path.write_bytes(CODECS[suffix](data))
    monkeypatch.chdir(tmp_path)
    whole = _read([Path(path.name)])
    monkeypatch.setattr(inputs, "BLOCK_BYTES", SMALL)
    (item,) = read_source(Source(path.name, path))
    assert item.rest is not None  # read in blocks, whatever the compression
    blocks = _read([Path(path.name)])
    _same(whole, blocks)
    (report,) = blocks.files
    assert report.truncated_lines == 1 and report.invalid_utf8 == 2
    assert set(report.formats) == {"nginx_access", "json_lines", "syslog_rfc5424"}
    # The garbage line, the one with bad bytes and the cut long line; the blank one is blank.
    assert report.unparsed_example_lines == [7001, 8001, 10001] and report.unparsed == 3
    assert report.blank == 1


def test_a_forced_format_reads_the_same_in_blocks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "access.log").write_bytes(_messy_access_log())
    monkeypatch.chdir(tmp_path)
    rules = (("access.log", "nginx_access"),)
    whole = _read([Path("access.log")], format_for=rules)
    monkeypatch.setattr(inputs, "BLOCK_BYTES", SMALL)
    blocks = _read([Path("access.log")], format_for=rules)
    _same(whole, blocks)
    assert blocks.files[0].unparsed == 8  # nothing else is tried on a forced format


def test_a_corrupt_compressed_tail_skips_the_file_as_reading_it_whole_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    packed = gzip.compress(ACCESS.read_bytes(), mtime=0)
    (tmp_path / "access.log.gz").write_bytes(packed[: len(packed) * 3 // 4])
    monkeypatch.chdir(tmp_path)
    whole = _read([Path("access.log.gz")])
    monkeypatch.setattr(inputs, "BLOCK_BYTES", SMALL)
    blocks = _read([Path("access.log.gz")])
    assert whole.files[0].skipped.startswith("corrupt compressed data")
    assert blocks.files[0].skipped.startswith("corrupt compressed data")
    assert blocks.events.empty


def test_the_draft_reads_only_the_columns_it_shows(in_root: None) -> None:
    bundle = [Path("sample_logs/checkout-outage")]
    full = _read(bundle)
    narrow = _read(bundle, columns=DRAFT_COLUMNS)
    assert list(narrow.events.columns) == list(DRAFT_COLUMNS)
    assert "user_agent" in COLUMNS and "user_agent" not in narrow.events.columns
    assert_frame_equal(full.events[list(DRAFT_COLUMNS)], narrow.events)
    assert isinstance(narrow.events["ts"].dtype, pd.DatetimeTZDtype)


@pytest.mark.parametrize("bundle", BUNDLES)
def test_the_compact_table_gives_the_same_context(bundle: str, in_root: None) -> None:
    """Text held as categories (what `draft` reads) changes no fact of the draft."""
    when = dt.datetime(2024, 3, 14, tzinfo=dt.UTC)
    paths = [Path("sample_logs") / bundle]
    full = build_context(_read(paths), generated_at=when, tz="UTC")
    compact = _read(paths, columns=DRAFT_COLUMNS, compact=True)
    assert isinstance(compact.events["message"].dtype, pd.CategoricalDtype)
    assert build_context(compact, generated_at=when, tz="UTC") == full


def test_redacting_categories_merges_what_redacts_the_same() -> None:
    texts = ["token=abc123secret", "token=zzz999secret", "GET /health", None]
    plain = redact_series(pd.Series(texts, dtype="string[pyarrow]"))
    compact = redact_series(pd.Series(texts, dtype="category"))
    assert compact.astype(object).tolist() == plain.astype(object).tolist()
    assert compact.iloc[0] == compact.iloc[1] != texts[0]
    assert len(compact.cat.categories) == 2  # the two secrets became one category
    assert list(compact.cat.categories) == sorted(compact.cat.categories)


ORDERS = ROOT / "sample_logs" / "bad-deploy" / "app-1" / "orders.log"


def _messy_app_log() -> bytes:
    """A Python app log with tracebacks, and in its later blocks: a traceback with a blank line
    inside, a line that looks like an event but whose time is impossible, a logfmt line pasted
    after a traceback line, and an indented line after a blank one."""
    lines = ORDERS.read_bytes().splitlines()
    bad_time = b"2024-13-45 25:61:00,000 ERROR [orders.api] impossible time"
    lines[3000:3000] = [
        b"2024-03-14 13:40:00,000 ERROR [orders.api] boom",
        b"Traceback (most recent call last):",
        b'  File "app.py", line 1, in <module>',
        b"",
        b"ValueError: bad",
        bad_time,
        b'  File "app.py", line 2, in <module>',
        b'ts=2024-03-14T13:40:01Z level=error msg="pasted logfmt"',
    ]
    lines.insert(5000, b"    an indented line after a blank one")
    lines.insert(5000, b"")
    return b"\n".join(lines) + b"\n"


@pytest.mark.parametrize("block", [SMALL, 4 << 10, 40 << 10])
def test_a_multi_line_log_reads_the_same_in_blocks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block: int
) -> None:
    """Each block's last event is parsed again with the next block, so a traceback cut by a
    block boundary still folds into its event."""
    (tmp_path / "orders.log").write_bytes(_messy_app_log())
    monkeypatch.chdir(tmp_path)
    whole = _read([Path("orders.log")])
    monkeypatch.setattr(inputs, "BLOCK_BYTES", block)
    (item,) = read_source(Source("orders.log", Path("orders.log")))
    assert item.rest is not None
    blocks = _read([Path("orders.log")])
    _same(whole, blocks)
    (report,) = blocks.files
    assert report.continuation > 6000 and report.formats.keys() == {"python_logging"}
    assert report.unparsed_example_lines == [3006]  # the impossible time: not an event
    folded = blocks.events["message"].str.contains("ValueError: bad", regex=False)
    assert folded.sum() == 1


def _messy_syslog(start: dt.datetime, count: int = 6000) -> bytes:
    """RFC 3164 syslog a second a line from `start`, with what a real one holds between its
    events: indented continuations, `last message repeated` (often after a kernel line, which
    has no pid, so the pid it takes is older), a date that is none, a level word where the host
    goes, garbage, blank lines, and JSON and access-log lines pasted in."""
    lines = []
    for i in range(count):
        at = start + dt.timedelta(seconds=i)
        stamp = f"{at:%b} {at.day:2d} {at:%H:%M:%S}"
        if i % 5 == 0:
            lines.append(f"{stamp} web-{i % 3} kernel: eth0 tick {i}")
        else:
            lines.append(f"{stamp} web-{i % 3} app[{1000 + i % 7}]: request {i} done")
        if i % 13 == 0:
            lines.append(f"{stamp} web-{i % 3} --- last message repeated {i % 4 + 2} times ---")
        if i % 17 == 0:
            lines.append(f"{stamp} last message repeated 2 times")
        if i % 97 == 0:
            lines.append(f"\tdetail {i} of the event before")
        if i % 211 == 0:
            lines.append(f"### garbage {i}")
        if i % 307 == 0:
            lines.append("")
        if i % 1009 == 5:
            lines.append(f"Feb 30 {at:%H:%M:%S} web-1 app[1]: no such day")
            lines.append("\tits continuation")
            lines.append(f"{stamp} INFO started")
        if i % 1500 == 7:
            lines.append('{"ts": "2024-03-14T02:40:00Z", "level": "error", "msg": "pasted"}')
            lines.append(
                '10.0.0.1 - - [14/Mar/2024:02:40:00 +0000] "GET / HTTP/1.1" 200 5 "-" "curl"'
            )
    return ("\n".join(lines) + "\n").encode()


def _syslog_file(tmp_path: Path, start: dt.datetime, name: str = "syslog", **kw: int) -> Path:
    path = tmp_path / name
    path.write_bytes(_messy_syslog(start, **kw))
    written = dt.datetime(2025, 1, 1, 12, tzinfo=dt.UTC).timestamp()  # the year rule's default
    os.utime(path, (written, written))
    return path


def _tiny_blocks(monkeypatch: pytest.MonkeyPatch, block: int) -> None:
    monkeypatch.setattr(inputs, "BLOCK_BYTES", block)
    monkeypatch.setattr(inputs, "FIRST_BLOCK_LINES", 300)


def _never_joined(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail if a file's blocks are joined and parsed whole instead of block by block."""

    def joined(*args: object, **kw: object) -> None:
        raise AssertionError("blocks joined into the whole file")

    monkeypatch.setattr(mixed, "parse_file", joined)


@pytest.mark.parametrize("block", [SMALL, 4 << 10, 40 << 10])
def test_year_less_syslog_reads_the_same_in_blocks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block: int
) -> None:
    """The New Year falls in a later block; repeats, continuations and junk cross block
    boundaries; the year comes from the file's date."""
    _syslog_file(tmp_path, dt.datetime(2024, 12, 31, 22, 40))
    monkeypatch.chdir(tmp_path)
    whole = _read([Path("syslog")])
    _tiny_blocks(monkeypatch, block)
    (item,) = read_source(Source("syslog", Path("syslog")))
    assert item.rest is not None
    _never_joined(monkeypatch)
    blocks = _read([Path("syslog")])
    _same(whole, blocks)
    (report,) = blocks.files
    assert report.year_rule == "file date" and report.formats.keys() >= {"syslog_rfc3164"}
    assert {"json_lines", "nginx_access"} <= report.formats.keys()
    assert report.first.year == 2024 and report.last.year == 2025
    assert report.continuation > 60 and report.unparsed > 20
    repeats = blocks.events["message"].str.contains("last message repeated", regex=False)
    assert repeats.sum() > 700 and blocks.events.loc[repeats, "service"].notna().all()


def test_year_less_syslog_with_a_given_year_reads_the_same_in_blocks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _syslog_file(tmp_path, dt.datetime(2022, 12, 31, 22, 40))
    monkeypatch.chdir(tmp_path)
    whole = ingest([Path("syslog")], TimeOptions(year=2021))
    _tiny_blocks(monkeypatch, SMALL)
    _never_joined(monkeypatch)
    blocks = ingest([Path("syslog")], TimeOptions(year=2021))
    _same(whole, blocks)
    assert blocks.files[0].year_rule == "--year"
    syslog = blocks.events[blocks.events["format"] == "syslog_rfc3164"]
    assert syslog["ts"].dt.year.isin([2021, 2022]).all()


def test_year_less_syslog_takes_the_bundles_year_in_blocks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The year that puts the file in the span the bundle's other (dated) logs cover."""
    _syslog_file(tmp_path, dt.datetime(2022, 12, 31, 22, 40))
    (tmp_path / "app.log").write_text(
        "ts=2022-12-31T23:00:00Z level=info msg=start\n"
        "ts=2023-01-01T01:00:00Z level=error msg=failed\n"
    )
    monkeypatch.chdir(tmp_path)
    whole = _read([Path(".")])
    _tiny_blocks(monkeypatch, SMALL)
    _never_joined(monkeypatch)
    blocks = _read([Path(".")])
    _same(whole, blocks)
    syslog = next(report for report in blocks.files if report.path == "syslog")
    assert syslog.year_rule == "bundle" and syslog.first.year == 2022


@pytest.mark.parametrize("year", [2023, 2024])
def test_feb_29_in_a_year_without_it_reads_the_same_in_blocks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, year: int
) -> None:
    """`Feb 29` is a date only in a leap year, which the blocks cannot know until the year is
    chosen: in a year without it the file is read again, whole."""
    _syslog_file(tmp_path, dt.datetime(2024, 2, 28, 23, 30), count=3000)
    monkeypatch.chdir(tmp_path)
    whole = ingest([Path("syslog")], TimeOptions(year=year))
    _tiny_blocks(monkeypatch, SMALL)
    again = []
    reread = sources._whole
    monkeypatch.setattr(sources, "_whole", lambda *args: again.append(1) or reread(*args))
    blocks = ingest([Path("syslog")], TimeOptions(year=year))
    _same(whole, blocks)
    assert bool(again) == (year == 2023)
    feb_29 = blocks.events["ts"].dt.strftime("%m-%d").eq("02-29").sum()
    assert (feb_29 > 0) == (year == 2024)


def test_year_less_syslog_after_a_banner_no_format_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Detection falls back to a vote over the whole file: its blocks are joined, as before."""
    banner = "".join(f"== banner line {i} ==\n" for i in range(400)).encode()
    (tmp_path / "syslog").write_bytes(banner + _messy_syslog(dt.datetime(2024, 3, 1)))
    monkeypatch.chdir(tmp_path)
    whole = _read([Path("syslog")])
    _tiny_blocks(monkeypatch, SMALL)
    blocks = _read([Path("syslog")])
    _same(whole, blocks)
    assert blocks.files[0].format == "syslog_rfc3164" and blocks.files[0].unparsed > 400
