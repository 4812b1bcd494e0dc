"""Syslog and journald behaviour the corpus goldens do not pin: years, zones, folding, repeats,
detection against app logs, and lnav's sample files that come without an expected parse."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from conftest import corpus_file
from hypothesis import given, settings
from hypothesis import strategies as st

import parsers
from parsers.timestamps import TimeOptions
from pipeline.schema import validate

NEW_YEAR = [
    "Dec 31 23:59:58 web-1 cron[7]: (root) CMD (backup)",
    "Dec 31 23:59:59 web-1 kernel: eth0: link down",
    "Jan  1 00:00:01 web-1 kernel: eth0: link up",
]


def _parse(
    lines: list[str], name: str | None = None, **options: object
) -> parsers.base.ParsedLines:
    time = TimeOptions(**{k: v for k, v in options.items() if k in ("tz", "year")})
    extra = {k: v for k, v in options.items() if k in ("year_hint", "year_default")}
    fmt = parsers.get_format(name) if name else parsers.detect_format(lines)
    assert fmt is not None
    result = parsers.parse_lines(lines, fmt, time, **extra)
    validate(result.events)
    return result


def _times(result: parsers.base.ParsedLines) -> list[str]:
    return [ts.isoformat() for ts in result.events["ts"]]


def test_year_rolls_over_at_new_year_from_the_given_year() -> None:
    result = _parse(NEW_YEAR, year=2023)
    assert _times(result) == [
        "2023-12-31T23:59:58+00:00",
        "2023-12-31T23:59:59+00:00",
        "2024-01-01T00:00:01+00:00",
    ]


def test_year_from_mtime_is_the_year_of_the_last_line() -> None:
    result = _parse(NEW_YEAR, year_default=2024)
    assert _times(result)[0] == "2023-12-31T23:59:58+00:00"
    assert _times(result)[-1] == "2024-01-01T00:00:01+00:00"


def test_year_from_the_span_of_the_other_sources() -> None:
    span = (pd.Timestamp("2021-12-31T23:00Z"), pd.Timestamp("2022-01-01T01:00Z"))
    result = _parse(NEW_YEAR, year_hint=span, year_default=2025)
    assert _times(result) == [
        "2021-12-31T23:59:58+00:00",
        "2021-12-31T23:59:59+00:00",
        "2022-01-01T00:00:01+00:00",
    ]


def test_lnav_file_wrapping_december_to_january_rolls_over() -> None:
    lines = corpus_file("lnav/test/logfile_syslog.1").read_text("utf-8").splitlines()
    result = _parse(lines, year=2006)
    assert _times(result)[2:] == ["2006-12-03T09:23:38+00:00", "2007-01-03T09:47:02+00:00"]


def test_naive_iso_time_is_read_in_the_given_zone() -> None:
    result = _parse(["2024-03-14T03:31:07.5 web-1 app[3]: started"], tz="+01:00")
    assert result.events["format"][0] == "syslog_iso"
    assert _times(result) == ["2024-03-14T02:31:07.500000+00:00"]


def test_iso_offsets_with_and_without_colon() -> None:
    lines = [
        "1986-04-26T01:23:45.101+0400 rmbkmonitor04 shutdown[2649]: shutting down",
        "1986-04-26T01:23:45.388424+04:00 rmbkmonitor04 thermald: exceeded",
    ]
    assert _times(_parse(lines, tz="-02:00")) == [
        "1986-04-25T21:23:45.101000+00:00",
        "1986-04-25T21:23:45.388424+00:00",
    ]


def test_indented_lines_fold_and_other_junk_is_reported() -> None:
    lines = [
        "Aug 16 00:32:15 Tims-Air syslogd[314]: Configuration Notice:",
        '\tASL Module "com.apple.install" claims selected messages.',
        "%%% not a log line %%%",
        "Aug 16 00:32:16 Tims-Air syslogd[314]: ASL Sender Statistics",
    ]
    result = _parse(lines, year=2024)
    assert list(result.events["message"]) == [
        'Configuration Notice:\n\tASL Module "com.apple.install" claims selected messages.',
        "ASL Sender Statistics",
    ]
    assert (result.continuation, result.unparsed_line_nos) == (1, [3])


def test_rfc5424_message_keeps_its_embedded_newlines() -> None:
    lines = ["<78>1 2019-01-17T17:39:00Z localhost CROND 9999 - - some message", "with newlines"]
    result = _parse(lines)
    assert list(result.events["message"]) == ["some message\nwith newlines"]


def test_repeat_is_attributed_to_the_event_it_repeats() -> None:
    lines = [
        "<35>Mar  4 02:31:07 bastion sshd[811]: error: maximum authentication attempts exceeded",
        "Mar  4 02:31:38 bastion last message repeated 4 times",
    ]
    events = _parse(lines, year=2024).events
    repeat = events.iloc[1]
    assert (repeat["host"], repeat["service"], repeat["pid"]) == ("bastion", "sshd", 811)
    assert (repeat["severity"], repeat["message"]) == ("error", "last message repeated 4 times")


def test_lnav_repeat_without_host_takes_the_previous_program() -> None:
    path = corpus_file("lnav/test/logfile_syslog_with_access_log.0")
    lines = path.read_text("utf-8").splitlines()
    last = _parse(lines, year=2024).events.iloc[-1]
    assert (last["host"], last["service"], last["pid"]) == ("bigproduct-web1", "automount", 7999)
    assert last["message"] == "--- last message repeated 2 times ---"


@pytest.mark.parametrize(
    ("line", "host", "service", "pid", "message"),
    [
        (
            "Jan  4 10:23:26 Tims-MacBook-Air Setup Assistant[1173]: Creating connection",
            "Tims-MacBook-Air", "Setup Assistant", 1173, "Creating connection",
        ),
        (
            "Aug  1 00:00:03 Tim-Stacks-iMac com.apple.xpc.launchd[1] (com.apple.mdworker.shared"
            ".0C00[50989]): Service exited due to SIGKILL | sent by mds[198]",
            "Tim-Stacks-iMac", "com.apple.xpc.launchd", 1,
            "Service exited due to SIGKILL | sent by mds[198]",
        ),
        (
            "Jun 27 01:47:20 Tims-MacBook-Air.local configd[17]: network changed: v4(en0-)",
            "Tims-MacBook-Air.local", "configd", 17, "network changed: v4(en0-)",
        ),
        (
            "Mar 16 00:01:25 evita postfix/smtpd[1713]: connect from camomile.cloud9.net[1.2.3.4]",
            "evita", "postfix/smtpd", 1713, "connect from camomile.cloud9.net[1.2.3.4]",
        ),
        (
            "Feb 21 23:35:33 localhost sudo: vagrant : TTY=pts/0 ; USER=root ; COMMAND=/bin/ls",
            "localhost", "sudo", None, "vagrant : TTY=pts/0 ; USER=root ; COMMAND=/bin/ls",
        ),
    ],
)  # fmt: skip
def test_bsd_header_variants(
    line: str, host: str, service: str, pid: int | None, message: str
) -> None:
    event = _parse([line], year=2024).events.iloc[0]
    assert event["format"] == "syslog_rfc3164"
    assert (event["host"], event["service"], event["message"]) == (host, service, message)
    assert (None if pd.isna(event["pid"]) else event["pid"]) == pid


@pytest.mark.parametrize(
    ("message", "severity"),
    [
        ("error: maximum authentication attempts exceeded", "error"),
        ("[warn] disk 91% full", "warning"),
        ("FATAL could not bind", "critical"),
        ("debug1: userauth-request", "debug"),
        ("Error reading config", "info"),  # a level word only counts as a marker
        ("failed to mount /auto/opt", "info"),
    ],
)
def test_severity_from_a_leading_level_word_when_there_is_no_pri(
    message: str, severity: str
) -> None:
    event = _parse([f"Mar  4 02:31:07 web-1 app[3]: {message}"], year=2024).events.iloc[0]
    assert event["severity"] == severity


def test_pri_wins_over_a_level_word() -> None:
    event = _parse(["<14>Mar  4 02:31:07 web-1 app[3]: [error] x"], year=2024).events.iloc[0]
    assert event["severity"] == "info"


@pytest.mark.parametrize(
    "line",
    [
        "2024-03-14T02:31:07Z INFO starting worker",
        "2024-03-14T02:31:07.123Z [WARN] slow query",
        "2024-03-14T02:31:07Z ERROR: payment failed",
    ],
)
def test_app_log_lines_with_iso_time_are_not_syslog(line: str) -> None:
    detected = parsers.detect_format([line])
    assert detected is None or not detected.name.startswith("syslog_")


def test_rfc5424_structured_data_gives_request_id_and_stays_out_of_the_message() -> None:
    line = (
        '<165>1 2003-10-11T22:14:15.003Z mymachine evntslog - ID47 [exampleSDID@32473 iut="3"]'
        '[http request_id="abc-\\]1"] An application event'
    )
    event = _parse([line]).events.iloc[0]
    assert (event["request_id"], event["message"]) == ("abc-]1", "An application event")


def test_rfc5424_leap_second_is_read_as_the_second_before() -> None:
    line = "<174>1 2016-12-31T23:59:60-04:00 resolver.se named 1234 - - query"
    assert _times(_parse([line])) == ["2017-01-01T03:59:59+00:00"]


# -- journald -------------------------------------------------------------------------------


def test_lnav_journald_export() -> None:
    lines = corpus_file("lnav/test/logfile_journald.json").read_text("utf-8").splitlines()
    result = _parse(lines)
    events = result.events
    assert list(events["format"]) == ["journald_json"] * 2
    assert list(events["severity"]) == ["alert", "info"]
    assert list(events["message"]) == [
        "GPS Reference longitude: 7.358143333",
        "GPS Reference latitude: 46.908706667",
    ]
    assert set(events["host"]) == {"imx6ul-medusa"} and set(events["service"]) == {"python"}
    assert list(events["pid"]) == [184, 184]
    assert _times(result) == ["2018-08-21T14:04:21.221373+00:00"] * 2


def _journal(**fields: object) -> str:
    record = {"__REALTIME_TIMESTAMP": "1710383467000000", "_HOSTNAME": "web-1", **fields}
    return json.dumps(record)


def test_journald_mixes_text_and_byte_messages_in_one_batch() -> None:
    lines = [
        _journal(PRIORITY="4", SYSLOG_IDENTIFIER="kernel", MESSAGE="thermal throttling"),
        _journal(PRIORITY="3", _COMM="app", _PID="9", MESSAGE=list(b"caf\xc3\xa9 \xff")),
        '{"__REALTIME_TIMESTAMP": "1710383467000000", "MESSAGE": "broken"',
        _journal(SYSLOG_IDENTIFIER="app", SYSLOG_PID="12", MESSAGE="error: disk full"),
    ]
    result = _parse(lines)
    events = result.events
    assert list(events["message"]) == ["thermal throttling", "café \ufffd", "error: disk full"]
    assert list(events["service"]) == ["kernel", "app", "app"]
    assert list(events["severity"]) == ["warning", "error", "error"]
    assert list(events["pid"].astype(object).where(events["pid"].notna(), None)) == [None, 9, 12]
    assert result.unparsed_line_nos == [3]


def test_journald_is_not_read_as_app_json() -> None:
    line = _journal(MESSAGE="hi", time="2024-03-14T02:31:07Z")
    assert parsers.detect_format([line]).name == "journald_json"


# -- robustness -------------------------------------------------------------------------------


SYSLOG_NAMES = ["syslog_rfc3164", "syslog_iso", "syslog_rfc5424", "journald_json"]


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "<13>Feb 13 20:07:26 74794bfb6795 root[8539]: i am foobar",
                "2024-03-14T02:31:07Z web-1 app: x",
                '<13>1 2019-02-13T19:48:34+00:00 h root 8449 - [meta a="\\"] b',
                _journal(MESSAGE=[1, 2]),
                "\tcontinued",
            ]
        )
        | st.text(max_size=60),
        max_size=8,
    ),
    st.sampled_from(SYSLOG_NAMES),
)
def test_any_input_never_raises_and_every_line_is_accounted(lines: list[str], name: str) -> None:
    lines = [line.replace("\n", " ").replace("\r", " ") for line in lines]
    result = _parse(lines, name, year=2024)
    accounted = len(result.events) + result.continuation + result.unparsed + result.blank
    assert accounted == result.lines == len(lines)
