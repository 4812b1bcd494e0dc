"""nginx and Apache parsers against other projects' golden parses (../shared/corpus).

Every golden case whose input belongs to one of our web-server formats is one test: the lines are
detected (never forced), parsed, and each expected field the peer tool reports that we have a
column for is compared: value, and UTC instant. Peer field names are mapped to ours; conventions
that differ on purpose are written down once here:

* `message`: access events carry our own `GET /path -> 502`, so a peer's access `message` is not
  compared. nginx error: we keep Filebeat's message (text after `*cid`, context included): VRL's
  shorter message must be its prefix, Datadog's (`pid#tid: *cid text`) too once its `pid#tid: *cid`
  head is removed. Apache error: we keep the APR error and `AHnnnnn:` id in the message, so
  logstash's shorter message must be its suffix and VRL's `message1 + message2` must equal it.
* `-` and empty referrer / user agent are missing values (Filebeat drops them, VRL keeps `""`).
* Escapes (`\\"`, `\\xHH`) stay as written, as every peer keeps them.
* Levels are compared after our normalisation (`warn` -> warning, `emerg` -> emergency).

`DIFFERENT` lists every case we deliberately treat differently, with the reason; each of those
still asserts what we do instead.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

import pandas as pd
import pytest
from conftest import CORPUS

import parsers
from parsers.base import normalize_level
from parsers.timestamps import TimeOptions

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is absent")

ACCESS_FORMATS = {"nginx_access", "access_common", "nginx_access_timed", "nginx_ingress"}


@dataclass(frozen=True)
class Golden:
    """One golden case: lines (one file or one input), the format, the expected events."""

    case_id: str
    lines: list[str]
    fmt: str
    events: list[dict[str, object]]
    tz: str = "UTC"
    unparsed: int = 0


# Cases we treat differently on purpose: id -> (reason, what we do instead).
DIFFERENT: dict[str, tuple[str, dict[str, object]]] = {
    "vrl/parse_apache_log/log_line_valid_empty": (
        "VRL returns an empty object for `- - - - - - -`; without a time it is no event for us",
        {"unparsed": 1},
    ),
    "vrl/parse_apache_log/log_line_valid_empty_variant": (
        "VRL returns an empty object for `- - - [-] ...`; without a time it is no event for us",
        {"unparsed": 1},
    ),
    "vrl/parse_common_log/log_line_valid_empty": (
        "VRL returns an empty object for `- - - - - - -`; without a time it is no event for us",
        {"unparsed": 1},
    ),
    "vrl/parse_common_log/log_line_valid_empty_variant": (
        "VRL returns an empty object for `- - - [-] ...`; without a time it is no event for us",
        {"unparsed": 1},
    ),
    "vrl/parse_common_log/log_line_valid_with_timestamp_format": (
        "a CLF line whose client, request and status are all `-` is not an access event",
        {"unparsed": 1},
    ),
    "vrl/parse_apache_log/log_line_valid_with_local_timestamp_format": (
        "`[time] - - - -` has no level: not an Apache error line (VRL's pattern is looser)",
        {"unparsed": 1},
    ),
    "vrl/parse_apache_log/log_line_valid_with_timezone": (
        "`[2021/06/03 09:30:50] - - - -` has no level: not an Apache error line",
        {"unparsed": 1},
    ),
    "vrl/parse_apache_log/error_line_thread_id": (
        "VRL reads `.138633` as 138633 ns (a %f quirk, see the corpus note); we read microseconds",
        {"ts": "2021-06-04T15:40:27.138633Z"},
    ),
    "logstash/httpd/HTTPD_ERRORLOG/legacy/a debug message": (
        "logstash itself says `matches imperfectly`: its message keeps `[client ...]`; ours drops"
        " the client block and keeps `mod_authz_core.c(820): AH01626: ...`",
        {
            "message": "mod_authz_core.c(820): AH01626: authorization result of <RequireAny>:"
            " granted"
        },
    ),
    "fluentd/apache/ApacheParserTest / test_parse_with_keep_time_key": (
        "a fluentd option (keep the raw time text as a field); we keep the instant only",
        {"ts": "2013-02-28T03:00:00Z"},
    ),
}


def _lines(text: str) -> list[str]:
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def _none_if_dash(value: object) -> object:
    return None if value in ("-", "", None) else value


def _request_fields(request: str, status: object) -> dict[str, object]:
    """What our columns say for a raw request line: method/path, or a quoted raw message."""
    parts = request.split(" ")
    if len(parts) >= 2 and parts[0].isalpha():
        has_protocol = len(parts) > 2 and parts[-1].startswith("HTTP/")
        path = " ".join(parts[1:-1] if has_protocol else parts[1:])
        return {"method": parts[0], "path": path}
    return {"method": None, "path": None, "message": f'"{request}" -> {status}'}


# --- loaders: each turns one source's expected output into our column names -------------------


def _beats_access() -> Iterator[Golden]:
    folder = CORPUS / "elastic-beats/nginx/access"
    docs = json.loads((folder / "test.log-expected.json").read_text())
    events = []
    for doc in docs:
        expected: dict[str, object] = {
            "ts": doc["@timestamp"],
            "client_ip": doc.get("source.address"),
            "method": doc.get("http.request.method"),
            "path": doc.get("url.original"),
            "status": doc["http.response.status_code"],
            "bytes": doc["http.response.body.bytes"],
            "referrer": doc.get("http.request.referrer"),
            "severity": "warning" if doc["http.response.status_code"] >= 400 else "info",
        }
        events.append(expected)
    yield Golden("beats/nginx/access/test.log", _lines((folder / "test.log").read_text()),
                 "nginx_access", events)  # fmt: skip
    # The same lines with a leading $host[:port]: upstream's expected equals test.log's.
    with_host = _lines((folder / "test-with-host.log").read_text())
    yield Golden("beats/nginx/access/test-with-host.log", with_host, "nginx_access", events)


def _beats_error() -> Iterator[Golden]:
    folder = CORPUS / "elastic-beats/nginx/error"
    docs = json.loads((folder / "error.log-expected.json").read_text())
    events = [
        {
            "ts": doc["@timestamp"],
            "severity": doc["log.level"],
            "message": doc["message"],
            "pid": doc["process.pid"],
        }
        for doc in docs
    ]
    lines = _lines((folder / "error.log").read_text())
    yield Golden("beats/nginx/error/error.log", lines, "nginx_error", events, tz="-02:00")


def _whole_files() -> Iterator[Golden]:
    """Files without a copied expected output: every line must become an event of the format."""
    for path, fmt, unparsed in (
        ("elastic-beats/nginx/access/access.log", "nginx_access", 0),
        ("elastic-beats/nginx/ingress_controller/test.log", "nginx_ingress", 0),
        ("lnav/test/logfile_access_log.1", "nginx_access", 0),
        ("lnav/test/logfile_regexp_access_log.0", "nginx_access", 0),
        ("lnav/test/logfile_shop_access_log.0", "nginx_access", 0),
        # Line 2 lacks the ident and user fields: lnav marks it bad, we count it unparsed.
        ("lnav/test/logfile_bad_access_log.0", "nginx_access", 1),
    ):
        lines = _lines((CORPUS / path).read_text())
        yield Golden(path, lines, fmt, [{}] * (len(lines) - unparsed), unparsed=unparsed)


def _lnav() -> Iterator[Golden]:
    table = CORPUS / "lnav/expected/logfile_access_log.0.lnav-access_log-table.csv"
    with table.open(newline="") as handle:
        rows = list(csv.DictReader(handle))

    def value(row: Mapping[str, str], key: str) -> str | None:
        return None if row[key] == "<NULL>" else row[key]

    events = []
    for row in rows:
        query = value(row, "cs_uri_query")
        status = int(row["sc_status"])
        events.append(
            {
                "ts": row["log_time"] + "Z",
                "client_ip": row["c_ip"],
                "method": row["cs_method"],
                "path": row["cs_uri_stem"] + (f"?{query}" if query else ""),
                "status": status,
                "bytes": int(row["sc_bytes"]),
                "user_agent": value(row, "cs_user_agent"),
                "referrer": value(row, "cs_referer"),
                # lnav calls every 4xx an error; we say warning (the rule).
                "severity": "warning" if 400 <= status < 500 else row["log_level"],
            }
        )
    lines = _lines((CORPUS / "lnav/test/logfile_access_log.0").read_text())
    yield Golden("lnav/logfile_access_log.0", lines, "nginx_access", events)


def _vrl_access(expected: Mapping[str, object], names: Mapping[str, str]) -> dict[str, object]:
    """VRL access fields (named per VRL format) to our columns."""
    out: dict[str, object] = {"ts": expected["timestamp"]}
    for theirs, ours in names.items():
        if theirs in expected:
            value = expected[theirs]
            out[ours] = _none_if_dash(value) if ours in {"referrer", "user_agent"} else value
    if "request" in expected:
        out.update(_request_fields(str(expected["request"]), expected["status"]))
    if "method" in expected:
        out["method"] = expected["method"]
        out["path"] = expected["path"]
    if "request_time" in expected:
        out["duration_ms"] = float(expected["request_time"]) * 1000.0  # type: ignore[arg-type]
    if "status" in expected:
        out["severity"] = _status_severity(int(expected["status"]))  # type: ignore[call-overload]
    return out


def _status_severity(status: int) -> str:
    return "error" if status >= 500 else "warning" if status >= 400 else "info"


_VRL_NAMES = {
    "combined": {"client": "client_ip", "status": "status", "size": "bytes",
                 "referer": "referrer", "agent": "user_agent"},
    "main": {"remote_addr": "client_ip", "status": "status", "body_bytes_size": "bytes",
             "http_referer": "referrer", "http_user_agent": "user_agent"},
    "ingress_upstreaminfo": {"remote_addr": "client_ip", "status": "status",
                             "body_bytes_size": "bytes", "http_referer": "referrer",
                             "http_user_agent": "user_agent", "req_id": "request_id"},
    "apache": {"host": "client_ip", "status": "status", "size": "bytes",
               "referrer": "referrer", "agent": "user_agent"},
}  # fmt: skip


def _vrl() -> Iterator[Golden]:
    for function in ("parse_nginx_log", "parse_apache_log", "parse_common_log"):
        for raw in _lines((CORPUS / f"vrl/{function}.jsonl").read_text()):
            case = json.loads(raw)
            case_id = f"vrl/{function}/{case['case']}"
            vrl_format = case.get("args", {}).get("format", "common")
            lines = _lines(case["input"])
            if "expected_error" in case:
                # VRL rejects it as this format; we must not read it as an access line.
                yield Golden(case_id, lines, "not-access", [])
                continue
            expected = case["expected"]
            if vrl_format == "error":
                fmt = "nginx_error" if function == "parse_nginx_log" else "apache_error"
                yield Golden(case_id, lines, fmt, [_vrl_error(expected)], tz=case.get("timezone",
                             "UTC"))  # fmt: skip
                continue
            if function == "parse_nginx_log":
                fmt = {"ingress_upstreaminfo": "nginx_ingress"}.get(vrl_format, "nginx_access")
                names = _VRL_NAMES[vrl_format]
            else:
                fmt = "access_common" if vrl_format == "common" else "nginx_access"
                names = _VRL_NAMES["apache"]
            if not expected or set(expected) == {"timestamp"}:
                yield Golden(case_id, lines, fmt, [{"ts": expected.get("timestamp")}])
                continue
            yield Golden(case_id, lines, fmt, [_vrl_access(expected, names)])


def _vrl_error(expected: Mapping[str, object]) -> dict[str, object]:
    out: dict[str, object] = {"ts": expected.get("timestamp")}
    if "severity" in expected:
        out["severity"] = normalize_level(pd.Series([expected["severity"]])).iloc[0]
    if "pid" in expected:
        out["pid"] = expected["pid"]
    if "client" in expected:
        out["client_ip"] = expected["client"]
    if "referer" in expected:
        out["referrer"] = _none_if_dash(expected["referer"])
    if "request" in expected:
        out.update(_request_fields(str(expected["request"]), None))
        out.pop("message", None)
    if "message1" in expected:
        out["message"] = f"{expected['message1']}{expected['message2']}"
    elif "message" in expected and "tid" in expected:  # nginx: VRL cuts the context off
        out["message_prefix"] = expected["message"]
    elif "message" in expected:
        out["message"] = expected["message"]
    return out


def _fluentd() -> Iterator[Golden]:
    for name in ("nginx", "apache", "apache2", "apache_error"):
        for raw in _lines((CORPUS / f"fluentd/test_parser_{name}.jsonl").read_text()):
            case = json.loads(raw)
            record = case.get("expected_record") or case.get("expected_fields") or {}
            out: dict[str, object] = {}
            if "expected_time" in case:
                stamp = case["expected_time"]["$event_time"]
                fmt_text = case["expected_time"].get("format")
                out["ts"] = pd.to_datetime(stamp, format=fmt_text, utc=True).isoformat()
            client_key = (
                "remote" if name == "nginx" else "client" if name == "apache_error" else "host"
            )
            mapping = {client_key: "client_ip", "method": "method", "path": "path",
                       "code": "status", "size": "bytes", "referer": "referrer",
                       "agent": "user_agent", "message": "message", "pid": "pid"}  # fmt: skip
            for theirs, ours in mapping.items():
                if theirs in record:
                    value = record[theirs]
                    if ours in {"status", "bytes", "pid"} and value is not None:
                        value = int(value)
                    if ours in {"referrer", "user_agent"}:
                        value = _none_if_dash(value)
                    out[ours] = value
            if "level" in record:
                out["severity"] = normalize_level(pd.Series([record["level"]])).iloc[0]
            fmt = {
                "nginx": "nginx_access",
                "apache": "access_common",
                "apache2": "nginx_access",
                "apache_error": "apache_error",
            }[name]
            case_id = f"fluentd/{name}/{case['test']}"
            yield Golden(case_id, _lines(case["input"]), fmt, [out])


def _flatten(value: object, prefix: str = "") -> dict[str, object]:
    """Nested logstash expectations to dotted keys; RSpec's `$hash_including` is transparent."""
    if not isinstance(value, dict):
        return {prefix: value}
    out: dict[str, object] = {}
    for key, inner in value.items():
        name = prefix if key == "$hash_including" else f"{prefix}.{key}" if prefix else key
        out.update(_flatten(inner, name))
    return out


