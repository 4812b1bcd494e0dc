"""Syslog as written by rsyslog/syslog-ng to files: RFC 3164 (BSD) lines."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa

from parsers.base import LogFormat, Sample, regex_parser, register, severity_from_pri

RFC3164_PATTERN = (
    r"^(?:<(?P<pri>\d{1,3})>)?(?P<ts_text>[A-Z][a-z]{2} [ \d]?\d \d\d:\d\d:\d\d) "
    r"(?P<host>\S+) (?P<service>[^\s\[:]+)(?:\[(?P<pid>\d+)\])?: ?(?P<message>.*)$"
)
_parse_fields = regex_parser(RFC3164_PATTERN)


def parse_rfc3164(lines: pa.Array) -> pd.DataFrame:
    """RFC 3164 lines; severity from `<PRI>` when present (the rest default to info)."""
    frame = _parse_fields(lines)
    if frame.empty:
        return frame
    frame["severity"] = severity_from_pri(frame.pop("pri")).to_numpy()
    frame["message"] = frame["message"].fillna("")
    frame["pid"] = pd.to_numeric(frame["pid"])
    return frame


SYSLOG_RFC3164 = register(
    LogFormat(
        name="syslog_rfc3164",
        description="BSD syslog (RFC 3164): `Mar  4 02:31:07 host program[pid]: message`",
        sniff=RFC3164_PATTERN,
        parse=parse_rfc3164,
        ts_format="%b %d %H:%M:%S",
        yearless=True,
        specificity=5,
        samples=[
            Sample(
                "Mar 14 02:30:58 web-1 kernel: [12345.678] Out of memory: Killed process 2231"
                " (gunicorn) total-vm:2048000kB",
                severity="info",
                fields={
                    "ts": "2024-03-14T02:30:58Z",
                    "host": "web-1",
                    "service": "kernel",
                    "message": "[12345.678] Out of memory: Killed process 2231 (gunicorn)"
                    " total-vm:2048000kB",
                },
            ),
            Sample(
                "<27>Mar  4 09:05:01 db-1 postgres[811]: FATAL:  too many connections",
                severity="error",
                fields={
                    "ts": "2024-03-04T09:05:01Z",
                    "host": "db-1",
                    "service": "postgres",
                    "pid": 811,
                },
            ),
        ],
    )
)
