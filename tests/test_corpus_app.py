"""Application-log formats against other projects' samples and expected parses (../shared/corpus).

Sources: VRL's parse_logfmt / parse_key_value / parse_klog / parse_glog cases,
logstash-patterns-core java_spec (Tomcat/log4j), lnav's sample logs and format samples. lnav's
sample logs carry no expected parse: the values asserted for them were read off the files by hand.

Cases deliberately treated differently (not counted as golden cases of our formats):

* VRL `parse_key_value` cases with non-default `args` (custom delimiters, `whitespace: strict`):
  another function's options, not logfmt as applications write it.
* VRL logfmt "standalone key" (`plonk` -> true): a bare key says nothing our columns hold, so
  `value_of` reads only keys with `=`; the other pairs of that case are still checked.
* logstash JAVASTACKTRACEPART (one `at a.b.C.m(F.java:42)` frame split into class/method/file/line):
  we fold stack frames into the event's message, we do not parse them.
* logstash CATALINALOG Tomcat 4.1/6.0 and TOMCATLOG Tomcat 7.0 (`Jul 31, 2020 4:40:20 PM a.B m`
  followed by `INFO: msg` on the next line): the level sits on the second line, which the driver
  gives a format only as a folded continuation; not supported yet (the lines are counted
  unparsed, never lost).
* logstash TOMCATLOG "multi-line trace" and legacy-mode cases with no input line in the spec, and
  the JAVACLASS/JAVAFILE/TOMCAT_DATESTAMP sub-pattern cases: nothing a log file would hold alone.
* VRL klog/glog `file`/`line`/`id` fields: `id` is checked as `pid`; the source file and line are
  not a column of the events table.
* `ERROR:orders.api:msg` (Python's basicConfig default) has no time: such a line folds into the
  event before it, or is counted unparsed when it starts the file.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from conftest import CORPUS

import parsers
from parsers.base import ParsedLines, parse_lines
from parsers.logfmt import value_of
from parsers.timestamps import TimeOptions

YEAR = 2024  # for year-less inputs; VRL's {CURRENT_YEAR}


def _corpus(relative: str) -> Path:
    path = CORPUS / relative
    if not path.exists():
        pytest.skip(f"corpus file {relative} not present")
    return path


def _jsonl(relative: str) -> list[dict]:
    path = CORPUS / relative
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _parse(lines: list[str], format_name: str | None = None) -> ParsedLines:
    fmt = parsers.get_format(format_name) if format_name else parsers.detect_format(lines)
    assert fmt is not None, lines[:3]
    return parse_lines(lines, fmt, TimeOptions(tz="UTC", year=YEAR))


def _read_lines(relative: str) -> list[str]:
    text = _corpus(relative).read_text(encoding="utf-8", errors="replace")
    return [line.removesuffix("\r") for line in text.splitlines()]


def _utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text.replace("{CURRENT_YEAR}", str(YEAR)))


# --- VRL parse_klog / parse_glog -----------------------------------------------------------------

GLOG_CASES = [
    pytest.param(case, id=f"{case['function']}-{case['case']}")
    for name in ("vrl/parse_klog.jsonl", "vrl/parse_glog.jsonl")
    for case in _jsonl(name)
]


@pytest.mark.parametrize("case", GLOG_CASES)
def test_vrl_glog_case(case: dict) -> None:
    lines = case["input"].split("\n")
    format_name = "klog" if case["function"] == "parse_klog" else "glog"
    result = _parse(lines, format_name)
    if "expected_error" in case:
        assert len(result.events) == 0
        assert result.unparsed == 1  # refused, and counted: never lost
        return
    expected = case["expected"]
    assert len(result.events) == 1
    event = result.events.iloc[0]
    assert event["ts"] == _utc(expected["timestamp"])
    assert event["severity"] == expected["level"]
    assert event["pid"] == expected["id"]
    assert event["message"] == expected["message"]
    assert result.unparsed == 0


# --- VRL parse_logfmt / parse_key_value (default options) ----------------------------------------

LOGFMT_CASES = [
    pytest.param(case, id=f"{case['function']}-{case['case']}")
    for name in ("vrl/parse_logfmt.jsonl", "vrl/parse_key_value.jsonl")
    for case in _jsonl(name)
    if not case.get("args") and "expected" in case
]


@pytest.mark.parametrize("case", LOGFMT_CASES)
def test_vrl_logfmt_values(case: dict) -> None:
    lines = pa.array([case["input"]], pa.string())
    for key, expected in case["expected"].items():
        if expected is True:
            continue  # standalone key: see the module docstring
        assert value_of(lines, (key,))[0] == expected, key


def test_heroku_router_line_as_an_event() -> None:
    """VRL's `default` key=value case is Heroku's router line: a request with its timings."""
    cases = [c for c in _jsonl("vrl/parse_key_value.jsonl") if c["case"] == "default"]
    if not cases:
        pytest.skip("corpus file vrl/parse_key_value.jsonl not available")
    case = cases[0]
    line = "ts=2024-03-14T02:31:07Z " + case["input"]
    events = _parse([line]).events
    assert events["format"].iloc[0] == "logfmt"
    event = events.iloc[0]
    assert (event["method"], event["path"], event["status"]) == ("GET", "/", 200)
    assert event["host"] == "myapp.herokuapp.com"
    assert event["request_id"] == "8601b555-6a83-4c12-8269-97c8e32cdb22"
    assert event["client_ip"] == "204.204.204.204"
    assert event["bytes"] == 13
    assert pd.isna(event["service"])  # `service=18ms` is a timing, not a service name
    assert event["severity"] == "info"  # `at=info`


# --- logstash-patterns-core java_spec (Tomcat, log4j) --------------------------------------------


def _java_cases() -> list:
    """ecs-v1 cases whose spec holds the whole input line (as `message[0]` or an `eq` match)."""
    cases = []
    for case in _jsonl("logstash-patterns-core/java_spec.jsonl"):
        if case["mode"] != "ecs-v1" or case["pattern"] not in ("CATALINALOG", "TOMCATLOG"):
            continue
        merged: dict = {}
        for expectation in case["expectations"]:
            expected = expectation["expected"]
            if expectation["matcher"] == "eq":
                merged["input"] = expected[0] if isinstance(expected, list) else expected
                if isinstance(expected, list):
                    merged["message"] = expected[1]
            elif isinstance(expected, dict):
                if isinstance(expected.get("message"), list):
                    merged["input"], merged["message"] = expected["message"]
                merged.update({k: v for k, v in expected.items() if k != "message"})
        if "input" in merged:
            name = f"{case['pattern']}-{'-'.join(case['context'])}-{case['it']}"
            cases.append(pytest.param(merged, id=name))
    return cases


JAVA_DIFFERENT = {"Tomcat 4.1", "Tomcat 6.0", "Tomcat 7.0"}  # two-line Catalina: see docstring


@pytest.mark.parametrize("case", _java_cases())
def test_logstash_java_case(case: dict, request: pytest.FixtureRequest) -> None:
    if any(version in request.node.callspec.id for version in JAVA_DIFFERENT):
        pytest.skip("two-line Catalina layout: deliberately not supported (see module docstring)")
    lines = case["input"].split("\n")
    result = _parse(lines)
    assert result.unparsed == 0, result.unparsed_examples
    assert len(result.events) == 1
    event = result.events.iloc[0]
    origin = case["java"]["log"]["origin"] if "java" in case else None
    if origin:
        assert event["service"] == origin["class"]["name"]
    level = case.get("log", {}).get("level")
    if level:
        assert event["severity"] == {"INFO": "info", "ERROR": "error", "SEVERE": "error"}[level]
    if "timestamp" in case:
        stamp = pd.to_datetime(case["timestamp"].replace(",", "."), format="mixed", utc=True)
        assert event["ts"] == stamp
    first_line = event["message"].split("\n")[0]
    if "message" in case:
        assert event["message"] == case["message"]
    else:  # the stack-trace case: every frame folds into the one event, in order
        assert first_line == "Failed to initialize component [Connector[HTTP/1.1-8080]]"
        assert event["message"] == case["input"].split(" ", 5)[5].rstrip("\n")


# --- lnav sample logs ----------------------------------------------------------------------------


def test_lnav_bunyan_numeric_levels_and_keys() -> None:
    result = _parse(_read_lines("lnav/test/logfile_bunyan.0"))
    events = result.events
    assert (result.lines, len(events), result.unparsed) == (10, 10, 0)
    assert set(events["format"]) == {"json_lines"}
    assert events["severity"].tolist() == ["debug"] * 3 + ["info"] + ["debug"] * 6
    assert set(events["service"]) == {"renovate"}
    assert set(events["host"]) == {"renovate-gitlab-67c4bcb5-9ggbv"}
    assert set(events["pid"]) == {7}
    assert events["message"].iloc[3] == "Dependency extraction complete"
    assert events["ts"].iloc[4] == pd.Timestamp("2023-03-24T14:26:16.390Z")


def test_lnav_ecs_dotted_and_nested_keys() -> None:
    events = _parse(_read_lines("lnav/test/logfile_ecs_log.json")).events
    assert events["severity"].tolist() == ["debug", "info", "warning", "error", "critical"]
    assert set(events["service"]) == {"app"}  # log.logger
    assert set(events["pid"]) == {9159}  # process.pid
    assert events["message"].iloc[0] == "this is a debug message num=39"
    assert events["ts"].iloc[0] == pd.Timestamp("2025-01-13T09:58:13.631Z")


def test_lnav_pino_epoch_ms_and_dotted_service() -> None:
    event = _parse(_read_lines("lnav/test/logfile_pino.0")).events.iloc[0]
    assert event["ts"] == pd.Timestamp("2025-04-24T22:08:37.537Z")  # 1745532517537 ms
    assert (event["severity"], event["service"], event["host"]) == (
        "info",
        "payment",
        "7d82d3f28bad",
    )
    assert event["request_id"] == "c759f29f5f1e2162be56f32dd1e77fce"
    assert event["message"] == "Charge request received."


def test_lnav_log4j2_instant_keeps_nanoseconds() -> None:
    events = _parse(_read_lines("lnav/test/logfile_json_subsec.json")).events
    assert events["ts"].tolist() == [
        pd.Timestamp("2022-09-24T00:00:09.484Z"),
        pd.Timestamp("2022-09-24T00:00:19.222000123Z"),
    ]
    assert events["message"].tolist() == ["Hello, World!", "Goodbye, World!"]


def test_lnav_json_bad_timestamp_is_counted_not_lost() -> None:
    result = _parse(_read_lines("lnav/test/logfile_json.json"))
    assert (result.lines, len(result.events), result.unparsed) == (14, 13, 1)
    assert result.unparsed_line_nos == [6]  # {"ts": "xxx", ...}
    events = result.events
    assert events["service"].iloc[0] == "com.example.foo.bar.bazzer"
    assert events["severity"].tolist() == (
        ["debug", "info", "info"] + ["debug"] * 5 + ["info", "warning", "error"]
        + ["critical"] * 2
    )  # fmt: skip
    assert events["ts"].iloc[7] == pd.Timestamp("2013-09-06T22:01:00Z")  # "2013-09-06 22:01:00Z"


def test_lnav_rust_tracing_nested_message() -> None:
    events = _parse(_read_lines("lnav/test/logfile_rust_tracing.0")).events
    assert events["severity"].tolist() == ["info", "info", "debug", "warning", "error"]
    assert events["message"].iloc[0] == "preparing to shave yaks"
    assert events["service"].iloc[1] == "fmt_json::yak_shave"


def test_lnav_logfmt() -> None:
    result = _parse(_read_lines("lnav/test/logfile_logfmt.0"))
    events = result.events
    assert (len(events), result.unparsed) == (5, 0)
    assert set(events["format"]) == {"logfmt"}
    assert events["severity"].tolist() == ["error", "warning", "info", "info", "error"]
    assert events["ts"].iloc[0] == pd.Timestamp("2021-09-15T21:17:10.220731Z")
    assert events["message"].iloc[1] == "Failed to DeletePod in the provider"
    assert events["status"].isna().all()  # status=Pending is a pod phase, not HTTP


def test_lnav_python_traceback_folds_into_its_event() -> None:
    result = _parse(_read_lines("lnav/test/log2src_python-example.0"))
    events = result.events
    assert set(events["format"]) == {"python_logging"}
    assert (result.lines, len(events), result.continuation, result.unparsed) == (12, 5, 7, 0)
    assert events["severity"].tolist() == ["debug", "info", "warning", "error", "error"]
    assert events["message"].iloc[2] == "warning message:\nlow disk space"
    assert events["message"].iloc[4] == (
        "exception message: caught unexpected error\nTraceback (most recent call last):\n"
        '  File "/path/to/log_example.py", line 25, in main\n    1 / 0\n    ~~^~~\n'
        "ZeroDivisionError: division by zero"
    )
    assert events["line_no"].tolist() == [1, 2, 4, 6, 7]
    assert events["ts"].iloc[0] == pd.Timestamp("2025-09-26T21:12:39.384Z")


@pytest.mark.parametrize(
    ("name", "severities", "messages"),
    [
        ("logfile_generic.0", ["debug", "warning"], ["foo bar baz", "foo bar baz"]),
        ("logfile_crlf.0", ["debug", "warning"], ["foo bar baz", "foo bar baz"]),
        ("logfile_multiline.0", ["debug", "error"], ["Hello, World!\n  How are you today?",
                                                     "Goodbye, World!"]),
        ("logfile_epoch.1", ["info", "info"], ["Hello, World!", "Goodbye, World!"]),
        ("logfile_leveltest.0",
         ["debug", "debug", "info", "info", "info", "warning", "critical", "info"],
         ["tracemessage", "debugmessage", "debug2 debug2message", "debug3 debug3message",
          "infomessage", "warnmessage", "fatalmessage", "invalid invalidmessage"]),
    ],
)  # fmt: skip
def test_lnav_generic_text(name: str, severities: list[str], messages: list[str]) -> None:
    result = _parse(_read_lines(f"lnav/test/{name}"))
    assert set(result.events["format"]) == {"python_logging"}
    assert result.unparsed == 0
    assert result.events["severity"].tolist() == severities
    assert result.events["message"].tolist() == messages


def test_lnav_generic_header_lines_are_counted() -> None:
    result = _parse(_read_lines("lnav/test/logfile_generic_with_header.0"))
    assert result.unparsed_line_nos == [1, 2]
    assert result.events["ts"].tolist() == [
        pd.Timestamp("2012-07-02T10:22:40.672Z"),
        pd.Timestamp("2014-10-08T16:56:38.344Z"),
    ]


def test_lnav_java_padded_thread_and_logger() -> None:
    result = _parse(_read_lines("lnav/test/logfile_java.0"))
    events = result.events
    assert (len(events), result.unparsed) == (20, 0)
    assert set(events["format"]) == {"java_log4j"}
    assert events["service"].iloc[0] == "Version"
    assert events["message"].iloc[0] == "HV000001: Hibernate Validator 8.0.1.Final"
    assert events["message"].iloc[6] == "\t/objroot/iorroot/activators/activator-ts_one.ior"
    assert events["ts"].iloc[19] == pd.Timestamp("2025-01-24T07:05:38.884Z")


def test_lnav_glog_without_year() -> None:
    result = _parse(_read_lines("lnav/test/logfile_glog.0"))
    events = result.events
    assert set(events["format"]) == {"klog"}
    assert events["severity"].tolist() == [
        "error", "info", "info", "warning", "info", "info", "error",
    ]  # fmt: skip
    assert events["pid"].tolist() == [1952452992, 952452992, 52452992, 2452992, 452992, 52992,
                                      2992]  # fmt: skip
    assert events["ts"].iloc[0] == pd.Timestamp(f"{YEAR}-05-17T15:04:22.619632Z")
    assert events["message"].iloc[6] == "foo 1000 0000001000 3e8"


# --- lnav format samples (one line per lnav format; levels where lnav declares them) -------------

FORMAT_SAMPLES = {
    # lnav format -> our format; lnav's `trace` is our `debug` (we have no trace level).
    "glog_log": "klog|glog",
    "rust_tracing_log": "json_lines",
    "zookeeper_log": "zookeeper",
}
JAVA_LOG_SAMPLES = {  # java_log samples in layouts we read, by line start -> our service
    "2015-05-22 16:10:00,123 [DefaultQuartzScheduler_Worker-5]":
        "com.redhat.rhn.taskomatic.task.ErrataCacheTask",
    "2024-04-23 09:17:27,871 INFO  [main]": "server.Server",
    "2024-04-23 09:17:33,457 INFO  namenode.NameNode": "namenode.NameNode",
    "2025-01-14T16:10:44.175-07:00  INFO 93649": "e.c.o.s.c.c.ConsumerService",
    "2025-01-23T03:42:36.681-0800  INFO 125873": "o.s.b.d.f.logexample.MyApplication",
    "17/06/09 20:10:52 INFO": "executor.CoarseGrainedExecutorBackend",
}  # fmt: skip


def _format_samples() -> list:
    cases = []
    for sample in _jsonl("lnav/format-samples/lnav-format-samples.jsonl"):
        if sample["format"] in FORMAT_SAMPLES:
            cases.append(pytest.param(sample, FORMAT_SAMPLES[sample["format"]], None))
        elif sample["format"] == "java_log":
            for start, service in JAVA_LOG_SAMPLES.items():
                if sample["line"].startswith(start):
                    cases.append(pytest.param(sample, "java_log4j|spark", service))
    return cases


@pytest.mark.parametrize(("sample", "ours", "service"), _format_samples())
def test_lnav_format_sample(sample: dict, ours: str, service: str | None) -> None:
    result = _parse([sample["line"]])
    assert result.unparsed == 0
    event = result.events.iloc[0]
    assert event["format"] in ours.split("|")
    if sample.get("expected_level"):
        expected = {"trace": "debug"}.get(sample["expected_level"], sample["expected_level"])
        assert event["severity"] == expected
    if service:
        assert event["service"] == service
