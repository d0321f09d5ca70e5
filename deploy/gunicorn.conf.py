"""Gunicorn settings of the control room, in production and in the demo:

    gunicorn -c deploy/gunicorn.conf.py app:server

It listens on SP_HOST:SP_PORT (the settings of `python app.py`) with `WEB_CONCURRENCY` worker
processes (default: one per core, plus one) of `SP_WEB_THREADS` threads each (gthread, default
8). Each worker builds its own app from the environment on its first request (`app:server`), with
its own database pool and command publisher; nothing a user does is kept in a worker: the
sign-in lives in the signed session cookie, everything else in the store, so any worker answers
any request. The master migrates the store once and, for the SQLite demo, creates the session key
once, before the workers start (so that they never race to do either).
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from components.auth import session_secret  # noqa: E402
from components.fleet_snapshot import warm  # noqa: E402
from settings import Settings  # noqa: E402
from store.db import make_engine  # noqa: E402
from store.migrate import upgrade  # noqa: E402

_settings = Settings.from_env()

bind = f"{_settings.host}:{_settings.port}"
workers = int(os.environ.get("WEB_CONCURRENCY", (os.cpu_count() or 1) + 1))
worker_class = "gthread"
threads = int(os.environ.get("SP_WEB_THREADS", "8"))
timeout = 60
graceful_timeout = 20
keepalive = 30  # a wall's browser polls every 15-20 s on one kept-alive connection
# No chdir: relative settings (sqlite:///var/..., SP_KEYS_DIR, SP_REPORTS_DIR) mean what they
# mean to the processes started beside it, from the same working directory.
preload_app = False  # each worker starts its own publisher thread and database pool
errorlog = "-"
loglevel = "info"


def post_worker_init(worker: Any) -> None:
    """Ready a worker that has just built its app before it answers anyone.

    Dash sets itself up on a worker's first request (the scripts it serves among it) and lets
    the requests that arrive meanwhile through unprepared: a browser's burst of script requests
    to a new worker got 500s. The worker answers one request to itself first, alone. It also
    starts reading the fleet snapshot the maps and walls share, so that no screen waits for the
    worker's first read (components.fleet_snapshot).
    """
    server = worker.wsgi
    with server.test_client() as client:
        client.get("/login")
    warm(server)


def on_starting(_server: Any) -> None:
    """Migrate the store and make sure the session key exists, once, before any worker starts."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    engine = make_engine(_settings.database_url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    session_secret(_settings)
