"""The feeder page's pure pieces: the chart range, the Lock column and its search, the
locked-out houses, why a run moved each house, and what blocks a previewed move."""

from __future__ import annotations

import math
import re
import string
from datetime import UTC, datetime, timedelta

import pytest

from components import strings
from components.feeder_view import (
    PHASE_MEASURES,
    RangeError,
    blocker_text,
    build_locks,
    build_run_detail,
    chart_window,
    explain_run,
    fit_window,
    house_rows,
    lock_text,
    parse_ist,
    refusal_text,
    run_rows,
    search_rows,
    verdict_text,
)
from grid.events import RunResult, RunTrigger
from grid.interlocks import Blocker, HouseState, SwitchLimits
from grid.phasors import Phase
from store.commands import CommandError, refused
from store.moves import DryRun, MoveError, parse_phase
from store.queries import BalancingRun, FeederHouse, HouseReading, SeriesPoint

NOW = datetime(2026, 11, 21, 6, 30, tzinfo=UTC)  # 12:00 IST
HOUSE = "KL-EKM-0001-H017"


# --- the chart range ---------------------------------------------------------------------------


def test_all_data_fits_a_feeder_heard_from_for_twenty_minutes() -> None:
    start, end = chart_window("fit", NOW, (NOW - timedelta(minutes=20), NOW))
    assert end == NOW
    assert NOW - timedelta(minutes=21) < start < NOW - timedelta(minutes=20)


def test_all_data_of_a_silent_feeder_ends_with_its_data() -> None:
    first, last = NOW - timedelta(days=5), NOW - timedelta(days=3)
    start, end = fit_window((first, last), NOW)
    assert last < end < last + timedelta(hours=2)
    assert first - timedelta(hours=2) < start < first


def test_all_data_is_never_shorter_than_ten_minutes_nor_longer_than_a_year() -> None:
    start, end = fit_window((NOW - timedelta(seconds=30), NOW), NOW)
    assert end - start == timedelta(minutes=10)
    start, end = fit_window((NOW - timedelta(days=900), NOW), NOW)
    assert timedelta(days=366) <= end - start <= timedelta(days=374)
    assert fit_window(None, NOW) == (NOW - timedelta(days=1), NOW)


def test_a_fixed_range_runs_back_from_now() -> None:
    assert chart_window("6h", NOW, None) == (NOW - timedelta(hours=6), NOW)


def test_a_custom_range_is_read_in_india_standard_time() -> None:
    start, end = chart_window("custom", NOW, None, "2026-11-20 18:30", "2026-11-21T06:00")
    assert start == datetime(2026, 11, 20, 13, 0, tzinfo=UTC)
    assert end == datetime(2026, 11, 21, 0, 30, tzinfo=UTC)
    assert parse_ist("2026-11-21", "from") == datetime(2026, 11, 20, 18, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("start", "end", "field", "says"),
    [
        ("", "2026-11-21 06:00", "from", "enter a date"),
        ("yesterday", "2026-11-21 06:00", "from", "not a date and time"),
        ("2026-11-21 06:00", "2026-11-21 05:00", "to", "after From"),
        ("2024-01-01 00:00", "2026-11-21 05:00", "to", "at most a year"),
    ],
)
def test_a_bad_custom_range_names_the_input(start: str, end: str, field: str, says: str) -> None:
    with pytest.raises(RangeError) as caught:
        chart_window("custom", NOW, None, start, end)
    assert caught.value.field == field
    assert says in caught.value.message


# --- houses and lockouts -----------------------------------------------------------------------


def house(
    house_id: str = HOUSE,
    *,
    locked: bool = False,
    until: datetime | None = None,
    reason: str | None = None,
    switchable: bool = True,
) -> FeederHouse:
    return FeederHouse(
        house_id, "KL-EKM-0001", Phase.R, 3.0, switchable, locked, True, NOW, 1200.0, 0.0, 1,
        locked_reason=reason if locked else None,
        locked_since=NOW - timedelta(minutes=5) if locked else None,
        locked_until=until if locked else None,
    )  # fmt: skip


