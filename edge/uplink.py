"""Edge → HQ messages (DESIGN §3): built into the outbox, sent from it, confirmed by HQ.

Every summary, readings batch, event and alert takes the next seq of the outbox and is sent
only from there, sealed with the feeder key as it goes out (grid.signing.seal_uplink), so that
HQ stores only what this controller sent. The retained `status` is the exception: it carries
no seq and HQ never confirms it, so the birth goes straight to the broker at each connection
and the death is the broker's last will; both are sealed too.

HQ's `committed` mark deletes what it covers only when it is signed with the feeder key, its
counter is above the last one taken, and it covers no seq beyond the highest this controller
has sent of that boot (grid.signing.verify_committed): whoever can publish on HQ's broker
cannot make the edge drop data HQ never stored.
"""

from __future__ import annotations

import logging
from collections import Counter
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
from grid.signing import Rejection, seal_uplink, verify_committed
from keys import Keyring

log = logging.getLogger("edge.uplink")

VERSION: Final = "0.1.0"
"""Version reported in the birth status."""

PUMP_LIMIT: Final = 500
"""Most outbox entries handed to the link per step."""

MARK_REPORT_EVERY_S: Final = 60.0
"""A refused `committed` mark is reported to HQ at most this often per reason [s]."""


def death(feeder_id: str, key: bytes | None) -> bytes:
    """Return the last-will payload, sealed with the feeder key (unsealed without one, which
    HQ refuses)."""
    body = Status(online=False).to_json()
    return body if key is None else seal_uplink(TopicKind.STATUS, feeder_id, body, key)


class UplinkSender:
    """The feeder's edge→HQ traffic through its outbox."""

    def __init__(
        self, feeder_id: str, outbox: Outbox, hq: Link, now_s: float, keys: Keyring
    ) -> None:
        self.feeder_id = feeder_id
        self.outbox = outbox
        self.hq = hq
        self.keys = keys
        self.invalid = 0
        """Messages refused by the wire contract and so never stored (a bug if not 0)."""
        self.refused_marks: Counter[str] = Counter()
        """`committed` marks not taken, by reason."""
        self._mark_reported_s: dict[str, float] = {}
        self._no_key_logged = False
        self._epoch = 0
        self._last_up_s = now_s

    @property
    def boot(self) -> int:
        """Return this controller's boot id."""
        return self.outbox.boot

    def status_topic(self) -> str:
        """Return the retained status topic (also the last will's)."""
        return topic_for(TopicKind.STATUS, self.feeder_id)

    def _key(self) -> bytes | None:
        key = self.keys.key(self.feeder_id)
        if key is None and not self._no_key_logged:
            self._no_key_logged = True
            log.error("%s: no feeder key; nothing is sent to HQ", self.feeder_id)
        return key

    def _seal(self, kind: TopicKind, body: bytes) -> bytes | None:
        key = self._key()
        return None if key is None else seal_uplink(kind, self.feeder_id, body, key)

    def _append(
        self, kind: TopicKind, build: Callable[[int], WireMessage], rows: int = 0
    ) -> int | None:
        try:
            return self.outbox.append(kind, lambda seq: build(seq).to_json(), rows)
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
            chunk = rows[start : start + READINGS_MAX_ROWS]
            self._append(TopicKind.READINGS, self._batch(chunk), len(chunk))

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

    def on_committed(self, payload: bytes, now_s: float) -> str | None:
        """Take HQ's `committed` mark and delete what it covers, if it holds.

        Return the reason to report to HQ as a security rejection, or None: a mark taken, an
        old one (a resend or two workers' marks crossing, harmless) or a refusal already
        reported within MARK_REPORT_EVERY_S.
        """
        try:
            mark = Committed.from_json(payload)
        except WireError as exc:
            log.warning("malformed committed mark: %s", exc)
            return self._refuse_mark("committed_malformed", now_s)
        key = self._key()
        if key is None:
            return self._refuse_mark("no_feeder_key", now_s)
        verdict = verify_committed(
            mark,
            key=key,
            feeder_id=self.feeder_id,
            last_counter=self.outbox.committed_counter,
            highest_seq=self.outbox.highest_seq(mark.boot),
        )
        if verdict.reason is Rejection.REPLAYED:
            self.refused_marks[str(verdict.reason)] += 1
            return None
        if verdict.reason is not None:
            log.warning("%s: refused a committed mark (%s)", self.feeder_id, verdict.reason)
            return self._refuse_mark(f"committed_{verdict.reason}", now_s)
        self.outbox.committed(mark.boot, mark.seq, mark.ctr)
        return None

    def _refuse_mark(self, reason: str, now_s: float) -> str | None:
        self.refused_marks[reason] += 1
        last = self._mark_reported_s.get(reason)
        if last is not None and now_s - last < MARK_REPORT_EVERY_S:
            return None
        self._mark_reported_s[reason] = now_s
        return reason

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
            body = Status(online=True, boot=self.boot, version=VERSION).to_json()
            birth = self._seal(TopicKind.STATUS, body)
            if birth is not None:
                self.hq.publish(self.status_topic(), birth, qos=1, retain=True)
            self.outbox.replay()
        return self.outbox.pump(self._publish, now_s, PUMP_LIMIT)

    def _publish(self, entry: Entry) -> bool:
        payload = self._seal(entry.kind, entry.payload)
        if payload is None:
            return False
        return self.hq.publish(topic_for(entry.kind, self.feeder_id), payload, qos=1)

    def goodbye(self) -> None:
        """Publish the retained offline status (a clean stop sends no last will)."""
        if self.hq.connected:
            payload = death(self.feeder_id, self._key())
            self.hq.publish(self.status_topic(), payload, qos=1, retain=True)


def _rounded(values: tuple[float, float, float], digits: int) -> tuple[float, float, float]:
    return (round(values[0], digits), round(values[1], digits), round(values[2], digits))
