"""The incident chart: requests, 5xx and error events per bucket, window shaded, key events marked.

One picture tells a reader the shape of the outage before any table does. The chart is written
beside the draft and must be byte-identical for identical input (drafts are committed and diffed,
CI compares runs), so it is drawn on a private Agg Figure (no pyplot state), fonts become paths (no
font lookup at view time, and no text that a viewer could interpret), element ids come from a
fixed `svg.hashsalt`, and the metadata carries no date or version.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

from pipeline.escape import plain

if TYPE_CHECKING:  # matplotlib takes 0.3 s to import: only a run that draws a chart pays it
    from matplotlib.figure import Figure

COLUMNS = ("requests", "failed", "errors")
WINDOW_ID = "outage-window"
MAX_LABEL = 40
_RC = {
    "svg.hashsalt": "postmortem",
    "svg.fonttype": "path",
    "font.family": "DejaVu Sans",
    "font.size": 8,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
_COLORS = {"requests": "#4c72b0", "failed": "#c44e52", "errors": "#dd8452", "window": "#c44e52"}


@dataclass(frozen=True)
class ChartInput:
    """What the chart shows.

    `series` is indexed by bucket start (UTC) with integer columns `requests`, `failed` (5xx)
    and `errors` (error-severity events); missing columns count as zero.
    """

    series: pd.DataFrame
    window_start: pd.Timestamp | None = None
    window_end: pd.Timestamp | None = None
    key_events: Sequence[tuple[pd.Timestamp, str]] = field(default_factory=tuple)

    @classmethod
    def from_series(
        cls,
        series: pd.DataFrame,
        window: tuple[pd.Timestamp, pd.Timestamp] | None = None,
        key_events: Sequence[tuple[pd.Timestamp, str]] = (),
    ) -> ChartInput:
        """From `pipeline.series.build_series` output, which names 5xx `status_5xx`."""
        renamed = series.rename(columns={"status_5xx": "failed"})
        start, end = window if window else (None, None)
        return cls(renamed, start, end, tuple(key_events))


def render_chart(data: ChartInput, fmt: str = "svg") -> bytes:
    """The chart as SVG (default) or PNG bytes; the same input always gives the same bytes."""
    if fmt not in ("svg", "png"):
        raise ValueError(f"chart format must be svg or png, not {fmt!r}")
    import matplotlib

    with matplotlib.rc_context(_RC):
        figure = _draw(data)
        buffer = io.BytesIO()
        metadata = {"Date": None, "Creator": "postmortem"} if fmt == "svg" else {"Software": None}
        figure.savefig(buffer, format=fmt, dpi=100, metadata=metadata)
    return buffer.getvalue()


def _draw(data: ChartInput) -> Figure:
    import matplotlib.dates as mdates
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(10, 4.8), layout="constrained")
    FigureCanvasAgg(figure)  # Agg, attached to this figure only: no global backend switch
    top, bottom = figure.subplots(2, 1, sharex=True, height_ratios=(3, 2))
    frame = _counts(data.series)
    if frame.empty:
        top.text(0.5, 0.5, "no events to chart", ha="center", va="center", transform=top.transAxes)
        bottom.set_axis_off()
        return figure
    times = _naive_utc(frame.index)
    top.step(times, frame["requests"], where="post", color=_COLORS["requests"], label="requests")
    bottom.step(times, frame["failed"], where="post", color=_COLORS["failed"], label="5xx")
    bottom.step(times, frame["errors"], where="post", color=_COLORS["errors"], label="errors")
    top.set_ylabel("requests")
    bottom.set_ylabel("5xx / errors")
    for axes, gid in ((top, WINDOW_ID), (bottom, f"{WINDOW_ID}-lower")):
        axes.set_ylim(bottom=0)
        axes.grid(axis="y", color="#dddddd", linewidth=0.6)
        if data.window_start is not None and data.window_end is not None:
            span = axes.axvspan(
                *_naive_utc(pd.DatetimeIndex([data.window_start, data.window_end])),
                color=_COLORS["window"],
                alpha=0.12,
                linewidth=0,
                label="outage window" if axes is top else None,
            )
            span.set_gid(gid)
    for number, (when, label) in enumerate(data.key_events, start=1):
        x = _naive_utc(pd.DatetimeIndex([when]))[0]
        for axes in (top, bottom):
            line = axes.axvline(x, color="#555555", linewidth=0.7, linestyle="--")
            line.set_gid(f"key-event-{number}-{'top' if axes is top else 'lower'}")
        top.text(
            x,
            1.0,
            f" {number}. {_short(label)}",
            transform=top.get_xaxis_transform(),
            rotation=90,
            va="top",
            ha="right",
            fontsize=7,
            color="#333333",
            parse_math=False,
        )
    locator = mdates.AutoDateLocator()
    bottom.xaxis.set_major_locator(locator)
    bottom.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    bottom.set_xlabel("time (UTC)")
    top.legend(loc="upper left", frameon=False)
    bottom.legend(loc="upper left", frameon=False)
    top.set_title("Requests, 5xx responses and error events per bucket", loc="left")
    return figure


def _counts(series: pd.DataFrame) -> pd.DataFrame:
    frame = pd.DataFrame(index=series.index)
    for column in COLUMNS:
        values = series[column] if column in series else pd.Series(0, index=series.index)
        frame[column] = pd.to_numeric(values).fillna(0).astype("int64")
    return frame.sort_index()


def _naive_utc(index: pd.Index) -> list:
    """Matplotlib dates from UTC timestamps, whatever zone (or none) they carry."""
    import matplotlib.dates as mdates

    stamps = pd.DatetimeIndex(index)
    if stamps.tz is not None:
        stamps = stamps.tz_convert("UTC").tz_localize(None)
    return list(mdates.date2num(stamps.to_pydatetime()))


def _short(label: str) -> str:
    text = plain(label)
    return text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 1] + "…"
