"""The report's figures, drawn on matplotlib's Agg canvas (no display, no pyplot).

Imported only when a figure is wanted, so ``import analyzer`` never imports
matplotlib. Each ``draw_*`` takes the frames of :mod:`analyzer.report.figure_data`
and returns a ``matplotlib.figure.Figure`` bound to an Agg canvas (pyplot's global
backend is left alone, so a notebook's inline display keeps working);
:func:`render_figures` draws all three for a case. Axes are labelled in the chosen
time zone.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Mapping
from typing import Any

import polars as pl
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from . import figure_data, timefmt
from .figure_style import (
    APPLY,
    EMPTY,
    FAILED,
    PLAN,
    SEVERITY_COLOURS,
    STALL,
    column,
    legend,
    new_figure,
    time_axis,
)
from .figure_style import tick_format as tick_format  # re-exported: its old home


def draw_swimlane(data: Mapping[str, pl.DataFrame], tz: str = "UTC") -> Figure:
    """A lane per host: plans written, apply spans (failed ones red), stalls, plan
    deletions (a live plan's deletion marked ✕ in red), operator actions, findings.

    With a trigger, two panels: the whole incident (routine clean-ups left out), and a
    close-up from the stall to the deletion of the live plan, where the race is visible.
    """
    lanes = data["lanes"]
    n = max(lanes.height, 1)
    zoom = data.get("zoom")
    panels = [("overview", *data["window"].row(0))]
    if zoom is not None and zoom.height:
        panels.append(("close-up", *zoom.row(0)))
    fig = new_figure(11, len(panels) * (1.0 + 0.55 * n) + 0.3)
    axes = fig.subplots(len(panels), 1, squeeze=False)[:, 0]
    y = {r["lane"]: n - 1 - r["order"] for r in lanes.iter_rows(named=True)}
    for ax, (name, start, end) in zip(axes, panels, strict=True):
        _lanes_panel(ax, data, y, start, end, detailed=(name == "close-up" or len(panels) == 1))
        ax.set_yticks(list(y.values()), list(y.keys()), fontsize=9)
        ax.set_ylim(-0.7, n - 0.3)
        time_axis(ax, tz, start, end, seconds=(name == "close-up"))
        title = (
            "Who did what: plans, applies, stalls and clean-ups per host"
            if name == "overview"
            else "Close-up: from the stall to the deletion of the live plan"
        )
        ax.set_title(title, fontsize=11, loc="left")
        legend(ax)
    return fig


def _in(df: pl.DataFrame, col: str, start: Any, end: Any) -> pl.DataFrame:
    if not df.height:
        return df
    return df.filter(pl.col(col).is_between(start, end))


def _lanes_panel(
    ax: Any,
    data: Mapping[str, pl.DataFrame],
    y: Mapping[str, int],
    start: Any,
    end: Any,
    *,
    detailed: bool,
) -> None:
    plans = _in(data["plans"], "ts", start, end)
    if plans.height:
        ax.scatter(
            column(plans, "ts"),
            [y.get(h, 0) for h in column(plans, "lane")],
            marker="|",
            s=120 if detailed else 60,
            linewidths=1.0 if detailed else 0.5,
            color=PLAN,
            label="plan written",
        )
    applies = data["applies"]
    if applies.height:
        applies = applies.filter(
            (pl.col("start") <= end) & (pl.col("end").fill_null(pl.col("start")) >= start)
        )
    min_width = (end - start) / 2000
    for failed, colour, label in ((False, APPLY, "apply"), (True, FAILED, "apply failed")):
        part = applies.filter(pl.col("failed") == failed) if applies.height else applies
        spans: dict[str, list[tuple[Any, Any]]] = {}
        for r in part.iter_rows(named=True):
            stop = r["end"] or r["start"]
            spans.setdefault(r["lane"], []).append((r["start"], max(stop - r["start"], min_width)))
        for i, (lane, bars) in enumerate(spans.items()):
            ax.broken_barh(
                bars,
                (y.get(lane, 0) - 0.18, 0.36),
                facecolors=colour,
                label=label if i == 0 else None,
            )
    for i, r in enumerate(data["stalls"].iter_rows(named=True)):
        if r["start"] is None or r["end"] is None:
            continue
        ax.broken_barh(
            [(r["start"], r["end"] - r["start"])],
            (y.get(r["lane"], 0) - 0.3, 0.6),
            facecolors="none",
            edgecolors=STALL,
            hatch="///",
            linewidth=1.2,
            label="stall" if i == 0 else None,
        )
        ax.annotate(
            f"stall: gen {r['generation']}, "
            + timefmt.duration((r["end"] - r["start"]).total_seconds()),
            (max(r["start"], start), y.get(r["lane"], 0) + 0.36),
            fontsize=8,
            color=STALL,
            va="bottom",
        )
    cleanups = _in(data["cleanups"], "ts", start, end)
    if cleanups.height:
        live = cleanups.filter(pl.col("live"))
        parts = [(live, "X", STALL, 110, "live plan deleted")]
        if detailed:
            starts = cleanups.filter(pl.col("event") == "cleanup_start")
            deletes = cleanups.filter((pl.col("event") == "plan_delete") & ~pl.col("live"))
            parts = [
                (starts, ">", "#542788", 25, "clean-up starts"),
                (deletes, "x", "#8073ac", 18, "plan deleted"),
                *parts,
            ]
        for part, marker, colour, size, label in parts:
            if part.height:
                ax.scatter(
                    column(part, "ts"),
                    [y.get(h, 0) for h in column(part, "lane")],
                    marker=marker,
                    s=size,
                    color=colour,
                    label=label,
                    zorder=3,
                )
    for r in _in(data["operator"], "ts", start, end).iter_rows(named=True):
        ax.scatter([r["ts"]], [y.get(r["lane"], 0)], marker="D", s=30, color="black", zorder=3)
        ax.annotate(r["action"], (r["ts"], y.get(r["lane"], 0) + 0.2), fontsize=8, rotation=20)
    _marks(ax, _in(data["marks"], "ts", start, end))


def _marks(ax: Any, marks: pl.DataFrame) -> None:
    seen: set[str] = set()
    for r in marks.iter_rows(named=True):
        colour = SEVERITY_COLOURS.get(r["severity"], "#999999")
        label = f"finding ({r['severity']})" if r["severity"] not in seen else None
        seen.add(r["severity"])
        ax.axvline(r["ts"], color=colour, linewidth=0.9, linestyle="--", alpha=0.8, label=label)


def draw_generations(data: Mapping[str, pl.DataFrame], tz: str = "UTC") -> Figure:
    """Per affected endpoint: the effective generation over time (a step line), the newest
    plan written (dotted), stale overwrites (red dots) and the empty interval (shaded)."""
    endpoints = column(data["endpoints"], "endpoint") or ["(no affected endpoint)"]
    fig = new_figure(11, 1.0 + 2.4 * len(endpoints))
    axes = fig.subplots(len(endpoints), 1, sharex=True, squeeze=False)[:, 0]
    start, end = data["window"].row(0)
    newest = data["newest"]
    for ax, ep in zip(axes, endpoints, strict=True):
        steps = data["steps"].filter(pl.col("endpoint") == ep) if data["steps"].height else None
        if steps is not None and steps.height:
            xs, ys = column(steps, "ts"), column(steps, "generation")
            ax.step(
                [*xs, end], [*ys, ys[-1]], where="post", color=APPLY, label="effective generation"
            )
            restores = steps.filter(pl.col("source") == "restore")
            if restores.height:
                ax.scatter(
                    column(restores, "ts"),
                    column(restores, "generation"),
                    marker="D",
                    color="black",
                    s=30,
                    zorder=3,
                    label="operator restore",
                )
        if newest.height:
            ax.step(
                column(newest, "ts"),
                column(newest, "generation"),
                where="post",
                color=PLAN,
                linestyle=":",
                linewidth=1,
                label="newest plan written",
            )
        for i, r in enumerate(data["empty"].filter(pl.col("endpoint") == ep).iter_rows(named=True)):
            ax.axvspan(
                r["start"],
                r["end"] or end,
                color=EMPTY,
                alpha=0.9,
                zorder=0,
                label="empty (no records)" if i == 0 else None,
            )
            mid = r["start"] + ((r["end"] or end) - r["start"]) / 2
            ax.annotate(
                "EMPTY",
                (mid, 0.88),
                xycoords=("data", "axes fraction"),
                ha="center",
                color=STALL,
                fontsize=10,
                fontweight="bold",
            )
        over = data["overwrites"].filter(pl.col("endpoint") == ep)
        if over.height:
            ax.scatter(
                column(over, "ts"),
                column(over, "generation"),
                color=STALL,
                s=45,
                zorder=4,
                label="stale overwrite",
            )
            for r in over.iter_rows(named=True):
                if r["previous"] is not None:
                    ax.annotate(
                        f"stale overwrite {r['previous']} → {r['generation']}",
                        (r["ts"], r["generation"]),
                        xytext=(8, -14),
                        textcoords="offset points",
                        fontsize=8,
                        color=STALL,
                    )
        ax.set_title(ep, fontsize=10, loc="left")
        ax.set_ylabel("generation")
        legend(ax)
        ax.yaxis.get_major_formatter().set_useOffset(False)
        time_axis(ax, tz, start, end)
    fig.suptitle("Effective generation per endpoint (shaded: empty)", fontsize=11)
    return fig


def draw_dns_ratio(data: Mapping[str, pl.DataFrame], tz: str = "UTC") -> Figure:
    """The share of failed DNS queries per minute, one line per endpoint; failure windows
    shaded by severity; the 50% line that makes a window critical."""
    fig = new_figure(11, 3.6)
    ax = fig.add_subplot()
    ratio = data["ratio"]
    names = list(dict.fromkeys(column(ratio, "qname")))
    for name in names:
        part = ratio.filter(pl.col("qname") == name)
        ax.plot(
            column(part, "minute"),
            [r * 100 for r in column(part, "ratio")],
            marker=".",
            linewidth=1.4,
            label=name,
            drawstyle="steps-post",
        )
    for r in data["windows"].iter_rows(named=True):
        ax.axvspan(
            r["start"],
            r["end"] or r["start"],
            color=SEVERITY_COLOURS.get(r["severity"]),
            alpha=0.15,
            zorder=0,
        )
    ax.axhline(50, color="#888888", linestyle="--", linewidth=0.8)
    ax.set_ylim(-3, 103)
    ax.set_ylabel("failed queries per minute (%)")
    if ratio.height:
        lo, hi = ratio["minute"].min(), ratio["minute"].max()
        time_axis(ax, tz, lo, hi + dt.timedelta(minutes=1))  # type: ignore[operator]
    else:
        time_axis(ax, tz)
        ax.text(
            0.5, 0.5, "no DNS query logs for these endpoints", transform=ax.transAxes, ha="center"
        )
    ax.set_title("DNS failure ratio per minute (shaded: failure windows)", fontsize=11)
    if names:
        legend(ax)
    return fig


def draw_record_sets(data: Mapping[str, pl.DataFrame], tz: str = "UTC") -> Figure:
    """A lane per name and type from the change history: a bar while the name serves the
    type, coloured by who made that state; a red gap where no record set is left; a mark
    at every change."""
    state = data["state"]
    lanes = list(dict.fromkeys(zip(column(state, "name"), column(state, "type"), strict=True)))
    fig = new_figure(11, 1.2 + 0.45 * max(len(lanes), 1))
    ax = fig.add_subplot()
    actors = list(dict.fromkeys(column(state, "changed_by")))
    palette = ["#4393c3", "#1b7837", "#762a83", "#e08214", "#35978f", "#8c510a", "#c51b7d"]
    colour = {a: palette[i % len(palette)] for i, a in enumerate(actors)}
    if state.height:
        end = max(v for v in (state["from"].max(), state["until"].max()) if v is not None)
        end = end + (end - state["from"].min()) * 0.03  # type: ignore[operator]
    for y, (name, rtype) in enumerate(lanes):
        part = state.filter((pl.col("name") == name) & (pl.col("type") == rtype))
        for r in part.iter_rows(named=True):
            until = r["until"] or end
            if r["record_sets"] > 0:
                ax.barh(
                    y,
                    until - r["from"],
                    left=r["from"],
                    height=0.5,
                    color=colour[r["changed_by"]],
                    alpha=0.8,
                )
            else:
                ax.barh(
                    y,
                    until - r["from"],
                    left=r["from"],
                    height=0.5,
                    color=EMPTY,
                    edgecolor=FAILED,
                    hatch="//",
                )
            ax.plot([r["from"]], [y], marker="|", color="#222222", markersize=12)
    ax.set_yticks(range(len(lanes)), [f"{n} {t}" for n, t in lanes], fontsize=8)
    ax.invert_yaxis()
    if state.height:
        time_axis(ax, tz, state["from"].min(), end)
    else:
        time_axis(ax, tz)
    handles = [Patch(color=colour[a], label=(a or "unknown").rsplit(":", 1)[-1]) for a in actors]
    handles.append(Patch(facecolor=EMPTY, edgecolor=FAILED, hatch="//", label="no record set"))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1, 1), fontsize=8, frameon=False)
    ax.set_title(
        "Record sets per name over time (colour: who changed them; CloudTrail)", fontsize=11
    )
    return fig


def render_figures(
    case: Any, findings: Iterable[Mapping[str, Any]] | pl.DataFrame, tz: str = "UTC"
) -> dict[str, Figure]:
    """The figures for ``case``: ``swimlane``, ``generations``, ``dns_ratio``, and
    ``record_sets`` when the case holds a change history (CloudTrail)."""
    found = figure_data.normalize(findings)
    return {
        "swimlane": draw_swimlane(figure_data.swimlane_data(case, found), tz),
        "generations": draw_generations(figure_data.generation_data(case, found), tz),
        "dns_ratio": draw_dns_ratio(figure_data.dns_ratio_data(case, found), tz),
    } | _record_sets_figure(case, found, tz)


def _record_sets_figure(case: Any, found: Any, tz: str) -> dict[str, Figure]:
    """The change-history figure, when the case holds a change history."""
    data = figure_data.record_state_data(case, found)
    return {"record_sets": draw_record_sets(data, tz)} if data["state"].height else {}


def to_png(fig: Figure) -> bytes:
    """The figure as PNG bytes (deterministic: no creation-time metadata)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    return buf.getvalue()


def to_svg(fig: Figure) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    return buf.getvalue()
