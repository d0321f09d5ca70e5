"""The figures of a report, computed from the series and rows the store gave (pure).

Every function takes arrays or rows and returns numbers or model pieces; none reads the store
or the clock. The thresholds are grid's (`grid.feeder_states`): a feeder is unbalanced while its
neutral current is at least NEUTRAL_LIMIT_SHARE of the rated phase current and overloaded while
a phase carries more than the rated phase current. Hours above a threshold count the 15-minute
rollup buckets (or, for the savings, the hours) whose mean is above it.

Data completeness is counted in minutes, defined once (`expected_minutes` here and
`reports.model.completeness`): the share of the minutes from a node's provisioning (or the
period's start) to the period's end, or to the report's time when that is earlier, that have at
least one summary (a controller) or reading (a house node).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

import numpy as np
import numpy.typing as npt

from grid.feeder_states import SEVERITY, FeederStatus, neutral_limit_a
from grid.metrics import i2r_loss_w, neutral_current_a, phase_currents_a, pvur_pct
from grid.phasors import NOMINAL_PHASE_V, FloatArray
from reports.data import (
    AlertRow,
    FeederSeries,
    HouseHours,
    HouseInfo,
    HouseSamples,
    Inputs,
    VoltageSlots,
)
from reports.model import (
    Actions,
    AlertStat,
    Charts,
    NodeUptime,
    PhaseLoading,
    Savings,
    Spread,
    VoltageWeek,
)
from reports.scope import Period

BUCKET_H: Final = 0.25
"""Length of a 15-minute rollup bucket [h]."""

HOUSE_HOUR_S: Final = 3600.0
"""Length of a house rollup bucket [s]."""

LOADING_SHARES: Final = (0.8, 1.0)
"""Shares of the rated phase current whose hours above the loading table counts."""

PERIOD_STATE_SHARE: Final = 0.05
"""A feeder shows, on the report's map, the most severe state it was in for at least this
share of the period (grid.feeder_states.SEVERITY: overloaded, unbalanced, offline), else
balanced. Manual mode is not kept in the rollups and does not colour the map."""

VOLTAGE_LIMIT_PCT: Final = 2.0
"""EN 50160's limit for the weekly 95th percentile of the 10-minute voltage unbalance [%]."""

WEEK_DAYS: Final = 7
"""Days in the voltage unbalance's assessment window."""

SLOTS_PER_DAY: Final = 144
"""10-minute voltage windows in a day."""

FULL_WEEK_SHARE: Final = 0.9
"""A voltage week with less than this share of its 10-minute values is partial."""

UPTIME_NOMINAL_QUANTILE: Final = 90.0
"""Percentile, over a feeder's houses, of readings per reporting hour taken as what a house
that is always online sends in an hour."""


# --- the feeder states' rules, on arrays -----------------------------------------------------


def unbalanced_mask(i_n_a: npt.ArrayLike, rated_a: float) -> npt.NDArray[np.bool_]:
    """Return, for each neutral current [A], grid.feeder_states.is_unbalanced: at or above
    neutral_limit_a of the rated phase current [A]. NaN is not unbalanced."""
    return np.asarray(np.asarray(i_n_a, dtype=np.float64) >= neutral_limit_a(rated_a))


def overloaded_mask(i_phase_a: npt.ArrayLike, rated_a: float) -> npt.NDArray[np.bool_]:
    """Return, for each row of phase currents (..., 3) [A], grid.feeder_states.is_overloaded:
    a phase above the rated phase current [A]. NaN counts as not overloaded."""
    above = np.asarray(i_phase_a, dtype=np.float64) > rated_a
    return np.asarray(np.any(above, axis=-1), dtype=np.bool_)


# --- statistics --------------------------------------------------------------------------------


def spread(
    values: npt.ArrayLike,
    weights: npt.ArrayLike | None = None,
    maxima: npt.ArrayLike | None = None,
) -> Spread:
    """Return the mean (weighted), 95th percentile and maximum of the finite values.

    `maxima`, when given, are the largest values inside each interval (the rollup's i_n_max),
    whose largest is the maximum; otherwise the maximum of `values`.
    """
    v = np.asarray(values, dtype=np.float64)
    ok = np.isfinite(v)
    if not ok.any():
        return Spread(None, None, None)
    w = np.ones_like(v) if weights is None else np.asarray(weights, dtype=np.float64)
    mean = float(np.average(v[ok], weights=w[ok])) if w[ok].sum() > 0 else float(v[ok].mean())
    top = v[ok] if maxima is None else np.asarray(maxima, dtype=np.float64)[ok]
    return Spread(mean, float(np.percentile(v[ok], 95)), float(np.nanmax(top)))


