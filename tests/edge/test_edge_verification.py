"""A switch judged against the same moments' loads and the measured noise, on a fake clock."""

from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path

import pytest

from edge.history import FeederSample, SampleHistory
from edge.meter import MeterReading
from edge.switching import HelpSamples
from edge.totals import from_houses
from grid.messages import HouseCommand, TopicKind
from grid.phasors import Phase
from tests.edge.conftest import UNBALANCED
from tests.edge.fakes import Scenario, fast_settings

R, Y, B = Phase.R, Phase.Y, Phase.B
H007 = "KL-TST-0001-H007"


def commands(s: Scenario) -> list[HouseCommand]:
    """Return the commands sent to houses, in order."""
    return [HouseCommand.from_json(p) for _, p in s.bus.of_kind(TopicKind.CMD)]


def locked(s: Scenario, house: str) -> bool:
    """Return whether the controller has a house locked out."""
    return next(h.locked for h in s.controller.loop.houses if h.house_id == house)


def noisy_meter(s: Scenario, sigma_w: float, seed: int = 1) -> None:
    """Add unreported load to the meter's phases: street lights, losses, a house without a node."""
    rng = random.Random(seed)
    exact = s.meter_reading

    def reading() -> MeterReading:
        r = exact()
        extra = [800.0 + rng.gauss(0.0, sigma_w) for _ in range(3)]
        return replace(r, p_w=(r.p_w[0] + extra[0], r.p_w[1] + extra[1], r.p_w[2] + extra[2]))

    s.meter_reading = reading  # type: ignore[method-assign]


def test_good_move_is_confirmed_while_other_houses_change_their_load(feeder: Scenario) -> None:
    feeder.run(10)  # t = 10 s: H007 R → Y is sent and carried out
    kettle, iron = feeder.house("H001"), feeder.house("H004")  # on R and on Y
    kettle.p_w, iron.p_w = 3500.0, 200.0  # R +1.5 kW, Y −0.8 kW as H007 lands on Y
    for house in (kettle, iron):
        feeder.bus.deliver(*house.telemetry(feeder.clock.now))
    feeder.tick()
    (switch,) = feeder.events("switch_result")
    assert (switch["result"], switch.get("reason")) == ("applied", None)
    assert not locked(feeder, H007)


def test_good_move_is_confirmed_amid_meter_noise(tmp_path: Path) -> None:
    s = Scenario(tmp_path, UNBALANCED, meter=True, settings=fast_settings(control_period_s=60.0))
    noisy_meter(s, sigma_w=250.0)
    s.run(90)
    (switch,) = s.events("switch_result")
    assert (switch["result"], switch.get("reason")) == ("applied", None)
    tolerance = s.controller.switcher.verify_tol_w()
    assert tolerance > s.settings.verify_tol_w  # from the measured noise, not the floor


def test_a_lying_node_is_caught_amid_meter_noise(tmp_path: Path) -> None:
    s = Scenario(tmp_path, UNBALANCED, meter=True, settings=fast_settings(control_period_s=60.0))
    noisy_meter(s, sigma_w=150.0)
    s.house("H007").lies = True  # acks and reports Y, but its 2 kW stay on R
    s.run(70)
    assert [(c.from_phase, c.to_phase) for c in commands(s)] == [(R, Y), (Y, R)]
    (switch,) = s.events("switch_result")
    assert (switch["result"], switch["reason"]) == ("rolled_back", "totals_not_as_predicted")
    assert locked(s, H007)


