"""Expected second moments of the house currents, and the moves toward the best assignment."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pytest

from grid.control import BalancingLoop, ControlConfig
from grid.moments import CurrentMoments, MomentConfig
from grid.phasors import NOMINAL_PHASE_V, UNIT_PHASORS, Phase
from grid.rephasing import moves_toward_target, quadratic_cost
from grid.solar import clear_sky_pv_fraction
from sim.feeder_day import IST

MIDNIGHT = datetime(2026, 3, 16, tzinfo=IST).timestamp()
NOON = MIDNIGHT + 12.5 * 3600.0


def test_constant_loads_give_the_outer_product_and_the_exact_neutral() -> None:
    moments = CurrentMoments(np.zeros(3))
    load = np.array([2300.0, 1150.0, 460.0])
    q = np.array([230.0, 0.0, -115.0])
    for minute in range(30):
        moments.observe(MIDNIGHT + 60.0 * minute, load, q)
    mean, gram = moments.expected(MIDNIGHT + 1800.0, 0.7)
    current = (load - 1j * q) / NOMINAL_PHASE_V
    np.testing.assert_allclose(mean, current)
    np.testing.assert_allclose(gram, np.outer(current, np.conj(current)))
    phase = np.array([0, 0, 2])
    neutral = abs(complex(np.sum(current * UNIT_PHASORS[phase])))
    assert quadratic_cost(gram, phase) == pytest.approx(neutral**2)


def test_pv_of_the_coming_hours_is_subtracted_from_the_mean() -> None:
    config = MomentConfig(horizon_s=3600.0, horizon_points=5)
    moments = CurrentMoments(np.array([0.0, 4.6]), config)
    for minute in range(10):
        moments.observe(NOON - 600.0 + 60.0 * minute, np.array([230.0, 230.0]), np.zeros(2))
    mean, gram = moments.expected(NOON, 1.0)
    shape = clear_sky_pv_fraction(NOON + np.linspace(0.0, 3600.0, 5))
    pv_a = 4600.0 / NOMINAL_PHASE_V
    assert mean[0] == pytest.approx(1.0)
    assert mean[1] == pytest.approx(1.0 - pv_a * shape.mean())
    # E|c|² of the PV house: load² − 2·load·E[pv] + E[pv²].
    expected = 1.0 - 2.0 * pv_a * shape.mean() + pv_a**2 * np.mean(shape**2)
    assert gram[1, 1].real == pytest.approx(expected)
    np.testing.assert_allclose(gram, np.conj(gram.T))


def test_a_missing_reading_carries_the_last_current_forward() -> None:
    moments = CurrentMoments(np.zeros(2))
    moments.observe(MIDNIGHT, np.array([230.0, 460.0]), np.zeros(2))
    moments.observe(MIDNIGHT + 60.0, np.array([np.nan, 460.0]), np.array([np.nan, 0.0]))
    mean, _ = moments.expected(MIDNIGHT + 120.0, 0.7)
    np.testing.assert_allclose(mean, [1.0, 2.0])


def _random_gram(rng: np.random.Generator, n: int, steps: int = 40) -> np.ndarray:
    currents = rng.normal(3.0, 2.0, (steps, n)) + 1j * rng.normal(0.0, 0.5, (steps, n))
    return np.asarray(currents.T @ np.conj(currents) / steps)


@pytest.mark.parametrize("seed", range(6))
def test_moves_toward_target_pay_for_their_switches(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 7
    gram = _random_gram(rng, n)
    phase = np.zeros(n, dtype=np.intp)  # everything on R: plenty to gain
    eligible = rng.random(n) < 0.8
    cost = 0.5
    moves = moves_toward_target(gram, phase, eligible, cost, max_moves=n)
    assert moves
    assert all(eligible[h] for h, _, _ in moves)
    assert len({h for h, _, _ in moves}) == len(moves)
    after = phase.copy()
    for house, to, _ in moves:
        after[house] = to
    saved = quadratic_cost(gram, phase) - quadratic_cost(gram, after)
    assert saved > cost * len(moves)
    assert sum(g for _, _, g in moves) == pytest.approx(saved)

    # No assignment within one move of the target is better, switch costs counted.
    def total(p: np.ndarray) -> float:
        return quadratic_cost(gram, p) + cost * int(np.sum(p != phase))

    for house in np.flatnonzero(eligible).tolist():
        for to in range(3):
            trial = after.copy()
            trial[house] = to
            assert total(trial) >= total(after) - 1e-9


def test_moves_toward_target_respect_the_cycle_limit_and_a_prohibitive_cost() -> None:
    rng = np.random.default_rng(3)
    gram = _random_gram(rng, 8)
    phase = np.zeros(8, dtype=np.intp)
    eligible = np.ones(8, dtype=bool)
    assert len(moves_toward_target(gram, phase, eligible, 0.0, max_moves=2)) == 2
    assert moves_toward_target(gram, phase, eligible, 1e9, max_moves=8) == []
    assert moves_toward_target(gram, phase, np.zeros(8, dtype=bool), 0.0, max_moves=8) == []


def _loop(config: ControlConfig) -> BalancingLoop:
    n = 12
    return BalancingLoop(
        [f"KL-TVM-0001-H{i:03d}" for i in range(n)],
        [Phase.R] * 9 + [Phase.Y, Phase.B, Phase.B],
        [True] * n,
        [0.0] * n,
        config,
    )


def _run(loop: BalancingLoop, start: float, minutes: int) -> list[float]:
    times = []
    rng = np.random.default_rng(0)
    for minute in range(minutes):
        ts = start + 60.0 * minute
        for move in loop.control_step(ts).moves:
            loop.commit(move, ts)
            times.append(ts)
        p = 1150.0 + rng.normal(0.0, 100.0, 12)
        phases = np.array([ph.ordinal for ph in loop.phases])
        neutral = abs(complex(np.sum(p / 230.0 * UNIT_PHASORS[phases])))
        loop.observe(ts, p, np.zeros(12), np.zeros(12), neutral_a=neutral)
    return times


def test_target_strategy_waits_for_its_history_then_balances_without_the_detector() -> None:
    config = ControlConfig(
        strategy="target", pacing_head_start=1.0, trigger_a=1e9
    )  # detector never fires
    loop = _loop(config)
    times = _run(loop, MIDNIGHT + 3600.0, 60)
    assert times
    assert times[0] - (MIDNIGHT + 3600.0) >= config.target_min_history_s
    assert np.bincount([ph.ordinal for ph in loop.phases], minlength=3).tolist() == [4, 4, 4]
    assert len(times) == 5


def test_target_strategy_can_be_made_to_wait_for_the_detector() -> None:
    config = ControlConfig(
        strategy="target", pacing_head_start=1.0, trigger_a=1e9, target_needs_sustained=True
    )
    assert _run(_loop(config), MIDNIGHT + 3600.0, 60) == []


def test_local_strategy_still_balances() -> None:
    loop = _loop(ControlConfig(pacing_head_start=1.0, strategy="local"))
    assert _run(loop, MIDNIGHT + 3600.0, 60)
    assert np.bincount([ph.ordinal for ph in loop.phases], minlength=3).tolist() == [4, 4, 4]
