"""Pieces of the feeder page: live cards, the chart range, the houses and their lockouts, the
balancing history and why each house was moved, and the dry run of a manual move.

Per-phase measures are declared once in PHASE_MEASURES; cards and table columns are built from
it (the charts are in components.feeder_charts). Every function here is pure over store rows
(no I/O); times are shown in India Standard Time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from dash import dcc, html

from components.feeder_charts import (
    DEFAULT_SCREEN,
    ChartScreen,
    effect_figure,
    ist_text,
    move_result_text,
    run_result_text,
)
from components.strings import html_lang, reason_words, text
from grid.dryrun import HouseMove, PhaseLoads, predict_moves
from grid.feeder_states import is_unbalanced
from grid.interlocks import Blocker
from grid.phasors import Phase
from grid.timezones import IST
from store.commands import CommandError
from store.moves import READING_MAX_AGE_S, DryRun, MoveError
from store.queries import (
    BalancingRun,
    FeederHouse,
    FeederMapRow,
    FeederState,
    HouseReading,
    SeriesPoint,
)


@dataclass(frozen=True, slots=True)
class PhaseMeasure:
    """One per-phase quantity: its column prefix, label's string key, unit and display scale."""

    prefix: str
    label_key: str
    """The key of its label in components.strings."""
    unit: str
    scale: float = 1.0
    """Stored value × scale = displayed value."""

    @property
    def label(self) -> str:
        """Return its label in the interface language."""
        return text(self.label_key)


PHASE_MEASURES: Final = (
    PhaseMeasure("i", "feeder_measure_current", "A"),
    PhaseMeasure("p", "feeder_measure_power", "kW", 0.001),
    PhaseMeasure("v", "feeder_measure_voltage", "V"),
)
"""The per-phase quantities of a feeder summary, in card order."""

RANGES: Final = {
    "1h": timedelta(hours=1),
    "6h": timedelta(hours=6),
    "24h": timedelta(days=1),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
}
"""The fixed time ranges the feeder charts offer, back from now."""

FIT: Final = "fit"
"""The range that fits the data there is (the default)."""
CUSTOM: Final = "custom"
"""The range between two dates and times in IST."""
RANGE_OPTIONS: Final = (FIT, *RANGES, CUSTOM)
"""Every range choice, in order; `range_label` says it."""
LONGEST_RANGE: Final = timedelta(days=366)
"""The longest range a chart shows."""
SHORTEST_FIT: Final = timedelta(minutes=10)
"""The shortest range "All data" shows, however little data there is."""
LIVE_EDGE: Final = timedelta(hours=1)
"""Data this recent counts as still arriving: "All data" then runs to now."""


def range_label(choice: str) -> str:
    """Return what a range choice is called: "All data", "24h", "Custom"."""
    if choice == FIT:
        return text("feeder_range_fit")
    if choice == CUSTOM:
        return text("feeder_range_custom")
    return choice


def resolution_text(resolution: str) -> str:
    """Return what a series resolution ("raw", "1m", "15m", "1h") holds: "1-minute means"."""
    return text(f"feeder_resolution_{resolution}")


HOUSE_ONLINE_S: Final = READING_MAX_AGE_S
"""A house with a reading this recent counts as online [s] (as for a move)."""


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
        return html.Div(text("feeder_no_summary"), className="sp-empty")
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
                    _card(
                        text("feeder_card_neutral"),
                        fmt(state.i_n, 1, "A"),
                        class_name=neutral_class,
                    ),
                    _card(
                        text("feeder_card_unbalance"),
                        fmt(state.unbalance_pct, 1, "%"),
                        class_name=unbalance_class,
                    ),
                    _card(
                        text("feeder_card_spread"),
                        fmt(spread, 1, "V"),
                        class_name="sp-bad" if low_v else "",
                    ),
                    _card(text("feeder_card_rated"), fmt(row.rated_a, 0, "A")),
                    _card(
                        text("feeder_card_houses_online"),
                        f"{state.houses_online} / {state.houses_total}",
                    ),
                ],
                className="sp-cards",
            ),
        ],
        className="sp-live",
    )