def percentile_or_none(values: Sequence[float], q: float) -> float | None:
    """Return the q-th percentile [0–100] of the values, or None when there are none."""
    return float(np.percentile(np.asarray(values, dtype=np.float64), q)) if values else None


# --- measured figures (15-minute rollup) -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Measured:
    """A feeder's figures from its 15-minute rollup buckets."""

    neutral: Spread
    unbalance: Spread
    hours_with_data: float
    hours_unbalanced: float
    hours_overloaded: float
    peak_kva: float | None
    phases: tuple[PhaseLoading, PhaseLoading, PhaseLoading]


def measured(series: FeederSeries | None, rated_a: float) -> Measured:
    """Return a feeder's measured figures from its 15-minute buckets (None: no buckets)."""
    if series is None or len(series.data) == 0:
        empty = Spread(None, None, None)
        return Measured(empty, empty, 0.0, 0.0, 0.0, None, phase_loading(np.empty((0, 3)), rated_a))
    samples = series.column("samples")
    i_n = series.column("i_n")
    i_phase = np.column_stack([series.column(c) for c in ("i_r", "i_y", "i_b")])
    v_phase = np.column_stack([series.column(c) for c in ("v_r", "v_y", "v_b")])
    v_phase = np.where(v_phase > 0, v_phase, NOMINAL_PHASE_V)
    kva = (np.nan_to_num(i_phase) * v_phase).sum(axis=1) / 1000.0
    return Measured(
        neutral=spread(i_n, samples, series.column("i_n_max")),
        unbalance=spread(series.column("unbalance_pct"), samples),
        hours_with_data=len(i_n) * BUCKET_H,
        hours_unbalanced=float(unbalanced_mask(i_n, rated_a).sum()) * BUCKET_H,
        hours_overloaded=float(overloaded_mask(i_phase, rated_a).sum()) * BUCKET_H,
        peak_kva=float(kva.max()),
        phases=phase_loading(i_phase, rated_a),
    )


def phase_loading(
    i_phase_a: FloatArray, rated_a: float, bucket_h: float = BUCKET_H
) -> tuple[PhaseLoading, PhaseLoading, PhaseLoading]:
    """Return each phase's peak current and hours above LOADING_SHARES of its rating."""
    low, high = LOADING_SHARES
    out = []
    for k, phase in enumerate("RYB"):
        col = i_phase_a[:, k] if len(i_phase_a) else np.empty(0)
        col = col[np.isfinite(col)]
        peak = float(col.max()) if len(col) else None
        out.append(
            PhaseLoading(
                phase=phase,
                peak_a=peak,
                peak_pct=None if peak is None else 100.0 * peak / rated_a,
                hours_above_80=float((col > low * rated_a).sum()) * bucket_h,
                hours_above_100=float((col > high * rated_a).sum()) * bucket_h,
            )
        )
    return out[0], out[1], out[2]


# --- voltage unbalance (EN 50160 style, estimated) ---------------------------------------------


