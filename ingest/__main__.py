"""`python -m ingest`: run the MQTT ingest worker until SIGTERM or Ctrl-C."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from types import FrameType

from ingest.worker import IngestWorker
from settings import Settings, SettingsError
from store.db import make_engine
from store.migrate import upgrade


def main(argv: list[str] | None = None) -> int:
    """Run the worker; return the exit status."""
    parser = argparse.ArgumentParser(prog="python -m ingest", description=__doc__)
    parser.add_argument("--client-id", help="fixed MQTT client id (default SP_INGEST_CLIENT_ID)")
    parser.add_argument("--metrics-port", type=int, help="Prometheus port, 0 for none")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        settings = Settings.from_env()
        if args.client_id:
            settings = settings.with_overrides(ingest_client_id=args.client_id)
        if args.metrics_port is not None:
            settings = settings.with_overrides(ingest_metrics_port=args.metrics_port)
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    engine = make_engine(settings.database_url)
    upgrade(engine)
    worker = IngestWorker(settings, engine)
    worker.metrics.serve(settings.ingest_metrics_port)
    stopping = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        logging.getLogger("ingest").info("signal %d: flushing and stopping", signum)
        stopping.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    worker.start()
    while not stopping.wait(0.5):
        pass
    worker.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
