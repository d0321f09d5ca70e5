"""The feeder page's charts: time series with their marks, and before/after bars (pure).

Every figure is the plotly JSON that dcc.Graph takes, built from store rows without I/O. Phases
keep one colour everywhere (PHASE_COLORS: R red, Y amber, B blue, neutral grey). Times are
shown as India Standard Time wall-clock times: the x values are epoch milliseconds shifted by
the IST offset, which plotly.js draws as they are.

Each figure is drawn for a screen (ChartScreen, read in the browser by SCREEN_JS): its text and
sizes grow with the page's type on large screens (assets/shell.css), and its title and legend
are wrapped and given room to fit the chart's width, so that nothing is cut off on a phone.

Every word a figure shows comes from components.strings in the language `lang` the builder is
given ("en" by default; the feeder page passes its interface language).
"""

from __future__ import annotations

import base64
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, Literal

import numpy as np
import plotly.io as pio

from components import ids
from components.strings import reason_words, text
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

RUN_RESULTS: Final = frozenset({"improved", "partial", "rolled_back", "no_gain"})
"""How a balancing run may end; each has its words under "run_result_<result>"."""
MOVE_RESULTS: Final = frozenset({"applied", "rolled_back", "failed", "rejected"})
"""How one move of a run (or one switch) may end; words under "move_result_<result>"."""

Figure = dict[str, Any]
"""A plotly figure as the JSON that dcc.Graph takes (data and layout)."""


def run_result_text(result: str, lang: str | None = None) -> str:
    """Return how a balancing run ended in words ("rolled back"); an unknown result as it is.
    `lang` None: the interface language."""
    return text(f"run_result_{result}", lang) if result in RUN_RESULTS else result


def move_result_text(result: str, lang: str | None = None) -> str:
    """Return how one move (or one switch) ended in words ("held"); an unknown result as it
    is. `lang` None: the interface language."""
    return text(f"move_result_{result}", lang) if result in MOVE_RESULTS else result


def ist_ms(t: datetime) -> float:
    """Return a time as the x value of a date axis that shows IST wall-clock time [ms]."""
    return (t.timestamp() + IST_OFFSET_S) * 1000.0


def ist_text(t: datetime | None, *, seconds: bool = True, lang: str | None = None) -> str:
    """Return a time as IST wall-clock text with its day and month ("07 Dec 15:46:50"), the
    month abbreviated in `lang` (None: the interface language), or an em dash when unknown."""
    if t is None:
        return "—"
    local = t.astimezone(IST)
    clock = local.strftime("%H:%M:%S" if seconds else "%H:%M")
    return f"{local:%d} {text(f'month_{local.month}', lang)} {clock}"


# --- the screen a chart is drawn for ----------------------------------------------------------

ROOT_FONT_PX: Final = 16.0
"""The page's root font size at which its type scale is 1 [CSS px]."""
MIN_SCALE: Final = 0.75
MAX_SCALE: Final = 4.0
"""The type scales a chart accepts from the browser; anything else is clamped to them."""
FONT_PX: Final = 12.0
"""Tick labels, legend and axis titles at scale 1 [CSS px]."""
TITLE_FONT_PX: Final = 16.0
NOTE_FONT_PX: Final = 12.0
"""Notes drawn on a chart (the phase rating) at scale 1 [CSS px]."""
MESSAGE_FONT_PX: Final = 16.0
HOVER_FONT_PX: Final = 13.0
LINE_PX: Final = 2.0
"""A series' line width at scale 1 [CSS px]."""
GLYPH_EM: Final = 0.55
"""A generous average width of one character of chart text [em]: wrapping to it never
overflows (the charts' sans-serif fonts average under 0.5 em on such text)."""
NBSP: Final = "\u00a0"
"""Binds words that a wrapped line must not part (a time and its zone, a value and its unit)."""
LINE_EM: Final = 1.3
"""The height of one line of chart text [em] (plotly.js's line spacing)."""
CAP_EM: Final = 0.75
"""How far below a title's top its first baseline is [em]. plotly.js lowers a one-line title
by this itself, but sets the lines of a title wrapped with <br> from its y as they are."""
LEGEND_SYMBOL_PX: Final = 46.0
"""A legend entry's symbol and the gaps around it at scale 1 [CSS px]."""
PAD_PX: Final = 8.0
"""Space between the chart's edge, its title, its legend and its plot at scale 1 [CSS px]."""
MARGIN_PX: Final = {"l": 55.0, "r": 15.0, "b": 35.0}
"""Room for the y axis's ticks and title, beside and below the plot at scale 1 [CSS px]."""
PLOT_PX: Final = 225.0
"""A chart's plot area's height at scale 1 [CSS px]."""
RUN_PLOT_PX: Final = 240.0
"""A balancing run's bars' plot area's height at scale 1 [CSS px]."""
PLOT_MARGINS_PX: Final = 75.0
"""What a one-line title and the x axis add to a plot's height at scale 1 [CSS px]."""

