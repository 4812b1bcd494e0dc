"""Clock skew between hosts: the same moment stamped differently by two machines.

Zones fix whole hours; a host whose NTP died drifts by seconds or minutes, and a timeline merged
from its logs puts effects before causes. Two kinds of shared evidence measure it, after the
zones are placed:

- the same request id logged on two hosts (the proxy and the app): the median difference of
  their times is the skew, to within the request's own latency;
- error bursts: each host's per-second errors against every other host's, the lag with the best
  correlation. Bursts are coarse (a cause precedes its effect by a few seconds anyway), so they
  are only reported when the lag is far beyond that.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipeline.hosts import HostOf
from pipeline.series import is_failure

REPORT_SECONDS = {"request ids": 3.0, "error bursts": 15.0}
MIN_SHARED_IDS = 5
SAMPLE_IDS = 200_000  # more request-id lines than this are sampled by id
MIN_BURST_ERRORS = 20
MIN_BURST_CORRELATION = 0.5
MAX_LAG_SECONDS = 300
BURST_SPAN_SECONDS = 3 * 3600  # errors this far either side of the busiest minute are compared
_NS = 1_000_000_000


@dataclass(frozen=True)
class ClockSkew:
    """`ahead` stamps the same moment `seconds` later than `behind` does."""

    ahead: str
    behind: str
    seconds: float
    evidence: str  # "request ids" or "error bursts"
    support: int  # shared request ids, or error events of `ahead` in the bursts


def estimate_skew(
    frames: Mapping[str, pd.DataFrame], hosts: Mapping[str, HostOf]
) -> list[ClockSkew]:
    """Skews worth reporting between the named hosts of a bundle, largest first."""
    named = {name: host.name for name, host in hosts.items() if host.name and name in frames}
    if len(set(named.values())) < 2:
        return []
    found = _by_request_ids(frames, named)
    measured = {frozenset((s.ahead, s.behind)) for s in found}
    found += [
        s for s in _by_bursts(frames, named) if frozenset((s.ahead, s.behind)) not in measured
    ]
    found = [s for s in found if abs(s.seconds) >= REPORT_SECONDS[s.evidence]]
    return sorted(found, key=lambda s: (-abs(s.seconds), s.ahead, s.behind))


def _by_request_ids(
    frames: Mapping[str, pd.DataFrame], named: Mapping[str, str]
) -> list[ClockSkew]:
    """Median time difference of the request ids two hosts share.

    Each id's first time per host is compared with the next host (by name) that logged it, not
    with every other one: a proxy and an app share ids in pairs, and an id seen by k hosts must
    not cost k² rows.
    """
    names = sorted(set(named.values()))
    hosts, ids, stamps = [], [], []
    for name, host in named.items():
        events = frames[name]
        known = events["request_id"].notna().to_numpy() & events["ts"].notna().to_numpy()
        if known.any():
            ids.append(events["request_id"][known])
            stamps.append(events["ts"][known].dt.tz_localize(None).to_numpy().view("i8"))
            hosts.append(np.full(int(known.sum()), names.index(host)))
    if len(hosts) < 2:
        return []
    # Factorized as arrow strings: a Python object per request id cost 400 MB at 2M events.
    codes = pd.factorize(pd.concat(ids, ignore_index=True))[0]
    host, ts = np.concatenate(hosts), np.concatenate(stamps)
    del ids, hosts, stamps
    rate = len(codes) // SAMPLE_IDS + 1
    if rate > 1:
        # One factorization for all hosts, so a code picks the same id on every host: a median
        # needs thousands of pairs, not millions.
        kept = codes % rate == 0
        codes, host, ts = codes[kept], host[kept], ts[kept]
    # Each id's first time per host, by id then host: sorted by time within each (id, host), the
    # first row of each is its earliest. A groupby min gives the same at twice the memory.
    order = np.lexsort((ts, host, codes))
    codes, host, ts = codes[order], host[order], ts[order]
    del order
    first = np.ones(len(codes), dtype=bool)
    first[1:] = (codes[1:] != codes[:-1]) | (host[1:] != host[:-1])
    codes, host, ts = codes[first], host[first], ts[first]
    same_id = codes[1:] == codes[:-1]
    a, b, delta = host[:-1][same_id], host[1:][same_id], (ts[1:] - ts[:-1])[same_id]
    del codes, host, ts, same_id
    # Host pairs in order, each pair's differences in one slice (a median ignores their order).
    order = np.lexsort((b, a))
    a, b, delta = a[order], b[order], delta[order]
    starts = np.flatnonzero(np.r_[True, (a[1:] != a[:-1]) | (b[1:] != b[:-1])])
    out: list[ClockSkew] = []
    for start, end in zip(starts, [*starts[1:], len(a)], strict=True) if len(a) else ():
        if end - start < MIN_SHARED_IDS:
            continue
        seconds = float(np.median(delta[start:end])) / _NS
        first_host, second_host = int(a[start]), int(b[start])
        ahead, behind = (
            (names[second_host], names[first_host])
            if seconds >= 0
            else (names[first_host], names[second_host])
        )
        out.append(
            ClockSkew(ahead, behind, round(abs(seconds), 3), "request ids", int(end - start))
        )
    return out


def _by_bursts(frames: Mapping[str, pd.DataFrame], named: Mapping[str, str]) -> list[ClockSkew]:
    """Each host's per-second errors against all other hosts' together: one lag per host."""
    seconds: dict[str, list[np.ndarray]] = {}
    for name, host in named.items():
        events = frames[name]
        ts = events["ts"][is_failure(events).to_numpy(dtype=bool) & events["ts"].notna().to_numpy()]
        seconds.setdefault(host, []).append(ts.dt.tz_localize(None).to_numpy().view("i8") // _NS)
    errors = _around_the_busiest_minute({h: np.concatenate(p) for h, p in seconds.items()})
    errors = {host: values for host, values in errors.items() if len(values) >= MIN_BURST_ERRORS}
    if len(errors) < 2:
        return []
    low = min(values.min() for values in errors.values()) - MAX_LAG_SECONDS
    high = max(values.max() for values in errors.values()) + MAX_LAG_SECONDS
    counts = {
        h: np.log1p(np.bincount(v - low, minlength=high - low + 1)) for h, v in errors.items()
    }
    total = sum(counts.values())
    hosts = sorted(counts)
    out = []
    # Two hosts are one pair; with more, each host is measured against all the others together.
    for host in hosts[:1] if len(hosts) == 2 else hosts:
        lag, score = _best_lag(counts[host], total - counts[host])
        if score >= MIN_BURST_CORRELATION and lag != 0:
            others = hosts[1] if len(hosts) == 2 else "the other hosts"
            ahead, behind = (host, others) if lag > 0 else (others, host)
            out.append(ClockSkew(ahead, behind, float(abs(lag)), "error bursts", len(errors[host])))
    return out


def _around_the_busiest_minute(errors: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Each host's error seconds within `BURST_SPAN` of the minute with most errors: a per-second
    series over months of logs would cost gigabytes, and the outage is where the errors are."""
    everything = np.concatenate(list(errors.values()))
    if not len(everything):
        return errors
    minutes, counts = np.unique(everything // 60, return_counts=True)
    busiest = int(minutes[np.argmax(counts)]) * 60
    low, high = busiest - BURST_SPAN_SECONDS, busiest + BURST_SPAN_SECONDS
    return {host: values[(values >= low) & (values <= high)] for host, values in errors.items()}


def _best_lag(series: np.ndarray, reference: np.ndarray) -> tuple[int, float]:
    """The shift (seconds) of `series` against `reference` with the highest correlation."""
    if series.std() == 0 or reference.std() == 0:
        return 0, 0.0
    a = (series - series.mean()) / series.std()
    b = (reference - reference.mean()) / reference.std()
    n = len(a)
    size = 1 << int(np.ceil(np.log2(2 * n)))
    spectrum = np.fft.rfft(a, size) * np.conj(np.fft.rfft(b, size))
    correlation = np.fft.irfft(spectrum, size) / n
    lags = np.arange(-MAX_LAG_SECONDS, MAX_LAG_SECONDS + 1)
    values = correlation[lags % size]
    best = int(np.argmax(values))
    return int(lags[best]), float(values[best])
