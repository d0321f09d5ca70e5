"""The scheduler of HQ's periodic jobs (APScheduler), and each job as a plain function.

- `refresh_rollups` every minute: the 1 min, 15 min and 1 h feeder rollups and the house hours on
  plain PostgreSQL and SQLite, and on every backend the house hours' sums per feeder and per
  house and day (store.rollups); on TimescaleDB the feeder rollups and the house hours are
  continuous aggregates that their own policies refresh;
- `watch_feeders` every 30 s: HQ's `feeder_offline` alert on feeders that went silent, and
  `fleet_silent` when none is heard at all (store.watchdog);
- `queue_scheduled_reports` every minute: the runs that the admins' report schedules owe
  (reports.schedules), which `python -m reports.worker` renders.

Each job runs at most once at a time, and a missed run is coalesced into one.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Final

from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from sqlalchemy import Engine

from reports.schedules import queue_due
from store.rollups import refresh
from store.watchdog import sweep_offline_feeders

log = logging.getLogger("jobs")

ROLLUP_EVERY_S: Final = 60.0
WATCH_EVERY_S: Final = 30.0
REPORTS_EVERY_S: Final = 60.0


def refresh_rollups(engine: Engine) -> int:
    """Refresh the rollup tables; return the rows written."""
    written = refresh(engine)
    log.debug("rollups: %d rows", written)
    return written


def watch_feeders(engine: Engine, now: datetime | None = None) -> int:
    """Raise or clear `feeder_offline` alerts; return how many changed."""
    with engine.begin() as conn:
        sweep = sweep_offline_feeders(conn, now or datetime.now(UTC))
    for feeder in sweep.raised:
        log.warning("feeder %s is silent: alert raised", feeder)
    for feeder in sweep.cleared:
        log.info("feeder %s reports again: alert cleared", feeder)
    if sweep.fleet == "raised":
        log.warning("HQ hears no feeder at all: fleet_silent raised")
    elif sweep.fleet == "cleared":
        log.info("HQ hears feeders again: fleet_silent cleared")
    return len(sweep.raised) + len(sweep.cleared)


def queue_scheduled_reports(engine: Engine, now: datetime | None = None) -> int:
    """Queue the report runs that the schedules owe; return how many."""
    with engine.begin() as conn:
        queued = queue_due(conn, now or datetime.now(UTC))
    if queued:
        log.info("scheduled reports: %d runs queued (%s)", len(queued), queued)
    return len(queued)


def add_jobs(
    scheduler: BaseScheduler,
    engine: Engine,
    *,
    rollup_every_s: float = ROLLUP_EVERY_S,
    watch_every_s: float = WATCH_EVERY_S,
    reports_every_s: float = REPORTS_EVERY_S,
) -> None:
    """Add HQ's jobs to `scheduler`; the first runs start at once."""
    now = datetime.now(UTC)
    common = {"max_instances": 1, "coalesce": True, "next_run_time": now}
    scheduler.add_job(
        refresh_rollups, "interval", seconds=rollup_every_s, args=[engine], id="rollups", **common
    )
    scheduler.add_job(
        watch_feeders, "interval", seconds=watch_every_s, args=[engine], id="watchdog", **common
    )
    scheduler.add_job(
        queue_scheduled_reports,
        "interval",
        seconds=reports_every_s,
        args=[engine],
        id="reports",
        **common,
    )


def blocking_scheduler(engine: Engine) -> BlockingScheduler:
    """Return a scheduler with HQ's jobs that runs in the calling thread."""
    scheduler = BlockingScheduler(timezone=UTC)
    add_jobs(scheduler, engine)
    return scheduler
