"""Build a report: read the scope's rollups and events, compute every figure, return the model.

`build_report(engine, scope, period, lang)` is what the command line, the control room and the
scheduled jobs call; `progress(stage, share)` (optional) hears how far it got, for a progress
bar. The period is computed twice, once for itself and once for the previous period of the same
length, whose key figures the report compares with. A period that is not over yet counts up to
the report's time (`now`): the minutes expected of each node, and the savings' last hour, which
is read from the raw house readings as long as the hourly house rollup does not hold it.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

import numpy as np
from sqlalchemy import Connection, Engine

from grid.metrics import rated_current_a
from reports import data
from reports.data import FeederInfo, HouseInfo, Inputs
from reports.figures import (
    VOLTAGE_LIMIT_PCT,
    ChartTotals,
    SavingsSeries,
    actions,
    alert_stats,
    expected_minutes,
    hours_since,
    house_uptimes,
    measured,
    period_state,
    savings_series,
    spread,
    summarize_savings,
    voltage_weeks,
)
from reports.model import (
    Charts,
    FeederFigures,
    KeyFigure,
    MapPoint,
    NodeUptime,
    PhaseLoading,
    Report,
    Savings,
    Spread,
    VoltageWeek,
    completeness,
)
from reports.scope import Period, ReportArgumentError, Scope
from reports.version import software_version
from settings import Settings

LANGUAGES: Final = ("en", "ml")
"""The languages a report is written in."""

STATE_TITLE: Final = "Kerala"
"""The state a state-wide report covers."""

Progress = Callable[[str, float], None]
"""Told each stage ("feeders", "events", "figures") and the share of the work done (0–1)."""


@dataclass(frozen=True, slots=True)
class PeriodFigures:
    """Every feeder's figures over one period, and what the scope's totals need."""

    feeders: tuple[FeederFigures, ...]
    savings: Savings | None
    neutral: Spread
    unbalance: Spread
    phases: tuple[PhaseLoading, PhaseLoading, PhaseLoading]
    nodes: tuple[NodeUptime, ...]
    charts: Charts | None
    inputs: Inputs
    summaries_share: float | None
    readings_share: float | None
    silent_houses: int

    @property
    def has_data(self) -> bool:
        """Return whether any summary or house reading arrived in the period."""
        return any(f.hours_with_data > 0 or f.house_minutes > 0 for f in self.feeders)


def build_report(
    engine: Engine,
    scope: Scope,
    period: Period,
    lang: str = "en",
    *,
    settings: Settings | None = None,
    now: datetime | None = None,
    progress: Progress | None = None,
) -> Report:
    """Return the report of a scope over a period, or raise ReportArgumentError.

    Everything is read as of one moment of the store, however long the report takes: one
    read-only transaction, and on PostgreSQL a second one on the same snapshot that computes
    the previous period at the same time (the database works on both at once).
    """
    if lang not in LANGUAGES:
        raise ReportArgumentError("--lang", f"{lang!r} is not one of {', '.join(LANGUAGES)}")
    settings = settings or Settings.from_env()
    tell = progress or (lambda _stage, _share: None)
    now = now or datetime.now(UTC)
    with engine.connect() as conn, conn.begin():
        snapshot = data.prepare(conn)
        feeders = data.scope_feeders(conn, scope)
        houses = data.scope_houses(conn, scope)
        when = Moment(until=now, rolled_up_to=data.rolled_up_to(conn))
        tell("feeders", 0.0)

        def previous_period(c: Connection) -> PeriodFigures:
            prior = period.previous()
            return compute_period(c, scope, prior, feeders, houses, settings, when, full=False)

        with ThreadPoolExecutor(max_workers=1) as pool:
            later = None
            if snapshot is not None:
                later = pool.submit(_on_snapshot, engine, snapshot, previous_period)
            current = compute_period(
                conn, scope, period, feeders, houses, settings, when, full=True
            )
            tell("previous period", 0.8)
            previous = later.result() if later is not None else previous_period(conn)
    tell("figures", 0.95)
    return _report(scope, period, lang, settings, now, current, previous)


def _on_snapshot(
    engine: Engine, snapshot: str, work: Callable[[Connection], PeriodFigures]
) -> PeriodFigures:
    """Run `work` on a second connection that sees the report's snapshot of the store."""
    with engine.connect() as conn, conn.begin():
        data.join_snapshot(conn, snapshot)
        return work(conn)


