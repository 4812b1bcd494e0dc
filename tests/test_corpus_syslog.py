"""Syslog and journald parsers against other projects' golden parses (../shared/corpus).

Every case whose input is syslog (RFC 3164, ISO-timestamped BSD, RFC 5424) becomes one `Golden`:
the lines, what the source says each event holds (in our column names), and the time options the
source's test ran with. Field names differ between ecosystems; the loaders below map them.

Where we deliberately read a case differently, `DIFFERENCES` names the case, what we give instead
and why; the test asserts *our* value there, so a change of behaviour shows up either way.
"""

from __future__ import annotations

import csv
import functools
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pytest
from conftest import CORPUS

import parsers
from parsers.base import severity_from_pri
from parsers.timestamps import TimeOptions
from pipeline.schema import validate

COMPARED = (
    "host",
    "service",
    "pid",
    "message",
    "severity",
    "request_id",
    "ts",
    "ts_ms",
    "month_day_time",
)


@dataclass(frozen=True)
class Golden:
    """One event a source parsed, with the fields it asserts (our names)."""

    id: str
    lines: tuple[str, ...]
    expected: Mapping[str, object] | None  # None: the source rejects the input (no event)
    time: TimeOptions = field(default_factory=TimeOptions)
    event: int = 0  # which event of the parse (file sources hold several)


# Case id -> field -> (what we give, why). `events` -> (count, why) where we give no event.
_COLONLESS = (
    "a word after the host with no colon is the program, as fluentd's default, syslog-loose and"
    " VRL read it; this case asks the other reading"
)
# fluentd tests of its `time_format` option read `00:00:12` as `%M:%S:%H`; we have no per-source
# time format, so those cases get the standard reading (added to DIFFERENCES by the loader).
_FLUENTD_TIME_FORMATS = {"%b %d %M:%S:%H": "no per-source time_format: read as %H:%M:%S"}
DIFFERENCES: dict[str, dict[str, tuple[object, str]]] = {
    "beats:syslog/darwin-syslog-sample.log[2]": {
        "host": ("a-mac-with-esc-key", "a repeat is attributed to the event it repeats"),
        "service": ("GoogleSoftwareUpdateAgent", "a repeat is attributed to the event it repeats"),
        "pid": (21412, "a repeat is attributed to the event it repeats"),
    },
    "syslog-loose:parse_invalid_message": {
        "events": (0, "a line without a time cannot be placed on a timeline: counted unparsed"),
    },
    "easypost:PARSE_VECTORS[0]": {
        "events": (0, "nil (`-`) timestamp: the event cannot be placed in time, counted unparsed"),
    },
    "easypost:PARSE_VECTORS[2]": {
        "pid": (None, "PROCID `prg` is not a number; the schema's pid is an integer"),
    },
    "easypost:PARSE_VECTORS[6]": {
        "message": ("msg", "leading blanks of MSG are trimmed (logstash trims them too)"),
    },
    "fluentd:SyslogParserTest / SyslogParserTest::TestRFC5424Regexp /"
    " test_parse_with_rfc5424_message_with_priority_and_pid [regexp]": {
        "message": (
            "peer 192.168.0.5:50123 is not from a LAN",
            "leading blanks of MSG are trimmed",
        ),
    },
    "fluentd:SyslogParserTest / SyslogParserTest::TestRFC5424Regexp /"
    " test_parse_with_rfc5424_message_with_priority_and_pid [string]": {
        "message": (
            "peer 192.168.0.5:50123 is not from a LAN",
            "leading blanks of MSG are trimmed",
        ),
    },
    "fluentd:SyslogParserTest / SyslogParserTest::TestRFC5424Regexp /"
    " test_parse_with_rfc5424_space_empty_message [regexp]": {
        "events": (
            1,
            "an empty MSG after SD is an event with an empty message, as fluentd's"
            " string parser reads it (its regexp parser rejects the line)",
        ),
    },
    "syslog-loose:parse_missing_pri": {
        "format": (
            "nginx_access",
            "nginx_access's client-list pattern claims this syslog line"
            " (its header reads as an X-Forwarded-For list); fields checked with"
            " syslog_rfc3164 forced. Reported to the nginx parser's owner.",
        ),
    },
    "fluentd:SyslogParserTest / Check the difference of regexp and string parser / proper result"
    " with no ident message by 'support_colonless_ident false'": {
        "service": ("Use", _COLONLESS),
        "message": ("the BFG!", _COLONLESS),
    },
    "fluentd:SyslogParserTest / Check the difference of regexp and string parser / Only no"
    " whitespace content in MSG causes different result [regexp]": {
        "service": (None, "a lone word is the message (fluentd's string parser reads it so)"),
        "message": ("value1,value2,value3,value4", "a lone word is the message, not a program"),
    },
    "logstash:SYSLOGLINE/legacy/should accept the message": {
        "message": (
            "Event: read, Path: /.DS_Store, File/Folder: File, Size: 6.00 KB, User:"
            " user@host, IP: 123.123.123.123",
            _COLONLESS,
        ),
    },
    "logstash:SYSLOGLINE/ecs-v1/should accept the message": {
        "message": (
            "Event: read, Path: /.DS_Store, File/Folder: File, Size: 6.00 KB, User:"
            " user@host, IP: 123.123.123.123",
            _COLONLESS,
        ),
    },
    "logstash:SYSLOG5424LINE/legacy/matches host name": {
        "ts": (pd.Timestamp("2017-01-01T03:59:59Z"), "leap second 23:59:60 is read as :59"),
    },
    "logstash:SYSLOG5424LINE/ecs-v1/matches host name": {
        "ts": (pd.Timestamp("2017-01-01T03:59:59Z"), "leap second 23:59:60 is read as :59"),
    },
    "logstash:CRONLOG/legacy/matches": {
        "message": (
            "(root) CMD (   cd / && run-parts --report /etc/cron.hourly)",
            "grok's CRONLOG puts only the command in `message`; ours is the whole text",
        ),
    },
    "logstash:CRONLOG/ecs-v1/matches": {
        "message": (
            "(root) CMD (   cd / && run-parts --report /etc/cron.hourly)",
            "grok's CRONLOG puts only the command in `message`; ours is the whole text",
        ),
    },
    "lnav:logfile_syslog.0[0]": {
        "severity": ("info", "no level word or PRI: info (lnav guesses error from 'failed')"),
    },
    "lnav:logfile_syslog.0[2]": {
        "severity": ("info", "no level word or PRI: info (lnav guesses error from 'failed')"),
    },
}

