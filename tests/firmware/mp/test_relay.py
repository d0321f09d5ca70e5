"""The relay driver's interlocks on fake latching relays, a fake clock and synthetic mains."""

from fakes import remount
from rigs import Rig
from runner import run

PERIOD = 20000  # 50 Hz [µs]
ZERO = {"R": 0, "Y": PERIOD / 3, "B": 2 * PERIOD / 3}  # rising zero of each phase, mod PERIOD
MIDNIGHT_IST = 1767205800  # 2026-01-01T00:00+05:30 [epoch s]


def off_zero(t, zero, lead=0):
    """Return how far tick t is from a rising zero (minus `lead`) of a phase [µs]."""
    d = (t + lead - zero) % PERIOD
    return min(d, PERIOD - d)


def test_break_before_make_at_zero_crossings_for_every_move():
    for old, new in (("R", "Y"), ("Y", "B"), ("B", "R"), ("R", "B"), ("B", "Y"), ("Y", "R")):
        rig = Rig(old)
        assert rig.switch(new) is None
        pulses = rig.bank.pulses()
        assert [(k, ph) for _, k, ph, _ in pulses] == [("reset", old), ("set", new)], pulses
        (t_break, _, _, width), (t_make, _, _, _) = pulses
        assert width == 40000
        assert off_zero(t_break, ZERO[old]) <= 5, (old, t_break)
        assert off_zero(t_make, ZERO[new]) <= 5, (new, t_make)
        assert t_make - (t_break + width) >= 100000, "dead time"
        assert not rig.bank.overlap
        assert rig.bank.connected() == new
        assert rig.switcher.phase() == new
        assert rig.switcher.state.phase == new
        assert rig.switcher.status() == "ok"


def test_relay_operate_time_starts_pulses_early():
    rig = Rig("R", lead_us=8000)
    assert rig.switch("B") is None
    (t_break, _, _, _), (t_make, _, _, _) = rig.bank.pulses()
    assert off_zero(t_break, ZERO["R"], 8000) <= 5
    assert off_zero(t_make, ZERO["B"], 8000) <= 5


def test_min_dwell():
    rig = Rig("R")
    t0 = rig.clock.now_s()
    assert rig.switch("Y") is None
    rig.set_wall(t0 + 1799)
    assert rig.switch("B") == "interlock_min_dwell"
    assert len(rig.bank.pulses()) == 2
    rig.set_wall(t0 + 1800)
    assert rig.switch("B") is None
    assert rig.bank.connected() == "B"


def test_the_last_switch_may_be_undone_once_within_the_window():
    rig = Rig("R")
    t0 = rig.clock.now_s()
    assert rig.switch("Y") is None
    rig.set_wall(t0 + 60)
    assert rig.switch("B") == "interlock_min_dwell"  # not an undo: the dwell holds
    assert rig.switch("R") is None  # the controller's rollback: back where it was
    assert rig.bank.connected() == "R"
    rig.set_wall(t0 + 120)
    assert rig.switch("Y") == "interlock_min_dwell"  # an undo is not undone again


def test_undo_window_and_reboot():
    rig = Rig("R")
    t0 = rig.clock.now_s()
    assert rig.switch("Y") is None
    remount(rig.dev)
    rig.boot()
    rig.set_wall(t0 + 300)
    assert rig.switch("R") is None  # the previous phase survives a reboot
    late = Rig("R")
    t1 = late.clock.now_s()
    assert late.switch("Y") is None
    late.set_wall(t1 + 601)
    assert late.switch("R") == "interlock_min_dwell"  # past the undo window


def test_daily_cap_resets_at_local_midnight():
    rig = Rig("R", wall_s=MIDNIGHT_IST - 7200)  # 22:00 IST
    for k, to in enumerate(("Y", "B", "R")):
        rig.set_wall(MIDNIGHT_IST - 7200 + k * 1860)
        assert rig.switch(to) is None, k
    rig.set_wall(MIDNIGHT_IST - 1)  # 23:59:59 IST
    assert rig.switch("Y") == "interlock_daily_cap"
    assert len(rig.bank.pulses()) == 6
    rig.set_wall(MIDNIGHT_IST)
    assert rig.switch("Y") is None
    assert rig.switcher.switches_today(rig.clock.now_s()) == 1


