"""Seeded generator of realistic outage logs for the benchmarks (standard library only).

Writes three files of N lines each into a directory: an nginx `combined` access log, an RFC 3164
syslog file as rsyslog writes it, and JSON-lines application logs. All three cover the same six
hours and share one incident: for a window in the middle the checkout backend is OOM-killed and
restarts, the database runs out of connections, and the front end answers 502/503/504 bursts.

Why a generator instead of checked-in files: a million lines of each is ~350 MB, and the numbers
only mean something when anyone can rebuild the exact same input (same seed, same bytes).

Speed matters (1M lines of each in well under a minute): values are drawn per block with
`random.choices` over precomputed pools and formatted in one comprehension per block; timestamps
are formatted once per second, not per line.

    python benchmarks/generate.py [OUT_DIR] [--lines N] [--seed S]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

DEFAULT_OUT = Path(__file__).resolve().parent / "data"
DEFAULT_LINES = 1_000_000
BLOCK = 50_000  # lines drawn and written at once

START = dt.datetime(2024, 3, 14, 0, 0, 0, tzinfo=dt.UTC)
SPAN_S = 6 * 3600
# The incident, as fractions of the span: 02:24:00 -> 02:52:48 UTC.
INCIDENT_FROM = 0.40
INCIDENT_TO = 0.48

MANIFEST = ".manifest.json"  # hidden: a folder walk of the data must not read it as a log
FILES = {"nginx": "access.log", "syslog": "syslog", "app": "app.jsonl"}
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class Manifest:
    """What was generated: run.py checks it before reusing data, and it is the incident's truth."""

    seed: int
    lines: int
    files: dict[str, str]
    start: str
    end: str
    incident_start: str
    incident_end: str


# ---------------------------------------------------------------------------------------------
# Shared pools


def _public_ipv4(rng: random.Random) -> str:
    """A plausible public IPv4 address (no private, loopback or multicast first octets)."""
    while True:
        first = rng.randint(1, 223)
        if first not in (10, 100, 127, 169, 172, 192):
            return f"{first}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"


def _client_pool(rng: random.Random, size: int = 6000) -> tuple[list[str], list[float]]:
    """Client addresses with a heavy-tailed weight: a few NATs and crawlers send most traffic."""
    ips = [_public_ipv4(rng) for _ in range(size)]
    ips += [f"2001:db8:{rng.randint(0, 0xFFFF):x}::{rng.randint(1, 0xFFFF):x}" for _ in range(300)]
    weights = [1.0 / (rank + 1) ** 0.8 for rank in range(len(ips))]
    rng.shuffle(weights)
    return ips, weights


USER_AGENTS: list[tuple[str, float]] = [
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko)"
        " Chrome/122.0.0.0 Safari/537.36",
        30,
    ),
    (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko)"
        " Chrome/122.0.0.0 Safari/537.36",
        12,
    ),
    (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_3_1 like Mac OS X) AppleWebKit/605.1.15"
        " (KHTML, like Gecko) Version/17.3 Mobile/15E148 Safari/604.1",
        18,
    ),
    (
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko)"
        " Chrome/122.0.6261.105 Mobile Safari/537.36",
        10,
    ),
    ("Mozilla/5.0 (X11; Linux x86_64; rv:123.0) Gecko/20100101 Firefox/123.0", 4),
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:123.0) Gecko/20100101 Firefox/123.0",
        5,
    ),
    (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko)"
        " Version/17.3.1 Safari/605.1.15",
        6,
    ),
    (
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        3,
    ),
    ("Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)", 1.5),
    ("Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)", 1),
    ("ShopApp/4.12.0 (iPhone; iOS 17.3.1; Scale/3.00)", 5),
    ("okhttp/4.12.0", 3),
    ("curl/8.5.0", 0.5),
    ("python-requests/2.31.0", 0.7),
    ("Go-http-client/1.1", 0.5),
    ("-", 0.3),
]

STATIC_HASHES = ("3f9a2c1b", "be41d07e", "0c77aa19", "d2e8f310")


def _weighted(pairs: list[tuple[str, float]]) -> tuple[list[str], list[float]]:
    return [value for value, _ in pairs], [weight for _, weight in pairs]


def _times(rng: random.Random, n: int, first: int, count: int) -> list[float]:
    """Seconds since START for lines first..first+count: evenly spread, slightly jittered.

    Sorted per block so that timestamps never go backwards (as in a file one process appends to).
    """
    step = SPAN_S / n
    return sorted(min((first + i + rng.random()) * step, SPAN_S - 1e-3) for i in range(count))


