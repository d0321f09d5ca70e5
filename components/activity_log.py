"""The log's filters as the page and the CSV export share them, and the `/log.csv` route.

Filters travel as query parameters (`kind`, `feeder`, `user`, `result`, `from`, `to`; dates
YYYY-MM-DD, whole days in India Standard Time, `to` inclusive) so that the export link carries
exactly what the page shows. The export needs a signed-in user (any role) and is audited.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time, timedelta
from typing import Final
from urllib.parse import urlencode

import flask
from werkzeug.wrappers import Response

from components import access, runtime
from store.activity import LOG_COLUMNS, LOG_KINDS, LogEntry, LogFilter, LogKind, activity
from store.queries import IST

EXPORT_PATH: Final = "/log.csv"
EXPORT_LIMIT: Final = 10_000
"""Most rows one CSV export holds."""
PAGE_LIMIT: Final = 500
"""Most rows the log page shows."""


class FilterError(ValueError):
    """A filter value that cannot be used; the message names the parameter."""


def parse_filter(values: Mapping[str, str | None]) -> LogFilter:
    """Return the LogFilter of query parameters or form values; raise FilterError if bad."""
    kind = values.get("kind") or None
    if kind is not None and kind not in LOG_KINDS:
        raise FilterError(f"kind: {kind!r} is not one of {', '.join(LOG_KINDS)}")
    kinds: Sequence[LogKind] = LOG_KINDS if kind is None else [k for k in LOG_KINDS if k == kind]
    start = _day(values, "from")
    last = _day(values, "to")
    end = None if last is None else last + timedelta(days=1)
    if start is not None and end is not None and end <= start:
        raise FilterError("to: is before from")
    return LogFilter(
        kinds=kinds,
        feeder_id=(values.get("feeder") or "").strip() or None,
        username=(values.get("user") or "").strip() or None,
        result=(values.get("result") or "").strip() or None,
        start=start,
        end=end,
    )


def _day(values: Mapping[str, str | None], name: str) -> datetime | None:
    raw = (values.get(name) or "").strip()
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw[:10])
    except ValueError:
        raise FilterError(f"{name}: {raw!r} is not a date (YYYY-MM-DD)") from None
    return datetime.combine(day, time(), IST)


def export_href(values: Mapping[str, str | None]) -> str:
    """Return the export link for filter values (empty ones left out)."""
    query = {k: v for k, v in values.items() if v}
    return EXPORT_PATH + ("?" + urlencode(query) if query else "")


def csv_text(entries: Sequence[LogEntry]) -> str:
    """Return log entries as CSV with a header row of LOG_COLUMNS."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=LOG_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for entry in entries:
        writer.writerow({k: _cell(v) for k, v in entry.as_row().items()})
    return out.getvalue()


def _cell(value: str) -> str:
    """Defuse spreadsheet formulas in a cell ("=", "+", "-", "@" at the start)."""
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


def export() -> Response:
    """Answer the CSV of the log under the request's filters."""
    identity = access.current_user()
    if identity is None:  # the request guard answers anonymous callers before this
        return Response("sign in first", status=401, mimetype="text/plain")
    try:
        log_filter = parse_filter(flask.request.args)
    except FilterError as err:
        return Response(str(err), status=400, mimetype="text/plain")
    with runtime.engine().connect() as conn:
        entries = activity(conn, log_filter, limit=EXPORT_LIMIT)
    access.audit_action(
        "log.export", "log", {"rows": len(entries), **dict(flask.request.args.items())}
    )
    stamp = datetime.now(IST).strftime("%Y%m%d-%H%M")
    return Response(
        csv_text(entries),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="smartphase-log-{stamp}.csv"'},
    )


def install(server: flask.Flask) -> None:
    """Add the CSV export route to `server`."""
    server.add_url_rule(EXPORT_PATH, "log_export", export, methods=["GET"])
