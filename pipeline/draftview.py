"""What the templates show beyond the raw context: selections and orderings of its facts.

The context (pipeline/report.py) holds every fact; a draft needs a few views of them that a
template language expresses badly: which key events plausibly triggered the outage and which
ended it, the evidence line nearest each window edge, the signatures worth a table row, the
suggested measures, and a Mermaid gantt. They are computed here from the (already redacted)
context so that every template and the JSON agree on the facts, and the templates stay formatting.
"""

from __future__ import annotations

import re

import pandas as pd

from pipeline.instants import instant
from pipeline.measures import CHANGE_SLACK, LEAD_TIME, suggest_measures
from pipeline.quality import YEAR_RULES
from pipeline.series import is_access_format

# Changes and failures that can start an outage.
TRIGGER_KINDS = frozenset(
    {
        "deploy",
        "config_reload",
        "restart",
        "oom_kill",
        "disk_full",
        "disk_error",
        "pool_exhausted",
        "link_down",
        "crash",
        "crash_loop",
        "segfault",
        "tls_error",
    }
)
# What people and systems do to end one (plus the derived `recovery`).
RESOLUTION_KINDS = frozenset({"deploy", "config_reload", "restart", "link_up", "recovery"})
RESOLUTION_TAIL = pd.Timedelta(minutes=10)
EDGE_SLACK = pd.Timedelta(minutes=5)
START_SLACK = pd.Timedelta(seconds=5)
MAX_ROWS = 12
UNKNOWN_SERVICE = "(unknown)"  # how pipeline/impact.py names events without a service
MAX_SIGNATURES = 15
MAX_MERMAID = 12
_MERMAID_UNSAFE = re.compile(r"[^A-Za-z0-9 ._/-]+")


def draft_view(context: dict, *, chart: str | None = None) -> dict:
    """The context plus the template-only views; `chart` is a link (Markdown) or inline SVG."""
    window = context.get("window")
    view = dict(context)
    view["chart"] = chart
    near = near_window(context)
    view["measures"] = suggest_measures(near)
    view["trigger_events"] = trigger_events(near) if window else []
    view["resolution_events"] = resolution_events(near) if window else []
    view["start_evidence"] = start_evidence(near) if window else None
    view["end_evidence"] = end_evidence(near) if window else None
    view["top_signatures"] = top_signatures(context.get("signatures", []))
    view["mermaid"] = mermaid_gantt(view) if window else ""
    view["tz_notes"] = [s for s in context.get("sources", []) if s.get("tz_assumed")]
    view["year_rules"] = YEAR_RULES
    by_service = (context.get("impact") or {}).get("error_events_by_service") or {}
    named = sorted(
        ((count, name) for name, count in by_service.items() if name != UNKNOWN_SERVICE),
        key=lambda item: (-item[0], item[1]),
    )
    view["top_error_service"] = named[0][1] if named else None
    view["request_sources"] = [
        s["path"] for s in context.get("sources", []) if is_access_format(s.get("format") or "")
    ]
    return view


def near_window(context: dict) -> dict:
    """The context with only the key events that some view of the window can show.

    Every view below looks at most `LEAD_TIME` before the window start and `RESOLUTION_TAIL`
    after its end. A busy fleet logs a hundred thousand key events (logins, reloads, timeouts);
    their times are parsed once here, vectorised, instead of once per event in every view.
    """
    window = context.get("window")
    events = context.get("key_events") or []
    if not window or not events:
        return context
    start = pd.Timestamp(window["start"])
    end = max(pd.Timestamp(window["end"]), start)
    lowest = start - max(LEAD_TIME, EDGE_SLACK)
    highest = max(end + max(RESOLUTION_TAIL, EDGE_SLACK), start + max(START_SLACK, CHANGE_SLACK))
    times = pd.to_datetime([e["ts"] for e in events], utc=True, format="ISO8601", errors="coerce")
    keep = times.isna() | ((times >= lowest) & (times <= highest))  # unreadable: let views judge
    if keep.all():
        return context
    return {**context, "key_events": [e for e, kept in zip(events, keep, strict=True) if kept]}


def trigger_events(context: dict) -> list[dict]:
    """Changes and failures from `LEAD_TIME` before the window start to just after it (the
    start is the first failure, which can share its second with the crash that caused it)."""
    start = pd.Timestamp(context["window"]["start"])
    until = start + START_SLACK
    return [
        {**row, "before_start": instant(row["ts"]) < start}
        for row in _collapse(
            [
                e
                for e in context.get("key_events", [])
                if e["kind"] in TRIGGER_KINDS and start - LEAD_TIME <= instant(e["ts"]) <= until
            ]
        )
    ]