# --- the chart range --------------------------------------------------------------------------


class RangeError(ValueError):
    """A chart range that cannot be shown; `field` names the input ("from" or "to")."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


IST_INPUT_FORMATS: Final = (
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d",
)
"""The forms a date and time in IST may take (a date alone is its midnight)."""


def parse_ist(written: str | None, field: str) -> datetime:
    """Return the aware UTC instant of a date and time written in IST, or raise RangeError."""
    value = (written or "").strip()
    if not value:
        raise RangeError(field, text("feeder_range_enter"))
    for form in IST_INPUT_FORMATS:
        try:
            local = datetime.strptime(value, form)
        except ValueError:
            continue
        return local.replace(tzinfo=IST).astimezone(UTC)
    raise RangeError(field, text("feeder_range_bad", value=value))


def ist_input(t: datetime) -> str:
    """Return an instant as the custom range's input text, in IST."""
    return t.astimezone(IST).strftime(IST_INPUT_FORMATS[0])


def fit_window(
    extent: tuple[datetime, datetime] | None, now: datetime
) -> tuple[datetime, datetime]:
    """Return the range that fits the feeder's data: from its first summary (at most
    LONGEST_RANGE back) to now while data arrives, else to its last; a day when there is none."""
    if extent is None:
        return now - RANGES["24h"], now
    first, last = extent
    end = now if now - last <= LIVE_EDGE else last + (last - first) * 0.02 + timedelta(minutes=1)
    start = max(first, end - LONGEST_RANGE)
    start -= (end - start) * 0.02
    return min(start, end - SHORTEST_FIT), end


def chart_window(
    choice: str | None,
    now: datetime,
    extent: tuple[datetime, datetime] | None,
    start_text: str | None = None,
    end_text: str | None = None,
) -> tuple[datetime, datetime]:
    """Return the [start, end) of the chosen range, or raise RangeError naming the input."""
    if choice in RANGES:
        return now - RANGES[choice], now
    if choice != CUSTOM:
        return fit_window(extent, now)
    start, end = parse_ist(start_text, "from"), parse_ist(end_text, "to")
    if end <= start:
        raise RangeError("to", text("feeder_range_order"))
    if end - start > LONGEST_RANGE:
        raise RangeError("to", text("feeder_range_too_long"))
    return start, end


def range_text(start: datetime, end: datetime) -> str:
    """Return a chart range in words, in IST."""
    return text(
        "feeder_range_span", start=ist_text(start, seconds=False), end=ist_text(end, seconds=False)
    )


# --- houses and lockouts ----------------------------------------------------------------------


def reason_text(reason: str | None) -> str:
    """Return a reason code from the edge in words, in the interface language."""
    return reason_words(reason)


def lock_text(h: FeederHouse) -> str:
    """Return the Lock column of a house: locked, why, since and until when; or why it cannot
    be switched at all. A locked house's text holds `text("feeder_lock_locked")`."""
    if not h.locked:
        return "" if h.switchable else text("feeder_lock_no_relay")
    parts = [text("feeder_lock_locked")]
    if h.locked_since is not None:
        parts.append(text("feeder_lock_since", at=ist_text(h.locked_since, seconds=False)))
    parts.append(
        text("feeder_lock_until", at=ist_text(h.locked_until, seconds=False))
        if h.locked_until is not None
        else text("feeder_lock_until_operator")
    )
    why = reason_text(h.locked_reason)
    return " ".join(parts) + (f" ({why})" if why else "")


def house_rows(houses: Sequence[FeederHouse], now: datetime) -> list[dict[str, Any]]:
    """Return the houses table rows."""
    return [
        {
            "house": h.house_id,
            "phase": h.phase,
            "p_kw": None if h.p is None else round(h.p / 1000.0, 2),
            "pv_kw": None if h.pv is None else round(h.pv / 1000.0, 2),
            "online": text(
                "feeder_online_yes"
                if h.last_reading is not None
                and (now - h.last_reading).total_seconds() <= HOUSE_ONLINE_S
                else "feeder_online_no"
            ),
            "switches_today": h.switches_today,
            "lock": lock_text(h),
        }
        for h in houses
    ]


