"""Run the analysis stages in order over the events table and keep every result together.

Each stage is a pure function in its own module (series, window, signatures, candidates, key
events, impact, timeline); this module only wires them, applies `--since/--until`, and lets
`--window` replace detection when the human knows better.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
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
    """The key-event kind of each event line (by file and line), NaN where none matched; where
    two key events share a line, the first in `keys`' order.

    Files and lines become one integer per line and the kinds are found by a binary search: a
    (file name, line) index over every event cost seconds of Python strings at 3M events.
    """
    kinds = np.full(len(events), np.nan, dtype=object)
    keys = keys.dropna(subset=["line"])
    if keys.empty or events.empty:
        return pd.Series(kinds, index=events.index, dtype=object)
    event_files, names = pd.factorize(events["source_file"], use_na_sentinel=True)
    key_files = pd.Index(names.astype(str)).get_indexer(keys["file"].astype(str))
    event_lines = events["line_no"].to_numpy(dtype=np.float64, na_value=np.nan)
    key_lines = keys["line"].to_numpy(dtype=np.float64, na_value=np.nan)
    width = int(np.nanmax(np.concatenate([event_lines, key_lines, [0.0]]))) + 1
    known = (key_files >= 0) & (key_lines >= 0)
    key_ids = key_files[known] * width + key_lines[known].astype(np.int64)
    key_kinds = keys["kind"].to_numpy(dtype=object)[known]
    ids, first = np.unique(key_ids, return_index=True)  # first: the first key on each line
    if not len(ids):
        return pd.Series(kinds, index=events.index, dtype=object)
    readable = (event_files >= 0) & ~np.isnan(event_lines) & (event_lines >= 0)
    event_ids = np.where(readable, event_files * width, -1)
    event_ids[readable] += event_lines[readable].astype(np.int64)
    where = np.minimum(np.searchsorted(ids, event_ids), len(ids) - 1)
    hit = readable & (ids[where] == event_ids)
    kinds[hit] = key_kinds[first[where[hit]]]
    return pd.Series(kinds, index=events.index, dtype=object)