_LOGSTASH_NAMES = {
    "clientip": "client_ip", "source.address": "client_ip", "verb": "method",
    "http.request.method": "method", "request": "path", "url.original": "path",
    "response": "status", "http.response.status_code": "status", "bytes": "bytes",
    "http.response.body.bytes": "bytes", "referrer": "referrer",
    "http.request.referrer": "referrer", "agent": "user_agent",
    "user_agent.original": "user_agent", "pid": "pid", "process.pid": "pid",
    "loglevel": "severity", "log.level": "severity",
}  # fmt: skip


def _logstash() -> Iterator[Golden]:
    for raw in _lines((CORPUS / "logstash-patterns-core/httpd_spec.jsonl").read_text()):
        case = json.loads(raw)
        fmt = "nginx_access" if case["pattern"] == "HTTPD_COMBINEDLOG" else "apache_error"
        context = " ".join(case["context"])
        case_id = f"logstash/httpd/{case['pattern']}/{case['mode']}/{context}"
        out: dict[str, object] = {}
        for expectation in case["expectations"]:
            expected = expectation["expected"]
            if expectation["negated"]:
                # "does not capture the optional response code": our status is missing.
                if expected in {"response", "status_code"}:
                    out["status"] = None
                continue
            for key, value in _flatten(expected).items():
                if key == "message":
                    out["message_suffix"] = value[1]  # type: ignore[index]
                elif key == "timestamp":
                    out["ts"] = _logstash_time(str(value))
                elif key in _LOGSTASH_NAMES:
                    ours = _LOGSTASH_NAMES[key]
                    if isinstance(value, str) and value.startswith('"'):
                        value = value[1:-1]  # legacy keeps the quotes of referrer/agent
                    if ours in {"status", "bytes", "pid"}:
                        value = int(value)  # type: ignore[call-overload]
                    if ours == "severity":
                        value = normalize_level(pd.Series([value])).iloc[0]
                    out[ours] = _none_if_dash(value) if ours == "referrer" else value
        if not case["messages"]:
            continue  # an RSpec block with no message of its own: nothing to check
        yield Golden(case_id, _lines(case["messages"][0]), fmt, [out])


