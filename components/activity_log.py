"""The log's filters and sort as the page and the CSV export share them, and the `/log.csv` route.

Filters travel as query parameters (`kind`, `feeder`, `district`, `user`, `result`, `from`, `to`;
dates YYYY-MM-DD, whole days in India Standard Time, `to` inclusive) with the sort (`sort`: time,
feeder, district, actor or kind; `order`: asc or desc), so that the export link carries exactly
what the page shows, in its order. The export needs a signed-in user (any role) and is audited;
its times are IST, to the second.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any, Final
from urllib.parse import urlencode

import flask
from werkzeug.wrappers import Response

from components import access, runtime
from components.strings import text
from grid.timezones import IST
from store import csv_export
from store.queries.log import (
    LOG_COLUMNS,
    LOG_KINDS,
    LOG_SORTS,
    LogEntry,
    LogFilter,
    LogKind,
    LogOrder,
    log_rows,
)

EXPORT_PATH: Final = "/log.csv"
EXPORT_LIMIT: Final = 10_000
"""Most rows one CSV export holds (the first ones in the page's order)."""
PAGE_SIZE: Final = 50
"""Rows on one page of the log."""
SORT_COLUMNS: Final = {"ts": "time", "feeder": "feeder", "district": "district",
                       "who": "actor", "kind": "kind"}  # fmt: skip
"""The table columns the log sorts by, and the sort each one means."""


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
        feeder_id=_text(values, "feeder"),
        district=_text(values, "district"),
        username=_text(values, "user"),
        result=_text(values, "result"),
        start=start,
        end=end,
    )


def parse_order(values: Mapping[str, str | None]) -> LogOrder:
    """Return the sort of query parameters `sort` and `order`; raise FilterError if bad."""
    key = _text(values, "sort") or "time"
    if key not in LOG_SORTS:
        raise FilterError(f"sort: {key!r} is not one of {', '.join(LOG_SORTS)}")
    direction = _text(values, "order") or ("desc" if key == "time" else "asc")
    if direction not in ("asc", "desc"):
        raise FilterError(f"order: {direction!r} is not asc or desc")
    return LogOrder(key, descending=direction == "desc")


def order_of_table(sort_by: Sequence[Mapping[str, Any]] | None) -> dict[str, str]:
    """Return the `sort` and `order` parameters of a DataTable's `sort_by` (none: newest first).

    A column the log cannot sort by is ignored.
    """
    for item in sort_by or ():
        key = SORT_COLUMNS.get(str(item.get("column_id")))
        if key is not None:
            return {"sort": key, "order": "desc" if item.get("direction") == "desc" else "asc"}
    return {}


def _text(values: Mapping[str, str | None], name: str) -> str | None:
    return (values.get(name) or "").strip() or None


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
    """Return the export link for filter and sort values (empty ones left out)."""
    query = {k: v for k, v in values.items() if v}
    return EXPORT_PATH + ("?" + urlencode(query) if query else "")


def csv_text(entries: Sequence[LogEntry]) -> str:
    """Return log entries as CSV with a header row of LOG_COLUMNS (times in IST), every cell
    defused (store.csv_export)."""
    return csv_export.csv_text(LOG_COLUMNS, (entry.as_row() for entry in entries))


def export() -> Response:
    """Answer the CSV of the log under the request's filters, in the request's order."""
    identity = access.current_user()
    if identity is None:  # the request guard answers anonymous callers before this
        return Response(text("log_sign_in_first"), status=401, mimetype="text/plain")
    try:
        log_filter = parse_filter(flask.request.args)
        order = parse_order(flask.request.args)
    except FilterError as err:
        return Response(str(err), status=400, mimetype="text/plain")
    with runtime.engine().connect() as conn:
        entries = log_rows(conn, log_filter, order, limit=EXPORT_LIMIT)
    access.audit_action(
        "log.export", "log", {"rows": len(entries), **dict(flask.request.args.items())}
    )
    stamp = datetime.now(IST).strftime("%Y%m%d-%H%M%S")
    return Response(
        csv_text(entries),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="smartphase-log-{stamp}.csv"'},
    )


def install(server: flask.Flask) -> None:
    """Add the CSV export route to `server`."""
    server.add_url_rule(EXPORT_PATH, "log_export", export, methods=["GET"])