@dataclass(frozen=True, slots=True)
class Moment:
    """When a report is made: its time, and where the hourly house rollup ends in its
    snapshot of the store (None: the rollup never ran, so every house hour is read raw)."""

    until: datetime
    rolled_up_to: datetime | None

    def raw_from(self, period: Period) -> datetime:
        """Return where a period's house hours are read from the raw readings."""
        return period.start if self.rolled_up_to is None else self.rolled_up_to


def compute_period(
    conn: Connection,
    scope: Scope,
    period: Period,
    feeders: Sequence[FeederInfo],
    houses: Sequence[HouseInfo],
    settings: Settings,
    when: Moment,
    *,
    full: bool,
) -> PeriodFigures:
    """Return every feeder's figures over a period, read a chunk of feeders at a time.

    With `full` false (the previous period, which only the key figures use) it leaves out the
    voltages, the house nodes' availability and the charts.
    """
    start, end = period.start, period.end
    until, raw_from = when.until, when.raw_from(period)
    inputs = data.inputs(conn, scope, start, end)
    counts = _event_counts(inputs)
    by_feeder: dict[str, list[HouseInfo]] = defaultdict(list)
    for h in houses:
        by_feeder[h.feeder_id].append(h)
    totals = ChartTotals(period) if full else None
    figures: list[FeederFigures] = []
    all_savings: list[SavingsSeries] = []
    nodes: list[NodeUptime] = []
    heard: set[str] = set()
    pool = _Pool()
    for chunk in data.chunks(feeders):
        ids = [f.feeder_id for f in chunk]
        series = data.feeder_series(conn, ids, start, end)
        hours = data.house_hours(conn, ids, start, end, raw_from, until)
        if full:
            volts = data.voltage_slots(conn, ids, start, end)
            minutes = {f: int(v.minutes.sum()) for f, v in volts.items()}
            samples = data.house_samples(conn, ids, start, end, raw_from, until)
            heard.update(s.house_id for s in samples)
            chunk_houses = [h for f in chunk for h in by_feeder[f.feeder_id]]
            nodes.extend(house_uptimes(chunk_houses, samples, period, until))
        else:
            volts = {}
            minutes = data.minutes_reported(conn, ids, start, end)
        for f in chunk:
            rated = rated_current_a(f.kva)
            own = series.get(f.feeder_id)
            m = measured(own, rated)
            pool.add(own)
            saved = None
            span = (max(start, f.created_at).timestamp(), min(end, until).timestamp())
            if (hh := hours.get(f.feeder_id)) is not None:
                saved = savings_series(
                    hh, rated, settings.lv_phase_ohm, settings.lv_neutral_ohm, span
                )
                all_savings.append(saved)
            if totals is not None:
                if own is not None:
                    totals.add_feeder(own, rated)
                if saved is not None:
                    totals.add_savings(saved)
            expected_hm = sum(
                expected_minutes(h.created_at, period, until) for h in by_feeder[f.feeder_id]
            )
            minutes_expected = expected_minutes(f.created_at, period, until)
            reported = minutes.get(f.feeder_id, 0)
            offline_h = max(0, minutes_expected - reported) / 60.0
            figures.append(
                FeederFigures(
                    feeder_id=f.feeder_id,
                    name=f.name,
                    district=f.district,
                    lat=f.lat,
                    lon=f.lon,
                    kva=f.kva,
                    rated_a=rated,
                    houses=f.houses,
                    neutral=m.neutral,
                    unbalance=m.unbalance,
                    hours_with_data=m.hours_with_data,
                    hours_unbalanced=m.hours_unbalanced,
                    hours_overloaded=m.hours_overloaded,
                    peak_kva=m.peak_kva,
                    phases=m.phases,
                    voltage_weeks=voltage_weeks(volts.get(f.feeder_id), period) if full else (),
                    minutes_reported=reported,
                    minutes_expected=minutes_expected,
                    savings=summarize_savings([saved] if saved else [], expected_hm),
                    house_minutes=0 if hh is None else int(hh.column("minutes").sum()),
                    expected_house_minutes=expected_hm,
                    state=period_state(
                        hours_since(f.created_at, period, until),
                        offline_h,
                        m.hours_overloaded,
                        m.hours_unbalanced,
                    ),
                    **counts[f.feeder_id],
                )
            )
            uptime = completeness(reported, minutes_expected)
            if uptime is not None:  # not provisioned yet: no availability to count
                nodes.append(NodeUptime("controller", f.feeder_id, f.feeder_id, uptime, offline_h))
    expected_house_minutes = sum(f.expected_house_minutes for f in figures)
    minutes_expected = sum(f.minutes_expected for f in figures)
    return PeriodFigures(
        feeders=tuple(figures),
        savings=summarize_savings(all_savings, expected_house_minutes),
        neutral=pool.neutral(),
        unbalance=pool.unbalance(),
        phases=_scope_phases(figures),
        nodes=tuple(sorted(nodes, key=lambda n: (n.uptime, n.kind, n.node_id))),
        charts=totals.charts() if totals is not None else None,
        inputs=inputs,
        summaries_share=completeness(sum(f.minutes_reported for f in figures), minutes_expected),
        readings_share=completeness(sum(f.house_minutes for f in figures), expected_house_minutes),
        silent_houses=sum(
            1
            for h in houses
            if h.house_id not in heard and hours_since(h.created_at, period, until) > 0
        )
        if full
        else 0,
    )


