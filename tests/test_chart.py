"""The incident chart: valid SVG, the window shaded, key events marked, the same bytes every run."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pandas as pd
import pytest

from pipeline.chart import WINDOW_ID, ChartInput, render_chart

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def outage() -> ChartInput:
    index = pd.date_range("2024-03-14T02:00:00Z", periods=90, freq="1min")
    series = pd.DataFrame(
        {
            "requests": [100] * 30 + [40] * 30 + [100] * 30,
            "failed": [1] * 30 + [60] * 30 + [0] * 30,
            "errors": [0] * 30 + [12] * 30 + [0] * 30,
        },
        index=index,
    )
    return ChartInput(
        series,
        window_start=pd.Timestamp("2024-03-14T02:30:00Z"),
        window_end=pd.Timestamp("2024-03-14T03:00:00Z"),
        key_events=[
            (pd.Timestamp("2024-03-14T02:29:00Z"), "nginx reload"),
            (pd.Timestamp("2024-03-14T02:59:00Z"), "rollback to v1.2.3"),
        ],
    )


def _ids(svg: bytes) -> set[str]:
    return {element.get("id", "") for element in ET.fromstring(svg).iter()}


def test_svg_parses_and_shades_the_window(outage: ChartInput) -> None:
    root = ET.fromstring(render_chart(outage))
    assert root.tag == f"{SVG}svg"
    window = next(element for element in root.iter() if element.get("id") == WINDOW_ID)
    paths = list(window.iter(f"{SVG}path"))
    assert len(paths) == 1
    assert "fill: #c44e52" in paths[0].get("style", "")


def test_key_events_are_marked_on_both_panels(outage: ChartInput) -> None:
    ids = _ids(render_chart(outage))
    assert {f"key-event-{n}-{panel}" for n in (1, 2) for panel in ("top", "lower")} <= ids


def test_two_runs_give_identical_bytes(outage: ChartInput) -> None:
    assert render_chart(outage) == render_chart(outage)
    assert render_chart(outage, "png") == render_chart(outage, "png")


def test_svg_carries_no_date_and_no_version(outage: ChartInput) -> None:
    svg = render_chart(outage)
    assert b"<dc:date>" not in svg
    assert b"Matplotlib v" not in svg


def test_png_on_request(outage: ChartInput) -> None:
    assert render_chart(outage, "png").startswith(b"\x89PNG\r\n\x1a\n")


def test_no_window_no_shading(outage: ChartInput) -> None:
    quiet = ChartInput(outage.series)
    assert WINDOW_ID not in _ids(render_chart(quiet))


def test_hostile_label_cannot_inject_markup(outage: ChartInput) -> None:
    label = "--> <script>alert(1)</script> $\\frac{1}{0}$ \u202eevil"
    hostile = ChartInput(outage.series, key_events=[(pd.Timestamp("2024-03-14T02:10Z"), label)])
    svg = render_chart(hostile)
    assert b"<script" not in svg
    assert b"\xe2\x80\xae" not in svg  # the bidi override is dropped
    assert ET.fromstring(svg) is not None


def test_series_from_the_analysis_uses_status_5xx(outage: ChartInput) -> None:
    series = outage.series.rename(columns={"failed": "status_5xx"})
    window = (outage.window_start, outage.window_end)
    data = ChartInput.from_series(series, window, outage.key_events)
    assert render_chart(data) == render_chart(outage)


def test_empty_series_still_draws() -> None:
    empty = pd.DataFrame(
        {"requests": [], "failed": [], "errors": []}, index=pd.DatetimeIndex([], tz="UTC")
    )
    assert ET.fromstring(render_chart(ChartInput(empty))) is not None


def test_unknown_format_is_refused(outage: ChartInput) -> None:
    with pytest.raises(ValueError, match="svg or png"):
        render_chart(outage, "gif")
