"""Every kind of alert: who raises it, what ends it, and which alerts roll up under which (pure).

An alert stands for a condition, not for an event: each kind below is raised when its condition
starts and cleared by the same source when the condition ends, so that the open alerts are
exactly the conditions that hold now.

Raised by the edge controller (edge/watch.py, edge/controller.py):

- sustained_unbalance: the smoothed neutral current stayed above the detector's trigger for its
  hold time; cleared when it falls below the detector's release, or when the measured one has
  stayed under the trigger for the hold time since it fell below the release (the smoothed value
  lags a balanced feeder by minutes).
- phase_overload: a phase carries more than its rating; cleared when it is back at or below
  OVERLOAD_RELEASE_SHARE of it.
- house_offline: a house has not reported for the stale time (or its last will said offline);
  cleared when it reports again, or when it is no longer on the feeder.
- houses_offline: many of the feeder's houses are silent at once (`houses_rolled_up`); cleared
  when few of them are.
- hq_unreachable: the uplink to HQ has been down for its limit; cleared when it is back.
- uplink_readings_dropped: the outbox is full (or its disk is) and drops uplink messages,
  house readings first, then summaries, events and alerts last; the message says how many of
  each; cleared when HQ is reachable and the outbox is half empty.
- house_phase_mismatch: a house's telemetry names another phase than its last signed ack and
  relay feedback put it on (the controller keeps the signed phase); cleared when its telemetry
  agrees again.
- switch_rolled_back, switch_failed: a switch was undone or failed and the house is locked out;
  cleared when the lockout ends (cool-down over, an operator's unlock, a verified manual move).

Raised by HQ:

- feeder_offline (store.watchdog): HQ has not heard a feeder for the stale time; cleared when it
  is heard again.
- fleet_silent (store.watchdog): HQ hears no feeder at all (`fleet_is_silent`); cleared when any
  feeder is heard again.
- ingest_session_lost (ingest.worker): the broker did not keep the ingest worker's session;
  cleared when the worker commits messages again (the edges' outboxes resend what was lost).
- uplink_forged (store.writer): a message under a feeder's name without its right seal, or with
  other content under a (boot, seq) already stored; kept as a dead letter; cleared after an
  hour without another.
- report_failed (reports.runs): a scheduled report failed after its tries; cleared when a later
  run of the same schedule and scope is done.

Roll-up: an alert whose cause is already reported by a wider alert is shown under it, not as
an alert of its own (`ROLL_UP`): a silent feeder's house and uplink alerts under its
`feeder_offline`, a house's `house_offline` under its feeder's `houses_offline`, and every
`feeder_offline` under `fleet_silent`. The wider alert shows how many it holds.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from enum import StrEnum
from typing import Final


class AlertKind(StrEnum):
    """The kind of an alert, as it travels on the wire and sits in the store."""

    SUSTAINED_UNBALANCE = "sustained_unbalance"
    PHASE_OVERLOAD = "phase_overload"
    HOUSE_OFFLINE = "house_offline"
    HOUSES_OFFLINE = "houses_offline"
    HQ_UNREACHABLE = "hq_unreachable"
    UPLINK_READINGS_DROPPED = "uplink_readings_dropped"
    HOUSE_PHASE_MISMATCH = "house_phase_mismatch"
    SWITCH_ROLLED_BACK = "switch_rolled_back"
    SWITCH_FAILED = "switch_failed"
    FEEDER_OFFLINE = "feeder_offline"
    FLEET_SILENT = "fleet_silent"
    INGEST_SESSION_LOST = "ingest_session_lost"
    UPLINK_FORGED = "uplink_forged"
    REPORT_FAILED = "report_failed"


EDGE_KINDS: Final = frozenset(
    {
        AlertKind.SUSTAINED_UNBALANCE,
        AlertKind.PHASE_OVERLOAD,
        AlertKind.HOUSE_OFFLINE,
        AlertKind.HOUSES_OFFLINE,
        AlertKind.HQ_UNREACHABLE,
        AlertKind.UPLINK_READINGS_DROPPED,
        AlertKind.HOUSE_PHASE_MISMATCH,
        AlertKind.SWITCH_ROLLED_BACK,
        AlertKind.SWITCH_FAILED,
    }
)
"""Kinds the edge controller raises and clears (the rest HQ raises)."""

FLEET_KINDS: Final = frozenset(
    {AlertKind.FLEET_SILENT, AlertKind.INGEST_SESSION_LOST, AlertKind.REPORT_FAILED}
)
"""Kinds about HQ itself, not about one feeder (their alerts have no feeder)."""

ROLL_UP: Final[Mapping[AlertKind, tuple[AlertKind, ...]]] = {
    AlertKind.HOUSE_OFFLINE: (AlertKind.FEEDER_OFFLINE, AlertKind.HOUSES_OFFLINE),
    AlertKind.HOUSES_OFFLINE: (AlertKind.FEEDER_OFFLINE,),
    AlertKind.HQ_UNREACHABLE: (AlertKind.FEEDER_OFFLINE,),
    AlertKind.UPLINK_READINGS_DROPPED: (AlertKind.FEEDER_OFFLINE,),
    AlertKind.FEEDER_OFFLINE: (AlertKind.FLEET_SILENT,),
}
"""Kind → the kinds of alert it rolls up under, the first open one wins. A feeder's alert rolls
up under an alert of its own feeder, or under a fleet alert (FLEET_KINDS)."""

PARENT_KINDS: Final = frozenset(k for parents in ROLL_UP.values() for k in parents)
"""Kinds that other alerts roll up under."""

COUNTED_AS: Final[Mapping[AlertKind, tuple[str, str]]] = {
    AlertKind.HOUSE_OFFLINE: ("house silent", "houses silent"),
    AlertKind.HOUSES_OFFLINE: ("group of silent houses", "groups of silent houses"),
    AlertKind.HQ_UNREACHABLE: ("report of HQ unreachable", "reports of HQ unreachable"),
    AlertKind.UPLINK_READINGS_DROPPED: ("outbox overflow", "outbox overflows"),
    AlertKind.FEEDER_OFFLINE: ("feeder silent", "feeders silent"),
}
"""How a wider alert counts the alerts rolled up under it: singular and plural."""

HOUSES_ROLLUP_MIN: Final = 5
"""Silent houses of one feeder that always make one `houses_offline` alert [houses]."""

HOUSES_ROLLUP_SHARE: Final = 0.25
"""Share of a feeder's houses that, silent at once, make one `houses_offline` alert."""