def _logstash_time(text: str) -> str:
    for fmt in ("%d/%b/%Y:%H:%M:%S %z", "%a %b %d %H:%M:%S.%f %Y", "%a %b %d %H:%M:%S %Y"):
        try:
            return pd.to_datetime(text, format=fmt, utc=True).isoformat()
        except ValueError:
            continue
    raise ValueError(text)


def _datadog() -> Iterator[Golden]:
    path = CORPUS / "datadog-integrations-core/nginx/nginx_tests.jsonl"
    for number, raw in enumerate(_lines(path.read_text())):
        case = json.loads(raw)
        flat = _flatten(case["expected"]["custom"])
        out: dict[str, object] = {"ts": pd.Timestamp(case["expected"]["timestamp"], unit="ms",
                                                     tz="UTC").isoformat()}  # fmt: skip
        if "network.client.ip" in flat:
            out["client_ip"] = flat["network.client.ip"]
        if "http.method" in flat:
            out["method"] = flat["http.method"]
            out["path"] = flat["http.url"]
        for theirs, ours in (("http.status_code", "status"), ("network.bytes_written", "bytes"),
                             ("http.useragent", "user_agent")):  # fmt: skip
            if theirs in flat:
                out[ours] = flat[theirs]
        if "http.referer" in flat:
            out["referrer"] = _none_if_dash(flat["http.referer"])
        if "duration" in flat:
            out["duration_ms"] = float(flat["duration"]) / 1e6  # type: ignore[arg-type]
        if "level" in flat:
            out["severity"] = flat["level"]
            text = str(flat["error.message"]).partition(" ")[2]  # drop `pid#tid:`
            if text.startswith("*"):
                text = text.split(" ", 1)[1]
            out["message_prefix"] = text
            fmt = "nginx_error"
        else:
            out["severity"] = _status_severity(int(flat["http.status_code"]))  # type: ignore[call-overload]
            fmt = "nginx_access_timed" if "duration" in flat else (
                "access_common" if "http.referer" not in flat and "http.useragent" not in flat
                else "nginx_access")  # fmt: skip
        yield Golden(f"datadog/nginx/{number}", _lines(case["input"]), fmt, [out])


