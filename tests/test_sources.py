"""Reading what people copy off a box: every input kind, with exact line accounting."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import os
import sys
import tarfile
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from conftest import CORPUS

from parsers.timestamps import TimeOptions
from pipeline import inputs
from pipeline.errors import PostmortemError
from pipeline.sources import FileQuality, forced_format, ingest, parse_format_rules

ACCESS = (
    '203.0.113.{n} - - [14/Mar/2024:02:31:{s:02d} +0000] "GET /api/cart?id={n} HTTP/1.1" 502 57'
    ' "-" "curl/8.5.0"'
)
JSON = '{{"ts": "2024-03-14T02:31:{s:02d}Z", "level": "error", "msg": "payment timeout {n}"}}'
SYSLOG = "Mar 14 02:31:{s:02d} web-1 app[42]: worker {n} restarted"
JUNK = "%%% this is not a log line %%%"


def access_text(count: int, second: int = 7) -> str:
    return "".join(ACCESS.format(n=n, s=second) + "\n" for n in range(count))


def only(files: list[FileQuality]) -> FileQuality:
    assert len(files) == 1, files
    return files[0]


def assert_accounted(quality: FileQuality) -> None:
    total = quality.events + quality.continuation + quality.unparsed + quality.blank
    assert quality.lines == total, quality


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def test_plain_file_counts_every_line(tmp_path: Path) -> None:
    text = access_text(3) + "\n" + JUNK + "\n" + "   \n"
    (tmp_path / "access.log").write_text(text)
    quality = only(ingest([Path("access.log")]).files)
    assert (quality.path, quality.format) == ("access.log", "nginx_access")
    assert (quality.lines, quality.events, quality.unparsed, quality.blank) == (6, 3, 1, 2)
    assert quality.unparsed_examples == [JUNK]
    assert quality.unparsed_example_lines == [5]
    assert quality.first == quality.last == pd.Timestamp("2024-03-14T02:31:07Z")
    assert_accounted(quality)


def test_crlf_lines_and_a_missing_final_newline(tmp_path: Path) -> None:
    (tmp_path / "a.log").write_bytes(access_text(2).replace("\n", "\r\n").encode() + b"x=")
    ingested = ingest([Path("a.log")])
    quality = only(ingested.files)
    assert (quality.lines, quality.events, quality.unparsed) == (3, 2, 1)
    assert quality.unparsed_examples == ["x="]
    assert ingested.events["user_agent"].tolist() == ["curl/8.5.0", "curl/8.5.0"]


def test_directory_is_read_recursively_without_dotfiles_or_readme(tmp_path: Path) -> None:
    (tmp_path / "logs" / "nginx").mkdir(parents=True)
    (tmp_path / "logs" / "nginx" / "access.log").write_text(access_text(2))
    (tmp_path / "logs" / "app.jsonl").write_text(JSON.format(s=1, n=1) + "\n")
    (tmp_path / "logs" / ".hidden.log").write_text(access_text(5))
    (tmp_path / "logs" / "README.md").write_text("# what happened\n")
    ingested = ingest([Path("logs")])
    assert [q.path for q in ingested.files] == ["logs/app.jsonl", "logs/nginx/access.log"]
    assert [q.events for q in ingested.files] == [1, 2]
    assert len(ingested.events) == 3


def test_globs_the_shell_did_not_expand(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "b").mkdir()
    (tmp_path / "a" / "one.log").write_text(access_text(1))
    (tmp_path / "a" / "b" / "two.log").write_text(access_text(2))
    (tmp_path / "a" / "b" / "notes.txt").write_text(JUNK + "\n")
    flat = ingest([Path("a/*.log")])
    assert [q.path for q in flat.files] == ["a/one.log"]
    deep = ingest([Path("a/**/*.log")])
    assert sorted(q.path for q in deep.files) == ["a/b/two.log", "a/one.log"]
    assert len(deep.events) == 3


def test_glob_without_matches_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(PostmortemError, match=r"no files match nothing/\*\.log"):
        ingest([Path("nothing/*.log")])


def test_missing_path_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(PostmortemError, match=r"no such file or directory: nope\.log"):
        ingest([Path("nope.log")])


def test_stdin_is_read_for_a_dash(monkeypatch: pytest.MonkeyPatch) -> None:
    data = (access_text(2) + JUNK + "\n").encode()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    quality = only(ingest([Path("-")]).files)
    assert (quality.path, quality.lines, quality.events, quality.unparsed) == ("<stdin>", 3, 2, 1)


@pytest.mark.parametrize(
    ("name", "compress"),
    [
        ("access.log.1", gzip.compress),  # gzip named like a plain rotation
        ("access.txt", bz2.compress),
        ("access", lzma.compress),
        ("access.log.gz", lambda data: data),  # named .gz but plain text
    ],
)
def test_compression_is_detected_by_magic_bytes(tmp_path: Path, name: str, compress) -> None:
    (tmp_path / name).write_bytes(compress(access_text(4).encode()))
    quality = only(ingest([Path(name)]).files)
    assert (quality.path, quality.lines, quality.events, quality.skipped) == (name, 4, 4, None)


def test_multi_member_gzip_reads_every_member(tmp_path: Path) -> None:
    data = gzip.compress(access_text(2).encode()) + gzip.compress(access_text(3).encode())
    (tmp_path / "access.log.2.gz").write_bytes(data)
    assert only(ingest([Path("access.log.2.gz")]).files).events == 5


def test_zstd_when_zstandard_is_installed(tmp_path: Path) -> None:
    zstandard = pytest.importorskip("zstandard")
    data = zstandard.ZstdCompressor().compress(access_text(3).encode())
    (tmp_path / "access.log.zst").write_bytes(data)
    assert only(ingest([Path("access.log.zst")]).files).events == 3


def test_zstd_reads_every_frame(tmp_path: Path) -> None:
    zstandard = pytest.importorskip("zstandard")
    compressor = zstandard.ZstdCompressor()
    data = compressor.compress(access_text(2).encode()) + compressor.compress(
        access_text(3).encode()
    )
    (tmp_path / "access.log.zst").write_bytes(data)
    assert only(ingest([Path("access.log.zst")]).files).events == 5


def test_zstd_without_zstandard_is_skipped_with_the_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "zstandard", None)  # as if it were not installed
    (tmp_path / "access.log.zst").write_bytes(b"\x28\xb5\x2f\xfd" + b"\x00" * 20)
    quality = only(ingest([Path("access.log.zst")]).files)
    assert quality.skipped == "zstd-compressed; install the zstandard package to read it"


def test_corrupt_gzip_is_skipped_not_fatal(tmp_path: Path) -> None:
    (tmp_path / "broken.gz").write_bytes(gzip.compress(access_text(50).encode())[:40])
    (tmp_path / "ok.log").write_text(access_text(1))
    ingested = ingest([tmp_path])
    broken, ok = ingested.files
    assert broken.path == "broken.gz"
    assert broken.skipped is not None and broken.skipped.startswith("corrupt compressed data")
    assert (ok.path, ok.events) == ("ok.log", 1)


def _tar_bytes(members: dict[str, bytes], mtime: int = 1_710_000_000) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = mtime
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def test_tar_gz_bundle_is_read_in_place(tmp_path: Path) -> None:
    members = {
        "var/log/nginx/access.log": access_text(2).encode(),
        "var/log/nginx/access.log.1.gz": gzip.compress(access_text(3).encode()),
        "var/log/.DS_Store": b"\x00\x01binary",
        "var/log/app.bin": b"\x7fELF\x00\x00\x00",
    }
    (tmp_path / "incident.tar.gz").write_bytes(_tar_bytes(members))
    before = sorted(os.listdir(tmp_path))
    ingested = ingest([Path("incident.tar.gz")])
    assert [(q.path, q.events, q.skipped) for q in ingested.files] == [
        ("incident.tar.gz!var/log/app.bin", 0, "binary file"),
        ("incident.tar.gz!var/log/nginx/access.log.1.gz", 3, None),
        ("incident.tar.gz!var/log/nginx/access.log", 2, None),
    ]
    assert sorted(os.listdir(tmp_path)) == before  # nothing extracted to disk


def test_plain_tar_and_tgz_names_work_too(tmp_path: Path) -> None:
    data = gzip.decompress(_tar_bytes({"a.log": access_text(1).encode()}))
    (tmp_path / "logs.tar").write_bytes(data)
    (tmp_path / "logs.tgz").write_bytes(gzip.compress(data))
    ingested = ingest([Path("logs.tar"), Path("logs.tgz")])
    assert [(q.path, q.events) for q in ingested.files] == [
        ("logs.tar!a.log", 1),
        ("logs.tgz!a.log", 1),
    ]


def test_zip_bundle_is_read_in_place(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("logs/app.jsonl", JSON.format(s=5, n=1) + "\n" + JUNK + "\n")
        archive.writestr("logs/syslog.xz", lzma.compress((SYSLOG.format(s=1, n=2) + "\n").encode()))
        archive.writestr("__MACOSX/logs/._app.jsonl", b"\x00\x05\x16\x07")
    (tmp_path / "bundle.zip").write_bytes(buffer.getvalue())
    ingested = ingest([Path("bundle.zip")], TimeOptions(year=2024))
    assert [(q.path, q.format, q.events, q.unparsed) for q in ingested.files] == [
        ("bundle.zip!logs/app.jsonl", "json_lines", 1, 1),
        ("bundle.zip!logs/syslog.xz", "syslog_rfc3164", 1, 0),
    ]


def test_rotation_key_orders_a_series_oldest_first() -> None:
    names = [
        "access.log",
        "access.log.1",
        "access.log.10.gz",
        "access.log.2.gz",
        "app.log",
        "app.log-20240314",
        "app.log-20240313.gz",
        "app.log.2024-03-12",
    ]
    assert sorted(names, key=inputs.rotation_key) == [
        "access.log.10.gz",
        "access.log.2.gz",
        "access.log.1",
        "access.log",
        "app.log.2024-03-12",
        "app.log-20240313.gz",
        "app.log-20240314",
        "app.log",
    ]


def test_rotated_series_are_read_oldest_first_and_keep_that_order_on_ties(tmp_path: Path) -> None:
    (tmp_path / "access.log").write_text(ACCESS.format(n=3, s=7) + "\n")
    (tmp_path / "access.log.1").write_text(ACCESS.format(n=2, s=7) + "\n")
    (tmp_path / "access.log.2.gz").write_bytes(
        gzip.compress((ACCESS.format(n=1, s=7) + "\n").encode())
    )
    ingested = ingest([tmp_path])
    assert [q.path for q in ingested.files] == ["access.log.2.gz", "access.log.1", "access.log"]
    assert ingested.events["client_ip"].tolist() == ["203.0.113.1", "203.0.113.2", "203.0.113.3"]


def test_binary_file_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "core.dump").write_bytes(b"\x7fELF\x02\x01\x01\x00\x00\x00" * 100)
    quality = only(ingest([Path("core.dump")]).files)
    assert (quality.skipped, quality.lines, quality.events) == ("binary file", 0, 0)


def test_utf16_with_a_bom_is_text_not_binary(tmp_path: Path) -> None:
    (tmp_path / "win.log").write_bytes(access_text(2).encode("utf-16"))
    quality = only(ingest([Path("win.log")]).files)
    assert (quality.skipped, quality.events) == (None, 2)


def test_permission_error_is_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "secure").write_text(access_text(1))
    (tmp_path / "ok.log").write_text(access_text(1))
    real = inputs._read_bytes

    def read(path: Path) -> bytes:
        if path.name == "secure":
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(inputs, "_read_bytes", read)
    ingested = ingest([tmp_path])
    assert [(q.path, q.skipped, q.events) for q in ingested.files] == [
        ("ok.log", None, 1),
        ("secure", "permission denied", 0),
    ]


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads anything")
def test_unreadable_file_on_disk_is_skipped(tmp_path: Path) -> None:
    secret = tmp_path / "secure"
    secret.write_text(access_text(1))
    secret.chmod(0)
    assert only(ingest([Path("secure")]).files).skipped == "permission denied"


def test_symlink_loops_and_dangling_links_are_skipped(tmp_path: Path) -> None:
    (tmp_path / "logs" / "sub").mkdir(parents=True)
    (tmp_path / "logs" / "sub" / "access.log").write_text(access_text(2))
    (tmp_path / "logs" / "sub" / "up").symlink_to(tmp_path / "logs")  # directory loop
    (tmp_path / "logs" / "self").symlink_to(tmp_path / "logs" / "self")  # link to itself
    (tmp_path / "logs" / "gone").symlink_to(tmp_path / "nowhere")
    ingested = ingest([Path("logs")])
    assert [(q.path, q.skipped) for q in ingested.files] == [
        ("logs/gone", "broken symlink"),
        ("logs/self", "symlink loop"),
        ("logs/sub/access.log", None),
        ("logs/sub/up", "symlink loop"),
    ]
    assert len(ingested.events) == 2


def test_the_same_file_through_a_link_is_read_once(tmp_path: Path) -> None:
    (tmp_path / "access.log").write_text(access_text(2))
    (tmp_path / "current").symlink_to(tmp_path / "access.log")
    ingested = ingest([tmp_path])
    assert [(q.path, q.skipped) for q in ingested.files] == [
        ("access.log", None),
        ("current", "same file as access.log"),
    ]
    assert len(ingested.events) == 2


def test_invalid_utf8_is_replaced_and_counted(tmp_path: Path) -> None:
    line = ACCESS.format(n=1, s=7).replace("curl/8.5.0", "curl\xff\xfe").encode("latin-1")
    (tmp_path / "a.log").write_bytes(line + b"\n" + b"\xc3\x28 broken\n")
    ingested = ingest([Path("a.log")])
    quality = only(ingested.files)
    assert (quality.invalid_utf8, quality.events, quality.unparsed) == (3, 1, 1)
    assert ingested.events["user_agent"].tolist() == ["curl\ufffd\ufffd"]
    assert quality.unparsed_examples == ["\ufffd( broken"]


def test_lines_over_one_mebibyte_are_truncated_and_counted(tmp_path: Path) -> None:
    long = "x" * (3 * inputs.MAX_LINE_BYTES)
    (tmp_path / "a.log").write_text(
        access_text(1) + long + "\n" + "é" * inputs.MAX_LINE_BYTES + "\n"
    )
    quality = only(ingest([Path("a.log")]).files)
    assert (quality.truncated_lines, quality.lines, quality.events, quality.unparsed) == (
        2,
        3,
        1,
        2,
    )
    assert len(quality.unparsed_examples[0]) == inputs.MAX_LINE_BYTES
    assert len(quality.unparsed_examples[1]) == inputs.MAX_LINE_BYTES // 2  # cut on a character


def test_split_lines_counts_lines_like_wc_l_plus_an_unterminated_tail() -> None:
    def split(text: str) -> list[str]:
        return inputs.split_lines(text)[0].to_pylist()

    assert split("") == []
    assert split("\n") == [""]
    assert split("a\nb") == ["a", "b"]
    assert split("a\r\nb\r\n") == ["a", "b"]
    assert split("a\n\nb\n") == ["a", "", "b"]


def test_mixed_file_falls_back_line_by_line(tmp_path: Path) -> None:
    lines = [
        JSON.format(s=1, n=1),
        ACCESS.format(n=9, s=2),
        JUNK,
        JSON.format(s=3, n=2),
        SYSLOG.format(s=4, n=3),
        "",
    ]
    (tmp_path / "mixed.log").write_text("\n".join(lines) + "\n")
    ingested = ingest([Path("mixed.log")])
    quality = only(ingested.files)
    assert quality.format == "json_lines"
    assert quality.formats == {"json_lines": 2, "nginx_access": 1, "syslog_rfc3164": 1}
    assert (quality.lines, quality.events, quality.unparsed, quality.blank) == (6, 4, 1, 1)
    assert quality.unparsed_example_lines == [3]
    events = ingested.events
    assert events["line_no"].tolist() == [1, 2, 4, 5]
    assert events["format"].astype(str).tolist() == [
        "json_lines",
        "nginx_access",
        "json_lines",
        "syslog_rfc3164",
    ]
    # The year-less syslog line takes its year from the file's own full timestamps.
    assert events["ts"].iloc[-1] == pd.Timestamp("2024-03-14T02:31:04Z")


def test_docker_compose_prefixes_become_services(tmp_path: Path) -> None:
    lines = [
        "Attaching to api-1, web-1",
        "\x1b[36mweb-1  |\x1b[0m " + ACCESS.format(n=1, s=1),
        "api-1  | " + JSON.format(s=2, n=1),
        "web-1  | " + ACCESS.format(n=2, s=3),
        "api-1  | " + JUNK,
        "api-1  | ",
    ]
    (tmp_path / "compose.log").write_text("\n".join(lines) + "\n")
    ingested = ingest([Path("compose.log")])
    quality = only(ingested.files)
    assert (quality.lines, quality.events, quality.unparsed, quality.blank) == (6, 3, 2, 1)
    assert quality.unparsed_example_lines == [1, 5]
    assert quality.unparsed_examples == ["Attaching to api-1, web-1", JUNK]
    events = ingested.events
    assert events["line_no"].tolist() == [2, 3, 4]
    assert events["service"].astype(str).tolist() == ["web-1", "api-1", "web-1"]
    assert events["client_ip"].tolist()[::2] == ["203.0.113.1", "203.0.113.2"]


def test_docker_compose_corpus_file_is_split_by_service() -> None:
    path = CORPUS / "lnav" / "test" / "logfile_docker_compose.0"
    if not path.exists():
        pytest.skip("corpus not available")
    quality = only(ingest([path]).files)
    assert quality.lines == 22
    assert_accounted(quality)


def test_format_for_forces_a_format_and_skips_the_fallback(tmp_path: Path) -> None:
    (tmp_path / "odd.txt").write_text(
        SYSLOG.format(s=1, n=1) + "\n" + ACCESS.format(n=1, s=2) + "\n"
    )
    rules = parse_format_rules(["*.txt=syslog_rfc3164"])
    quality = only(ingest([Path("odd.txt")], TimeOptions(year=2023), format_for=rules).files)
    assert (quality.format, quality.forced, quality.events, quality.unparsed) == (
        "syslog_rfc3164",
        True,
        1,
        1,
    )
    assert quality.first == pd.Timestamp("2023-03-14T02:31:01Z")


def test_format_for_matches_paths_basenames_and_archive_members() -> None:
    rules = parse_format_rules(["nginx/*.log=json_lines", "app*=logfmt"])
    assert forced_format("var/nginx/x.log", rules).name == "json_lines"
    assert forced_format("b.tar.gz!srv/app.out", rules).name == "logfmt"
    assert forced_format("other.log", rules) is None


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("*.log=martian", "unknown format 'martian' (known: "),
        ("*.log", "--format-for wants GLOB=FORMAT"),
        ("=json_lines", "--format-for wants GLOB=FORMAT"),
    ],
)
def test_bad_format_for_is_an_error(value: str, message: str) -> None:
    with pytest.raises(PostmortemError) as error:
        parse_format_rules([value])
    assert str(error.value).startswith(message)


def test_year_option_and_new_year_rollover(tmp_path: Path) -> None:
    text = "Dec 31 23:59:58 web-1 app[1]: last\nJan  1 00:00:01 web-1 app[1]: first\n"
    (tmp_path / "syslog").write_text(text)
    ingested = ingest([Path("syslog")], TimeOptions(year=2023, tz="+01:00"))
    assert ingested.events["ts"].tolist() == [
        pd.Timestamp("2023-12-31T22:59:58Z"),
        pd.Timestamp("2023-12-31T23:00:01Z"),
    ]
    quality = only(ingested.files)
    assert (quality.tz_assumed, quality.year_assumed) == ("+01:00", False)


def test_yearless_file_takes_the_year_from_the_bundle(tmp_path: Path) -> None:
    (tmp_path / "access.log").write_text(access_text(1))
    (tmp_path / "syslog").write_text(SYSLOG.format(s=0, n=1) + "\n")
    os.utime(tmp_path / "syslog", (1_900_000_000, 1_900_000_000))  # mtime in 2030
    ingested = ingest([tmp_path])
    syslog = ingested.events[ingested.events["format"] == "syslog_rfc3164"]
    assert syslog["ts"].tolist() == [pd.Timestamp("2024-03-14T02:31:00Z")]
    assert [q.year_assumed for q in ingested.files] == [False, True]
