"""The alert kinds and their roll-up rules (pure)."""

from __future__ import annotations

import pytest

from grid.alert_kinds import (
    FLEET_KINDS,
    PARENT_KINDS,
    ROLL_UP,
    AlertKind,
    counted,
    fleet_is_silent,
    parent_for,
    parent_kinds,
)
from grid.messages import LOCKOUT_ALERT_KINDS


def test_every_kind_the_store_knows_of_is_a_kind() -> None:
    kinds = set(AlertKind)
    assert {str(k) for k in kinds}.issuperset(LOCKOUT_ALERT_KINDS)
    assert kinds.issuperset(PARENT_KINDS)
    assert kinds.issuperset(ROLL_UP)


def test_roll_up_has_no_cycle() -> None:
    def climb(kind: AlertKind, path: tuple[AlertKind, ...]) -> None:
        assert kind not in path, f"{kind} rolls up under itself: {path}"
        for parent in parent_kinds(kind):
            climb(parent, (*path, kind))

    for kind in ROLL_UP:
        climb(kind, ())


@pytest.mark.parametrize(
    ("kind", "feeder", "expected"),
    [
        ("house_offline", "F1", "off-F1"),  # the silent feeder first
        ("house_offline", "F2", "rollup-F2"),  # else the edge's own roll-up
        ("house_offline", "F3", None),
        ("hq_unreachable", "F1", "off-F1"),
        ("houses_offline", "F2", None),
        ("feeder_offline", "F1", "fleet"),
        ("sustained_unbalance", "F1", None),  # a cause of its own
        ("no_such_kind", "F1", None),
        ("house_offline", None, None),  # no feeder: nothing of a feeder to join
    ],
)
def test_parent_for(kind: str, feeder: str | None, expected: str | None) -> None:
    open_parents = {
        ("feeder_offline", "F1"): "off-F1",
        ("houses_offline", "F1"): "rollup-F1",
        ("houses_offline", "F2"): "rollup-F2",
        ("fleet_silent", None): "fleet",
    }
    assert parent_for(kind, feeder, open_parents) == expected
    assert all(k in FLEET_KINDS for k, f in open_parents if f is None)


def test_fleet_is_silent_only_when_every_heard_feeder_is() -> None:
    assert fleet_is_silent(3, 3)
    assert not fleet_is_silent(2, 2)  # too few to say more than their own alerts
    assert not fleet_is_silent(19, 20)  # one still reports: HQ's side works


def test_counted() -> None:
    assert counted("house_offline", 12) == "12 houses silent"
    assert counted("feeder_offline", 1) == "1 feeder silent"
    assert counted("mystery", 2) == "2 mystery alerts"
