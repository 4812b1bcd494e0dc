"""Every sample_logs bundle: the detected window, the failed requests and the cause, vs truth.json.

The rules were written without reading the bundles' truth; these tests only check them.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from conftest import SAMPLE_LOGS

from parsers.timestamps import TimeOptions
from pipeline.analysis import analyse
from pipeline.series import is_failed_request
from pipeline.sources import ingest

BUNDLES = sorted(p.parent for p in SAMPLE_LOGS.glob("*/truth.json"))


def _truth(bundle: Path) -> dict:
    return json.loads((bundle / "truth.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module", params=BUNDLES, ids=[b.name for b in BUNDLES])
def bundle(request: pytest.FixtureRequest, in_repo_module: Path):
    path = request.param
    # No --tz: every bundle must place its zone-less logs by itself (issue 8).
    ingested = ingest([path.relative_to(in_repo_module)], TimeOptions())
    return path, _truth(path), ingested.events, analyse(ingested.events)


@pytest.fixture(scope="module")
def in_repo_module() -> Path:
    root = SAMPLE_LOGS.parent
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(root)
        yield root


def _tolerance(start: pd.Timestamp, end: pd.Timestamp) -> pd.Timedelta:
    return max(pd.Timedelta(seconds=60), 0.05 * (end - start))


def test_incident_is_detected_or_not(bundle) -> None:
    _, truth, _, findings = bundle
    assert (findings.window is not None) == bool(truth["incident"])


def test_window_is_within_tolerance(bundle) -> None:
    _, truth, _, findings = bundle
    if not truth["incident"]:
        pytest.skip("no incident in this bundle")
    start = pd.Timestamp(truth["window"]["start"])
    end = pd.Timestamp(truth["window"]["end"])
    window = findings.window
    assert window is not None
    tolerance = _tolerance(start, end)
    assert abs(window.start - start) <= tolerance, (window.start, start)
    assert abs(window.end - end) <= tolerance, (window.end, end)


def test_failed_requests_over_the_true_window_are_exact(bundle) -> None:
    _, truth, events, _ = bundle
    if not truth["incident"]:
        pytest.skip("no incident in this bundle")
    start = pd.Timestamp(truth["window"]["start"])
    end = pd.Timestamp(truth["window"]["end"])
    inside = (events["ts"] >= start) & (events["ts"] < end)
    assert int((is_failed_request(events) & inside).sum()) == truth["failed_requests"]


def test_failed_requests_over_the_detected_window_are_close(bundle) -> None:
    _, truth, events, findings = bundle
    if not truth["incident"]:
        pytest.skip("no incident in this bundle")
    start = pd.Timestamp(truth["window"]["start"])
    end = pd.Timestamp(truth["window"]["end"])
    tolerance = _tolerance(start, end)
    failed = events.loc[is_failed_request(events), "ts"]
    # Whatever lies within the edge tolerance may be counted or not; nothing else may differ.
    at_edges = (((failed - start).abs() <= tolerance) | ((failed - end).abs() <= tolerance)).sum()
    assert abs(findings.impact.failed_requests - truth["failed_requests"]) <= at_edges


def test_root_cause_is_among_the_top_three_candidates(bundle) -> None:
    _, truth, _, findings = bundle
    if not truth["incident"]:
        pytest.skip("no incident in this bundle")
    cause = truth["root_cause"]
    top = findings.candidates[:3]
    lines = {(e["file"], e["line"]) for c in top for e in c.evidence}
    cause_file = str(Path(cause["file"]))
    matched_line = any(
        (f == cause_file or f.endswith("/" + cause_file) or cause_file.endswith("/" + f))
        and line == cause["line"]
        for f, line in lines
    )
    cause_signature = findings.signatures[
        findings.events["message"].fillna("").str.startswith(cause["text"][:60])
    ]
    matched_signature = bool(set(cause_signature) & {c.signature for c in top})
    assert matched_line or matched_signature, [(c.signature, c.reason) for c in top]
