"""`python -m jobs`: run HQ's scheduled jobs until SIGTERM or Ctrl-C."""

from __future__ import annotations

import logging
import signal
import sys
from types import FrameType

from jobs.schedule import blocking_scheduler
from settings import Settings, SettingsError
from store.db import make_engine
from store.migrate import upgrade


def main() -> int:
    """Run the scheduler; return the exit status."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    engine = make_engine(settings.database_url)
    upgrade(engine)
    scheduler = blocking_scheduler(engine)

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        logging.getLogger("jobs").info("signal %d: stopping", signum)
        scheduler.shutdown(wait=False)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    scheduler.start()
    engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
