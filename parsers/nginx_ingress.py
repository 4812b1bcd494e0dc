"""ingress-nginx access logs: the controller's `upstreaminfo` log format.

Declared by its own `log_format` string (from the ingress-nginx docs) and compiled by
`parsers.log_format`, so the built-in and a user's `--nginx-log-format` go through the same code.
Upstream fields are lists when nginx retried (`10.0.0.1:80, 10.0.0.2:80`), `-` when no upstream
was tried (a 400 for a bad request line).
"""

from __future__ import annotations

import dataclasses

from parsers.base import Sample, register
from parsers.log_format import compile_log_format

UPSTREAMINFO = (
    '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent'
    ' "$http_referer" "$http_user_agent" $request_length $request_time [$proxy_upstream_name]'
    " [$proxy_alternative_upstream_name] $upstream_addr $upstream_response_length"
    " $upstream_response_time $upstream_status $req_id"
)

NGINX_INGRESS = register(
    dataclasses.replace(
        compile_log_format(UPSTREAMINFO, name="nginx_ingress"),
        description="ingress-nginx `upstreaminfo` access log",
        specificity=14,
        samples=[
            Sample(
                '192.168.64.1 - - [07/Feb/2020:11:48:51 +0000] "POST /products HTTP/1.1" 200 59'
                ' "-" "curl/7.54.0" 89 0.001 [default-web-8080] [] 172.17.0.5:8080 59 0.000 200'
                " 529a007902362a5f51385a5fa7049884",
                severity="info",
                fields={
                    "ts": "2020-02-07T11:48:51Z",
                    "client_ip": "192.168.64.1",
                    "method": "POST",
                    "path": "/products",
                    "status": 200,
                    "bytes": 59,
                    "duration_ms": 1.0,
                    "request_id": "529a007902362a5f51385a5fa7049884",
                    "message": "POST /products -> 200",
                },
            ),
            # IPv6 client, two upstreams tried, both failed.
            Sample(
                '2a02:cf40::4e36 - - [24/Aug/2022:18:05:41 +0000] "GET /favicon.ico HTTP/2.0" 502'
                ' 552 "https://localhost:8080/" "Mozilla/5.0" 27 0.000 [localhost-8080] []'
                " [2a02:cf40::7]:5000, [2a02:cf40::4e36]:5000 0, 0 0.000, 0.000 502, 502"
                " 3db73c6c673c4256ade033a6ce08c2ab",
                severity="error",
                fields={"client_ip": "2a02:cf40::4e36", "status": 502, "duration_ms": 0.0},
            ),
            # A bad request line never reached an upstream.
            Sample(
                '192.168.64.1 - - [07/Feb/2020:11:50:09 +0000] "geti /products/42 HTTP/1.1" 400'
                ' 163 "-" "-" 0 0.000 [] [] - - - - efb0c5aa8be6cdeb4a7e7bd090e3d893',
                severity="warning",
                fields={"status": 400, "user_agent": None},
            ),
        ],
    )
)
