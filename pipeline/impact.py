"""What the outage cost inside the window: requests, failures, clients, endpoints, latency.

Endpoints have their ids masked (`/api/orders/8812` -> `/api/orders/{id}`) so that one broken
route shows as one row, not as a thousand URLs seen once each.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.series import is_error, is_failed_request, is_request

TOP_ENDPOINTS = 5

# A path segment that is an identifier: a number, a UUID, a long hex or random token, or any
# segment with three digits or more (`ord_8812`). `v2` or `2fa` stay.
_ID_SEGMENT = (
    r"/([0-9]+|[0-9a-fA-F]{8}-[0-9a-fA-F-]{27}|[0-9a-fA-F]{12,}|[A-Za-z0-9_-]{24,}"
    r"|[^/]*[0-9][^/]*[0-9][^/]*[0-9][^/]*)(/|$)"
)


@dataclass(frozen=True)
class Impact:
    requests: int
    failed_requests: int
    failed_ratio: float | None
    clients: int
    clients_affected: int
    clients_affected_ratio: float | None
    endpoints: tuple[dict, ...]  # {endpoint, requests, failed_requests, failed_ratio}
    latency_ms: dict  # {before: {p50, p95, p99}, during: {...}}
    bytes: dict  # {during, before_per_minute, during_per_minute}
    error_events: int
    error_events_by_service: dict[str, int]


def mask_endpoint(paths: pd.Series) -> pd.Series:
    """`/api/orders/8812?x=1` -> `/api/orders/{id}`; ids masked, query dropped."""
    array = pa.array(paths.astype(object).fillna("").to_numpy(dtype=object), pa.string())
    out = pc.replace_substring_regex(array, r"[?#].*$", "")
    # Twice: adjacent id segments share the slash between them, so one pass masks every other.
    for _ in range(2):
        out = pc.replace_substring_regex(out, _ID_SEGMENT, r"/{id}\2")
    return pd.Series(np.asarray(out.to_pylist(), dtype=object), index=paths.index)


def measure_impact(events: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> Impact:
    """Impact over [start, end), latency compared with the same length of time before it."""
    inside = events[(events["ts"] >= start) & (events["ts"] < end)]
    before = events[(events["ts"] < start) & (events["ts"] >= start - (end - start))]
    requests = inside[is_request(inside)]
    failed = is_failed_request(requests)
    n_requests, n_failed = len(requests), int(failed.sum())
    clients = requests["client_ip"].dropna()
    affected = requests.loc[failed, "client_ip"].dropna()
    n_clients, n_affected = int(clients.nunique()), int(affected.nunique())
    minutes = max((end - start).total_seconds() / 60, 1e-9)
    before_requests = before[is_request(before)]
    before_minutes = max(
        (start - max(before["ts"].min(), start - (end - start))).total_seconds() / 60
        if not before.empty
        else 0.0,
        1e-9,
    )
    errors = inside[is_error(inside)]
    by_service = (
        errors["service"].astype(str).where(errors["service"].notna(), "(unknown)")
        if not errors.empty
        else pd.Series([], dtype=object)
    )
    service_counts = by_service.value_counts()
    return Impact(
        requests=n_requests,
        failed_requests=n_failed,
        failed_ratio=_ratio(n_failed, n_requests),
        clients=n_clients,
        clients_affected=n_affected,
        clients_affected_ratio=_ratio(n_affected, n_clients),
        endpoints=_endpoints(requests, failed),
        latency_ms={
            "before": _percentiles(before_requests["duration_ms"]),
            "during": _percentiles(requests["duration_ms"]),
        },
        bytes={
            "during": int(requests["bytes"].fillna(0).sum()),
            "before_per_minute": round(
                float(before_requests["bytes"].fillna(0).sum()) / before_minutes, 1
            )
            if not before_requests.empty
            else None,
            "during_per_minute": round(float(requests["bytes"].fillna(0).sum()) / minutes, 1),
        },
        error_events=len(errors),
        error_events_by_service={
            str(k): int(v)
            for k, v in sorted(service_counts.items(), key=lambda kv: (-kv[1], kv[0]))
        },
    )


def _endpoints(requests: pd.DataFrame, failed: pd.Series) -> tuple[dict, ...]:
    if requests.empty:
        return ()
    table = pd.DataFrame(
        {
            "endpoint": mask_endpoint(requests["path"]).to_numpy(),
            "failed": failed.to_numpy(dtype=np.int64),
        }
    )
    stats = table.groupby("endpoint", sort=True)["failed"].agg(["size", "sum"]).reset_index()
    stats = stats[stats["sum"] > 0].sort_values(
        ["sum", "size", "endpoint"], ascending=[False, False, True], kind="stable"
    )
    return tuple(
        {
            "endpoint": str(row.endpoint),
            "requests": int(row.size),
            "failed_requests": int(row.sum),
            "failed_ratio": _ratio(int(row.sum), int(row.size)),
        }
        for row in stats.head(TOP_ENDPOINTS).itertuples(index=False)
    )


def _percentiles(values: pd.Series) -> dict | None:
    timed = values.dropna().astype(float)
    if timed.empty:
        return None
    return {
        "p50": round(float(timed.quantile(0.5)), 1),
        "p95": round(float(timed.quantile(0.95)), 1),
        "p99": round(float(timed.quantile(0.99)), 1),
        "count": len(timed),
    }


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None
