"""Drain the outbox: claim each due delivery, send it, record how it went (notify.outbox has the
guarantees).

One pass (`send_due`) first gives up the deliveries whose worker died mid-send, then tries the
due ones oldest first. A channel that fails is not tried again in the same pass: its other
deliveries wait with it, so a mail server that is down costs one timeout per pass, not one per
message, and everything it holds goes out once it is back.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import Engine

from notify import outbox
from notify.channels import Channels

log = logging.getLogger("notify.sender")

BATCH: Final = 50
"""Deliveries looked at per pass."""


@dataclass(slots=True)
class Pass:
    """What one pass did."""

    sent: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    gave_up: list[int] = field(default_factory=list)
    abandoned: list[int] = field(default_factory=list)

    @property
    def tried(self) -> int:
        """Return how many deliveries were tried."""
        return len(self.sent) + len(self.failed) + len(self.gave_up)


def send_due(
    engine: Engine,
    channels: Channels,
    *,
    owner: str,
    clock: Callable[[], datetime],
    give_up_s: float,
    lease_s: float = outbox.LEASE_S,
    limit: int = BATCH,
) -> Pass:
    """Send what is due now (`clock`, read at each step); return what happened."""
    done = Pass()
    now = clock()
    with engine.begin() as conn:
        done.abandoned = outbox.abandon_expired(conn, now)
        candidates = outbox.due(conn, now, limit)
    for gone in done.abandoned:
        log.warning("delivery %d: its sender stopped mid-send; given up, not sent twice", gone)
    down: set[str] = set()
    for due in candidates:
        if due.channel in down:
            continue
        give_up_at = due.created_at + timedelta(seconds=give_up_s)
        now = clock()
        if now >= give_up_at:
            with engine.begin() as conn:
                outbox.give_up(conn, due, now, "not delivered in time; given up")
            done.gave_up.append(due.delivery_id)
            continue
        with engine.begin() as conn:
            if not outbox.claim(conn, due.delivery_id, owner, now, lease_s):
                continue
            msg, files = outbox.message(conn, due.message_id)
        result = channels.send(due.delivery_id, outbox.Target(due.channel, due.address), msg, files)
        now = clock()
        with engine.begin() as conn:
            if result.ok:
                outbox.mark_sent(conn, due, owner, now)
                done.sent.append(due.delivery_id)
                log.info("delivery %d by %s sent", due.delivery_id, due.channel)
                continue
            error = result.error or "not accepted"
            state = outbox.mark_failed(conn, due, owner, now, error, give_up_at)
        down.add(due.channel)
        (done.gave_up if state == "gave_up" else done.failed).append(due.delivery_id)
        log.warning("delivery %d by %s %s: %s", due.delivery_id, due.channel, state, error)
    return done
