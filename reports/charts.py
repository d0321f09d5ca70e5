"""A report's charts and map as SVG text, drawn by matplotlib without a browser or a network.

Text is drawn as glyph outlines (`svg.fonttype = path`): matplotlib shapes Malayalam itself, so
the charts read the same in any PDF viewer. Each function returns None when there is nothing
to draw, and the template says so instead. Every figure is its own object (no pyplot state).
"""

from __future__ import annotations

import functools
import io
import json
import math
from collections.abc import Callable, Mapping, Sequence
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any, Final, ParamSpec, TypeVar

import matplotlib as mpl
import numpy as np
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.figure import Figure
from matplotlib.patches import Polygon

from grid.feeder_states import PHASE_COLORS, STATE_LOOKS
from reports.model import Charts, MapPoint

DISTRICTS_FILE: Final = Path(__file__).resolve().parents[1] / "assets" / "kerala_districts.geojson"
"""The Kerala district polygons that ship with the control room's map."""

CM: Final = 1 / 2.54
"""One centimetre [in]."""

WIDTH_CM: Final = 17.0
"""Width of a chart: the text width of an A4 page [cm]."""

STYLE: Final[dict[Any, Any]] = {
    "svg.fonttype": "path",
    "svg.hashsalt": "smartphase-report",
    "savefig.dpi": 150,  # the heat map's cells are drawn as an image at this resolution
    "font.family": ["Noto Sans", "Noto Sans Malayalam", "DejaVu Sans"],
    "font.size": 8,
    "axes.titlesize": 8,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#dddddd",
    "grid.linewidth": 0.5,
    "legend.frameon": False,
}
"""One look for every chart."""

_P = ParamSpec("_P")
_R = TypeVar("_R")


