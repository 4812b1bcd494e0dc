"""Run the analysis stages in order over the events table and keep every result together.

Each stage is a pure function in its own module (series, window, signatures, candidates, key
events, impact, timeline); this module only wires them, applies `--since/--until`, and lets
`--window` replace detection when the human knows better.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from pipeline.candidates import Candidate, rank_candidates
from pipeline.impact import Impact, measure_impact
from pipeline.keyevents import derived_events, find_key_events
from pipeline.memory import release_memory
from pipeline.series import bucket_width, build_series
from pipeline.signatures import signature_of, signature_stats
from pipeline.timeline import build_timeline
from pipeline.window import Detection, Window, detect_windows, window_from_range


@dataclass(frozen=True)
class AnalysisOptions:
    bucket: pd.Timedelta | None = None  # `--bucket`; adaptive when None
    since: pd.Timestamp | None = None
    until: pd.Timestamp | None = None
    window: tuple[pd.Timestamp, pd.Timestamp] | None = None  # `--window START..END`


@dataclass(frozen=True)
class Findings:
    events: pd.DataFrame  # the events analysed (after --since/--until)
    series: pd.DataFrame
    detection: Detection
    signatures: pd.Series  # per event
    signature_stats: pd.DataFrame
    candidates: list[Candidate]
    key_events: pd.DataFrame
    impact: Impact | None
    timeline: pd.DataFrame
    width: pd.Timedelta

    @property
    def window(self) -> Window | None:
        return self.detection.main


def bound(events: pd.DataFrame, since: pd.Timestamp | None, until: pd.Timestamp | None):
    """Events in [since, until) (all of them, not a copy, without bounds)."""
    if since is None and until is None:
        return events
    keep = pd.Series(True, index=events.index)
    if since is not None:
        keep &= events["ts"] >= since
    if until is not None:
        keep &= events["ts"] < until
    return events[keep.to_numpy()].reset_index(drop=True)


def analyse(events: pd.DataFrame, options: AnalysisOptions | None = None) -> Findings:
    options = options or AnalysisOptions()
    events = bound(events, options.since, options.until)
    span = events["ts"].max() - events["ts"].min() if not events.empty else pd.Timedelta(0)
    width = options.bucket or bucket_width(span)
    series = build_series(events, width)
    release_memory()  # each stage's peak must not stand on the last one's freed memory
    if options.window is not None:
        detection = window_from_range(events, series, *options.window)
    else:
        detection = detect_windows(events, series)
    window = detection.main
    start, end = (window.start, window.end) if window else (None, None)

    signatures = signature_of(events["message"])
    release_memory()
    stats = signature_stats(events, signatures, start, end)
    release_memory()
    keys = find_key_events(events)
    candidates: list[Candidate] = []
    if window is not None:
        key_lines = _key_line_kinds(events, keys)
        candidates = rank_candidates(events, signatures, start, end, key_lines)
    peak = (
        (window.peak_at, f"peak: {window.peak_value:g} {window.peak_kind.replace('_', ' ')}")
        if window
        else None
    )
    derived = derived_events(events, start, end, peak)
    all_keys = pd.concat([k for k in (keys, derived) if not k.empty] or [keys], ignore_index=True)
    all_keys = all_keys.sort_values(["ts", "kind"], kind="stable").reset_index(drop=True)
    impact = measure_impact(events, start, end) if window else None
    firsts = pd.DataFrame(
        [
            {
                "ts": c.evidence[0]["ts"],
                "text": f"first sighting of candidate: {c.evidence[0]['text']}",
                "file": c.evidence[0]["file"],
                "line": c.evidence[0]["line"],
            }
            for c in candidates[:3]
            if c.evidence
        ],
        columns=["ts", "text", "file", "line"],
    )
    timeline = build_timeline(all_keys, firsts, start, end)
    return Findings(
        events=events,
        series=series,
        detection=detection,
        signatures=signatures,
        signature_stats=stats,
        candidates=candidates,
        key_events=all_keys,
        impact=impact,
        timeline=timeline,
        width=width,
    )


def _key_line_kinds(events: pd.DataFrame, keys: pd.DataFrame) -> pd.Series:
    """The key-event kind of each event line (by file and line), NaN where none matched."""
    if keys.empty:
        return pd.Series(pd.NA, index=events.index, dtype=object)
    lookup = (
        keys.dropna(subset=["line"]).drop_duplicates(["file", "line"]).set_index(["file", "line"])
    )
    index = pd.MultiIndex.from_arrays(
        [events["source_file"].astype(str), events["line_no"].astype("Int64")]
    )
    kinds = lookup["kind"].reindex(index)
    return pd.Series(kinds.to_numpy(), index=events.index, dtype=object)
