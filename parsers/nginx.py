"""nginx access logs: the `combined` log_format (also Apache's)."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa

from parsers.base import LogFormat, Sample, regex_parser, register, severity_from_status

# A quoted nginx field: anything but a quote, or an escaped character (nginx writes \" and \xHH).
_QUOTED = r'(?:[^"\\]|\\.)*'

COMBINED_PATTERN = (
    r"^(?P<client_ip>\S+) \S+ (?P<remote_user>\S+) \[(?P<ts_text>[^\]]+)\] "
    rf'"(?P<request>{_QUOTED})" (?P<status>\d{{3}}) (?P<bytes>\d+|-) '
    rf'"(?P<referrer>{_QUOTED})" "(?P<user_agent>{_QUOTED})"'
)
_REQUEST = r"^(?P<method>[A-Za-z]+) (?P<path>\S+)(?: (?P<protocol>\S+))?$"
_parse_fields = regex_parser(COMBINED_PATTERN)
_parse_request = regex_parser(_REQUEST)


def parse_access(lines: pa.Array) -> pd.DataFrame:
    """Combined-format lines to events; the message reads like `GET /path -> 502`."""
    frame = _parse_fields(lines)
    if frame.empty:
        return frame
    request = _parse_request(pa.array(frame["request"].fillna(""), pa.string()))
    for column in ("method", "path"):
        values = pd.Series(pd.NA, index=range(len(frame)), dtype=object)
        values.iloc[request.index] = request[column].to_numpy(dtype=object)
        frame[column] = values.to_numpy()
    frame["status"] = pd.to_numeric(frame["status"])
    frame["bytes"] = pd.to_numeric(frame["bytes"])
    frame["severity"] = severity_from_status(frame["status"]).to_numpy()
    request_text = frame["request"].astype(object).fillna("-")
    described = frame["method"].astype(object) + " " + frame["path"].astype(object)
    frame["message"] = (
        described.where(frame["method"].notna(), request_text)
        + " -> "
        + frame["status"].astype(str)
    )
    return frame.drop(columns=["request", "remote_user"])


NGINX_COMBINED = register(
    LogFormat(
        name="nginx_access",
        description="nginx/Apache access log, combined format",
        sniff=COMBINED_PATTERN,
        parse=parse_access,
        ts_format="%d/%b/%Y:%H:%M:%S %z",
        specificity=10,
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
                fields={"path": "/wp-login.php", "status": 404},
            ),
        ],
    )
)
