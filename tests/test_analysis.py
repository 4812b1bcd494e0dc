"""Analysis stages on small frames with exact expected values."""

from __future__ import annotations

import pandas as pd
import pytest

from pipeline.analysis import AnalysisOptions, analyse, bound
from pipeline.candidates import rank_candidates
from pipeline.errors import PostmortemError
from pipeline.impact import mask_endpoint, measure_impact
from pipeline.schema import conform
from pipeline.series import bucket_width, build_series, parse_bucket
from pipeline.signatures import signature_of
from pipeline.timeline import build_timeline, collapse_repeats
from pipeline.window import detect_windows, parse_range, window_from_range

T0 = pd.Timestamp("2024-03-14T02:00:00Z")


def requests(minutes: int, per_minute: int, failing: range, status: int = 502) -> pd.DataFrame:
    """`per_minute` requests every minute, evenly spaced; minutes in `failing` all fail."""
    step = 60 // per_minute
    rows = [
        {
            "ts": T0 + pd.Timedelta(minutes=m, seconds=i * step),
            "status": status if m in failing else 200,
            "client_ip": f"203.0.113.{i}",
            "path": f"/api/orders/{1000 + i}",
            "message": f"GET /api/orders/{1000 + i} -> {status if m in failing else 200}",
            "format": "nginx_access",
            "severity": "error" if m in failing else "info",
            "duration_ms": 40.0,
            "bytes": 100,
        }
        for m in range(minutes)
        for i in range(per_minute)
    ]
    frame = pd.DataFrame(rows)
    frame["source_file"] = "access.log"
    frame["line_no"] = range(1, len(frame) + 1)
    return frame


def log_lines(lines: list[tuple[str, str, str]]) -> pd.DataFrame:
    """(time offset like '31min', severity, message) rows of an app log."""
    frame = pd.DataFrame(
        {
            "ts": [T0 + pd.Timedelta(offset) for offset, _, _ in lines],
            "severity": [level for _, level, _ in lines],
            "message": [text for _, _, text in lines],
        }
    )
    frame["source_file"] = "app.log"
    frame["line_no"] = range(1, len(frame) + 1)
    frame["format"] = "json_lines"
    frame["service"] = "checkout"
    return frame


def events(*frames: pd.DataFrame) -> pd.DataFrame:
    both = pd.concat(frames, ignore_index=True).sort_values("ts", kind="stable")
    return conform(both.reset_index(drop=True))


# series ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("span", "width"),
    [("2h", "1min"), ("10min", "10s"), ("30min", "30s"), ("7D", "10min"), ("0s", "1s")],
)
def test_bucket_width_adapts_to_the_span(span: str, width: str) -> None:
    assert bucket_width(pd.Timedelta(span)) == pd.Timedelta(width)


@pytest.mark.parametrize(("text", "width"), [("30s", "30s"), ("5m", "5min"), ("1h", "1h")])
def test_bucket_option_reads_human_durations(text: str, width: str) -> None:
    assert parse_bucket(text) == pd.Timedelta(width)


def test_bad_bucket_is_a_one_line_error() -> None:
    with pytest.raises(PostmortemError, match="--bucket"):
        parse_bucket("soon")


def test_series_is_zero_filled_so_silence_shows() -> None:
    frame = events(requests(3, 6, range(0)))
    frame = frame[frame["ts"].dt.minute != 1].reset_index(drop=True)
    series = build_series(frame, pd.Timedelta(minutes=1))
    assert series["requests"].tolist() == [6, 0, 6]
    assert series["ratio_5xx"].isna().tolist() == [False, True, False]


def test_series_counts_5xx_and_ratio_per_bucket() -> None:
    series = build_series(events(requests(4, 10, range(2, 3))), pd.Timedelta(minutes=1))
    assert series["status_5xx"].tolist() == [0, 0, 10, 0]
    assert series["ratio_5xx"].tolist() == [0.0, 0.0, 1.0, 0.0]
    assert series["latency_p95"].tolist() == [40.0] * 4
    assert series["bytes"].tolist() == [1000] * 4


