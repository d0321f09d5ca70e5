"""Who is told of which alert, when: routing, inhibition, escalation, repeats and grouping as
pure functions of the alerts, the routes, what was told before and the time (no I/O, no clock).

- Routing: a route matches an alert of its district (and section office), at or above its
  severity, of its kind (`route_matches`). The levels that match form the alert's chain.
- Inhibition: an alert rolled up under an active wider one (`parent_id`, store.alert_rollup:
  a silent transformer's houses, every silent feeder under `fleet_silent`) is not told on its
  own; the wider alert's message counts it. A lost ingest session mutes `feeder_offline` too
  (`INHIBITS`).
- Escalation: the chain's first level is told when the alert is raised; each next level when
  the level below has left it unacknowledged for that level's delay (DEFAULT_DELAY_MIN: 15 min,
  then 60 min). Acknowledging or clearing stops it: only open alerts are told.
- Repeats: an alert still open is told again to those already told, at most every
  `repeat_interval_s`.
- Quiet hours: a non-critical notice due inside its recipient's quiet hours waits for their end.
- Grouping: a recipient's due notices go out as one message once the first has waited
  `group_wait_s`, and never sooner than `group_interval_s` after their previous message, so a
  storm of 500 alerts is one message per recipient per interval.
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from grid.alert_kinds import AlertKind
from notify.config import NotifyPolicy
from notify.model import (
    ANY_DISTRICT,
    SEVERITY_RANK,
    AlertFacts,
    Batch,
    Notice,
    Reason,
    Route,
    Told,
)
from notify.quiet import quiet_end
from store.contacts import QuietHours

INHIBITS: Final[Mapping[str, frozenset[str]]] = {
    str(AlertKind.INGEST_SESSION_LOST): frozenset({str(AlertKind.FEEDER_OFFLINE)}),
}
"""HQ's own alerts (no feeder) that mute kinds of every feeder's alerts while they are active,
besides roll-up: a lost ingest session makes every feeder look silent."""

CRITICAL: Final = "critical"
"""The severity that ignores quiet hours."""


@dataclass(frozen=True, slots=True)
class Recipient:
    """Someone or something routes may name: a recipient key and its quiet hours."""

    key: str
    quiet: QuietHours | None = None


def route_matches(route: Route, alert: AlertFacts) -> bool:
    """Return whether `route` takes `alert`."""
    if route.district not in (ANY_DISTRICT, alert.district):
        return False
    if route.section is not None and route.section != alert.section:
        return False
    if route.min_severity is not None and SEVERITY_RANK.get(
        alert.severity, len(SEVERITY_RANK)
    ) > SEVERITY_RANK.get(route.min_severity, len(SEVERITY_RANK)):
        return False
    return route.kind is None or route.kind == alert.kind


def inhibitors(alerts: Iterable[AlertFacts]) -> dict[str, str]:
    """Return alert id → the id of the active alert that inhibits it, for every inhibited one
    of `alerts` (the active alerts)."""
    active = {a.alert_id: a for a in alerts}
    fleet = {
        a.kind: a.alert_id
        for a in sorted(active.values(), key=lambda a: a.raised_at)
        if a.feeder_id is None and a.kind in INHIBITS
    }
    found: dict[str, str] = {}
    for a in active.values():
        if a.parent_id is not None and a.parent_id in active:
            found[a.alert_id] = a.parent_id
            continue
        for source, targets in INHIBITS.items():
            if a.kind in targets and a.feeder_id is not None and source in fleet:
                found[a.alert_id] = fleet[source]
                break
    return found


def held_counts(
    inhibited: Mapping[str, str], alerts: Iterable[AlertFacts]
) -> dict[str, Counter[str]]:
    """Return inhibitor id → how many alerts of each kind it holds."""
    kinds = {a.alert_id: a.kind for a in alerts}
    held: dict[str, Counter[str]] = defaultdict(Counter)
    for alert_id, by in inhibited.items():
        held[by][kinds[alert_id]] += 1
    return dict(held)


def due_notices(
    alerts: Sequence[AlertFacts],
    routes: Sequence[Route],
    told: Iterable[Told],
    recipients: Mapping[str, Recipient],
    policy: NotifyPolicy,
    until: datetime | None = None,
) -> list[Notice]:
    """Return every notice owed on the active `alerts`, each with the instant it falls due
    (which may be in the future; with `until`, only those due by then): at most one per alert
    and recipient, the highest level."""
    inhibited = inhibitors(alerts)
    last: dict[tuple[str, str], tuple[datetime, int]] = {}
    first_at_level: dict[tuple[str, int], datetime] = {}
    for t in told:
        key = (t.alert_id, t.recipient)
        at, level = last.get(key, (t.told_at, t.level))
        last[key] = (max(at, t.told_at), max(level, t.level))
        first = first_at_level.get((t.alert_id, t.level))
        if first is None or t.first < first:
            first_at_level[(t.alert_id, t.level)] = t.first
    usable = [r for r in routes if r.recipient in recipients]
    notices: list[Notice] = []
    for alert in alerts:
        if alert.state != "open" or alert.alert_id in inhibited:
            continue
        chain: dict[int, list[Route]] = defaultdict(list)
        for route in usable:
            if route_matches(route, alert):
                chain[route.level].append(route)
        notices += _alert_notices(alert, chain, last, first_at_level, recipients, policy, until)
    return notices


def _alert_notices(
    alert: AlertFacts,
    chain: Mapping[int, Sequence[Route]],
    last: Mapping[tuple[str, str], tuple[datetime, int]],
    first_at_level: Mapping[tuple[str, int], datetime],
    recipients: Mapping[str, Recipient],
    policy: NotifyPolicy,
    until: datetime | None,
) -> list[Notice]:
    """Return the notices owed on one alert along its chain of levels (due by `until`)."""
    levels = sorted(chain)
    reached: dict[int, tuple[datetime, float]] = {}
    if levels:
        reached[levels[0]] = (alert.raised_at, 0.0)
    for below, above in itertools.pairwise(levels):
        told_below = first_at_level.get((alert.alert_id, below))
        if told_below is None:
            break
        delay = min(r.delay_s for r in chain[below])
        reached[above] = (told_below + timedelta(seconds=delay), delay)
    owed: dict[str, Notice] = {}
    for level, (at, waited) in reached.items():
        for route in chain[level]:
            key = route.recipient
            seen = last.get((alert.alert_id, key))
            reason: Reason = "new" if level == levels[0] else "escalated"
            due, after = at, waited
            if seen is not None and seen[1] >= level:
                reason, after = "repeat", 0.0
                due = seen[0] + timedelta(seconds=policy.repeat_interval_s)
            if alert.severity != CRITICAL:
                due = quiet_end(due, recipients[key].quiet)
            if until is not None and due > until:
                continue
            notice = Notice(alert, key, level, reason, due, after)
            current = owed.get(key)
            if current is None or notice.level > current.level:
                owed[key] = notice
    return list(owed.values())


def notice_order(n: Notice) -> tuple[int, int, float, str]:
    """Return the sort key that puts the worst notice first: most severe, highest level, then
    newest."""
    return (
        SEVERITY_RANK.get(n.alert.severity, len(SEVERITY_RANK)),
        -n.level,
        -n.alert.raised_at.timestamp(),
        n.alert.alert_id,
    )


def ready_batches(
    notices: Iterable[Notice],
    last_message_at: Mapping[str, datetime],
    now: datetime,
    policy: NotifyPolicy,
    held: Mapping[str, Counter[str]] | None = None,
) -> list[Batch]:
    """Return one batch per recipient whose due notices may go now: the first of them has
    waited `group_wait_s` and their previous message is `group_interval_s` old."""
    due: dict[str, list[Notice]] = defaultdict(list)
    for n in notices:
        if n.due_at <= now:
            due[n.recipient].append(n)
    batches: list[Batch] = []
    for key in sorted(due):
        pending = sorted(due[key], key=notice_order)
        first = min(n.due_at for n in pending)
        if now < first + timedelta(seconds=policy.group_wait_s):
            continue
        previous = last_message_at.get(key)
        if previous is not None and now < previous + timedelta(seconds=policy.group_interval_s):
            continue
        holding = tuple(
            (n.alert.alert_id, tuple(sorted(held[n.alert.alert_id].items())))
            for n in pending
            if held and n.alert.alert_id in held
        )
        batches.append(Batch(key, tuple(pending), holding))
    return batches


def decide(
    alerts: Sequence[AlertFacts],
    routes: Sequence[Route],
    told: Iterable[Told],
    recipients: Mapping[str, Recipient],
    last_message_at: Mapping[str, datetime],
    now: datetime,
    policy: NotifyPolicy,
) -> list[Batch]:
    """Return the messages to send now: every recipient's due notices, grouped."""
    notices = due_notices(alerts, routes, told, recipients, policy, until=now)
    held = held_counts(inhibitors(alerts), alerts)
    return ready_batches(notices, last_message_at, now, policy, held)


def next_due(
    notices: Collection[Notice], last_message_at: Mapping[str, datetime], policy: NotifyPolicy
) -> datetime | None:
    """Return the earliest instant a batch could become ready, or None when nothing is owed."""
    soonest: datetime | None = None
    for n in notices:
        at = n.due_at + timedelta(seconds=policy.group_wait_s)
        previous = last_message_at.get(n.recipient)
        if previous is not None:
            at = max(at, previous + timedelta(seconds=policy.group_interval_s))
        soonest = at if soonest is None else min(soonest, at)
    return soonest
