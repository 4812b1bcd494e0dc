"""Apache httpd error log, 2.2 and 2.4 styles (its access logs are in `parsers.nginx`).

    [Sun Dec 04 04:47:44 2005] [error] [client 1.2.3.4] Directory index forbidden by rule: /var/www/
    [Thu Jun 27 06:58:09.169510 2019] [proxy:error] [pid 12:tid 34] (111)Connection refused:
        AH00957: HTTP: attempt to connect to 127.0.0.1:8080 (localhost) failed

2.4 adds microseconds, `module:` before the level, `[pid P:tid T]`, the APR error `(111)...: `
and the `AHnnnnn:` message id. We take the level, the pid and the client (without its port) and
keep the message whole after the brackets, minus the `[client ...]` block: the APR error and the
AH id are what tells one failure from another (logstash and VRL split them off into fields we do
not have). `, referer: URL` at the end becomes `referrer`. Lines that do not start with a
bracketed time continue the previous event. Apache writes local time without a zone: the driver
reads it in `--tz`. VRL's variants with a CLF or ISO time inside the first brackets are read too.
"""

from __future__ import annotations

import ipaddress

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from parsers.appfields import whole_numbers
from parsers.base import LogFormat, Sample, register
from parsers.nginx import extract_fields, search_fields
from pipeline.schema import STRING

_CTIME = r"[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d(?:\.\d+)? \d{4}"
_CLF = r"\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}"
_ISO = r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:\.\d+)?"
_LEVELS = r"emerg|alert|crit|error|warn|notice|info|debug|trace[1-8]"
ERROR_PATTERN = (
    rf"^\[(?P<ts_text>{_CTIME}|{_CLF}|{_ISO})\] \[(?P<module>[\w-]*:)?(?P<level>{_LEVELS})\] "
    r"(?:\[pid (?P<pid>\d+)(?::tid (?P<tid>\d+))?\] )?"
    r"(?P<pre>[^\[]*?: )?(?:\[client (?P<client>[^\]]+)\] )?(?P<rest>.*)$"
)
SNIFF = rf"^\[(?:{_CTIME}|{_CLF}|{_ISO})\] \[(?:[\w-]*:)?(?:{_LEVELS})\] "
TS_FORMAT = "%a %b %d %H:%M:%S.%f %Y"


def parse_error(lines: pa.Array) -> pd.DataFrame:
    """Error-log lines to events: level, pid, client, message, referrer."""
    frame = extract_fields(lines, ERROR_PATTERN, keep_empty=frozenset({"pre", "rest"}))
    if frame.empty:
        return frame
    frame["ts_text"] = _with_fraction(frame["ts_text"])
    frame["message"] = pd.array(
        (frame.pop("pre").fillna("") + frame.pop("rest").fillna("")).astype(object), dtype=STRING
    )
    frame["client_ip"] = _without_port(frame.pop("client"), frame["module"].notna())
    frame["referrer"] = search_fields(frame["message"], r", referer: (?P<referrer>\S+)$")[
        "referrer"
    ]
    frame["pid"] = whole_numbers(frame["pid"])
    return frame.drop(columns=["tid", "module"])


def _with_fraction(text: pd.Series) -> pd.Series:
    """2.2 times have no microseconds: add `.000000` so one strptime format reads both styles.

    A CLF time (`01/Mar/2021:12:00:19 +0000`) gets a space after the date, for the fallback.
    """
    array = pa.array(text.astype(object), pa.string())
    array = pc.replace_substring_regex(array, r"^(.* \d\d:\d\d:\d\d) (\d{4})$", r"\1.000000 \2")
    array = pc.replace_substring_regex(array, r"^(\d\d/[A-Z][a-z]{2}/\d{4}):", r"\1 ")
    return pd.Series(pd.array(array, dtype=STRING), index=text.index)


