"""`python -m notify`'s worker: a decision round every DECIDE_EVERY_S and the outbox drained in
between, in two threads, until `stop()` (SIGTERM, Ctrl-C).

Several workers may run at once: decision rounds take the store's lock in turn, and each
delivery is claimed by one worker. A database that cannot be reached is logged and tried again
on the next tick; nothing is lost meanwhile (alerts and the outbox are in the store).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Final

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from notify.channels import Channels
from notify.config import policy_of
from notify.decide import Round, run_round
from notify.sender import Pass, send_due
from settings import Settings

log = logging.getLogger("notify")

DECIDE_EVERY_S: Final = 1.0
"""How often the worker decides what is owed [s]."""
SEND_EVERY_S: Final = 1.0
"""How often the sender looks for due deliveries when nothing woke it [s]."""


def utc_now() -> datetime:
    """Return the current instant."""
    return datetime.now(UTC)


class Worker:
    """Decide and deliver notifications for one store."""

    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        *,
        name: str | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.channels = Channels(settings)
        self.policy = policy_of(settings)
        self.name = name or f"{socket.gethostname()}-{os.getpid()}"
        self.clock = clock
        self._stop = threading.Event()
        self._wake = threading.Event()

    def decide_once(self) -> Round:
        """Run one decision round now; wake the sender when it queued anything."""
        done = run_round(
            self.engine,
            self.channels,
            self.policy,
            public_url=self.settings.public_url,
            sms_template=self.settings.sms_template,
            now=self.clock(),
            holder=self.name,
        )
        if done.messages:
            log.info(
                "queued %d messages telling of %d alerts (%d escalations)",
                done.messages,
                done.notices,
                done.escalations,
            )
            self._wake.set()
        return done

    def send_once(self) -> Pass:
        """Send what is due now."""
        return send_due(
            self.engine,
            self.channels,
            owner=self.name,
            clock=self.clock,
            give_up_s=float(self.settings.notify_give_up_s),
            lease_s=float(self.settings.notify_lease_s),
        )

    def run(self) -> None:
        """Decide and send until `stop()`."""
        self.channels.guard_logs()
        log.info(
            "notify worker %s: channels %s",
            self.name,
            ", ".join(self.channels.names) or "none configured",
        )
        deciding = threading.Thread(target=self._decide_loop, name="notify-decide", daemon=True)
        deciding.start()
        self._send_loop()
        deciding.join()
        log.info("notify worker %s stopped", self.name)

    def stop(self) -> None:
        """Ask both loops to end after what they are doing."""
        self._stop.set()
        self._wake.set()

    def _decide_loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.decide_once()
            except SQLAlchemyError as err:
                log.warning("decision round failed, trying again: %s", type(err).__name__)
            self._stop.wait(DECIDE_EVERY_S)

    def _send_loop(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            try:
                done = self.send_once()
            except SQLAlchemyError as err:
                log.warning("sending failed, trying again: %s", type(err).__name__)
                done = Pass()
            if done.tried == 0:
                self._wake.wait(SEND_EVERY_S)