def _in_incident(seconds: float) -> bool:
    return INCIDENT_FROM * SPAN_S <= seconds < INCIDENT_TO * SPAN_S


class _SecondCache:
    """Format each whole second once: strftime per line would dominate the generator."""

    def __init__(self, render: Callable[[dt.datetime], str]) -> None:
        self._render = render
        self._cache: dict[int, str] = {}

    def __call__(self, seconds: float) -> str:
        whole = int(seconds)
        text = self._cache.get(whole)
        if text is None:
            if len(self._cache) > 4096:
                self._cache.clear()
            text = self._render(START + dt.timedelta(seconds=whole))
            self._cache[whole] = text
        return text


# ---------------------------------------------------------------------------------------------
# nginx combined


def _nginx_requests(rng: random.Random) -> list[tuple[str, str, str, float]]:
    """(method, path template, kind, weight); `{id}` / `{q}` are filled per line."""
    return [
        ("GET", "/", "page", 8),
        ("GET", "/products/{id}", "page", 14),
        ("GET", "/category/{cat}", "page", 6),
        ("GET", "/search?q={q}&page={page}", "page", 4),
        ("GET", "/static/js/app.{hash}.js", "static", 12),
        ("GET", "/static/css/main.{hash}.css", "static", 9),
        ("GET", "/images/p/{id}-{size}.webp", "image", 20),
        ("GET", "/favicon.ico", "static", 2),
        ("GET", "/api/products/{id}", "api", 10),
        ("GET", "/api/cart", "cart", 5),
        ("POST", "/api/cart/items", "cart", 2.5),
        ("POST", "/api/checkout", "checkout", 1.2),
        ("GET", "/api/orders/{order}", "api", 1),
        ("POST", "/login", "page", 0.8),
        ("GET", "/robots.txt", "static", 0.3),
        ("GET", "/healthz", "health", 3),
        ("GET", "/wp-login.php", "scan", 0.2),
        ("GET", "/.env", "scan", 0.15),
        ("POST", "/xmlrpc.php", "scan", 0.1),
    ]


SEARCH_TERMS = (
    "shoes",
    "running+shoes",
    "rain+jacket",
    "gift+card",
    "socks",
    "backpack",
    "t-shirt",
    "sale",
    "headphones",
    "caf%C3%A9+mug",
)
CATEGORIES = ("men", "women", "kids", "outdoor", "electronics", "home", "sale")
REFERRERS = (
    "https://shop.example.com/",
    "https://shop.example.com/cart",
    "https://shop.example.com/category/sale",
    "https://www.google.com/",
    "https://www.bing.com/",
    "https://l.facebook.com/",
)


def _nginx_status(rng: random.Random, kind: str, incident: bool) -> tuple[int, int]:
    """(status, body bytes) for one request: the incident hits the cart/checkout backends."""
    roll = rng.random()
    if incident and kind in ("checkout", "cart", "api"):
        share = {"checkout": 0.75, "cart": 0.55, "api": 0.25}[kind]
        if roll < share:
            status = rng.choice((502, 502, 502, 504, 503))
            return status, {502: 157, 503: 197, 504: 167}[status]
    if kind == "scan":
        return 404, 153
    if kind == "health":
        return (200, 2) if not incident or roll > 0.3 else (503, 24)
    if roll < 0.0008:
        return 500, 177
    if roll < 0.004:
        return 499, 0
    if roll < 0.02:
        return 404, rng.randint(150, 560)
    if kind in ("static", "image") and roll < 0.25:
        return 304, 0
    if kind == "page" and roll < 0.03:
        return 302, 0
    size = {
        "page": (18_000, 95_000),
        "static": (4_000, 380_000),
        "image": (6_000, 160_000),
        "api": (300, 9_000),
        "cart": (200, 3_000),
        "checkout": (150, 1_200),
    }[kind]
    return 200, rng.randint(*size)