def _all_cases() -> list[Golden]:
    if not CORPUS.is_dir():
        return []
    loaders = (_beats_access, _beats_error, _whole_files, _lnav, _vrl, _fluentd, _logstash,
               _datadog)  # fmt: skip
    return [case for loader in loaders for case in loader()]


CASES = _all_cases()


# --- the comparison -----------------------------------------------------------------------------


@dataclass
class Outcome:
    detected: str | None
    events: pd.DataFrame
    unparsed: int
    mismatches: list[str] = field(default_factory=list)


def _run(case: Golden) -> Outcome:
    fmt = parsers.detect_format(case.lines)
    if fmt is None:
        return Outcome(None, pd.DataFrame(), len([line for line in case.lines if line.strip()]))
    result = parsers.parse_lines(case.lines, fmt, TimeOptions(tz=case.tz))
    return Outcome(fmt.name, result.events, result.unparsed)


def _compare(event: pd.Series, expected: Mapping[str, object]) -> list[str]:
    problems = []
    for name, want in expected.items():
        if name == "message_prefix":
            if not str(event["message"]).startswith(str(want)):
                problems.append(f"message {event['message']!r} does not start with {want!r}")
            continue
        if name == "message_suffix":
            if not str(event["message"]).endswith(str(want)):
                problems.append(f"message {event['message']!r} does not end with {want!r}")
            continue
        got = event[name]
        if want is None:
            ok = pd.isna(got)
        elif pd.isna(got):
            ok = False
        elif name == "ts":
            ok = got == pd.Timestamp(str(want)).tz_convert("UTC")
        elif isinstance(want, float):
            ok = math.isclose(float(got), want, abs_tol=1e-6)
        else:
            ok = got == want
        if not ok:
            problems.append(f"{name}: got {got!r}, expected {want!r}")
    return problems