def resolution_events(context: dict) -> list[dict]:
    """Rollbacks, reloads, restarts and recovery from the window start to just past its end."""
    window = context["window"]
    start = pd.Timestamp(window["start"])
    end = pd.Timestamp(window["end"])
    return _collapse(
        [
            e
            for e in context.get("key_events", [])
            if e["kind"] in RESOLUTION_KINDS and start < instant(e["ts"]) <= end + RESOLUTION_TAIL
        ]
    )


def start_evidence(context: dict) -> dict | None:
    """The failure line nearest the window start: the first 5xx, error or candidate sighting."""
    start = pd.Timestamp(context["window"]["start"])
    lines = [
        e
        for e in context.get("key_events", [])
        if e["kind"] in ("first_5xx", "first_error") and e.get("file")
    ]
    for candidate in context.get("root_cause_candidates", [])[:3]:
        lines.extend({**e, "kind": "candidate"} for e in candidate["evidence"][:1])
    near = [e for e in lines if abs(instant(e["ts"]) - start) <= EDGE_SLACK]
    return min(
        near,
        key=lambda e: (abs(instant(e["ts"]) - start), instant(e["ts"]), e["file"]),
        default=None,
    )


def end_evidence(context: dict) -> dict | None:
    """The last change the logs show at or before the window end (within a few minutes)."""
    end = pd.Timestamp(context["window"]["end"])
    near = [
        e
        for e in context.get("key_events", [])
        if e.get("file")
        and e["kind"] in RESOLUTION_KINDS
        and end - EDGE_SLACK <= instant(e["ts"]) <= end
    ]
    return max(near, key=lambda e: (instant(e["ts"]), e["file"]), default=None)


def top_signatures(signatures: list[dict]) -> list[dict]:
    """New and surging signatures first (most frequent first), then the most frequent others."""
    ranked = sorted(
        signatures,
        key=lambda s: (not (s["new"] or s["surging"]), -s["count"], s["signature"]),
    )
    return ranked[:MAX_SIGNATURES]


def mermaid_gantt(view: dict) -> str:
    """A Mermaid gantt of the window and the key events around it (our words only, no log text:
    Mermaid's own syntax has no escaping for `:` or `;`)."""
    window = view["window"]
    lines = [
        "gantt",
        "    title Incident timeline (UTC)",
        "    dateFormat YYYY-MM-DD HH:mm:ss",
        "    axisFormat %H:%M",
        "    section Outage",
        f"    Outage window :crit, outage, {_mermaid_time(window['start'])},"
        f" {_mermaid_time(window['end'])}",
    ]
    marks = [(e, "Trigger?") for e in view["trigger_events"]]
    marks += [(e, "Resolution") for e in view["resolution_events"]]
    peak = window.get("peak") or {}
    if peak.get("at"):
        marks.append(({"ts": peak["at"], "kind": "peak", "service": None}, "Outage"))
    seen: set[tuple[str, str]] = set()
    sections: dict[str, list[tuple[str, str]]] = {}
    for event, section in sorted(marks, key=lambda m: m[0]["ts"]):
        label = _mermaid_label(event)
        if (section, label) in seen or len(seen) >= MAX_MERMAID:
            continue
        seen.add((section, label))
        sections.setdefault(section, []).append((label, _mermaid_time(event["ts"])))
    number = 0
    for section in ("Trigger?", "Outage", "Resolution"):
        if section not in sections:
            continue
        if section != "Outage":
            lines.append(f"    section {section}")
        for label, when in sections[section]:
            number += 1
            lines.append(f"    {label} :milestone, m{number}, {when}, {when}")
    return "\n".join(lines)


def _mermaid_time(iso: str) -> str:
    return iso[:19].replace("T", " ")


def _mermaid_label(event: dict) -> str:
    label = event["kind"].replace("_", " ")
    service = _MERMAID_UNSAFE.sub("", event.get("service") or "").strip()
    return f"{label} ({service})" if service else label


def _collapse(events: list[dict]) -> list[dict]:
    """Consecutive events of one kind with the same text become one row with a count."""
    rows: list[dict] = []
    for event in events:
        last = rows[-1] if rows else None
        if last and last["kind"] == event["kind"] and last["text"] == event["text"]:
            last["count"] += 1
            last["last_ts"] = event["ts"]
            continue
        rows.append({**event, "count": 1, "last_ts": None})
    return rows[:MAX_ROWS]
