"""The reports' figures on hand-built inputs whose answers are worked out by hand (pure)."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest

from grid.feeder_states import is_overloaded, is_unbalanced, neutral_limit_a
from grid.metrics import rated_current_a
from reports.data import (
    FEEDER_COLUMNS,
    HOUSE_HOUR_COLUMNS,
    AlertRow,
    FeederSeries,
    HouseHours,
    HouseInfo,
    HouseSamples,
    VoltageSlots,
)
from reports.figures import (
    ChartTotals,
    alert_stats,
    house_uptimes,
    overloaded_mask,
    period_state,
    savings_series,
    spread,
    summarize_savings,
    unbalanced_mask,
    voltage_weeks,
)
from reports.scope import MAX_DAYS, Period, ReportArgumentError, Scope, parse_period
from store.queries import IST
from store.rollups import HOUSE_DAY_OFFSET_S, HOUSE_ROLLUP_OFFSET_S

V = 230.0
R_PHASE = 0.05
R_NEUTRAL = 0.07


def house_hours(rows: list[dict[str, float]]) -> HouseHours:
    """Return house hours from rows naming some columns (the rest 0)."""
    data = np.array([[row.get(c, 0.0) for c in HOUSE_HOUR_COLUMNS] for row in rows])
    return HouseHours("KL-TST-0001", data)


# --- the counterfactual ------------------------------------------------------------------------


def test_three_houses_built_on_one_phase_and_spread_over_three() -> None:
    """Three 2,300 W houses as-built on R, moved to R, Y and B: with SmartPhase each phase
    carries 10 A and the neutral nothing; without, R carries 30 A and so does the neutral."""
    p = 3 * 2300.0
    hour = {"p_r": 2300.0, "p_y": 2300.0, "p_b": 2300.0, "bp_r": p, "houses": 3, "minutes": 180}
    hours = [{"t": 3600.0 * k, **hour} for k in range(10)]
    s = savings_series(house_hours(hours), rated_current_a(100.0), R_PHASE, R_NEUTRAL)
    assert s.phase_with == pytest.approx(np.full((10, 3), 10.0))
    assert s.neutral_with == pytest.approx(np.zeros(10), abs=1e-9)
    assert s.phase_without[:, 0] == pytest.approx(np.full(10, 30.0))
    assert s.neutral_without == pytest.approx(np.full(10, 30.0))
    summary = summarize_savings([s], expected_house_minutes=1800.0)
    assert summary is not None
    # per hour: with 3 × 10² × 0.05 = 15 W; without 30² × 0.05 + 30² × 0.07 = 108 W
    assert summary.loss_with_kwh == pytest.approx(10 * 15.0 / 1000)
    assert summary.loss_without_kwh == pytest.approx(10 * 108.0 / 1000)
    assert summary.saved_kwh == pytest.approx(10 * 93.0 / 1000)
    assert summary.neutral_cut_pct == pytest.approx(100.0)
    assert summary.coverage == pytest.approx(1.0)
    assert summary.unbalanced_hours_with == 0
    assert summary.unbalanced_hours_without == 10  # 30 A ≥ 20 % of 144.9 A


def test_reactive_power_and_the_phase_angles_enter_the_neutral() -> None:
    """One house on Y drawing P and Q: its current is conj(S/V) at −120°, and the neutral is its
    magnitude; on R as built, the same magnitude at another angle."""
    p, q = 3000.0, 1000.0
    hours = [{"t": 0.0, "p_y": p, "q_y": q, "bp_r": p, "bq_r": q, "houses": 1}]
    s = savings_series(house_hours(hours), rated_current_a(100.0), R_PHASE, R_NEUTRAL)
    current = complex(p, -q) / complex(np.conj(V * np.exp(-2j * math.pi / 3)))
    assert s.phase_with[0] == pytest.approx([0.0, abs(current), 0.0])
    assert s.neutral_with[0] == pytest.approx(abs(current))
    assert s.neutral_without[0] == pytest.approx(math.hypot(p, q) / V)


def test_a_house_moved_onto_an_overloaded_phase_counts_against_smartphase() -> None:
    rated = rated_current_a(25.0)  # 36.2 A
    hours = [{"t": 0.0, "p_r": 40.0 * V, "bp_r": 20.0 * V, "bp_y": 20.0 * V, "houses": 2}]
    s = summarize_savings(
        [savings_series(house_hours(hours), rated, R_PHASE, R_NEUTRAL)],
        expected_house_minutes=120,
    )
    assert s is not None
    assert (s.overload_hours_with, s.overload_hours_without) == (1.0, 0.0)
    assert s.saved_kwh < 0


def test_no_house_hours_give_no_savings_rather_than_zero() -> None:
    assert summarize_savings([], expected_house_minutes=100.0) is None


def test_savings_pool_feeders_hour_by_hour() -> None:
    rated = rated_current_a(100.0)
    a = savings_series(house_hours([{"t": 0.0, "p_r": V * 10, "bp_r": V * 10, "houses": 1,
                                     "minutes": 60}]), rated, R_PHASE, R_NEUTRAL)  # fmt: skip
    b = savings_series(house_hours([{"t": 0.0, "p_r": V * 30, "bp_r": V * 30, "houses": 2,
                                     "minutes": 120}]), rated, R_PHASE, R_NEUTRAL)  # fmt: skip
    s = summarize_savings([a, b], expected_house_minutes=240)
    assert s is not None
    assert (s.hours, s.house_minutes, s.coverage) == (2, 180, 0.75)
    assert s.neutral_with.mean == pytest.approx(20.0)
    assert s.phase_max_with[0] == pytest.approx(30.0)


# --- the feeder states' rules ------------------------------------------------------------------


def test_masks_follow_grid_feeder_states_at_and_around_the_limits() -> None:
    rated = rated_current_a(63.0)
    limit = neutral_limit_a(rated)
    neutral = [0.0, limit - 1e-9, limit, limit + 1e-9, math.nan]
    assert unbalanced_mask(neutral, rated).tolist() == [
        is_unbalanced(None if math.isnan(x) else x, rated) for x in neutral
    ]
    phases = [[rated, 0, 0], [rated + 1e-9, 0, 0], [0, 0, rated * 2], [math.nan, 0, 0]]
    assert overloaded_mask(phases, rated).tolist() == [
        is_overloaded([None if math.isnan(x) else x for x in row], rated) for row in phases
    ]


@pytest.mark.parametrize(
    ("offline", "overloaded", "unbalanced", "expected"),
    [
        (0.0, 0.0, 0.0, "balanced"),
        (0.0, 0.0, 4.7, "balanced"),
        (0.0, 0.0, 4.9, "unbalanced"),
        (50.0, 0.0, 4.9, "unbalanced"),
        (50.0, 4.9, 96.0, "overloaded"),
        (4.9, 0.0, 0.0, "offline"),
    ],
)
def test_period_state_is_the_most_severe_held_for_5_percent(
    offline: float, overloaded: float, unbalanced: float, expected: str
) -> None:
    assert period_state(96.0, offline, overloaded, unbalanced) == expected


# --- statistics, voltage, availability, alerts ---------------------------------------------------


def test_spread_weights_the_mean_and_takes_the_maximum_of_the_maxima() -> None:
    s = spread([10.0, 20.0, math.nan], weights=[1, 3, 5], maxima=[12.0, 40.0, 99.0])
    assert s.mean == pytest.approx(17.5)
    assert s.p95 == pytest.approx(19.5)
    assert s.max == 40.0
    assert spread([math.nan]).mean is None


def test_voltage_weeks_take_the_95th_percentile_of_10_minute_pvur() -> None:
    period = Period(date(2024, 6, 1), date(2024, 6, 10))  # a week and 3 days
    start = period.start.timestamp()
    n = 144 * 10
    t = start + 600.0 * np.arange(n)
    v = np.tile([230.0, 230.0, 230.0], (n, 1))
    # in the first week, 40 windows with R at 236 V: PVUR = (236 − 232) / 232
    v[:40, 0] = 236.0
    v[144 * 7 :, 2] = 0.0  # the last three days have no B voltage: not counted
    weeks = voltage_weeks(VoltageSlots("F", t, v, np.full(n, 10.0)), period)
    assert [(w.first_day, w.days) for w in weeks] == [("2024-06-01", 7), ("2024-06-08", 3)]
    assert (weeks[0].coverage, weeks[0].partial) == (1.0, False)
    assert weeks[1].partial  # three days are not a week
    assert weeks[0].p95_pct == pytest.approx(0.0)  # 40 of 1,008 values is under 5 %
    v[:1000, 0] = 236.0
    weeks = voltage_weeks(VoltageSlots("F", t, v, np.full(n, 10.0)), period)
    assert weeks[0].p95_pct == pytest.approx(100 * 4 / 232)
    assert (weeks[1].p95_pct, weeks[1].coverage) == (None, 0.0)


def test_house_uptime_is_readings_against_an_always_online_house() -> None:
    period = Period(date(2024, 6, 1), date(2024, 6, 1))
    created = datetime(2020, 1, 1, tzinfo=UTC)
    houses = [HouseInfo(f"H{k}", "F", "R", "R", created) for k in range(11)]
    houses.append(HouseInfo("NEW", "F", "R", "R", period.start + timedelta(hours=12)))
    samples = [HouseSamples(f"H{k}", "F", 24 * 60, 24) for k in range(10)]
    samples.append(HouseSamples("H10", "F", 6 * 60, 8))  # 6 h of readings over 8 hours
    uptimes = {u.node_id: u for u in house_uptimes(houses, samples, period)}
    assert uptimes["H0"].uptime == pytest.approx(1.0)
    assert uptimes["H10"].uptime == pytest.approx(0.25)
    assert uptimes["H10"].offline_hours == pytest.approx(18.0)
    assert uptimes["NEW"].uptime == 0.0
    assert uptimes["NEW"].offline_hours == pytest.approx(12.0)


def test_alert_times_to_acknowledge_and_clear() -> None:
    t0 = datetime(2024, 6, 1, tzinfo=UTC)
    end = t0 + timedelta(days=1)

    def alert(ack_min: float | None, clear_min: float | None, kind: str = "x") -> AlertRow:
        ack = None if ack_min is None else t0 + timedelta(minutes=ack_min)
        clear = None if clear_min is None else t0 + timedelta(minutes=clear_min)
        return AlertRow(kind, "warning", "F", t0, ack, clear)

    rows = [alert(5, 20), alert(15, 40), alert(None, None), alert(1, 60 * 25), alert(2, 3, "y")]
    stats = {s.kind: s for s in alert_stats(rows, end)}
    x = stats["x"]
    assert (x.raised, x.acknowledged, x.cleared, x.open_at_end) == (4, 3, 2, 2)
    assert x.ack_median_min == pytest.approx(5.0)
    assert x.ack_p90_min == pytest.approx(13.0)
    assert x.clear_median_min == pytest.approx(30.0)
    assert stats["y"].raised == 1


# --- the charts' sums ----------------------------------------------------------------------------


def test_chart_totals_put_buckets_on_ist_hours_and_days() -> None:
    period = Period(date(2024, 6, 1), date(2024, 6, 3))
    start = period.start.timestamp()
    rows = []
    for k in range(3 * 96):  # 15-minute buckets
        i_n = 29.0 if (k // 4) % 24 == 14 else 0.0  # 14:00–15:00 IST every day
        rows.append([start + 900 * k, 10.0, 20.0, 30.0, i_n, i_n, 230, 230, 230, 0.0, 90])
    series = FeederSeries("F", np.array(rows, dtype=float))
    assert series.data.shape[1] == len(FEEDER_COLUMNS)
    totals = ChartTotals(period)
    totals.add_feeder(series, rated_current_a(100.0))
    charts = totals.charts()
    assert charts.step_h == 24
    assert charts.phase_a == pytest.approx(np.tile([10.0, 20.0, 30.0], (3, 1)))
    limit = neutral_limit_a(rated_current_a(100.0))
    expected = np.zeros((3, 24))
    expected[:, 14] = 100 * 29.0 / limit
    assert charts.heat_pct == pytest.approx(expected)


# --- scope and period ----------------------------------------------------------------------------


def test_a_period_is_whole_ist_days() -> None:
    period = parse_period("2024-06-01", "2024-06-30")
    assert period.start == datetime(2024, 6, 1, tzinfo=IST)
    assert period.end == datetime(2024, 7, 1, tzinfo=IST)
    assert period.days == 30
    assert period.previous() == Period(date(2024, 5, 2), date(2024, 5, 31))
    # the house rollup's hours start on IST hours, so an IST day holds whole hours
    assert (period.start.timestamp() - HOUSE_ROLLUP_OFFSET_S) % 3600 == 0
    assert IST.utcoffset(None) is not None
    assert IST.utcoffset(None).total_seconds() % 3600 == HOUSE_ROLLUP_OFFSET_S
    assert (period.start.timestamp() - HOUSE_DAY_OFFSET_S) % 86_400 == 0  # house days too


@pytest.mark.parametrize(
    ("first", "last", "field", "words"),
    [
        ("2024-13-01", "2024-06-30", "--from", "is not a date"),
        ("2024-06-01", "30/06/2024", "--to", "is not a date"),
        ("2024-06-30", "2024-06-01", "--to", "is before --from"),
        ("2023-01-01", "2024-06-01", "--to", f"at most {MAX_DAYS}"),
    ],
)
def test_bad_periods_name_the_argument(first: str, last: str, field: str, words: str) -> None:
    with pytest.raises(ReportArgumentError) as caught:
        parse_period(first, last)
    assert caught.value.field == field
    assert words in str(caught.value)


def test_scopes() -> None:
    assert Scope("district", "Wayanad").slug == "district-Wayanad"
    assert Scope("state").argument == "--state"
    with pytest.raises(ReportArgumentError, match="--feeder: is empty"):
        Scope("feeder", " ")