def test_the_lock_column_says_why_since_and_until_when() -> None:
    text = lock_text(house(locked=True, until=NOW + timedelta(hours=6), reason="did_not_help"))
    assert text == "locked since 21 Nov 11:55 until 21 Nov 18:00 IST (did not help)"
    forever = lock_text(house(locked=True, reason="relay_feedback"))
    assert (
        forever
        == "locked since 21 Nov 11:55 until an operator unlocks it (the relay's feedback disagrees)"
    )
    assert lock_text(house()) == ""
    assert lock_text(house(switchable=False)) == "no relay"


def test_the_houses_search_looks_in_id_phase_and_lock() -> None:
    rows = house_rows([house(), house("KL-EKM-0001-H018", locked=True, reason="ack_timeout")], NOW)
    assert [r["house"] for r in search_rows(rows, "locked")] == ["KL-EKM-0001-H018"]
    assert [r["house"] for r in search_rows(rows, "h017")] == [HOUSE]
    assert [r["house"] for r in search_rows(rows, "r answer")] == ["KL-EKM-0001-H018"]
    assert len(search_rows(rows, "  ")) == 2
    assert search_rows(rows, "h099") == []


def test_each_locked_house_gets_an_unlock_button_for_an_operator() -> None:
    houses = [house(), house("KL-EKM-0001-H018", locked=True, reason="ack_timeout")]
    panel = build_locks(houses, can_unlock=True, button_type="unlock")
    buttons = [getattr(c, "id", None) for c in _walk(panel)]
    assert [b for b in buttons if b is not None] == [
        {"type": "unlock", "house": "KL-EKM-0001-H018"}
    ]
    read_only = build_locks(houses, can_unlock=False, button_type="unlock")
    assert [c for c in _walk(read_only) if getattr(c, "id", None) is not None] == []
    assert "an operator unlocks it" in str(read_only)
    assert "No house is locked out" in str(build_locks([house()], can_unlock=True, button_type="u"))


def _walk(component: object) -> list[object]:
    out = [component]
    children = getattr(component, "children", None)
    for child in children if isinstance(children, list) else [children]:
        if child is not None and not isinstance(child, str):
            out.extend(_walk(child))
    return out


# --- why a run moved each house ----------------------------------------------------------------


def test_a_run_explains_each_house_from_the_readings_at_its_decision() -> None:
    zeros = dict.fromkeys(("q_r", "q_y", "q_b", "i_r", "i_y", "i_b", "i_n", "i_n_max"), 0.0)
    state = SeriesPoint(
        ts=NOW, p_r=9200.0, p_y=2300.0, p_b=2300.0, v_r=230.0, v_y=230.0, v_b=230.0,
        unbalance_pct=None, samples=1, **zeros,
    )  # fmt: skip
    readings = {
        "KL-EKM-0001-H001": HouseReading(NOW, Phase.R, 230.0, 10.0, 2300.0, 0.0, 500.0),
        "KL-EKM-0001-H002": HouseReading(NOW, Phase.R, 230.0, 10.0, 2300.0, 0.0, 0.0),
    }
    moves = (
        {"house": "KL-EKM-0001-H001", "from": "R", "to": "Y", "result": "applied"},
        {"house": "KL-EKM-0001-H002", "from": "R", "to": "B", "result": "rolled_back"},
        {"house": "KL-EKM-0001-H003", "from": "R", "to": "B", "result": "failed"},
    )
    unknown = dict.fromkeys(
        (f"{when}_{name}" for when in ("before", "after")
         for name in ("i_r", "i_y", "i_b", "i_n", "unbalance_pct")),
    )  # fmt: skip
    run = BalancingRun(
        "r1",
        "KL-EKM-0001",
        NOW,
        RunTrigger.AUTO,
        RunResult.PARTIAL,
        moves=moves,
        decided_at=NOW,
        **unknown,
    )
    first, second, third = explain_run(run, state, readings)
    assert (first.load_kw, first.pv_kw, first.net_kw) == pytest.approx((2.8, 0.5, 2.3))
    assert first.neutral_with_a == pytest.approx(30.0)  # 40, 10, 10 A
    assert first.neutral_without_a == pytest.approx(10 * math.sqrt(3))  # 30, 20, 10 A
    assert second.neutral_with_a == pytest.approx(first.neutral_without_a)  # one after the other
    assert second.neutral_without_a == pytest.approx(0.0, abs=1e-9)
    assert (second.result, third.result) == ("rolled_back", "failed")
    assert (third.load_kw, third.neutral_with_a) == (None, None)  # no reading at the time


