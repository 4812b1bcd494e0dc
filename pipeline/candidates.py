"""Root-cause candidates: the signatures that changed first, are new, and track the window.

The cause of an outage usually shows in the logs just before or at its start (an OOM kill, a
deploy, "connection pool exhausted"), is rare or absent before, and keeps pace with the failures.
Access-log lines are symptoms, not causes, and are left out. Each candidate says why it ranks
where it does and points at the lines it stands on.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipeline.schema import STRING
from pipeline.series import is_request
from pipeline.signatures import file_keys

TOP_CANDIDATES = 10
EVIDENCE_LINES = 3
LEAD = pd.Timedelta(minutes=10)  # how long before the window a cause may show first
KEY_EVENT_BONUS = 0.15
# Key events that are causes more often than consequences; a restart or a start line usually
# follows the cause, and an upstream timeout is how a proxy reports one.
CAUSE_KINDS = frozenset(
    {
        "oom_kill",
        "segfault",
        "exception",
        "crash",
        "disk_full",
        "disk_error",
        "pool_exhausted",
        "tls_error",
        "deploy",
        "config_reload",
        "link_down",
    }
)
# Words that make a line an error whatever level its format gave it (a syslog line without a
# priority is "info" even when it says "error: could not write").
ERROR_WORDS = (
    r"(?i)\b(?:error|errors|fail|failed|failure|fatal|panic|exception|traceback|refused|denied"
    r"|killed|cannot|could not|unable to|no space left|out of memory)\b|\w(?-i:Error|Exception)\b"
)
WEIGHTS = {"early": 0.35, "new": 0.30, "tracking": 0.20, "severity": 0.15, "first": 0.10}
SEVERITY_WEIGHT = {
    "debug": 0.1,
    "info": 0.3,
    "notice": 0.4,
    "warning": 0.7,
    "error": 1.0,
    "critical": 1.0,
    "alert": 1.0,
    "emergency": 1.0,
}


SEVERITY_ORDER = list(SEVERITY_WEIGHT)
ERROR_RANK = SEVERITY_ORDER.index("error")


@dataclass(frozen=True)
class Candidate:
    signature: str
    score: float
    reason: str
    first_seen: pd.Timestamp
    count: int
    components: dict[str, float]  # early, new, tracking, severity, key_event
    evidence: tuple[dict, ...]  # {file, line, text, ts}


def rank_candidates(
    events: pd.DataFrame,
    signatures: pd.Series,
    start: pd.Timestamp,
    end: pd.Timestamp,
    key_event_kinds: pd.Series | None = None,
    *,
    top: int = TOP_CANDIDATES,
) -> list[Candidate]:
    """Score every non-access signature seen near the window; best first.

    `key_event_kinds` (indexed like `events`) marks lines a key-event rule matched; a cause such
    as a deploy or an OOM kill is often a single info line, which only earliness can find.
    """
    duration = end - start
    lead = max(LEAD, duration / 4)
    # Access-log lines never become candidates: drop them before building any per-event column
    # (at a million requests, the strings of lines about to be dropped cost seconds).
    logs = (~is_request(events)).to_numpy(dtype=bool)
    if not logs.any():
        return []
    rows = np.flatnonzero(logs)
    key = (
        key_event_kinds.reindex(events.index).isin(list(CAUSE_KINDS)).to_numpy()[logs]
        if key_event_kinds is not None
        else np.zeros(len(rows), bool)
    )
    # Every per-event column is a number: signature and file as codes (the file's code sorts as
    # its name does), severity as its rank. Names and texts are looked up for the few signatures
    # and evidence lines that make it to the end.
    signature, signature_names = pd.factorize(signatures[logs], sort=False)
    file_rank, file_names = file_keys(events["source_file"])
    severity = _severity_ranks(events["severity"])[rows]
    messages = events["message"].take(rows)
    below_error = np.where(severity < 0, SEVERITY_ORDER.index("info"), severity) < ERROR_RANK
    severity[_error_worded(messages) & below_error] = ERROR_RANK
    frame = pd.DataFrame(
        {
            "signature": signature,
            "ts": events["ts"].to_numpy(dtype="datetime64[ns]")[rows],
            "file": file_rank[rows],
            "line": events["line_no"].array.take(rows),
            "row": rows,
            "severity": severity,
            "key": key,
        }
    )
    frame["ts"] = pd.to_datetime(frame["ts"], utc=True)
    frame = frame.sort_values(["ts", "file", "line"], kind="stable")
    frame["near"] = (frame["ts"] >= start - lead) & (frame["ts"] < end)
    frame["far_before"] = frame["ts"] < start - lead
    frame["after"] = frame["ts"] >= end
    near = frame[frame["near"]]
    if near.empty:
        return []
    per = frame.groupby("signature", sort=False).agg(
        count=("ts", "size"),
        near=("near", "sum"),
        far_before=("far_before", "sum"),
        after=("after", "sum"),
        key=("key", "any"),
    )
    near_first = near.groupby("signature", sort=False).agg(
        first_near=("ts", "min"),
        first_seen=("ts", "min"),
        severity=("severity", "max"),
    )
    # The worst level near the window, by name; a signature with no known level reads as info.
    near_first["severity"] = [
        SEVERITY_ORDER[rank] if rank >= 0 else "info" for rank in near_first["severity"]
    ]
    all_first = frame.groupby("signature", sort=False)["ts"].min().rename("first_seen_all")
    stats = per.join(near_first, how="inner").join(all_first)

    span_start = frame["ts"].min()
    span_end = frame["ts"].max()
    near_seconds = max((end - (start - lead)).total_seconds(), 1.0)
    far_seconds = max((start - lead - span_start).total_seconds(), 0.0)
    after_seconds = max((span_end - end).total_seconds(), 0.0)
    rate_near = stats["near"] / near_seconds
    rate_outside = (stats["far_before"] + stats["after"]) / max(far_seconds + after_seconds, 1.0)

    offset = (stats["first_near"] - start).dt.total_seconds()
    early = np.where(
        offset <= 0,
        1.0 - 0.5 * (-offset / lead.total_seconds()),
        np.clip(1.0 - offset / max(duration.total_seconds() / 2, 60.0), 0.0, 1.0),
    )
    new = np.where(
        stats["far_before"] + stats["after"] == 0, 1.0, rate_near / (rate_near + rate_outside)
    )
    tracking = stats["near"] / stats["count"]
    severity = stats["severity"].map(SEVERITY_WEIGHT).fillna(0.3)
    key_bonus = np.where(stats["key"], KEY_EVENT_BONUS, 0.0)
    # Of the new things near the start, the one that showed first is the likeliest cause: an OOM
    # kill comes before the restarts it triggers, a deploy before the errors it brings.
    novel = pd.Series(new, index=stats.index) >= 0.5
    order = stats["first_near"].where(novel).rank(method="min")
    first = (1.0 - (order - 1) / max(int(novel.sum()), 1)).fillna(0.0).to_numpy()
    score = (
        WEIGHTS["first"] * first
        + WEIGHTS["early"] * early
        + WEIGHTS["new"] * new
        + WEIGHTS["tracking"] * tracking
        + WEIGHTS["severity"] * severity
        + key_bonus
    )
    stats = stats.assign(
        early=early,
        new=new,
        tracking=tracking,
        severity_w=severity,
        key_bonus=key_bonus,
        first=first,
        score=np.round(score.astype(float), 4),
        offset=offset,
    )
    stats = stats.reset_index().rename(columns={"signature": "code"})
    stats["signature"] = np.asarray(signature_names, dtype=object)[stats["code"].to_numpy()]
    stats = stats.sort_values(
        ["score", "first_near", "signature"], ascending=[False, True, True], kind="stable"
    ).head(top)

    chosen = near[near["signature"].isin(stats["code"])]
    evidence = _evidence(chosen, signature_names, file_names, events["message"])
    return [
        Candidate(
            signature=str(row.signature),
            score=float(row.score),
            reason=_reason(row, start),
            first_seen=row.first_seen_all,
            count=int(row.count),
            components={
                "early": round(float(row.early), 4),
                "new": round(float(row.new), 4),
                "tracking": round(float(row.tracking), 4),
                "severity": round(float(row.severity_w), 4),
                "key_event": round(float(row.key_bonus), 4),
                "first": round(float(row.first), 4),
            },
            evidence=evidence.get(str(row.signature), ()),
        )
        for row in stats.itertuples(index=False)
    ]


def _evidence(
    near: pd.DataFrame, signature_names, file_names: np.ndarray, messages: pd.Series
) -> dict[str, tuple[dict, ...]]:
    """The first lines of each signature near the window, from as many files as possible."""
    firsts = near.groupby(["signature", "file"], sort=False).head(1)
    firsts = firsts.groupby("signature", sort=False).head(EVIDENCE_LINES)
    texts = messages.take(firsts["row"].to_numpy()).fillna("").to_numpy(dtype=object)
    out: dict[str, list[dict]] = {}
    for row, text in zip(firsts.itertuples(index=False), texts, strict=True):
        out.setdefault(str(signature_names[row.signature]), []).append(
            {
                "file": file_names[row.file],
                "line": int(row.line) if pd.notna(row.line) else None,
                "text": str(text).split("\n", 1)[0],
                "ts": row.ts,
            }
        )
    return {k: tuple(v) for k, v in out.items()}


def _reason(row, start: pd.Timestamp) -> str:
    seconds = round(row.offset)
    when = (
        f"first seen {abs(seconds)} s before the window"
        if seconds < 0
        else (
            "first seen at the window start"
            if seconds == 0
            else f"first seen {seconds} s into the window"
        )
    )
    parts = [when]
    if row.far_before + row.after == 0:
        parts.append("never seen outside it")
    elif row.far_before == 0:
        parts.append("not seen before it")
    parts.append(f"{int(row.near)} of {int(row.count)} occurrences around the window")
    if row.severity in ("error", "critical", "alert", "emergency"):
        parts.append(f"{row.severity} level")
    if row.key_bonus:
        parts.append("a key event")
    return "; ".join(parts)


def _error_worded(messages: pd.Series) -> np.ndarray:
    """Whether each message holds an error word; the regex runs once per distinct message."""
    # Missing messages are one more distinct value, read as "" (a categorical has no "").
    codes, uniques = pd.factorize(messages, sort=False, use_na_sentinel=False)
    text = pd.Series(pd.array(uniques, dtype=STRING)).fillna("")
    hits = text.str.contains(ERROR_WORDS, regex=True)
    return hits.fillna(False).to_numpy(dtype=bool)[codes]


def _severity_ranks(levels: pd.Series) -> np.ndarray:
    """Each event's level as its place in `SEVERITY_ORDER`; -1 where missing or unknown."""
    codes, names = pd.factorize(levels, sort=False)
    lookup = np.array(
        [SEVERITY_ORDER.index(str(n)) if str(n) in SEVERITY_ORDER else -1 for n in names] + [-1],
        dtype=np.int64,
    )
    return lookup[codes]  # code -1 (missing) picks the trailing -1
