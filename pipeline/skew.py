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
SAMPLE_IDS = 200_000  # more request-id lines than this are sampled by a hash of the id
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
            ids.append(events["request_id"][known].astype(object).to_numpy())
            stamps.append(events["ts"][known].dt.tz_localize(None).to_numpy().view("i8"))
            hosts.append(np.full(int(known.sum()), names.index(host)))
    if len(hosts) < 2:
        return []
    every_id, host_of, stamp = np.concatenate(ids), np.concatenate(hosts), np.concatenate(stamps)
    rate = len(every_id) // SAMPLE_IDS + 1
    if rate > 1:
        # The same ids on every host (a hash, not a random draw): a median needs thousands of
        # pairs, not millions.
        kept = pd.util.hash_array(every_id) % np.uint64(rate) == 0
        every_id, host_of, stamp = every_id[kept], host_of[kept], stamp[kept]
    codes, _ = pd.factorize(every_id)
    first = (
        pd.DataFrame({"id": codes, "host": host_of, "ts": stamp})
        .groupby(["id", "host"], sort=True)["ts"]
        .min()
        .reset_index()
    )
    same_id = first["id"].to_numpy()[1:] == first["id"].to_numpy()[:-1]
    pairs = pd.DataFrame(
        {
            "a": first["host"].to_numpy()[:-1][same_id],
            "b": first["host"].to_numpy()[1:][same_id],
            "delta": (first["ts"].to_numpy()[1:] - first["ts"].to_numpy()[:-1])[same_id],
        }
    )
    out = []
    for (a, b), group in pairs.groupby(["a", "b"], sort=True):
        if len(group) < MIN_SHARED_IDS:
            continue
        seconds = float(np.median(group["delta"].to_numpy())) / _NS
        ahead, behind = (names[b], names[a]) if seconds >= 0 else (names[a], names[b])
        out.append(ClockSkew(ahead, behind, round(abs(seconds), 3), "request ids", len(group)))
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