# --- what blocks a previewed move --------------------------------------------------------------


def dry(blocker: Blocker, **house_fields: object) -> DryRun:
    state = HouseState(HOUSE, Phase.R, **house_fields)  # type: ignore[arg-type]
    until = {
        Blocker.MIN_DWELL: NOW + timedelta(minutes=28),
        Blocker.DAILY_CAP: datetime(2026, 11, 21, 18, 30, tzinfo=UTC),
        Blocker.LOCKED: NOW + timedelta(hours=6),
    }.get(blocker)
    return DryRun(
        "KL-EKM-0001", HOUSE, Phase.R, Phase.B, state, SwitchLimits(), blocker, until,
        "did_not_help" if blocker is Blocker.LOCKED else None, "rolled_back", None, None, None,
    )  # fmt: skip


def test_a_dwell_block_says_when_the_house_last_switched_and_may_move_again() -> None:
    text = blocker_text(
        dry(Blocker.MIN_DWELL, last_switch_s=(NOW - timedelta(minutes=2)).timestamp())
    )
    assert text.startswith("Blocked by the minimum dwell:")
    assert "rolled back" in text
    assert "11:58:00 IST" in text  # the rollback
    assert "30 min" in text
    assert "12:28 IST" in text  # when it may move again


@pytest.mark.parametrize(
    ("blocker", "says"),
    [
        (Blocker.DAILY_CAP, "daily cap: it has 3 switches today"),
        (
            Blocker.LOCKED,
            "locked out: the controller locked it out (did not help) until 21 Nov 18:00",
        ),
        (Blocker.OFFLINE, "offline"),
        (Blocker.NOT_SWITCHABLE, "no phase-selector relay"),
        (Blocker.UNVERIFIED, "has no result yet"),
    ],
)
def test_every_block_names_its_interlock(blocker: Blocker, says: str) -> None:
    assert says in blocker_text(dry(blocker, switches_today=3))


# --- in Malayalam ------------------------------------------------------------------------------