def test_move_that_hurts_only_while_a_cycling_load_peaks_is_kept(tmp_path: Path) -> None:
    # H004's 5 kW pump on Y runs every other ten seconds. With H007 on Y the neutral is lower
    # while the pump is off and higher while it runs: its effect swings by ±10 A from one
    # sample to the next. The move lands while the pump runs, and is judged on that moment.
    s = Scenario(tmp_path, UNBALANCED, settings=fast_settings(control_period_s=60.0))
    pump = s.house("H004")
    for t in range(1, 70):
        pump.p_w = 5000.0 if (t // 10) % 2 == 1 or t >= 58 else 0.0
        s.tick()
    assert [(c.house, c.to_phase) for c in commands(s)] == [(H007, Y)]
    (switch,) = s.events("switch_result")
    assert (switch["result"], switch.get("reason")) == ("applied", None)
    assert not locked(s, H007)


def test_move_that_hurts_with_steady_loads_is_rolled_back(tmp_path: Path) -> None:
    s = Scenario(tmp_path, UNBALANCED, settings=fast_settings(control_period_s=60.0))
    s.house("H007").p_after_switch_w = -6000.0  # an export appears as it lands on Y, and stays
    s.run(65)
    (switch,) = s.events("switch_result")
    assert (switch["result"], switch["reason"]) == ("rolled_back", "did_not_help")
    assert locked(s, H007)


def test_effect_noise_is_the_spread_of_the_moves_effect_over_the_recent_samples() -> None:
    history = SampleHistory(["A", "B", "C"], lookback_s=600.0)
    for k, p_b in enumerate([0.0, 4600.0, 0.0, 4600.0]):
        rows = [(R, 4600.0, 0.0, 230.0), (Y, p_b, 0.0, 230.0), (R, 2300.0, 0.0, 230.0)]
        totals = from_houses(100.0 + 10.0 * k, rows)
        p = [row[1] for row in rows]
        history.add(FeederSample(totals, totals, (R, Y, R), p, [0.0] * 3))  # type: ignore[arg-type]
    # C (10 A) R → Y. With B off: R 30 → 20 A, Y 0 → 10 A, neutral 30 → 10√3 A (−12.68 A);
    # with B on (20 A on Y): neutral √700 → √700 A (0 A). Effects −12.68, 0, −12.68, 0 A:
    # their standard deviation is 12.68 × √(1/3) A.
    effect_a = 30.0 - 10.0 * 3**0.5
    assert history.effect_noise_a("C", R, Y) == pytest.approx(effect_a / 3**0.5)
    assert history.effect_noise_a("C", Y, B) == 0.0  # never on Y: nothing to measure
    assert history.unreported_noise_w() == 0.0  # totals summed from the houses


def test_old_samples_leave_the_history() -> None:
    history = SampleHistory(["A"], lookback_s=60.0)
    for t in range(0, 200, 10):
        totals = from_houses(float(t), [(R, 1000.0, 0.0, 230.0)])
        history.add(FeederSample(totals, totals, (R,), [1000.0], [0.0]))  # type: ignore[arg-type]
    assert len(history) == 7  # 130 … 190 s


def test_a_move_that_makes_way_for_the_next_may_rise_as_much_as_the_planner_expected() -> None:
    judged = HelpSamples(noise_a=0.0, expected_rise_a=2.0)
    judged.add(1.0, moved_a=12.5, unmoved_a=10.0)
    assert judged.tolerance_a(1.0, 2.0) == 3.0
    assert not judged.hurt(1.0, 2.0)  # 2.5 A: within what the planner expected, plus 1 A
    judged.add(2.0, moved_a=14.5, unmoved_a=10.0)
    assert judged.hurt(1.0, 2.0)  # an RMS rise of 3.5 A


def test_the_noise_allowance_shrinks_with_the_samples_of_the_window() -> None:
    judged = HelpSamples(noise_a=3.0)
    judged.add(1.0, moved_a=14.0, unmoved_a=10.0)
    assert judged.tolerance_a(1.0, 2.0) == 7.0
    assert not judged.hurt(1.0, 2.0)
    for t in range(2, 10):
        judged.add(float(t), moved_a=14.0, unmoved_a=10.0)
    assert judged.tolerance_a(1.0, 2.0) == 3.0  # nine reports: 2 × 3 A / 3
    assert judged.hurt(1.0, 2.0)
    judged.add(9.0, moved_a=50.0, unmoved_a=10.0)  # the same report again: not counted
    assert judged.count == 9