def nginx_lines(rng: random.Random, n: int) -> Iterator[list[str]]:
    """Blocks of nginx `combined` lines (a rare TLS handshake on port 80 included, as in life)."""
    ips, ip_weights = _client_pool(rng)
    agents, agent_weights = _weighted(USER_AGENTS)
    requests = _nginx_requests(rng)
    request_weights = [r[3] for r in requests]
    stamp = _SecondCache(lambda t: t.strftime("%d/%b/%Y:%H:%M:%S +0000"))
    for first in range(0, n, BLOCK):
        count = min(BLOCK, n - first)
        seconds = _times(rng, n, first, count)
        clients = rng.choices(ips, ip_weights, k=count)
        uas = rng.choices(agents, agent_weights, k=count)
        picks = rng.choices(requests, request_weights, k=count)
        block = []
        for t, ip, ua, (method, template, kind, _) in zip(
            seconds, clients, uas, picks, strict=True
        ):
            if rng.random() < 0.00005:
                block.append(
                    f'{ip} - - [{stamp(t)}] "\\x16\\x03\\x01\\x00\\xF1\\x01\\x00\\x00\\xED\\x03'
                    f'\\x03" 400 157 "-" "-"'
                )
                continue
            if kind == "health":
                ip, ua = "10.0.3.17", "ELB-HealthChecker/2.0"
            path = template
            if "{" in template:
                path = template.format(
                    id=rng.randint(1000, 99999),
                    cat=rng.choice(CATEGORIES),
                    q=rng.choice(SEARCH_TERMS),
                    page=rng.randint(1, 5),
                    hash=rng.choice(STATIC_HASHES),
                    size=rng.choice((320, 640, 1280)),
                    order=rng.randint(10_000_000, 99_999_999),
                )
            status, size = _nginx_status(rng, kind, _in_incident(t))
            referrer = rng.choice(REFERRERS) if kind != "health" and rng.random() < 0.6 else "-"
            user = "-" if rng.random() > 0.002 else "ops"
            proto = "HTTP/2.0" if rng.random() < 0.45 else "HTTP/1.1"
            block.append(
                f'{ip} - {user} [{stamp(t)}] "{method} {path} {proto}" {status} {size}'
                f' "{referrer}" "{ua}"'
            )
        yield block


# ---------------------------------------------------------------------------------------------
# syslog (RFC 3164, as rsyslog writes files: no <PRI>)

HOSTS = ("web-1", "web-2", "web-3", "web-4", "db-1", "lb-1")


def _syslog_stamp(t: dt.datetime) -> str:
    return f"{MONTHS[t.month - 1]} {t.day:2d} {t:%H:%M:%S}"


def _routine_syslog(rng: random.Random, host: str) -> str:
    """One line of a quiet day: cron, ssh, systemd sessions, time sync, postgres, haproxy."""
    roll = rng.random()
    pid = rng.randint(300, 65000)
    if roll < 0.18:
        command = rng.choice(
            (
                "command -v debian-sa1 > /dev/null && debian-sa1 1 1",
                "/usr/local/bin/rotate-sessions --max-age 3600",
                "[ -x /usr/lib/php/sessionclean ] && /usr/lib/php/sessionclean",
            )
        )
        return f"{host} CRON[{pid}]: (root) CMD ({command})"
    if roll < 0.30:
        return f"{host} sshd[{pid}]: {_ssh_message(rng)}"
    if roll < 0.40:
        session = rng.randint(1000, 99999)
        verb = rng.choice(("Started", "Removed"))
        if verb == "Started":
            return f"{host} systemd[1]: Started Session {session} of User deploy."
        return f"{host} systemd-logind[512]: Removed session {session}."
    if roll < 0.46:
        offset = rng.uniform(-0.004, 0.004)
        return f"{host} chronyd[611]: System clock wrong by {offset:.6f} seconds"
    if host == "db-1" and roll < 0.80:
        return f"{host} postgres[{rng.randint(800, 900)}]: {_postgres_routine(rng)}"
    if host == "lb-1" and roll < 0.90:
        backend = rng.choice(HOSTS[:4])
        ms = rng.randint(2, 180)
        ip = _public_ipv4(rng)
        return (
            f"{host} haproxy[1402]: {ip}:{rng.randint(1024, 65535)} [{ms}ms] https_front"
            f" shop_back/{backend} 0/0/1/{ms}/{ms + 1} 200 {rng.randint(300, 90000)} - - ----"
        )
    if roll < 0.93:
        uptime = rng.uniform(100000, 900000)
        src = _public_ipv4(rng)
        return (
            f"{host} kernel: [{uptime:.6f}] [UFW BLOCK] IN=eth0 OUT= SRC={src} DST=10.0.1.1"
            f" LEN=44 PROTO=TCP SPT={rng.randint(1024, 65535)} DPT={rng.choice((22, 23, 3389))}"
        )
    return f"{host} gunicorn[{rng.randint(2000, 2400)}]: [INFO] Booting worker with pid: {pid}"