@pytest.fixture
def in_malayalam(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make Malayalam the interface language of the functions under test."""
    monkeypatch.setattr(strings, "html_lang", lambda: "ml")


def english_words(*keys: str) -> set[str]:
    """Return the words (four letters or more) of the English templates of `keys`, fields left
    out."""
    words: set[str] = set()
    for key in keys:
        for literal, *_ in string.Formatter().parse(strings.EN[key]):
            words |= set(re.findall(r"[A-Za-z]{4,}", literal))
    return words


def assert_translated(shown: str, *keys: str) -> None:
    assert re.search("[\u0d00-\u0d7f]", shown), shown
    left = {w for w in english_words(*keys) if re.search(rf"\b{w}\b", shown)}
    assert left == set(), shown


@pytest.mark.usefixtures("in_malayalam")
def test_the_lock_column_and_its_search_read_in_malayalam() -> None:
    locked = house(locked=True, until=NOW + timedelta(hours=6), reason="did_not_help")
    assert lock_text(locked) == "ലോക്ക് ചെയ്തു 21 നവം 11:55 മുതൽ 21 നവം 18:00 IST വരെ (സഹായിച്ചില്ല)"
    assert lock_text(house(switchable=False)) == "റിലേ ഇല്ല"
    rows = house_rows([house(), house("KL-EKM-0001-H018", locked=True)], NOW)
    assert [r["online"] for r in rows] == ["ഉണ്ട്", "ഉണ്ട്"]
    found = search_rows(rows, strings.text("feeder_lock_locked"))
    assert [r["house"] for r in found] == ["KL-EKM-0001-H018"]


@pytest.mark.usefixtures("in_malayalam")
@pytest.mark.parametrize("blocker", list(Blocker))
def test_every_block_is_said_in_malayalam(blocker: Blocker) -> None:
    shown = blocker_text(dry(blocker, switches_today=3, last_switch_s=NOW.timestamp() - 120))
    keys = [k for k in strings.EN if k.startswith(("feeder_block", "feeder_blocker_"))]
    assert_translated(shown, *keys)
    assert shown.startswith(strings.ML[f"feeder_blocker_{blocker}"])


@pytest.mark.usefixtures("in_malayalam")
def test_a_preview_verdict_and_a_range_error_read_in_malayalam() -> None:
    verdicts = [k for k in strings.EN if k.startswith("feeder_verdict_")]
    for improves, overloads, blocked in [
        (True, (), False), (True, (), True), (False, ("R",), False), (False, (), True),
    ]:  # fmt: skip
        assert_translated(verdict_text(improves, overloads, blocked), *verdicts)
    with pytest.raises(RangeError) as caught:
        chart_window("custom", NOW, None, "yesterday", "2026-11-21 06:00")
    assert_translated(caught.value.message, "feeder_range_bad")
    assert "'yesterday'" in caught.value.message
    assert [m.label for m in PHASE_MEASURES] == ["കറന്റ്", "പവർ", "വോൾട്ടേജ്"]


@pytest.mark.usefixtures("in_malayalam")
def test_a_run_and_why_it_moved_each_house_read_in_malayalam() -> None:
    unknown = dict.fromkeys(
        (f"{when}_{name}" for when in ("before", "after")
         for name in ("i_r", "i_y", "i_b", "i_n", "unbalance_pct")),
    )  # fmt: skip
    moves = ({"house": HOUSE, "from": "R", "to": "Y", "result": "applied"},)
    run = BalancingRun(
        "r1", "KL-EKM-0001", NOW, RunTrigger.BALANCE_NOW, RunResult.IMPROVED, moves=moves, **unknown
    )
    assert run_rows([run])[0]["trigger"] == "ഓപ്പറേറ്റർ"
    assert run_rows([run])[0]["result"] == strings.text("run_result_improved", "ml")
    assert strings.text("move_result_applied", "ml") in run_rows([run])[0]["moves"]
    hint = build_run_detail(run, explain_run(run, None, {})).children[-1].children
    assert "റൺ അവസാനിച്ച" in hint
    assert_translated(hint, "feeder_run_basis_ended")


def _phase_error() -> MoveError:
    with pytest.raises(MoveError) as info:
        parse_phase("Q")
    return info.value


def test_a_refusal_reads_in_english_as_the_error_says_it() -> None:
    error = _phase_error()
    assert str(error) == "to_phase: 'Q' is not a phase (R, Y or B)"  # the CLI's and the logs'
    assert refusal_text(error) == "'Q' is not a phase (R, Y or B)"
    already = refused("to_phase", "error_already_on", house="KL-EKM-0001-H017", phase="B")
    assert refusal_text(already) == "KL-EKM-0001-H017 is already on B"
    assert str(already) == "to_phase: KL-EKM-0001-H017 is already on B"
    passed_on = CommandError("feeder", "KL-EKM-0001 has no signing key in the keys directory")
    assert refusal_text(passed_on) == passed_on.message


@pytest.mark.usefixtures("in_malayalam")
def test_a_refusal_reads_in_malayalam_with_its_figures() -> None:
    shown = refusal_text(_phase_error())
    assert shown == "'Q' ഒരു ഫേസ് അല്ല (R, Y അല്ലെങ്കിൽ B)"
    assert_translated(shown, "error_not_phase")
    too_long = refusal_text(refused("why", "error_why_too_long", limit=500))
    assert "500" in too_long
    assert_translated(too_long, "error_why_too_long")
    assert str(refused("why", "error_why_too_long", limit=500)) == (
        "why: is longer than 500 characters"  # the audit's record stays English
    )
