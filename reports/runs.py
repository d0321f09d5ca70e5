"""Report runs in the store (`reports`): queued by the control room or a schedule, rendered by
a worker process (reports.worker), kept with their files' SHA-256 for download.

A run lives as queued → running → done, or → failed. A worker claims a queued run whose
`next_try_at` has come (a conditional UPDATE, so two workers never claim the same run) and holds
it under a lease; a run whose try failed is queued again after a backoff that doubles each time
(SP_REPORT_RETRY_S) until SP_REPORT_ATTEMPTS tries, then marked failed; a bad request (a feeder
or district that is not there) fails at once. A running run whose lease ran out lost its worker
and counts as a failed try. A failed run is never silent: its error stays on the run, it is in
the audit log, and a scheduled run's failure raises the HQ alert `report_failed`, cleared when a
later run of the same schedule and scope is done.

Every request is one audit row (`report.export`, who asked, or the schedule) written with the
run; a download reads the file back and checks its SHA-256 first (`read_verified`).
`on_report_ready` is the hook through which a scheduled run's PDF is e-mailed (notify/).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Final, cast

from sqlalchemy import Connection, Engine, Row, and_, func, or_, select, update

from grid.alert_kinds import AlertKind
from reports.build import LANGUAGES
from reports.scope import Period, ReportArgumentError, Scope, ScopeKind
from settings import Settings
from store.audit import audit
from store.schema import alerts, report_schedules, reports
from store.watchdog import ist_text

log = logging.getLogger("reports.runs")

EXPORT_ACTION: Final = "report.export"
"""The audit action of a report asked for (by a user, or by a schedule)."""
FAILED_ACTION: Final = "report.failed"
"""The audit action of a run that failed for good."""
SCHEDULE_ACTOR: Final = "schedule"
"""Who asked, in the audit log, for a run that a schedule made."""
WORKER_ACTOR: Final = "reports-worker"
"""The actor of the audit rows that the worker writes."""
FAILED_KIND: Final = str(AlertKind.REPORT_FAILED)
"""The HQ alert of a scheduled report that failed for good."""
LANGUAGE_NAMES: Final = {"en": "English", "ml": "Malayalam"}
SCOPE_NAMES: Final = {
    "feeder": "Feeder",
    "section": "Section office",
    "district": "District",
    "state": "Kerala",
}


class ReportFileError(RuntimeError):
    """A run's file is missing or is not the file that was rendered (its SHA-256 differs)."""


@dataclass(frozen=True, slots=True)
class Run:
    """One report run as the store holds it."""

    run_id: int
    scope_kind: str
    scope_name: str | None
    first_day: date
    last_day: date
    lang: str
    status: str
    stage: str | None
    progress: float | None
    requested_by: str | None
    schedule_id: int | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    attempts: int
    next_try_at: datetime | None
    worker: str | None
    lease_until: datetime | None
    error: str | None
    file_path: str | None
    sha256: str | None
    size_bytes: int | None
    pages: int | None
    csv_path: str | None
    csv_sha256: str | None

    @classmethod
    def from_row(cls, row: Row[Any]) -> Run:
        """Return the run of a `reports` row."""
        return cls(**row._asdict())

    @property
    def scope(self) -> Scope:
        """Return what the report covers."""
        return Scope(cast(ScopeKind, self.scope_kind), self.scope_name)

    @property
    def period(self) -> Period:
        """Return the IST days it covers."""
        return Period(self.first_day, self.last_day)

    @property
    def scope_text(self) -> str:
        """Return "District Wayanad", "Feeder KL-TVM-0042", "Kerala"."""
        label = SCOPE_NAMES.get(self.scope_kind, self.scope_kind)
        return label if self.scope_name is None else f"{label} {self.scope_name}"

    @property
    def period_text(self) -> str:
        """Return "2024-06-01 to 2024-06-30 (30 days)" or "2024-06-01 (1 day)"."""
        days = self.period.days
        if days == 1:
            return f"{self.first_day.isoformat()} (1 day)"
        return f"{self.first_day.isoformat()} to {self.last_day.isoformat()} ({days} days)"

    @property
    def title(self) -> str:
        """Return the run in words: scope, period and language."""
        lang = LANGUAGE_NAMES.get(self.lang, self.lang)
        return f"{self.scope_text}, {self.period_text}, {lang}"

    @property
    def file_stem(self) -> str:
        """Return the files' name without suffix: "report-12-district-Wayanad-2024-06-01-..."."""
        first, last = self.first_day.isoformat(), self.last_day.isoformat()
        return f"report-{self.run_id}-{self.scope.slug}-{first}-{last}-{self.lang}"


