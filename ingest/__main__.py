"""`python -m ingest`: run the MQTT ingest worker until SIGTERM or Ctrl-C."""

from __future__ import annotations

import argparse
import gc
import logging
import signal
import sys
import threading
from types import FrameType

from ingest.worker import IngestWorker
from settings import Settings, SettingsError
from store.db import make_engine
from store.migrate import upgrade

GC_THRESHOLDS = (50_000, 20, 20)
"""The cyclic collector's thresholds in the worker process (Python's default: 700, 10, 10)."""


def calm_the_cyclic_collector() -> None:
    """Keep the cyclic garbage collector from scanning the decoded messages over and over.

    The messages held between arrival and commit (up to the broker's inflight window, 100 rows
    each) are acyclic and freed by reference counting; with the default thresholds every few
    messages start a collection that walks all of them, which doubles the cost of decoding.
    What the start-up imported is frozen out of the collector's generations."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


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
    calm_the_cyclic_collector()
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