@pytest.mark.parametrize("case", CASES, ids=[case.case_id for case in CASES])
def test_golden_case(case: Golden) -> None:
    outcome = _run(case)
    if case.case_id in DIFFERENT:
        _reason, ours = DIFFERENT[case.case_id]
        if "unparsed" in ours:
            assert outcome.detected not in ACCESS_FORMATS | {"apache_error"} or (
                outcome.unparsed == ours["unparsed"] and outcome.events.empty
            )
            return
        assert len(outcome.events) == 1, outcome
        assert not _compare(outcome.events.iloc[0], ours)
        return
    if case.fmt == "not-access":
        assert outcome.detected not in ACCESS_FORMATS, outcome.detected
        return
    assert outcome.detected == case.fmt
    assert outcome.unparsed == case.unparsed
    assert len(outcome.events) == len(case.events)
    problems = [
        f"event {i}: {problem}"
        for i, expected in enumerate(case.events)
        for problem in _compare(outcome.events.iloc[i], expected)
    ]
    assert not problems, "\n".join(problems)


def test_every_documented_difference_is_a_real_case() -> None:
    ids = {case.case_id for case in CASES}
    assert set(DIFFERENT) <= ids, set(DIFFERENT) - ids


def test_corpus_has_the_cases_we_expect() -> None:
    """Guard against a loader silently yielding nothing (a renamed corpus file)."""
    sources = pd.Series([case.case_id.split("/")[0] for case in CASES]).value_counts()
    assert sources.to_dict() == {
        "vrl": 52, "logstash": 25, "fluentd": 13, "datadog": 6, "beats": 3, "lnav": 5,
        "elastic-beats": 2,
    }  # fmt: skip
