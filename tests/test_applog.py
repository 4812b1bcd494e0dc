"""Behaviours of the application-log formats that the corpus does not pin down."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa

import parsers
from parsers.appfields import duration_ms, epoch_to_iso
from parsers.base import ParsedLines, parse_lines
from parsers.jsonlines import parse_json_lines
from parsers.timestamps import TimeOptions


def _parse(lines: list[str], format_name: str | None = None) -> ParsedLines:
    fmt = parsers.get_format(format_name) if format_name else parsers.detect_format(lines)
    assert fmt is not None
    return parse_lines(lines, fmt, TimeOptions(tz="UTC", year=2024))


def test_epoch_unit_is_chosen_by_magnitude() -> None:
    text = pd.Series(["1710383467", "1710383467123", "1710383467123456", "1710383467123456789"])
    assert epoch_to_iso(text).tolist() == [
        "2024-03-14T02:31:07.000000000Z",
        "2024-03-14T02:31:07.123000000Z",
        "2024-03-14T02:31:07.123456000Z",
        "2024-03-14T02:31:07.123456789Z",
    ]


def test_epoch_seconds_with_fraction_and_iso_text_pass_through() -> None:
    text = pd.Series(["1710383467.25", "2024-03-14T02:31:07Z", None])
    assert epoch_to_iso(text).tolist()[:2] == [
        "2024-03-14T02:31:07.250000000Z",
        "2024-03-14T02:31:07Z",
    ]


def test_durations_with_units() -> None:
    text = pd.Series(["5.2s", "150ms", "1m30.5s", "250us", "12", "soon"])
    assert duration_ms(text).tolist() == [5200.0, 150.0, 90500.0, 0.25, 12.0, pd.NA]


def test_json_epoch_numbers_and_strings_in_one_file() -> None:
    lines = [
        '{"time": 1710383467, "level": 30, "msg": "a"}',
        '{"time": "1710383468123", "level": "40", "msg": "b"}',
    ]
    events = _parse(lines, "json_lines").events
    assert events["ts"].tolist() == [
        pd.Timestamp("2024-03-14T02:31:07Z"),
        pd.Timestamp("2024-03-14T02:31:08.123Z"),
    ]
    assert events["severity"].tolist() == ["info", "warning"]


def test_json_batch_with_a_broken_line_keeps_every_good_line() -> None:
    good = [f'{{"ts": "2024-03-14T02:31:{i % 60:02d}Z", "msg": "m{i}"}}' for i in range(300)]
    # Sniffed as JSON (braces at both ends) but not JSON: arrow refuses the whole batch.
    lines = [*good[:150], '{"ts": "2024-03-14T02:31:00Z", "msg": "a" "b"}', *good[150:]]
    result = _parse(lines, "json_lines")
    assert len(result.events) == 300
    assert result.unparsed_line_nos == [151]
    assert result.events["message"].iloc[150] == "m150"
    assert result.events["line_no"].iloc[150] == 152


def test_json_key_whose_type_changes_between_lines() -> None:
    lines = [
        '{"ts": "2024-03-14T02:31:07Z", "status": 502, "msg": "a"}',
        '{"ts": "2024-03-14T02:31:08Z", "status": "502", "msg": "b"}',
        '{"ts": "2024-03-14T02:31:09Z", "status": {"code": 1}, "msg": "c"}',
    ]
    events = _parse(lines, "json_lines").events
    assert events["message"].tolist() == ["a", "b", "c"]
    assert events["status"].tolist()[:2] == [502, 502]
    assert events["severity"].tolist()[:2] == ["error", "error"]  # no level: the status says


def test_json_zone_less_time_takes_the_given_zone() -> None:
    lines = ['{"timestamp": "2024-03-14 03:31:07", "message": "x"}']
    fmt = parsers.get_format("json_lines")
    events = parse_lines(lines, fmt, TimeOptions(tz="Europe/Berlin")).events
    assert events["ts"].iloc[0] == pd.Timestamp("2024-03-14T02:31:07Z")


def test_json_line_without_time_is_counted_not_lost() -> None:
    lines = ['{"ts": "2024-03-14T02:31:07Z", "msg": "a"}', '{"msg": "no time here"}']
    result = _parse(lines, "json_lines")
    assert (len(result.events), result.unparsed_line_nos) == (1, [2])


def test_journald_export_is_not_claimed_as_json_lines() -> None:
    line = '{"__REALTIME_TIMESTAMP": "1710383467123456", "MESSAGE": "x", "_HOSTNAME": "h"}'
    assert not parsers.get_format("json_lines").matches(pa.array([line]))[0]


def test_json_parse_returns_positions_of_the_lines_it_read() -> None:
    frame = parse_json_lines(pa.array(['{"ts": 1, "msg": "a"}', "{not json", '{"ts": 2}']))
    assert frame.index.tolist() == [0, 2]


def test_logfmt_quoted_values_and_escapes() -> None:
    line = 'ts=2024-03-14T02:31:07Z level=info msg="say \\"hi\\"\\n\\tthere" path="/a b"'
    event = _parse([line]).events.iloc[0]
    assert event["message"] == 'say "hi"\n\tthere'
    assert event["path"] == "/a b"


def test_python_basic_format_without_time_folds_into_the_event_before() -> None:
    lines = [
        "2024-03-14 02:31:07,123 ERROR [orders.api] charge failed",
        "ERROR:orders.api:retry 1 failed",
    ]
    result = _parse(lines)
    assert (len(result.events), result.continuation) == (1, 1)
    assert result.events["message"].iloc[0] == "charge failed\nERROR:orders.api:retry 1 failed"


def test_python_and_log4j_files_are_told_apart() -> None:
    python = ["2024-03-14 02:31:07,123 ERROR [orders.api] payment gateway timeout"]
    log4j = ["2024-03-14 02:31:07,123 ERROR [main] org.x.Payments: gateway timeout"]
    assert _parse(python).events["format"].iloc[0] == "python_logging"
    event = _parse(log4j).events.iloc[0]
    assert (event["format"], event["service"], event["message"]) == (
        "java_log4j",
        "org.x.Payments",
        "gateway timeout",
    )


def test_java_stack_trace_folds_into_its_event() -> None:
    lines = [
        "2024-03-14 02:31:07,123 ERROR [http-nio-8080-exec-1] o.a.c.c.C.[dispatcherServlet] - boom",
        "java.lang.IllegalStateException: pool exhausted",
        "\tat com.zaxxer.hikari.pool.HikariPool.getConnection(HikariPool.java:197)",
        "",
        "Caused by: java.sql.SQLTransientConnectionException: timeout",
        "\t... 12 more",
        "2024-03-14 02:31:08,000 INFO [main] org.x.App: recovered",
    ]
    result = _parse(lines)
    assert (len(result.events), result.continuation, result.unparsed) == (2, 5, 0)
    message = result.events["message"].iloc[0]
    assert message.endswith(
        "Caused by: java.sql.SQLTransientConnectionException: timeout\n\t... 12 more"
    )


def test_klog_year_comes_from_the_driver() -> None:
    line = "I1231 23:59:59.000001    7 main.go:1] bye"
    fmt = parsers.get_format("klog")
    events = parse_lines([line], fmt, TimeOptions(year=2023)).events
    assert events["ts"].iloc[0] == pd.Timestamp("2023-12-31T23:59:59.000001Z")
