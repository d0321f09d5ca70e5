"""A report as a plain, typed model: numbers and rows, no layout (STYLE 14).

`reports.build` computes it from the store; the PDF template, the CSV annex and the tests all
read it. Units are in the field comments; None means "not known" (no data), never zero.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from grid.feeder_states import FeederStatus
from grid.phasors import FloatArray
from reports.data import CommandRow, LockoutRow, RunRow, SwitchRow
from reports.scope import Period, Scope


def completeness(minutes: float, expected: float) -> float | None:
    """Return the share of the expected minutes that have data (None: none were expected)."""
    return min(1.0, minutes / expected) if expected > 0 else None


@dataclass(frozen=True, slots=True)
class Spread:
    """Mean, 95th percentile and maximum of a quantity (None: no data)."""

    mean: float | None
    p95: float | None
    max: float | None


@dataclass(frozen=True, slots=True)
class PhaseLoading:
    """One phase of a transformer, or of every transformer of a scope, over the period."""

    phase: str  # "R", "Y", "B"
    peak_a: float | None  # highest 15-minute mean current [A]
    peak_pct: float | None  # that, against the rated phase current [%]
    hours_above_80: float  # hours above 80 % of the rated phase current [h]
    hours_above_100: float  # hours above the rated phase current [h]


@dataclass(frozen=True, slots=True)
class VoltageWeek:
    """The voltage unbalance estimate over one week (or the period's last, shorter part)."""

    first_day: str  # ISO date, IST
    days: int
    p95_pct: float | None  # 95th percentile of the 10-minute PVUR values [%]
    coverage: float  # share of the window's 10-minute intervals with voltages
    partial: bool  # shorter than a week, or too few values (reports.figures.FULL_WEEK_SHARE)


@dataclass(frozen=True, slots=True)
class Savings:
    """The counterfactual of one feeder, or of a scope: the same measured house loads on the
    phases they were on (with SmartPhase) and on their as-built phases (without)."""

    hours: float  # hours with house readings, the running hour's minutes gone by only [h]
    house_minutes: int  # house-minutes with a reading
    expected_house_minutes: float  # house-minutes the period held, to the report's time
    neutral_with: Spread  # neutral current [A], hourly values
    neutral_without: Spread
    phase_max_with: tuple[float | None, float | None, float | None]  # highest hour R, Y, B [A]
    phase_max_without: tuple[float | None, float | None, float | None]
    loss_with_kwh: float  # I²R losses in the LV conductors [kWh]
    loss_without_kwh: float
    overload_hours_with: float  # [h]
    overload_hours_without: float
    unbalanced_hours_with: float  # hours with the neutral at or above the unbalance limit [h]
    unbalanced_hours_without: float

    @property
    def saved_kwh(self) -> float:
        """Return the energy SmartPhase saved in the conductors [kWh] (negative: it cost)."""
        return self.loss_without_kwh - self.loss_with_kwh

    @property
    def coverage(self) -> float:
        """Return the share of expected house-minutes that had a reading."""
        if self.expected_house_minutes <= 0:
            return 0.0
        return min(1.0, self.house_minutes / self.expected_house_minutes)

    @property
    def neutral_cut_pct(self) -> float | None:
        """Return how much lower the mean neutral current was with SmartPhase [%]."""
        without, with_ = self.neutral_without.mean, self.neutral_with.mean
        if without is None or with_ is None or without <= 0:
            return None
        return 100.0 * (without - with_) / without


@dataclass(frozen=True, slots=True)
class FeederFigures:
    """Every figure of one feeder over the period."""

    feeder_id: str
    name: str
    district: str
    lat: float
    lon: float
    kva: float
    rated_a: float  # rated phase current [A]
    houses: int
    neutral: Spread  # measured neutral current [A]: mean of summaries, p95 of 15-min means
    unbalance: Spread  # measured current unbalance [%]
    hours_with_data: float  # hours of 15-minute buckets with summaries [h]
    hours_unbalanced: float  # [h]
    hours_overloaded: float  # [h]
    peak_kva: float | None  # highest 15-minute apparent power, three phases [kVA]
    phases: tuple[PhaseLoading, PhaseLoading, PhaseLoading]
    voltage_weeks: tuple[VoltageWeek, ...]
    minutes_reported: int  # minutes of the period with a summary
    minutes_expected: int  # minutes since the feeder was provisioned, to the report's time
    savings: Savings | None  # None: no house readings in the period
    house_minutes: int  # house-minutes with a reading
    expected_house_minutes: int  # ... since each house was provisioned, to the report's time
    state: FeederStatus  # the state it showed over the period (reports.figures.period_state)
    runs: int = 0
    switches: int = 0  # applied
    rollbacks: int = 0
    lockouts: int = 0
    manual_moves: int = 0
    alerts: int = 0

    @property
    def uptime(self) -> float | None:
        """Return the controller's share of minutes with a summary."""
        return completeness(self.minutes_reported, self.minutes_expected)

    @property
    def readings_share(self) -> float | None:
        """Return the houses' share of house-minutes with a reading."""
        return completeness(self.house_minutes, self.expected_house_minutes)

    @property
    def offline_hours(self) -> float:
        """Return the hours without a summary [h]."""
        return max(0, self.minutes_expected - self.minutes_reported) / 60.0

    @property
    def voltage_p95_pct(self) -> float | None:
        """Return the worst weekly 95th percentile of the voltage unbalance estimate [%]."""
        values = [w.p95_pct for w in self.voltage_weeks if w.p95_pct is not None]
        return max(values) if values else None


@dataclass(frozen=True, slots=True)
class NodeUptime:
    """The availability of one controller or house node over the period."""

    kind: str  # "controller" or "house"
    node_id: str
    feeder_id: str
    uptime: float  # share of the period it reported
    offline_hours: float  # [h]


@dataclass(frozen=True, slots=True)
class AlertStat:
    """Alerts of one kind and severity raised in the period."""

    kind: str
    severity: str
    raised: int
    acknowledged: int
    cleared: int
    open_at_end: int
    ack_median_min: float | None  # time to acknowledge [min]
    ack_p90_min: float | None
    clear_median_min: float | None  # time to clear [min]
    clear_p90_min: float | None


@dataclass(frozen=True, slots=True)
class Actions:
    """Balancing activity over the period."""

    runs: Mapping[str, int]  # result → runs
    neutral_before_a: float | None  # mean over runs with both figures [A]
    neutral_after_a: float | None
    switches: Mapping[tuple[str, str], int]  # (origin, result) → switches
    operator_actions: Mapping[str, int]  # audit log action → count

    @property
    def runs_total(self) -> int:
        """Return the number of runs."""
        return sum(self.runs.values())

    def switches_with(self, *, origin: str | None = None, result: str | None = None) -> int:
        """Return the switches of an origin and/or result."""
        return sum(
            n
            for (o, r), n in self.switches.items()
            if (origin is None or o == origin) and (result is None or r == result)
        )


@dataclass(frozen=True, slots=True)
class KeyFigure:
    """One headline number with the previous period's."""

    key: str  # the label's key in the strings (e.g. "kf_neutral")
    unit: str
    value: float | None
    previous: float | None
    decimals: int = 1
    lower_is_better: bool = True

    @property
    def change(self) -> float | None:
        """Return the change against the previous period, in the figure's unit."""
        if self.value is None or self.previous is None:
            return None
        return self.value - self.previous

    @property
    def change_pct(self) -> float | None:
        """Return the change against the previous period [%] (None from zero)."""
        change = self.change
        if change is None or self.previous is None or self.previous == 0:
            return None
        return 100.0 * change / abs(self.previous)


@dataclass(frozen=True, slots=True)
class Charts:
    """The series the charts draw, over the period in IST."""

    step_h: int  # 24: one point per day; 1: one per hour (periods of two days or less)
    t0_day: str  # ISO date of the first point
    phase_a: FloatArray  # (points, 3) mean phase current R, Y, B per feeder [A] (NaN: no data)
    neutral_with_a: FloatArray  # (points,) mean neutral with SmartPhase (house loads) [A]
    neutral_without_a: FloatArray  # (points,) ... on the as-built phases [A]
    neutral_measured_a: FloatArray  # (points,) mean measured neutral [A]
    heat_pct: FloatArray  # (days, 24) mean neutral as a share of the unbalance limit [%]


@dataclass(frozen=True, slots=True)
class MapPoint:
    """A feeder on the report's map."""

    feeder_id: str
    lat: float
    lon: float
    state: FeederStatus


@dataclass(frozen=True, slots=True)
class Report:
    """Everything a report shows, computed."""

    scope: Scope
    period: Period
    lang: str
    generated_at: datetime
    version: str
    scope_title: str  # "KL-TVM-0042 Kazhakkoottam (Thiruvananthapuram)", "Wayanad", "Kerala"
    feeders: tuple[FeederFigures, ...]
    houses: int
    silent_houses: int  # houses provisioned in the period that sent no reading at all
    summaries_share: float | None  # data completeness: minutes with a summary
    readings_share: float | None  # ... house-minutes with a reading
    key_figures: tuple[KeyFigure, ...]
    savings: Savings | None
    tariff_inr_per_kwh: float
    r_phase_ohm: float
    r_neutral_ohm: float
    neutral: Spread  # measured, over every feeder's buckets [A]
    unbalance: Spread  # [%]
    hours_unbalanced: float  # feeder-hours
    hours_overloaded: float
    peak_kva: float | None  # highest of any one transformer [kVA]
    phases: tuple[PhaseLoading, PhaseLoading, PhaseLoading]
    voltage_weeks: tuple[VoltageWeek, ...]  # a feeder's; at wider scope, the worst feeder's
    voltage_feeders_above: int  # feeders whose weekly 95th percentile exceeds the limit
    voltage_feeders_known: int
    actions: Actions
    runs: tuple[RunRow, ...]  # newest first
    switches: tuple[SwitchRow, ...]  # the rolled-back and failed ones, newest first
    commands: tuple[CommandRow, ...]  # operators' commands, newest first
    lockouts: tuple[LockoutRow, ...]  # newest first
    alerts: tuple[AlertStat, ...]
    controllers_uptime: float | None  # mean share over the scope's controllers
    houses_uptime: float | None  # mean share over its house nodes
    nodes: tuple[NodeUptime, ...]  # every node, least available first
    charts: Charts
    map_points: tuple[MapPoint, ...]
    map_district: str | None  # the district the map shows; None: the whole state
    has_data: bool  # any summary or house reading in the period
    state_counts: Mapping[str, int] = field(default_factory=dict)  # period state → feeders
