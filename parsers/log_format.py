"""Compile an nginx `log_format` string into a log format, so custom access logs parse too.

Many servers log a format of their own (`... $request_time $upstream_response_time $request_id`).
Rather than guess, the user pastes the `log_format` line from nginx.conf:

    postmortem draft logs/ --nginx-log-format '$remote_addr - $remote_user [$time_local] ...'

and `compile_log_format(spec)` returns a `LogFormat` whose RE2 pattern has one named group per
variable we can use. The spec may be the bare format string or the whole directive
(`log_format main '...' '...';`, the quoted pieces are joined as nginx joins them).

Variables and what they become:

| variable | column |
|---|---|
| `$remote_addr`, `$realip_remote_addr`, `$binary_remote_addr`... | `client_ip` |
| `$time_local` / `$time_iso8601` / `$msec` | `ts` (zone from the text; `$msec` is epoch) |
| `$request` | `method` and `path` (raw request kept in the message when it is not one) |
| `$request_method`, `$request_uri` / `$uri` | `method`, `path` |
| `$status` | `status` (and severity: 5xx error, 4xx warning) |
| `$body_bytes_sent`, else `$bytes_sent` | `bytes` |
| `$request_time`, else `$upstream_response_time` (first of a list) | `duration_ms` (s x 1000) |
| `$http_user_agent`, `$http_referer` | `user_agent`, `referrer` |
| `$request_id`, `$req_id`, `$http_x_request_id` | `request_id` |
| `$hostname` (the machine), `$pid` | `host`, `pid` |

Every other variable (`$host`, `$server_name`, `$upstream_addr`, `$http_*`, ...) is matched but
not captured: inside quotes as an escaped-quote-aware string, inside `[...]` up to the bracket,
`$upstream_*` as nginx's `a, b : c` lists, anything else as one non-blank token. `$host` and
`$server_name` are the virtual host, not the machine, so they do not become `host`.
"""

from __future__ import annotations

import functools
import re

import pandas as pd
import pyarrow as pa

from parsers.base import LogFormat
from parsers.nginx import CLF_TIME, QUOTED, extract_fields, finish_access
from pipeline.errors import PostmortemError

# Variable -> (column or intermediate name, regex when not inside quotes or brackets).
_NUMBER = r"\d+(?:\.\d+)?|-"
_UPSTREAM_LIST = r"(?:[^\s,]+(?:, | : ))*[^\s,]+"
_TIME_LOCAL = r"\d{2}/[A-Za-z]{3}/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4}"
_TIME_ISO = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})"
_KNOWN: dict[str, tuple[str, str]] = {
    "remote_addr": ("client_ip", r"\S+"),
    "realip_remote_addr": ("client_ip", r"\S+"),
    "binary_remote_addr": ("client_ip", r"\S+"),
    "time_local": ("ts_text", _TIME_LOCAL),
    "time_iso8601": ("ts_text", _TIME_ISO),
    "msec": ("msec", r"\d+(?:\.\d+)?"),
    "request": ("request", r"\S+"),
    "request_method": ("method", r"[A-Za-z]+|-"),
    "request_uri": ("path", r"\S+"),
    "uri": ("path", r"\S+"),
    "status": ("status", r"\d{3}|-"),
    "body_bytes_sent": ("bytes", r"\d+|-"),
    "bytes_sent": ("bytes_sent", r"\d+|-"),
    "request_time": ("request_time", _NUMBER),
    "upstream_response_time": ("upstream_response_time", _UPSTREAM_LIST),
    "http_user_agent": ("user_agent", r"\S+"),
    "http_referer": ("referrer", r"\S+"),
    "request_id": ("request_id", r"\S+"),
    "req_id": ("request_id", r"\S+"),
    "http_x_request_id": ("request_id", r"\S+"),
    "hostname": ("host", r"\S+"),
    "pid": ("pid", r"\d+"),
}
_VARIABLE = re.compile(r"\$(?:\{(\w+)\}|(\w+))")
_REGEX_SPECIAL = re.compile(r"([\\.^$|?*+()\[\]{}])")
_DIRECTIVE = re.compile(r"^\s*log_format\s+\S+\s+(?:escape=\w+\s+)?(.*?);?\s*$", re.S)
_PIECE = re.compile(r"'((?:[^'\\]|\\.)*)'|\"((?:[^\"\\]|\\.)*)\"")