def queue_run(
    conn: Connection,
    scope: Scope,
    period: Period,
    lang: str,
    *,
    requested_by: str | None,
    schedule_id: int | None = None,
    address: str | None = None,
    now: datetime | None = None,
) -> int:
    """Queue a report and write its audit row (who asked); return the run id.

    Raises ReportArgumentError for a language there are no strings for.
    """
    if lang not in LANGUAGES:
        raise ReportArgumentError("lang", f"{lang!r} is not one of {', '.join(LANGUAGES)}")
    now = now or datetime.now(UTC)
    run_id = conn.execute(
        reports.insert()
        .values(
            scope_kind=scope.kind,
            scope_name=scope.name,
            first_day=period.first_day,
            last_day=period.last_day,
            lang=lang,
            status="queued",
            stage="queued",
            progress=0.0,
            requested_by=requested_by,
            schedule_id=schedule_id,
            created_at=now,
            next_try_at=now,
        )
        .returning(reports.c.run_id)
    ).scalar_one()
    audit(
        conn,
        actor=requested_by or SCHEDULE_ACTOR,
        action=EXPORT_ACTION,
        target=scope.name or scope.kind,
        outcome="ok",
        detail={
            "run": run_id,
            "scope": scope.kind,
            "from": period.first_day.isoformat(),
            "to": period.last_day.isoformat(),
            "lang": lang,
            **({"schedule": schedule_id} if schedule_id is not None else {}),
        },
        address=address,
        ts=now,
    )
    return int(run_id)


def get_run(conn: Connection, run_id: int) -> Run | None:
    """Return a run by id, or None."""
    row = conn.execute(select(reports).where(reports.c.run_id == run_id)).first()
    return None if row is None else Run.from_row(row)


def recent_runs(conn: Connection, limit: int = 50) -> list[Run]:
    """Return the newest runs first."""
    stmt = select(reports).order_by(reports.c.created_at.desc(), reports.c.run_id.desc())
    return [Run.from_row(r) for r in conn.execute(stmt.limit(limit))]


def waiting_before(conn: Connection, run: Run) -> int:
    """Return how many queued runs a worker takes before this queued one."""
    r = reports.c
    return int(
        conn.execute(
            select(func.count()).where(
                r.status == "queued",
                or_(
                    r.created_at < run.created_at,
                    and_(r.created_at == run.created_at, r.run_id < run.run_id),
                ),
            )
        ).scalar_one()
    )


def claim_next(conn: Connection, worker: str, now: datetime, lease_s: float) -> Run | None:
    """Claim the oldest queued run that is due for `worker`; return it, or None when none is.

    The claim counts as a try and holds the run for `lease_s` [s].
    """
    r = reports.c
    candidate = conn.execute(
        select(r.run_id)
        .where(r.status == "queued", or_(r.next_try_at.is_(None), r.next_try_at <= now))
        .order_by(r.created_at, r.run_id)
        .limit(1)
    ).scalar()
    if candidate is None:
        return None
    claimed = conn.execute(
        update(reports)
        .where(r.run_id == candidate, r.status == "queued")
        .values(
            status="running",
            stage="starting",
            progress=0.0,
            worker=worker,
            lease_until=now + timedelta(seconds=lease_s),
            started_at=now,
            attempts=r.attempts + 1,
        )
    ).rowcount
    return get_run(conn, int(candidate)) if claimed == 1 else None


def set_progress(conn: Connection, run_id: int, stage: str, share: float) -> None:
    """Record how far a running run got: a stage for people and the share done (0–1)."""
    conn.execute(
        update(reports)
        .where(reports.c.run_id == run_id, reports.c.status == "running")
        .values(stage=stage[:40], progress=min(max(share, 0.0), 1.0))
    )


