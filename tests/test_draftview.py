"""The draft's views see only the key events near the window, and lose none they would show."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from conftest import SAMPLE_LOGS

from pipeline import api
from pipeline.draftview import (
    draft_view,
    end_evidence,
    near_window,
    resolution_events,
    start_evidence,
    trigger_events,
)
from pipeline.measures import suggest_measures

BUNDLES = sorted(p.parent for p in SAMPLE_LOGS.glob("*/truth.json"))
OPTIONS = api.DraftOptions(generated_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))


def _far_events(context: dict) -> list[dict]:
    """Routine changes hours away from the window, on both sides, that no view may show."""
    start = pd.Timestamp(context["window"]["start"])
    end = pd.Timestamp(context["window"]["end"])
    far = [start - pd.Timedelta(hours=3), end + pd.Timedelta(hours=3)]
    return [
        {
            "ts": when.isoformat().replace("+00:00", "Z"),
            "kind": kind,
            "rule": kind,
            "file": "far.log",
            "line": number,
            "service": "cron",
            "text": f"{kind} far away",
        }
        for number, when in enumerate(far, start=1)
        for kind in ("deploy", "config_reload", "restart", "oom_kill")
    ]


@pytest.mark.parametrize("bundle", BUNDLES, ids=[b.name for b in BUNDLES])
def test_views_of_the_near_events_equal_views_of_all(bundle) -> None:
    context = api.draft_context([bundle], OPTIONS)
    if not context["window"]:
        pytest.skip("no window: no views")
    noisy = {**context, "key_events": context["key_events"] + _far_events(context)}
    near = near_window(noisy)
    assert len(near["key_events"]) <= len(context["key_events"])
    assert not [e for e in near["key_events"] if e["file"] == "far.log"]
    for view in (trigger_events, resolution_events, start_evidence, end_evidence):
        assert view(near) == view(noisy) == view(context)
    assert suggest_measures(near) == suggest_measures(noisy)
    full = draft_view(noisy)
    assert full["key_events"] == noisy["key_events"]  # the view filters; the context keeps all
    assert full["trigger_events"] == trigger_events(noisy)


def test_no_window_or_no_events_is_the_context_itself() -> None:
    quiet = {"window": None, "key_events": [{"ts": "2024-03-14T00:00:00Z"}]}
    assert near_window(quiet) is quiet
    empty = {"window": {"start": "2024-03-14T00:00:00Z", "end": "2024-03-14T01:00:00Z"}}
    assert near_window(empty) is empty


def test_an_unreadable_time_is_kept_for_the_views_to_judge() -> None:
    window = {"start": "2024-03-14T02:00:00Z", "end": "2024-03-14T02:30:00Z"}
    events = [
        {"ts": "2024-03-14T02:10:00Z", "kind": "restart", "text": "in"},
        {"ts": "2024-03-13T02:10:00Z", "kind": "restart", "text": "a day before"},
        {"ts": "not a time", "kind": "restart", "text": "odd"},
    ]
    near = near_window({"window": window, "key_events": events})
    assert [e["text"] for e in near["key_events"]] == ["in", "odd"]
