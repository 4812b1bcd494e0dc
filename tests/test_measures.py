"""Suggested measures come from what the logs showed, each with the line that prompted it."""

from __future__ import annotations

from pipeline.measures import HINTS, KIND_FINDINGS, MEASURES, suggest_measures

WINDOW = {"start": "2024-03-14T02:31:00Z", "end": "2024-03-14T03:00:00Z"}


def _key(kind: str, ts: str, line: int = 7) -> dict:
    return {"ts": ts, "kind": kind, "file": "syslog", "line": line, "text": f"{kind} here"}


def _ids(context: dict) -> list[str]:
    return [m["id"] for m in suggest_measures(context)]


def test_every_finding_has_measures() -> None:
    findings = set(KIND_FINDINGS.values()) | {hint.finding for hint in HINTS}
    assert findings <= set(MEASURES)


def test_no_window_no_suggestions() -> None:
    assert (
        suggest_measures({"window": None, "key_events": [_key("oom_kill", WINDOW["start"])]}) == []
    )


def test_oom_kill_suggests_memory_limits_and_alerting_with_its_evidence() -> None:
    context = {"window": WINDOW, "key_events": [_key("oom_kill", "2024-03-14T02:30:58Z", 42)]}
    suggestions = suggest_measures(context)
    assert [m["id"] for m in suggestions] == [
        "memory_limits",
        "memory_alerts",
        "first_symptom_alert",
    ]
    assert suggestions[0]["because"] == {
        "ts": "2024-03-14T02:30:58Z",
        "kind": "oom_kill",
        "file": "syslog",
        "line": 42,
        "text": "oom_kill here",
    }


def test_key_events_long_before_the_window_do_not_count() -> None:
    context = {"window": WINDOW, "key_events": [_key("deploy", "2024-03-14T01:00:00Z")]}
    assert _ids(context) == ["first_symptom_alert"]


def test_a_deploy_just_before_the_window_suggests_canary_and_rollback() -> None:
    context = {"window": WINDOW, "key_events": [_key("deploy", "2024-03-14T02:24:00Z")]}
    assert _ids(context) == ["canary", "rollback_automation", "first_symptom_alert"]


def test_candidate_signatures_name_causes_no_rule_caught() -> None:
    candidate = {
        "signature": "could not acquire db connection from pool (size=<num>)",
        "first_seen": "2024-03-14T02:31:00Z",
        "evidence": [{"file": "app.jsonl", "line": 940, "text": "could not acquire ..."}],
    }
    disk = {
        "signature": "write failed: No space left on device",
        "first_seen": "2024-03-14T02:32:00Z",
        "evidence": [],
    }
    context = {"window": WINDOW, "key_events": [], "root_cause_candidates": [candidate, disk]}
    suggestions = suggest_measures(context)
    assert [m["id"] for m in suggestions] == [
        "pool_sizing",
        "pool_saturation_alerts",
        "disk_alerts",
        "log_rotation",
        "first_symptom_alert",
    ]
    assert suggestions[0]["because"]["kind"] == "root_cause_candidate"
    assert suggestions[0]["because"]["line"] == 940


def test_upstream_connection_errors_suggest_health_checks() -> None:
    context = {"window": WINDOW, "key_events": [_key("connection_error", "2024-03-14T02:31:05Z")]}
    assert _ids(context)[0] == "health_checks"
