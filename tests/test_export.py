"""The ECS export: exact keys and values per line, nulls left out, every format round-trips."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest

from parsers.timestamps import TimeOptions
from pipeline.errors import PostmortemError
from pipeline.export import ECS_FIELDS, ecs_table, export_format, json_lines, rfc3339, serialize
from pipeline.schema import conform
from pipeline.sources import ingest

ACCESS = (
    '203.0.113.7 - - [14/Mar/2024:02:31:07 +0000] "POST /api/checkout?cart=9&x=1 HTTP/1.1" 502 157'
    ' "https://shop.example/cart" "Mozilla/5.0 (X11)"'
)


def events_frame() -> pd.DataFrame:
    """Three events as the parsers would give them, one per kind of source."""
    return conform(
        pd.DataFrame(
            {
                "ts": pd.to_datetime(
                    ["2024-03-14T02:31:07Z", "2024-03-14T02:31:08.250Z", "2024-03-14T02:31:09Z"],
                    format="ISO8601",
                ),
                "source_file": ["logs/access.log", "logs/app.jsonl", "logs/syslog"],
                "line_no": [1, 7, 3],
                "format": ["nginx_access", "json_lines", "syslog_rfc3164"],
                "host": [None, "web-1", "db-1"],
                "service": [None, "checkout", "postgres"],
                "pid": [None, None, 811],
                "severity": ["error", "critical", "info"],
                "message": ["POST /api/checkout -> 502", 'said "no"\n\tat x\u0007 ✓', "ok"],
                "client_ip": ["203.0.113.7", None, None],
                "method": ["POST", None, None],
                "path": ["/api/checkout?cart=9", None, None],
                "user_agent": ["curl/8.5.0", None, None],
                "referrer": ["https://shop.example/cart", None, None],
                "request_id": [None, "r-77", None],
                "status": [502, None, None],
                "bytes": [157, None, None],
                "duration_ms": [12.5, 0.001, None],
            }
        )
    )


def jsonl(events: pd.DataFrame) -> list[dict]:
    return [json.loads(line) for line in serialize(events, "jsonl").decode().splitlines()]


def test_json_lines_use_ecs_keys_and_leave_nulls_out() -> None:
    access, app, syslog = jsonl(events_frame())
    assert access == {
        "@timestamp": "2024-03-14T02:31:07Z",
        "log.level": "error",
        "message": "POST /api/checkout -> 502",
        "source.ip": "203.0.113.7",
        "http.request.method": "POST",
        "url.path": "/api/checkout",
        "url.original": "/api/checkout?cart=9",
        "http.response.status_code": 502,
        "http.response.body.bytes": 157,
        "event.duration": 12_500_000,
        "user_agent.original": "curl/8.5.0",
        "http.request.referrer": "https://shop.example/cart",
        "log.file.path": "logs/access.log",
        "log.file.line": 1,
        "event.dataset": "nginx_access",
    }
    assert app == {
        "@timestamp": "2024-03-14T02:31:08.25Z",
        "log.level": "critical",
        "message": 'said "no"\n\tat x\u0007 ✓',
        "host.name": "web-1",
        "service.name": "checkout",
        "event.duration": 1000,
        "http.request.id": "r-77",
        "log.file.path": "logs/app.jsonl",
        "log.file.line": 7,
        "event.dataset": "json_lines",
    }
    assert syslog == {
        "@timestamp": "2024-03-14T02:31:09Z",
        "log.level": "info",
        "message": "ok",
        "host.name": "db-1",
        "service.name": "postgres",
        "process.pid": 811,
        "log.file.path": "logs/syslog",
        "log.file.line": 3,
        "event.dataset": "syslog_rfc3164",
    }


def test_json_lines_are_compact_utf8_with_keys_in_ecs_order() -> None:
    first = serialize(events_frame(), "jsonl").decode().splitlines()[2]
    assert first == (
        '{"@timestamp":"2024-03-14T02:31:09Z","log.level":"info","message":"ok",'
        '"host.name":"db-1","service.name":"postgres","process.pid":811,'
        '"log.file.path":"logs/syslog","log.file.line":3,"event.dataset":"syslog_rfc3164"}'
    )
    assert "\\u2713" not in serialize(events_frame(), "jsonl").decode()  # ✓ stays as UTF-8


def test_every_control_character_survives_a_json_round_trip() -> None:
    text = "".join(chr(code) for code in range(0x20)) + '\\"/\u2028'
    table = pa.table({"message": pa.array([text, None], pa.string())})
    lines = json_lines(table).to_pylist()
    assert [json.loads(line) for line in lines] == [{"message": text}, {}]


def test_rfc3339_keeps_only_significant_fraction_digits() -> None:
    stamps = pd.to_datetime(
        [
            "2024-03-14T02:31:07Z",
            "2024-03-14T02:31:07.5Z",
            "2024-03-14T02:31:07.000123Z",
            "2024-03-14T02:31:07.123456789Z",
            "1969-12-31T23:59:59.5Z",
            None,
        ],
        utc=True,
        format="ISO8601",
    )
    text = rfc3339(pa.array(stamps, pa.timestamp("ns", tz="UTC"))).to_pylist()
    assert text == [
        "2024-03-14T02:31:07Z",
        "2024-03-14T02:31:07.5Z",
        "2024-03-14T02:31:07.000123Z",
        "2024-03-14T02:31:07.123456789Z",
        "1969-12-31T23:59:59.5Z",
        None,
    ]


def test_csv_has_the_same_columns_and_round_trips() -> None:
    data = serialize(events_frame(), "csv")
    table = pa_csv.read_csv(io.BytesIO(data))
    assert table.column_names == list(ECS_FIELDS)
    assert table.num_rows == 3
    assert table["@timestamp"].to_pylist()[1].isoformat() == "2024-03-14T02:31:08.250000+00:00"
    assert table["http.response.status_code"].to_pylist() == [502, None, None]
    assert table["message"].to_pylist()[1] == 'said "no"\n\tat x\u0007 ✓'


def test_parquet_keeps_types_and_round_trips() -> None:
    table = pq.read_table(io.BytesIO(serialize(events_frame(), "parquet")))
    assert table.column_names == list(ECS_FIELDS)
    assert table.schema.field("@timestamp").type == pa.timestamp("ns", tz="UTC")
    assert table.schema.field("event.duration").type == pa.int64()
    assert table.equals(ecs_table(events_frame()))


def test_empty_events_export_to_empty_files() -> None:
    empty = events_frame().iloc[:0]
    assert serialize(empty, "jsonl") == b""
    assert pa_csv.read_csv(io.BytesIO(serialize(empty, "csv"))).num_rows == 0
    assert pq.read_table(io.BytesIO(serialize(empty, "parquet"))).num_rows == 0


@pytest.mark.parametrize(
    ("name", "kind"),
    [("out.jsonl", "jsonl"), ("OUT.CSV", "csv"), ("x/events.parquet", "parquet")],
)
def test_suffix_picks_the_format(name: str, kind: str) -> None:
    assert export_format(Path(name)) == kind


def test_unknown_suffix_is_an_error() -> None:
    with pytest.raises(PostmortemError, match=r"cannot tell the export format of out\.txt"):
        export_format(Path("out.txt"))


def test_real_access_line_exports_exactly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("access.log").write_text("\n" + ACCESS + "\n")
    (line,) = jsonl(ingest([Path("access.log")]).events)
    assert line == {
        "@timestamp": "2024-03-14T02:31:07Z",
        "log.level": "error",
        "message": "POST /api/checkout?cart=9&x=1 -> 502",
        "source.ip": "203.0.113.7",
        "http.request.method": "POST",
        "url.path": "/api/checkout",
        "url.original": "/api/checkout?cart=9&x=1",
        "http.response.status_code": 502,
        "http.response.body.bytes": 157,
        "user_agent.original": "Mozilla/5.0 (X11)",
        "http.request.referrer": "https://shop.example/cart",
        "log.file.path": "access.log",
        "log.file.line": 2,
        "event.dataset": "nginx_access",
        "event.timezone": "UTC",  # the line's own +0000
    }


def test_counts_round_trip_through_every_format(tmp_path: Path) -> None:
    lines = [ACCESS] * 5 + ["Mar 14 02:31:00 web-1 app[4]: restarted"] * 3 + ["junk %%"]
    (tmp_path / "mixed.log").write_text("\n".join(lines) + "\n")
    ingested = ingest([tmp_path / "mixed.log"], TimeOptions(year=2024))
    assert len(ingested.events) == 8
    assert len(serialize(ingested.events, "jsonl").decode().splitlines()) == 8
    assert pa_csv.read_csv(io.BytesIO(serialize(ingested.events, "csv"))).num_rows == 8
    parquet = pq.read_table(io.BytesIO(serialize(ingested.events, "parquet")))
    assert parquet["event.dataset"].to_pylist() == ["syslog_rfc3164"] * 3 + ["nginx_access"] * 5
    assert parquet["log.file.line"].to_pylist() == [6, 7, 8, 1, 2, 3, 4, 5]


def test_event_timezone_names_the_zone_each_line_was_written_in(tmp_path: Path) -> None:
    """ECS `event.timezone`: the offset a line stated, or the zone its file was placed in."""
    from typer.testing import CliRunner

    from pipeline.cli import app

    (tmp_path / "web-1").mkdir()
    (tmp_path / "web-1" / "access.log").write_text(ACCESS.replace("+0000", "+0530") + "\n")
    error = "2024/03/14 02:31:08 [error] 7#7: *1 upstream timed out, client: 203.0.113.7\n"
    (tmp_path / "web-1" / "error.log").write_text(error)
    out = tmp_path / "events.jsonl"
    result = CliRunner().invoke(app, ["events", str(tmp_path / "web-1"), "-o", str(out)])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(e["event.dataset"], e["@timestamp"], e["event.timezone"]) for e in lines] == [
        ("nginx_access", "2024-03-13T21:01:07Z", "+05:30"),
        ("nginx_error", "2024-03-13T21:01:08Z", "+05:30"),
    ]