# ---------------------------------------------------------------------------------------------
# Loaders: one per source, each yields Golden cases in our column names.


def _jsonl(path: Path) -> Iterator[dict]:
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def _lines(text: str) -> tuple[str, ...]:
    return tuple(text.split("\n"))


def _pid(value: object) -> int | None:
    try:
        return int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def _instant(text: str) -> pd.Timestamp:
    return pd.Timestamp(text).tz_convert("UTC")


_SYSLOG_SEVERITY = {
    "emerg": "emergency",
    "alert": "alert",
    "crit": "critical",
    "err": "error",
    "warning": "warning",
    "notice": "notice",
    "info": "info",
    "debug": "debug",
}


def beats_cases() -> Iterator[Golden]:
    """Filebeat's system module: whole files, one expected document per event."""
    root = CORPUS / "elastic-beats" / "system"
    for name in (
        "syslog/darwin-syslog-sample.log",
        "syslog/suse-syslog.log",
        "syslog/tz-offset.log",
        "auth/timestamp.log",
    ):
        lines = tuple((root / name).read_text(encoding="utf-8").splitlines())
        docs = json.loads((root / f"{name}-expected.json").read_text(encoding="utf-8"))
        for index, doc in enumerate(docs):
            expected: dict[str, object] = {
                "host": doc.get("host.hostname"),
                "service": doc.get("process.name"),
                "pid": doc.get("process.pid"),
                "message": doc["message"],
            }
            if "@timestamp" in doc:  # Elasticsearch dates hold milliseconds
                expected["ts_ms"] = _instant(doc["@timestamp"])
            tz = doc.get("event.timezone", "+00:00")
            yield Golden(f"beats:{name}[{index}]", lines, expected, TimeOptions(tz=tz), index)
    # Filebeat 6.x auth docs: older names, year-less (compare month-day-time only).
    lines = tuple((root / "auth/test.log").read_text(encoding="utf-8").splitlines())
    docs = json.loads((root / "auth/test.log-expected.legacy-6x.json").read_text("utf-8"))
    for index, doc in enumerate(docs):
        expected = {
            "host": doc["system.auth.hostname"],
            "pid": _pid(doc.get("system.auth.pid")),
            "month_day_time": _month_day_time(doc["system.auth.timestamp"]),
        }
        yield Golden(f"beats:auth/test.log[{index}]", lines, expected, TimeOptions(), index)