# window ---------------------------------------------------------------------------------------


def test_window_is_refined_to_first_failure_and_first_good_request() -> None:
    frame = events(requests(60, 10, range(20, 30)))
    detection = detect_windows(frame, build_series(frame, pd.Timedelta(minutes=1)))
    window = detection.main
    assert window is not None
    assert (window.start, window.end) == (
        pd.Timestamp("2024-03-14T02:20:00Z"),
        pd.Timestamp("2024-03-14T02:30:00Z"),
    )
    assert [s.text for s in window.signals] == ["5xx ratio 0 % → 100 % at 02:20 UTC"]
    assert window.main


def test_lone_500_is_not_an_outage() -> None:
    frame = requests(60, 10, range(0))
    frame.loc[100, "status"] = 500
    frame = events(frame)
    assert detect_windows(frame, build_series(frame, pd.Timedelta(minutes=1))).windows == ()


def test_brief_blip_is_not_an_outage() -> None:
    frame = events(requests(60, 10, range(30, 31)))
    detection = detect_windows(frame, build_series(frame, pd.Timedelta(minutes=1)))
    assert detection.windows == ()
    assert len(detection.rejected) == 1


def test_background_404_scans_are_not_an_outage() -> None:
    frame = events(requests(60, 10, range(10, 40), status=404))
    assert detect_windows(frame, build_series(frame, pd.Timedelta(minutes=1))).windows == ()


def test_traffic_silence_is_an_outage() -> None:
    frame = events(requests(60, 10, range(0)))
    silent = (frame["ts"] >= T0 + pd.Timedelta(minutes=20)) & (
        frame["ts"] < T0 + pd.Timedelta(minutes=35)
    )
    frame = frame[~silent].reset_index(drop=True)
    window = detect_windows(frame, build_series(frame, pd.Timedelta(minutes=1))).main
    assert window is not None
    assert (window.start, window.end) == (
        pd.Timestamp("2024-03-14T02:19:54Z"),
        pd.Timestamp("2024-03-14T02:35:00Z"),
    )
    assert window.signals[0].text == "requests fell 100 % (10 → 0 /min) at 02:20 UTC"


def test_latency_degradation_without_errors_is_an_outage() -> None:
    frame = requests(60, 10, range(0))
    slow = (frame["ts"] >= T0 + pd.Timedelta(minutes=40)) & (
        frame["ts"] < T0 + pd.Timedelta(minutes=45)
    )
    frame.loc[slow, "duration_ms"] = 2000.0
    frame = events(frame)
    window = detect_windows(frame, build_series(frame, pd.Timedelta(minutes=1))).main
    assert window is not None
    assert window.start == pd.Timestamp("2024-03-14T02:40:00Z")
    assert window.signals[0].text == "p95 latency 40 ms → 2000 ms at 02:40 UTC"


def test_given_window_overrides_detection() -> None:
    frame = events(requests(60, 10, range(20, 30)))
    start, end = parse_range("2024-03-14T02:10:00Z..2024-03-14T02:40")
    detection = window_from_range(frame, build_series(frame, pd.Timedelta(minutes=1)), start, end)
    assert detection.main.overridden
    assert (detection.main.start, detection.main.end) == (start, end)


def test_window_option_must_be_a_range() -> None:
    with pytest.raises(PostmortemError, match=r"START\.\.END"):
        parse_range("2024-03-14T02:10:00Z")


def test_since_and_until_bound_the_events() -> None:
    frame = events(requests(10, 6, range(0)))
    kept = bound(frame, T0 + pd.Timedelta(minutes=2), T0 + pd.Timedelta(minutes=4))
    assert len(kept) == 12


# signatures -----------------------------------------------------------------------------------


