"""Build the draft's context: one plain, versioned dict holding every fact with its evidence.

Templates only format this dict and the JSON output is this dict, so anything the draft states
must be here first, with the file and line it came from.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from pipeline.sources import FileQuality, Ingested

SCHEMA_VERSION = 1
ERROR_LEVELS = ("error", "critical", "alert", "emergency")
ACCESS_FORMATS = ("nginx_access",)
MAX_EXCERPT = 240


@dataclass(frozen=True)
class Window:
    """A provisional outage window and the numbers behind it."""

    start: pd.Timestamp
    end: pd.Timestamp
    peak_minute: pd.Timestamp
    peak_bad: int
    baseline_bad: float
    threshold: float


def build_context(ingested: Ingested, *, generated_at: dt.datetime, tz: str = "UTC") -> dict:
    """Everything the draft says, as plain JSON-ready values."""
    events = ingested.events
    errors = is_error(events)
    failed = is_failed_request(events)
    window = provisional_window(events)
    return {
        "schema_version": SCHEMA_VERSION,
        "generated_at": _iso(pd.Timestamp(generated_at)),
        "tz": tz,
        "incident": window is not None,
        "totals": {
            "files": len(ingested.files),
            "events": len(events),
            "errors": int(errors.sum()),
            "requests": int(is_request(events).sum()),
            "failed_requests": int(failed.sum()),
        },
        "span": _span(events),
        "window": _window_context(window, events) if window else None,
        "busiest_error_minute": _busiest_minute(events[errors]),
        "first_5xx": _evidence(events[failed].head(1)),
        "last_5xx": _evidence(events[failed].tail(1)),
        "sources": [_source(q, events) for q in ingested.files],
    }


def is_request(events: pd.DataFrame) -> pd.Series:
    return events["format"].isin(ACCESS_FORMATS) & events["status"].notna()


def is_failed_request(events: pd.DataFrame) -> pd.Series:
    return (is_request(events) & (events["status"] >= 500)).fillna(False).astype(bool)


def is_error(events: pd.DataFrame) -> pd.Series:
    return events["severity"].isin(ERROR_LEVELS)


def provisional_window(events: pd.DataFrame) -> Window | None:
    """Longest run of minutes whose failures stand far above the bundle's own typical minute.

    A simple, explainable rule for a first draft: a minute is bad when its error events (5xx and
    error-level lines) exceed both 5 and ten times the median minute; bad minutes less than three
    minutes apart are merged, and a window needs at least two bad minutes.
    """
    bad = is_error(events)
    if not bad.any():
        return None
    per_minute = events.loc[bad, "ts"].dt.floor("min").value_counts().sort_index()
    full_range = pd.date_range(
        events["ts"].min().floor("min"), events["ts"].max().floor("min"), freq="min"
    )
    per_minute = per_minute.reindex(full_range, fill_value=0)
    baseline = float(per_minute.median())
    threshold = max(5.0, 10.0 * baseline)
    bad_minutes = per_minute.index[per_minute > threshold]
    if len(bad_minutes) < 2:
        return None
    runs: list[list[pd.Timestamp]] = [[bad_minutes[0]]]
    for minute in bad_minutes[1:]:
        if minute - runs[-1][-1] <= pd.Timedelta(minutes=3):
            runs[-1].append(minute)
        else:
            runs.append([minute])
    longest = max(runs, key=lambda run: (run[-1] - run[0], len(run)))
    if len(longest) < 2:
        return None
    inside = per_minute[longest[0] : longest[-1]]
    return Window(
        start=longest[0],
        end=longest[-1] + pd.Timedelta(minutes=1),
        peak_minute=inside.idxmax(),
        peak_bad=int(inside.max()),
        baseline_bad=baseline,
        threshold=threshold,
    )


def _window_context(window: Window, events: pd.DataFrame) -> dict:
    inside = events[(events["ts"] >= window.start) & (events["ts"] < window.end)]
    requests = int(is_request(inside).sum())
    failed = int(is_failed_request(inside).sum())
    return {
        "start": _iso(window.start),
        "end": _iso(window.end),
        "duration_s": int((window.end - window.start).total_seconds()),
        "peak": {"minute": _iso(window.peak_minute), "error_events": window.peak_bad},
        "signals": [
            f"error events per minute rose from a median of {window.baseline_bad:g} to a peak of"
            f" {window.peak_bad} at {window.peak_minute:%H:%M} UTC (threshold {window.threshold:g})"
        ],
        "requests": requests,
        "failed_requests": failed,
        "failed_ratio": round(failed / requests, 4) if requests else None,
        "error_events": int(is_error(inside).sum()),
    }


def _busiest_minute(errors: pd.DataFrame) -> dict | None:
    if errors.empty:
        return None
    counts = errors["ts"].dt.floor("min").value_counts()
    top = counts.max()
    minute = counts[counts == top].index.min()  # earliest of equals: deterministic
    first = errors[errors["ts"].dt.floor("min") == minute].head(1)
    return {"minute": _iso(minute), "errors": int(top), "evidence": _evidence(first)}


def _span(events: pd.DataFrame) -> dict | None:
    if events.empty:
        return None
    return {"start": _iso(events["ts"].min()), "end": _iso(events["ts"].max())}


def _source(quality: FileQuality, events: pd.DataFrame) -> dict:
    mine = events[events["source_file"] == quality.path]
    return {
        "path": quality.path,
        "format": quality.format,
        "lines": quality.lines,
        "events": quality.events,
        "errors": int(is_error(mine).sum()),
        "unparsed": quality.unparsed,
        "unparsed_examples": [_excerpt(x) for x in quality.unparsed_examples],
        "coverage": round(quality.coverage, 4),
        "first": _iso(quality.first) if quality.first is not None else None,
        "last": _iso(quality.last) if quality.last is not None else None,
        "skipped": quality.skipped,
        "tz_assumed": quality.tz_assumed,
        "year_assumed": quality.year_assumed,
        "invalid_utf8": quality.invalid_utf8,
    }


def _evidence(rows: pd.DataFrame) -> dict | None:
    if rows.empty:
        return None
    row = rows.iloc[0]
    return {
        "ts": _iso(row["ts"]),
        "file": str(row["source_file"]),
        "line": int(row["line_no"]),
        "text": _excerpt(str(row["message"])),
    }


def _excerpt(text: str) -> str:
    first_line = text.split("\n", 1)[0]
    if len(first_line) > MAX_EXCERPT:
        return first_line[: MAX_EXCERPT - 1] + "…"
    return first_line


def _iso(ts: pd.Timestamp) -> str:
    """RFC 3339 in UTC with a Z, to the second (or millisecond when it has them)."""
    ts = pd.Timestamp(ts).tz_convert("UTC") if pd.Timestamp(ts).tzinfo else pd.Timestamp(ts)
    text = ts.strftime("%Y-%m-%dT%H:%M:%S")
    if ts.microsecond:
        text += f".{ts.microsecond // 1000:03d}"
    return text + "Z"
