"""Routing, inhibition, escalation, repeats, quiet hours and grouping as pure functions on a fake
clock: scenarios told minute by minute, with what each recipient is sent."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from notify.config import NotifyPolicy
from notify.model import AlertFacts, Batch, Route, Told, user_key
from notify.rules import (
    Recipient,
    decide,
    due_notices,
    held_counts,
    inhibitors,
    next_due,
    route_matches,
)
from store.contacts import parse_quiet_hours

T0 = datetime(2026, 3, 2, 6, 30, tzinfo=UTC)  # 12:00 IST, a Monday noon
POLICY = NotifyPolicy(group_wait_s=2, group_interval_s=300, repeat_interval_s=4 * 3600)
AE, AEE, EE = user_key("asha"), user_key("biju"), user_key("chandran")
WHO = {k: Recipient(k) for k in (AE, AEE, EE)}
CHAIN = [
    Route(1, "Ernakulam", 1, AE),
    Route(2, "Ernakulam", 2, AEE),
    Route(3, "Ernakulam", 3, EE),
]


def alert(
    alert_id: str = "A1",
    *,
    kind: str = "phase_overload",
    severity: str = "critical",
    state: str = "open",
    at: datetime = T0,
    feeder: str | None = "KL-EKM-0001",
    parent: str | None = None,
    district: str | None = "Ernakulam",
    house: str | None = None,
) -> AlertFacts:
    return AlertFacts(
        alert_id=alert_id,
        kind=kind,
        severity=severity,
        state=state,
        message=f"{kind} on {feeder}",
        raised_at=at,
        feeder_id=feeder,
        house_id=house,
        parent_id=parent,
        district=district if feeder else None,
        feeder_name=feeder,
    )


class Run:
    """The notifier on a fake clock: decides at each step and remembers what it sent."""

    def __init__(
        self,
        routes: Sequence[Route] = CHAIN,
        who: dict[str, Recipient] = WHO,
        policy: NotifyPolicy = POLICY,
    ) -> None:
        self.routes, self.who, self.policy = list(routes), who, policy
        self.told: list[Told] = []
        self.last: dict[str, datetime] = {}
        self.sent: list[tuple[datetime, Batch]] = []

    def step(self, alerts: Sequence[AlertFacts], now: datetime) -> list[Batch]:
        batches = decide(alerts, self.routes, self.told, self.who, self.last, now, self.policy)
        for b in batches:
            self.last[b.recipient] = now
            self.sent.append((now, b))
            self.told += [Told(n.alert.alert_id, n.recipient, n.level, now) for n in b.notices]
        return batches

    def until(self, alerts: Sequence[AlertFacts], end: datetime, every_s: float = 1.0) -> None:
        now = self.sent[-1][0] if self.sent else T0
        while now <= end:
            self.step(alerts, now)
            now += timedelta(seconds=every_s)

    def to(self, key: str) -> list[tuple[datetime, Batch]]:
        return [(t, b) for t, b in self.sent if b.recipient == key]


# --- routing ---------------------------------------------------------------------------------


def test_a_route_takes_its_district_severity_and_kind_only() -> None:
    a = alert(severity="warning", kind="sustained_unbalance")
    assert route_matches(Route(1, "Ernakulam", 1, AE), a)
    assert route_matches(Route(1, "*", 1, AE), a)
    assert not route_matches(Route(1, "Kottayam", 1, AE), a)
    assert route_matches(Route(1, "Ernakulam", 1, AE, min_severity="warning"), a)
    assert route_matches(Route(1, "Ernakulam", 1, AE, min_severity="info"), a)
    assert not route_matches(Route(1, "Ernakulam", 1, AE, min_severity="critical"), a)
    assert route_matches(Route(1, "Ernakulam", 1, AE, kind="sustained_unbalance"), a)
    assert not route_matches(Route(1, "Ernakulam", 1, AE, kind="phase_overload"), a)
    assert not route_matches(Route(1, "Ernakulam", 1, AE, section="Kaloor"), a)
    assert route_matches(
        Route(1, "Ernakulam", 1, AE, section="Kaloor"), replace(a, section="Kaloor")
    )


def test_hq_alerts_reach_only_routes_of_every_district() -> None:
    fleet = alert("F", kind="fleet_silent", feeder=None)
    assert route_matches(Route(1, "*", 1, AE), fleet)
    assert not route_matches(Route(1, "Ernakulam", 1, AE), fleet)


# --- escalation ------------------------------------------------------------------------------


def test_escalation_climbs_the_chain_on_time_until_acknowledged() -> None:
    run = Run()
    a = alert()
    run.until([a], T0 + timedelta(minutes=80))
    told = [(t - T0, b.recipient, b.notices[0].reason) for t, b in run.sent]
    assert told == [
        (timedelta(seconds=2), AE, "new"),  # after the group wait
        (timedelta(minutes=15, seconds=4), AEE, "escalated"),  # 15 min after AE was told
        (timedelta(minutes=75, seconds=6), EE, "escalated"),  # 60 min after AEE was told
    ]
    assert run.to(AEE)[0][1].notices[0].waited_s == 15 * 60
    assert run.to(EE)[0][1].level == 3


def test_acknowledging_stops_the_escalation() -> None:
    run = Run()
    a = alert()
    run.until([a], T0 + timedelta(minutes=10))
    acked = replace(a, state="acknowledged")
    run.until([acked], T0 + timedelta(hours=6))
    assert [b.recipient for _, b in run.sent] == [AE]


def test_clearing_stops_it_too() -> None:
    run = Run()
    run.until([alert()], T0 + timedelta(minutes=10))
    run.until([], T0 + timedelta(hours=6))  # cleared: no longer among the active alerts
    assert [b.recipient for _, b in run.sent] == [AE]


def test_a_route_delay_replaces_the_default() -> None:
    routes = [Route(1, "Ernakulam", 1, AE, delay_min=5), Route(2, "Ernakulam", 2, AEE)]
    run = Run(routes)
    run.until([alert()], T0 + timedelta(minutes=6))
    assert [(t - T0) // timedelta(minutes=1) for t, _ in run.to(AEE)] == [5]


def test_a_chain_without_level_one_starts_at_the_next_level() -> None:
    run = Run([Route(2, "Ernakulam", 2, AEE), Route(3, "Ernakulam", 3, EE)])
    run.until([alert()], T0 + timedelta(minutes=61))
    assert [(b.recipient, b.notices[0].reason) for _, b in run.sent] == [
        (AEE, "new"),
        (EE, "escalated"),
    ]


def test_unroutable_recipients_are_left_out() -> None:
    run = Run(who={AEE: Recipient(AEE)})  # asha disabled: not among the recipients
    run.until([alert()], T0 + timedelta(seconds=5))
    assert [b.recipient for _, b in run.sent] == [AEE]


# --- repeats and quiet hours -----------------------------------------------------------------


def test_an_open_alert_is_repeated_at_most_every_repeat_interval() -> None:
    run = Run([Route(1, "Ernakulam", 1, AE, delay_min=24 * 60)])
    run.until([alert()], T0 + timedelta(hours=9), every_s=60)
    times = [t - T0 for t, _ in run.sent]
    assert [b.notices[0].reason for _, b in run.sent] == ["new", "repeat", "repeat"]
    assert all(b - a >= timedelta(hours=4) for a, b in itertools.pairwise(times))


def test_a_warning_at_night_waits_for_the_end_of_quiet_hours_a_critical_one_does_not() -> None:
    night = datetime(2026, 3, 2, 17, 30, tzinfo=UTC)  # 23:00 IST
    quiet = parse_quiet_hours("22:00-06:00")
    run = Run([Route(1, "*", 1, AE)], who={AE: Recipient(AE, quiet)})
    warning = alert("W", severity="warning", at=night)
    critical = alert("C", severity="critical", at=night, feeder="KL-EKM-0002")
    notices = {
        n.alert.alert_id: n
        for n in due_notices([warning, critical], run.routes, [], run.who, POLICY)
    }
    assert notices["C"].due_at == night
    assert notices["W"].due_at == datetime(2026, 3, 3, 0, 30, tzinfo=UTC)  # 06:00 IST


# --- inhibition ------------------------------------------------------------------------------


def test_a_silent_transformer_inhibits_its_houses_and_its_message_counts_them() -> None:
    feeder = alert("F1", kind="feeder_offline")
    houses = [
        alert(
            f"H{k}",
            kind="house_offline",
            severity="warning",
            parent="F1",
            house=f"KL-EKM-0001-H00{k}",
        )
        for k in range(3)
    ]
    run = Run([Route(1, "Ernakulam", 1, AE)])
    run.until([feeder, *houses], T0 + timedelta(seconds=3))
    [(_, batch)] = run.sent
    assert [n.alert.alert_id for n in batch.notices] == ["F1"]
    assert batch.held == (("F1", (("house_offline", 3),)),)


def test_a_silent_fleet_inhibits_every_feeder_offline() -> None:
    fleet = alert("FLEET", kind="fleet_silent", feeder=None)
    feeders = [
        alert(f"F{k}", kind="feeder_offline", parent="FLEET", feeder=f"KL-EKM-{k:04d}")
        for k in range(40)
    ]
    run = Run([Route(1, "*", 1, AE)])
    run.until([fleet, *feeders], T0 + timedelta(seconds=3))
    [(_, batch)] = run.sent
    assert [n.alert.alert_id for n in batch.notices] == ["FLEET"]
    assert batch.held == (("FLEET", (("feeder_offline", 40),)),)


def test_a_lost_ingest_session_inhibits_feeder_offline_but_not_other_alerts() -> None:
    lost = alert("S", kind="ingest_session_lost", feeder=None)
    offline = alert("F1", kind="feeder_offline")
    overload = alert("O1", kind="phase_overload", feeder="KL-EKM-0002")
    assert inhibitors([lost, offline, overload]) == {"F1": "S"}
    assert held_counts({"F1": "S"}, [lost, offline, overload]) == {"S": {"feeder_offline": 1}}


def test_a_child_stands_on_its_own_when_its_parent_is_no_longer_active() -> None:
    orphan = alert("H1", kind="house_offline", parent="F1")
    assert inhibitors([orphan]) == {}


# --- grouping --------------------------------------------------------------------------------


def test_alerts_of_a_feeder_within_the_group_wait_are_one_message() -> None:
    run = Run([Route(1, "Ernakulam", 1, AE)])
    first = alert("A1")
    second = alert(
        "A2", kind="sustained_unbalance", severity="warning", at=T0 + timedelta(seconds=1)
    )
    run.step([first], T0)
    run.step([first, second], T0 + timedelta(seconds=1))
    run.step([first, second], T0 + timedelta(seconds=2))
    [(_, batch)] = run.sent
    assert [n.alert.alert_id for n in batch.notices] == ["A1", "A2"]


def test_a_storm_of_500_feeder_alerts_is_one_message_per_recipient_per_group_interval() -> None:
    routes = [Route(1, "*", 1, AE), Route(2, "Ernakulam", 1, AEE)]
    storm = [
        alert(
            f"S{k:03d}",
            kind="feeder_offline" if k % 5 else "phase_overload",
            severity="critical" if k % 5 == 0 else "warning",
            at=T0 + timedelta(seconds=k * 0.2),  # 500 alerts over 100 s
            feeder=f"KL-EKM-{k:04d}",
        )
        for k in range(500)
    ]
    run = Run(routes, policy=replace(POLICY, repeat_interval_s=24 * 3600))
    end = T0 + timedelta(minutes=12)
    now = T0
    while now <= end:
        run.step([a for a in storm if a.raised_at <= now], now)
        now += timedelta(seconds=2)
    for key in (AE, AEE):
        times = [t for t, _ in run.to(key)]
        assert all(b - a >= timedelta(seconds=300) for a, b in itertools.pairwise(times))
        told = [n.alert.alert_id for _, b in run.to(key) for n in b.notices]
        assert sorted(told) == sorted(a.alert_id for a in storm)  # each told once
        assert len(times) == 2  # the first seconds' alerts, then the rest after 5 minutes
    first_big = run.to(AE)[1][1]
    assert len(first_big.notices) > 400
    assert first_big.notices[0].alert.severity == "critical"  # worst first


def test_next_due_says_when_a_waiting_batch_can_go() -> None:
    a = alert()
    notices = due_notices([a], CHAIN, [], WHO, POLICY)
    assert next_due(notices, {}, POLICY) == T0 + timedelta(seconds=2)
    assert next_due(notices, {AE: T0}, POLICY) == T0 + timedelta(seconds=300)
    assert next_due([], {}, POLICY) is None
