"""Build the draft's context: one plain, versioned dict holding every fact with its evidence.

Templates only format this dict and the JSON output is this dict, so anything the draft states
must be here first, with the file and line it came from.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from parsers.timestamps import resolve_zone
from pipeline.analysis import AnalysisOptions, Findings, analyse
from pipeline.candidates import Candidate
from pipeline.errors import PostmortemError
from pipeline.impact import Impact
from pipeline.quality import skew_dict, skew_text, time_dict
from pipeline.series import is_error, is_failed_request, is_request
from pipeline.sources import FileQuality, Ingested
from pipeline.window import Window

SCHEMA_VERSION = 2
MAX_EXCERPT = 240
TOP_SIGNATURES = 50


def build_context(
    ingested: Ingested,
    *,
    generated_at: dt.datetime,
    tz: str = "UTC",
    options: AnalysisOptions | None = None,
) -> dict:
    """Everything the draft says, as plain JSON-ready values (see docs/context.md)."""
    findings = analyse(ingested.events, options)
    events = findings.events
    window = findings.window
    return {
        "schema_version": SCHEMA_VERSION,
        "generated_at": _iso(pd.Timestamp(generated_at)),
        "tz": tz,
        "incident": window is not None,
        "totals": {
            "files": len(ingested.files),
            "events": len(events),
            "errors": int(is_error(events).sum()),
            "requests": int(is_request(events).sum()),
            "failed_requests": int(is_failed_request(events).sum()),
        },
        "span": _span(events, findings, options),
        "series": _series(findings.series),
        "window": _window(window, findings) if window else None,
        "windows": [_window(w, findings) for w in findings.detection.windows],
        "impact": _impact(findings.impact) if findings.impact else None,
        "root_cause_candidates": [_candidate(c) for c in findings.candidates],
        "key_events": _records(findings.key_events),
        "timeline": _timeline(
            findings.timeline, {q.path: q.tz_assumed for q in ingested.files if q.tz_assumed}
        ),
        "signatures": _signatures(findings.signature_stats),
        "sources": [_source(q, events) for q in ingested.files],
        "clock_skew": [{**skew_dict(s), "text": skew_text(s)} for s in ingested.skew],
    }


def _window(window: Window, findings: Findings) -> dict:
    return {
        "start": _iso(window.start),
        "end": _iso(window.end),
        "duration_s": round(window.duration.total_seconds()),
        "signals": [s.text for s in window.signals],
        "signal_details": [
            {
                "kind": s.kind,
                "baseline": _num(s.baseline),
                "peak": _num(s.peak),
                "at": _iso(s.at),
                "text": s.text,
            }
            for s in window.signals
        ],
        "peak": {
            "at": _iso(window.peak_at),
            "kind": window.peak_kind,
            "value": _num(window.peak_value),
        },
        "score": _num(window.score),
        "buckets": window.buckets,
        "bucket_s": int(findings.width.total_seconds()),
        "main": window.main,
        "overridden": window.overridden,
    }


def _impact(impact: Impact) -> dict:
    return {
        "requests": impact.requests,
        "failed_requests": impact.failed_requests,
        "failed_ratio": impact.failed_ratio,
        "clients": impact.clients,
        "clients_affected": impact.clients_affected,
        "clients_affected_ratio": impact.clients_affected_ratio,
        "endpoints": list(impact.endpoints),
        "latency_ms": impact.latency_ms,
        "bytes": impact.bytes,
        "error_events": impact.error_events,
        "error_events_by_service": impact.error_events_by_service,
    }


def _candidate(candidate: Candidate) -> dict:
    return {
        "signature": candidate.signature,
        "score": candidate.score,
        "reason": candidate.reason,
        "first_seen": _iso(candidate.first_seen),
        "count": candidate.count,
        "components": candidate.components,
        "evidence": [
            {"file": e["file"], "line": e["line"], "text": _excerpt(e["text"]), "ts": _iso(e["ts"])}
            for e in candidate.evidence
        ],
    }


def _records(table: pd.DataFrame) -> list[dict]:
    """Key events: {ts, kind, rule, file, line, service, text}.

    Column by column, not `itertuples`: a bundle can hold a hundred thousand key events.
    """
    if table.empty:
        return []
    columns = [table[name].tolist() for name in ("kind", "rule", "file", "line", "service", "text")]
    return [
        {
            "ts": ts,
            "kind": kind,
            "rule": rule,
            "file": file or None,
            "line": int(line) if line is not None and pd.notna(line) else None,
            "service": service or None,
            "text": _excerpt(str(text)),
        }
        for ts, kind, rule, file, line, service, text in zip(
            _iso_many(table["ts"]), *columns, strict=True
        )
    ]


def _timeline(table: pd.DataFrame, zones: dict[str, str]) -> list[dict]:
    """Rows in UTC; `ts_source` repeats the time in the zone the source file was read in, when
    that was not UTC, so a reader can find the line in the original log."""
    return [
        {
            "ts": _iso(row.ts),
            "ts_source": _in_zone(row.ts, zones.get(row.file or "")),
            "source": row.source,
            "kind": row.kind,
            "text": _excerpt(str(row.text)),
            "count": int(row.count),
            "last_ts": _iso(row.last_ts) if int(row.count) > 1 else None,
            "evidence": (
                {"file": row.file, "line": int(row.line)}
                if row.file and row.line is not None and pd.notna(row.line)
                else None
            ),
        }
        for row in table.itertuples(index=False)
    ]


def _in_zone(ts: pd.Timestamp, zone: str | None) -> str | None:
    if not zone or zone.strip().upper() in {"UTC", "Z", "GMT"}:
        return None
    try:
        local = pd.Timestamp(ts).tz_convert(resolve_zone(zone))
    except PostmortemError:
        return None
    return local.isoformat(timespec="seconds")


def _signatures(stats: pd.DataFrame) -> list[dict]:
    """The most frequent signatures plus every new or surging one."""
    if stats.empty:
        return []
    notable = stats[stats["new"] | stats["surging"]]
    frequent = stats.sort_values(["count", "signature"], ascending=[False, True]).head(
        TOP_SIGNATURES
    )
    chosen = stats.loc[sorted(set(notable.index) | set(frequent.index))]
    return [
        {
            "signature": row.signature,
            "count": int(row.count),
            "before": int(row.before),
            "during": int(row.during),
            "after": int(row.after),
            "first_seen": _iso(row.first_seen),
            "last_seen": _iso(row.last_seen),
            "new": bool(row.new),
            "surging": bool(row.surging),
            "severity": row.severity,
            "evidence": {
                "file": row.file,
                "line": int(row.line) if pd.notna(row.line) else None,
                "text": _excerpt(str(row.text)),
            },
        }
        for row in chosen.itertuples(index=False)
    ]


def _num(value: float) -> float | None:
    if value is None or pd.isna(value):
        return None
    return round(float(value), 6)


def _span(events: pd.DataFrame, findings: Findings, options: AnalysisOptions | None) -> dict | None:
    """What was analysed: first and last event, the bucket width and any --since/--until."""
    if events.empty:
        return None
    return {
        "start": _iso(events["ts"].min()),
        "end": _iso(events["ts"].max()),
        "bucket_s": int(findings.width.total_seconds()),
        "since": _iso(options.since) if options and options.since is not None else None,
        "until": _iso(options.until) if options and options.until is not None else None,
    }


def _series(series: pd.DataFrame) -> dict:
    """Per-bucket counts, column-wise (compact in JSON): what the draft's chart draws."""

    def counts(column: str) -> list[int]:
        if column not in series:
            return [0] * len(series)
        return [int(x) for x in series[column].fillna(0)]

    return {
        "ts": [_iso(ts) for ts in series.index],
        "requests": counts("requests"),
        "failed_requests": counts("status_5xx"),
        "errors": counts("errors"),
    }


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
        **time_dict(quality),
    }


