"""nginx error log: `2024/03/14 02:31:07 [error] 1234#1234: *5678 message, client: ..., ...`.

The error log is where an outage explains itself (`connect() failed (111: Connection refused)
while connecting to upstream`), so its context matters: nginx appends `client:`, `server:`,
`request:`, `upstream:`, `host:` and `referrer:` to the message. We take the client to
`client_ip`, the request to `method`/`path`, the referrer to `referrer`, the process id to `pid`,
and leave the message as Filebeat does: everything after the `*connection-id`, context included
(VRL cuts the context off; keeping it lets two upstreams' failures stay distinct signatures).

Lines that do not start with a timestamp (PHP-FPM's `PHP message: ...` lines inside a FastCGI
error) continue the previous event; the driver folds them into its message. Times carry no zone:
the driver reads them in `--tz`.
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa

from parsers.appfields import whole_numbers
from parsers.base import LogFormat, Sample, register
from parsers.nginx import QUOTED, extract_fields, search_fields

ERROR_PATTERN = (
    r"^(?P<ts_text>\d{4}/\d\d/\d\d \d\d:\d\d:\d\d) \[(?P<level>[a-z]+)\] "
    r"(?P<pid>\d+)#(?P<tid>\d+): (?:\*(?P<cid>\d+) )?(?P<message>.*)$"
)
_CONTEXT = {
    "client_ip": r", client: (?P<client_ip>[^,\s]+)",
    "request": rf', request: "(?P<request>{QUOTED})"',
    "referrer": rf', referrer: "(?P<referrer>{QUOTED})"',
}
_REQUEST = r"^(?P<method>[A-Za-z][A-Za-z0-9_-]*) (?P<path>\S.*?)(?: [A-Za-z]+/\d+(?:\.\d+)?)?$"


def parse_error(lines: pa.Array) -> pd.DataFrame:
    """Error-log lines to events; context fields are searched in the message, vectorised."""
    frame = extract_fields(lines, ERROR_PATTERN, keep_empty=frozenset({"message"}))
    if frame.empty:
        return frame
    message = frame["message"]
    for pattern in _CONTEXT.values():
        found = search_fields(message, pattern)
        for column in found.columns:
            frame[column] = found[column]
    request = search_fields(frame.pop("request"), _REQUEST)
    frame["method"] = request["method"]
    frame["path"] = request["path"]
    frame["pid"] = whole_numbers(frame["pid"])
    return frame.drop(columns=["tid", "cid"])


NGINX_ERROR = register(
    LogFormat(
        name="nginx_error",
        description="nginx error log (`YYYY/MM/DD HH:MM:SS [level] pid#tid: *cid message`)",
        sniff=r"^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[[a-z]+\] \d+#\d+: ",
        parse=parse_error,
        ts_format="%Y/%m/%d %H:%M:%S",
        multiline=True,
        specificity=12,
        samples=[
            Sample(
                "2024/03/14 02:31:07 [error] 1234#1234: *5678 connect() failed (111: Connection"
                " refused) while connecting to upstream, client: 203.0.113.7, server: shop.example,"
                ' request: "POST /api/checkout HTTP/1.1", upstream:'
                ' "http://10.0.2.15:8000/api/checkout", host: "shop.example"',
                severity="error",
                fields={
                    "ts": "2024-03-14T02:31:07Z",
                    "pid": 1234,
                    "client_ip": "203.0.113.7",
                    "method": "POST",
                    "path": "/api/checkout",
                    "message": "connect() failed (111: Connection refused) while connecting to"
                    ' upstream, client: 203.0.113.7, server: shop.example, request: "POST'
                    ' /api/checkout HTTP/1.1", upstream: "http://10.0.2.15:8000/api/checkout",'
                    ' host: "shop.example"',
                },
            ),
            Sample(
                "2024/03/14 02:24:10 [notice] 801#801: signal process started",
                severity="notice",
                fields={"pid": 801, "message": "signal process started", "client_ip": None},
            ),
            Sample(
                "2024/03/14 02:31:09 [crit] 1234#1234: *5702 SSL_do_handshake() failed",
                severity="critical",
                fields={"message": "SSL_do_handshake() failed"},
            ),
            Sample(
                "2024/03/14 02:31:10 [warn] 1234#1234: *5703 an upstream response is buffered to a"
                ' temporary file, client: 10.0.0.1, server: , request: "GET / HTTP/1.1",'
                ' referrer: "https://shop.example/"',
                severity="warning",
                fields={"referrer": "https://shop.example/", "path": "/"},
            ),
            # A FastCGI error whose PHP messages continue on the next lines: one event.
            Sample(
                "2019/10/30 23:26:34 [error] 205860#205860: *180289 FastCGI sent in stderr:"
                ' "PHP message: PHP Warning:  first\nPHP message: PHP Warning:  second"',
                severity="error",
                fields={
                    "message": 'FastCGI sent in stderr: "PHP message: PHP Warning:  first\n'
                    'PHP message: PHP Warning:  second"',
                    "pid": 205860,
                },
            ),
            Sample(
                "2024/03/14 02:40:00 [emerg] 1#1: bind() to 0.0.0.0:80 failed (98: Address already"
                " in use)",
                severity="emergency",
                fields={"pid": 1},
            ),
        ],
    )
)