def test_signature_masks_variables_and_groups_repeats() -> None:
    messages = pd.Series(
        [
            "connect() to 10.0.0.7:5432 failed after 3000ms (attempt 3)",
            "connect() to 10.0.0.9:5432 failed after 120ms (attempt 1)",
            'user "alice" from db-1.internal:6432 id=550e8400-e29b-41d4-a716-446655440000',
            "opened /var/lib/app/data-17.db at 2024-03-14T02:31:05Z, mail ops@example.com",
        ]
    )
    assert signature_of(messages).tolist() == [
        "connect() to <ip>:<num> failed after <duration> (attempt <num>)",
        "connect() to <ip>:<num> failed after <duration> (attempt <num>)",
        'user "<*>" from <host>:<port> id=<uuid>',
        "opened <path> at <ts>, mail <email>",
    ]


# impact ---------------------------------------------------------------------------------------


def test_endpoint_ids_are_masked() -> None:
    paths = pd.Series(
        [
            "/api/orders/8812?x=1",
            "/api/v2/users/550e8400-e29b-41d4-a716-446655440000/cart",
            "/health",
        ]
    )
    assert mask_endpoint(paths).tolist() == [
        "/api/orders/{id}",
        "/api/v2/users/{id}/cart",
        "/health",
    ]


def test_impact_counts_requests_failures_and_clients() -> None:
    frame = events(requests(60, 10, range(20, 30)))
    impact = measure_impact(
        frame, pd.Timestamp("2024-03-14T02:20:00Z"), pd.Timestamp("2024-03-14T02:30:00Z")
    )
    assert (impact.requests, impact.failed_requests, impact.failed_ratio) == (100, 100, 1.0)
    assert (impact.clients, impact.clients_affected) == (10, 10)
    assert impact.endpoints[0] == {
        "endpoint": "/api/orders/{id}",
        "requests": 100,
        "failed_requests": 100,
        "failed_ratio": 1.0,
    }
    assert impact.latency_ms["during"]["p95"] == 40.0


# candidates and timeline ----------------------------------------------------------------------


def test_new_error_just_before_the_window_ranks_first() -> None:
    app = log_lines(
        [(f"{m}min", "info", f"heartbeat ok seq={m}") for m in range(0, 60, 5)]
        + [
            (
                "19min50s",
                "error",
                "HikariPool-1 - Connection is not available, timed out after 30000ms",
            )
        ]
        + [(f"{m}min10s", "error", f"order {m} failed: pool exhausted") for m in range(20, 30)]
    )
    frame = events(requests(60, 10, range(20, 30)), app)
    sigs = signature_of(frame["message"])
    ranked = rank_candidates(
        frame, sigs, pd.Timestamp("2024-03-14T02:20:00Z"), pd.Timestamp("2024-03-14T02:30:00Z")
    )
    assert (
        ranked[0].signature
        == "HikariPool-<num> - Connection is not available, timed out after <duration>"
    )
    assert ranked[0].evidence[0]["file"] == "app.log"
    assert ranked[0].reason.startswith("first seen 10 s before the window; never seen outside it")
    assert all("heartbeat" not in c.signature for c in ranked[:2])


def test_repeats_collapse_with_a_count() -> None:
    rows = pd.DataFrame(
        {
            "ts": pd.to_datetime(
                ["2024-03-14T02:00:00Z", "2024-03-14T02:00:10Z", "2024-03-14T02:01:00Z"]
            ),
            "source": ["syslog"] * 3,
            "kind": ["restart", "restart", "start"],
            "text": ["restart counter is at 1", "restart counter is at 2", "Started x"],
            "file": ["syslog"] * 3,
            "line": [1, 2, 3],
        }
    )
    out = collapse_repeats(rows)
    assert out["count"].tolist() == [2, 1]
    assert out["last_ts"].iloc[0] == pd.Timestamp("2024-03-14T02:00:10Z")


