"""Pieces of the feeder page: live cards, charts, the houses table and the run chart.

Per-phase measures are declared once in PHASE_MEASURES; cards, chart traces and table columns
are built from it. Every function here is pure over store rows (no I/O).
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

import numpy as np
import plotly.io as pio
from dash import html

from grid.dryrun import MoveEffect
from grid.feeder_states import is_unbalanced
from store.queries import IST, BalancingRun, FeederHouse, FeederMapRow, FeederSeries, FeederState

PHASE_COLORS: Final = {"R": "#d32f2f", "Y": "#f9a825", "B": "#1565c0", "N": "#424242"}
GREY: Final = "#9e9e9e"
GREEN: Final = "#2e7d32"


@dataclass(frozen=True, slots=True)
class PhaseMeasure:
    """One per-phase quantity: its column prefix, label, unit and display scale."""

    prefix: str
    label: str
    unit: str
    scale: float = 1.0
    """Stored value × scale = displayed value."""


PHASE_MEASURES: Final = (
    PhaseMeasure("i", "Current", "A"),
    PhaseMeasure("p", "Power", "kW", 0.001),
    PhaseMeasure("v", "Voltage", "V"),
)
"""The per-phase quantities of a feeder summary, in card order."""

RANGES: Final = {
    "1h": timedelta(hours=1),
    "6h": timedelta(hours=6),
    "24h": timedelta(days=1),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
}
"""The time ranges the feeder charts offer."""

RESOLUTION_TEXT: Final = {
    "raw": "10-second readings",
    "1m": "1-minute means",
    "15m": "15-minute means",
    "1h": "1-hour means",
}

HOUSE_ONLINE_S: Final = 300.0
"""A house with a reading this recent counts as online [s]."""


def fmt(value: float | None, digits: int = 1, unit: str = "") -> str:
    """Return a number for display, or an em dash when unknown."""
    if value is None:
        return "—"
    return f"{value:,.{digits}f}" + (f" {unit}" if unit else "")


def _card(label: str, value: str, *, class_name: str = "") -> html.Div:
    return html.Div(
        [html.Div(label, className="sp-card-label"), html.Div(value, className="sp-card-value")],
        className=f"sp-card {class_name}".strip(),
    )


def build_live(state: FeederState | None, row: FeederMapRow) -> html.Div:
    """Return the live cards: per-phase I, P, V; neutral current; unbalance; voltage spread."""
    if state is None:
        return html.Div("No summary received from this feeder yet.", className="sp-empty")
    rows = []
    for m in PHASE_MEASURES:
        cells: list[Any] = [html.Th(f"{m.label} [{m.unit}]")]
        for ph in "RYB":
            value = getattr(state, f"{m.prefix}_{ph.lower()}") * m.scale
            cells.append(html.Td(fmt(value, 1), className=f"sp-phase-{ph}"))
        rows.append(html.Tr(cells))
    table = html.Table(
        [
            html.Thead(
                html.Tr([html.Th(""), *(html.Th(ph, className=f"sp-phase-{ph}") for ph in "RYB")])
            ),
            html.Tbody(rows),
        ],
        className="sp-phase-table",
    )
    volts = (state.v_r, state.v_y, state.v_b)
    spread = max(volts) - min(volts)
    # The unbalance in per cent is shown, but it is the neutral against the rating that counts.
    neutral_class = "sp-bad" if is_unbalanced(state.i_n, row.rated_a) else ""
    unbalance_class = neutral_class
    low_v = min(volts) < 216.0  # 230 V − 6 %
    return html.Div(
        [
            table,
            html.Div(
                [
                    _card("Neutral current", fmt(state.i_n, 1, "A"), class_name=neutral_class),
                    _card(
                        "Current unbalance",
                        fmt(state.unbalance_pct, 1, "%"),
                        class_name=unbalance_class,
                    ),
                    _card(
                        "Voltage spread",
                        fmt(spread, 1, "V"),
                        class_name="sp-bad" if low_v else "",
                    ),
                    _card("Rated phase current", fmt(row.rated_a, 0, "A")),
                    _card(
                        "Houses online",
                        f"{state.houses_online} / {state.houses_total}",
                    ),
                ],
                className="sp-cards",
            ),
        ],
        className="sp-live",
    )


TEMPLATE: Final = pio.templates["plotly_white"].to_plotly_json()
"""The charts' plotly template as plain JSON, built once: validating it per figure costs more
than everything else a chart callback does."""

Figure = dict[str, Any]
"""A plotly figure as the JSON that dcc.Graph takes (data and layout)."""


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
    encoding every point. An empty range says so instead of drawing empty axes.
    """
    n = len(series.points)
    if n == 0:
        return message_figure("No readings in this range", title=title)
    seconds = np.fromiter((p.ts.timestamp() for p in series.points), float, n) + IST_OFFSET_S
    x = typed_array(seconds * 1000)
    data = [
        {
            "type": "scattergl",
            "x": x,
            "y": typed_array(np.array(series.column(column), dtype=float) * scale),
            "name": name,
            "line": line,
        }
        for column, name, scale, line in traces
    ]
    window = [(t.timestamp() + IST_OFFSET_S) * 1000 for t in (series.start, series.end)]
    xaxis = {"type": "date", "title": {"text": "IST"}, "range": window}
    return {"data": data, "layout": _layout(title, unit, xaxis=xaxis)}


