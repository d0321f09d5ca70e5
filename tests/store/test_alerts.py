"""Alerts at HQ (SQLite and PostgreSQL): roll-up under a silent feeder and a silent fleet, HQ's
own alerts clearing, the order of every list, paging, counts and bulk acknowledgement."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import Connection, Engine, select, update

from grid.messages import Alert as AlertMessage
from grid.messages import AlertState, Severity, TopicKind
from grid.uplink import Uplink
from store import queries as q
from store.alerting import (
    AlertError,
    AlertFilter,
    acknowledge,
    acknowledge_matching,
    acknowledge_selected,
    alert_page,
    alerts_fingerprint,
    count_matching,
    find_alert,
    find_alerts,
    open_alert_count,
)
from store.schema import alerts, audit_log, feeders
from store.watchdog import (
    FLEET_KIND,
    KIND,
    clear_session_lost,
    raise_session_lost,
    sweep_offline_feeders,
)
from store.writer import WriteBatch, write_batch
from tests.store.seed import T0, add_alert, add_feeder

F1, F2, F3 = "KL-EKM-0001", "KL-EKM-0002", "KL-TVM-0003"
_seq = itertools.count(1)


@pytest.fixture
def conn(engine: Engine) -> Iterator[Connection]:
    with engine.begin() as c:
        add_feeder(c, F1, district="Ernakulam", last_seen=T0)
        add_feeder(c, F2, district="Ernakulam", last_seen=T0)
        add_feeder(c, F3, district="Thiruvananthapuram", last_seen=T0)
    with engine.begin() as c:
        yield c


def edge_alert(
    conn: Connection,
    feeder: str,
    alert_id: str,
    kind: str,
    at: datetime,
    *,
    house: str | None = None,
    cleared: bool = False,
) -> None:
    """Store an alert as the ingest writer does when an edge sends it."""
    message = AlertMessage(
        boot=1,
        seq=next(_seq),
        ts_s=at.timestamp(),
        alert_id=alert_id,
        kind=kind,
        severity=Severity.WARNING,
        state=AlertState.CLEARED if cleared else AlertState.RAISED,
        message=f"{kind} {house or feeder}",
        house=house,
    )
    write_batch(conn, WriteBatch([Uplink(feeder, TopicKind.ALERT, message)], received_at=at))


def heard(conn: Connection, at: datetime, *feeder_ids: str) -> None:
    conn.execute(update(feeders).where(feeders.c.feeder_id.in_(feeder_ids)).values(last_seen=at))


def state_of(conn: Connection, alert_id: str) -> tuple[str, str | None]:
    alert = find_alert(conn, alert_id)
    assert alert is not None
    return alert.state, alert.parent_id


def top(conn: Connection, state: str | None = "active") -> list[str]:
    page = alert_page(conn, AlertFilter(state=state), page_size=500)
    return [r.alert.alert_id for r in page.rows]


def offline_alert(conn: Connection, feeder: str) -> str:
    return str(
        conn.execute(
            select(alerts.c.alert_id).where(
                alerts.c.kind == KIND, alerts.c.feeder_id == feeder, alerts.c.state != "cleared"
            )
        ).scalar_one()
    )


# --- roll-up ---------------------------------------------------------------------------------


def test_a_silent_feeder_holds_its_houses_alerts_and_lets_them_go_when_heard(
    conn: Connection,
) -> None:
    h = [f"{F1}-H{k:03d}" for k in range(1, 13)]
    for k, house in enumerate(h[:5]):
        edge_alert(conn, F1, f"e-{k}", "house_offline", T0, house=house)
    edge_alert(conn, F2, "e-other", "house_offline", T0, house=f"{F2}-H001")
    assert open_alert_count(conn) == 6
    at = T0 + timedelta(minutes=2)
    heard(conn, at, F2, F3)
    sweep = sweep_offline_feeders(conn, at)
    assert sweep.raised == (F1,)
    assert sweep.fleet is None  # two feeders are heard
    parent = offline_alert(conn, F1)
    assert state_of(conn, "e-0") == ("open", parent)
    for k, house in enumerate(h[5:], start=5):  # the edge's late reports join it
        edge_alert(conn, F1, f"e-{k}", "house_offline", at, house=house)
    assert state_of(conn, "e-11") == ("open", parent)
    assert sorted(top(conn)) == sorted([parent, "e-other"])
    assert open_alert_count(conn) == 2
    (listed,) = [r for r in alert_page(conn, AlertFilter()).rows if r.alert.alert_id == parent]
    assert listed.rolled_up == (("house_offline", 12),)
    assert listed.rolled_up_text == "12 houses silent"
    assert "IST" in listed.alert.message
    assert "UTC" not in listed.alert.message
    edge_alert(conn, F1, "e-0", "house_offline", at, house=h[0], cleared=True)
    later = at + timedelta(minutes=1)
    heard(conn, later, F1, F2, F3)
    assert sweep_offline_feeders(conn, later).cleared == (F1,)
    assert state_of(conn, parent) == ("cleared", None)
    assert state_of(conn, "e-1") == ("open", None)  # still silent: on its own again
    assert state_of(conn, "e-0") == ("cleared", parent)  # history keeps what it held
    assert open_alert_count(conn) == 12
    (held,) = alert_page(conn, AlertFilter(state="cleared")).rows
    assert held.rolled_up == (("house_offline", 1),)  # what cleared while it held it


def test_the_edge_rollup_holds_house_alerts_and_hq_unreachable_joins_feeder_offline(
    conn: Connection,
) -> None:
    edge_alert(conn, F1, "h-1", "house_offline", T0, house=f"{F1}-H001")
    edge_alert(conn, F1, "rollup", "houses_offline", T0 + timedelta(seconds=5))
    assert state_of(conn, "h-1") == ("open", "rollup")
    at = T0 + timedelta(minutes=2)
    heard(conn, at, F2, F3)
    sweep_offline_feeders(conn, at)
    parent = offline_alert(conn, F1)
    assert state_of(conn, "rollup") == ("open", parent)
    assert state_of(conn, "h-1") == ("open", parent)  # the widest open alert wins
    edge_alert(conn, F1, "hq", "hq_unreachable", at)
    edge_alert(conn, F1, "unbalance", "sustained_unbalance", at)
    assert state_of(conn, "hq") == ("open", parent)
    assert state_of(conn, "unbalance") == ("open", None)  # a cause of its own
    heard(conn, at + timedelta(minutes=1), F1, F2, F3)
    sweep_offline_feeders(conn, at + timedelta(minutes=1))
    assert state_of(conn, "h-1") == ("open", "rollup")  # back under the edge's roll-up
    edge_alert(conn, F1, "rollup", "houses_offline", at, cleared=True)
    assert state_of(conn, "h-1") == ("open", None)


def test_a_silent_fleet_is_one_alert_holding_every_feeder_offline(conn: Connection) -> None:
    edge_alert(conn, F1, "h-1", "house_offline", T0, house=f"{F1}-H001")
    at = T0 + timedelta(minutes=5)
    sweep = sweep_offline_feeders(conn, at)
    assert (sweep.raised, sweep.fleet) == ((F1, F2, F3), "raised")
    (fleet,) = top(conn)
    assert state_of(conn, fleet)[1] is None
    assert fleet.startswith("hq-fleet_silent")
    (row,) = alert_page(conn, AlertFilter()).rows
    assert (row.alert.kind, row.rolled_up_text) == (FLEET_KIND, "3 feeders silent")
    assert open_alert_count(conn) == 1
    assert state_of(conn, "h-1")[1] == offline_alert(conn, F1)  # nested under its feeder
    assert sweep_offline_feeders(conn, at + timedelta(seconds=30)).fleet is None  # once
    later = at + timedelta(minutes=1)
    heard(conn, later, F2)
    sweep = sweep_offline_feeders(conn, later)
    assert (sweep.cleared, sweep.fleet) == ((F2,), "cleared")
    assert state_of(conn, fleet)[0] == "cleared"
    assert sorted(top(conn)) == sorted([offline_alert(conn, F1), offline_alert(conn, F3)])


def test_two_silent_feeders_are_not_a_silent_fleet(conn: Connection) -> None:
    conn.execute(update(feeders).where(feeders.c.feeder_id == F3).values(last_seen=None))
    sweep = sweep_offline_feeders(conn, T0 + timedelta(minutes=5))
    assert (sweep.raised, sweep.fleet) == ((F1, F2), None)


# --- HQ's own alerts clear -------------------------------------------------------------------


def test_the_ingest_session_alert_clears_when_messages_are_committed(conn: Connection) -> None:
    alert_id = raise_session_lost(conn, "sp-ingest-1", T0)
    other = raise_session_lost(conn, "sp-ingest-2", T0)
    raised = find_alert(conn, alert_id)
    assert raised is not None
    assert "IST" in raised.message
    assert clear_session_lost(conn, "sp-ingest-1", T0 + timedelta(seconds=1)) == 1
    assert state_of(conn, alert_id)[0] == "cleared"
    assert state_of(conn, other)[0] == "open"  # another worker's is its own
    assert clear_session_lost(conn, "sp-ingest-1", T0 + timedelta(seconds=2)) == 0


# --- order, paging, counts -------------------------------------------------------------------


def seed_many(conn: Connection, n: int) -> None:
    for k in range(n):
        severity = ("info", "warning", "critical")[k % 3]
        feeder = (F1, F2, F3)[k % 3]
        add_alert(conn, f"A{k:03d}", feeder, T0 + timedelta(minutes=k), severity=severity)


def test_every_list_is_by_severity_then_newest(conn: Connection) -> None:
    seed_many(conn, 9)
    expected = ["A008", "A005", "A002", "A007", "A004", "A001", "A006", "A003", "A000"]
    assert top(conn) == expected
    assert [a.alert_id for a in find_alerts(conn, state="active")] == expected
    assert [a.alert_id for a in q.alerts(conn, state="active")] == expected
    assert [a.alert_id for a in q.alerts(conn, state="active", limit=4)] == expected[:4]


def test_pages_filters_and_totals(conn: Connection) -> None:
    seed_many(conn, 120)
    first = alert_page(conn, AlertFilter(), page=0, page_size=50)
    assert (first.total, first.pages, first.first, first.last) == (120, 3, 1, 50)
    third = alert_page(conn, AlertFilter(), page=2, page_size=50)
    assert (len(third.rows), third.first, third.last) == (20, 101, 120)
    assert alert_page(conn, AlertFilter(), page=99, page_size=50).page == 2  # the last one
    seen = [r.alert.alert_id for p in range(3) for r in alert_page(conn, AlertFilter(), p).rows]
    assert len(set(seen)) == 120
    ernakulam = alert_page(conn, AlertFilter(district="Ernakulam"))
    assert ernakulam.total == 80
    assert {r.alert.feeder_id for r in ernakulam.rows} == {F1, F2}
    assert alert_page(conn, AlertFilter(severity="critical", feeder_id=F3)).total == 40
    assert alert_page(conn, AlertFilter(state="cleared")).total == 0
    empty = alert_page(conn, AlertFilter(state="cleared"))
    assert (empty.rows, empty.pages, empty.first) == ((), 1, 0)


@pytest.mark.parametrize(
    ("changes", "field"), [({"state": "gone"}, "state"), ({"severity": "grave"}, "severity")]
)
def test_a_bad_filter_names_its_field(changes: dict[str, str], field: str) -> None:
    with pytest.raises(AlertError, match=f"^{field}:"):
        AlertFilter(**changes)  # type: ignore[arg-type]


def test_header_count_is_open_and_unacknowledged_and_the_fingerprint_moves(
    conn: Connection,
) -> None:
    seed_many(conn, 6)
    add_alert(conn, "ACK", F1, T0, state="acknowledged")
    add_alert(conn, "GONE", F1, T0, state="cleared")
    assert open_alert_count(conn) == 6
    assert q.active_alert_count(conn) == 7
    before = alerts_fingerprint(conn)
    assert alerts_fingerprint(conn) == before
    acknowledge(conn, "A000", actor="otto", now=T0 + timedelta(hours=1))
    assert open_alert_count(conn) == 5
    after = alerts_fingerprint(conn)
    assert after != before
    add_alert(conn, "NEW", F2, T0 - timedelta(days=1))  # an old time, still a change
    assert alerts_fingerprint(conn) != after


# --- bulk acknowledgement --------------------------------------------------------------------


def audit_rows(conn: Connection) -> list[tuple[str, str, dict[str, object]]]:
    stmt = select(audit_log.c.action, audit_log.c.target, audit_log.c.detail).order_by(
        audit_log.c.entry_id
    )
    return [(r.action, r.target, dict(r.detail)) for r in conn.execute(stmt)]


def test_acknowledging_a_selection_is_one_audited_action(conn: Connection) -> None:
    seed_many(conn, 30)
    add_alert(conn, "DONE", F1, T0, state="acknowledged")
    chosen = [f"A{k:03d}" for k in range(0, 30, 2)] + ["DONE"]
    now = T0 + timedelta(hours=2)
    result = acknowledge_selected(conn, chosen, actor="otto", address="10.0.0.5", now=now)
    assert result.ids == tuple(chosen[:-1])
    assert result.skipped == ("DONE",)
    assert open_alert_count(conn) == 15
    assert state_of(conn, "A002")[0] == "acknowledged"
    ((action, target, detail),) = audit_rows(conn)
    assert (action, target) == ("alert.ack", "15 alerts")
    assert detail["by"] == "selection"
    assert detail["count"] == 15
    assert detail["ids"] == list(chosen[:-1])
    assert detail["skipped"] == ["DONE"]
    with pytest.raises(AlertError, match="alert_ids"):
        acknowledge_selected(conn, [], actor="otto")


def test_acknowledging_by_filter_takes_what_was_counted_and_what_it_holds(
    conn: Connection,
) -> None:
    seed_many(conn, 30)
    for k in range(3):
        edge_alert(conn, F1, f"h-{k}", "house_offline", T0, house=f"{F1}-H00{k}")
    at = T0 + timedelta(hours=1)
    heard(conn, at, F2, F3)
    sweep_offline_feeders(conn, at)
    flt = AlertFilter(district="Ernakulam", severity="warning")
    as_of = at + timedelta(seconds=1)
    counted = count_matching(conn, flt, as_of)
    assert counted == 10  # F1's warnings and F2's, not the rolled-up house alerts
    add_alert(conn, "LATE", F2, as_of + timedelta(seconds=1))  # raised after the count
    now = as_of + timedelta(seconds=5)
    result = acknowledge_matching(conn, flt, as_of=as_of, actor="otto", now=now)
    assert len(result.ids) == counted
    assert state_of(conn, "LATE")[0] == "open"
    assert count_matching(conn, flt) == 1
    ((_, target, detail),) = audit_rows(conn)
    assert target == "10 alerts"
    assert detail["filter"] == {"state": "active", "district": "Ernakulam", "severity": "warning"}
    assert len(detail["ids"]) == 10  # type: ignore[arg-type]
    parent = offline_alert(conn, F1)
    acknowledge_matching(
        conn, AlertFilter(feeder_id=F1, severity="critical"), as_of=now, actor="otto", now=now
    )
    assert state_of(conn, parent)[0] == "acknowledged"
    assert state_of(conn, "h-2") == ("acknowledged", parent)  # with what it holds
    assert audit_rows(conn)[-1][2]["rolled_up"] == 3
    assert count_matching(conn, AlertFilter(state="cleared")) == 0