def _month_day_time(bsd: str) -> str:
    """`Feb 21 21:54:44[.123]` as `02-21 21:54:44.123000` (the form events are compared in)."""
    stamp = pd.to_datetime(
        "2000 " + " ".join(bsd.split()),
        format="%Y %b %d %H:%M:%S.%f" if "." in bsd else "%Y %b %d %H:%M:%S",
    )
    return stamp.strftime("%m-%d %H:%M:%S.%f")


def syslog_loose_cases() -> Iterator[Golden]:
    for case in _jsonl(CORPUS / "syslog-loose" / "syslog-loose-tests.jsonl"):
        name = f"syslog-loose:{case['case']}"
        if case["input"] is None:
            continue  # input computed at test time upstream: nothing to replay
        if "expected_error" in case:
            yield Golden(name, _lines(case["input"]), None)
            continue
        if case["case"] == "handles_weird_whitespace":  # "same as the trimmed line"
            expected = {
                "host": "74794bfb6795",
                "service": "root",
                "pid": 8449,
                "message": "i am foobar",
                "ts": _instant("2019-02-13T19:48:34Z"),
            }
            yield Golden(name, _lines(case["input"]), expected)
            continue
        want = case["expected"]
        tz = {"UTC+5h": "+05:00"}.get(case.get("timezone", "UTC"), case.get("timezone", "UTC"))
        expected = {
            "host": want["hostname"],
            "service": want["appname"],
            "pid": _pid(want["procid"]),
            "message": want["msg"],
        }
        if want["severity"]:
            expected["severity"] = _SYSLOG_SEVERITY[want["severity"].removeprefix("SEV_").lower()]
        year = None
        if want["timestamp"]:
            text = want["timestamp"].removesuffix(" (local time of the test machine)")
            stamp = pd.Timestamp(text)
            expected["ts"] = stamp.tz_convert("UTC") if stamp.tzinfo else stamp.tz_localize(tz)
            year = stamp.year
        yield Golden(name, _lines(case["input"]), expected, TimeOptions(tz=tz, year=year))


def easypost_cases() -> Iterator[Golden]:
    for case in _jsonl(CORPUS / "syslog-rfc5424-parser" / "parse_vectors.jsonl"):
        name = f"easypost:{case['case']}"
        if "expected_error" in case:
            yield Golden(name, _lines(case["input"]), None)
            continue
        want = case["expected"]
        nil = {"-": None}
        expected = {
            "host": nil.get(want["hostname"], want["hostname"]),
            "service": nil.get(want["appname"], want["appname"]),
            "pid": _pid(want["procid"]),
            "message": want["msg"] or "",
            "severity": _SYSLOG_SEVERITY.get(want["severity"], want["severity"]),
        }
        if want["timestamp"] != "-":
            expected["ts"] = _instant(want["timestamp"])
        yield Golden(name, _lines(case["input"]), expected)


def fluentd_cases() -> Iterator[Golden]:
    """fluentd's SyslogParser tests; `Time.now` was pinned to 2016 for year-less times."""
    seen: dict[str, int] = {}
    for case in _jsonl(CORPUS / "fluentd" / "test_parser_syslog.jsonl"):
        name = f"fluentd:{case['test']}"
        seen[name] = seen.get(name, 0) + 1
        name += f"#{seen[name]}" if seen[name] > 1 else ""  # one test, several inputs
        lines = _lines(case["input"].rstrip("\n"))
        if not case.get("expected_record") and not case.get("expected_fields"):
            if "expected_record" in case:  # null record: fluentd rejects the line
                yield Golden(name, lines, None)
            continue
        record = case.get("expected_record") or case.get("expected_fields") or {}
        expected: dict[str, object] = {}
        for theirs, ours in (("host", "host"), ("ident", "service"), ("message", "message")):
            if theirs in record or case.get("expected_record") is not None:
                expected[ours] = record.get(theirs)
        if "pid" in record or case.get("expected_record") is not None:
            expected["pid"] = _pid(record.get("pid"))
        if "pri" in record:
            expected["severity"] = severity_from_pri(pd.Series([record["pri"]])).iloc[0]
        if case.get("expected_time"):
            text = case["expected_time"]["$event_time"]
            if text[0].isdigit():
                expected["ts"] = _instant(text)
            else:
                fmt = "%Y " + case["expected_time"]["format"].replace("%N", "%f")
                expected["ts"] = pd.to_datetime("2016 " + text, format=fmt).tz_localize("UTC")
            reason = _FLUENTD_TIME_FORMATS.get(case["config"][0].get("time_format", ""))
            if reason and not text[0].isdigit():
                written = re.sub(r"^<\d+>", "", case["input"])[:15]
                ours = pd.to_datetime("2016 " + written, format="%Y %b %d %H:%M:%S")
                DIFFERENCES.setdefault(name, {})["ts"] = (ours.tz_localize("UTC"), reason)
        if not expected:
            continue  # nothing asserted that our schema holds (e.g. keep_time_key's `time`)
        yield Golden(name, lines, expected, TimeOptions(year=2016))