def voltage_weeks(slots: VoltageSlots | None, period: Period) -> tuple[VoltageWeek, ...]:
    """Return the 95th percentile of the 10-minute voltage unbalance estimate per week.

    The estimate is the PVUR (grid.metrics.pvur_pct) of each 10-minute mean of the three
    phase-to-neutral voltages: summaries carry no angles and no line-to-line voltages, so the
    IEC voltage unbalance factor EN 50160 limits cannot be computed from them. Weeks start on
    the period's first day; the last may be shorter. A 10-minute window counts only when all
    three voltages are known and positive.
    """
    weeks = []
    start_s = period.start.timestamp()
    if slots is not None and len(slots.t):
        ok = np.all(slots.v > 0, axis=1) & np.all(np.isfinite(slots.v), axis=1)
        t = slots.t[ok]
        pvur = pvur_pct(slots.v[ok, 0], slots.v[ok, 1], slots.v[ok, 2])
        week = ((t - start_s) // (WEEK_DAYS * 86_400)).astype(int)
    else:
        pvur = np.empty(0)
        week = np.empty(0, dtype=int)
    for k in range(math.ceil(period.days / WEEK_DAYS)):
        days = min(WEEK_DAYS, period.days - k * WEEK_DAYS)
        values = pvur[week == k]
        first = period.first_day + timedelta(days=k * WEEK_DAYS)
        coverage = min(1.0, len(values) / (days * SLOTS_PER_DAY))
        weeks.append(
            VoltageWeek(
                first_day=first.isoformat(),
                days=days,
                p95_pct=float(np.percentile(values, 95)) if len(values) else None,
                coverage=coverage,
                partial=days < WEEK_DAYS or coverage < FULL_WEEK_SHARE,
            )
        )
    return tuple(weeks)


# --- savings (the counterfactual) --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SavingsSeries:
    """A feeder's hourly currents with SmartPhase and on the as-built phases, and what follows
    from them; `summarize_savings` turns one or many into a Savings."""

    t: FloatArray  # hour start [epoch s]
    length_h: FloatArray  # the part of the hour counted: inside the span [h]
    houses: FloatArray  # houses that reported in the hour
    minutes: FloatArray  # their house-minutes with a reading
    phase_with: FloatArray  # (n, 3) phase current magnitudes [A]
    phase_without: FloatArray
    neutral_with: FloatArray  # [A]
    neutral_without: FloatArray
    loss_with_w: FloatArray  # I²R loss [W], the hour's mean
    loss_without_w: FloatArray
    over_with: npt.NDArray[np.bool_]
    over_without: npt.NDArray[np.bool_]
    unbalanced_with: npt.NDArray[np.bool_]
    unbalanced_without: npt.NDArray[np.bool_]


def savings_series(
    hours: HouseHours,
    rated_a: float,
    r_phase_ohm: float,
    r_neutral_ohm: float,
    span: tuple[float, float] | None = None,
) -> SavingsSeries:
    """Return a feeder's hourly counterfactual from its house hours.

    Each phase current is the phasor sum conj(S/V) of the houses' mean loads on the nominal
    phase voltages (grid.metrics.phase_currents_a), once with each house on the phase it was on
    and once on its as-built phase; the neutral current is their sum and the loss is I²R in the
    phase and neutral conductors (grid.metrics.i2r_loss_w). Each hour counts for its part
    inside `span` ([epoch s, epoch s): from the feeder's provisioning or the period's start to
    the period's end or the report's time), so that the running hour counts only the minutes
    gone by; None: whole hours.
    """
    phases = [0, 1, 2]
    cols = hours.column
    p_on = np.column_stack([cols("p_r"), cols("p_y"), cols("p_b")])
    q_on = np.column_stack([cols("q_r"), cols("q_y"), cols("q_b")])
    p_built = np.column_stack([cols("bp_r"), cols("bp_y"), cols("bp_b")])
    q_built = np.column_stack([cols("bq_r"), cols("bq_y"), cols("bq_b")])
    i_with = phase_currents_a(p_on, q_on, phases)
    i_without = phase_currents_a(p_built, q_built, phases)
    n_with = neutral_current_a(i_with[:, 0], i_with[:, 1], i_with[:, 2])
    n_without = neutral_current_a(i_without[:, 0], i_without[:, 1], i_without[:, 2])
    t = cols("t")
    if span is None:
        length_h = np.ones_like(t)
    else:
        inside = np.minimum(t + HOUSE_HOUR_S, span[1]) - np.maximum(t, span[0])
        length_h = np.clip(inside, 0.0, HOUSE_HOUR_S) / HOUSE_HOUR_S
    return SavingsSeries(
        t=t,
        length_h=length_h,
        houses=cols("houses"),
        minutes=cols("minutes"),
        phase_with=np.abs(i_with),
        phase_without=np.abs(i_without),
        neutral_with=n_with,
        neutral_without=n_without,
        loss_with_w=i2r_loss_w(i_with, r_phase_ohm, r_neutral_ohm),
        loss_without_w=i2r_loss_w(i_without, r_phase_ohm, r_neutral_ohm),
        over_with=overloaded_mask(np.abs(i_with), rated_a),
        over_without=overloaded_mask(np.abs(i_without), rated_a),
        unbalanced_with=unbalanced_mask(n_with, rated_a),
        unbalanced_without=unbalanced_mask(n_without, rated_a),
    )


def summarize_savings(
    series: Sequence[SavingsSeries], expected_house_minutes: float
) -> Savings | None:
    """Return the Savings of one feeder's or many feeders' hourly series (None: no hours).

    Energies and hours weigh each hour by its length counted (SavingsSeries.length_h).
    """
    series = [s for s in series if len(s.t)]
    if not series:
        return None

    def cat(name: str) -> FloatArray:
        return np.concatenate([getattr(s, name) for s in series])

    length = cat("length_h")

    def hours(name: str) -> float:
        return float((cat(name) * length).sum())

    def phase_max(name: str) -> tuple[float | None, float | None, float | None]:
        values = cat(name).max(axis=0)
        return float(values[0]), float(values[1]), float(values[2])

    return Savings(
        hours=float(length.sum()),
        house_minutes=int(cat("minutes").sum()),
        expected_house_minutes=expected_house_minutes,
        neutral_with=spread(cat("neutral_with"), length),
        neutral_without=spread(cat("neutral_without"), length),
        phase_max_with=phase_max("phase_with"),
        phase_max_without=phase_max("phase_without"),
        loss_with_kwh=hours("loss_with_w") / 1000.0,
        loss_without_kwh=hours("loss_without_w") / 1000.0,
        overload_hours_with=hours("over_with"),
        overload_hours_without=hours("over_without"),
        unbalanced_hours_with=hours("unbalanced_with"),
        unbalanced_hours_without=hours("unbalanced_without"),
    )


# --- availability ------------------------------------------------------------------------------


def hours_since(created_at: datetime, period: Period, until: datetime | None = None) -> float:
    """Return the hours of the period at or after a provisioning time and before `until`
    (the report's time; None: the period's end) [h]."""
    start = max(period.start, created_at)
    end = period.end if until is None else min(period.end, until)
    return max(0.0, (end - start).total_seconds() / 3600.0)


def expected_minutes(created_at: datetime, period: Period, until: datetime | None = None) -> int:
    """Return the minutes a node provisioned at `created_at` could have reported in the period
    up to `until` (None: the period's end): the minutes since the epoch that the time from its
    provisioning (or the period's start) to the period's end (or `until`) touches."""
    start = max(period.start, created_at).timestamp()
    end = (period.end if until is None else min(period.end, until)).timestamp()
    if end <= start:
        return 0
    return int(math.ceil(end / 60.0) - math.floor(start / 60.0))


def house_uptimes(
    houses: Sequence[HouseInfo],
    samples: Sequence[HouseSamples],
    period: Period,
    until: datetime | None = None,
) -> list[NodeUptime]:
    """Return each house node's share of the period it reported.

    A house that is always online sends, each hour, the feeder's typical count of readings
    per reporting hour (the UPTIME_NOMINAL_QUANTILE percentile over its houses); a house's
    uptime is its readings over that count times the hours since it was provisioned, at most 1.
    """
    by_house = {s.house_id: s for s in samples}
    per_hour: dict[str, list[float]] = {}
    for s in samples:
        if s.hours > 0:
            per_hour.setdefault(s.feeder_id, []).append(s.samples / s.hours)
    nominal = {f: float(np.percentile(v, UPTIME_NOMINAL_QUANTILE)) for f, v in per_hour.items()}
    out = []
    for h in houses:
        expected_h = hours_since(h.created_at, period, until)
        if expected_h <= 0:
            continue
        got = by_house.get(h.house_id)
        norm = nominal.get(h.feeder_id, 0.0)
        share = 0.0 if got is None or norm <= 0 else min(1.0, got.samples / (norm * expected_h))
        out.append(NodeUptime("house", h.house_id, h.feeder_id, share, (1 - share) * expected_h))
    return out


# --- the map -----------------------------------------------------------------------------------


def period_state(
    hours: float, offline_h: float, overloaded_h: float, unbalanced_h: float
) -> FeederStatus:
    """Return the state a feeder shows over a period of `hours` [h]: the first of
    grid.feeder_states.SEVERITY it held for at least PERIOD_STATE_SHARE of it, else balanced."""
    held: dict[FeederStatus, float] = {
        "overloaded": overloaded_h,
        "unbalanced": unbalanced_h,
        "offline": offline_h,
    }
    for state in SEVERITY:
        if hours > 0 and held.get(state, 0.0) >= PERIOD_STATE_SHARE * hours:
            return state
    return "balanced"


# --- activity and alerts -----------------------------------------------------------------------


def actions(inputs: Inputs) -> Actions:
    """Return the period's balancing runs by result and switches by origin and result."""
    pairs = [
        (r.before[3], r.after[3])
        for r in inputs.runs
        if r.before[3] is not None and r.after[3] is not None
    ]
    before = [b for b, _ in pairs]
    after = [a for _, a in pairs]
    return Actions(
        runs=dict(Counter(r.result for r in inputs.runs)),
        neutral_before_a=float(np.mean(before)) if before else None,
        neutral_after_a=float(np.mean(after)) if after else None,
        switches=dict(Counter((s.origin, s.result) for s in inputs.switches)),
        operator_actions=dict(inputs.operator_actions),
    )


def alert_stats(alerts: Iterable[AlertRow], end: datetime) -> tuple[AlertStat, ...]:
    """Return the alerts of each kind and severity with their times to acknowledge and clear
    [min]; an alert still open at `end` counts as open, its times as unknown."""
    groups: dict[tuple[str, str], list[AlertRow]] = {}
    for a in alerts:
        groups.setdefault((a.kind, a.severity), []).append(a)
    out = []
    for (kind, severity), rows in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        acked = [_minutes(a.raised_at, a.acked_at) for a in rows if _by(a.acked_at, end)]
        cleared = [_minutes(a.raised_at, a.cleared_at) for a in rows if _by(a.cleared_at, end)]
        out.append(
            AlertStat(
                kind=kind,
                severity=severity,
                raised=len(rows),
                acknowledged=len(acked),
                cleared=len(cleared),
                open_at_end=len(rows) - len(cleared),
                ack_median_min=percentile_or_none(acked, 50),
                ack_p90_min=percentile_or_none(acked, 90),
                clear_median_min=percentile_or_none(cleared, 50),
                clear_p90_min=percentile_or_none(cleared, 90),
            )
        )
    return tuple(out)


def _by(t: datetime | None, end: datetime) -> bool:
    return t is not None and t < end


def _minutes(start: datetime, stop: datetime | None) -> float:
    assert stop is not None
    return max(0.0, (stop - start).total_seconds() / 60.0)


# --- the charts' series ------------------------------------------------------------------------


class ChartTotals:
    """Sums, per hour of the period, of what the charts draw, added feeder by feeder.

    Only sums and counts per hour are kept, so a district or the state costs no more memory
    than one feeder.
    """

    def __init__(self, period: Period) -> None:
        self.period = period
        n = period.days * 24
        self.phase = np.zeros((n, 3))
        self.phase_n = np.zeros(n)
        self.measured = np.zeros(n)
        self.heat = np.zeros(n)
        self.heat_n = np.zeros(n)
        self.neutral = np.zeros((n, 2))
        self.neutral_n = np.zeros(n)

    def _hour(self, t: FloatArray) -> npt.NDArray[np.intp]:
        idx = ((t - self.period.start.timestamp()) // 3600).astype(np.intp)
        return np.clip(idx, 0, len(self.phase_n) - 1)

    def add_feeder(self, series: FeederSeries, rated_a: float) -> None:
        """Add a feeder's 15-minute buckets."""
        if len(series.data) == 0:
            return
        idx = self._hour(series.column("t"))
        i_phase = np.column_stack([series.column(c) for c in ("i_r", "i_y", "i_b")])
        ok = np.all(np.isfinite(i_phase), axis=1)
        np.add.at(self.phase, idx[ok], i_phase[ok])
        np.add.at(self.phase_n, idx[ok], 1.0)
        i_n = series.column("i_n")
        fine = np.isfinite(i_n)
        np.add.at(self.measured, idx[fine], i_n[fine])
        np.add.at(self.heat, idx[fine], 100.0 * i_n[fine] / neutral_limit_a(rated_a))
        np.add.at(self.heat_n, idx[fine], 1.0)

    def add_savings(self, series: SavingsSeries) -> None:
        """Add a feeder's hourly neutral currents with and without SmartPhase."""
        if len(series.t) == 0:
            return
        idx = self._hour(series.t)
        np.add.at(self.neutral, idx, np.column_stack([series.neutral_with, series.neutral_without]))
        np.add.at(self.neutral_n, idx, 1.0)

    def charts(self) -> Charts:
        """Return the charts' series: per day, or per hour for periods of two days or less."""
        step = 1 if self.period.days <= 2 else 24
        days = self.period.days

        def per(step_h: int, sums: FloatArray, counts: FloatArray) -> FloatArray:
            shape = (len(counts) // step_h, step_h)
            total = sums.reshape(*shape, *sums.shape[1:]).sum(axis=1)
            n = counts.reshape(shape).sum(axis=1)
            with np.errstate(invalid="ignore", divide="ignore"):
                if total.ndim == 2:
                    return np.where(n[:, None] > 0, total / n[:, None], np.nan)
                return np.where(n > 0, total / n, np.nan)

        neutral = per(step, self.neutral, self.neutral_n)
        with np.errstate(invalid="ignore", divide="ignore"):
            heat = np.where(self.heat_n > 0, self.heat / self.heat_n, np.nan).reshape(days, 24)
        return Charts(
            step_h=step,
            t0_day=self.period.first_day.isoformat(),
            phase_a=per(step, self.phase, self.phase_n),
            neutral_with_a=neutral[:, 0],
            neutral_without_a=neutral[:, 1],
            neutral_measured_a=per(step, self.measured, self.heat_n),
            heat_pct=heat,
        )
