"""`python -m notify`: the notification worker, and the routes, sections and deliveries.

    python -m notify                      # the worker: decide and deliver until SIGTERM/Ctrl-C
    python -m notify routes add --district D [--section S] [--severity S] [--kind K]
                     --level 1|2|3 (--user NAME | --channel NAME) [--delay-min M]
    python -m notify routes list | routes remove ID
    python -m notify sections import F.csv    # feeder_id,section
    python -m notify channels                 # the configured channels, by name
    python -m notify deliveries [--state S] | deliveries resend ID

The store is SP_DATABASE_URL, migrated first by `python -m store upgrade`. A bad argument or bad
input exits with status 2 and one line "error: field: reason" on stderr (a sections file's
errors name its line); an unreachable database with status 1, also in one line; success prints
a one-line summary (or the list) on stdout.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import logging
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import FrameType

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, OperationalError

from cli import UNAVAILABLE, ArgumentParser, fail
from notify.config import channel_names, url_channels
from notify.model import LEVEL_TITLES, recipient_label
from notify.outbox import OutboxError, recent_deliveries, resend
from notify.routes import (
    RouteError,
    RouteRow,
    add_route,
    import_sections,
    list_routes,
    remove_route,
)
from notify.worker import Worker
from settings import Settings, SettingsError
from store.db import StoreError, make_engine
from store.migrate import current_revision, head_revision
from store.schema import ALERT_SEVERITIES, DELIVERY_STATES, NOTIFY_LEVELS
from store.watchdog import ist_text

Command = Callable[[argparse.Namespace, Settings], str]


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of every notify command."""
    parser = ArgumentParser(
        prog="python -m notify",
        description="SmartPhase alert notifications (store: SP_DATABASE_URL).",
    )
    parser.set_defaults(run=_run_worker)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser("run", help="the worker (the default)").set_defaults(run=_run_worker)

    routes = commands.add_parser("routes", help="who is told of which alerts")
    actions = routes.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = actions.add_parser("add", help="add a route")
    add.add_argument("--district", required=True, help="a district, or * for every one")
    add.add_argument("--section", help="only the feeders of this section office")
    add.add_argument(
        "--severity", choices=ALERT_SEVERITIES, help="this severity and worse (default any)"
    )
    add.add_argument("--kind", help="only alerts of this kind (grid.alert_kinds)")
    add.add_argument(
        "--level",
        required=True,
        type=int,
        choices=NOTIFY_LEVELS,
        help="1 Section (AE), 2 Sub-division (AEE), 3 Division (EE)",
    )
    target = add.add_mutually_exclusive_group(required=True)
    target.add_argument("--user", help="a user, told by e-mail and SMS")
    target.add_argument("--channel", help="a channel of SP_NOTIFY_URLS")
    add.add_argument(
        "--delay-min",
        type=int,
        help="minutes this level has to acknowledge before the next is told "
        "(default 15 at level 1, 60 at level 2)",
    )
    add.set_defaults(run=_routes_add)
    actions.add_parser("list", help="list the routes").set_defaults(run=_routes_list)
    remove = actions.add_parser("remove", help="remove a route")
    remove.add_argument("route_id", type=int, metavar="ID")
    remove.set_defaults(run=_routes_remove)

    sections = commands.add_parser("sections", help="the section office of each feeder")
    section_actions = sections.add_subparsers(dest="action", required=True, metavar="ACTION")
    importer = section_actions.add_parser("import", help="set them from F.csv: feeder_id,section")
    importer.add_argument("file", type=Path, metavar="F.csv")
    importer.set_defaults(run=_sections_import)

    commands.add_parser("channels", help="the configured channels").set_defaults(run=_channels)

    deliveries = commands.add_parser("deliveries", help="the newest deliveries")
    deliveries.add_argument("--state", choices=DELIVERY_STATES)
    deliveries.add_argument("--limit", type=int, default=50)
    deliveries.set_defaults(run=_deliveries_list)
    delivery_actions = deliveries.add_subparsers(dest="action", metavar="ACTION")
    again = delivery_actions.add_parser("resend", help="send a given-up delivery again")
    again.add_argument("delivery_id", type=int, metavar="ID")
    again.set_defaults(run=_deliveries_resend)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command and return the exit status."""
    logging.basicConfig(
        level=logging.INFO,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)
    args = build_parser().parse_args(argv)
    run: Command = args.run
    try:
        settings = Settings.from_env()
        summary = run(args, settings)
    except (RouteError, OutboxError, SettingsError, StoreError) as exc:
        return fail(exc)
    except OperationalError as exc:
        return fail(f"database unavailable: {type(exc.orig or exc).__name__}", UNAVAILABLE)
    except DBAPIError as exc:
        return fail(f"the store refused the change: {type(exc.orig or exc).__name__}")
    if summary:
        print(summary)
    return 0


def _run_worker(_args: argparse.Namespace, settings: Settings) -> str:
    engine = _engine_at_head(settings)
    worker = Worker(engine, settings)

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        logging.getLogger("notify").info("signal %d: stopping", signum)
        worker.stop()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        worker.run()
    finally:
        engine.dispose()
    return ""


def _routes_add(args: argparse.Namespace, settings: Settings) -> str:
    with _engine(settings) as engine, engine.begin() as conn:
        row = add_route(
            conn,
            district=args.district,
            level=args.level,
            username=args.user,
            channel=args.channel,
            section=args.section,
            severity=args.severity,
            kind=args.kind,
            delay_min=args.delay_min,
            channels=url_channels(settings.notify_urls),
        )
    return f"route {row.route_id} added: {_route_text(row)}"


def _routes_list(_args: argparse.Namespace, settings: Settings) -> str:
    with _engine(settings) as engine, engine.connect() as conn:
        rows = list_routes(conn)
    if not rows:
        return "no routes"
    return "\n".join(f"{row.route_id:>4}  {_route_text(row)}" for row in rows)


def _route_text(row: RouteRow) -> str:
    where = "every district" if row.district == "*" else row.district
    if row.section:
        where += f" / section {row.section}"
    what = f"{row.min_severity} or worse" if row.min_severity else "any severity"
    if row.kind:
        what += f", {row.kind}"
    return (
        f"{where}, {what} → level {row.level} {LEVEL_TITLES[row.level]}: "
        f"{recipient_label(row.recipient)}, acknowledge within {row.effective_delay_min} min"
    )


def _routes_remove(args: argparse.Namespace, settings: Settings) -> str:
    with _engine(settings) as engine, engine.begin() as conn:
        row = remove_route(conn, args.route_id)
    return f"route {row.route_id} removed: {_route_text(row)}"


def _sections_import(args: argparse.Namespace, settings: Settings) -> str:
    pairs, lines = read_sections(args.file)
    with _engine(settings) as engine, engine.begin() as conn:
        n = import_sections(conn, pairs, lines=lines, source=str(args.file))
    return f"{args.file}: {n} feeders given their section office"


def read_sections(path: Path) -> tuple[list[tuple[str, str]], list[int]]:
    """Return the (feeder_id, section) rows of a sections CSV and the line of each (blank lines
    skipped), or raise RouteError("file", ...) naming the file, and the line, when it cannot be
    read as one."""
    pairs: list[tuple[str, str]] = []
    lines: list[int] = []
    start = 1
    try:
        with path.open(newline="", encoding="utf-8-sig") as f:
            reader = csv.reader(f, strict=True)
            header = [name.strip() for name in next(reader, [])]
            if not {"feeder_id", "section"} <= set(header):
                raise RouteError("file", f"{path}: the header must be feeder_id,section")
            feeder_at, section_at = header.index("feeder_id"), header.index("section")
            start = reader.line_num + 1
            for record in reader:
                line, start = start, reader.line_num + 1
                if not any(cell.strip() for cell in record):
                    continue
                cells = record + [""] * (len(header) - len(record))
                pairs.append((cells[feeder_at], cells[section_at]))
                lines.append(line)
    except OSError as err:
        raise RouteError("file", f"{path}: {err.strerror}") from None
    except UnicodeDecodeError as err:
        raise RouteError("file", f"{path}: not UTF-8 text: {err.reason}") from None
    except csv.Error as err:
        raise RouteError("file", f"{path} line {start}: not valid CSV: {err}") from None
    return pairs, lines


def _channels(_args: argparse.Namespace, settings: Settings) -> str:
    names = channel_names(settings)
    return "\n".join(names) if names else "no channels configured (SP_SMTP_URL, SP_NOTIFY_URLS)"


def _deliveries_list(args: argparse.Namespace, settings: Settings) -> str:
    with _engine(settings) as engine, engine.connect() as conn:
        rows = recent_deliveries(conn, args.state, max(1, min(args.limit, 1000)))
    if not rows:
        return "no deliveries"
    return "\n".join(
        f"{d.delivery_id:>6}  {d.state:<8} {d.channel:<8} {recipient_label(d.recipient):<12} "
        f"{d.address:<18} {ist_text(d.created_at)}  tries {d.attempts}"
        + (f"  {d.last_error}" if d.last_error and d.state != "sent" else "")
        for d in rows
    )


def _deliveries_resend(args: argparse.Namespace, settings: Settings) -> str:
    with _engine(settings) as engine, engine.begin() as conn:
        new_id = resend(conn, args.delivery_id)
    return f"delivery {args.delivery_id} queued again as delivery {new_id}"


@contextlib.contextmanager
def _engine(settings: Settings) -> Iterator[Engine]:
    """Yield an engine on a store at the newest revision; dispose of it afterwards."""
    engine = _engine_at_head(settings)
    try:
        yield engine
    finally:
        engine.dispose()


def _engine_at_head(settings: Settings) -> Engine:
    engine = make_engine(settings.database_url)
    try:
        revision, head = current_revision(engine), head_revision()
    except OperationalError:
        engine.dispose()
        raise
    if revision != head:
        engine.dispose()
        raise StoreError(
            f"the schema is at revision {revision or 'none (empty database)'}, not {head}:"
            " run `python -m store upgrade` first"
        )
    return engine


if __name__ == "__main__":
    sys.exit(main())