class _Pool:
    """Every feeder's 15-minute means, kept compactly for the scope's percentiles."""

    def __init__(self) -> None:
        self.parts: list[np.ndarray] = []

    def add(self, series: data.FeederSeries | None) -> None:
        if series is not None and len(series.data):
            cols = [series.column(c) for c in ("i_n", "samples", "i_n_max", "unbalance_pct")]
            self.parts.append(np.column_stack(cols).astype(np.float32))

    def _all(self) -> np.ndarray:
        return np.concatenate(self.parts) if self.parts else np.empty((0, 4), np.float32)

    def neutral(self) -> Spread:
        a = self._all()
        return spread(a[:, 0], a[:, 1], a[:, 2])

    def unbalance(self) -> Spread:
        a = self._all()
        return spread(a[:, 3], a[:, 1])


def _scope_phases(
    figures: Sequence[FeederFigures],
) -> tuple[PhaseLoading, PhaseLoading, PhaseLoading]:
    """Return each phase over the scope: the highest loading of any feeder, hours summed."""
    out = []
    for k, phase in enumerate("RYB"):
        rows = [f.phases[k] for f in figures]
        pcts = [(p.peak_pct, p.peak_a) for p in rows if p.peak_pct is not None]
        top = max(pcts, default=(None, None))
        out.append(
            PhaseLoading(
                phase=phase,
                peak_a=top[1],
                peak_pct=top[0],
                hours_above_80=sum(p.hours_above_80 for p in rows),
                hours_above_100=sum(p.hours_above_100 for p in rows),
            )
        )
    return out[0], out[1], out[2]


def _event_counts(inputs: Inputs) -> defaultdict[str, dict[str, int]]:
    counts: defaultdict[str, dict[str, int]] = defaultdict(
        lambda: dict.fromkeys(
            ("runs", "switches", "rollbacks", "lockouts", "manual_moves", "alerts"), 0
        )
    )
    for r in inputs.runs:
        counts[r.feeder_id]["runs"] += 1
    for s in inputs.switches:
        if s.result == "applied":
            counts[s.feeder_id]["switches"] += 1
        elif s.result == "rolled_back":
            counts[s.feeder_id]["rollbacks"] += 1
    for lock in inputs.lockouts:
        counts[lock.feeder_id]["lockouts"] += 1
    for c in inputs.commands:
        if c.action == "switch":
            counts[c.feeder_id]["manual_moves"] += 1
    for a in inputs.alerts:
        if a.feeder_id is not None:
            counts[a.feeder_id]["alerts"] += 1
    return counts


def _report(
    scope: Scope,
    period: Period,
    lang: str,
    settings: Settings,
    now: datetime,
    current: PeriodFigures,
    previous: PeriodFigures,
) -> Report:
    feeders = current.feeders
    weeks = _voltage_weeks(feeders)
    known = [f.voltage_p95_pct for f in feeders if f.voltage_p95_pct is not None]
    assert current.charts is not None
    inputs = current.inputs
    return Report(
        scope=scope,
        period=period,
        lang=lang,
        generated_at=now,
        version=software_version(),
        scope_title=_title(scope, feeders),
        feeders=feeders,
        houses=sum(f.houses for f in feeders),
        silent_houses=current.silent_houses,
        summaries_share=current.summaries_share,
        readings_share=current.readings_share,
        key_figures=_key_figures(current, previous, settings.tariff_inr_per_kwh),
        savings=current.savings,
        tariff_inr_per_kwh=settings.tariff_inr_per_kwh,
        r_phase_ohm=settings.lv_phase_ohm,
        r_neutral_ohm=settings.lv_neutral_ohm,
        neutral=current.neutral,
        unbalance=current.unbalance,
        hours_unbalanced=sum(f.hours_unbalanced for f in feeders),
        hours_overloaded=sum(f.hours_overloaded for f in feeders),
        peak_kva=max((f.peak_kva for f in feeders if f.peak_kva is not None), default=None),
        phases=current.phases,
        voltage_weeks=weeks,
        voltage_feeders_above=sum(1 for v in known if v > VOLTAGE_LIMIT_PCT),
        voltage_feeders_known=len(known),
        actions=actions(inputs),
        runs=tuple(reversed(inputs.runs)),
        switches=tuple(s for s in reversed(inputs.switches) if s.result != "applied"),
        commands=tuple(reversed(inputs.commands)),
        lockouts=tuple(reversed(inputs.lockouts)),
        alerts=alert_stats(inputs.alerts, period.end),
        controllers_uptime=_mean(n.uptime for n in current.nodes if n.kind == "controller"),
        houses_uptime=_mean(n.uptime for n in current.nodes if n.kind == "house"),
        nodes=current.nodes,
        charts=current.charts,
        map_points=tuple(MapPoint(f.feeder_id, f.lat, f.lon, f.state) for f in feeders),
        map_district=scope.name if scope.kind == "district" else _district_of(scope, feeders),
        has_data=current.has_data,
        state_counts=dict(Counter(f.state for f in feeders)),
    )


