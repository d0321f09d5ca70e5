"""HQ commands in the store: lifecycle, counters, audit, signing; and the move dry run."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Connection, Engine, update

from grid.events import CommandState
from grid.interlocks import Blocker
from grid.messages import ControlAction, ControlCommand, Mode, TopicKind, decode, topic_for
from grid.phasors import Phase
from grid.signing import verify_control_command
from store import queries as q
from store.commands import (
    CommandError,
    command_expiry,
    create_command,
    mark_not_sent,
    mark_sent,
)
from store.moves import MoveError, dry_run_move, parse_phase
from store.schema import houses
from store.writer import advance_command
from tests.store.seed import (
    T0,
    add_command,
    add_feeder,
    add_feeder_state,
    add_house,
    add_house_readings,
    add_switch,
    house_reading,
)

NOW = T0 + timedelta(hours=10)
KEY = b"feeder-key-for-tests-0123456789ab"
FEEDER = "KL-TVM-0001"


@pytest.fixture
def conn(engine: Engine) -> Iterator[Connection]:
    """Return a connection in a transaction with one feeder and three houses."""
    with engine.begin() as connection:
        add_feeder(connection, FEEDER, last_seen=NOW)
        add_house(connection, f"{FEEDER}-H001", FEEDER, "R")
        add_house(connection, f"{FEEDER}-H002", FEEDER, "Y")
        add_house(connection, f"{FEEDER}-H003", FEEDER, "B", switchable=False)
        yield connection


def test_a_mode_command_is_stored_requested_audited_and_signed(conn: Connection) -> None:
    issued = create_command(
        conn,
        feeder_id=FEEDER,
        action=ControlAction.SET_MODE,
        actor="asha",
        key=KEY,
        why="crew on the line",
        mode=Mode.MANUAL,
        now=NOW,
        ttl_s=90,
    )
    cmd = issued.command
    assert cmd.state == "requested"
    assert cmd.requested_by == "asha"
    assert cmd.params["mode"] == "manual"
    assert cmd.params["why"] == "crew on the line"
    assert command_expiry(cmd) == NOW + timedelta(seconds=90)
    message = decode(topic_for(TopicKind.CTL, FEEDER), issued.message.to_json())
    assert isinstance(message, ControlCommand)
    assert message.cmd_id == cmd.cmd_id
    assert message.ctr == cmd.ctr
    verdict = verify_control_command(
        message, key=KEY, feeder_id=FEEDER, last_counter=0, now_s=NOW.timestamp()
    )
    assert verdict.accepted
    wrong = verify_control_command(
        message, key=b"x" * 32, feeder_id=FEEDER, last_counter=0, now_s=NOW.timestamp()
    )
    assert not wrong.accepted
    entries = q.audit_entries(conn, username="asha")
    assert [e.action for e in entries] == ["command.set_mode"]
    assert entries[0].detail["why"] == "crew on the line"
    assert entries[0].detail["cmd_id"] == cmd.cmd_id


def test_counters_rise_strictly_and_are_at_least_the_time_in_ms(conn: Connection) -> None:
    counters = [
        int(
            create_command(
                conn,
                feeder_id=FEEDER,
                action=ControlAction.BALANCE_NOW,
                actor="a",
                key=KEY,
                now=NOW,
            ).command.ctr
            or 0
        )
        for _ in range(3)
    ]
    assert counters[0] == int(NOW.timestamp() * 1000)
    assert counters == sorted(set(counters))
    earlier = create_command(
        conn,
        feeder_id=FEEDER,
        action=ControlAction.BALANCE_NOW,
        actor="a",
        key=KEY,
        now=NOW - timedelta(days=1),
    )
    assert earlier.command.ctr == counters[-1] + 1


def test_a_move_takes_its_from_phase_from_the_store(conn: Connection) -> None:
    issued = create_command(
        conn,
        feeder_id=FEEDER,
        action=ControlAction.SWITCH,
        actor="a",
        key=KEY,
        house=f"{FEEDER}-H002",
        to_phase=Phase.B,
        now=NOW,
    )
    assert issued.message.from_phase is Phase.Y
    assert issued.message.to_phase is Phase.B
    assert issued.command.house_id == f"{FEEDER}-H002"
    assert issued.command.params["from"] == "Y"
    assert issued.command.params["to"] == "B"


def test_an_unlock_names_the_house_and_is_audited(conn: Connection) -> None:
    house = f"{FEEDER}-H002"
    issued = create_command(
        conn, feeder_id=FEEDER, action=ControlAction.UNLOCK, actor="a", key=KEY, house=house
    )
    assert (issued.message.action, issued.message.house) == (ControlAction.UNLOCK, house)
    assert issued.message.from_phase is None
    assert issued.command.house_id == house
    assert issued.command.params["house"] == house
    (entry,) = q.audit_entries(conn, username="a")
    assert (entry.action, entry.target) == ("command.unlock", house)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"feeder_id": "KL-TVM-0999", "action": ControlAction.BALANCE_NOW}, "feeder"),
        ({"action": ControlAction.SET_MODE}, "mode"),
        ({"action": ControlAction.SWITCH, "to_phase": Phase.Y}, "house"),
        ({"action": ControlAction.SWITCH, "house": "KL-TVM-0002-H001"}, "house"),
        ({"action": ControlAction.SWITCH, "house": f"{FEEDER}-H404", "to_phase": Phase.Y}, "house"),
        ({"action": ControlAction.SWITCH, "house": f"{FEEDER}-H003", "to_phase": Phase.Y}, "house"),
        ({"action": ControlAction.SWITCH, "house": f"{FEEDER}-H001"}, "to_phase"),
        (
            {"action": ControlAction.SWITCH, "house": f"{FEEDER}-H001", "to_phase": Phase.R},
            "to_phase",
        ),
        ({"action": ControlAction.BALANCE_NOW, "why": "x" * 501}, "why"),
        ({"action": ControlAction.UNLOCK}, "house"),
        ({"action": ControlAction.UNLOCK, "house": f"{FEEDER}-H404"}, "house"),
        ({"action": ControlAction.UNLOCK, "house": "KL-TVM-0002-H001"}, "house"),
    ],
)
def test_a_bad_command_names_the_field(
    conn: Connection, kwargs: dict[str, object], field: str
) -> None:
    args: dict[str, object] = {"feeder_id": FEEDER, "actor": "a", "key": KEY, "now": NOW}
    args.update(kwargs)
    with pytest.raises(CommandError) as info:
        create_command(conn, **args)  # type: ignore[arg-type]
    assert info.value.field == field
    assert q.commands(conn) == []


def test_the_lifecycle_only_moves_forward(conn: Connection) -> None:
    cmd = create_command(
        conn, feeder_id=FEEDER, action=ControlAction.BALANCE_NOW, actor="a", key=KEY, now=NOW
    ).command
    assert mark_sent(conn, cmd.cmd_id, actor="a", at=NOW)
    assert advance_command(conn, cmd.cmd_id, CommandState.APPLIED, "improved", NOW)
    assert not mark_sent(conn, cmd.cmd_id, actor="a", at=NOW)
    assert not mark_not_sent(conn, cmd.cmd_id, "broker_unreachable", actor="a", at=NOW)
    final = q.command(conn, cmd.cmd_id)
    assert final is not None
    assert (final.state, final.reason) == ("applied", "improved")
    actions = [e.action for e in q.audit_entries(conn, username="a")]
    assert actions == ["command.sent", "command.balance_now"]


def test_a_command_the_broker_never_took_stays_visible_as_failed(conn: Connection) -> None:
    cmd = create_command(
        conn, feeder_id=FEEDER, action=ControlAction.BALANCE_NOW, actor="a", key=KEY, now=NOW
    ).command
    assert mark_not_sent(conn, cmd.cmd_id, "broker_unreachable", actor="a", at=NOW)
    [listed] = q.commands(conn, FEEDER)
    assert (listed.state, listed.reason) == ("failed", "broker_unreachable")
    denied = q.audit_entries(conn, outcome="failed")
    assert [e.action for e in denied] == ["command.not_sent"]


# --- the dry run -------------------------------------------------------------------------------


def _live_feeder(conn: Connection) -> None:
    add_feeder_state(
        conn,
        FEEDER,
        NOW - timedelta(seconds=10),
        p_r=6900.0, p_y=2300.0, p_b=4600.0, q_r=0.0, q_y=0.0, q_b=0.0,
    )  # fmt: skip
    add_house_readings(
        conn,
        [
            house_reading(NOW - timedelta(seconds=400), f"{FEEDER}-H001", FEEDER, p=100.0),
            house_reading(NOW - timedelta(seconds=20), f"{FEEDER}-H001", FEEDER, p=2300.0),
        ],
    )


def test_the_dry_run_predicts_from_the_latest_state(conn: Connection) -> None:
    _live_feeder(conn)
    dry = dry_run_move(conn, FEEDER, f"{FEEDER}-H001", Phase.Y, NOW)
    assert (dry.from_phase, dry.to_phase) == (Phase.R, Phase.Y)
    assert dry.house_p_w == 2300.0
    assert dry.allowed
    assert dry.effect is not None
    assert dry.effect.before.i_a == pytest.approx((30.0, 10.0, 20.0))
    assert dry.effect.after.i_a == pytest.approx((20.0, 20.0, 20.0))
    assert dry.effect.after.i_n_a == pytest.approx(0.0, abs=1e-9)
    assert dry.effect.rating_a == pytest.approx(100_000 / 690)


@pytest.mark.parametrize(
    ("house", "to", "at", "field"),
    [
        ("KL-TVM-0001-H404", "Y", NOW, "house"),
        ("KL-XXX-0001-H001", "Y", NOW, "house"),
        ("KL-TVM-0001-H001", "R", NOW, "to_phase"),
    ],
)
def test_the_dry_run_names_the_field_of_a_move_that_cannot_be(
    conn: Connection, house: str, to: str, at: object, field: str
) -> None:
    _live_feeder(conn)
    with pytest.raises(MoveError) as info:
        dry_run_move(conn, FEEDER, house, Phase(to), at)  # type: ignore[arg-type]
    assert info.value.field == field


def test_a_house_just_rolled_back_is_blocked_by_its_dwell(conn: Connection) -> None:
    _live_feeder(conn)
    house = f"{FEEDER}-H001"
    back = NOW - timedelta(minutes=29)
    add_switch(conn, back, FEEDER, house, from_phase="R", to_phase="B", result="rolled_back",
               reason="did_not_help")  # fmt: skip
    dry = dry_run_move(conn, FEEDER, house, Phase.Y, NOW)
    assert dry.blocker is Blocker.MIN_DWELL
    assert not dry.allowed
    assert dry.blocked_until == back + timedelta(minutes=30)
    assert dry.last_result == "rolled_back"
    assert dry.house.switches_today == 2  # the move and its undo, as the node counts them
    assert dry.effect is not None
    assert dry.effect.improves
    later = dry_run_move(conn, FEEDER, house, Phase.Y, NOW + timedelta(minutes=2))
    assert later.allowed


def test_a_node_refusal_for_its_dwell_restarts_the_dwell(conn: Connection) -> None:
    _live_feeder(conn)
    house = f"{FEEDER}-H001"
    add_switch(conn, NOW - timedelta(hours=3), FEEDER, house, result="applied")
    add_switch(conn, NOW - timedelta(minutes=1), FEEDER, house, result="rejected",
               reason="interlock_min_dwell")  # fmt: skip
    add_switch(conn, NOW - timedelta(seconds=30), FEEDER, house, result="rejected",
               reason="house_offline")  # fmt: skip
    dry = dry_run_move(conn, FEEDER, house, Phase.Y, NOW)
    assert dry.blocker is Blocker.MIN_DWELL
    assert dry.blocked_until == NOW - timedelta(minutes=1) + timedelta(minutes=30)


def test_the_daily_cap_blocks_until_midnight_in_india(conn: Connection) -> None:
    _live_feeder(conn)
    house = f"{FEEDER}-H001"
    for k in range(3):
        add_switch(conn, NOW - timedelta(hours=3 + k), FEEDER, house, result="applied")
    dry = dry_run_move(conn, FEEDER, house, Phase.Y, NOW)
    assert dry.blocker is Blocker.DAILY_CAP
    assert dry.blocked_until is not None
    local = dry.blocked_until.astimezone(q.IST)
    assert (local.hour, local.minute) == (0, 0)
    assert dry.blocked_until - NOW < timedelta(days=1)


def test_a_config_command_the_controller_applied_changes_the_limits(conn: Connection) -> None:
    _live_feeder(conn)
    house = f"{FEEDER}-H001"
    for k in range(3):
        add_switch(conn, NOW - timedelta(hours=3 + k), FEEDER, house, result="applied")
    add_command(conn, "cfg-1", FEEDER, NOW - timedelta(days=1), action="config",
                params={"config": {"max_per_house_day": 4, "min_dwell_s": 600}},
                state="applied")  # fmt: skip
    add_command(conn, "cfg-2", FEEDER, NOW - timedelta(hours=1), action="config",
                params={"config": {"max_per_house_day": 1}}, state="rejected")  # fmt: skip
    dry = dry_run_move(conn, FEEDER, house, Phase.Y, NOW)
    assert (dry.limits.max_per_house_day, dry.limits.min_dwell_s) == (4, 600.0)
    assert dry.allowed


def test_a_locked_out_house_is_blocked_until_its_cool_down_ends(conn: Connection) -> None:
    _live_feeder(conn)
    house = f"{FEEDER}-H001"
    until = NOW + timedelta(hours=5)
    conn.execute(
        update(houses)
        .where(houses.c.house_id == house)
        .values(locked=True, locked_reason="ack_timeout", locked_since=NOW, locked_until=until)
    )
    dry = dry_run_move(conn, FEEDER, house, Phase.Y, NOW)
    assert (dry.blocker, dry.blocked_until, dry.lock_reason) == (
        Blocker.LOCKED, until, "ack_timeout",
    )  # fmt: skip
    conn.execute(update(houses).where(houses.c.house_id == house).values(locked_until=None))
    forever = dry_run_move(conn, FEEDER, house, Phase.Y, NOW)
    assert (forever.blocker, forever.blocked_until) == (Blocker.LOCKED, None)


def test_offline_no_relay_and_a_move_under_way_block_too(conn: Connection) -> None:
    _live_feeder(conn)
    offline = dry_run_move(conn, FEEDER, f"{FEEDER}-H002", Phase.R, NOW)
    assert (offline.blocker, offline.effect) == (Blocker.OFFLINE, None)
    add_house_readings(conn, [house_reading(NOW - timedelta(seconds=5), f"{FEEDER}-H003", FEEDER)])
    relay = dry_run_move(conn, FEEDER, f"{FEEDER}-H003", Phase.Y, NOW)
    assert relay.blocker is Blocker.NOT_SWITCHABLE
    house = f"{FEEDER}-H001"
    add_command(conn, "mv-1", FEEDER, NOW - timedelta(seconds=30), house_id=house, state="sent")
    busy = dry_run_move(conn, FEEDER, house, Phase.Y, NOW)
    assert busy.blocker is Blocker.UNVERIFIED


def test_a_stale_reading_is_offline(conn: Connection) -> None:
    _live_feeder(conn)
    dry = dry_run_move(conn, FEEDER, f"{FEEDER}-H001", Phase.Y, NOW + timedelta(minutes=6))
    assert dry.blocker is Blocker.OFFLINE


def test_the_dry_run_needs_a_recent_summary(conn: Connection) -> None:
    add_house_readings(conn, [house_reading(NOW, f"{FEEDER}-H001", FEEDER)])
    with pytest.raises(MoveError) as info:
        dry_run_move(conn, FEEDER, f"{FEEDER}-H001", Phase.Y, NOW)
    assert info.value.field == "feeder"


def test_form_phases_are_parsed_or_named() -> None:
    assert parse_phase(" y ") is Phase.Y
    with pytest.raises(MoveError, match="to_phase: 'Q' is not a phase"):
        parse_phase("Q")
