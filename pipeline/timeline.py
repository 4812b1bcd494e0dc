"""The incident timeline: window edges, key events and first sightings of the likely causes.

Logs repeat themselves (a restart loop logs the same three lines every ten seconds, a proxy logs a
timeout every second of an outage); the timeline collapses a burst of one kind of event from one
source into a single row with a count, even when other sources' lines fall between its repeats,
so that a reader sees the story, not the noise.
"""

from __future__ import annotations

import pandas as pd

from pipeline.signatures import signature_of

TIMELINE_COLUMNS = ["ts", "source", "kind", "text", "file", "line", "count", "last_ts"]
MAX_ROWS = 60
MARGIN = pd.Timedelta(minutes=30)  # key events this far around the window still matter
ROUTINE_REPEATS = 3  # a key event seen this often away from the outage is routine there too
BURST_GAP = pd.Timedelta(minutes=2)  # a repeat this soon after the last one continues its burst


def build_timeline(
    key_events: pd.DataFrame,
    candidates_first: pd.DataFrame,
    start: pd.Timestamp | None,
    end: pd.Timestamp | None,
    *,
    max_rows: int = MAX_ROWS,
) -> pd.DataFrame:
    """Ordered, condensed rows (ts UTC, source, kind, text, evidence file/line, count)."""
    parts = []
    if not key_events.empty:
        parts.append(
            key_events.assign(source=key_events["file"].where(key_events["file"] != "", "analysis"))
        )
    if not candidates_first.empty and not key_events.empty:
        # A candidate's first line that is already a key event needs no second row.
        seen = set(zip(key_events["file"].astype(str), key_events["line"], strict=True))
        pairs = zip(candidates_first["file"].astype(str), candidates_first["line"], strict=True)
        candidates_first = candidates_first[[pair not in seen for pair in pairs]]
    if not candidates_first.empty:
        parts.append(
            candidates_first.assign(kind="first_sighting", source=candidates_first["file"])
        )
    if start is not None and end is not None:
        parts.append(
            pd.DataFrame(
                {
                    "ts": [start, end],
                    "kind": ["window_start", "window_end"],
                    "text": ["outage window starts", "outage window ends"],
                    "file": ["", ""],
                    "line": [None, None],
                    "source": ["analysis", "analysis"],
                }
            )
        )
    if not parts:
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in TIMELINE_COLUMNS})
    rows = pd.concat([p[["ts", "source", "kind", "text", "file", "line"]] for p in parts])
    rows["ts"] = pd.to_datetime(rows["ts"], utc=True)
    if start is not None and end is not None:
        near = (rows["ts"] >= start - MARGIN) & (rows["ts"] <= end + MARGIN)
        rows = rows[near & ~_routine(rows, near)]
    rows = rows.sort_values(["ts", "source", "line"], kind="stable").reset_index(drop=True)
    rows = collapse_repeats(rows)
    if len(rows) > max_rows:
        # Cut log lines, never the analysis rows: a timeline that stops before the outage ends
        # hides how it ended.
        analysis = rows["source"] == "analysis"
        logged = (~analysis).cumsum() <= max_rows - int(analysis.sum())
        rows = rows[analysis | (~analysis & logged)]
    return rows.reset_index(drop=True)


def _routine(rows: pd.DataFrame, near: pd.Series) -> pd.Series:
    """Key events whose source, kind and template recur away from the outage (sysstat's start and
    stop every ten minutes): they tell nothing about it. Analysis rows are never routine."""
    key = _key(rows)
    away = key[~near].value_counts()
    routine = key.map(away).fillna(0) >= ROUTINE_REPEATS
    return routine & (rows["source"] != "analysis")


def _key(rows: pd.DataFrame) -> pd.Series:
    template = signature_of(rows["text"].astype(str))
    return rows["source"].astype(str) + "\x00" + rows["kind"].astype(str) + "\x00" + template


def collapse_repeats(rows: pd.DataFrame) -> pd.DataFrame:
    """Repeats of one source, kind and text template, each within `BURST_GAP` of the one before,
    become one row (at the first) with a count and the last time: interleaved sources (the proxy's
    timeouts between the app's pool errors) no longer break a burst into single rows."""
    if rows.empty:
        return rows.assign(count=pd.Series([], dtype="int64"), last_ts=rows["ts"])
    key = _key(rows)
    gap = rows["ts"].groupby(key).diff()
    burst = (gap.isna() | (gap > BURST_GAP)).groupby(key).cumsum()
    grouped = rows.groupby(key + "\x00" + burst.astype(str), sort=False)
    out = grouped.head(1).copy()
    out["count"] = grouped.size().to_numpy()
    out["last_ts"] = grouped["ts"].max().to_numpy()
    return out[TIMELINE_COLUMNS].reset_index(drop=True)
