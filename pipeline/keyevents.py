"""Key events: the lines a responder looks for first (restarts, OOM kills, deploys, disk full...).

Rules are data, like the formats: a kind, an RE2 pattern (case-insensitive) and sample lines it
must match; `rule()` refuses a rule whose samples it does not match, and one parametrised test
checks every sample. The first matching rule wins, so specific rules come before generic ones.
Derived events (first error, first 5xx, peak, recovery) come from the table and the window.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.schema import STRING, used_codes
from pipeline.series import is_error, is_failed_request, is_request
from pipeline.signatures import first_lines

CRASH_LOOP_RESTARTS = 3  # restarts of one service within CRASH_LOOP_SPAN make a crash loop
CRASH_LOOP_SPAN = pd.Timedelta(minutes=10)

KEY_EVENT_COLUMNS = ["ts", "kind", "rule", "file", "line", "service", "text"]


@dataclass(frozen=True)
class KeyRule:
    name: str
    kind: str
    pattern: str  # RE2, matched case-insensitively anywhere in the message's first line
    samples: tuple[str, ...]

    def matches(self, messages: pa.Array) -> np.ndarray:
        found = pc.match_substring_regex(messages, self.pattern, ignore_case=True)
        return found.fill_null(False).to_numpy(zero_copy_only=False)


def rule(name: str, kind: str, pattern: str, *samples: str) -> KeyRule:
    """A rule, checked against its own samples."""
    made = KeyRule(name, kind, pattern, samples)
    if not samples:
        raise ValueError(f"key-event rule {name!r} has no sample lines")
    hits = made.matches(pa.array(list(samples), pa.string()))
    if not hits.all():
        missed = [s for s, hit in zip(samples, hits, strict=True) if not hit]
        raise ValueError(f"key-event rule {name!r} does not match its samples {missed!r}")
    return made


# Lines about logins, which user names (`deploy`, `release`) made look like changes, and which a
# fleet's automation writes all day. One line per login is a key event of its own kind (who got a
# shell during an outage is part of its story); the other lines of the same login are dropped.
NOT_KEY = ""  # the kind of a rule whose lines are never key events

RULES: tuple[KeyRule, ...] = (
    rule(
        "login",
        "login",
        r"^started session[- ]\S+ of user\b|^started session-\S+\.scope\b",
        "Started Session 67735 of User deploy.",
        "Started session-3318.scope - Session 3318 of User priya.",
    ),
    rule(
        "login_detail",
        NOT_KEY,
        r"^accepted (publickey|password|keyboard-interactive\S*|gssapi\S*|hostbased) for "
        r"|\bsession (opened|closed) for user\b|^(new|removed) session \S+ of user\b",
        "Accepted publickey for deploy from 10.0.1.5 port 48431 ssh2: ED25519 SHA256:q8Lw3JvZ",
        "pam_unix(sshd:session): session opened for user deploy(uid=1001) by (uid=0)",
        "New session 3318 of user deploy.",
    ),
    rule(
        "oom_kill",
        "oom_kill",
        r"out of memory: kill|oom[-_ ]?kill|killed process \d+|memory cgroup out of memory"
        r"|OOMKilled|java\.lang\.OutOfMemoryError",
        "Out of memory: Killed process 4242 (java) total-vm:8123456kB, anon-rss:4000000kB",
        "kernel: java invoked oom-killer: gfp_mask=0x100cca(GFP_HIGHUSER_MOVABLE), order=0",
        "Memory cgroup out of memory: Killed process 812 (node)",
        "Container app terminated: OOMKilled (exit code 137)",
        'Exception in thread "main" java.lang.OutOfMemoryError: Java heap space',
    ),
    rule(
        "segfault",
        "segfault",
        r"segfault at|segmentation fault|SIGSEGV|core dumped|signal 11\b",
        "php-fpm[2211]: segfault at 0 ip 00007f sp 00007ffd error 4 in libc.so.6",
        "worker process 1234 exited on signal 11 (core dumped)",
        "Fatal Python error: Segmentation fault",
    ),
    rule(
        "crash",
        "crash",
        r"main process exited, code=(killed|dumped|exited), status=[1-9]|failed with result"
        r"|exited unexpectedly|terminated by signal|back-off restarting failed container"
        r"|CrashLoopBackOff|exited: \S+ \(exit status [1-9]",
        "checkout.service: Main process exited, code=killed, status=9/KILL",
        "checkout.service: Failed with result 'exit-code'.",
        "Back-off restarting failed container app in pod checkout-7d9c",
        "exited: web (exit status 1; not expected)",
    ),
    rule(
        "disk_full",
        "disk_full",
        r"no space left on device|disk (is )?full|ENOSPC|filesystem .*full|disk quota exceeded"
        r"|could not extend file|insufficient disk space",
        "write /var/lib/docker/overlay2: no space left on device",
        'ERROR: could not extend file "base/16384/2619": No space left on device',
        "Disk full: /var is at 100%",
    ),
    rule(
        "disk_error",
        "disk_error",
        r"\bI/O error|Input/output error|\bEIO\b|medium error|blk_update_request: "
        r"|Buffer I/O error|I/O Error \(sct|controller is down; will reset|EXT4-fs error"
        r"|XFS \(\S+\): .*(?:I/O|metadata) error",
        "nvme1n1: I/O Cmd(0x1) @ LBA 1841203712, 256 blocks, I/O Error (sct 0x2 / sc 0x81) DNR",
        "blk_update_request: I/O error, dev sda, sector 123456 op 0x1:(WRITE)",
        'PANIC:  could not fdatasync file "pg_wal/0000000100000A1B0000003C": Input/output error',
        "EXT4-fs error (device sdb1): ext4_find_entry:1455: inode #2: comm ls: reading directory",
    ),
    rule(
        "pool_exhausted",
        "pool_exhausted",
        r"pool (is )?exhausted|connection is not available|too many connections"
        r"|remaining connection slots are reserved|timeout waiting for (idle|a )?connection"
        r"|could not obtain connection|max_connections|pool timeout|QueuePool limit",
        "HikariPool-1 - Connection is not available, request timed out after 30000ms.",
        "FATAL: remaining connection slots are reserved for non-replication superuser connections",
        "sqlalchemy.exc.TimeoutError: QueuePool limit of size 5 overflow 10 reached",
        "ERROR 1040 (HY000): Too many connections",
    ),
    rule(
        "tls_error",
        "tls_error",
        r"certificate (has )?expired|certificate verify failed|ssl handshake fail"
        r"|SSL_do_handshake\(\) failed|x509:|tls: |unable to get local issuer certificate"
        r"|PKIX path",
        "SSL_do_handshake() failed (SSL: error:0A000086:SSL routines::certificate verify failed)",
        "x509: certificate has expired or is not yet valid",
        "prod_http_in/1: SSL handshake failure",
    ),
    rule(
        "connection_refused",
        "connection_error",
        r"connection refused|ECONNREFUSED|connect\(\) failed|could not connect|can't connect"
        r"|no route to host|host unreachable|name or service not known|no live upstreams",
        "connect() failed (111: Connection refused) while connecting to upstream",
        "psycopg2.OperationalError: could not connect to server: Connection refused",
        "no live upstreams while connecting to upstream, client: 10.0.0.1",
    ),
    rule(
        "connection_reset",
        "connection_error",
        r"connection reset|ECONNRESET|broken pipe|upstream prematurely closed|EPIPE"
        r"|connection (was )?(closed|aborted) unexpectedly",
        "recv() failed (104: Connection reset by peer) while reading response header",
        "upstream prematurely closed connection while reading response header from upstream",
        "write: broken pipe",
    ),
    rule(
        "timeout",
        "timeout",
        r"timed? ?out|ETIMEDOUT|deadline exceeded|read timeout|gateway time-?out",
        "upstream timed out (110: Connection timed out) while reading response header",
        "context deadline exceeded",
        "Read timeout on socket to db-1:5432",
    ),
    rule(
        "exception",
        "exception",
        r"^\s*(?-i:([\w$]+\.)*\w*(Error|Exception|Exit))(:|$)|\bunhandled exception\b|^panic: "
        r"|uncaught exception|^Traceback \(most recent call last\)",
        "KeyError: 'DATABASE_URL'",
        "java.lang.IllegalStateException: Connection pool shut down",
        "Unhandled exception on GET /api/orders/8812 (request_id=ab12)",
        "panic: runtime error: invalid memory address or nil pointer dereference",
        "Traceback (most recent call last):",
    ),
    rule(
        "link",
        "link_down",
        r"link (is )?down|nic link is down|carrier lost|link becomes not ready",
        "e1000e: eth0 NIC Link is Down",
        "IPv6: ADDRCONF(NETDEV_UP): eth0: link is not ready; link becomes not ready",
    ),
    rule(
        "link_up",
        "link_up",
        r"link (is )?up\b|nic link is up|carrier acquired|link becomes ready",
        "e1000e: eth0 NIC Link is Up 1000 Mbps Full Duplex",
        "IPv6: ADDRCONF(NETDEV_CHANGE): eth0: link becomes ready",
    ),
    rule(
        "reload",
        "config_reload",
        r"\breload(ing|ed)?\b|configuration (re)?loaded|config(uration)? changed"
        r"|SIGHUP|signal 1 \(SIGHUP\)|reconfigur",
        "Reloading nginx.service - A high performance web server",
        "signal 1 (SIGHUP) received from 1, reconfiguring",
        "Reloaded checkout.service.",
    ),
    rule(
        "deploy",
        "deploy",
        r"\bdeploy(ing|ed|ment)?\b|rolling (update|out)|rollout"
        # A rollback of a release, not of a database transaction ("transaction rolled back").
        r"|\brollback\b(?: (?:to|of)\b|$)|\broll(?:ing|ed|s)? back (?:to|release|deploy)"
        r"|\brolled back \S+ to\b"
        r"|release v?\d|upgrad(ed|ing) .*to v?\d|version v?\d+\.\d+|v\d+\.\d+\.\d+",
        "Deploying checkout v2.14.0 (build 8812)",
        "Rolled back checkout to v2.13.9",
        "checkout starting, version 2.14.0",
        "deployment.apps/checkout rolled out",
        "release checkout 2.13.2 (build 8790) started by priya: rollback",
        "rolling back to v5.1.9",
    ),
    rule(
        "restart",
        "restart",
        r"\brestart(ing|ed)?\b|scheduled restart job|respawn",
        "checkout.service: Scheduled restart job, restart counter is at 3.",
        "Restarting checkout.service...",
    ),
    rule(
        "stop",
        "stop",
        r"\bstopp(ing|ed)\b|shutting down|shutdown (complete|requested)|received (SIGTERM|SIGINT)"
        r"|exiting\b|\bdeactivated\b",
        "Stopping checkout.service - Checkout API...",
        "Received SIGTERM, shutting down gracefully",
        "checkout.service: Deactivated successfully.",
    ),
    rule(
        "start",
        "start",
        r"\bstart(ing|ed)\b|listening on|ready to accept connections|server started|booted"
        r"|\bspawned\b|entered RUNNING state",
        "Started checkout.service - Checkout API.",
        "Listening on 0.0.0.0:8080",
        "database system is ready to accept connections",
        "success: web entered RUNNING state, process has stayed up for > than 1 seconds",
    ),
)


def find_key_events(events: pd.DataFrame, rules: tuple[KeyRule, ...] = RULES) -> pd.DataFrame:
    """Every event a rule matches (first matching rule wins), plus derived crash loops.

    Access-log lines are skipped: a request for `/restart` is not a restart.
    """
    positions = np.flatnonzero(~is_request(events).to_numpy(dtype=bool))
    if not len(positions):
        return _empty()
    # The rules run once per distinct first line, and their verdicts are taken back per event
    # by code: logs repeat their lines, and a pass per rule over every event cost seconds.
    encoded = _distinct_text(events["message"], positions, len(events))
    messages = first_lines(encoded.dictionary)
    # One pass of all the rules at once picks the lines any rule matches (about one in ten);
    # only those go through the rules one by one, to find the first that matches.
    union = "|".join(f"(?:{key_rule.pattern})" for key_rule in rules)
    flagged = pc.match_substring_regex(messages, union, ignore_case=True).fill_null(False)
    candidates = np.flatnonzero(flagged.to_numpy(zero_copy_only=False))
    subset = messages.take(pa.array(candidates, pa.int64()))
    chosen_subset = np.full(len(subset), -1, dtype=np.int64)
    for i, key_rule in enumerate(rules):  # one vectorised pass per rule
        hit = key_rule.matches(subset) & (chosen_subset < 0)
        chosen_subset[hit] = i
    chosen_distinct = np.full(len(messages), -1, dtype=np.int64)
    chosen_distinct[candidates] = chosen_subset
    codes = encoded.indices.to_numpy(zero_copy_only=False)
    chosen = chosen_distinct[codes]
    picked = np.flatnonzero(_kept(chosen, rules))
    rows = events.iloc[positions[picked]]
    found = pd.DataFrame(
        {
            "ts": rows["ts"].to_numpy(dtype="datetime64[ns]"),
            "kind": [rules[i].kind for i in chosen[picked]],
            "rule": [rules[i].name for i in chosen[picked]],
            "file": rows["source_file"].astype(str).to_numpy(),
            "line": rows["line_no"].to_numpy(),
            "service": rows["service"].astype(str).where(rows["service"].notna(), "").to_numpy(),
            "text": np.asarray(messages.take(pa.array(codes[picked])).to_pylist(), dtype=object),
        }
    )
    found["ts"] = pd.to_datetime(found["ts"], utc=True)
    found = pd.concat([found, _crash_loops(found)], ignore_index=True)
    return found.sort_values(["ts", "file", "line"], kind="stable").reset_index(drop=True)


def _kept(chosen: np.ndarray, rules: tuple[KeyRule, ...]) -> np.ndarray:
    """Which lines a rule chose (`chosen` is the rule's index, -1 for none) as a key event."""
    not_key = np.array([key_rule.kind == NOT_KEY for key_rule in rules] + [True])
    return ~not_key[chosen]  # -1 takes the last entry: no rule, no key event


def _distinct_text(column: pd.Series, positions: np.ndarray, n: int) -> pa.DictionaryArray:
    """The text of the rows at `positions` (missing as ""), dictionary-encoded; from a
    categorical's codes and the categories they use, without a string per row."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        categories = column.cat.categories
        codes = column.cat.codes.to_numpy()[positions].astype(np.int64)
        used, _ = used_codes(codes, len(categories))
        remap = np.full(len(categories) + 1, len(used), dtype=np.int32)  # missing: the "" after
        remap[used + 1] = np.arange(len(used), dtype=np.int32)
        text = pa.array(pd.array(categories, dtype=STRING)).cast(pa.string())
        text = pa.concat_arrays([text.take(pa.array(used, pa.int64())), pa.array([""])])
        return pa.DictionaryArray.from_arrays(pa.array(remap[codes + 1]), text)
    text = pa.array(column.astype(STRING).array)
    if isinstance(text, pa.ChunkedArray):
        text = text.combine_chunks()
    text = pc.fill_null(text.cast(pa.string()), "")
    if len(positions) < n:
        text = text.take(pa.array(positions, pa.int64()))
    return pc.dictionary_encode(text)


def derived_events(
    events: pd.DataFrame, start: pd.Timestamp | None, end: pd.Timestamp | None, peak=None
) -> pd.DataFrame:
    """First error, first 5xx, peak and recovery: the moments the timeline hangs on."""
    rows: list[dict] = []
    ts = events["ts"]
    since = ts >= start - (end - start) if start is not None else None
    # The first ones that belong to the outage, not a stray one hours before.
    for kind, chosen in (("first_error", is_error), ("first_5xx", is_failed_request)):
        picked = chosen(events) if since is None else chosen(events) & since
        position = _earliest(ts, picked)
        if position is not None:
            row = {name: events[name].iloc[position] for name in _ROW_COLUMNS}
            rows.append(_row(row["ts"], kind, row, str(row["message"])))
    if peak is not None:
        rows.append(
            {
                "ts": peak[0],
                "kind": "peak",
                "rule": "derived",
                "file": "",
                "line": None,
                "service": "",
                "text": peak[1],
            }
        )
    if end is not None:
        rows.append(
            {
                "ts": end,
                "kind": "recovery",
                "rule": "derived",
                "file": "",
                "line": None,
                "service": "",
                "text": "failures back to baseline",
            }
        )
    if not rows:
        return _empty()
    out = pd.DataFrame(rows, columns=KEY_EVENT_COLUMNS)
    out["ts"] = pd.to_datetime(out["ts"], utc=True)
    return out


_ROW_COLUMNS = ("ts", "service", "source_file", "line_no", "message")


def _earliest(ts: pd.Series, chosen: pd.Series) -> int | None:
    """The position of the earliest chosen event, the first of equal times (a stable sort by
    time would put it first, missing times last); found without copying any row."""
    positions = np.flatnonzero(chosen.to_numpy(dtype=bool, na_value=False))
    if not len(positions):
        return None
    times = ts.iloc[positions]
    known = times.notna().to_numpy()
    if not known.any():
        return int(positions[0])
    nanoseconds = times.to_numpy(dtype="datetime64[ns]").view(np.int64)
    return int(positions[known][np.argmin(nanoseconds[known])])


def _row(ts: pd.Timestamp, kind: str, row: dict, text: str) -> dict:
    service = row["service"]
    return {
        "ts": ts,
        "kind": kind,
        "rule": "derived",
        "file": str(row["source_file"]),
        "line": int(row["line_no"]) if pd.notna(row["line_no"]) else None,
        "service": "" if pd.isna(service) else str(service),
        "text": text.split("\n", 1)[0],
    }


def _crash_loops(found: pd.DataFrame) -> pd.DataFrame:
    """A service that restarts `CRASH_LOOP_RESTARTS` times within `CRASH_LOOP_SPAN`."""
    restarts = found[found["kind"].isin(["restart", "crash"])].sort_values("ts", kind="stable")
    if restarts.empty:
        return _empty()
    key = restarts["service"].where(restarts["service"] != "", restarts["file"])
    earlier = restarts.groupby(key.to_numpy())["ts"].shift(CRASH_LOOP_RESTARTS - 1)
    looping = restarts[(restarts["ts"] - earlier) <= CRASH_LOOP_SPAN]
    first = looping.groupby(key[looping.index].to_numpy(), sort=False).head(1).copy()
    first["kind"] = "crash_loop"
    first["rule"] = "derived"
    first["text"] = [
        f"{CRASH_LOOP_RESTARTS}+ restarts within {int(CRASH_LOOP_SPAN.total_seconds() // 60)} min"
        f" ({s or f})"
        for s, f in zip(first["service"], first["file"], strict=True)
    ]
    return first[KEY_EVENT_COLUMNS]


def _empty() -> pd.DataFrame:
    out = pd.DataFrame({c: pd.Series([], dtype=object) for c in KEY_EVENT_COLUMNS})
    out["ts"] = pd.Series([], dtype="datetime64[ns, UTC]")
    return out