LegendPlace = Literal["top", "bottom"]


@dataclass(frozen=True, slots=True)
class ChartScreen:
    """The screen a chart is drawn for."""

    width_px: float | None = None
    """The chart's width [CSS px]; None when not known (nothing is wrapped)."""
    scale: float = 1.0
    """The page's type scale: its root font size over ROOT_FONT_PX (1.5 and 2 on 4K screens)."""

    def px(self, size: float) -> float:
        """Return a size given at scale 1 at this screen's scale [CSS px]."""
        return round(size * self.scale, 1)


DEFAULT_SCREEN: Final = ChartScreen()

SCREEN_JS: Final = f"""
function (_feeder, _n, held) {{
    var chart = document.getElementById("{ids.FEEDER_CURRENTS_CHART}");
    var width = chart ? chart.getBoundingClientRect().width : 0;
    var rem = parseFloat(getComputedStyle(document.documentElement).fontSize);
    var screen = {{width: Math.round(width || window.innerWidth), rem: rem || {ROOT_FONT_PX}}};
    if (held && held.width === screen.width && held.rem === screen.rem) {{
        return window.dash_clientside.no_update;
    }}
    return screen;
}}
"""
"""A clientside callback: the feeder charts' width and the page's root font size [CSS px], as
{"width", "rem"}; no update while they stay the same (it is run again on the page's refresh, so
a resized window is drawn for at the next one)."""


def _positive(value: object) -> float | None:
    """Return a JSON number that is finite and above zero, else None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) and value > 0 else None


def chart_screen(data: object) -> ChartScreen:
    """Return the screen SCREEN_JS measured ({"width", "rem"} [CSS px]); the default screen's
    width or scale for what is missing or not a positive number."""
    if not isinstance(data, dict):
        return DEFAULT_SCREEN
    rem = _positive(data.get("rem"))
    scale = 1.0 if rem is None else min(max(rem / ROOT_FONT_PX, MIN_SCALE), MAX_SCALE)
    return ChartScreen(_positive(data.get("width")), scale)


def wrap_words(text: str, max_chars: int) -> list[str]:
    """Return `text` in lines of at most `max_chars` characters, broken at its spaces (NBSP
    binds; a word longer than a line keeps a line of its own)."""
    lines: list[str] = []
    for word in text.split(" "):
        if not word:
            continue
        if lines and len(lines[-1]) + 1 + len(word) <= max_chars:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines or [""]


def _chars(width_px: float | None, font_px: float) -> int:
    """Return how many characters of `font_px` text fit in `width_px` (no limit when unknown)."""
    if width_px is None:
        return 10**6
    return max(8, int(width_px / (GLYPH_EM * font_px)))


def _layout(title: str, unit: str, screen: ChartScreen = DEFAULT_SCREEN, **extra: Any) -> Any:
    """Return a chart's layout before `_fit` places its title and legend."""
    return {
        "title": {"text": title, "font": {"size": screen.px(TITLE_FONT_PX)}},
        "font": {"size": screen.px(FONT_PX)},
        "hoverlabel": {"font": {"size": screen.px(HOVER_FONT_PX)}},
        "yaxis": {"title": {"text": unit}, "automargin": True},
        "template": TEMPLATE,
        "uirevision": "keep",
        **extra,
    }


