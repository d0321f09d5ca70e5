"""Scenario timelines of the edge controller on a fake clock, fake links and fake house nodes."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from grid.events import CommandState
from grid.messages import (
    ControlAction,
    HouseCommand,
    Mode,
    Readings,
    Summary,
    TopicKind,
)
from grid.phasors import Phase
from grid.signing import mac_matches
from tests.edge.conftest import UNBALANCED
from tests.edge.fakes import NOON, Scenario, fast_settings, house_key

R, Y, B = Phase.R, Phase.Y, Phase.B
H007 = "KL-TST-0001-H007"


def commands(s: Scenario) -> list[HouseCommand]:
    """Return the commands sent to houses, in order."""
    return [HouseCommand.from_json(p) for _, p in s.bus.of_kind(TopicKind.CMD)]


def locked(s: Scenario, house: str) -> bool:
    """Return whether the controller has a house locked out."""
    return next(h.locked for h in s.controller.loop.houses if h.house_id == house)


def test_t10_r_overloaded_moves_h007_to_y_ack_then_verified(feeder: Scenario) -> None:
    feeder.run(9)
    assert commands(feeder) == []  # the first control period ends at t = 10 s
    feeder.tick()  # t = 10 s: the planner moves H007 R → Y
    (cmd,) = commands(feeder)
    assert (cmd.house, cmd.from_phase, cmd.to_phase) == (H007, R, Y)
    assert mac_matches(cmd, house_key(H007))
    assert cmd.exp_s == int(NOON + 10) + feeder.settings.command_ttl_s
    assert feeder.house("H007").phase is Y
    feeder.tick()  # t = 11 s: signed ack, then telemetry on Y and the totals moved
    (switch,) = feeder.events("switch_result")
    assert switch["result"] == "applied"
    assert (switch["house"], switch["from"], switch["to"], switch["origin"]) == (
        H007,
        "R",
        "Y",
        "auto",
    )
    (run,) = feeder.events("balancing_run")
    assert run["result"] == "improved"
    assert run["run_id"] == switch["run_id"]
    assert run["before"]["i_a"][0] == pytest.approx(26.09, abs=0.01)
    assert run["after"]["i_a"][0] == pytest.approx(17.39, abs=0.01)
    assert run["after"]["i_n_a"] < run["before"]["i_n_a"] / 2
    assert feeder.controller.phase_of(H007) is Y
    assert feeder.controller.loop.switches_today == 1
    (decision_to_ack_s,) = feeder.controller.stats.detect_to_ack_s
    assert 0.0 <= decision_to_ack_s < 5.0  # the ack came within the ack timeout
    feeder.run(120)
    assert len(commands(feeder)) == 1  # balanced enough: nothing more worth a switch


def test_a_good_move_is_kept_when_another_load_raises_the_neutral_meanwhile(
    feeder: Scenario,
) -> None:
    feeder.run(10)  # t = 10 s: H007 R → Y is sent and carried out
    pump = feeder.house("H006")  # on B: a 5 kW pump starts as H007 lands on Y
    pump.p_w = 9000.0
    feeder.bus.deliver(*pump.telemetry(feeder.clock.now))
    feeder.tick()  # t = 11 s: the neutral is above its value before the move, but lower
    (switch,) = feeder.events("switch_result")  # than with H007 still on R
    assert switch["result"] == "applied"
    (run,) = feeder.events("balancing_run")
    assert run["after"]["i_n_a"] > run["before"]["i_n_a"] + 1.0
    assert not locked(feeder, H007)


def test_lost_ack_rolls_back_locks_out_and_alerts(feeder: Scenario) -> None:
    feeder.house("H007").lose_acks = 1
    feeder.run(10)
    feeder.run(10)  # the ack does not come within 5 s
    first, back = commands(feeder)
    assert (first.from_phase, first.to_phase) == (R, Y)
    assert (back.from_phase, back.to_phase) == (Y, R)
    assert back.ctr > first.ctr
    assert feeder.house("H007").phase is R
    (switch,) = feeder.events("switch_result")
    assert (switch["result"], switch["reason"]) == ("rolled_back", "ack_timeout")
    (run,) = feeder.events("balancing_run")
    assert run["result"] == "rolled_back"
    assert ("switch_rolled_back", "raised", H007) in feeder.alerts()
    assert locked(feeder, H007)
    feeder.run(120)
    assert len(commands(feeder)) == 2  # a locked house is never moved again by the planner


def test_stuck_relay_fails_the_switch_locks_out_and_alerts(feeder: Scenario) -> None:
    feeder.house("H007").stuck = True
    feeder.run(15)
    first = commands(feeder)[0]  # still on R by its own ack: nothing to roll back
    assert (first.from_phase, first.to_phase) == (R, Y)
    assert feeder.house("H007").phase is R
    (switch,) = feeder.events("switch_result")
    assert (switch["result"], switch["reason"]) == ("failed", "relay_feedback")
    (run,) = feeder.events("balancing_run")
    assert run["result"] != "improved"
    assert ("switch_failed", "raised", H007) in feeder.alerts()
    assert locked(feeder, H007)
    feeder.run(120)
    assert all(c.house != H007 for c in commands(feeder)[1:])


def test_move_the_meter_does_not_see_is_rolled_back(tmp_path: Path) -> None:
    s = Scenario(tmp_path, UNBALANCED, meter=True)
    s.house("H007").lies = True  # acks and reports Y, but the load stays on R
    s.run(15)
    assert [(c.from_phase, c.to_phase) for c in commands(s)] == [(R, Y), (Y, R)]
    (switch,) = s.events("switch_result")
    assert (switch["result"], switch["reason"]) == ("rolled_back", "totals_not_as_predicted")
    assert ("switch_rolled_back", "raised", H007) in s.alerts()
    assert locked(s, H007)


def test_move_that_did_not_help_is_rolled_back(tmp_path: Path) -> None:
    settings = fast_settings(verify_tol_w=10_000.0)  # the totals check passes; the gain does not
    s = Scenario(tmp_path, UNBALANCED, settings=settings)
    s.house("H007").p_after_switch_w = -6000.0  # a PV burst as it lands on Y
    s.run(15)
    (switch,) = s.events("switch_result")
    assert (switch["result"], switch["reason"]) == ("rolled_back", "did_not_help")
    assert s.house("H007").phase is R


def test_move_judged_over_its_window_outlasts_a_burst_as_it_lands(tmp_path: Path) -> None:
    settings = fast_settings(verify_tol_w=10_000.0, help_window_s=30.0)
    s = Scenario(tmp_path, UNBALANCED, settings=settings)
    s.house("H007").p_after_switch_w = -6000.0  # a PV burst as it lands on Y ...
    s.run(15)
    assert s.events("switch_result") == []  # confirmed, still being judged
    s.house("H007").p_w = 2000.0  # ... that passes after a few seconds
    s.run(40)
    (switch,) = s.events("switch_result")
    assert switch["result"] == "applied"
    assert s.house("H007").phase is Y
    assert not locked(s, H007)


def test_move_that_hurts_for_its_whole_window_is_rolled_back_at_its_end(tmp_path: Path) -> None:
    settings = fast_settings(verify_tol_w=10_000.0, help_window_s=30.0)
    s = Scenario(tmp_path, UNBALANCED, settings=settings)
    s.house("H007").p_after_switch_w = -6000.0  # the export stays
    s.run(35)
    assert s.events("switch_result") == []
    assert s.house("H007").phase is Y
    s.run(15)
    (switch,) = s.events("switch_result")
    assert (switch["result"], switch["reason"]) == ("rolled_back", "did_not_help")
    assert s.house("H007").phase is R
    assert locked(s, H007)


def test_house_that_refuses_is_neither_rolled_back_nor_locked(feeder: Scenario) -> None:
    feeder.run(8)
    feeder.house("H007").phase = feeder.house("H007").physical = Y  # moved by hand at t = 8 s
    feeder.run(5)
    assert len(commands(feeder)) == 1  # sent at t = 10 s with from = R: the house refuses it
    (switch,) = feeder.events("switch_result")
    assert (switch["result"], switch["reason"]) == ("rejected", "wrong_from_phase")
    assert not locked(feeder, H007)
    assert feeder.controller.phase_of(H007) is Y  # its next telemetry says where it is


def test_manual_mode_ignores_the_planner_and_executes_operator_moves(tmp_path: Path) -> None:
    s = Scenario(tmp_path, UNBALANCED, mode=Mode.MANUAL)
    s.run(300)
    assert commands(s) == []
    assert all(m.mode is Mode.MANUAL for m in s.uplink(TopicKind.SUMMARY))
    s.send_ctl(s.ctl(ControlAction.SWITCH, house=H007, from_phase=R, to_phase=B))
    s.run(3)
    (cmd,) = commands(s)
    assert (cmd.house, cmd.to_phase) == (H007, B)
    states = [e["state"] for e in s.events("command_result")]
    assert states == ["sent", "acknowledged", "applied"]
    (switch,) = s.events("switch_result")
    assert (switch["origin"], switch["cmd_id"], switch["result"]) == ("manual", "op0001", "applied")
    assert s.house("H007").phase is B


def test_mode_survives_a_restart(feeder: Scenario) -> None:
    feeder.send_ctl(feeder.ctl(ControlAction.SET_MODE, mode=Mode.MANUAL))
    feeder.tick()
    (change,) = feeder.events("mode_change")
    assert (change["mode"], change["cmd_id"]) == ("manual", "op0001")
    assert [e["state"] for e in feeder.events("command_result")] == ["acknowledged", "applied"]
    old_boot = feeder.controller.outbox.boot
    feeder.restart()
    assert feeder.controller.mode is Mode.MANUAL
    assert feeder.controller.outbox.boot > old_boot
    feeder.run(120)
    assert commands(feeder) == []


def test_balance_now_runs_the_planner_in_manual_mode(tmp_path: Path) -> None:
    s = Scenario(tmp_path, UNBALANCED, mode=Mode.MANUAL)
    s.run(20)
    s.send_ctl(s.ctl(ControlAction.BALANCE_NOW))
    s.run(3)
    (run,) = s.events("balancing_run")
    assert (run["trigger"], run["result"]) == ("balance_now", "improved")
    results = [(e["state"], e.get("reason")) for e in s.events("command_result")]
    assert results == [("acknowledged", None), ("applied", "improved")]


def test_config_command_is_checked_applied_and_kept(feeder: Scenario) -> None:
    feeder.send_ctl(feeder.ctl(ControlAction.CONFIG, config={"bogus_knob": 1}))
    feeder.send_ctl(feeder.ctl(ControlAction.CONFIG, config={"max_per_house_day": 1.5}))
    feeder.send_ctl(
        feeder.ctl(
            ControlAction.CONFIG,
            config={"sustain_s": 600, "target_min_history_s": 600, "min_dwell_s": 900},
        )
    )
    feeder.tick()
    states = [(e["cmd_id"], e["state"], e.get("reason")) for e in feeder.events("command_result")]
    assert states == [
        ("op0001", "rejected", "unknown_config_key"),
        ("op0002", "rejected", "not_a_positive_integer"),
        ("op0003", "applied", None),
    ]
    feeder.restart()
    config = feeder.controller.loop.config
    assert config.target_min_history_s == 600.0
    assert feeder.controller.loop.detector.sustain_s == 600.0
    assert config.planner.limits.min_dwell_s == 900.0
    feeder.run(60)
    assert commands(feeder) == []  # the balancer now gathers ten minutes of readings first


def test_summaries_every_10_s_and_readings_batches(feeder: Scenario) -> None:
    feeder.run(60)
    summaries: list[Summary] = feeder.uplink(TopicKind.SUMMARY)
    gaps = [round(b.ts_s - a.ts_s) for a, b in itertools.pairwise(summaries)]
    assert gaps[1:] == [10] * 5  # t = 1 s (first step), then on the 10 s grid up to 60 s
    last = summaries[-1]
    assert (last.mode, last.houses_online, last.houses_total) == (Mode.AUTO, 5, 5)
    assert sum(last.p_w) == pytest.approx(11_000.0)
    readings: list[Readings] = feeder.uplink(TopicKind.READINGS)
    rows = [row for batch in readings for row in batch.rows]
    assert {row.house for row in rows} == set(feeder.houses)
    assert len(rows) >= 5 * 10


def test_house_offline_alert_is_raised_and_cleared(feeder: Scenario) -> None:
    feeder.run(40)
    feeder.house("H004").silent = True
    feeder.run(40)
    assert ("house_offline", "raised", "KL-TST-0001-H004") in feeder.alerts()
    feeder.house("H004").silent = False
    feeder.run(20)
    assert feeder.alerts()[-1] == ("house_offline", "cleared", "KL-TST-0001-H004")
    feeder.bus.deliver(*feeder.house("H006").state(online=False))  # its last will
    feeder.run(10)
    assert ("house_offline", "raised", "KL-TST-0001-H006") in feeder.alerts()


def test_phase_over_rating_alert_clears_after_the_move(tmp_path: Path) -> None:
    s = Scenario(tmp_path, UNBALANCED, settings=fast_settings(phase_rating_a=25.0))
    s.run(30)
    overloads = [a for a in s.alerts() if a[0] == "phase_overload"]
    assert overloads == [("phase_overload", "raised", None), ("phase_overload", "cleared", None)]


def test_restart_keeps_phases_locks_and_counters(feeder: Scenario) -> None:
    feeder.house("H007").lose_acks = 1
    feeder.run(30)
    last_ctr = commands(feeder)[-1].ctr
    feeder.restart()
    assert locked(feeder, H007)
    feeder.send_ctl(feeder.ctl(ControlAction.SWITCH, house=H007, from_phase=R, to_phase=Y))
    feeder.run(3)
    cmd = commands(feeder)[-1]
    assert cmd.ctr > last_ctr
    assert [e["state"] for e in feeder.events("command_result")][-1] == str(CommandState.APPLIED)
    assert not locked(feeder, H007)  # an operator's verified move releases it
    assert feeder.alerts()[-1] == ("switch_rolled_back", "cleared", H007)
