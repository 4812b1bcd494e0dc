"""Find the UTC offset of a zone-less log by lining its activity up with logs whose time is known.

An outage writes itself into every log at once: 5xx in the access log, upstream errors in the
error log, FATALs in the database's syslog. Shifted by the right offset, a zone-less file's
per-minute error counts rise and fall with those of the zoned files; shifted by a wrong one, they
do not. Offsets are tried in 15-minute steps across every zone on Earth (−12 h … +14 h) and
scored by the correlation of the two per-minute series (log counts, zero-filled, over the span
both cover once shifted). A score is only trusted when it is high and clearly beats every offset
that is not a neighbour of it: a steady stream of cron lines fits any offset equally badly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

STEP_MINUTES = 15
OFFSETS_MINUTES = np.arange(-12 * 60, 14 * 60 + 1, STEP_MINUTES)
MIN_SIGNAL_EVENTS = 5  # error events each side needs before errors are the signal
MIN_SCORE = {"errors": 0.5, "activity": 0.6}
MIN_MARGIN = {"errors": 0.2, "activity": 0.3}
NEIGHBOURS_MINUTES = 30  # offsets this close to the best one share its burst: not rivals
_NS_PER_MINUTE = 60 * 1_000_000_000


@dataclass(frozen=True)
class MinuteCounts:
    """Per-minute counts of the lines whose time is known: built once, compared many times."""

    first_minute: int  # minutes since the epoch of `errors[0]`
    errors: np.ndarray  # error lines and 5xx per minute
    activity: np.ndarray  # all lines per minute


def minute_counts(utc_ns: np.ndarray, errors: np.ndarray) -> MinuteCounts | None:
    """The reference series of `align`; None when nothing has a known time."""
    if not len(utc_ns):
        return None
    minutes = utc_ns // _NS_PER_MINUTE
    first = int(minutes.min())
    length = int(minutes.max()) - first + 1
    return MinuteCounts(
        first,
        np.bincount(minutes[errors] - first, minlength=length),
        np.bincount(minutes - first, minlength=length),
    )


@dataclass(frozen=True)
class Alignment:
    """The offset that best lines a source up with the reference, and how clearly it won."""

    offset_minutes: int  # minutes east of UTC in which the source's clock was written
    score: float  # correlation at that offset (−1 … 1)
    runner_up: float  # best correlation at an offset that is not a neighbour
    signal: str  # "errors" (error-level lines and 5xx) or "activity" (all lines)

    @property
    def confident(self) -> bool:
        return (
            self.score >= MIN_SCORE[self.signal]
            and self.score - self.runner_up >= MIN_MARGIN[self.signal]
        )


def align(
    source_wall_ns: np.ndarray, source_errors: np.ndarray, reference: MinuteCounts | None
) -> Alignment | None:
    """Best offset of a source (wall-clock instants read as UTC) against the reference.

    Errors are the signal when both sides have enough of them; otherwise all lines are, which
    only helps when activity itself has a shape (a gap, a surge). None when there is nothing to
    compare.
    """
    if not len(source_wall_ns) or reference is None:
        return None
    signal, series = "activity", reference.activity
    if source_errors.sum() >= MIN_SIGNAL_EVENTS and reference.errors.sum() >= MIN_SIGNAL_EVENTS:
        signal, series = "errors", reference.errors
        source_wall_ns = source_wall_ns[source_errors]
    source = source_wall_ns // _NS_PER_MINUTE - reference.first_minute
    # Only the reference minutes some offset can shift the source onto take part: a reference
    # that spans months (or holds one line from 1970) costs no more than the source's own span.
    low = max(int(source.min()) - int(OFFSETS_MINUTES.max()), 0)
    high = min(int(source.max()) - int(OFFSETS_MINUTES.min()), len(series) - 1)
    if low > high:
        return None
    series, source = series[low : high + 1], source - low
    scores = np.array([_score(source - offset, series) for offset in OFFSETS_MINUTES])
    if np.all(np.isnan(scores)):
        return None
    best = int(np.nanargmax(scores))
    rivals = np.abs(OFFSETS_MINUTES - OFFSETS_MINUTES[best]) > NEIGHBOURS_MINUTES
    runner_up = float(np.nanmax(scores[rivals])) if np.any(~np.isnan(scores[rivals])) else -1.0
    return Alignment(
        offset_minutes=int(OFFSETS_MINUTES[best]),
        score=round(float(scores[best]), 3),
        runner_up=round(runner_up, 3),
        signal=signal,
    )


def _score(source_minutes: np.ndarray, reference: np.ndarray) -> float:
    """Correlation of log(1 + count) per minute over the span the two cover together.

    `source_minutes` count from the reference's first minute (negative: before it).
    """
    low = min(int(source_minutes.min()), 0)
    high = max(int(source_minutes.max()), len(reference) - 1)
    length = high - low + 1
    if length < 3:
        return np.nan
    source = np.log1p(np.bincount(source_minutes - low, minlength=length))
    padded = np.zeros(length)
    padded[-low : -low + len(reference)] = np.log1p(reference)
    if source.std() == 0 or padded.std() == 0:
        return np.nan
    return float(np.corrcoef(source, padded)[0, 1])