SEARCHED_COLUMNS: Final = ("house", "phase", "online", "lock")
"""The houses table columns a search looks in."""


def search_rows(rows: Sequence[dict[str, Any]], query: str | None) -> list[dict[str, Any]]:
    """Return the rows whose text columns contain every word of `query` (any case)."""
    words = (query or "").lower().split()
    if not words:
        return list(rows)
    return [
        row
        for row in rows
        if all(
            any(word in str(row.get(c) or "").lower() for c in SEARCHED_COLUMNS) for word in words
        )
    ]


def build_locks(houses: Sequence[FeederHouse], *, can_unlock: bool, button_type: str) -> html.Div:
    """Return the locked-out houses, each with why, since, until when and an unlock button.

    `button_type` is the `type` of each button's pattern-matching id (the house is its
    `house`). Without `can_unlock` there are no buttons: a button drawn again triggers its
    callback, which would refuse a viewer for a click never made.
    """
    locked = [h for h in houses if h.locked]
    if not locked:
        return html.Div(text("feeder_locks_none"), className="sp-empty sp-locks-none")
    header = html.Tr(
        [
            html.Th(text(f"feeder_locks_col_{key}"))
            for key in ("house", "phase", "why", "since", "until", "action")
        ]
    )
    rows = [
        html.Tr(
            [
                html.Td(h.house_id),
                html.Td(h.phase, className=f"sp-phase-{h.phase}"),
                html.Td(reason_text(h.locked_reason) or "—"),
                html.Td(ist_text(h.locked_since, seconds=False) + " IST"),
                html.Td(
                    ist_text(h.locked_until, seconds=False) + " IST"
                    if h.locked_until is not None
                    else text("feeder_locks_until_unlocked")
                ),
                html.Td(
                    html.Button(
                        text("feeder_unlock"),
                        id={"type": button_type, "house": h.house_id},
                        className="sp-button sp-unlock",
                        title=text("feeder_unlock_title"),
                    )
                    if can_unlock
                    else html.Span(text("feeder_locks_operator"), className="sp-hint")
                ),
            ],
            className="sp-lock-row",
        )
        for h in locked
    ]
    return html.Div(
        html.Table([html.Thead(header), html.Tbody(rows)], className="sp-locks-table"),
        className="sp-locks",
    )


# --- balancing history ------------------------------------------------------------------------


def run_rows(runs: Sequence[BalancingRun]) -> list[dict[str, Any]]:
    """Return the balancing history table rows (the run id is kept out of sight for selection)."""
    return [
        {
            "run_id": r.run_id,
            "ts": ist_text(r.ts) + " IST",
            "trigger": text(
                "feeder_trigger_operator"
                if r.trigger == "balance_now"
                else "feeder_trigger_controller"
            ),
            "result": run_result_text(r.result),
            "moves": ", ".join(
                f"{m.get('house', '?')} {m.get('from', '?')}→{m.get('to', '?')} "
                f"{move_result_text(str(m.get('result', '?')))}"
                for m in r.moves
            ),
            "neutral": f"{fmt(r.before_i_n)} → {fmt(r.after_i_n)} A",
        }
        for r in runs
    ]


@dataclass(frozen=True, slots=True)
class MoveReason:
    """Why one house of a run was moved, from the readings at the run's decision."""

    house_id: str
    from_phase: str
    to_phase: str
    result: str
    load_kw: float | None
    """The house's consumption: net import plus its own PV [kW]."""
    pv_kw: float | None
    """Its PV output [kW]."""
    net_kw: float | None
    """Its net import (negative: export) [kW]; this is what moves with it."""
    neutral_with_a: float | None
    """The predicted neutral current with the house on its phase (and the run's earlier moves
    made) [A]."""
    neutral_without_a: float | None
    """The same with the house moved [A]."""


def run_decided_at(run: BalancingRun) -> datetime:
    """Return when the run was decided, or when it ended for a run that did not record it."""
    return run.decided_at or run.ts


