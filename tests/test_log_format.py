"""`compile_log_format`: an nginx `log_format` string becomes a parser with exact fields."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import CORPUS

import parsers
from parsers.log_format import compile_log_format
from parsers.nginx_ingress import UPSTREAMINFO
from parsers.timestamps import TimeOptions
from pipeline.errors import PostmortemError

COMBINED = (
    '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent'
    ' "$http_referer" "$http_user_agent"'
)
TIMED_JSONISH = (
    '$time_iso8601 $remote_addr "$request" $status $bytes_sent rt=$request_time'
    ' urt="$upstream_response_time" $upstream_addr req=$request_id host=$host'
    ' "$http_x_forwarded_for" "$http_user_agent"'
)


def _parse(spec: str, lines: list[str], tz: str = "UTC") -> parsers.base.ParsedLines:
    return parsers.parse_lines(lines, compile_log_format(spec), TimeOptions(tz=tz))


def test_custom_format_maps_variables_to_columns() -> None:
    line = (
        '2024-03-14T02:31:07+01:00 203.0.113.7 "POST /api/pay?x=1 HTTP/2.0" 504 321 rt=60.002'
        ' urt="60.001, 0.001" 10.0.2.15:8000, 10.0.2.16:8000 req=7f3a host=shop.example'
        ' "198.51.100.4, 10.0.0.1" "okhttp/4.12 \\"beta\\""'
    )
    result = _parse(TIMED_JSONISH, [line])
    event = result.events.iloc[0]
    assert result.unparsed == 0
    assert event["ts"] == pd.Timestamp("2024-03-14T01:31:07Z")
    assert event["client_ip"] == "203.0.113.7"
    assert (event["method"], event["path"]) == ("POST", "/api/pay?x=1")
    assert (event["status"], event["bytes"]) == (504, 321)
    assert event["duration_ms"] == 60002.0
    assert event["request_id"] == "7f3a"
    assert event["user_agent"] == 'okhttp/4.12 \\"beta\\"'
    assert event["severity"] == "error"
    assert event["message"] == "POST /api/pay?x=1 -> 504"


def test_upstream_time_fills_duration_when_request_time_is_not_logged() -> None:
    spec = '[$time_local] "$request" $status $upstream_response_time'
    result = _parse(spec, ['[14/Mar/2024:02:31:07 +0000] "GET / HTTP/1.1" 502 0.250, 0.004'])
    assert result.events.iloc[0]["duration_ms"] == 250.0


def test_msec_is_epoch_seconds() -> None:
    result = _parse('$msec $status "$request"', ['1710383467.250 200 "GET /health HTTP/1.1"'])
    assert result.events.iloc[0]["ts"] == pd.Timestamp("2024-03-14T02:31:07.250Z")


def test_a_whole_directive_is_accepted_and_its_pieces_joined() -> None:
    directive = (
        "log_format main '$remote_addr - $remote_user [$time_local] \"$request\" '\n"
        "                '$status $body_bytes_sent \"$http_referer\" '\n"
        '                \'"$http_user_agent" "$http_x_forwarded_for"\';'
    )
    line = (
        '172.24.0.2 - alice [03/Jan/2025:16:42:58 +0000] "GET / HTTP/1.1" 200 615'
        ' "http://domain.tld/path" "curl/8.11.1" "1.2.3.4, 10.10.1.1"'
    )
    event = _parse(directive, [line]).events.iloc[0]
    assert event["client_ip"] == "172.24.0.2"
    assert event["referrer"] == "http://domain.tld/path"
    assert event["ts"] == pd.Timestamp("2025-01-03T16:42:58Z")


def test_lines_of_another_shape_are_counted_not_guessed() -> None:
    result = _parse(COMBINED, ["2024/03/14 02:31:07 [error] 1#1: not an access line"])
    assert result.unparsed == 1 and result.events.empty


def test_a_format_without_time_is_refused() -> None:
    with pytest.raises(PostmortemError, match="logs no time"):
        compile_log_format('$remote_addr "$request" $status')


def test_custom_format_outranks_the_builtins() -> None:
    custom = compile_log_format(COMBINED)
    assert custom.specificity > max(fmt.specificity for fmt in parsers.registered())


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is absent")
def test_compiled_combined_reads_filebeats_access_log_like_the_builtin() -> None:
    lines = (CORPUS / "elastic-beats/nginx/access/access.log").read_text().splitlines()
    lines = lines[:-1]  # the last line has a leading vhost, which `combined` does not log
    ours = _parse(COMBINED, lines).events
    builtin = parsers.parse_lines(lines, parsers.get_format("nginx_access")).events
    columns = ["ts", "client_ip", "method", "path", "status", "bytes", "user_agent", "severity"]
    pd.testing.assert_frame_equal(ours[columns], builtin[columns])


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is absent")
def test_upstreaminfo_reads_the_whole_ingress_sample() -> None:
    path = CORPUS / "elastic-beats/nginx/ingress_controller/test.log"
    result = _parse(UPSTREAMINFO, path.read_text().splitlines())
    events = result.events
    assert (result.lines, len(events), result.unparsed) == (29, 29, 0)
    retried = events.iloc[22]  # two upstreams: "0.100, 0.004" -> the request's own 0.001 s
    assert (retried["client_ip"], retried["duration_ms"]) == ("192.168.64.14", 1.0)
    counts = events["severity"].value_counts()
    assert counts[counts > 0].to_dict() == {"info": 25, "warning": 2, "error": 2}


def test_extra_formats_are_known_only_inside_their_run() -> None:
    from parsers.base import extra_formats, get_format

    custom = compile_log_format('$remote_addr [$time_local] "$request" $status', name="team_fmt")
    with extra_formats([custom]):
        assert get_format("team_fmt") is custom
    with pytest.raises(KeyError):
        get_format("team_fmt")