def vrl_cases() -> Iterator[Golden]:
    for function in ("parse_syslog", "parse_linux_authorization"):
        for case in _jsonl(CORPUS / "vrl" / f"{function}.jsonl"):
            name = f"vrl:{function}/{case['case']}"
            if "expected_error" in case:
                yield Golden(name, _lines(case["input"]), None)
                continue
            want = case["expected"]
            expected = {
                "host": want.get("hostname"),
                "service": want.get("appname"),
                "pid": _pid(want.get("procid")),
                "message": want["message"],
                "ts": _instant(want["timestamp"].replace("{CURRENT_YEAR}", "2024")),
            }
            if "severity" in want:
                expected["severity"] = _SYSLOG_SEVERITY[want["severity"]]
            yield Golden(name, _lines(case["input"]), expected, TimeOptions(year=2024))


_LOGSTASH_KEYS = {
    "program": "service",
    "logsource": "host",
    "pid": "pid",
    "syslog5424_host": "host",
    "syslog5424_app": "service",
    "syslog5424_proc": "pid",
    "syslog5424_msg": "message",
    "syslog5424_ts": "timestamp",
    "syslog5424_pri": "pri",
    "timestamp": "timestamp",
}


def logstash_cases() -> Iterator[Golden]:
    """grok SYSLOG* specs: each expectation is an `include` subset; we take the keys we hold."""
    for case in _jsonl(CORPUS / "logstash-patterns-core" / "syslog_spec.jsonl"):
        name = f"logstash:{case['pattern']}/{case['mode']}/{case['it']}"
        got: dict[str, object] = {}
        for expectation in case["expectations"]:
            value = expectation["expected"]
            if expectation["negated"]:
                absent = {
                    "host": ("host",),
                    "syslog5424_host": ("host",),
                    "process": ("service", "pid"),
                }.get(value, ())
                got.update(dict.fromkeys(absent))
            elif expectation["subject"] == 'result["message"]':
                got["message"] = value[1]
            elif isinstance(value, dict):
                got.update(_logstash_fields(value))
        expected = _logstash_expected(got)
        if expected:
            yield Golden(name, _lines(case["messages"][0]), expected, TimeOptions(year=2024))


def _logstash_fields(value: dict) -> dict[str, object]:
    out: dict[str, object] = {}
    process = value.get("process", {})
    if "name" in process:
        out["service"] = process["name"]
    if "pid" in process:
        out["pid"] = process["pid"]
    if "hostname" in value.get("host", {}):
        out["host"] = value["host"]["hostname"]
    if "priority" in value.get("log", {}).get("syslog", {}):
        out["pri"] = value["log"]["syslog"]["priority"]
    if isinstance(value.get("message"), list):
        out["message"] = value["message"][1]
    for key, ours in _LOGSTASH_KEYS.items():
        if key in value and not isinstance(value[key], (dict, list)):
            out[ours] = value[key]
    return out


def _logstash_expected(got: dict[str, object]) -> dict[str, object]:
    expected = {k: v for k, v in got.items() if k in ("host", "service", "message")}
    if "pid" in got:
        expected["pid"] = _pid(got["pid"])
    if "pri" in got:
        expected["severity"] = severity_from_pri(pd.Series([int(got["pri"])])).iloc[0]
    stamp = got.get("timestamp")
    if isinstance(stamp, str):
        if stamp[0].isdigit():
            expected["ts"] = _instant(stamp.replace(":60-", ":59-"))
        else:
            expected["month_day_time"] = _month_day_time(stamp)
    return expected


