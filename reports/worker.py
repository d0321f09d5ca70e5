"""`python -m reports.worker`: render the queued report runs, each in a child process.

    python -m reports.worker               # until SIGTERM or Ctrl-C (several may run at once)
    python -m reports.worker --once        # render what is due now, then exit
    python -m reports.worker render RUN    # the child: render one claimed run

The control room and the schedules only queue runs (reports.runs); a worker claims one at a
time and renders it in a child process, `python -m reports.worker render RUN`, stopped after
SP_REPORT_TIMEOUT_S: WeasyPrint keeps memory after a document, and a child that exits gives it
all back, so neither the web process nor the worker grows. The child tells its progress
through the run's row, writes the PDF and CSV annex under SP_REPORTS_DIR (under temporary names,
renamed once complete) and prints where; the worker records their SHA-256 and size and hands a
scheduled run to e-mail delivery (reports.runs.on_report_ready). A child that exits with
status 2 (a bad request: the feeder, section office or district is not there) fails the run at
once; any other failure, a timeout, or a worker stopped while rendering (SIGTERM stops the
child too) is tried again after a backoff, up to SP_REPORT_ATTEMPTS tries.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Final

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from reports.build import build_report
from reports.render import write_csv, write_pdf
from reports.runs import (
    Run,
    claim_next,
    get_run,
    mark_done,
    mark_failed,
    on_report_ready,
    set_progress,
    take_back_lost,
)
from reports.scope import ReportArgumentError
from settings import Settings, SettingsError
from store.db import StoreError, make_engine
from store.migrate import upgrade

log = logging.getLogger("reports.worker")

EXIT_BAD_REQUEST: Final = 2
"""The child's exit status for a request that no retry can serve."""
LEASE_MARGIN_S: Final = 60.0
"""A run is the worker's for its timeout and this much more; past that it lost its worker [s]."""
POLL_S: Final = 1.0
"""How often an idle worker looks for a queued run [s]."""
STORE_RETRY_S: Final = 5.0
"""How long a worker waits after the store could not be reached [s]."""
BUILD_SHARE: Final = 0.7
"""The share of a run's progress that reading the store and computing the figures take."""
STAGES: Final = {
    "feeders": "reading the period",
    "previous period": "reading the previous period",
    "figures": "computing the figures",
}
"""What people are shown for each stage of reports.build."""


