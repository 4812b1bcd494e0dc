"""`postmortem events` and `postmortem inspect` through the CLI, as a user types them."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from pipeline.cli import app

runner = CliRunner()

ACCESS = (
    '203.0.113.{n} - - [14/Mar/2024:02:31:0{n} +0000] "GET /api/cart?id={n} HTTP/1.1" 502 57'
    ' "-" "curl/8.5.0"\n'
)
JUNK = "%%% not a log line %%%\n"
SYSLOG = "Mar 14 02:31:00 web-1 app[4]: restarted\n"


@pytest.fixture
def logs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "logs"
    folder.mkdir()
    (folder / "access.log").write_text(ACCESS.format(n=1) + JUNK + "\n" + ACCESS.format(n=2))
    (folder / "syslog").write_text(SYSLOG)
    return Path("logs")


def assert_one_line_error(result, text: str) -> None:
    assert result.exit_code == 1
    assert text in result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1, result.output


def test_events_writes_json_lines(logs: Path) -> None:
    result = runner.invoke(app, ["events", str(logs), "-o", "out.jsonl", "--year", "2024"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in Path("out.jsonl").read_text().splitlines()]
    assert [(r["@timestamp"], r["event.dataset"], r["log.file.line"]) for r in rows] == [
        ("2024-03-14T02:31:00Z", "syslog_rfc3164", 1),
        ("2024-03-14T02:31:01Z", "nginx_access", 1),
        ("2024-03-14T02:31:02Z", "nginx_access", 4),
    ]
    assert rows[0]["log.file.path"] == "logs/syslog"
    assert "Wrote 3 events from 2 files to out.jsonl (1 unparsed lines, 0 files skipped)." in (
        result.output
    )


def test_events_tz_shifts_zoneless_timestamps(logs: Path) -> None:
    args = ["events", "logs/syslog", "-o", "out.jsonl", "--year", "2023", "--tz", "+02:00"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    (row,) = [json.loads(line) for line in Path("out.jsonl").read_text().splitlines()]
    assert row["@timestamp"] == "2023-03-14T00:31:00Z"


def test_events_writes_csv_and_parquet(logs: Path) -> None:
    for name in ("out.csv", "out.parquet"):
        result = runner.invoke(app, ["events", str(logs), "-o", name])
        assert result.exit_code == 0, result.output
    csv = pa_csv.read_csv(io.BytesIO(Path("out.csv").read_bytes()))
    parquet = pq.read_table("out.parquet")
    assert csv.num_rows == parquet.num_rows == 3
    assert csv.column_names == parquet.column_names
    assert "http.response.status_code" in csv.column_names


def test_events_refuses_to_overwrite_without_force(logs: Path) -> None:
    Path("out.jsonl").write_text("keep me\n")
    result = runner.invoke(app, ["events", str(logs), "-o", "out.jsonl"])
    assert_one_line_error(result, "out.jsonl exists; pass --force to overwrite it")
    assert Path("out.jsonl").read_text() == "keep me\n"
    forced = runner.invoke(app, ["events", str(logs), "-o", "out.jsonl", "--force"])
    assert forced.exit_code == 0, forced.output
    assert len(Path("out.jsonl").read_text().splitlines()) == 3


def test_events_unknown_suffix_is_an_error(logs: Path) -> None:
    result = runner.invoke(app, ["events", str(logs), "-o", "out.txt"])
    assert_one_line_error(result, "cannot tell the export format of out.txt")
    assert not Path("out.txt").exists()


@pytest.mark.parametrize("command", [["events", "-o", "out.jsonl"], ["inspect"], ["draft"]])
def test_missing_path_is_a_one_line_error(logs: Path, command: list[str]) -> None:
    result = runner.invoke(app, [*command, "missing.log"])
    assert_one_line_error(result, "error: no such file or directory: missing.log")
    assert result.exception is None or isinstance(result.exception, SystemExit)


@pytest.mark.parametrize("command", [["events", "-o", "out.jsonl"], ["inspect"], ["draft"]])
def test_bad_format_for_lists_the_known_formats(logs: Path, command: list[str]) -> None:
    result = runner.invoke(app, [*command, str(logs), "--format-for", "*.log=nginx_acess"])
    assert_one_line_error(result, "error: unknown format 'nginx_acess' (known: ")
    assert "nginx_access" in result.output and "json_lines" in result.output


def test_format_for_forces_the_format(logs: Path) -> None:
    args = ["inspect", str(logs), "--format-for", "access.log=syslog_rfc3164", "--json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    access = json.loads(result.output)["files"][0]
    assert (access["path"], access["format"], access["forced"]) == (
        "logs/access.log",
        "syslog_rfc3164",
        True,
    )
    assert (access["events"], access["unparsed"]) == (0, 3)


def test_inspect_prints_each_file(logs: Path) -> None:
    result = runner.invoke(app, ["inspect", str(logs), "--year", "2024"])
    assert result.exit_code == 0, result.output
    assert result.output == (
        "logs/access.log\n"
        "  format      nginx_access\n"
        "  lines       4 = 2 events + 0 continuation + 1 unparsed + 1 blank\n"
        "  time range  2024-03-14T02:31:01Z .. 2024-03-14T02:31:02Z\n"
        "  host        web-1 (same folder)\n"
        "  zone        timestamps carry their own offset\n"
        "  unparsed    1 lines, e.g.\n"
        "    2: %%% not a log line %%%\n"
        "\n"
        "logs/syslog\n"
        "  format      syslog_rfc3164\n"
        "  lines       1 = 1 events + 0 continuation + 0 unparsed + 0 blank\n"
        "  time range  2024-03-14T02:31:00Z .. 2024-03-14T02:31:00Z\n"
        "  host        web-1 (syslog hostname)\n"
        "  zone        UTC for timestamps without one (same host: UTC written by logs/access.log"
        " (host web-1))\n"
        "  year        given with --year\n"
    )


def test_inspect_json_and_stdin(logs: Path) -> None:
    result = runner.invoke(app, ["inspect", "-", "--json"], input=SYSLOG + JUNK)
    assert result.exit_code == 0, result.output
    (stdin,) = json.loads(result.output)["files"]
    assert stdin["path"] == "<stdin>"
    assert (stdin["lines"], stdin["events"], stdin["unparsed"]) == (2, 1, 1)
    assert stdin["unparsed_examples"] == [{"line": 2, "text": JUNK.strip()}]
    assert (stdin["tz_assumed"], stdin["year_assumed"]) == ("UTC", True)


def test_inspect_reports_skipped_files(logs: Path) -> None:
    Path("logs/core").write_bytes(b"\x00\x01\x02")
    result = runner.invoke(app, ["inspect", "logs/core"])
    assert result.exit_code == 0, result.output
    assert result.output == "logs/core\n  skipped     binary file\n"


def test_nginx_log_format_reads_a_custom_access_log(tmp_path: Path) -> None:
    log = tmp_path / "custom.log"
    log.write_text(
        '203.0.113.9|2024-03-14T02:31:07+00:00|"POST /api/checkout HTTP/1.1"|502|0.250\n'
        '203.0.113.10|2024-03-14T02:31:08+00:00|"GET / HTTP/1.1"|200|0.004\n'
    )
    spec = '$remote_addr|$time_iso8601|"$request"|$status|$request_time'
    out = tmp_path / "events.jsonl"
    result = runner.invoke(app, ["events", str(log), "-o", str(out), "--nginx-log-format", spec])
    assert result.exit_code == 0, result.output
    first = json.loads(out.read_text().splitlines()[0])
    assert first["@timestamp"] == "2024-03-14T02:31:07Z"
    assert first["http.response.status_code"] == 502
    assert first["event.duration"] == 250_000_000
    assert first["event.dataset"] == "nginx_custom"
    without = runner.invoke(app, ["inspect", str(log), "--json"])
    assert json.loads(without.output)["files"][0]["unparsed"] == 2


def test_format_for_can_force_the_custom_nginx_format(tmp_path: Path) -> None:
    """`nginx_custom` exists only with --nginx-log-format; --format-for may name it then."""
    log = tmp_path / "edge.txt"
    log.write_text('203.0.113.9|2024-03-14T02:31:07+00:00|"POST /api/checkout HTTP/1.1"|502\n')
    spec = '$remote_addr|$time_iso8601|"$request"|$status'
    args = ["inspect", str(log), "--json", "--nginx-log-format", spec]
    result = runner.invoke(app, [*args, "--format-for", "*.txt=nginx_custom"])
    assert result.exit_code == 0, result.output
    (only,) = json.loads(result.output)["files"]
    assert (only["format"], only["forced"], only["events"]) == ("nginx_custom", True, 1)
    alone = runner.invoke(app, ["inspect", str(log), "--format-for", "*.txt=nginx_custom"])
    assert alone.exit_code == 1
    assert alone.output.startswith("error: unknown format 'nginx_custom'")