def _fit(
    figure: Figure,
    screen: ChartScreen,
    *,
    legend: LegendPlace = "top",
    plot_px: float = PLOT_PX,
) -> Figure:
    """Place the title at the top left and the legend (top right, or along the bottom) so that
    they fit the screen's width, wrapping both, and give the figure the height its plot, title
    and legend need [CSS px]."""
    layout = figure["layout"]
    font, title_font, pad = screen.px(FONT_PX), screen.px(TITLE_FONT_PX), screen.px(PAD_PX)
    width = screen.width_px
    inner = None if width is None else width - 2 * pad
    lines = wrap_words(layout["title"]["text"], _chars(inner, title_font))
    title_h = len(lines) * LINE_EM * title_font if lines != [""] else 0.0

    entries = [t for t in figure["data"] if t.get("name") and t.get("showlegend") is not False]
    symbol = screen.px(LEGEND_SYMBOL_PX)
    room = None if inner is None else inner - symbol
    names = [wrap_words(t["name"], _chars(room, font)) for t in entries]
    for trace, name in zip(entries, names, strict=True):
        trace["name"] = "<br>".join(name)
    entry_w = symbol + max((len(x) for n in names for x in n), default=0) * GLYPH_EM * font
    per_row = len(entries) if inner is None else max(1, int(inner // entry_w))
    rows = math.ceil(len(entries) / per_row) if entries else 0
    tallest = max((len(n) for n in names), default=1)
    legend_h = rows * (tallest * LINE_EM * font + screen.px(4))
    title_w = max((len(x) for x in lines), default=0) * GLYPH_EM * title_font
    beside = (
        legend == "top"
        and len(lines) == 1
        and (inner is None or title_w + pad + len(entries) * entry_w <= inner)
    )

    if legend == "top":
        legend_top = pad if beside or not title_h else pad + title_h + pad
        top = legend_top + legend_h if entries else pad + title_h
        top = max(top, pad + title_h) + pad
        bottom = screen.px(MARGIN_PX["b"])
    else:
        top = pad + title_h + pad
        bottom = screen.px(MARGIN_PX["b"]) + pad + legend_h + pad
    height = round(screen.px(plot_px) + top + bottom)
    side = pad / width if width else 0.01
    layout["title"] = {
        **layout["title"],
        "text": "<br>".join(lines),
        "x": side,
        "xanchor": "left",
        "yref": "container",
        "y": 1 - (pad if len(lines) == 1 else pad + CAP_EM * title_font) / height,
        "yanchor": "top",
    }
    layout["margin"] = {
        "l": screen.px(MARGIN_PX["l"]),
        "r": screen.px(MARGIN_PX["r"]),
        "t": round(top),
        "b": round(bottom),
    }
    layout["height"] = height
    if legend == "top":
        place = {"x": 1 - side, "xanchor": "right", "y": 1 - legend_top / height, "yanchor": "top"}
    else:
        place = {"x": side, "xanchor": "left", "y": pad / height, "yanchor": "bottom"}
    layout["legend"] = {
        "orientation": "h",
        "xref": "container",
        "yref": "container",
        "font": {"size": font},
        **place,
    }
    return figure


def typed_array(values: Any) -> dict[str, str]:
    """Return numbers as a plotly.js typed array (little-endian float64, base64)."""
    data = np.ascontiguousarray(values, dtype="<f8").tobytes()
    return {"dtype": "f8", "bdata": base64.b64encode(data).decode("ascii")}


def message_figure(
    message: str, *, title: str = "", height: int = 300, screen: ChartScreen = DEFAULT_SCREEN
) -> Figure:
    """Return a chart area that says `text` instead of drawing empty axes (`height` at scale 1
    [CSS px])."""
    layout = _layout(title, "", screen)
    layout["xaxis"] = layout["yaxis"] = {"visible": False}
    layout["annotations"] = [
        {
            "text": "<br>".join(
                wrap_words(message, _chars(screen.width_px, screen.px(MESSAGE_FONT_PX)))
            ),
            "xref": "paper",
            "yref": "paper",
            "x": 0.5,
            "y": 0.5,
            "showarrow": False,
            "font": {"size": screen.px(MESSAGE_FONT_PX), "color": "#6b7280"},
        }
    ]
    return _fit({"data": [], "layout": layout}, screen, plot_px=height - PLOT_MARGINS_PX)


# --- time series ------------------------------------------------------------------------------


def _series_figure(
    series: FeederSeries,
    traces: Sequence[tuple[str, str, float, dict[str, Any]]],
    title: str,
    unit: str,
    screen: ChartScreen,
    lang: str,
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
        return message_figure(text("chart_no_readings", lang), title=title, screen=screen)
    seconds = np.fromiter((p.ts.timestamp() for p in series.points), float, n) + IST_OFFSET_S
    x = typed_array(seconds * 1000)
    data = [
        {
            "type": "scatter",
            "mode": "lines",
            "x": x,
            "y": typed_array(np.array(series.column(column), dtype=float) * scale),
            "name": name,
            "line": {"width": screen.px(LINE_PX), **line},
        }
        for column, name, scale, line in traces
    ]
    window = [ist_ms(series.start), ist_ms(series.end)]
    xaxis = {
        "type": "date",
        "title": {"text": text("chart_time_axis", lang)},
        "range": window,
        "automargin": True,
    }
    return {"data": data, "layout": _layout(title, unit, screen, xaxis=xaxis)}


def currents_figure(
    series: FeederSeries,
    *,
    rating_a: float | None = None,
    runs: Sequence[BalancingRun] = (),
    switches: Sequence[SwitchEvent] = (),
    screen: ChartScreen = DEFAULT_SCREEN,
    lang: str = "en",
) -> Figure:
    """Return phase currents and the neutral current over time [A], with the phase rating as a
    line and the balancing runs and switches of the range marked on the time axis."""
    traces = [(f"i_{ph.lower()}", ph, 1.0, {"color": PHASE_COLORS[ph]}) for ph in "RYB"]
    neutral = text("chart_neutral", lang)
    traces.append(("i_n", neutral, 1.0, {"color": PHASE_COLORS["N"], "dash": "dot"}))
    title = text("chart_currents_title", lang)
    figure = _series_figure(series, traces, title, "A", screen, lang)
    if not figure["data"]:
        return figure
    if rating_a is not None:
        _add_rating(figure, rating_a, screen, lang)
    _add_marks(figure, series, runs, switches, screen, lang)
    return _fit(figure, screen)


def power_figure(
    series: FeederSeries, *, screen: ChartScreen = DEFAULT_SCREEN, lang: str = "en"
) -> Figure:
    """Return per-phase net active power over time [kW]."""
    traces = [(f"p_{ph.lower()}", ph, 0.001, {"color": PHASE_COLORS[ph]}) for ph in "RYB"]
    title = text("chart_power_title", lang)
    figure = _series_figure(series, traces, title, "kW", screen, lang)
    return _fit(figure, screen) if figure["data"] else figure


def _add_rating(figure: Figure, rating_a: float, screen: ChartScreen, lang: str) -> None:
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
            "line": {"color": RATING_COLOR, "width": screen.px(1.5), "dash": "dash"},
        },
    ]
    layout["annotations"] = [
        *layout.get("annotations", ()),
        {
            "text": text("chart_rating", lang, rating=f"{rating_a:,.0f}"),
            "xref": "paper",
            "x": 0.005,
            "xanchor": "left",
            "yref": "y",
            "y": rating_a,
            "yanchor": "bottom",
            "showarrow": False,
            "font": {"size": screen.px(NOTE_FONT_PX), "color": RATING_COLOR},
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
    screen: ChartScreen,
    lang: str,
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
                "name": text("chart_runs", lang),
                "yaxis": "y2",
                "x": [ist_ms(r.ts) for r in runs],
                "y": [0.97] * len(runs),
                "mode": "markers",
                "marker": {
                    "symbol": "triangle-down",
                    "size": screen.px(11),
                    "color": MARK_COLOR,
                },
                "text": [_run_hover(r, lang) for r in runs],
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
                "name": text("chart_switches", lang),
                "yaxis": "y2",
                "x": [ist_ms(s.ts) for s in switches],
                "y": [0.03] * len(switches),
                "mode": "markers",
                "marker": {
                    "symbol": ["triangle-up" if h else "x-thin-open" for h in held],
                    "size": screen.px(10),
                    "color": [
                        PHASE_COLORS.get(s.to_phase, MARK_COLOR) if h else MARK_COLOR
                        for s, h in zip(switches, held, strict=True)
                    ],
                    "line": {"width": screen.px(1.5), "color": MARK_COLOR},
                },
                "text": [_switch_hover(s, lang) for s in switches],
                "hovertemplate": "%{text}<extra></extra>",
            }
        )


def _neutral_change(run: BalancingRun, space: str = " ") -> str | None:
    """Return a run's neutral current before → after ("35.0 → 5.0 A"), its words joined by
    `space`; None when either is unknown."""
    if run.before_i_n is None or run.after_i_n is None:
        return None
    return space.join((f"{run.before_i_n:.1f}", "→", f"{run.after_i_n:.1f}", "A"))


def _run_hover(run: BalancingRun, lang: str) -> str:
    count = len(run.moves)
    moves = text("chart_moves_one" if count == 1 else "chart_moves_many", lang, count=count)
    fields = {
        "at": ist_text(run.ts, lang=lang),
        "result": run_result_text(run.result, lang),
        "moves": moves,
    }
    change = _neutral_change(run)
    if change is None:
        return text("chart_run_hover", lang, **fields)
    return text("chart_run_hover_neutral", lang, change=change, **fields)


def _switch_hover(s: SwitchEvent, lang: str) -> str:
    who = text(
        "feeder_trigger_operator" if s.origin == "manual" else "feeder_trigger_controller", lang
    )
    reason = f" ({reason_words(s.reason, lang)})" if s.reason and s.result != "applied" else ""
    return text(
        "chart_switch_hover",
        lang,
        at=ist_text(s.ts, lang=lang),
        house=s.house_id,
        move=f"{s.from_phase}→{s.to_phase}",
        result=move_result_text(s.result, lang),
        reason=reason,
        who=who,
    )


# --- before and after -------------------------------------------------------------------------

BAR_PHASES: Final = ("R", "Y", "B")
"""The bars' phases; the neutral's bar follows them, named in the chart's language."""
BAR_COLORS: Final = tuple(PHASE_COLORS[k] for k in "RYBN")


def before_after_figure(
    title: str,
    before: Sequence[float | None],
    after: Sequence[float | None] | None,
    *,
    before_name: str,
    after_name: str,
    plot_px: float = PLOT_PX,
    screen: ChartScreen = DEFAULT_SCREEN,
    lang: str = "en",
) -> Figure:
    """Return bars of R, Y, B and neutral current [A] in their own colours: before hatched and
    pale, after solid; no "after" bars when `after` is None."""
    labels = [*BAR_PHASES, text("chart_neutral", lang)]
    bars = [
        {
            "type": "bar",
            "x": labels,
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
                "x": labels,
                "y": list(after),
                "name": after_name,
                "marker": {"color": list(BAR_COLORS), "line": {"color": MARK_COLOR, "width": 1}},
                "hovertemplate": "%{x}: %{y:.1f} A<extra>" + after_name + "</extra>",
            }
        )
    layout = _layout(title, "A", screen, barmode="group")
    return _fit({"data": bars, "layout": layout}, screen, legend="bottom", plot_px=plot_px)


def _bound(text: str) -> str:
    """Return `text` with its words bound together (NBSP): it is never wrapped."""
    return text.replace(" ", NBSP)


def run_figure(
    run: BalancingRun, *, screen: ChartScreen = DEFAULT_SCREEN, lang: str = "en"
) -> Figure:
    """Return the before/after chart of a balancing run, saying when each was measured.

    "Before" is measured when the run was decided, "after" when it ended. A run whose moves
    were all undone is labelled so: its "after" is the feeder with the houses back.
    """
    before = [run.before_i_r, run.before_i_y, run.before_i_b, run.before_i_n]
    after = [run.after_i_r, run.after_i_y, run.after_i_b, run.after_i_n]
    has_after = any(v is not None for v in after)
    decided = (
        text("chart_measured_decided", lang, at=ist_text(run.decided_at, lang=lang))
        if run.decided_at is not None
        else text("chart_measured_decided_unknown", lang)
    )
    ended = text("chart_measured_ended", lang, at=ist_text(run.ts, lang=lang))
    after_key = {"rolled_back": "chart_after_rolled_back", "partial": "chart_after_partial"}
    fields = {
        "at": f"{_bound(ist_text(run.ts, seconds=False, lang=lang))}{NBSP}IST",
        "result": run_result_text(run.result, lang),
    }
    change = _neutral_change(run, NBSP)
    title = (
        text("chart_run_title", lang, **fields)
        if change is None
        else text("chart_run_title_neutral", lang, change=change, **fields)
    )
    return before_after_figure(
        title,
        before,
        after if has_after else None,
        before_name=text("chart_before", lang, measured=decided),
        after_name=text(after_key.get(run.result, "chart_after"), lang, measured=ended),
        plot_px=RUN_PLOT_PX,
        screen=screen,
        lang=lang,
    )


def effect_figure(
    effect: MoveEffect, *, screen: ChartScreen = DEFAULT_SCREEN, lang: str = "en"
) -> Figure:
    """Return the predicted before/after chart of a move."""
    return before_after_figure(
        text("chart_effect_title", lang),
        [*effect.before.i_a, effect.before.i_n_a],
        [*effect.after.i_a, effect.after.i_n_a],
        before_name=text("chart_effect_now", lang),
        after_name=text("chart_effect_after", lang),
        screen=screen,
        lang=lang,
    )
