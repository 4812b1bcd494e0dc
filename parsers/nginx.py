"""Web server access logs: nginx `combined` and its everyday variants, Apache common/combined.

An access line is `<who> <ident> <user> [<time>] "<request>" <status> <bytes> ...`; the variants
differ at both ends, so they share one set of building blocks and one finishing step:

* `nginx_access` - `combined` (nginx's default, Apache's `combined`), also with what real servers
  put around it: a leading `$host[:port]` (Filebeat's test-with-host), X-Forwarded-For lists
  before the client (`10.0.0.2, 10.0.0.1, 127.0.0.1 - - [...]`, quoted or not), IPv6, `unix:`,
  unquoted `-` for referrer/agent, and anything after the user agent (nginx `main`'s
  `"$http_x_forwarded_for"`, Datadog's trailing junk).
* `access_common` - the Common Log Format (nothing after the bytes).
* `nginx_access_timed` - combined plus `$request_time` (seconds, as a float) either after the
  bytes (Datadog's example) or after the user agent (optionally after `"$http_x_forwarded_for"`
  or as `rt=`): that float becomes `duration_ms`.
* `nginx_ingress` - ingress-nginx's `upstreaminfo` log format, compiled from its `log_format`
  string by `parsers.log_format` (see there for `--nginx-log-format`).

The client is the *real* client, as Filebeat picks it: the first public address of the list
(10/8, 172.16/12, 192.168/16 and 127/8 are private), else the first entry; a trailing
`"$http_x_forwarded_for"` (nginx `main`) is left alone and `$remote_addr` stays the client, as
VRL and fluentd report it. Fields are kept as written: nginx's `\\"` and `\\xHH` escapes are not
decoded (every peer parser keeps them), so a path reads exactly as in the file. A request line
that is not `METHOD target [protocol]` (an empty `""`, TLS bytes sent to the plain port, `hello`)
is still an event: no method or path, and the message shows the raw request in quotes.
"""

from __future__ import annotations

import os
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from parsers.appfields import whole_numbers
from parsers.base import LogFormat, Sample, register, severity_from_status
from pipeline.schema import STRING

# A quoted nginx field: anything but a quote, or an escaped character (nginx writes \" and \xHH).
QUOTED = r'(?:[^"\\]|\\.)*'
# One address of a client list: an IP, a host name or `unix:`, never a bare `-`.
_ADDR = r"[\w.:\[\]%-]*[\w:\]]"
# Filebeat's NGINX_HOST: `$host` or `$host:$port` written before the client.
_VHOST = r"[\w.-]+(?::\d+)?"
CLF_TIME = "%d/%b/%Y:%H:%M:%S %z"
PARALLEL_MIN_LINES = 50_000  # below this, a thread pool costs more than it saves
MAX_THREADS = 4
ONE_PASS_GROUPS = 4  # RE2's one-pass engine handles at most this many capture groups

HEAD = (
    rf"^(?:(?P<vhost>{_VHOST}) )?"
    rf'"?(?P<clients>{_ADDR}(?:"?,?\s+{_ADDR})*)"? '
    r"(?P<ident>\S+) (?P<remote_user>\S+) \[(?P<ts_text>[^\]]+)\] "
)
REQUEST_STATUS_BYTES = rf'"(?P<request>{QUOTED})" (?P<status>\d{{3}}|-) (?P<bytes>\d+|-)'
REFERRER_AGENT = rf' (?:"(?P<referrer>{QUOTED})"|-) (?:"(?P<user_agent>{QUOTED})"|-)'
_SECONDS = r"\d+\.\d+"

COMBINED_PATTERN = HEAD + REQUEST_STATUS_BYTES + REFERRER_AGENT
COMMON_PATTERN = HEAD + REQUEST_STATUS_BYTES + r"\s*$"
TIMED_PATTERN = (
    HEAD
    + REQUEST_STATUS_BYTES
    + rf"(?: (?P<request_time_mid>{_SECONDS}))?"
    + REFERRER_AGENT
    + rf'(?: "(?P<forwarded_for>{QUOTED})")?'
    + rf'(?: (?:(?:rt|request_time)="?)?(?P<request_time>{_SECONDS}))?'
)