def _ssh_message(rng: random.Random) -> str:
    ip = _public_ipv4(rng)
    port = rng.randint(1024, 65535)
    roll = rng.random()
    if roll < 0.5:
        user = rng.choice(("admin", "test", "oracle", "ubuntu", "root"))
        return f"Invalid user {user} from {ip} port {port}"
    if roll < 0.8:
        return f"Connection closed by authenticating user root {ip} port {port} [preauth]"
    return f"Accepted publickey for deploy from {ip} port {port} ssh2: ED25519 SHA256:q8Lw3JvZ"


def _postgres_routine(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.4:
        return (
            f"LOG:  checkpoint complete: wrote {rng.randint(50, 4000)} buffers;"
            f" write={rng.uniform(1, 30):.3f} s, sync={rng.uniform(0, 1):.3f} s"
        )
    if roll < 0.8:
        return f"LOG:  duration: {rng.uniform(200, 2500):.3f} ms  statement: SELECT * FROM orders"
    scans = rng.randint(0, 3)
    return f'LOG:  automatic vacuum of table "shop.public.carts": index scans: {scans}'


def _incident_syslog(rng: random.Random, host: str, seconds: float) -> str:
    """What the hosts say during the incident: OOM kills, restarts, DB connection exhaustion."""
    roll = rng.random()
    web = rng.choice(HOSTS[:4])
    pid = rng.randint(2000, 2400)
    if roll < 0.05:
        return (
            f"{web} kernel: [{seconds + 400000:.6f}] Out of memory: Killed process {pid}"
            f" (gunicorn) total-vm:{rng.randint(1_900_000, 2_400_000)}kB,"
            f" anon-rss:{rng.randint(1_500_000, 1_900_000)}kB, file-rss:0kB, shmem-rss:0kB,"
            " UID:1001 pgtables:4096kB oom_score_adj:0"
        )
    if roll < 0.10:
        return (
            f"{web} systemd[1]: checkout.service: Main process exited, code=killed, status=9/KILL"
        )
    if roll < 0.13:
        return f"{web} systemd[1]: checkout.service: Failed with result 'oom-kill'."
    if roll < 0.16:
        return f"{web} systemd[1]: Started checkout.service - Checkout API (gunicorn)."
    if roll < 0.40:
        return f"db-1 postgres[{rng.randint(800, 900)}]: FATAL:  sorry, too many clients already"
    if roll < 0.50:
        return f"lb-1 haproxy[1402]: Server shop_back/{web} is DOWN, reason: Layer7 timeout"
    if roll < 0.55:
        return f"lb-1 haproxy[1402]: Server shop_back/{web} is UP, reason: Layer7 check passed"
    return _routine_syslog(rng, host)


def syslog_lines(rng: random.Random, n: int) -> Iterator[list[str]]:
    stamp = _SecondCache(_syslog_stamp)
    for first in range(0, n, BLOCK):
        count = min(BLOCK, n - first)
        seconds = _times(rng, n, first, count)
        hosts = rng.choices(HOSTS, (3, 3, 3, 3, 4, 2), k=count)
        block = []
        for t, host in zip(seconds, hosts, strict=True):
            incident = _in_incident(t) and rng.random() < 0.35
            body = _incident_syslog(rng, host, t) if incident else _routine_syslog(rng, host)
            block.append(f"{stamp(t)} {body}")
        yield block


# ---------------------------------------------------------------------------------------------
# JSON-lines application logs

SERVICES = ("checkout", "cart", "catalog", "payments")
APP_ROUTES = {
    "checkout": (("POST", "/api/checkout"), ("GET", "/api/orders/{n}")),
    "cart": (("GET", "/api/cart"), ("POST", "/api/cart/items")),
    "catalog": (("GET", "/api/products/{n}"), ("GET", "/api/search")),
    "payments": (("POST", "/v1/charges"), ("POST", "/v1/refunds")),
}
TRACEBACK = (
    "Traceback (most recent call last):\n"
    '  File "/srv/checkout/app/db.py", line 88, in acquire\n'
    "    conn = self._pool.getconn()\n"
    '  File "/srv/checkout/.venv/lib/python3.11/site-packages/psycopg2/pool.py", line 91,'
    " in _getconn\n"
    '    raise PoolError("connection pool exhausted")\n'
    "psycopg2.pool.PoolError: connection pool exhausted"
)


def _app_record(rng: random.Random, incident: bool) -> dict[str, object]:
    service = rng.choice(SERVICES)
    host = f"{service}-{rng.randint(1, 3)}"
    roll = rng.random()
    if roll < 0.15:
        return {
            "level": rng.choice(("debug", "info", "info")),
            "service": service,
            "host": host,
            "logger": f"{service}.jobs",
            "msg": rng.choice(
                (
                    "cache refreshed: 1284 keys",
                    "metrics flushed",
                    "feature flags reloaded (rev 4471)",
                    "background sweep finished in 212 ms",
                )
            ),
        }
    method, path = rng.choice(APP_ROUTES[service])
    path = path.replace("{n}", str(rng.randint(1000, 99_999)))
    record: dict[str, object] = {
        "level": "info",
        "service": service,
        "host": host,
        "request_id": f"{rng.getrandbits(64):016x}",
        "method": method,
        "path": path,
    }
    if incident and service in ("checkout", "payments", "cart") and roll < 0.7:
        record["level"] = "error"
        problem = rng.random()
        if problem < 0.4:
            record["msg"] = "payment gateway timeout after 5000 ms"
            record.update(status=504, duration_ms=5000.0 + rng.uniform(0, 40))
        elif problem < 0.75:
            record["msg"] = "db pool exhausted: timeout waiting for connection after 3000 ms"
            record.update(status=503, duration_ms=3000.0 + rng.uniform(0, 30), exc=TRACEBACK)
        else:
            record["msg"] = "upstream connect error: connection refused (payments:8443)"
            record.update(status=502, duration_ms=rng.uniform(1, 5))
        return record
    duration = rng.lognormvariate(3.2, 0.7)
    status = 200 if rng.random() > 0.01 else rng.choice((400, 404, 409, 422))
    record.update(status=status, duration_ms=round(duration, 2))
    if status >= 400:
        record["level"] = "warning"
        record["msg"] = f"request rejected: {status}"
    elif duration > 400:
        record["level"] = "warning"
        record["msg"] = f"slow request: {duration:.0f} ms"
    else:
        record["msg"] = "request completed"
    return record


def app_lines(rng: random.Random, n: int) -> Iterator[list[str]]:
    """JSON objects, one per line; a rare plain-text line from a stray print, as in real apps."""
    encode = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": ")).encode
    for first in range(0, n, BLOCK):
        count = min(BLOCK, n - first)
        seconds = _times(rng, n, first, count)
        block = []
        for t in seconds:
            if rng.random() < 0.00002:
                block.append("WARNING: worker 3 heartbeat late by 31s, restarting")
                continue
            moment = START + dt.timedelta(seconds=t)
            stamp = moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
            record = {"ts": stamp, **_app_record(rng, _in_incident(t))}
            block.append(encode(record))
        yield block


