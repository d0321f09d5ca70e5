"""Edge → HQ messages (DESIGN §3): built into the outbox, sent from it, confirmed by HQ.

Every summary, readings batch, event and alert takes the next seq of the outbox and is sent
only from there. The retained `status` is the exception: it carries no seq and HQ never
confirms it, so the birth goes straight to the broker at each connection and the death is the
broker's last will.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Final

from edge.alerts import AlertChange
from edge.links import Link
from edge.outbox import Entry, Outbox
from edge.totals import PhaseTotals
from grid.events import EventData
from grid.messages import (
    READINGS_MAX_ROWS,
    Alert,
    Committed,
    Event,
    EventKind,
    Mode,
    ReadingRow,
    Readings,
    Status,
    Summary,
    TopicKind,
    WireError,
    WireMessage,
    topic_for,
)

log = logging.getLogger("edge.uplink")

VERSION: Final = "0.1.0"
"""Version reported in the birth status."""

PUMP_LIMIT: Final = 500
"""Most outbox entries handed to the link per step."""


class UplinkSender:
    """The feeder's edge→HQ traffic through its outbox."""

    def __init__(self, feeder_id: str, outbox: Outbox, hq: Link, now_s: float) -> None:
        self.feeder_id = feeder_id
        self.outbox = outbox
        self.hq = hq
        self.invalid = 0
        """Messages refused by the wire contract and so never stored (a bug if not 0)."""
        self._epoch = 0
        self._last_up_s = now_s

    @property
    def boot(self) -> int:
        """Return this controller's boot id."""
        return self.outbox.boot

    def status_topic(self) -> str:
        """Return the retained status topic (also the last will's)."""
        return topic_for(TopicKind.STATUS, self.feeder_id)

    @staticmethod
    def death() -> bytes:
        """Return the last-will payload."""
        return Status(online=False).to_json()

    def _append(self, kind: TopicKind, build: Callable[[int], WireMessage]) -> int | None:
        try:
            return self.outbox.append(kind, lambda seq: build(seq).to_json())
        except WireError as exc:
            self.invalid += 1
            log.error("%s message refused by the wire contract: %s", kind, exc)
            return None

    def summary(
        self, now_s: float, totals: PhaseTotals, mode: Mode, online: int, total: int
    ) -> None:
        """Queue the feeder summary."""
        self._append(
            TopicKind.SUMMARY,
            lambda seq: Summary(
                boot=self.boot,
                seq=seq,
                ts_s=round(now_s, 3),
                p_w=_rounded(totals.p_w, 1),
                q_var=_rounded(totals.q_var, 1),
                i_a=_rounded(totals.i_a, 2),
                v_v=_rounded(totals.v_v, 1),
                i_n_a=round(totals.i_n_a, 2),
                unbalance_pct=None
                if totals.unbalance_pct is None
                else round(totals.unbalance_pct, 2),
                mode=mode,
                houses_online=online,
                houses_total=total,
            ),
        )

    def readings(self, rows: Sequence[ReadingRow]) -> None:
        """Queue house readings, in batches of at most READINGS_MAX_ROWS rows."""
        for start in range(0, len(rows), READINGS_MAX_ROWS):
            self._append(TopicKind.READINGS, self._batch(rows[start : start + READINGS_MAX_ROWS]))

    def _batch(self, rows: Sequence[ReadingRow]) -> Callable[[int], WireMessage]:
        chunk = tuple(rows)
        return lambda seq: Readings(boot=self.boot, seq=seq, rows=chunk)

    def event(self, now_s: float, kind: EventKind, data: EventData) -> int | None:
        """Queue an event; return its seq."""
        return self._append(
            TopicKind.EVENT,
            lambda seq: Event(
                boot=self.boot, seq=seq, ts_s=round(now_s, 3), kind=kind, data=data.to_data()
            ),
        )

    def alert(self, now_s: float, change: AlertChange) -> None:
        """Queue a raised or cleared alert."""
        a = change.alert
        self._append(
            TopicKind.ALERT,
            lambda seq: Alert(
                boot=self.boot,
                seq=seq,
                ts_s=round(now_s, 3),
                alert_id=a.alert_id,
                kind=a.kind,
                severity=a.severity,
                state=change.state,
                message=change.message[:500],
                house=a.house,
            ),
        )

    def on_committed(self, payload: bytes) -> None:
        """Take HQ's `committed` mark and delete what it covers."""
        try:
            mark = Committed.from_json(payload)
        except WireError as exc:
            log.warning("malformed committed mark: %s", exc)
            return
        self.outbox.committed(mark.boot, mark.seq)

    def unreachable_s(self, now_s: float) -> float:
        """Return how long HQ has been unreachable (0 while connected) [s]."""
        return 0.0 if self.hq.connected else max(0.0, now_s - self._last_up_s)

    def pump(self, now_s: float) -> int:
        """Send the birth after a (re)connection, then due outbox entries; return how many."""
        if not self.hq.connected:
            return 0
        self._last_up_s = now_s
        epoch = self.hq.epoch
        if epoch != self._epoch:
            self._epoch = epoch
            birth = Status(online=True, boot=self.boot, version=VERSION).to_json()
            self.hq.publish(self.status_topic(), birth, qos=1, retain=True)
            self.outbox.replay()
        return self.outbox.pump(self._publish, now_s, PUMP_LIMIT)

    def _publish(self, entry: Entry) -> bool:
        return self.hq.publish(topic_for(entry.kind, self.feeder_id), entry.payload, qos=1)

    def goodbye(self) -> None:
        """Publish the retained offline status (a clean stop sends no last will)."""
        if self.hq.connected:
            self.hq.publish(self.status_topic(), self.death(), qos=1, retain=True)


def _rounded(values: tuple[float, float, float], digits: int) -> tuple[float, float, float]:
    return (round(values[0], digits), round(values[1], digits), round(values[2], digits))