class RenderError(Exception):
    """A try that did not give the files; `permanent` when no retry can serve the request."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True, slots=True)
class Rendered:
    """Where a child wrote a run's files, and the PDF's page count."""

    pdf: Path
    csv: Path
    pages: int


Renderer = Callable[[Run], Rendered]
"""Renders a claimed run or raises RenderError."""


def child_renderer(
    settings: Settings,
    stop: threading.Event,
    command: Sequence[str] = (sys.executable, "-m", "reports.worker", "render"),
) -> Renderer:
    """Return a renderer that runs `command RUN` in a child process under the timeout.

    The child gets the store and the reports folder of `settings`; SIGTERM to the worker
    (`stop`) stops the child too.
    """
    env = {
        **os.environ,
        "SP_DATABASE_URL": settings.database_url,
        "SP_REPORTS_DIR": settings.reports_dir,
    }

    def render(run: Run) -> Rendered:
        process = subprocess.Popen(
            [*command, str(run.run_id)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        deadline = time.monotonic() + settings.report_timeout_s
        while True:
            try:
                out, err = process.communicate(timeout=min(1.0, settings.report_timeout_s))
                break
            except subprocess.TimeoutExpired:
                if stop.is_set() or time.monotonic() >= deadline:
                    process.kill()
                    process.communicate()
                    if stop.is_set():
                        raise RenderError("the worker was stopped while rendering it") from None
                    raise RenderError(
                        f"not rendered within {settings.report_timeout_s} s (SP_REPORT_TIMEOUT_S)"
                    ) from None
        if process.returncode != 0:
            lines = [line for line in err.strip().splitlines() if line.strip()]
            reason = (
                lines[-1].removeprefix("error: ")
                if lines
                else f"the renderer exited with status {process.returncode}"
            )
            raise RenderError(reason, permanent=process.returncode == EXIT_BAD_REQUEST)
        try:
            told = json.loads(out.strip().splitlines()[-1])
            return Rendered(Path(told["pdf"]), Path(told["csv"]), int(told["pages"]))
        except (IndexError, KeyError, TypeError, ValueError):
            raise RenderError(f"the renderer said nothing usable: {out[-200:]!r}") from None

    return render


class ReportWorker:
    """Claims queued runs and renders them, one at a time."""

    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        render: Renderer,
        *,
        name: str | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.render = render
        self.name = name or f"{socket.gethostname()}:{os.getpid()}"
        self.clock = clock

    def step(self) -> Run | None:
        """Take back runs that lost their worker, then render the next due run; return it as
        it ended (done, queued again or failed), or None when nothing was due."""
        s = self.settings
        with self.engine.begin() as conn:
            take_back_lost(conn, self.clock(), attempts=s.report_attempts, retry_s=s.report_retry_s)
            run = claim_next(
                conn, self.name, self.clock(), lease_s=s.report_timeout_s + LEASE_MARGIN_S
            )
        if run is None:
            return None
        log.info("report %d (%s): try %d", run.run_id, run.title, run.attempts)
        started = time.monotonic()
        try:
            rendered = self.render(run)
            with self.engine.begin() as conn:
                done = mark_done(
                    conn,
                    run,
                    pdf=rendered.pdf,
                    csv=rendered.csv,
                    pages=rendered.pages,
                    now=self.clock(),
                )
        except RenderError as err:
            return self._failed(run, str(err), permanent=err.permanent)
        except OSError as err:
            return self._failed(run, f"the rendered files cannot be read: {err}", permanent=False)
        if done is None:
            log.warning("report %d was taken back from this worker before it was done", run.run_id)
            return None
        log.info(
            "report %d done: %d pages, %d bytes in %.1f s",
            run.run_id,
            done.pages or 0,
            done.size_bytes or 0,
            time.monotonic() - started,
        )
        on_report_ready(self.engine, done, self.settings)
        return done

    def _failed(self, run: Run, error: str, *, permanent: bool) -> Run | None:
        s = self.settings
        with self.engine.begin() as conn:
            return mark_failed(
                conn,
                run,
                error,
                permanent=permanent,
                attempts=s.report_attempts,
                retry_s=s.report_retry_s,
                now=self.clock(),
            )

    def serve(self, stop: threading.Event) -> None:
        """Render runs until `stop` is set; wait POLL_S when none is due."""
        log.info("report worker %s: files in %s", self.name, self.settings.reports_dir)
        while not stop.is_set():
            try:
                worked = self.step() is not None
            except SQLAlchemyError as err:
                log.warning("the store cannot be reached: %s", str(err).splitlines()[0])
                stop.wait(STORE_RETRY_S)
                continue
            if not worked:
                stop.wait(POLL_S)


def render_run(engine: Engine, settings: Settings, run_id: int) -> Rendered:
    """Render a claimed run into SP_REPORTS_DIR (the child's work); return where it wrote."""
    with engine.connect() as conn:
        run = get_run(conn, run_id)
    if run is None or run.status != "running":
        raise ReportArgumentError("run", f"report {run_id} is not being rendered")

    def progress(stage: str, share: float) -> None:
        with engine.begin() as conn:
            set_progress(conn, run_id, stage, share)

    report = build_report(
        engine,
        run.scope,
        run.period,
        run.lang,
        settings=settings,
        progress=lambda stage, share: progress(STAGES.get(stage, stage), BUILD_SHARE * share),
    )
    folder = Path(settings.reports_dir)
    folder.mkdir(parents=True, exist_ok=True)
    pdf = (folder / f"{run.file_stem}.pdf").resolve()
    annex = pdf.with_suffix(".csv")
    progress("laying out the PDF", BUILD_SHARE + 0.05)
    part = pdf.with_name(pdf.name + ".part")
    pages = write_pdf(report, part)
    progress("writing the CSV annex", 0.95)
    annex_part = annex.with_name(annex.name + ".part")
    write_csv(report, annex_part)
    os.replace(part, pdf)
    os.replace(annex_part, annex)
    return Rendered(pdf, annex, pages)


def build_parser() -> argparse.ArgumentParser:
    """Return the command line's parser."""
    parser = argparse.ArgumentParser(
        prog="python -m reports.worker",
        description="Render queued SmartPhase reports (store: SP_DATABASE_URL).",
    )
    parser.add_argument("--once", action="store_true", help="render what is due, then exit")
    parser.add_argument("--name", help="this worker's name in the store (default host:pid)")
    sub = parser.add_subparsers(dest="command")
    child = sub.add_parser("render", help="render one claimed run (the worker runs this)")
    child.add_argument("run", type=int, metavar="RUN")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the worker (or, with `render RUN`, the child); return the exit status."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_REQUEST
    engine = make_engine(settings.database_url)
    try:
        if args.command == "render":
            return _child(engine, settings, args.run)
        upgrade(engine)
        stop = threading.Event()

        def on_signal(signum: int, _frame: FrameType | None) -> None:
            log.info("signal %d: stopping", signum)
            stop.set()

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        worker = ReportWorker(engine, settings, child_renderer(settings, stop), name=args.name)
        if args.once:
            while not stop.is_set() and worker.step() is not None:
                pass
        else:
            worker.serve(stop)
        return 0
    finally:
        engine.dispose()


def _child(engine: Engine, settings: Settings, run_id: int) -> int:
    logging.getLogger().setLevel(logging.WARNING)
    try:
        rendered = render_run(engine, settings, run_id)
    except ReportArgumentError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_REQUEST
    except (SQLAlchemyError, StoreError) as exc:
        print(f"error: the store cannot be read: {exc}".splitlines()[0], file=sys.stderr)
        return 1
    print(json.dumps({"pdf": str(rendered.pdf), "csv": str(rendered.csv), "pages": rendered.pages}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