# `METHOD target [HTTP/x.y]`; the target may hold spaces (fluentd's `/a[ ]b`).
_REQUEST = (
    r"^(?P<method>[A-Za-z][A-Za-z0-9_-]*) (?P<path>\S.*?)"
    r"(?: (?P<protocol>[A-Za-z]+/\d+(?:\.\d+)?))?$"
)
_SPLIT_CLIENTS = re.compile(r'"?,?\s+')
_PRIVATE_V4 = re.compile(r"^(?:10|127|192\.168|172\.(?:1[6-9]|2\d|3[01]))\.")


def unnamed(pattern: str) -> str:
    """`pattern` with its named groups made anonymous, to build alternations of variants."""
    return re.sub(r"\(\?P<\w+>", "(?:", pattern)


@dataclass(frozen=True)
class Shortcut:
    """A cheaper pattern for the everyday lines of a format, with the same captures on them.

    `pattern` must match only lines on which the format's full pattern matches in exactly one
    way, capturing the same text; `checks` are (group, RE2 regex) pairs its captures must also
    match, for what RE2 cannot say in one pass. Lines it does not take get the full pattern.
    """

    pattern: str
    checks: tuple[tuple[str, str], ...] = ()

    def parts(self) -> list[str]:
        """The pattern once per run of `ONE_PASS_GROUPS` groups, the other groups unnamed."""
        names = list(re.compile(self.pattern).groupindex)
        runs = [names[i : i + ONE_PASS_GROUPS] for i in range(0, len(names), ONE_PASS_GROUPS)]
        return [
            re.sub(
                r"\(\?P<(\w+)>",
                lambda found, run=run: found.group(0) if found.group(1) in run else "(?:",
                self.pattern,
            )
            for run in runs
        ]


# The everyday access line: one address (no vhost, no client list) and `-` for ident. On such a
# line HEAD can match only one way: a vhost would leave `-` to start the client list, which no
# address can, and every later part is greedy up to a character it cannot take. So these give
# HEAD's captures (the address must also end as HEAD's `_ADDR` ends, checked on the capture).
EVERYDAY_HEAD = r"^(?P<clients>[\w.:\[\]%-]+) - \S+ \[(?P<ts_text>[^\]]+)\] "
_ADDR_END = r"[\w:\]]$"
COMBINED_SHORTCUT = Shortcut(
    EVERYDAY_HEAD + REQUEST_STATUS_BYTES + REFERRER_AGENT, (("clients", _ADDR_END),)
)
COMMON_SHORTCUT = Shortcut(
    EVERYDAY_HEAD + REQUEST_STATUS_BYTES + r"\s*$", (("clients", _ADDR_END),)
)


def extract_fields(
    lines: pa.Array,
    pattern: str,
    keep_empty: frozenset[str] = frozenset(),
    shortcut: Shortcut | None = None,
) -> pd.DataFrame:
    """The named groups of `pattern` for the lines it matches, indexed by position in `lines`.

    Empty captures and `-` become missing values (nginx and Apache write `-` for "none"), except
    for the groups in `keep_empty`, whose raw text matters (an empty request is evidence). With
    a `shortcut`, only its groups are returned.
    """
    if shortcut is None:
        names = list(re.compile(pattern).groupindex)
        positions, captured = _captures(lines, pattern, names)
    else:
        names = list(re.compile(shortcut.pattern).groupindex)
        positions, captured = _captures_with_shortcut(lines, pattern, shortcut, names)
    if not len(positions):
        return pd.DataFrame(
            {name: pd.array([], dtype=STRING) for name in names},
            index=pd.Index([], dtype=np.int64),
        )
    columns = {}
    for name in names:
        values = captured[name]
        if name not in keep_empty:
            missing = pc.or_(pc.equal(values, ""), pc.equal(values, "-"))
            values = pc.if_else(missing, pa.scalar(None, pa.string()), values)
        columns[name] = pd.array(values, dtype=STRING)
    return pd.DataFrame(columns, index=pd.Index(positions, dtype=np.int64))


