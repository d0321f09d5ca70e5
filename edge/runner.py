"""Drive many controllers from one thread: step each, then sleep until a message or a tick."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

from edge.controller import EdgeController

log = logging.getLogger("edge.runner")


class Runner:
    """Steps a set of controllers whenever a link wakes it, and at least every `tick_s`."""

    def __init__(
        self, controllers: Sequence[EdgeController], wake: threading.Event, tick_s: float = 0.25
    ) -> None:
        self.controllers = list(controllers)
        self.wake = wake
        self.tick_s = tick_s
        self.failures = 0

    def run_once(self) -> None:
        """Step every controller once; one controller's failure does not stop the others."""
        self.wake.clear()
        for controller in self.controllers:
            try:
                controller.step()
            except Exception:  # a feeder must not take its neighbours down; it retries next tick
                self.failures += 1
                log.exception("controller %s failed a step", controller.feeder_id)

    def run(self, stop: threading.Event) -> None:
        """Step until `stop` is set."""
        while not stop.is_set():
            self.run_once()
            self.wake.wait(self.tick_s)