def _without_port(clients: pd.Series, has_port: pd.Series) -> pd.Series:
    """`1.2.3.4:5678` -> `1.2.3.4`, `2001:db8::1:5678` -> `2001:db8::1`, on unique values.

    Only 2.4 lines (`[module:level]`) append the port; a 2.2 client is the address alone, so an
    IPv6 address ending in digits is not cut.
    """
    pairs = pd.DataFrame({"client": clients.astype(object), "has_port": has_port.to_numpy()})
    unique = pairs.dropna().drop_duplicates()
    unique["client_ip"] = [
        _strip_port(client, flag)
        for client, flag in zip(unique["client"], unique["has_port"], strict=True)
    ]
    merged = pairs.merge(unique, on=["client", "has_port"], how="left")
    return pd.Series(pd.array(merged["client_ip"], dtype=STRING), index=clients.index)


def _strip_port(text: str, has_port: bool) -> str:
    host, colon, port = text.rpartition(":")
    if not has_port or not colon or not port.isdigit():
        return text
    host = host.removeprefix("[").removesuffix("]")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return text
    return host


APACHE_ERROR = register(
    LogFormat(
        name="apache_error",
        description="Apache httpd error log (2.2 `[time] [level]` and 2.4 `[module:level] [pid]`)",
        sniff=SNIFF,
        parse=parse_error,
        ts_format=TS_FORMAT,
        multiline=True,
        specificity=12,
        samples=[
            Sample(
                "[Sun Dec 04 04:47:44 2005] [error] [client 203.0.113.9] Directory index forbidden"
                " by rule: /var/www/html/",
                severity="error",
                fields={
                    "ts": "2005-12-04T04:47:44Z",
                    "client_ip": "203.0.113.9",
                    "message": "Directory index forbidden by rule: /var/www/html/",
                },
            ),
            Sample(
                "[Thu Jun 27 06:58:09.169510 2019] [proxy:error] [pid 12:tid 34] (111)Connection"
                " refused: AH00957: HTTP: attempt to connect to 127.0.0.1:8080 (localhost) failed",
                severity="error",
                fields={
                    "ts": "2019-06-27T06:58:09.169510Z",
                    "pid": 12,
                    "client_ip": None,
                    "message": "(111)Connection refused: AH00957: HTTP: attempt to connect to"
                    " 127.0.0.1:8080 (localhost) failed",
                },
            ),
            Sample(
                "[Mon Aug 31 09:30:48.958285 2015] [proxy_fcgi:error] [pid 28787:tid 1401]"
                " (70008)Partial results are valid but processing is incomplete: [client"
                " 58.13.45.166:59307] AH01075: Error dispatching request to : (reading input"
                " brigade), referer: http://example.com/index.php?id_product=11",
                severity="error",
                fields={
                    "client_ip": "58.13.45.166",
                    "pid": 28787,
                    "referrer": "http://example.com/index.php?id_product=11",
                    "message": "(70008)Partial results are valid but processing is incomplete:"
                    " AH01075: Error dispatching request to : (reading input brigade), referer:"
                    " http://example.com/index.php?id_product=11",
                },
            ),
            Sample(
                "[Mon Aug 31 06:29:47.406518 2015] [mpm_event:notice] [pid 24968:tid 1401]"
                " AH00489: Apache/2.4.16 (Ubuntu) configured -- resuming normal operations",
                severity="notice",
                fields={"pid": 24968},
            ),
            Sample(
                "[Tue Apr 14 14:27:52.605084 2020] [:crit] [pid 5688] [client 2001:db8::7:8196]"
                " script '/login/wp-login.php' not found or unable to stat",
                severity="critical",
                fields={"client_ip": "2001:db8::7"},
            ),
            Sample(
                "[Wed Oct 11 14:32:52 2000] [warn] [pid 1000] [client 127.0.0.1] child process"
                " 1234 still did not exit, sending a SIGTERM",
                severity="warning",
                fields={"pid": 1000, "client_ip": "127.0.0.1"},
            ),
        ],
    )
)