def test_daily_cap_survives_a_reboot():
    rig = Rig("R", min_dwell_s=0)
    for to in ("Y", "B", "R"):
        assert rig.switch(to) is None
    remount(rig.dev)
    rig.boot(min_dwell_s=0)
    assert rig.switch("Y") == "interlock_daily_cap"


def test_target_that_does_not_close_restores_old_phase_and_locks_out():
    rig = Rig("R")
    rig.bank.stuck.add("Y")
    assert rig.switch("Y") == "interlock_feedback"
    assert [(k, ph) for _, k, ph, _ in rig.bank.pulses()] == [
        ("reset", "R"),
        ("set", "Y"),
        ("set", "R"),
    ]
    assert rig.bank.connected() == "R"
    assert not rig.bank.overlap
    assert rig.switcher.state.locked
    assert rig.switcher.status() == "locked"
    assert rig.switcher.phase() == "R"
    rig.bank.stuck.clear()
    rig.clock.advance_s(86400)
    assert rig.switch("Y") == "interlock_locked"
    assert len(rig.bank.pulses()) == 3


def test_failed_break_never_makes_a_second_phase():
    rig = Rig("R")
    rig.bank.stuck.add("R")
    assert rig.switch("Y") == "interlock_feedback"
    assert [(k, ph) for _, k, ph, _ in rig.bank.pulses()] == [("reset", "R")]
    assert not rig.bank.overlap
    assert rig.bank.connected() == "R"
    assert rig.switcher.state.locked


def test_lockout_survives_a_reboot_until_cleared():
    rig = Rig("R")
    rig.bank.stuck.add("Y")
    assert rig.switch("Y") == "interlock_feedback"
    rig.bank.stuck.clear()
    remount(rig.dev)
    rig.boot()
    assert rig.switcher.status() == "locked"
    rig.clock.advance_s(86400)
    assert rig.switch("Y") == "interlock_locked"
    rig.switcher.clear_lockout()
    remount(rig.dev)
    rig.boot()
    assert rig.switcher.status() == "ok"
    assert rig.switch("Y") is None


def test_ambiguous_feedback_refuses_without_moving():
    rig = Rig("R")
    rig.bank.feedback_stuck_open.add("R")
    assert rig.switcher.status() == "fault"
    assert rig.switch("Y") == "interlock_feedback"
    assert rig.bank.pulses() == []
    assert not rig.switcher.state.locked


def test_no_voltage_no_zero_crossing_no_switch():
    rig = Rig("R", v_rms=0.0)
    assert rig.switch("Y") == "interlock_zero_cross"
    assert rig.bank.pulses() == []
    assert rig.switcher.switches_today(rig.clock.now_s()) == 0


def test_mains_frequency_out_of_range_refused():
    rig = Rig("R", hz=30)
    assert rig.switch("Y") == "interlock_zero_cross"
    assert rig.bank.pulses() == []


def test_reboot_leaves_latched_phase_and_pulses_nothing():
    rig = Rig("R")
    assert rig.switch("B") is None
    before = len(rig.bank.log)
    remount(rig.dev)
    rig.boot()
    assert len(rig.bank.log) == before
    assert rig.switcher.phase() == "B"
    assert rig.switcher.state.phase == "B"
    assert rig.switcher.switches_today(rig.clock.now_s()) == 1


def test_feedback_wins_over_the_journal_at_start():
    rig = Rig("R")
    rig.bank.closed["R"] = False
    rig.bank.closed["Y"] = True  # moved by hand while the node was off
    remount(rig.dev)
    rig.boot()
    assert rig.switcher.state.phase == "Y"
    remount(rig.dev)
    rig.boot()
    assert rig.journal.load().phase == "Y"


run(globals())
