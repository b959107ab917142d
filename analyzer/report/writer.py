"""Writing a report to a directory: ``report.html``, ``report.md``, ``report.json`` and,
for the Markdown page, ``figures/*.png``."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import polars as pl

from ..errors import InputError
from .findings import normalize
from .gaps import GapOptions
from .model import Report, build_report

FORMATS = ("html", "md", "json")


def parse_formats(value: str | Sequence[str]) -> tuple[str, ...]:
    """``"html,md"`` or ``["html", "md"]`` -> ``("html", "md")``; unknown names are an error."""
    items = value.split(",") if isinstance(value, str) else list(value)
    out = tuple(dict.fromkeys(i.strip().lower() for i in items if i.strip()))
    bad = [f for f in out if f not in FORMATS]
    if bad or not out:
        raise InputError(
            f"unknown report format(s): {', '.join(bad) or '(none)'}; choose from "
            + ", ".join(FORMATS)
        )
    return out


def report_json(report: Report, figures: Mapping[str, str] | None = None) -> str:
    data = report.to_dict()
    data["figures"] = dict(figures or {})
    return json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n"


def write_report(
    report: Report,
    out_dir: str | Path,
    *,
    formats: Sequence[str] = FORMATS,
    figures: Mapping[str, bytes] | None = None,
) -> dict[str, Path]:
    """Write the rendered report; returns the path of each format (and each figure)."""
    from .render_html import render_html
    from .render_markdown import render_markdown

    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create the output directory {out}: {exc}") from exc
    paths: dict[str, Path] = {}
    fig_paths: dict[str, str] = {}
    if figures and ("md" in formats or "json" in formats):
        (out / "figures").mkdir(exist_ok=True)
        for name, png in figures.items():
            rel = f"figures/{name}.png"
            (out / rel).write_bytes(png)
            fig_paths[name] = rel
            paths[f"figure:{name}"] = out / rel
    if "html" in formats:
        paths["html"] = out / "report.html"
        paths["html"].write_text(render_html(report, figures=figures), encoding="utf-8")
    if "md" in formats:
        paths["md"] = out / "report.md"
        paths["md"].write_text(render_markdown(report, figures=fig_paths), encoding="utf-8")
    if "json" in formats:
        paths["json"] = out / "report.json"
        paths["json"].write_text(report_json(report, fig_paths), encoding="utf-8")
    return paths


def figure_pngs(
    case: Any, findings: Iterable[Mapping[str, Any]] | pl.DataFrame, tz: str
) -> dict[str, bytes]:
    """The three figures as PNG bytes (imports matplotlib, lazily)."""
    from . import figures as figs

    return {name: figs.to_png(fig) for name, fig in figs.render_figures(case, findings, tz).items()}


def make_report(
    case: Any,
    findings: Iterable[Mapping[str, Any]] | pl.DataFrame,
    out_dir: str | Path,
    *,
    tz: str = "UTC",
    formats: Sequence[str] = FORMATS,
    figures: bool = True,
    gap_options: GapOptions | None = None,
    now: dt.datetime | None = None,
    rule_params: Mapping[str, Mapping[str, Any]] | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> tuple[Report, dict[str, Path]]:
    """Build the report of ``case`` from ``findings`` and write it to ``out_dir``;
    ``progress(step, done, total)`` hears of each step (story, figures, writing)."""
    step = progress or (lambda name, done, total: None)
    formats = parse_formats(formats)
    found = normalize(findings)
    step("story", 0, 3)
    report = build_report(  # the Findings themselves: they say which names no log mentions
        case, findings, tz=tz, gap_options=gap_options, now=now, rule_params=rule_params
    )
    step("figures", 1, 3)
    pngs = figure_pngs(case, found, tz) if figures and formats != ("json",) else None
    step("writing " + ", ".join(formats), 2, 3)
    paths = write_report(report, out_dir, formats=formats, figures=pngs)
    step("done", 3, 3)
    return report, paths