def test_a_burst_collapses_though_other_sources_interleave_and_a_pause_ends_it() -> None:
    """A proxy's timeouts every second, the app's pool errors between them: two rows, not 2 × n;
    the same timeout after a 10-minute pause is a new burst."""
    seconds = [f"2024-03-14T02:00:{s:02d}Z" for s in range(0, 20, 2)]
    proxy = [("nginx", "timeout", f"upstream timed out ({n})", t) for n, t in enumerate(seconds)]
    app = [("app", "pool_exhausted", f"pool exhausted ({n})", t) for n, t in enumerate(seconds)]
    later = [("nginx", "timeout", "upstream timed out (99)", "2024-03-14T02:10:00Z")]
    ordered = sorted(proxy + app + later, key=lambda row: row[3])
    rows = pd.DataFrame(
        {
            "ts": pd.to_datetime([row[3] for row in ordered]),
            "source": [row[0] for row in ordered],
            "kind": [row[1] for row in ordered],
            "text": [row[2] for row in ordered],
            "file": [row[0] for row in ordered],
            "line": range(len(ordered)),
        }
    )
    out = collapse_repeats(rows)
    assert list(zip(out["source"], out["count"], strict=True)) == [
        ("nginx", 10),
        ("app", 10),
        ("nginx", 1),
    ]
    assert out["last_ts"].iloc[0] == pd.Timestamp("2024-03-14T02:00:18Z")


def test_routine_key_events_away_from_the_window_leave_the_timeline() -> None:
    """sysstat starts every ten minutes all day: not part of the outage's story."""
    stamps = pd.date_range("2024-03-14T00:00:05Z", "2024-03-14T05:00:05Z", freq="10min")
    routine = pd.DataFrame(
        {
            "ts": stamps,
            "kind": "start",
            "text": "Starting sysstat-collect.service",
            "file": "syslog",
            "line": range(len(stamps)),
        }
    )
    restart = pd.DataFrame(
        {
            "ts": [pd.Timestamp("2024-03-14T02:31:00Z")],
            "kind": ["restart"],
            "text": ["checkout.service: Scheduled restart job"],
            "file": ["syslog"],
            "line": [999],
        }
    )
    start, end = pd.Timestamp("2024-03-14T02:30:00Z"), pd.Timestamp("2024-03-14T02:40:00Z")
    timeline = build_timeline(pd.concat([routine, restart]), pd.DataFrame(), start, end)
    assert timeline["kind"].tolist() == ["window_start", "restart", "window_end"]


def test_a_long_timeline_is_cut_in_its_log_lines_never_in_the_window_edges() -> None:
    stamps = pd.date_range("2024-03-14T02:30:00Z", periods=100, freq="3min")
    many = pd.DataFrame(
        {
            "ts": stamps,
            "kind": "restart",
            "text": [f"unit-{n}.service: Scheduled restart job" for n in range(100)],
            "file": [f"host-{n}/syslog" for n in range(100)],
            "line": range(100),
        }
    )
    start, end = stamps[0], stamps[-1]
    timeline = build_timeline(many, pd.DataFrame(), start, end, max_rows=10)
    assert len(timeline) == 10
    assert timeline["kind"].tolist()[-1] == "window_end"
    assert timeline["kind"].tolist().count("restart") == 8


def test_analyse_with_bucket_and_no_incident() -> None:
    findings = analyse(
        events(requests(30, 6, range(0))), AnalysisOptions(bucket=pd.Timedelta("30s"))
    )
    assert findings.width == pd.Timedelta("30s")
    assert findings.window is None
    assert findings.candidates == []


def test_app_log_requests_do_not_double_count_the_access_log() -> None:
    access = requests(2, 6, range(0))
    app = access.assign(format="json_lines", source_file="app.log")
    frame = events(access, app)
    series = build_series(frame, pd.Timedelta(minutes=1))
    assert series["requests"].tolist() == [6, 6]
    only_app = events(app)
    assert build_series(only_app, pd.Timedelta(minutes=1))["requests"].tolist() == [6, 6]
