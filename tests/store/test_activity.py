"""The log in the store: one row per action, filters and sorts in SQL, pages with a total, times
to the second in IST (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta
from itertools import pairwise

import pytest
from sqlalchemy import Engine, select

from grid.events import CommandState
from grid.messages import ControlAction, Mode
from grid.phasors import Phase
from store.audit import audit
from store.commands import create_command, mark_not_sent, mark_sent
from store.queries.log import (
    LOG_SORTS,
    LogFilter,
    LogOrder,
    activity,
    count_log,
    log_page,
    log_rows,
)
from store.schema import audit_log
from store.writer import advance_command
from tests.store.seed import (
    T0,
    add_alert,
    add_audit,
    add_command,
    add_feeder,
    add_house,
    add_run,
    add_switch,
)

KEY = b"feeder-key-for-tests-0123456789ab"
TVM, EKM = "KL-TVM-0001", "KL-EKM-0002"


@pytest.fixture
def seeded(engine: Engine) -> Engine:
    """Two feeders in two districts; a switch, a run, a command and audit rows around T0."""
    with engine.begin() as conn:
        add_feeder(conn, TVM, district="Thiruvananthapuram")
        add_feeder(conn, EKM, district="Ernakulam")
        add_house(conn, f"{TVM}-H001", TVM, "R")
        add_house(conn, f"{EKM}-H002", EKM, "B")
        add_alert(conn, "A1", EKM, T0)
        add_command(conn, "C1", TVM, T0, house_id=f"{TVM}-H001", state="applied",
                    requested_by="otto", params={"from": "R", "to": "Y", "why": "crew asked"})  # fmt: skip
        add_switch(conn, T0 + timedelta(seconds=30), TVM, f"{TVM}-H001", cmd_id="C1",
                   origin="manual")  # fmt: skip
        add_switch(conn, T0 + timedelta(minutes=5), EKM, f"{EKM}-H002", from_phase="B",
                   to_phase="R", run_id="run-1", result="rolled_back", reason="no_effect")  # fmt: skip
        add_run(conn, "run-1", EKM, T0 + timedelta(minutes=4, seconds=58), moves=[{}, {}])
        add_audit(conn, T0 + timedelta(minutes=6), "user.add", username="ada", target="nina")
        add_audit(conn, T0 + timedelta(minutes=7), "feeder.set_mode", username="vera",
                  target=TVM, outcome="denied", feeder_id=TVM)  # fmt: skip
        add_audit(conn, T0 + timedelta(minutes=8), "auth.login", username=None,
                  target="mallory", outcome="failed")  # fmt: skip
    return engine


def test_a_command_and_everything_it_caused_is_one_row(engine: Engine) -> None:
    """A manual move writes a command, two audit rows and a switch: the log shows one row."""
    with engine.begin() as conn:
        add_feeder(conn, TVM)
        add_house(conn, f"{TVM}-H001", TVM, "R")
        issued = create_command(
            conn, feeder_id=TVM, action=ControlAction.SWITCH, actor="otto", key=KEY,
            why="crew asked", house=f"{TVM}-H001", to_phase=Phase.Y, now=T0,
        )  # fmt: skip
        cmd_id = issued.command.cmd_id
        mark_sent(conn, cmd_id, actor="otto", at=T0 + timedelta(seconds=1))
        advance_command(conn, cmd_id, CommandState.REJECTED, "interlock_min_dwell", T0)
        add_switch(conn, T0 + timedelta(seconds=3), TVM, f"{TVM}-H001", cmd_id=cmd_id,
                   origin="manual", result="rejected", reason="interlock_min_dwell")  # fmt: skip
        failed = create_command(
            conn, feeder_id=TVM, action=ControlAction.SET_MODE, actor="asha", key=KEY,
            mode=Mode.MANUAL, now=T0 + timedelta(minutes=1),
        )  # fmt: skip
        mark_not_sent(conn, failed.command.cmd_id, "broker_unreachable", actor="asha")
        audits = conn.execute(select(audit_log.c.action)).scalars().all()
    assert len(audits) == 4  # the rows the log folds into its two commands
    with engine.connect() as conn:
        entries = activity(conn)
    assert [(e.kind, e.who, e.action, e.result) for e in entries] == [
        ("command", "asha", "set_mode manual", "failed"),
        ("command", "otto", "switch R→Y", "rejected"),
    ]
    move = entries[1]
    assert (move.target, move.feeder_id, move.why, move.reason) == (
        f"{TVM}-H001", TVM, "crew asked", "interlock_min_dwell",
    )  # fmt: skip
    assert entries[0].reason == "broker_unreachable"


def test_why_is_the_operators_note_and_reason_why_it_was_refused(engine: Engine) -> None:
    """A noted move applied, a noted move the edge rejected, a noted move the dry run blocked
    (audited as the feeder page does), a denial and a change with detail."""
    house = f"{TVM}-H001"
    with engine.begin() as conn:
        add_feeder(conn, TVM)
        add_house(conn, house, TVM, "R")
        moves = [
            create_command(
                conn, feeder_id=TVM, action=ControlAction.SWITCH, actor="otto", key=KEY,
                why=why, house=house, to_phase=Phase.Y, now=T0 + timedelta(minutes=k),
            ).command.cmd_id
            for k, why in enumerate(("crew asked", "neutral hot"))
        ]  # fmt: skip
        advance_command(conn, moves[0], CommandState.APPLIED, "", T0)
        advance_command(conn, moves[1], CommandState.REJECTED, "interlock_min_dwell", T0)
        audit(conn, actor="otto", action="feeder.move_house", target=house, outcome="failed",
              detail={"feeder_id": TVM, "to": "B", "why": "try B", "reason": "daily_cap"},
              ts=T0 + timedelta(minutes=2))  # fmt: skip
        audit(conn, actor="vera", action="feeder.move_house", target="", outcome="denied",
              detail={"role": "viewer", "required": "operator"}, ts=T0 + timedelta(minutes=3))  # fmt: skip
        audit(conn, actor="ada", action="user.set_role", target="nina", outcome="ok",
              detail={"role": "admin", "was": "viewer"}, ts=T0 + timedelta(minutes=4))  # fmt: skip
    with engine.connect() as conn:
        entries = activity(conn)
    assert [(e.action, e.why, e.result, e.reason) for e in entries] == [
        ("user.set_role role=admin, was=viewer", "", "ok", ""),
        ("feeder.move_house", "", "denied", "needs the operator role, has viewer"),
        (f"feeder.move_house feeder_id={TVM}, to=B", "try B", "failed", "daily_cap"),
        ("switch R→Y", "neutral hot", "rejected", "interlock_min_dwell"),
        ("switch R→Y", "crew asked", "applied", ""),
    ]


def test_rows_of_every_kind_newest_first_to_the_second_in_ist(seeded: Engine) -> None:
    with seeded.connect() as conn:
        entries = activity(conn)
    assert [(e.kind, e.who, e.result) for e in entries] == [
        ("audit", "anonymous", "failed"),
        ("audit", "vera", "denied"),
        ("audit", "ada", "ok"),
        ("switch", "auto", "rolled_back"),
        ("run", "auto", "improved"),
        ("command", "otto", "applied"),
    ]
    switch, run = entries[3], entries[4]
    assert (switch.action, switch.why, switch.reason) == (
        "switch B→R", "balancing run run-1", "no_effect",
    )  # fmt: skip
    assert (run.action, run.why) == ("balancing run, 2 moves", "auto; neutral 34.6 → 1.0 A")
    # Two seconds apart, and both shown: 05:34:58 and 05:35:00 IST.
    assert run.as_row()["ts"] == "2024-06-01T05:34:58+05:30"
    assert switch.as_row()["ts"] == "2024-06-01T05:35:00+05:30"
    assert (switch.district, run.district) == ("Ernakulam", "Ernakulam")


def test_filters(seeded: Engine) -> None:
    def rows(**given: object) -> list[tuple[str, str]]:
        with seeded.connect() as conn:
            return [(e.kind, e.target) for e in activity(conn, LogFilter(**given))]  # type: ignore[arg-type]

    assert rows(feeder_id=TVM) == [("audit", TVM), ("command", f"{TVM}-H001")]
    assert rows(district="Ernakulam") == [("switch", f"{EKM}-H002"), ("run", EKM)]
    assert rows(username="otto") == [("command", f"{TVM}-H001")]
    assert rows(username="auto") == [("switch", f"{EKM}-H002"), ("run", EKM)]
    assert rows(username="anonymous") == [("audit", "mallory")]
    assert rows(result="denied") == [("audit", TVM)]
    assert rows(kinds=["run", "command"]) == [("run", EKM), ("command", f"{TVM}-H001")]
    assert rows(kinds=[]) == []
    window = rows(start=T0 + timedelta(minutes=5), end=T0 + timedelta(minutes=7))
    assert window == [("audit", "nina"), ("switch", f"{EKM}-H002")]
    with seeded.connect() as conn:
        assert count_log(conn, LogFilter(district="Ernakulam")) == 2
        assert count_log(conn) == 6


def test_audit_rows_know_their_feeder_from_the_target(seeded: Engine) -> None:
    with seeded.begin() as conn:
        for target in (TVM, f"{EKM}-H002", "A1", "nina"):
            audit(conn, actor="otto", action="probe", target=target, outcome="ok", detail={})
    with seeded.connect() as conn:
        found = {e.target: e.feeder_id for e in activity(conn, LogFilter(kinds=["audit"]))}
    assert {t: found[t] for t in (TVM, f"{EKM}-H002", "A1", "nina")} == {
        TVM: TVM, f"{EKM}-H002": EKM, "A1": EKM, "nina": "",
    }  # fmt: skip


@pytest.mark.parametrize("key", LOG_SORTS)
def test_sorts_by_a_key_then_newest_first(seeded: Engine, key: str) -> None:
    order = LogOrder(key, descending=False)  # type: ignore[arg-type]
    with seeded.connect() as conn:
        entries = log_rows(conn, order=order, limit=100)
        backwards = log_rows(conn, order=LogOrder(key), limit=100)  # type: ignore[arg-type]
    field = {"time": "ts", "feeder": "feeder_id", "actor": "who"}.get(key, key)

    def value(e: object) -> object:
        raw = getattr(e, field)
        last = {"feeder_id": "", "district": "", "who": "anonymous"}.get(field)  # none: last
        return (raw == last, raw) if last is not None else raw

    values = [value(e) for e in entries]
    assert values == sorted(values)
    if key != "time":
        for a, b in pairwise(entries):
            if value(a) == value(b):
                assert a.ts >= b.ts  # newest first within a key
    assert len(entries) == len(backwards) == 6
    assert [value(e) for e in backwards] == sorted(values, reverse=True)


def test_pages_hold_every_row_once_from_either_end(engine: Engine) -> None:
    with engine.begin() as conn:
        add_feeder(conn, TVM)
        for k in range(23):
            add_switch(conn, T0 + timedelta(seconds=k // 2), TVM, f"{TVM}-H{k:03d}")
            add_audit(conn, T0 + timedelta(seconds=k), "alert.ack", target=f"A{k}", feeder_id=TVM)
    with engine.connect() as conn:
        pages = [log_page(conn, page=p, size=10) for p in range(5)]
        whole = log_rows(conn, limit=100)
        by_feeder = [log_page(conn, order=LogOrder("feeder"), page=p, size=7) for p in range(7)]
        whole_by_feeder = log_rows(conn, order=LogOrder("feeder"), limit=100)
    assert [(p.page, p.pages, p.total, len(p.entries)) for p in pages[:5]] == [
        (0, 5, 46, 10), (1, 5, 46, 10), (2, 5, 46, 10), (3, 5, 46, 10), (4, 5, 46, 6),
    ]  # fmt: skip
    assert [e for p in pages for e in p.entries] == whole  # later pages are read from the end
    assert [e for p in by_feeder for e in p.entries] == whole_by_feeder
    with engine.connect() as conn:
        assert log_page(conn, page=99, size=10).page == 4  # clamped to the last page
        assert log_page(conn, LogFilter(username="nobody")).entries == []


def test_bad_paging_and_sort_are_refused(engine: Engine) -> None:
    with engine.connect() as conn:
        with pytest.raises(ValueError, match="limit"):
            log_rows(conn, limit=0)
        with pytest.raises(ValueError, match="size"):
            log_page(conn, size=0)
    with pytest.raises(ValueError, match="sort"):
        LogOrder("colour")  # type: ignore[arg-type]