IST_OFFSET_S: Final = 19800.0
"""India Standard Time is UTC + 5:30 [s]."""


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


def currents_figure(series: FeederSeries) -> Figure:
    """Return phase currents and the neutral current over time [A]."""
    traces = [(f"i_{ph.lower()}", ph, 1.0, {"color": PHASE_COLORS[ph]}) for ph in "RYB"]
    traces.append(("i_n", "Neutral", 1.0, {"color": PHASE_COLORS["N"], "dash": "dot"}))
    return _series_figure(series, traces, "Phase and neutral current", "A")


def power_figure(series: FeederSeries) -> Figure:
    """Return per-phase net active power over time [kW]."""
    traces = [(f"p_{ph.lower()}", ph, 0.001, {"color": PHASE_COLORS[ph]}) for ph in "RYB"]
    return _series_figure(series, traces, "Net active power per phase", "kW")


def house_rows(houses: Sequence[FeederHouse], now: datetime) -> list[dict[str, Any]]:
    """Return the houses table rows."""
    return [
        {
            "house": h.house_id,
            "phase": h.phase,
            "p_kw": None if h.p is None else round(h.p / 1000.0, 2),
            "pv_kw": None if h.pv is None else round(h.pv / 1000.0, 2),
            "online": "yes"
            if h.last_reading is not None
            and (now - h.last_reading).total_seconds() <= HOUSE_ONLINE_S
            else "no",
            "switches_today": h.switches_today,
            "lock": "locked" if h.locked else ("no relay" if not h.switchable else ""),
        }
        for h in houses
    ]


def run_rows(runs: Sequence[BalancingRun]) -> list[dict[str, Any]]:
    """Return the balancing history table rows."""
    return [
        {
            "run_id": r.run_id,
            "ts": r.ts.astimezone(IST).strftime("%Y-%m-%d %H:%M IST"),
            "trigger": r.trigger,
            "result": r.result,
            "moves": ", ".join(
                f"{m.get('house', '?')} {m.get('from', '?')}→{m.get('to', '?')}" for m in r.moves
            ),
            "neutral": f"{fmt(r.before_i_n)} → {fmt(r.after_i_n)} A",
        }
        for r in runs
    ]


def before_after_figure(
    title: str,
    before: Sequence[float | None],
    after: Sequence[float | None],
    *,
    after_name: str = "After",
) -> Figure:
    """Return grouped bars of R, Y, B and neutral current before and after [A]."""
    labels = ["R", "Y", "B", "Neutral"]
    bars = [
        {
            "type": "bar",
            "x": labels,
            "y": list(before),
            "name": "Before",
            "marker": {"color": GREY},
        },
        {
            "type": "bar",
            "x": labels,
            "y": list(after),
            "name": after_name,
            "marker": {"color": GREEN},
        },
    ]
    return {"data": bars, "layout": _layout(title, "A", barmode="group")}


def run_figure(run: BalancingRun) -> Figure:
    """Return the before/after chart of a balancing run."""
    before = [run.before_i_r, run.before_i_y, run.before_i_b, run.before_i_n]
    after = [run.after_i_r, run.after_i_y, run.after_i_b, run.after_i_n]
    return before_after_figure(
        f"Run {run.run_id} ({run.result}) — unbalance {fmt(run.before_unbalance_pct)} → "
        f"{fmt(run.after_unbalance_pct)} %",
        before,
        after,
    )


def effect_figure(effect: MoveEffect) -> Figure:
    """Return the predicted before/after chart of a move."""
    return before_after_figure(
        "Predicted effect",
        [*effect.before.i_a, effect.before.i_n_a],
        [*effect.after.i_a, effect.after.i_n_a],
        after_name="Predicted",
    )
