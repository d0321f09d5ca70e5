"""Alerts of one feeder: each condition is raised once, cleared once, and survives restarts.

A condition has a stable key (e.g. ``offline:KL-TVM-0042-H017``); each raising gets a fresh
alert id, and its clearing reuses that id, so HQ pairs them even across controller boots.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from edge.ids import IdMaker
from edge.state import OpenAlert, StateStore
from grid.messages import AlertState, Severity


@dataclass(frozen=True, slots=True)
class AlertChange:
    """An alert to send: raised or cleared."""

    alert: OpenAlert
    state: AlertState
    message: str


class AlertBook:
    """Open alerts by condition key; emits a change only when a condition flips."""

    def __init__(
        self, store: StateStore, ids: IdMaker, send: Callable[[AlertChange], None]
    ) -> None:
        self._store = store
        self._ids = ids
        self._send = send
        self._open = store.open_alerts()

    def is_open(self, key: str) -> bool:
        """Return whether the condition `key` is raised."""
        return key in self._open

    @property
    def open_keys(self) -> set[str]:
        """Return the keys of the raised conditions."""
        return set(self._open)

    def raise_(
        self,
        key: str,
        kind: str,
        severity: Severity,
        message: str,
        house: str | None = None,
    ) -> None:
        """Raise the condition `key` unless it is raised already."""
        if key in self._open:
            return
        alert = OpenAlert(key, self._ids.next("a"), kind, severity, message, house)
        self._store.put_alert(alert)
        self._open[key] = alert
        self._send(AlertChange(alert, AlertState.RAISED, message))

    def clear(self, key: str, message: str | None = None) -> None:
        """Clear the condition `key` if it is raised."""
        alert = self._open.pop(key, None)
        if alert is None:
            return
        self._store.drop_alert(key)
        self._send(AlertChange(alert, AlertState.CLEARED, message or alert.message))

    def set(
        self,
        key: str,
        active: bool,
        kind: str,
        severity: Severity,
        message: str,
        house: str | None = None,
        cleared: str | None = None,
    ) -> None:
        """Raise or clear the condition `key` as `active` says; `cleared` is the message of the
        clearing (default: the raising's)."""
        if active:
            self.raise_(key, kind, severity, message, house)
        else:
            self.clear(key, cleared)