def _styled(draw: Callable[_P, _R]) -> Callable[_P, _R]:
    """Draw with STYLE in force (fonts, sizes, grid), whatever the process's defaults."""

    @functools.wraps(draw)
    def styled(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        with mpl.rc_context(STYLE):
            return draw(*args, **kwargs)

    return styled


HEAT: Final = LinearSegmentedColormap.from_list(
    "limit", ["#e8f5e9", "#fff59d", "#f9a825", "#c62828"], N=256
)
"""Neutral current against the unbalance limit: green well under it, red from it up."""


@_styled
def phase_chart(charts: Charts, t: Mapping[str, str]) -> str | None:
    """Return the mean R, Y, B phase currents per day (or hour) as SVG."""
    if not np.isfinite(charts.phase_a).any():
        return None
    fig, ax = _figure(5.5)
    x = np.arange(len(charts.phase_a))
    for k, ph in enumerate("RYB"):
        ax.plot(x, charts.phase_a[:, k], color=PHASE_COLORS[ph], lw=1.4, marker=".", label=ph)
    ax.set_ylabel(t["axis_current"])
    _time_axis(ax, charts, t)
    ax.set_ylim(bottom=0)
    fig.legend(loc="outside upper left", ncols=3)
    return _svg(fig)


@_styled
def neutral_chart(charts: Charts, t: Mapping[str, str]) -> str | None:
    """Return the neutral current with and without SmartPhase, and as measured, as SVG."""
    series = (charts.neutral_with_a, charts.neutral_without_a, charts.neutral_measured_a)
    if not any(np.isfinite(s).any() for s in series):
        return None
    fig, ax = _figure(6.5)
    x = np.arange(len(charts.neutral_with_a))
    n = PHASE_COLORS["N"]
    # An hour between two missing ones has no line to draw: a marker shows it.
    ax.plot(x, charts.neutral_without_a, color="#c62828", lw=1.4, marker=".",
            label=t["legend_without"])  # fmt: skip
    ax.plot(x, charts.neutral_with_a, color="#2e7d32", lw=1.6, marker=".",
            label=t["legend_with"])  # fmt: skip
    ax.plot(x, charts.neutral_measured_a, color=n, lw=1.0, ls=":", marker=".",
            label=t["legend_measured"])  # fmt: skip
    ax.set_ylabel(t["axis_current"])
    _time_axis(ax, charts, t)
    ax.set_ylim(bottom=0)
    fig.legend(loc="outside upper left", ncols=1)
    return _svg(fig)


@_styled
def heat_chart(charts: Charts, t: Mapping[str, str]) -> str | None:
    """Return the neutral current as % of the unbalance limit by hour of day and day, as SVG."""
    heat = charts.heat_pct
    if not np.isfinite(heat).any():
        return None
    days = heat.shape[0]
    fig, ax = _figure(min(11.0, 3.0 + 0.22 * days))
    ax.grid(False)
    mesh = ax.pcolormesh(
        np.arange(25),
        np.arange(days + 1),
        np.ma.masked_invalid(heat),
        cmap=HEAT,
        vmin=0,
        vmax=max(100.0, float(np.nanmax(heat))),
        shading="flat",
        rasterized=True,
    )
    ax.set_xlim(0, 24)
    ax.set_ylim(days, 0)
    ax.set_xticks(range(0, 25, 3))
    ax.set_xlabel(t["axis_hour"])
    ax.set_ylabel(t["axis_day"])
    first = date.fromisoformat(charts.t0_day)
    step = max(1, math.ceil(days / 16))
    ticks = list(range(0, days, step))
    ax.set_yticks([k + 0.5 for k in ticks])
    ax.set_yticklabels([(first + timedelta(days=k)).strftime("%m-%d") for k in ticks])
    bar = fig.colorbar(mesh, ax=ax, pad=0.01, fraction=0.04)
    bar.set_label(t["axis_limit_pct"])
    return _svg(fig)


@_styled
def map_chart(points: Sequence[MapPoint], district: str | None) -> str | None:
    """Return the district (or Kerala) with its transformers coloured by state, as SVG."""
    shapes = _districts()
    if not shapes:
        return None
    fig = Figure(figsize=(9 * CM, 9 * CM if district else 14 * CM), layout="constrained")
    ax = fig.add_subplot()
    ax.set_axis_off()
    for name, rings in shapes.items():
        mine = district is None or name == district
        for ring in rings:
            ax.add_patch(
                Polygon(
                    ring,
                    closed=True,
                    facecolor="#eef2f5" if mine else "#f7f7f7",
                    edgecolor="#607d8b" if mine else "#cfd8dc",
                    lw=0.8 if mine else 0.4,
                )
            )
    focus = [r for n, rings in shapes.items() if district in (None, n) for r in rings]
    if not focus:
        focus = [r for rings in shapes.values() for r in rings]
    xy = np.concatenate(focus)
    if points:
        lon = np.array([p.lon for p in points])
        lat = np.array([p.lat for p in points])
        colours = [STATE_LOOKS[p.state].color for p in points]
        size = 36 if len(points) <= 5 else 14
        ax.scatter(lon, lat, s=size, c=colours, edgecolors="#263238", linewidths=0.4, zorder=3)
        xy = np.concatenate([xy, np.column_stack([lon, lat])])
    (x0, y0), (x1, y1) = xy.min(axis=0), xy.max(axis=0)
    pad = 0.05 * max(x1 - x0, y1 - y0)
    ax.set_xlim(x0 - pad, x1 + pad)
    ax.set_ylim(y0 - pad, y1 + pad)
    ax.set_aspect(1 / math.cos(math.radians((y0 + y1) / 2)))
    return _svg(fig)


@cache
def _districts() -> dict[str, list[np.ndarray]]:
    """Return each district's outer rings as (lon, lat) arrays."""
    try:
        collection = json.loads(DISTRICTS_FILE.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    out: dict[str, list[np.ndarray]] = {}
    for feature in collection.get("features", []):
        geometry = feature.get("geometry") or {}
        polygons = geometry.get("coordinates", [])
        if geometry.get("type") == "Polygon":
            polygons = [polygons]
        name = str(feature.get("properties", {}).get("district", ""))
        out.setdefault(name, []).extend(np.asarray(p[0], dtype=float) for p in polygons if p)
    return out


def _figure(height_cm: float) -> tuple[Figure, Any]:
    fig = Figure(figsize=(WIDTH_CM * CM, height_cm * CM), layout="constrained")
    return fig, fig.add_subplot()


def _time_axis(ax: Any, charts: Charts, t: Mapping[str, str]) -> None:
    n = len(charts.phase_a)
    first = date.fromisoformat(charts.t0_day)
    if charts.step_h == 1:
        step = max(1, math.ceil(n / 12))
        ticks = list(range(0, n, step))
        labels = [f"{(k % 24):02d}:00" if k % 24 else f"{first + timedelta(days=k // 24):%m-%d}"
                  for k in ticks]  # fmt: skip
        ax.set_xlabel(t["axis_hour"])
    else:
        step = max(1, math.ceil(n / 12))
        ticks = list(range(0, n, step))
        labels = [f"{first + timedelta(days=k):%m-%d}" for k in ticks]
        ax.set_xlabel(t["axis_day"])
    ax.set_xticks(ticks)
    ax.set_xticklabels(labels)
    ax.set_xlim(-0.5, n - 0.5)


def _svg(fig: Figure) -> str:
    out = io.StringIO()
    fig.savefig(out, format="svg", metadata={"Date": None})
    return out.getvalue()
