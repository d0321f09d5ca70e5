"""Report runs in the store, on SQLite and PostgreSQL: queued → rendered in a child process →
done with the SHA-256 of its files; a failed try retried with backoff, then failed and visible
(audited, and a scheduled run's `report_failed` alert); a bad request failed at once; a worker
that stopped taken back; the e-mail hook of a scheduled run."""

from __future__ import annotations

import hashlib
import sys
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import Engine, select

from reports.runs import (
    ReportFileError,
    Run,
    claim_next,
    get_run,
    queue_run,
    read_verified,
    waiting_before,
)
from reports.schedules import add_schedule
from reports.scope import Period, Scope
from reports.worker import (
    EXIT_BAD_REQUEST,
    Rendered,
    RenderError,
    ReportWorker,
    child_renderer,
)
from reports.worker import main as worker_main
from settings import Settings
from store.schema import alerts, audit_log, notify_messages
from store.users import add_user
from tests.store.seed import add_feeder

T0 = datetime(2024, 6, 10, 4, 0, tzinfo=UTC)
WEEK = Period(date(2024, 6, 3), date(2024, 6, 9))
FEEDER = Scope("feeder", "KL-WYD-0001")
DISTRICT = Scope("district", "Wayanad")


class Clock:
    """A clock that moves only when told."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def seeded(engine: Engine) -> None:
    with engine.begin() as conn:
        add_feeder(conn, "KL-WYD-0001", district="Wayanad", name="Kalpetta 1")
        add_feeder(conn, "KL-WYD-0002", district="Wayanad", name="Kalpetta 2")
        add_user(conn, "vera", "correct horse battery", "viewer")


def settings_for(db_url: str, folder: Path, **changes: object) -> Settings:
    return Settings(database_url=db_url, reports_dir=str(folder)).with_overrides(**changes)


def queue(
    engine: Engine,
    scope: Scope = FEEDER,
    schedule_id: int | None = None,
    period: Period = WEEK,
) -> int:
    with engine.begin() as conn:
        return queue_run(
            conn,
            scope,
            period,
            "en",
            requested_by=None if schedule_id else "vera",
            schedule_id=schedule_id,
            address="10.0.0.7",
            now=T0,
        )


def run_of(engine: Engine, run_id: int) -> Run:
    with engine.connect() as conn:
        run = get_run(conn, run_id)
    assert run is not None
    return run


def audit_rows(engine: Engine, action: str) -> list[tuple[str | None, str, dict[str, object]]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(audit_log.c.username, audit_log.c.outcome, audit_log.c.detail)
            .where(audit_log.c.action == action)
            .order_by(audit_log.c.ts)
        ).all()
    return [(r.username, r.outcome, dict(r.detail)) for r in rows]


def failing(message: str, *, permanent: bool = False) -> Callable[[Run], Rendered]:
    def render(_run: Run) -> Rendered:
        raise RenderError(message, permanent=permanent)

    return render


@pytest.mark.slow
def test_a_run_is_rendered_in_a_child_and_stored_with_its_sha256(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    seeded(engine)
    run_id = queue(engine)
    assert audit_rows(engine, "report.export") == [
        (
            "vera",
            "ok",
            {
                "run": run_id,
                "scope": "feeder",
                "from": "2024-06-03",
                "to": "2024-06-09",
                "lang": "en",
            },
        )
    ]
    settings = settings_for(db_url, tmp_path / "reports")
    worker = ReportWorker(
        engine, settings, child_renderer(settings, threading.Event()), name="w1", clock=Clock(T0)
    )
    done = worker.step()
    assert done is not None
    assert (done.status, done.attempts, done.progress, done.error) == ("done", 1, 1.0, None)
    pdf = Path(done.file_path or "")
    assert pdf.parent == (tmp_path / "reports").resolve()
    data = pdf.read_bytes()
    assert done.sha256 == hashlib.sha256(data).hexdigest()
    assert done.size_bytes == len(data)
    assert done.csv_sha256 == hashlib.sha256(Path(done.csv_path or "").read_bytes()).hexdigest()
    reader = PdfReader(pdf)
    assert len(reader.pages) == done.pages
    assert "KL-WYD-0001" in reader.pages[0].extract_text()
    assert read_verified(done) == data
    assert worker.step() is None  # nothing else is queued
    pdf.write_bytes(data + b"%% changed after it was rendered\n")
    with pytest.raises(ReportFileError, match="SHA-256"):
        read_verified(run_of(engine, run_id))
    pdf.unlink()
    with pytest.raises(ReportFileError, match="cannot be read"):
        read_verified(run_of(engine, run_id))


def test_a_failed_try_is_retried_with_backoff_then_failed_and_alerted(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    seeded(engine)
    with engine.begin() as conn:
        schedule_id = add_schedule(
            conn,
            cadence="weekly",
            scope_kind="district",
            scope_name="Wayanad",
            lang="en",
            recipients="",
            actor="ada",
            now=T0,
        )
    run_id = queue(engine, DISTRICT, schedule_id)
    clock = Clock(T0)
    settings = settings_for(db_url, tmp_path, report_attempts=3, report_retry_s=60)
    worker = ReportWorker(engine, settings, failing("the store went away"), name="w1", clock=clock)

    first = worker.step()
    assert first is not None
    assert (first.status, first.attempts, first.error) == ("queued", 1, "the store went away")
    assert first.next_try_at == T0 + timedelta(seconds=60)
    assert worker.step() is None  # not due before its backoff
    clock.now = T0 + timedelta(seconds=60)
    second = worker.step()
    assert second is not None
    assert (second.status, second.attempts) == ("queued", 2)
    assert second.next_try_at == clock.now + timedelta(seconds=120)  # doubled
    clock.now += timedelta(seconds=120)
    third = worker.step()
    assert third is not None
    assert (third.status, third.attempts, third.finished_at) == ("failed", 3, clock.now)
    assert third.error == "the store went away"
    assert audit_rows(engine, "report.failed") == [
        ("reports-worker", "failed", {"run": run_id, "tries": 3, "error": "the store went away"})
    ]
    with engine.connect() as conn:
        raised = conn.execute(
            select(alerts.c.alert_id, alerts.c.state, alerts.c.message, alerts.c.feeder_id).where(
                alerts.c.kind == "report_failed"
            )
        ).all()
    assert [(a.alert_id, a.state, a.feeder_id) for a in raised] == [
        (f"report-failed-{run_id}", "open", None)
    ]
    assert "District Wayanad" in raised[0].message
    assert "failed after 3 tries" in raised[0].message

    # A later run of the same schedule and scope that is done clears the alert.
    queue(engine, DISTRICT, schedule_id, Period(date(2024, 6, 10), date(2024, 6, 16)))
    pdf, csv = tmp_path / "r.pdf", tmp_path / "r.csv"
    pdf.write_bytes(b"%PDF-1.7 fake")
    csv.write_text("a,b\n")
    worker.render = lambda _run: Rendered(pdf, csv, 1)
    done = worker.step()
    assert done is not None
    assert done.status == "done"
    with engine.connect() as conn:
        states = conn.execute(select(alerts.c.state).where(alerts.c.kind == "report_failed"))
        assert [s for (s,) in states] == ["cleared"]


def test_a_bad_request_fails_at_once_and_says_why(
    engine: Engine,
    db_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    seeded(engine)
    run_id = queue(engine, Scope("district", "Nowhere"))
    with engine.begin() as conn:
        claim_next(conn, "w1", T0, lease_s=60)
    monkeypatch.setenv("SP_DATABASE_URL", db_url)
    monkeypatch.setenv("SP_REPORTS_DIR", str(tmp_path / "reports"))
    assert worker_main(["render", str(run_id)]) == EXIT_BAD_REQUEST  # the child, in-process
    reason = capsys.readouterr().err.strip().removeprefix("error: ")
    assert reason == "--district: no feeder is provisioned in 'Nowhere'"
    assert not (tmp_path / "reports").exists()

    run_id = queue(engine, Scope("district", "Nowhere"))
    settings = settings_for(db_url, tmp_path)
    worker = ReportWorker(engine, settings, failing(reason, permanent=True), clock=Clock(T0))
    failed = worker.step()
    assert failed is not None
    assert (failed.run_id, failed.status, failed.attempts, failed.error) == (
        run_id,
        "failed",
        1,
        reason,
    )
    with engine.connect() as conn:  # asked for by a user, not a schedule: no alert
        assert conn.execute(select(alerts.c.alert_id)).all() == []


@pytest.mark.parametrize(
    ("code", "timeout_s", "expected", "permanent"),
    [
        ("import sys; print('error: boom', file=sys.stderr); sys.exit(1)", 30, "boom", False),
        (
            "import sys; print('error: --feeder: gone', file=sys.stderr); sys.exit(2)",
            30,
            "--feeder: gone",
            True,
        ),
        ("import time; time.sleep(30)", 1, "not rendered within 1 s (SP_REPORT_TIMEOUT_S)", False),
        ("print('hello')", 30, "the renderer said nothing usable: 'hello\\n'", False),
    ],
)
def test_the_child_renderer_names_each_way_a_child_fails(
    tmp_path: Path, code: str, timeout_s: int, expected: str, permanent: bool
) -> None:
    settings = Settings(reports_dir=str(tmp_path), report_timeout_s=timeout_s)
    render = child_renderer(settings, threading.Event(), (sys.executable, "-c", code))
    run = Run(
        7, "feeder", "KL-WYD-0001", WEEK.first_day, WEEK.last_day, "en", "running", None, 0.0,
        "vera", None, T0, T0, None, 1, None, "w1", None, None, None, None, None, None, None, None,
    )  # fmt: skip
    with pytest.raises(RenderError) as caught:
        render(run)
    assert str(caught.value) == expected
    assert caught.value.permanent is permanent


def test_a_run_whose_worker_stopped_is_taken_back(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    seeded(engine)
    first, second = queue(engine), queue(engine)
    with engine.begin() as conn:
        claimed = claim_next(conn, "gone", T0, lease_s=60)
        assert claimed is not None
        assert claimed.run_id == first
        other = claim_next(conn, "w2", T0, lease_s=60)  # never the same run twice
        assert other is not None
        assert other.run_id == second
        assert claim_next(conn, "w3", T0, lease_s=60) is None
    clock = Clock(T0 + timedelta(seconds=61))
    settings = settings_for(db_url, tmp_path, report_retry_s=10)
    worker = ReportWorker(engine, settings, failing("never called"), name="w3", clock=clock)
    assert worker.step() is None  # both taken back, neither due before its backoff
    lost = run_of(engine, first)
    assert (lost.status, lost.attempts, lost.worker) == ("queued", 1, None)
    assert lost.error == "its worker gone stopped while rendering it"
    assert lost.next_try_at == clock.now + timedelta(seconds=10)


def test_the_queue_says_how_many_runs_come_first(engine: Engine) -> None:
    seeded(engine)
    ids = [queue(engine) for _ in range(3)]
    with engine.connect() as conn:
        runs = [get_run(conn, i) for i in ids]
        assert [waiting_before(conn, r) for r in runs if r is not None] == [0, 1, 2]


def test_a_scheduled_run_is_handed_to_email_delivery(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    seeded(engine)
    with engine.begin() as conn:
        schedule_id = add_schedule(
            conn,
            cadence="monthly",
            scope_kind="district",
            scope_name=None,
            lang="en",
            recipients="ee.wayanad@kseb.in",
            actor="ada",
            now=T0,
        )
    run_id = queue(engine, DISTRICT, schedule_id)
    pdf, csv = tmp_path / "r.pdf", tmp_path / "r.csv"
    pdf.write_bytes(b"%PDF-1.7 a small report")
    csv.write_text("a,b\n")
    settings = settings_for(db_url, tmp_path)
    worker = ReportWorker(
        engine, settings, lambda _run: Rendered(pdf, csv, 3), name="w1", clock=Clock(T0)
    )
    done = worker.step()
    assert done is not None
    assert done.status == "done"
    with engine.connect() as conn:
        messages = conn.execute(
            select(notify_messages.c.purpose, notify_messages.c.subject, notify_messages.c.link)
        ).all()
    assert [m.purpose for m in messages] == ["report"]
    assert messages[0].subject.endswith(
        "Report District Wayanad, 2024-06-03 to 2024-06-09 (7 days)"
    )
    assert messages[0].link == f"{settings.public_url}/reports?run={run_id}"