@functools.cache  # one object per spec: registering it again in a run is then a no-op
def compile_log_format(spec: str, name: str = "nginx_custom") -> LogFormat:
    """A `LogFormat` reading the lines that nginx writes with the `log_format` `spec`.

    Raises PostmortemError when the spec logs no time (`$time_local`, `$time_iso8601`, `$msec`):
    without one no line can be placed on the timeline.
    """
    text = _format_string(spec)
    pattern, captured = _pattern(text)
    ts_var = next((var for var in captured if var in {"time_local", "time_iso8601", "msec"}), None)
    if ts_var is None:
        raise PostmortemError(
            "the nginx log_format logs no time ($time_local, $time_iso8601 or $msec)"
        )
    ts_format = {"time_local": CLF_TIME, "time_iso8601": "ISO8601"}.get(ts_var)

    def parse(lines: pa.Array) -> pd.DataFrame:
        raw = extract_fields(lines, pattern, keep_empty=frozenset({"request"}))
        if "msec" in raw:
            seconds = pd.to_numeric(raw.pop("msec"), errors="coerce")
            raw["ts"] = pd.to_datetime(seconds, unit="s", utc=True)
        if "bytes_sent" in raw:
            sent = raw.pop("bytes_sent")
            raw["bytes"] = raw["bytes"].fillna(sent) if "bytes" in raw else sent
        return finish_access(raw)

    return LogFormat(
        name=name,
        description=f"nginx log_format {text!r}",
        sniff=pattern,
        parse=parse,
        samples=(),
        ts_format=ts_format,
        specificity=30,  # the user said so: it beats every built-in guess
    )


def _format_string(spec: str) -> str:
    """The format string itself, from a bare string or a whole `log_format` directive."""
    directive = _DIRECTIVE.match(spec)
    body = directive.group(1) if directive else spec.strip()
    pieces = list(_PIECE.finditer(body))
    if pieces and not _PIECE.sub("", body).strip():
        return "".join(piece.group(1) if piece.group(1) is not None else piece.group(2)
                       for piece in pieces)  # fmt: skip
    return body


def _pattern(text: str) -> tuple[str, list[str]]:
    """RE2 pattern for `text` and the variables it captures, in order."""
    parts = ["^"]
    captured: list[str] = []
    used_groups: set[str] = set()
    position = 0
    for match in _VARIABLE.finditer(text):
        literal = text[position : match.start()]
        parts.append(_REGEX_SPECIAL.sub(r"\\\1", literal))
        variable = match.group(1) or match.group(2)
        context = _context(text, match.start(), match.end())
        group, unquoted = _KNOWN.get(variable, (None, None))
        if context == '"':
            regex = QUOTED
        elif context == "[":
            regex = r"[^\]]*"
        elif unquoted is not None:
            regex = unquoted
        elif variable.startswith("upstream_"):
            regex = _UPSTREAM_LIST
        else:
            regex = r"\S+"
        if group is not None and group not in used_groups:
            used_groups.add(group)
            captured.append(variable)
            parts.append(f"(?P<{group}>{regex})")
        else:
            parts.append(f"(?:{regex})")
        position = match.end()
    parts.append(_REGEX_SPECIAL.sub(r"\\\1", text[position:]).rstrip())
    return "".join(parts), captured


def _context(text: str, start: int, end: int) -> str:
    """`"` when the variable sits between quotes, `[` between brackets, else empty."""
    if text[:start].count('"') % 2 == 1:
        return '"'
    if text[start - 1 : start] == "[" and text[end : end + 1] == "]":
        return "["
    return ""