def _title(scope: Scope, feeders: Sequence[FeederFigures]) -> str:
    if scope.kind == "feeder":
        f = feeders[0]
        return f"{f.feeder_id} {f.name} ({f.district})"
    if scope.kind in ("district", "section"):
        return str(scope.name)
    return STATE_TITLE


def _district_of(scope: Scope, feeders: Sequence[FeederFigures]) -> str | None:
    return feeders[0].district if scope.kind in ("feeder", "section") and feeders else None


def _voltage_weeks(feeders: Sequence[FeederFigures]) -> tuple[VoltageWeek, ...]:
    """Return one feeder's weeks, or at wider scope the weeks of its worst feeder."""
    if len(feeders) == 1:
        return feeders[0].voltage_weeks
    worst = max(
        (f for f in feeders if f.voltage_p95_pct is not None),
        key=lambda f: f.voltage_p95_pct or 0.0,
        default=None,
    )
    return worst.voltage_weeks if worst is not None else ()


def _mean(values: Iterable[float]) -> float | None:
    items = list(values)
    return float(np.mean(items)) if items else None


def _key_figures(
    current: PeriodFigures, previous: PeriodFigures, tariff: float
) -> tuple[KeyFigure, ...]:
    def saved(p: PeriodFigures) -> float | None:
        return None if p.savings is None else p.savings.saved_kwh

    def value(p: PeriodFigures) -> float | None:
        kwh = saved(p)
        return None if kwh is None else kwh * tariff

    def cut(p: PeriodFigures) -> float | None:
        return None if p.savings is None else p.savings.neutral_cut_pct

    def hours(p: PeriodFigures, name: str) -> float | None:
        return sum(getattr(f, name) for f in p.feeders) if p.has_data else None

    def switches(p: PeriodFigures) -> float:
        return float(sum(1 for s in p.inputs.switches if s.result == "applied"))

    def alerts(p: PeriodFigures) -> float:
        return float(len(p.inputs.alerts))

    def share(x: float | None) -> float | None:
        return None if x is None else 100.0 * x

    def uptime(p: PeriodFigures) -> float | None:
        return share(_mean(n.uptime for n in p.nodes if n.kind == "controller"))

    return (
        KeyFigure("kf_neutral", "A", current.neutral.mean, previous.neutral.mean),
        KeyFigure("kf_neutral_cut", "%", cut(current), cut(previous), 1, False),
        KeyFigure("kf_saved_kwh", "kWh", saved(current), saved(previous), 1, False),
        KeyFigure("kf_saved_inr", "₹", value(current), value(previous), 0, False),
        KeyFigure(
            "kf_hours_unbalanced",
            "h",
            hours(current, "hours_unbalanced"),
            hours(previous, "hours_unbalanced"),
        ),
        KeyFigure(
            "kf_hours_overloaded",
            "h",
            hours(current, "hours_overloaded"),
            hours(previous, "hours_overloaded"),
        ),
        KeyFigure("kf_switches", "", switches(current), switches(previous), 0, False),
        KeyFigure("kf_alerts", "", alerts(current), alerts(previous), 0),
        KeyFigure(
            "kf_completeness",
            "%",
            share(current.summaries_share),
            share(previous.summaries_share),
            1,
            False,
        ),
        KeyFigure("kf_uptime", "%", uptime(current), uptime(previous), 1, False),
    )