def _captures(
    lines: pa.Array, pattern: str, names: list[str]
) -> tuple[np.ndarray, dict[str, pa.Array]]:
    """Positions of the lines `pattern` matches, and the text of each of `names` on them."""
    # One regex pass: a line that does not match has a null struct (no separate match pass).
    struct = extract_parallel(lines, pattern)
    matched = struct.is_valid()
    positions = np.flatnonzero(matched.to_numpy(zero_copy_only=False))
    if len(positions) < len(lines):
        struct = struct.filter(matched)
    return positions, {name: struct.field(name) for name in names}


def _captures_with_shortcut(
    lines: pa.Array, pattern: str, shortcut: Shortcut, names: list[str]
) -> tuple[np.ndarray, dict[str, pa.Array]]:
    """`_captures` with the shortcut's parts on the lines it takes and `pattern` on the rest.

    RE2 uses its one-pass engine, several times faster, only for patterns of at most four
    groups that never need to look ahead: the shortcut's parts are such patterns.
    """
    structs = [extract_parallel(lines, part) for part in shortcut.parts()]
    owner = {name: struct for struct in structs for name in struct.type.names}
    taken = structs[0].is_valid()
    for group, check in shortcut.checks:
        passed = pc.match_substring_regex(owner[group].field(group), check).fill_null(False)
        taken = pc.and_(taken, passed)
    taken_mask = taken.to_numpy(zero_copy_only=False)
    taken_positions = np.flatnonzero(taken_mask)
    captured = {name: owner[name].filter(taken).field(name) for name in names}
    rest = np.flatnonzero(~taken_mask)
    if not len(rest):
        return taken_positions, captured
    rest_lines = lines.take(pa.array(rest, pa.int64()))
    found, full = _captures(rest_lines, pattern, names)
    positions = np.concatenate([taken_positions, rest[found]])
    order = pa.array(np.argsort(positions, kind="stable"))
    joined = {name: pa.concat_arrays([captured[name], full[name]]).take(order) for name in names}
    return np.sort(positions, kind="stable"), joined