def lnav_cases() -> Iterator[Golden]:
    """lnav's own SQL table of logfile_syslog.0 (year-less: month-day-time only)."""
    lines = tuple((CORPUS / "lnav" / "test" / "logfile_syslog.0").read_text("utf-8").splitlines())
    table = CORPUS / "lnav" / "expected" / "logfile_syslog.0.lnav-syslog_log-table.csv"
    with table.open(encoding="utf-8", newline="") as handle:
        for index, row in enumerate(csv.DictReader(handle)):
            null = {"<NULL>": None}
            expected = {
                "host": null.get(row["log_hostname"], row["log_hostname"]),
                "service": null.get(row["log_procname"], row["log_procname"]),
                "pid": _pid(null.get(row["log_pid"], row["log_pid"])),
                "severity": row["log_level"],
                "month_day_time": pd.Timestamp(row["log_time"]).strftime("%m-%d %H:%M:%S.%f"),
            }
            yield Golden(f"lnav:logfile_syslog.0[{index}]", lines, expected, event=index)


LOADERS = (
    beats_cases,
    syslog_loose_cases,
    easypost_cases,
    fluentd_cases,
    vrl_cases,
    logstash_cases,
    lnav_cases,
)


def _all_cases() -> list[Golden]:
    if not CORPUS.is_dir():
        return []
    return [golden for loader in LOADERS for golden in loader()]


CASES = _all_cases()

# ---------------------------------------------------------------------------------------------
# The tests.


@functools.cache
def _parse(
    lines: tuple[str, ...], time: TimeOptions, forced: str | None = None
) -> tuple[str | None, pd.DataFrame]:
    fmt = parsers.get_format(forced) if forced else parsers.detect_format(lines)
    if fmt is None:
        return None, parsers.parse_lines([], parsers.get_format("syslog_rfc3164")).events
    return fmt.name, validate(parsers.parse_lines(lines, fmt, time).events)


def _observed(event: pd.Series, name: str) -> object:
    if name == "month_day_time":
        return event["ts"].strftime("%m-%d %H:%M:%S.%f")
    if name == "ts_ms":
        return event["ts"].floor("ms")
    value = event[name]
    return None if pd.isna(value) else value


@pytest.mark.skipif(not CORPUS.is_dir(), reason="corpus not present")
@pytest.mark.parametrize("golden", CASES, ids=[golden.id for golden in CASES])
def test_golden_case(golden: Golden) -> None:
    fmt, events = _parse(golden.lines, golden.time)
    differences = DIFFERENCES.get(golden.id, {})
    if golden.expected is None or "events" in differences:
        assert len(events) == differences.get("events", (0, ""))[0], golden.id
        return
    if "format" in differences:
        assert fmt == differences["format"][0]
        fmt, events = _parse(golden.lines, golden.time, "syslog_rfc3164")
    assert fmt is not None and fmt.startswith("syslog_"), fmt
    event = events.iloc[golden.event]
    for name, expected in golden.expected.items():
        expected = differences.get(name, (expected, ""))[0]
        assert _observed(event, name) == expected, name


@pytest.mark.skipif(not CORPUS.is_dir(), reason="corpus not present")
def test_every_difference_names_a_case_and_a_compared_field() -> None:
    ids = {golden.id for golden in CASES}
    assert set(DIFFERENCES) <= ids
    for fields in DIFFERENCES.values():
        assert set(fields) <= {*COMPARED, "events", "format"}
        assert all(reason for _, reason in fields.values())


@pytest.mark.skipif(not CORPUS.is_dir(), reason="corpus not present")
@pytest.mark.parametrize(
    ("name", "count"),
    [
        ("syslog/darwin-syslog-sample.log", 3),
        ("syslog/suse-syslog.log", 2),
        ("syslog/tz-offset.log", 3),
        ("auth/timestamp.log", 2),
        ("auth/test.log", 10),
    ],
)
def test_beats_file_gives_one_event_per_expected_document(name: str, count: int) -> None:
    lines = tuple((CORPUS / "elastic-beats" / "system" / name).read_text("utf-8").splitlines())
    result = parsers.parse_lines(lines, parsers.detect_format(lines))
    assert (len(result.events), result.unparsed) == (count, 0)