# ---------------------------------------------------------------------------------------------

GENERATORS: dict[str, Callable[[random.Random, int], Iterator[list[str]]]] = {
    "nginx": nginx_lines,
    "syslog": syslog_lines,
    "app": app_lines,
}


def generate(out: Path, lines: int = DEFAULT_LINES, seed: int = 14) -> Manifest:
    """Write the three files and the manifest into `out`; same seed and N give the same bytes."""
    out.mkdir(parents=True, exist_ok=True)
    for offset, (kind, make) in enumerate(GENERATORS.items()):
        rng = random.Random(seed * 1000 + offset)
        started = time.perf_counter()
        target = out / FILES[kind]
        with target.open("w", encoding="utf-8", newline="\n") as handle:
            for block in make(rng, lines):
                handle.write("\n".join(block))
                handle.write("\n")
        took = time.perf_counter() - started
        size_mb = target.stat().st_size / 1e6
        print(f"{target}: {lines:,} lines, {size_mb:.1f} MB in {took:.1f} s")
    manifest = Manifest(
        seed=seed,
        lines=lines,
        files=dict(FILES),
        start=START.isoformat(),
        end=(START + dt.timedelta(seconds=SPAN_S)).isoformat(),
        incident_start=(START + dt.timedelta(seconds=INCIDENT_FROM * SPAN_S)).isoformat(),
        incident_end=(START + dt.timedelta(seconds=INCIDENT_TO * SPAN_S)).isoformat(),
    )
    (out / MANIFEST).write_text(json.dumps(asdict(manifest), indent=2) + "\n")
    return manifest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", type=Path, default=DEFAULT_OUT, help="output directory")
    parser.add_argument("--lines", type=int, default=DEFAULT_LINES, help="lines per file")
    parser.add_argument("--seed", type=int, default=14, help="random seed")
    args = parser.parse_args()
    generate(args.out, args.lines, args.seed)


if __name__ == "__main__":
    main()