def mark_done(
    conn: Connection,
    run: Run,
    *,
    pdf: Path,
    csv: Path,
    pages: int,
    now: datetime,
) -> Run | None:
    """Record a rendered run with its files' SHA-256 and size; return it, or None when the
    worker no longer held it (its lease ran out and the run was taken back)."""
    pdf_digest, size = file_digest(pdf)
    csv_digest, _ = file_digest(csv)
    r = reports.c
    changed = conn.execute(
        update(reports)
        .where(r.run_id == run.run_id, r.status == "running", r.worker == run.worker)
        .values(
            status="done",
            stage="done",
            progress=1.0,
            finished_at=now,
            lease_until=None,
            error=None,
            file_path=str(pdf),
            sha256=pdf_digest,
            size_bytes=size,
            pages=pages,
            csv_path=str(csv),
            csv_sha256=csv_digest,
        )
    ).rowcount
    if changed != 1:
        return None
    done = get_run(conn, run.run_id)
    assert done is not None
    if done.schedule_id is not None:
        _clear_failed_alerts(conn, done, now)
    return done


def mark_failed(
    conn: Connection,
    run: Run,
    error: str,
    *,
    permanent: bool,
    attempts: int,
    retry_s: float,
    now: datetime,
) -> Run | None:
    """Record a failed try: queue the run again after a backoff, or, after `attempts` tries or
    for a `permanent` failure, mark it failed (audited; a scheduled run's failure raises the
    `report_failed` alert). Return the run as it is now, or None when the worker no longer
    held it."""
    r = reports.c
    final = permanent or run.attempts >= attempts
    values: dict[str, Any] = {"error": error, "lease_until": None, "worker": None}
    if final:
        values |= {"status": "failed", "stage": "failed", "finished_at": now}
    else:
        wait = retry_delay_s(run.attempts, retry_s)
        values |= {"status": "queued", "stage": "retry", "next_try_at": now + wait}
    changed = conn.execute(
        update(reports)
        .where(r.run_id == run.run_id, r.status == "running", r.worker == run.worker)
        .values(**values)
    ).rowcount
    if changed != 1:
        return None
    after = get_run(conn, run.run_id)
    assert after is not None
    if final:
        log.error(
            "report %d (%s) failed after %d tries: %s", run.run_id, run.title, run.attempts, error
        )
        audit(
            conn,
            actor=WORKER_ACTOR,
            action=FAILED_ACTION,
            target=run.scope_name or run.scope_kind,
            outcome="failed",
            detail={"run": run.run_id, "tries": run.attempts, "error": error[:500]},
            ts=now,
        )
        if run.schedule_id is not None:
            _raise_failed_alert(conn, after, now)
    else:
        log.warning(
            "report %d try %d failed, tried again later: %s", run.run_id, run.attempts, error
        )
    return after


def retry_delay_s(tries: int, retry_s: float) -> timedelta:
    """Return the wait before the next try after `tries` failed ones: retry_s, then doubled."""
    return timedelta(seconds=retry_s * 2 ** max(tries - 1, 0))


def take_back_lost(conn: Connection, now: datetime, *, attempts: int, retry_s: float) -> list[Run]:
    """Count each running run whose lease ran out (its worker stopped) as a failed try; return
    them as they are now."""
    r = reports.c
    lost = [
        Run.from_row(row)
        for row in conn.execute(select(reports).where(r.status == "running", r.lease_until < now))
    ]
    changed = []
    for run in lost:
        after = mark_failed(
            conn,
            run,
            f"its worker {run.worker} stopped while rendering it",
            permanent=False,
            attempts=attempts,
            retry_s=retry_s,
            now=now,
        )
        if after is not None:
            changed.append(after)
    return changed


