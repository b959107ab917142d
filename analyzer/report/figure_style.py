"""What every figure of the report shares: the Agg canvas, the colours, the time axis
(labelled in the chosen zone) and the legend."""

from __future__ import annotations

from typing import Any

import matplotlib.dates as mdates
import polars as pl
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from . import timefmt

SEVERITY_COLOURS = {
    "critical": "#b2182b",
    "high": "#ef8a62",
    "medium": "#7f7f7f",
    "low": "#bdbdbd",
    "info": "#d9d9d9",
}
APPLY = "#4393c3"
FAILED = "#d6604d"
STALL = "#b2182b"
PLAN = "#1b7837"
EMPTY = "#fddbc7"


def new_figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), dpi=110, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def tick_format(start: Any, end: Any, tz: str, *, seconds: bool = False) -> str:
    """Tick labels: the clock, and the date too when the range crosses a day in ``tz``."""
    clock = "%H:%M:%S" if seconds else "%H:%M"
    zone = timefmt.zone(tz)
    if start is None or end is None or start.astimezone(zone).date() != end.astimezone(zone).date():
        return "%m-%d " + clock
    return clock


def time_axis(
    ax: Any, tz: str, start: Any = None, end: Any = None, *, seconds: bool = False
) -> None:
    zone = timefmt.zone(tz)
    locator = mdates.AutoDateLocator(tz=zone, minticks=4, maxticks=10)
    ax.xaxis.set_major_locator(locator)
    fmt = tick_format(start, end, tz, seconds=seconds)
    ax.xaxis.set_major_formatter(mdates.DateFormatter(fmt, tz=zone))
    if start is not None and end is not None:
        ax.set_xlim(start, end)
        first, last = start.astimezone(zone), end.astimezone(zone)
        days = first.strftime("%Y-%m-%d")
        if last.date() != first.date():
            days += " to " + last.strftime("%Y-%m-%d")
        ax.set_xlabel(f"time ({tz}, {first.strftime('%Z')}), {days}")
    else:
        ax.set_xlabel(f"time ({tz})")
    ax.grid(axis="x", color="#e0e0e0", linewidth=0.6)


def column(df: pl.DataFrame, name: str) -> list[Any]:
    return df[name].to_list() if df.height else []


def legend(ax: Any) -> None:
    """The legend beside the axes, when anything drawn has a label (a case with no
    control-plane events draws none)."""
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
