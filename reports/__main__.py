"""`python -m reports (--feeder ID | --district NAME | --state) --from D --to D --out F.pdf`.

Writes the PDF and its CSV annex (`--csv`, default beside the PDF with .csv) for the scope over
the IST days D to D, both included, from the store at SP_DATABASE_URL, and prints one line
saying what it wrote. Bad arguments exit with status 2 and "error: --from: ..." naming the
argument; a period without data still gives a report, which says so; a store that cannot be
read exits with status 1. The control room and the scheduled jobs run this in a worker process.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from sqlalchemy.exc import SQLAlchemyError

from reports.build import LANGUAGES, build_report
from reports.render import write_csv, write_pdf
from reports.scope import ReportArgumentError, Scope, parse_period
from settings import Settings, SettingsError
from store.db import StoreError, make_engine


def build_parser() -> argparse.ArgumentParser:
    """Return the command line's parser."""
    parser = argparse.ArgumentParser(
        prog="python -m reports",
        description="A SmartPhase report as PDF, with a CSV annex (store: SP_DATABASE_URL).",
    )
    scope = parser.add_mutually_exclusive_group(required=True)
    scope.add_argument("--feeder", metavar="ID", help="one feeder, e.g. KL-TVM-0042")
    scope.add_argument("--district", metavar="NAME", help="every feeder of a district")
    scope.add_argument("--state", action="store_true", help="every feeder")
    parser.add_argument(
        "--from", dest="first", required=True, metavar="D", help="first day, YYYY-MM-DD (IST)"
    )
    parser.add_argument(
        "--to", dest="last", required=True, metavar="D", help="last day, included (IST)"
    )
    parser.add_argument("--out", required=True, type=Path, metavar="F.pdf", help="the PDF")
    parser.add_argument("--csv", type=Path, metavar="F.csv", help="the annex (default: beside)")
    parser.add_argument("--lang", choices=LANGUAGES, default="en", help="language (default en)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        scope = _scope(args)
        period = parse_period(args.first, args.last)
        pdf, annex = _outputs(args.out, args.csv)
        settings = Settings.from_env()
    except (ReportArgumentError, SettingsError) as exc:
        _usage(parser, str(exc))
    try:
        engine = make_engine(settings.database_url)
        try:
            report = build_report(engine, scope, period, args.lang, settings=settings)
        finally:
            engine.dispose()
    except ReportArgumentError as exc:
        _usage(parser, str(exc))
    except (SQLAlchemyError, StoreError) as exc:
        print(f"error: the store cannot be read: {exc}".splitlines()[0], file=sys.stderr)
        return 1
    pages = write_pdf(report, pdf)
    rows = write_csv(report, annex)
    what = scope.kind if scope.name is None else f"{scope.kind} {scope.name}"
    n = len(report.feeders)
    print(
        f"wrote {pdf} ({pages} pages) and {annex} ({rows} rows): {what}, "
        f"{period.first_day} to {period.last_day} IST, {n} feeder{'' if n == 1 else 's'}"
        + ("" if report.has_data else ", no data in the period")
    )
    return 0


def _scope(args: argparse.Namespace) -> Scope:
    if args.state:
        return Scope("state")
    if args.feeder is not None:
        return Scope("feeder", args.feeder.strip())
    return Scope("district", args.district.strip())


def _outputs(pdf: Path, annex: Path | None) -> tuple[Path, Path]:
    annex = annex or pdf.with_suffix(".csv")
    for name, path in (("--out", pdf), ("--csv", annex)):
        if not path.parent.is_dir():
            raise ReportArgumentError(name, f"the folder {str(path.parent)!r} does not exist")
        if path.is_dir():
            raise ReportArgumentError(name, f"{str(path)!r} is a folder")
    if pdf.resolve() == annex.resolve():
        raise ReportArgumentError("--csv", "is the same file as --out")
    return pdf, annex


def _usage(parser: argparse.ArgumentParser, message: str) -> NoReturn:
    parser.print_usage(sys.stderr)
    print(f"error: {message}", file=sys.stderr)
    sys.exit(2)


if __name__ == "__main__":
    sys.exit(main())