def explain_run(
    run: BalancingRun, state: SeriesPoint | None, readings: Mapping[str, HouseReading]
) -> list[MoveReason]:
    """Return why each house of a run was moved: its load, PV and the predicted neutral with
    it and without it, from the feeder summary and house readings at the run's decision.

    The moves are predicted one after another in the run's order; a house without a reading
    at the time is left out of the prediction (its figures are None).
    """
    known: list[tuple[int, HouseMove]] = []
    for k, m in enumerate(run.moves):
        reading = readings.get(str(m.get("house")))
        try:
            phases = Phase(str(m.get("from"))), Phase(str(m.get("to")))
        except ValueError:
            continue
        if reading is not None and state is not None:
            known.append((k, HouseMove(reading.p, reading.q, *phases)))
    effects = {}
    if state is not None and known:
        loads = PhaseLoads(
            (state.p_r, state.p_y, state.p_b),
            (state.q_r, state.q_y, state.q_b),
            (state.v_r, state.v_y, state.v_b),
        )
        predicted = predict_moves(loads, [move for _, move in known])
        effects = {k: e for (k, _), e in zip(known, predicted, strict=True)}
    out = []
    for k, m in enumerate(run.moves):
        house = str(m.get("house", "?"))
        reading = readings.get(house)
        effect = effects.get(k)
        out.append(
            MoveReason(
                house_id=house,
                from_phase=str(m.get("from", "?")),
                to_phase=str(m.get("to", "?")),
                result=str(m.get("result", "?")),
                load_kw=None if reading is None else (reading.p + reading.pv) / 1000.0,
                pv_kw=None if reading is None else reading.pv / 1000.0,
                net_kw=None if reading is None else reading.p / 1000.0,
                neutral_with_a=None if effect is None else effect.before.i_n_a,
                neutral_without_a=None if effect is None else effect.after.i_n_a,
            )
        )
    return out


def build_run_detail(run: BalancingRun, reasons: Sequence[MoveReason]) -> html.Div:
    """Return the moves of a run: how each ended and why the house was chosen."""
    if not reasons:
        return html.Div(
            text("feeder_run_no_moves", result=run_result_text(run.result)),
            className="sp-hint",
        )
    header = html.Tr(
        [
            html.Th(text(f"feeder_moves_col_{key}"))
            for key in ("house", "move", "outcome", "load", "pv", "net", "stays", "moved")
        ]
    )
    rows = [
        html.Tr(
            [
                html.Td(r.house_id),
                html.Td(
                    [
                        html.Span(r.from_phase, className=f"sp-phase-{r.from_phase}"),
                        " → ",
                        html.Span(r.to_phase, className=f"sp-phase-{r.to_phase}"),
                    ]
                ),
                html.Td(
                    move_result_text(r.result),
                    className=f"sp-move-outcome sp-move-{r.result}",
                ),
                html.Td(fmt(r.load_kw, 2), className="sp-num"),
                html.Td(fmt(r.pv_kw, 2), className="sp-num"),
                html.Td(fmt(r.net_kw, 2), className="sp-num"),
                html.Td(fmt(r.neutral_with_a), className="sp-num"),
                html.Td(fmt(r.neutral_without_a), className="sp-num"),
            ]
        )
        for r in reasons
    ]
    return html.Div(
        [
            html.Table([html.Thead(header), html.Tbody(rows)], className="sp-run-moves"),
            html.P(
                text(
                    "feeder_run_basis_decided"
                    if run.decided_at is not None
                    else "feeder_run_basis_ended",
                    at=ist_text(run_decided_at(run)),
                ),
                className="sp-hint",
            ),
        ],
        className="sp-run-detail",
    )


# --- the dry run of a manual move -------------------------------------------------------------


def blocker_label(blocker: Blocker) -> str:
    """Return the name of an interlock, as the dry run says it ("minimum dwell")."""
    return text(f"feeder_blocker_{blocker}")