def _excerpt(text: str) -> str:
    first_line = text.split("\n", 1)[0]
    if len(first_line) > MAX_EXCERPT:
        return first_line[: MAX_EXCERPT - 1] + "…"
    return first_line


def _iso_many(values: pd.Series) -> list[str]:
    """`_iso` of each value, formatted by numpy for a column of datetimes.

    Anything numpy would not write as `_iso` does (missing times, years outside 1000-9999, a
    column that is not datetimes) goes through `_iso` one by one.
    """
    if not (pd.api.types.is_datetime64_any_dtype(values.dtype) and values.notna().all()):
        return [_iso(ts) for ts in values]
    nanos = values.to_numpy(dtype="datetime64[ns]").view(np.int64)  # UTC for zoned columns
    seconds = np.datetime_as_string((nanos // 1_000_000_000).astype("datetime64[s]"), unit="s")
    if len(seconds) and (np.char.str_len(seconds) != len("2024-03-14T02:31:07")).any():
        return [_iso(ts) for ts in values]
    micros = ((nanos // 1000) % 1_000_000).tolist()
    return [
        f"{text}.{micro // 1000:03d}Z" if micro else f"{text}Z"
        for text, micro in zip(seconds.tolist(), micros, strict=True)
    ]


def _iso(ts: pd.Timestamp) -> str:
    """RFC 3339 in UTC with a Z, to the second (or millisecond when it has them)."""
    ts = pd.Timestamp(ts).tz_convert("UTC") if pd.Timestamp(ts).tzinfo else pd.Timestamp(ts)
    text = ts.strftime("%Y-%m-%dT%H:%M:%S")
    if ts.microsecond:
        text += f".{ts.microsecond // 1000:03d}"
    return text + "Z"
