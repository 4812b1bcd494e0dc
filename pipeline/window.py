"""Find the outage window: where the service departs from its own robust baseline.

A fixed threshold fails both ways (a busy shop has 1 % 5xx on a good day, a quiet API has none), so
every signal is compared with the bundle's own median bucket, and counts are judged against what
chance alone would give (a Poisson allowance), so a lone 500 never looks like an outage:

* 5xx: more failed requests than the baseline ratio explains, and at least twice that ratio;
* error events: error-level log lines far above their median bucket;
* traffic collapse: requests fall to a fifth of their median (an outage often shows as silence);
* latency: p95 more than twice its median, without any errors needed.

Flagged buckets a short gap apart are merged into runs; each run's edges are refined from bucket
boundaries to the events themselves (first failure, first good request after the last one, the
edges of the silence). Runs shorter than `min_duration` are blips, not outages. Every window
carries the signals that support it, as numbers and as sentences the draft can quote.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pipeline.errors import PostmortemError
from pipeline.series import is_error, is_failed_request, is_request

MIN_DURATION = pd.Timedelta(minutes=2)  # shorter departures are blips
MAX_GAP_BUCKETS = 2  # flagged buckets this close belong to one outage
MIN_FAILURES = 3  # per bucket: fewer is noise whatever the ratio
POISSON_Z = 4.0  # how many standard deviations of chance an excess must exceed
COLLAPSE_SHARE = 0.2  # requests at or below this share of the median bucket are a collapse
MIN_TRAFFIC = 5.0  # median requests per bucket needed before silence means anything
LATENCY_FACTOR = 3.0  # p95 this many times its median is a degradation...
SLOW_MS = 1000.0  # ...and only when it is also slow enough for a person to notice
MAD_TO_SIGMA = 1.4826


@dataclass(frozen=True)
class Signal:
    """One way the window departs from the baseline, with the numbers and a quotable sentence."""

    kind: str  # "5xx_ratio" | "error_events" | "traffic_drop" | "latency_p95"
    baseline: float
    peak: float
    at: pd.Timestamp
    text: str


@dataclass(frozen=True)
class Window:
    start: pd.Timestamp
    end: pd.Timestamp  # exclusive
    peak_at: pd.Timestamp
    peak_kind: str
    peak_value: float
    signals: tuple[Signal, ...]
    score: float
    buckets: int
    main: bool = False
    overridden: bool = False

    @property
    def duration(self) -> pd.Timedelta:
        return self.end - self.start


@dataclass(frozen=True)
class Detection:
    """The ranked windows (main first) and the per-bucket evidence behind them."""

    windows: tuple[Window, ...]
    flags: pd.DataFrame  # per bucket: flag_* booleans and the expected values they were judged by
    baseline: dict[str, float]
    width: pd.Timedelta
    rejected: tuple[Window, ...] = field(default=())  # runs too short to be outages

    @property
    def main(self) -> Window | None:
        return self.windows[0] if self.windows else None


def flag_buckets(series: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, float]]:
    """Per bucket, which signals depart from the baseline; plus the baseline itself."""
    requests = series["requests"].astype(float).fillna(0.0)
    failed = series["status_5xx"].astype(float).fillna(0.0)
    errors = series["errors"].astype(float).fillna(0.0)
    ratio = series["ratio_5xx"].astype(float)
    p95 = series["latency_p95"].astype(float)

    served = requests > 0
    base_ratio = float(ratio[served].median()) if served.any() else 0.0
    expected_5xx = base_ratio * requests
    flag_5xx = (
        (failed >= MIN_FAILURES)
        & (failed >= expected_5xx + POISSON_Z * np.sqrt(np.maximum(expected_5xx, 1.0)))
        & (ratio.fillna(0.0) >= 2 * base_ratio)
    )

    base_errors = float(errors.median()) if len(errors) else 0.0
    spread = MAD_TO_SIGMA * float((errors - base_errors).abs().median()) if len(errors) else 0.0
    error_limit = base_errors + POISSON_Z * max(spread, np.sqrt(max(base_errors, 1.0)))
    flag_errors = (errors >= MIN_FAILURES) & (errors >= error_limit)

    # Silence only means something between the first and the last request of the bundle.
    in_traffic = _between_first_and_last(served)
    base_requests = float(requests[in_traffic].median()) if in_traffic.any() else 0.0
    flag_collapse = (
        in_traffic & (base_requests >= MIN_TRAFFIC) & (requests <= COLLAPSE_SHARE * base_requests)
    )

    timed = p95.notna() & (requests >= MIN_FAILURES)
    base_p95 = float(p95[timed].median()) if timed.any() else float("nan")
    p95_spread = MAD_TO_SIGMA * float((p95[timed] - base_p95).abs().median()) if timed.any() else 0
    slow_ms = max(LATENCY_FACTOR * base_p95, SLOW_MS) if timed.any() else float("nan")
    flag_latency = (
        timed & (p95 > slow_ms) & (p95 > base_p95 + POISSON_Z * p95_spread) & (base_p95 > 0)
    ).fillna(False)

    flags = pd.DataFrame(
        {
            "flag_5xx": flag_5xx.astype(bool),
            "flag_errors": flag_errors.astype(bool),
            "flag_collapse": flag_collapse.astype(bool),
            "flag_latency": flag_latency.astype(bool),
            "expected_5xx": expected_5xx,
        },
        index=series.index,
    )
    baseline = {
        "ratio_5xx": base_ratio,
        "errors": base_errors,
        "error_limit": float(error_limit),
        "requests": base_requests,
        "latency_p95": base_p95,
        "slow_ms": slow_ms,
    }
    return flags, baseline


def detect_windows(
    events: pd.DataFrame,
    series: pd.DataFrame,
    *,
    min_duration: pd.Timedelta = MIN_DURATION,
    max_gap: int = MAX_GAP_BUCKETS,
) -> Detection:
    """Outage windows ranked by how much harm they show, the largest marked `main`."""
    width = series.attrs.get("width") or _infer_width(series)
    flags, baseline = flag_buckets(series)
    if series.empty:
        return Detection((), flags, baseline, width)
    bad = flags[["flag_5xx", "flag_errors", "flag_collapse", "flag_latency"]].any(axis=1)
    positions = np.flatnonzero(bad.to_numpy())
    if not len(positions):
        return Detection((), flags, baseline, width)
    breaks = np.flatnonzero(np.diff(positions) > max_gap + 1)
    run_starts = np.concatenate([[positions[0]], positions[breaks + 1]])
    run_ends = np.concatenate([positions[breaks], [positions[-1]]])

    context = _EventContext.of(events, baseline["slow_ms"])
    kept: list[Window] = []
    rejected: list[Window] = []
    for first, last in zip(run_starts, run_ends, strict=True):  # one iteration per run: few
        window = _window_of_run(series, flags, baseline, width, int(first), int(last), context)
        (kept if window.duration >= min_duration else rejected).append(window)
    ranked = sorted(kept, key=lambda w: (-w.score, w.start))
    ranked = [_replace(w, main=(i == 0)) for i, w in enumerate(ranked)]
    return Detection(tuple(ranked), flags, baseline, width, tuple(rejected))


def window_from_range(
    events: pd.DataFrame, series: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp
) -> Detection:
    """The window a human gave (`--window START..END`), with the signals measured inside it."""
    width = series.attrs.get("width") or _infer_width(series)
    flags, baseline = flag_buckets(series)
    inside = (series.index >= start.floor(width)) & (series.index < end)
    positions = np.flatnonzero(inside)
    if not len(positions):
        window = Window(start, end, start, "none", 0.0, (), 0.0, 0, main=True, overridden=True)
        return Detection((window,), flags, baseline, width)
    forced = flags.copy()
    forced.loc[inside, ["flag_5xx", "flag_errors", "flag_collapse", "flag_latency"]] = True
    signals = _signals(series, flags, baseline, width, positions, measured=True)
    peak_at, peak_kind, peak_value = _peak(series, flags.iloc[positions], positions)
    window = Window(
        start=start,
        end=end,
        peak_at=peak_at,
        peak_kind=peak_kind,
        peak_value=peak_value,
        signals=signals,
        score=_score(series, flags, baseline, positions),
        buckets=len(positions),
        main=True,
        overridden=True,
    )
    return Detection((window,), flags, baseline, width)


def parse_range(text: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """`--window 2024-03-14T02:31Z..2024-03-14T03:09Z` (naive times are UTC)."""
    parts = text.split("..")
    if len(parts) != 2:
        raise PostmortemError(f"--window must look like START..END: {text!r}")
    start, end = (parse_time(part, "--window") for part in parts)
    if end <= start:
        raise PostmortemError(f"--window ends before it starts: {text!r}")
    return start, end


def parse_time(text: str, option: str) -> pd.Timestamp:
    """An ISO 8601 time; naive means UTC."""
    try:
        stamp = pd.Timestamp(text.strip())
    except (ValueError, TypeError):
        raise PostmortemError(f"{option} is not an ISO 8601 time: {text!r}") from None
    if pd.isna(stamp):
        raise PostmortemError(f"{option} is not an ISO 8601 time: {text!r}")
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


@dataclass(frozen=True)
class _EventContext:
    """Sorted timestamps of the events that refine window edges."""

    bad_requests: np.ndarray  # 5xx
    good_requests: np.ndarray
    requests: np.ndarray
    errors: np.ndarray
    slow_requests: np.ndarray  # took longer than the baseline's `slow_ms`
    fast_requests: np.ndarray  # timed and not slow

    @classmethod
    def of(cls, events: pd.DataFrame, slow_ms: float = float("nan")) -> _EventContext:
        ts = events["ts"]
        request = is_request(events)
        failed = is_failed_request(events)
        duration = events["duration_ms"].astype(float)
        timed = request & duration.notna() & bool(np.isfinite(slow_ms))
        slow = (timed & (duration > slow_ms)).fillna(False).astype(bool)

        def sorted_ns(mask: pd.Series) -> np.ndarray:
            return np.sort(ts[mask].to_numpy(dtype="datetime64[ns]").astype(np.int64))

        return cls(
            bad_requests=sorted_ns(failed),
            good_requests=sorted_ns(request & ~failed),
            requests=sorted_ns(request),
            errors=sorted_ns(is_error(events)),
            slow_requests=sorted_ns(slow),
            fast_requests=sorted_ns(timed.fillna(False).astype(bool) & ~slow),
        )


def _window_of_run(
    series: pd.DataFrame,
    flags: pd.DataFrame,
    baseline: dict[str, float],
    width: pd.Timedelta,
    first: int,
    last: int,
    context: _EventContext,
) -> Window:
    b0, b1 = series.index[first], series.index[last]
    start = _refine_start(flags.iloc[first], b0, width, context)
    end = _refine_end(flags.iloc[last], b1, width, context)
    if end <= start:
        start, end = b0, b1 + width
    positions = np.arange(first, last + 1)
    run_flags = flags.iloc[positions]
    peak_at, peak_kind, peak_value = _peak(series, run_flags, positions)
    return Window(
        start=start,
        end=end,
        peak_at=peak_at,
        peak_kind=peak_kind,
        peak_value=peak_value,
        signals=_signals(series, flags, baseline, width, positions, measured=False),
        score=_score(series, flags, baseline, positions),
        buckets=len(positions),
    )


def _refine_start(
    row: pd.Series, bucket: pd.Timestamp, width: pd.Timedelta, ctx: _EventContext
) -> pd.Timestamp:
    """First failure in the first bucket, or where the silence began."""
    lo, hi = _ns(bucket), _ns(bucket + width)
    candidates = []
    around = (_ns(bucket - width), hi + _ns_delta(width))
    if row["flag_5xx"]:
        candidates.append(_change_point(ctx.bad_requests, ctx.good_requests, *around, rising=True))
    if row["flag_latency"]:
        candidates.append(_change_point(ctx.slow_requests, ctx.fast_requests, *around, rising=True))
    if row["flag_errors"]:
        candidates.append(_first_in(ctx.errors, lo, hi))
    if row["flag_collapse"]:
        # The silence starts after the last request before the longest pause around this edge.
        gap_start, _ = _largest_gap(ctx.requests, _ns(bucket - width), hi)
        candidates.append(gap_start)
    found = [c for c in candidates if c is not None]
    return _ts(min(found)) if found else bucket


def _refine_end(
    row: pd.Series, bucket: pd.Timestamp, width: pd.Timedelta, ctx: _EventContext
) -> pd.Timestamp:
    """The first good request after the last failure, or the first request after the silence."""
    lo, hi = _ns(bucket), _ns(bucket + width)
    candidates = []
    around = (_ns(bucket - width), hi + _ns_delta(width))
    if row["flag_5xx"]:
        candidates.append(_change_point(ctx.bad_requests, ctx.good_requests, *around, rising=False))
    if row["flag_latency"]:
        candidates.append(
            _change_point(ctx.slow_requests, ctx.fast_requests, *around, rising=False)
        )
    if row["flag_errors"]:
        last_error = _last_in(ctx.errors, lo, hi)
        if last_error is not None:
            candidates.append(last_error + 1_000_000_000)
    if row["flag_collapse"]:
        _, gap_end = _largest_gap(ctx.requests, lo, hi + _ns_delta(width))
        candidates.append(gap_end)
    found = [c for c in candidates if c is not None]
    return _ts(max(found)) if found else bucket + width


def _signals(
    series: pd.DataFrame,
    flags: pd.DataFrame,
    baseline: dict[str, float],
    width: pd.Timedelta,
    positions: np.ndarray,
    *,
    measured: bool,
) -> tuple[Signal, ...]:
    """Sentences for the signals that flagged buckets in the run (or, for a given window, all
    signals that moved)."""
    rows = series.iloc[positions]
    run_flags = flags.iloc[positions]
    unit = _per(width)
    out: list[Signal] = []

    mask = run_flags["flag_5xx"].to_numpy() if not measured else rows["requests"].gt(0).to_numpy()
    if mask.any():
        ratios = rows["ratio_5xx"].astype(float)[mask]
        at = ratios.idxmax()
        peak, base = float(ratios.max()), baseline["ratio_5xx"]
        if not measured or peak > 2 * base:
            text = f"5xx ratio {_pct(base)} → {_pct(peak)} at {_hhmm(at)} UTC"
            out.append(Signal("5xx_ratio", base, peak, at, text))

    errors = rows["errors"].astype(float)
    mask = run_flags["flag_errors"].to_numpy() if not measured else (errors > 0).to_numpy()
    if mask.any():
        at = errors[mask].idxmax()
        peak, base = float(errors.max()), baseline["errors"]
        if not measured or peak > baseline["error_limit"]:
            text = f"error events {base:g} → {peak:g} {unit} at {_hhmm(at)} UTC"
            out.append(Signal("error_events", base, peak, at, text))

    requests = rows["requests"].astype(float)
    mask = run_flags["flag_collapse"].to_numpy()
    base = baseline["requests"]
    if measured and base >= MIN_TRAFFIC:
        mask = (requests <= COLLAPSE_SHARE * base).to_numpy()
    if mask.any() and base > 0:
        low = requests[mask]
        at = low.index[0]
        drop = 1 - float(low.mean()) / base
        text = f"requests fell {drop:.0%} ({base:g} → {low.mean():.0f} {unit}) at {_hhmm(at)} UTC"
        out.append(Signal("traffic_drop", base, float(low.min()), at, text.replace("%", " %")))

    p95 = rows["latency_p95"].astype(float)
    mask = run_flags["flag_latency"].to_numpy()
    if measured:
        mask = (p95 > baseline["slow_ms"]).fillna(False).to_numpy()
    if mask.any():
        at = p95[mask].idxmax()
        peak, base = float(p95[mask].max()), baseline["latency_p95"]
        text = f"p95 latency {base:.0f} ms → {peak:.0f} ms at {_hhmm(at)} UTC"
        out.append(Signal("latency_p95", base, peak, at, text))
    return tuple(out)


def _peak(
    series: pd.DataFrame, run_flags: pd.DataFrame, positions: np.ndarray
) -> tuple[pd.Timestamp, str, float]:
    """The worst bucket: most 5xx, else most errors, else least traffic, else slowest."""
    rows = series.iloc[positions]
    if run_flags["flag_5xx"].any() or rows["status_5xx"].sum() > 0:
        column = rows["status_5xx"].astype(float)
        return column.idxmax(), "failed_requests", float(column.max())
    if run_flags["flag_errors"].any() or rows["errors"].sum() > 0:
        column = rows["errors"].astype(float)
        return column.idxmax(), "error_events", float(column.max())
    if run_flags["flag_collapse"].any():
        column = rows["requests"].astype(float)
        return column.idxmin(), "requests", float(column.min())
    column = rows["latency_p95"].astype(float).fillna(-1.0)
    return column.idxmax(), "latency_p95_ms", float(column.max())


def _score(
    series: pd.DataFrame, flags: pd.DataFrame, baseline: dict[str, float], positions: np.ndarray
) -> float:
    """Harm in request-equivalents: excess failures, missing requests, slow buckets."""
    rows = series.iloc[positions]
    run_flags = flags.iloc[positions]
    excess_5xx = (rows["status_5xx"].astype(float) - run_flags["expected_5xx"]).clip(lower=0)
    excess_errors = (rows["errors"].astype(float) - baseline["errors"]).clip(lower=0)
    missing = (baseline["requests"] - rows["requests"].astype(float)).clip(lower=0)
    missing = missing[run_flags["flag_collapse"]]
    slow = run_flags["flag_latency"].sum() * max(baseline["requests"], 1.0) * 0.5
    return round(float(excess_5xx.sum() + 0.5 * excess_errors.sum() + missing.sum() + slow), 3)


def _between_first_and_last(served: pd.Series) -> pd.Series:
    """Buckets strictly inside the traffic span: the first and last are partial by construction
    (the log starts or stops mid-bucket), so their low counts are not a collapse."""
    if not served.any():
        return served & False
    seen_before = served.cumsum() > 0
    seen_after = served[::-1].cumsum()[::-1] > 0
    inside = seen_before & seen_after
    positions = np.flatnonzero(inside.to_numpy())
    inside.iloc[[positions[0], positions[-1]]] = False
    return inside


def _change_point(
    bad_ns: np.ndarray, good_ns: np.ndarray, lo: int, hi: int, *, rising: bool
) -> int | None:
    """Where the share of bad (failed, or slow) requests in [lo, hi) jumps or drops.

    A two-segment Bernoulli fit: robust to a stray background 500 just after recovery, which
    "the last 5xx" is not. Returns the time of the first request of the second segment.
    """
    bad = bad_ns[(bad_ns >= lo) & (bad_ns < hi)]
    good = good_ns[(good_ns >= lo) & (good_ns < hi)]
    ts = np.concatenate([bad, good])
    if len(ts) < 2:
        return int(ts[0]) if len(ts) else None
    order = np.argsort(ts, kind="stable")
    ts = ts[order]
    x = np.concatenate([np.ones(len(bad)), np.zeros(len(good))])[order]
    n = len(x)
    k = np.arange(1, n)
    ones_before = np.cumsum(x)[:-1]
    p_before = ones_before / k
    p_after = (x.sum() - ones_before) / (n - k)
    fit = k * _neg_entropy(p_before) + (n - k) * _neg_entropy(p_after)
    fit = np.where(p_after > p_before if rising else p_after < p_before, fit, -np.inf)
    if not np.isfinite(fit).any():
        return None
    split = int(k[int(np.argmax(fit))])
    if rising:  # the outage starts with its first failure, not with a good request before it
        after = np.flatnonzero(x[split:] == 1)
        return int(ts[split + after[0]]) if len(after) else int(ts[split])
    return int(ts[split])


def _neg_entropy(p: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        h = p * np.log(p) + (1 - p) * np.log(1 - p)
    return np.nan_to_num(h, nan=0.0)


def _largest_gap(ts_ns: np.ndarray, lo: int, hi: int) -> tuple[int, int]:
    """The longest pause between requests in [lo, hi), counting lo and hi as edges."""
    inside = ts_ns[(ts_ns >= lo) & (ts_ns < hi)]
    points = np.concatenate([[lo], inside, [hi]])
    i = int(np.argmax(np.diff(points)))
    return int(points[i]), int(points[i + 1])


def _first_in(ts_ns: np.ndarray, lo: int, hi: int) -> int | None:
    i = int(np.searchsorted(ts_ns, lo, side="left"))
    return int(ts_ns[i]) if i < len(ts_ns) and ts_ns[i] < hi else None


def _last_in(ts_ns: np.ndarray, lo: int, hi: int) -> int | None:
    i = int(np.searchsorted(ts_ns, hi, side="left")) - 1
    return int(ts_ns[i]) if i >= 0 and ts_ns[i] >= lo else None


def _ns(ts: pd.Timestamp) -> int:
    return int(pd.Timestamp(ts).value)


def _ns_delta(delta: pd.Timedelta) -> int:
    return int(delta.value)


def _ts(ns: int) -> pd.Timestamp:
    return pd.Timestamp(ns, tz="UTC")


def _infer_width(series: pd.DataFrame) -> pd.Timedelta:
    if len(series.index) > 1:
        return pd.Timedelta(series.index[1] - series.index[0])
    return pd.Timedelta(minutes=1)


def _replace(window: Window, **changes: object) -> Window:
    return dataclasses.replace(window, **changes)


def _per(width: pd.Timedelta) -> str:
    if width == pd.Timedelta(minutes=1):
        return "/min"
    if width == pd.Timedelta(hours=1):
        return "/h"
    if width == pd.Timedelta(seconds=1):
        return "/s"
    return f"per {_human(width)}"


def _human(width: pd.Timedelta) -> str:
    seconds = int(width.total_seconds())
    for unit, size in (("h", 3600), ("min", 60)):
        if seconds % size == 0 and seconds >= size:
            return f"{seconds // size} {unit}"
    return f"{seconds} s"


def _pct(ratio: float) -> str:
    """0.004 -> `0.4 %`, 0.61 -> `61 %`: the precision a reader needs, no more."""
    value = 100 * ratio
    if value == 0:
        return "0 %"
    text = f"{value:.1f}" if value < 10 else f"{value:.0f}"
    return re.sub(r"\.0$", "", text) + " %"


def _hhmm(ts: pd.Timestamp) -> str:
    return pd.Timestamp(ts).strftime("%H:%M")
