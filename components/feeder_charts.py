"""The feeder page's charts: time series with their marks, and before/after bars (pure).

Every figure is the plotly JSON that dcc.Graph takes, built from store rows without I/O. Phases
keep one colour everywhere (PHASE_COLORS: R red, Y amber, B blue, neutral grey). Times are
shown as India Standard Time wall-clock times: the x values are epoch milliseconds shifted by
the IST offset, which plotly.js draws as they are.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Final

import numpy as np
import plotly.io as pio

from grid.dryrun import MoveEffect
from grid.feeder_states import PHASE_COLORS
from grid.timezones import IST_OFFSET_S
from store.queries import IST, BalancingRun, FeederSeries, SwitchEvent

RATING_COLOR: Final = "#7b1fa2"
"""The phase rating line: apart from every phase colour."""
MARK_COLOR: Final = "#37474f"
"""Balancing-run marks on the time axis."""

TEMPLATE: Final = pio.templates["plotly_white"].to_plotly_json()
"""The charts' plotly template as plain JSON, built once: validating it per figure costs more
than everything else a chart callback does."""

MAX_MARKS: Final = 500
"""Most switches and runs marked on one chart (the newest); lines for at most 100 runs."""
MAX_RUN_LINES: Final = 100

RUN_RESULT_TEXT: Final = {
    "improved": "improved",
    "partial": "partly held",
    "rolled_back": "rolled back",
    "no_gain": "nothing worth moving",
}
"""How a balancing run ended, in words."""
MOVE_RESULT_TEXT: Final = {
    "applied": "held",
    "rolled_back": "rolled back",
    "failed": "failed",
    "rejected": "refused",
}
"""How one move of a run (or one switch) ended, in words."""

Figure = dict[str, Any]
"""A plotly figure as the JSON that dcc.Graph takes (data and layout)."""


def ist_ms(t: datetime) -> float:
    """Return a time as the x value of a date axis that shows IST wall-clock time [ms]."""
    return (t.timestamp() + IST_OFFSET_S) * 1000.0


def ist_text(t: datetime | None, *, seconds: bool = True) -> str:
    """Return a time as IST wall-clock text with its date, or an em dash when unknown."""
    if t is None:
        return "—"
    return t.astimezone(IST).strftime("%d %b %H:%M:%S" if seconds else "%d %b %H:%M")


def _layout(title: str, unit: str, **extra: Any) -> dict[str, Any]:
    return {
        "title": {"text": title, "x": 0.01},
        "margin": {"l": 55, "r": 15, "t": 40, "b": 35},
        "height": 300,
        "legend": {"orientation": "h", "y": 1.12, "x": 1, "xanchor": "right"},
        "yaxis": {"title": {"text": unit}},
        "template": TEMPLATE,
        "uirevision": "keep",
        **extra,
    }


def typed_array(values: Any) -> dict[str, str]:
    """Return numbers as a plotly.js typed array (little-endian float64, base64)."""
    data = np.ascontiguousarray(values, dtype="<f8").tobytes()
    return {"dtype": "f8", "bdata": base64.b64encode(data).decode("ascii")}


def message_figure(text: str, *, title: str = "", height: int = 300) -> Figure:
    """Return a chart area that says `text` instead of drawing empty axes."""
    layout = _layout(title, "", height=height)
    layout["xaxis"] = layout["yaxis"] = {"visible": False}
    layout["annotations"] = [
        {
            "text": text,
            "xref": "paper",
            "yref": "paper",
            "x": 0.5,
            "y": 0.5,
            "showarrow": False,
            "font": {"size": 16, "color": "#6b7280"},
        }
    ]
    return {"data": [], "layout": layout}


# --- time series ------------------------------------------------------------------------------


def _series_figure(
    series: FeederSeries,
    traces: Sequence[tuple[str, str, float, dict[str, Any]]],
    title: str,
    unit: str,
) -> Figure:
    """Return line traces of `series` columns: (column, name, scale, line style) each.

    Values are sent as binary typed arrays (missing ones as NaN, a gap) and times as
    milliseconds on a date axis, shifted to India Standard Time (plotly.js shows such numbers
    as wall-clock time), so a month of points costs milliseconds rather than validating and
    encoding every point. Lines are SVG, not WebGL: a series holds at most ~3,000 points
    (store.queries.RESOLUTION_SPANS), which SVG draws at once, and a wall display, a kiosk or
    a phone without WebGL still shows them. An empty range says so instead of drawing axes.
    """
    n = len(series.points)
    if n == 0:
        return message_figure("No readings in this range", title=title)
    seconds = np.fromiter((p.ts.timestamp() for p in series.points), float, n) + IST_OFFSET_S
    x = typed_array(seconds * 1000)
    data = [
        {
            "type": "scatter",
            "mode": "lines",
            "x": x,
            "y": typed_array(np.array(series.column(column), dtype=float) * scale),
            "name": name,
            "line": line,
        }
        for column, name, scale, line in traces
    ]
    window = [ist_ms(series.start), ist_ms(series.end)]
    xaxis = {"type": "date", "title": {"text": "IST"}, "range": window}
    return {"data": data, "layout": _layout(title, unit, xaxis=xaxis)}


def currents_figure(
    series: FeederSeries,
    *,
    rating_a: float | None = None,
    runs: Sequence[BalancingRun] = (),
    switches: Sequence[SwitchEvent] = (),
) -> Figure:
    """Return phase currents and the neutral current over time [A], with the phase rating as a
    line and the balancing runs and switches of the range marked on the time axis."""
    traces = [(f"i_{ph.lower()}", ph, 1.0, {"color": PHASE_COLORS[ph]}) for ph in "RYB"]
    traces.append(("i_n", "Neutral", 1.0, {"color": PHASE_COLORS["N"], "dash": "dot"}))
    figure = _series_figure(series, traces, "Phase and neutral current", "A")
    if not figure["data"]:
        return figure
    if rating_a is not None:
        _add_rating(figure, rating_a)
    _add_marks(figure, series, runs, switches)
    return figure


def power_figure(series: FeederSeries) -> Figure:
    """Return per-phase net active power over time [kW]."""
    traces = [(f"p_{ph.lower()}", ph, 0.001, {"color": PHASE_COLORS[ph]}) for ph in "RYB"]
    return _series_figure(series, traces, "Net active power per phase", "kW")


def _add_rating(figure: Figure, rating_a: float) -> None:
    """Draw the rated phase current as a dashed line across the chart, and keep it in view."""
    layout = figure["layout"]
    layout["shapes"] = [
        *layout.get("shapes", ()),
        {
            "type": "line",
            "xref": "paper",
            "x0": 0,
            "x1": 1,
            "yref": "y",
            "y0": rating_a,
            "y1": rating_a,
            "line": {"color": RATING_COLOR, "width": 1.5, "dash": "dash"},
        },
    ]
    layout["annotations"] = [
        *layout.get("annotations", ()),
        {
            "text": f"Phase rating {rating_a:,.0f} A",
            "xref": "paper",
            "x": 0.005,
            "xanchor": "left",
            "yref": "y",
            "y": rating_a,
            "yanchor": "bottom",
            "showarrow": False,
            "font": {"size": 11, "color": RATING_COLOR},
        },
    ]
    layout["yaxis"] = {**layout["yaxis"], "rangemode": "tozero"}
    figure["data"].append(  # an invisible point at the rating keeps the line on the autorange
        {
            "type": "scatter",
            "x": [figure["layout"]["xaxis"]["range"][0]],
            "y": [rating_a * 1.05],
            "mode": "markers",
            "marker": {"opacity": 0},
            "hoverinfo": "skip",
            "showlegend": False,
        }
    )


def _in_window(t: datetime, series: FeederSeries) -> bool:
    return series.start <= t < series.end


def _add_marks(
    figure: Figure,
    series: FeederSeries,
    runs: Sequence[BalancingRun],
    switches: Sequence[SwitchEvent],
) -> None:
    """Mark runs (▼ along the top, with a thin line) and switches (▲ along the bottom, in the
    colour of the phase the house went to; ✕ when undone) on a second, fixed y axis."""
    runs = [r for r in runs if _in_window(r.ts, series)][:MAX_MARKS]
    switches = [s for s in switches if _in_window(s.ts, series)][:MAX_MARKS]
    if not runs and not switches:
        return
    layout = figure["layout"]
    layout["yaxis2"] = {"overlaying": "y", "range": [0, 1], "visible": False, "fixedrange": True}
    if runs:
        figure["data"].append(
            {
                "type": "scatter",
                "name": "Balancing runs",
                "yaxis": "y2",
                "x": [ist_ms(r.ts) for r in runs],
                "y": [0.97] * len(runs),
                "mode": "markers",
                "marker": {"symbol": "triangle-down", "size": 11, "color": MARK_COLOR},
                "text": [_run_hover(r) for r in runs],
                "hovertemplate": "%{text}<extra></extra>",
            }
        )
        layout["shapes"] = [
            *layout.get("shapes", ()),
            *(
                {
                    "type": "line",
                    "xref": "x",
                    "x0": ist_ms(r.ts),
                    "x1": ist_ms(r.ts),
                    "yref": "paper",
                    "y0": 0,
                    "y1": 1,
                    "layer": "below",
                    "line": {"color": "#b0bec5", "width": 1, "dash": "dot"},
                }
                for r in runs[:MAX_RUN_LINES]
            ),
        ]
    if switches:
        held = [s.result == "applied" for s in switches]
        figure["data"].append(
            {
                "type": "scatter",
                "name": "Switches",
                "yaxis": "y2",
                "x": [ist_ms(s.ts) for s in switches],
                "y": [0.03] * len(switches),
                "mode": "markers",
                "marker": {
                    "symbol": ["triangle-up" if h else "x-thin-open" for h in held],
                    "size": 10,
                    "color": [
                        PHASE_COLORS.get(s.to_phase, MARK_COLOR) if h else MARK_COLOR
                        for s, h in zip(switches, held, strict=True)
                    ],
                    "line": {"width": 1.5, "color": MARK_COLOR},
                },
                "text": [_switch_hover(s) for s in switches],
                "hovertemplate": "%{text}<extra></extra>",
            }
        )


def _run_hover(run: BalancingRun) -> str:
    moves = len(run.moves)
    return (
        f"Balancing run {ist_text(run.ts)} IST: {RUN_RESULT_TEXT.get(run.result, run.result)}, "
        f"{moves} move{'s' if moves != 1 else ''}"
        + (
            f"; neutral {run.before_i_n:.1f} → {run.after_i_n:.1f} A"
            if run.before_i_n is not None and run.after_i_n is not None
            else ""
        )
    )


def _switch_hover(s: SwitchEvent) -> str:
    who = "operator" if s.origin == "manual" else "controller"
    result = MOVE_RESULT_TEXT.get(s.result, s.result)
    reason = f" ({s.reason.replace('_', ' ')})" if s.reason and s.result != "applied" else ""
    return (
        f"{ist_text(s.ts)} IST: {s.house_id} {s.from_phase}→{s.to_phase} {result}{reason}, "
        f"by the {who}"
    )


# --- before and after -------------------------------------------------------------------------

BAR_LABELS: Final = ("R", "Y", "B", "Neutral")
BAR_COLORS: Final = tuple(PHASE_COLORS[k] for k in "RYBN")


def before_after_figure(
    title: str,
    before: Sequence[float | None],
    after: Sequence[float | None] | None,
    *,
    before_name: str = "Before",
    after_name: str = "After",
    height: int = 300,
) -> Figure:
    """Return bars of R, Y, B and neutral current [A] in their own colours: before hatched and
    pale, after solid; no "after" bars when `after` is None."""
    bars = [
        {
            "type": "bar",
            "x": list(BAR_LABELS),
            "y": list(before),
            "name": before_name,
            "marker": {
                "color": list(BAR_COLORS),
                "opacity": 0.45,
                "pattern": {"shape": "/", "solidity": 0.35},
                "line": {"color": list(BAR_COLORS), "width": 1.5},
            },
            "hovertemplate": "%{x}: %{y:.1f} A<extra>" + before_name + "</extra>",
        }
    ]
    if after is not None:
        bars.append(
            {
                "type": "bar",
                "x": list(BAR_LABELS),
                "y": list(after),
                "name": after_name,
                "marker": {"color": list(BAR_COLORS), "line": {"color": MARK_COLOR, "width": 1}},
                "hovertemplate": "%{x}: %{y:.1f} A<extra>" + after_name + "</extra>",
            }
        )
    layout = _layout(title, "A", barmode="group", height=height)
    layout["legend"] = {"orientation": "h", "y": -0.18, "x": 0, "xanchor": "left"}
    layout["margin"] = {**layout["margin"], "b": 60}
    return {"data": bars, "layout": layout}


def run_figure(run: BalancingRun) -> Figure:
    """Return the before/after chart of a balancing run, saying when each was measured.

    "Before" is measured when the run was decided, "after" when it ended. A run whose moves
    were all undone is labelled so: its "after" is the feeder with the houses back.
    """
    before = [run.before_i_r, run.before_i_y, run.before_i_b, run.before_i_n]
    after = [run.after_i_r, run.after_i_y, run.after_i_b, run.after_i_n]
    has_after = any(v is not None for v in after)
    decided = (
        f"measured {ist_text(run.decided_at)} IST, when the run was decided"
        if run.decided_at is not None
        else "measured when the run was decided"
    )
    ended = f"measured {ist_text(run.ts)} IST, when the run ended"
    after_name = {
        "rolled_back": f"After: moves rolled back ({ended})",
        "partial": f"After: some moves held ({ended})",
    }.get(run.result, f"After ({ended})")
    result = RUN_RESULT_TEXT.get(run.result, run.result)
    neutral = (
        f": neutral {run.before_i_n:.1f} → {run.after_i_n:.1f} A"
        if run.before_i_n is not None and run.after_i_n is not None
        else ""
    )
    return before_after_figure(
        f"Balancing run of {ist_text(run.ts, seconds=False)} IST, {result}{neutral}",
        before,
        after if has_after else None,
        before_name=f"Before ({decided})",
        after_name=after_name,
        height=340,
    )


def effect_figure(effect: MoveEffect) -> Figure:
    """Return the predicted before/after chart of a move."""
    return before_after_figure(
        "Predicted effect",
        [*effect.before.i_a, effect.before.i_n_a],
        [*effect.after.i_a, effect.after.i_n_a],
        before_name="Now",
        after_name="Predicted after the move",
    )
