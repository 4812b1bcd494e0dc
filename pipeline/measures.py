"""Suggested corrective and preventative measures, derived from what the logs showed.

A blank checklist gets filled with "add monitoring"; a list that starts from the evidence ("the
kernel OOM-killed the API at 02:31: set memory limits, alert before the limit") gets real items.
The mapping is data: a finding (a key-event kind, or a hint matched in a root-cause candidate's
signature) maps to one or more measures. Each suggestion carries the evidence that prompted it,
so a reviewer can drop the ones that do not apply. They are suggestions: the draft lists them as
unchecked items beside the TODOs for owners and due dates.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from pipeline.instants import instant

# How far before the window a key event may be and still count as part of the incident: a bad
# deploy or a config reload often precedes the first failure by minutes.
LEAD_TIME = pd.Timedelta(minutes=30)
CHANGES = frozenset({"deploy", "config_reload"})
CHANGE_SLACK = pd.Timedelta(seconds=5)


@dataclass(frozen=True)
class Measure:
    id: str
    text: str


@dataclass(frozen=True)
class Hint:
    """A finding named by a regex over a candidate signature (case-insensitive)."""

    finding: str
    pattern: str


MEASURES: dict[str, tuple[Measure, ...]] = {
    "oom_kill": (
        Measure(
            "memory_limits",
            "Set memory limits (and requests) from the measured peak, with headroom",
        ),
        Measure(
            "memory_alerts",
            "Alert on memory use near the limit and on every OOM kill",
        ),
    ),
    "pool_exhausted": (
        Measure(
            "pool_sizing",
            "Size the connection pool from peak concurrency and check it against the database's"
            " connection limit",
        ),
        Measure(
            "pool_saturation_alerts",
            "Alert on pool saturation (waiters, acquire time) before requests fail",
        ),
    ),
    "disk_full": (
        Measure("disk_alerts", "Alert on disk and inode usage well before full (e.g. 80 %)"),
        Measure("log_rotation", "Rotate and cap logs (size limits, retention) on every host"),
    ),
    "disk_error": (
        Measure(
            "disk_health_alerts",
            "Alert on disk I/O errors and SMART/NVMe health, and replace disks that report them",
        ),
        Measure(
            "storage_failover",
            "Test that the service fails over when its primary's storage fails (drills)",
        ),
    ),
    "deploy": (
        Measure(
            "canary",
            "Roll out through a canary stage that watches 5xx ratio and error rate before going"
            " wide",
        ),
        Measure("rollback_automation", "Automate rollback when the canary's error rate rises"),
    ),
    "config_reload": (
        Measure(
            "config_validation",
            "Validate configuration changes before reload and roll them out like code",
        ),
    ),
    "upstream_dead": (
        Measure(
            "health_checks",
            "Health-check upstreams and take failing ones out of rotation (active checks, circuit"
            " breakers)",
        ),
    ),
    "timeout": (
        Measure(
            "timeouts",
            "Review timeouts and retry budgets end to end; alert on upstream latency",
        ),
    ),
    "crash": (Measure("crash_alerts", "Alert on crashes and restart loops, with the exit reason"),),
    "tls_error": (
        Measure(
            "certificate_expiry",
            "Monitor certificate expiry and chain validity; alert weeks ahead",
        ),
    ),
    "link_down": (
        Measure("network_redundancy", "Alert on link state and review network redundancy"),
    ),
}

# Key-event kinds -> the finding they stand for.
KIND_FINDINGS: dict[str, str] = {
    "oom_kill": "oom_kill",
    "pool_exhausted": "pool_exhausted",
    "disk_full": "disk_full",
    "disk_error": "disk_error",
    "deploy": "deploy",
    "config_reload": "config_reload",
    "connection_error": "upstream_dead",
    "timeout": "timeout",
    "crash": "crash",
    "segfault": "crash",
    "crash_loop": "crash",
    "tls_error": "tls_error",
    "link_down": "link_down",
}

# Hints in candidate signatures, for causes no key-event rule names.
HINTS: tuple[Hint, ...] = (
    Hint("oom_kill", r"out of memory|oom|memoryerror|cannot allocate memory"),
    Hint("pool_exhausted", r"pool|too many connections|max_connections|acquire"),
    Hint("disk_full", r"no space left|disk full|quota exceeded"),
    Hint(
        "upstream_dead",
        r"connection refused|no live upstreams|upstream prematurely closed|connect\(\) failed"
        r"|host unreachable|name or service not known",
    ),
    Hint("timeout", r"timed out|timeout"),
    Hint("tls_error", r"certificate|ssl|tls handshake"),
)

# Always useful once there was an outage: catch it sooner next time.
DETECTION = Measure(
    "first_symptom_alert",
    "Alert on the first symptom the logs show (see Detection), not only on total failure",
)


def suggest_measures(context: dict) -> list[dict]:
    """Suggestions for the draft, in a stable order: by finding as first seen, then by table order.

    Only key events from `LEAD_TIME` before the window to its end count (a deploy last week is
    not this incident's; changes only up to the window start), and the top three candidates'
    signatures; no window, no suggestions.
    """
    window = context.get("window")
    if not window:
        return []
    start = pd.Timestamp(window["start"])
    end = pd.Timestamp(window["end"])
    found: dict[str, dict] = {}
    for event in context.get("key_events", []):
        finding = KIND_FINDINGS.get(event["kind"])
        ts = instant(event["ts"])
        # A change during the outage is usually the fix (a rollback, a restart), not the cause.
        last = start + CHANGE_SLACK if finding in CHANGES else end
        if finding and start - LEAD_TIME <= ts <= last and finding not in found:
            found[finding] = _because(event, event["kind"])
    for candidate in context.get("root_cause_candidates", [])[:3]:
        for hint in HINTS:
            if hint.finding in found:
                continue
            if re.search(hint.pattern, candidate["signature"], re.IGNORECASE):
                evidence = candidate["evidence"][0] if candidate["evidence"] else {}
                found[hint.finding] = _because(
                    {**evidence, "ts": candidate["first_seen"]}, "root_cause_candidate"
                )
    ordered = sorted(found.items(), key=lambda item: (item[1]["ts"] or "", item[0]))
    suggestions = [
        {"id": m.id, "text": m.text, "finding": finding, "because": because}
        for finding, because in ordered
        for m in MEASURES[finding]
    ]
    suggestions.append(
        {"id": DETECTION.id, "text": DETECTION.text, "finding": "outage", "because": None}
    )
    return suggestions


def _because(event: dict, kind: str) -> dict:
    return {
        "ts": event.get("ts"),
        "kind": kind,
        "file": event.get("file"),
        "line": event.get("line"),
        "text": event.get("text", ""),
    }