def file_digest(path: Path) -> tuple[str, int]:
    """Return the SHA-256 (hex) and size [bytes] of a file."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def read_verified(run: Run, kind: str = "pdf") -> bytes:
    """Return a done run's PDF (or "csv" annex), checked against its stored SHA-256.

    Raises ReportFileError when the run is not done, the file is gone or its content changed.
    """
    path, expected = (
        (run.file_path, run.sha256) if kind == "pdf" else (run.csv_path, run.csv_sha256)
    )
    if run.status != "done" or path is None or expected is None:
        raise ReportFileError(f"report {run.run_id} is {run.status}, it has no file yet")
    try:
        data = Path(path).read_bytes()
    except OSError as err:
        raise ReportFileError(
            f"report {run.run_id}: its file cannot be read ({err.strerror})"
        ) from None
    if hashlib.sha256(data).hexdigest() != expected:
        raise ReportFileError(
            f"report {run.run_id}: its file is not the one that was rendered (SHA-256 differs)"
        )
    return data


def on_report_ready(engine: Engine, run: Run, settings: Settings) -> int | None:
    """Hand a scheduled run's PDF to e-mail delivery; return the message id, or None.

    The hook of the notifications outbox (`notify.outbox.enqueue_report`): a run of a schedule
    with recipients is queued for them, the PDF attached up to SP_NOTIFY_ATTACH_MAX_KB and else
    linked. Runs asked for in the control room are downloaded there and not e-mailed. A run
    that cannot be queued (nobody with an address) is logged and audited; it stays done.
    """
    if run.schedule_id is None or run.file_path is None:
        return None
    with engine.connect() as conn:
        recipients = conn.execute(
            select(report_schedules.c.recipients).where(
                report_schedules.c.schedule_id == run.schedule_id
            )
        ).scalar()
    to = split_recipients(recipients or "")
    if not to:
        return None
    try:
        from notify.outbox import OutboxError, enqueue_report  # noqa: PLC0415
    except ImportError:
        log.warning("report %d is not e-mailed: the notifications package is missing", run.run_id)
        return None
    link = f"{settings.public_url.rstrip('/')}/reports?run={run.run_id}"
    try:
        with engine.begin() as conn:
            return enqueue_report(
                conn,
                to=to,
                title=f"Report {run.scope_text}, {run.period_text}",
                summary=f"SmartPhase report: {run.title}; {run.pages} pages.",
                pdf_path=Path(run.file_path),
                link=link,
                attach_max_kb=settings.notify_attach_max_kb,
                actor=WORKER_ACTOR,
            )
    except OutboxError as err:
        log.warning("report %d is not e-mailed: %s", run.run_id, err)
        with engine.begin() as conn:
            audit(
                conn,
                actor=WORKER_ACTOR,
                action="report.deliver",
                target=run.scope_name or run.scope_kind,
                outcome="failed",
                detail={"run": run.run_id, "error": str(err)[:500]},
            )
        return None


def split_recipients(text: str) -> list[str]:
    """Return the usernames and addresses of a comma- or space-separated list, each once."""
    found: list[str] = []
    for item in text.replace(",", " ").split():
        if item not in found:
            found.append(item)
    return found


# --- the report_failed alert ---------------------------------------------------------------


def _alert_id(run: Run) -> str:
    return f"report-failed-{run.run_id}"


def _raise_failed_alert(conn: Connection, run: Run, now: datetime) -> None:
    first_line = (run.error or "").strip().splitlines()[:1]
    conn.execute(
        alerts.insert().values(
            alert_id=_alert_id(run),
            feeder_id=None,  # a fleet kind: about HQ, not about one feeder
            house_id=None,
            kind=FAILED_KIND,
            severity="warning",
            state="open",
            message=(
                f"Scheduled report {run.title} failed after {run.attempts} tries at "
                f"{ist_text(now)}: {first_line[0] if first_line else 'no error text'}"
            )[:1000],
            raised_at=now,
            updated_at=now,
        )
    )


def _clear_failed_alerts(conn: Connection, done: Run, now: datetime) -> None:
    """Clear the `report_failed` alerts of earlier runs of the same schedule and scope."""
    a, r = alerts.c, reports.c
    open_ids = [
        str(i)
        for (i,) in conn.execute(
            select(a.alert_id).where(a.kind == FAILED_KIND, a.state != "cleared")
        )
    ]
    if not open_ids:
        return
    same = {
        f"report-failed-{i}"
        for (i,) in conn.execute(
            select(r.run_id).where(
                r.schedule_id == done.schedule_id,
                r.scope_kind == done.scope_kind,
                r.scope_name == done.scope_name,
            )
        )
    }
    ids = [i for i in open_ids if i in same]
    if ids:
        conn.execute(
            update(alerts)
            .where(a.alert_id.in_(ids))
            .values(state="cleared", cleared_at=now, updated_at=now)
        )


def runs_by_ids(conn: Connection, run_ids: Sequence[int]) -> list[Run]:
    """Return the runs of some ids, in id order."""
    stmt = select(reports).where(reports.c.run_id.in_(list(run_ids))).order_by(reports.c.run_id)
    return [Run.from_row(r) for r in conn.execute(stmt)]