FLEET_SILENT_MIN_FEEDERS: Final = 3
"""Fewest silent feeders for `fleet_silent`: with one or two, their own alerts say as much."""

OVERLOAD_RELEASE_SHARE: Final = 0.95
"""A phase overload clears when the phase is back at or below this share of its rating (a
deadband, so that a current hovering at the rating does not raise and clear every sample)."""


def parent_kinds(kind: str) -> tuple[AlertKind, ...]:
    """Return the kinds an alert of `kind` rolls up under, first choice first (none: ())."""
    try:
        return ROLL_UP.get(AlertKind(kind), ())
    except ValueError:
        return ()


def parent_for(
    kind: str, feeder_id: str | None, open_parents: Mapping[tuple[str, str | None], str]
) -> str | None:
    """Return the id of the alert an alert of `kind` on `feeder_id` rolls up under, or None.

    `open_parents` maps (kind, feeder id, None for a fleet alert) to the id of an open (or
    acknowledged) alert of a kind in PARENT_KINDS.
    """
    for parent in parent_kinds(kind):
        scope = None if parent in FLEET_KINDS else feeder_id
        if scope is None and parent not in FLEET_KINDS:
            continue
        found = open_parents.get((str(parent), scope))
        if found is not None:
            return found
    return None


def houses_rollup_threshold(n_houses: int) -> int:
    """Return how many silent houses of a feeder of `n_houses` make one alert [houses].

    The smaller of HOUSES_ROLLUP_MIN and a HOUSES_ROLLUP_SHARE of the houses, and at least 2:
    5 on a feeder of 20 houses or more, 2 on a feeder of 5.
    """
    if n_houses < 0:
        raise ValueError(f"n_houses: must not be negative, got {n_houses}")
    return max(2, min(HOUSES_ROLLUP_MIN, math.ceil(HOUSES_ROLLUP_SHARE * n_houses)))


def houses_rolled_up(n_offline: int, n_houses: int, rolled_up: bool) -> bool:
    """Return whether a feeder's silent houses are reported as one alert.

    Raised at `houses_rollup_threshold` silent houses; once raised, it holds until no more than
    half that many are silent (hysteresis), when the rest get alerts of their own again.
    """
    threshold = houses_rollup_threshold(n_houses)
    if rolled_up:
        return n_offline > threshold // 2
    return n_offline >= threshold


def fleet_is_silent(n_silent: int, n_heard: int) -> bool:
    """Return whether HQ hears no feeder at all: every feeder ever heard (`n_heard`) is silent,
    and there are at least FLEET_SILENT_MIN_FEEDERS of them."""
    return n_silent >= FLEET_SILENT_MIN_FEEDERS and n_silent == n_heard


def counted(kind: str, n: int) -> str:
    """Return "12 houses silent" for `n` alerts of `kind` rolled up under another."""
    try:
        one, many = COUNTED_AS[AlertKind(kind)]
    except (ValueError, KeyError):
        one, many = f"{kind} alert", f"{kind} alerts"
    return f"{n} {one if n == 1 else many}"