def extract_parallel(lines: pa.Array, pattern: str) -> pa.StructArray:
    """`pc.extract_regex` over `lines`, in chunks on every core, joined back in order.

    RE2 with captures is the costliest step of an access log and pyarrow releases the GIL, so
    two threads on two cores nearly halve it. Small inputs stay on one thread.
    """
    n = len(lines)
    workers = min(os.cpu_count() or 1, MAX_THREADS)
    if workers < 2 or n < PARALLEL_MIN_LINES:
        return pc.extract_regex(lines, pattern)
    step = -(-n // workers)
    chunks = [lines.slice(i, step) for i in range(0, n, step)]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        parts = list(pool.map(lambda chunk: pc.extract_regex(chunk, pattern), chunks))
    return pa.concat_arrays(parts)


def search_fields(text: pd.Series, pattern: str) -> pd.DataFrame:
    """Named groups of an unanchored `pattern` searched in `text`; missing where it is absent.

    The regex runs once per distinct value and the captures are taken back per row: request
    lines and error messages repeat, and a capture pass costs far more than a dictionary encode.
    """
    names = list(re.compile(pattern).groupindex)
    encoded = pc.dictionary_encode(_arrow_text(text))
    struct = pc.extract_regex(encoded.dictionary, pattern)
    valid = struct.is_valid()
    columns = {}
    for name in names:
        values = struct.field(name)
        present = pc.and_(valid, pc.not_equal(values, ""))
        cleaned = pc.if_else(present, values, pa.scalar(None, pa.string()))
        columns[name] = pd.array(cleaned.take(encoded.indices), dtype=STRING)
    return pd.DataFrame(columns, index=text.index)


def _arrow_text(text: pd.Series) -> pa.Array:
    """`text` as an arrow string array with missing values as "", without Python strings when
    the column is already arrow-backed."""
    if text.dtype == STRING:
        array = pa.array(text.array)
        if isinstance(array, pa.ChunkedArray):
            array = array.combine_chunks()
        return pc.fill_null(array.cast(pa.string()), "")
    return pa.array(text.astype(object).fillna(""), pa.string())


def real_client(clients: pd.Series) -> pd.Series:
    """The first public address of each client list, else its first entry (Filebeat's rule).

    Loops over the unique lists only (a log has few distinct client chains) and takes the
    answers back per row by code, without a Python object per row.
    """
    codes, uniques = pd.factorize(clients, use_na_sentinel=True)
    answers = pa.array([_first_public(str(text)) for text in uniques], pa.string())
    taken = answers.take(pa.array(codes, mask=codes < 0))
    return pd.Series(pd.array(taken, dtype=STRING), index=clients.index)


def _first_public(text: str) -> str:
    entries = [entry.strip('"') for entry in _SPLIT_CLIENTS.split(text.strip('"')) if entry]
    for entry in entries:
        if not _PRIVATE_V4.match(entry):
            return entry
    return entries[0] if entries else text


def first_seconds_as_ms(text: pd.Series) -> pd.Series:
    """`0.050` seconds -> 50.0 ms; for lists (`0.100, 0.004`) the first value; `-` -> missing."""
    first = text.astype(object).str.extract(r"^\s*(\d+(?:\.\d+)?)", expand=False)
    return (pd.to_numeric(first, errors="coerce") * 1000.0).astype("Float64")


def finish_access(frame: pd.DataFrame) -> pd.DataFrame:
    """Turn raw access-log captures into event columns, whichever variant captured them.

    Knows `clients` (an address list), `request`, `status`, `bytes`, `request_time*` (seconds)
    and `upstream_response_time`; anything else it does not know is dropped.
    """
    out = pd.DataFrame(index=frame.index)
    for column in ("ts_text", "ts"):
        if column in frame:
            out[column] = frame[column]
    if "clients" in frame:
        out["client_ip"] = real_client(frame["clients"]).array
    elif "client_ip" in frame:
        out["client_ip"] = frame["client_ip"]
    for column in ("user_agent", "referrer", "request_id", "host", "pid"):
        if column in frame:
            out[column] = frame[column]
    request = (
        frame["request"].astype(STRING)
        if "request" in frame
        else pd.Series(pd.NA, index=frame.index, dtype=STRING)
    )
    parts = search_fields(request, _REQUEST)
    out["method"] = parts["method"].astype(object)
    out["path"] = parts["path"]
    if "method" in frame:  # $request_method / $request_uri logged on their own
        out["method"] = out["method"].fillna(frame["method"].astype(object))
    if "path" in frame:
        out["path"] = out["path"].astype(object).fillna(frame["path"].astype(object))
    status = _numbers(frame, "status").astype("Int16")
    out["status"] = status
    out["bytes"] = whole_numbers(_numbers(frame, "bytes"))
    duration = pd.Series(pd.NA, index=frame.index, dtype="Float64")
    for column in ("request_time_mid", "request_time", "upstream_response_time"):
        if column in frame:
            duration = duration.fillna(first_seconds_as_ms(frame[column]))
    out["duration_ms"] = duration
    out["severity"] = severity_from_status(status).to_numpy()
    out["message"] = _message(parts["method"], parts["path"], request, status, out)
    return out


def _numbers(frame: pd.DataFrame, column: str) -> pd.Series:
    """Digits (or missing) as numbers; an arrow cast when every value is an integer, which is
    what the access patterns capture, else `to_numeric` (which also reads `1e3` or 2**70)."""
    if column not in frame:
        return pd.Series(np.nan, index=frame.index, dtype="float64")
    values = frame[column]
    if values.dtype == STRING:
        try:
            cast = pc.cast(pa.array(values.array), pa.int64())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            pass
        else:
            return pd.Series(pd.array(cast, dtype=pd.Int64Dtype()), index=frame.index)
    return pd.to_numeric(values.astype(object), errors="coerce")


def _message(
    method: pd.Series,
    path: pd.Series,
    request: pd.Series,
    status: pd.Series,
    out: pd.DataFrame,
) -> pd.Series:
    """`GET /path -> 502`; a request that is not one shows raw and quoted: `"hello" -> 400`.

    Built with arrow string kernels: concatenating a million Python strings cost seconds.
    `method` and `path` are what the request line gave; `out` holds them after any fallback to
    separately logged fields, which the message uses when they differ.
    """
    if not (out["method"].isna().equals(method.isna()) and out["path"].isna().equals(path.isna())):
        return _message_objects(out["method"], out["path"], request, status)
    m = pc.fill_null(_arrow_text_nullable(method), "")
    p = _arrow_text_nullable(path)
    described = pc.binary_join_element_wise(m, p, " ")
    both = pc.and_(pc.is_valid(_arrow_text_nullable(method)), pc.is_valid(p))
    raw = pc.binary_join_element_wise(
        '"', pc.fill_null(_arrow_text_nullable(request), "-"), '"', ""
    )
    status_text = pc.fill_null(pc.cast(pa.array(status.array), pa.string()), "-")
    head = pc.if_else(both, described, raw)
    joined = pc.binary_join_element_wise(head, status_text, " -> ")
    return pd.Series(pd.array(joined, dtype=STRING), index=status.index)


def _message_objects(
    method: pd.Series, path: pd.Series, request: pd.Series, status: pd.Series
) -> pd.Series:
    """The plain-pandas `_message`, for rows whose method or path came from their own fields."""
    status_text = status.astype(object).where(status.notna(), "-").astype(str)
    described = method.astype(object) + " " + path.astype(object)
    raw = '"' + request.astype(object).fillna("-").astype(str) + '"'
    return described.where(method.notna() & path.notna(), raw) + " -> " + status_text


def _arrow_text_nullable(text: pd.Series) -> pa.Array:
    array = pa.array(text.astype(STRING).array)
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    return array.cast(pa.string())


def _access_parser(pattern: str, shortcut: Shortcut | None = None):
    def parse(lines: pa.Array) -> pd.DataFrame:
        keep = frozenset({"request"})
        return finish_access(extract_fields(lines, pattern, keep_empty=keep, shortcut=shortcut))

    parse.__doc__ = f"Access lines matching {pattern!r} to events."
    return parse


_COMBINED_SNIFF = COMBINED_PATTERN
_TIMED_SNIFF = (
    unnamed(HEAD + REQUEST_STATUS_BYTES)
    + rf"(?: {_SECONDS}{unnamed(REFERRER_AGENT)}|{unnamed(REFERRER_AGENT)}"
    + rf'(?: "{QUOTED}")? (?:(?:rt|request_time)="?)?{_SECONDS}"?(?:\s|$))'
)

NGINX_COMBINED = register(
    LogFormat(
        name="nginx_access",
        description="nginx/Apache access log, combined format (with vhost, X-Forwarded-For lists)",
        sniff=_COMBINED_SNIFF,
        parse=_access_parser(COMBINED_PATTERN, COMBINED_SHORTCUT),
        parse_is_sniff=True,
        ts_format=CLF_TIME,
        specificity=12,
        samples=[
            Sample(
                '203.0.113.7 - - [14/Mar/2024:02:31:07 +0000] "POST /api/checkout HTTP/1.1" 502'
                ' 157 "https://shop.example/cart" "Mozilla/5.0 (X11; Linux x86_64)"',
                severity="error",
                fields={
                    "ts": "2024-03-14T02:31:07Z",
                    "client_ip": "203.0.113.7",
                    "method": "POST",
                    "path": "/api/checkout",
                    "status": 502,
                    "bytes": 157,
                    "user_agent": "Mozilla/5.0 (X11; Linux x86_64)",
                    "referrer": "https://shop.example/cart",
                    "message": "POST /api/checkout -> 502",
                },
            ),
            Sample(
                '10.0.0.5 - alice [14/Mar/2024:04:01:00 +0530] "GET /index.html HTTP/1.1" 200 -'
                ' "-" "curl/8.5.0"',
                severity="info",
                fields={"ts": "2024-03-13T22:31:00Z", "bytes": None, "status": 200},
            ),
            Sample(
                '198.51.100.2 - - [14/Mar/2024:02:00:00 +0000] "GET /wp-login.php HTTP/1.1" 404'
                ' 12 "-" "scanner"',
                severity="warning",
                fields={"path": "/wp-login.php", "status": 404, "referrer": None},
            ),
            # Filebeat test.log: an X-Forwarded-For chain before the client, quoted.
            Sample(
                '"10.5.102.222, 175.16.199.1, 204.246.1.1" 10.2.1.185 - - [22/Jan/2016:13:18:29'
                ' +0000] "GET /assets/xxxx?q=100 HTTP/1.1" 200 25507 "-" "Amazon CloudFront"',
                severity="info",
                fields={"client_ip": "175.16.199.1", "path": "/assets/xxxx?q=100"},
            ),
            # A leading $host:port, IPv6 clients before the proxy.
            Sample(
                "example.com:80 2a02:cf40:10ff:f00f:0000:0000:0:8000, 10.225.192.17 10.2.2.121 - -"
                ' [30/Dec/2016:06:47:09 +0000] "GET /test.html HTTP/1.1" 404 8571 "-" "Facebot"',
                severity="warning",
                fields={"client_ip": "2a02:cf40:10ff:f00f:0000:0000:0:8000", "bytes": 8571},
            ),
            # Empty request, as nginx logs a connection closed before a request line.
            Sample(
                '127.0.0.1 - - [12/Apr/2018:09:48:40 +0200] "" 400 0 "-" "-"',
                severity="warning",
                fields={
                    "ts": "2018-04-12T07:48:40Z",
                    "method": None,
                    "path": None,
                    "message": '"" -> 400',
                },
            ),
            # A unix-socket client and a junk request line; still an event.
            Sample(
                'unix: - - [26/Feb/2019:15:39:42 +0100] "hello" 400 173 "-" "-"',
                severity="warning",
                fields={"client_ip": "unix:", "message": '"hello" -> 400', "bytes": 173},
            ),
            # Escaped bytes and quotes stay as nginx wrote them; `main`'s trailing XFF is ignored.
            Sample(
                '0.0.0.0 - - [04/Oct/2022:03:07:27 +0000] "GET /a\\"b\\xDF HTTP/1.1" 200 150'
                ' "-" "agent \\"x\\"" "1.2.3.4, 10.10.1.1"',
                severity="info",
                fields={
                    "client_ip": "0.0.0.0",
                    "path": '/a\\"b\\xDF',
                    "user_agent": 'agent \\"x\\"',
                },
            ),
        ],
    )
)

ACCESS_COMMON = register(
    LogFormat(
        name="access_common",
        description="Common Log Format (Apache `common`): no referrer or user agent",
        sniff=COMMON_PATTERN,
        parse=_access_parser(COMMON_PATTERN, COMMON_SHORTCUT),
        parse_is_sniff=True,
        ts_format=CLF_TIME,
        specificity=11,
        samples=[
            Sample(
                '127.0.0.1 bob frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0"'
                " 200 2326",
                severity="info",
                fields={
                    "ts": "2000-10-10T20:55:36Z",
                    "client_ip": "127.0.0.1",
                    "method": "GET",
                    "path": "/apache_pb.gif",
                    "status": 200,
                    "bytes": 2326,
                    "message": "GET /apache_pb.gif -> 200",
                },
            ),
            Sample(
                '10.1.2.3 - - [14/Mar/2024:02:31:09 +0000] "GET /health HTTP/1.1" 503 -',
                severity="error",
                fields={"status": 503, "bytes": None},
            ),
        ],
    )
)

NGINX_TIMED = register(
    LogFormat(
        name="nginx_access_timed",
        description="combined plus $request_time (seconds) after the bytes or the user agent",
        sniff=_TIMED_SNIFF,
        parse=_access_parser(TIMED_PATTERN),
        ts_format=CLF_TIME,
        specificity=13,
        samples=[
            Sample(
                '10.0.0.9 - - [14/Mar/2024:02:31:07 +0000] "GET /api/cart HTTP/1.1" 504 167 "-"'
                ' "curl/8.5.0" 60.001 60.000',
                severity="error",
                fields={"duration_ms": 60001.0, "status": 504, "path": "/api/cart"},
            ),
            # Datadog's example: $request_time between the bytes and the referrer.
            Sample(
                '127.0.0.1 - - [19/Feb/2015:15:50:36 -0500] "GET /big.pdf HTTP/1.1" 206 33973115'
                ' 0.202 "-" "Mozilla/5.0"',
                severity="info",
                fields={"duration_ms": 202.0, "bytes": 33973115, "ts": "2015-02-19T20:50:36Z"},
            ),
            Sample(
                '10.0.0.9 - - [14/Mar/2024:02:31:08 +0000] "POST /api/pay HTTP/2.0" 200 12 "-"'
                ' "okhttp" "203.0.113.50" rt=0.250 uct="0.000" urt="0.249"',
                severity="info",
                fields={"duration_ms": 250.0, "client_ip": "10.0.0.9"},
            ),
        ],
    )
)