def blocker_text(dry: DryRun) -> str:
    """Return which interlock blocks a previewed move, why, and when it ends."""
    assert dry.blocker is not None
    house, b = dry.house, dry.blocker
    until = dry.blocked_until
    when = f"{ist_text(until, seconds=False)} IST" if until is not None else None
    if b is Blocker.MIN_DWELL:
        detail = text(
            "feeder_block_dwell",
            last=text(
                "feeder_block_last_result",
                result=move_result_text(dry.last_result),
            )
            if dry.last_result
            else text("feeder_block_last"),
            at=ist_text(dry.last_switch),
            minutes=f"{dry.limits.min_dwell_s / 60:.0f}",
            when=when,
        )
    elif b is Blocker.DAILY_CAP:
        detail = text(
            "feeder_block_cap",
            count=house.switches_today,
            limit=dry.limits.max_per_house_day,
            when=when,
        )
    elif b is Blocker.LOCKED:
        why = reason_text(dry.lock_reason)
        detail = text(
            "feeder_block_locked_until" if when else "feeder_block_locked_operator",
            why=f" ({why})" if why else "",
            when=when,
        )
    elif b is Blocker.OFFLINE:
        detail = text("feeder_block_offline", minutes=f"{READING_MAX_AGE_S / 60:.0f}")
    elif b is Blocker.UNVERIFIED:
        detail = text("feeder_block_unverified")
    else:
        detail = text("feeder_block_not_switchable")
    return text("feeder_blocked", blocker=blocker_label(b), detail=detail)


def verdict_text(improves: bool, overloads: Sequence[str], blocked: bool) -> str:
    """Return what a previewed move does to the feeder; in the conditional when an interlock
    blocks it (it will not happen now, whatever it would do)."""
    if improves:
        return text("feeder_verdict_would_improve" if blocked else "feeder_verdict_improves")
    if overloads:
        return text("feeder_verdict_overloads", phases=", ".join(overloads))
    return text("feeder_verdict_would_worsen" if blocked else "feeder_verdict_worsens")


def refusal_text(error: MoveError | CommandError) -> str:
    """Return why a move or a command is refused, in the interface language (the error's own
    English message when it has no message key)."""
    return error.message if error.key is None else text(error.key).format(**error.fields)


def build_preview(dry: DryRun, *, screen: ChartScreen = DEFAULT_SCREEN) -> html.Div:
    """Return the dry run of a move: the interlock that blocks it, or the predicted effect (its
    chart drawn for `screen`)."""
    e = dry.effect
    head: list[Any] = [html.Strong(f"{dry.house_id}: {dry.from_phase} → {dry.to_phase}")]
    if e is not None:
        verdict = verdict_text(e.improves, e.overloads, dry.blocker is not None)
        head.append(
            " "
            + text(
                "feeder_preview_effect", load=fmt(dry.house_p_w / 1000, 2, "kW"), verdict=verdict
            )
        )
    children: list[Any] = [html.P(head)]
    if dry.blocker is not None:
        children.append(
            html.P(
                blocker_text(dry), className=f"sp-blocked sp-blocked-{dry.blocker}", role="alert"
            )
        )
    if e is not None:
        children.append(
            html.Ul(
                [
                    html.Li(
                        text("feeder_dry_phase_currents")
                        + " / ".join(fmt(i) for i in e.before.i_a)
                        + " → "
                        + " / ".join(fmt(i) for i in e.after.i_a)
                        + " A"
                    ),
                    html.Li(
                        text("feeder_dry_neutral")
                        + f"{fmt(e.before.i_n_a)} → {fmt(e.after.i_n_a)} A "
                        f"({e.neutral_change_a:+.1f} A)",
                        className="sp-neutral-change",
                    ),
                    html.Li(
                        text("feeder_dry_unbalance")
                        + f"{fmt(e.before.unbalance_pct)} → {fmt(e.after.unbalance_pct)} %"
                    ),
                ]
            )
        )
        figure = effect_figure(e, screen=screen, lang=html_lang())
        children.append(dcc.Graph(figure=figure, config={"displaylogo": False}))
    verdict_class = (
        " sp-dry-run-blocked"
        if dry.blocker is not None
        else (" sp-dry-run-good" if e is not None and e.improves else " sp-dry-run-bad")
    )
    return html.Div(children, className="sp-dry-run" + verdict_class)
