"""The alerts page's pieces: the filter from its controls, one page of alerts as a table with a
checkbox and an Acknowledge button per open alert, the pager line and the texts of a bulk
acknowledgement. Plain functions of plain values, tested without a browser."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any, Final

from dash import dcc, html
from sqlalchemy import Connection

from components import ids
from components.notify_view import build_notices
from components.strings import text
from components.tables import fmt_time
from notify.outbox import NoticeView, outbox_fingerprint
from store.alerting import (
    Acknowledged,
    AlertError,
    AlertFilter,
    AlertPage,
    ListedAlert,
    alerts_fingerprint,
)

ROLLED_UP: Final = "rolled_up"
"""The value of the "include rolled-up alerts" checkbox."""

COLUMNS: Final = (
    "select", "severity", "raised", "state", "feeder", "house", "kind", "message", "acked",
    "cleared", "action",
)  # fmt: skip
"""The table's columns; each heading is the string `alerts_col_<column>` (components/strings)."""


LABELLED: Final = frozenset({"state", "house", "acked", "cleared"})
"""Columns whose cells say what they are where a narrow screen lays each alert out as a card."""


def list_fingerprint(conn: Connection) -> str:
    """Return a short text that changes whenever an alert or a delivery of a message about one
    changes: the list is drawn again only then."""
    return f"{alerts_fingerprint(conn)}|{outbox_fingerprint(conn)}"


def parse_filter(
    feeder: str | None,
    district: str | None,
    severity: str | None,
    state: str | None,
    rolled_up: Collection[str] | None,
) -> AlertFilter:
    """Return the filter the controls describe; AlertError names a field that is not valid."""
    for name, value in (
        ("feeder", feeder), ("district", district), ("severity", severity), ("state", state),
    ):  # fmt: skip
        if value is not None and not isinstance(value, str):
            raise AlertError(f"{name}: must be text")
    if rolled_up is not None and not isinstance(rolled_up, list | tuple | set | frozenset):
        raise AlertError("rolled_up: must be a list")
    return AlertFilter(
        state=state or None,
        feeder_id=(feeder or "").strip().upper() or None,
        district=district or None,
        severity=severity or None,
        rolled_up=ROLLED_UP in (rolled_up or ()),
    )


def filter_data(flt: AlertFilter) -> dict[str, Any]:
    """Return a filter as JSON data (for the pending bulk acknowledgement)."""
    return {
        "state": flt.state,
        "feeder_id": flt.feeder_id,
        "district": flt.district,
        "severity": flt.severity,
        "rolled_up": flt.rolled_up,
    }


def filter_from_data(data: Mapping[str, Any]) -> AlertFilter:
    """Return the filter of `filter_data`; AlertError when the data is not one."""
    known = {"state", "feeder_id", "district", "severity", "rolled_up"}
    values = {k: data.get(k) for k in known}
    for name in ("state", "feeder_id", "district", "severity"):
        if values[name] is not None and not isinstance(values[name], str):
            raise AlertError(f"{name}: must be text")
    return AlertFilter(
        state=values["state"],
        feeder_id=values["feeder_id"],
        district=values["district"],
        severity=values["severity"],
        rolled_up=bool(values["rolled_up"]),
    )


def heading(column: str) -> str:
    """Return the heading of a table column."""
    return text(f"alerts_col_{column}")


def describe_filter(flt: AlertFilter) -> str:
    """Return "active alerts of district Ernakulam, severity warning" for a confirmation."""
    parts = [
        text(key, value=value)
        for key, value in (
            ("alerts_of_feeder", flt.feeder_id),
            ("alerts_of_district", flt.district),
            ("alerts_of_severity", flt.severity),
        )
        if value
    ]
    scope = text("alerts_in_state", state=flt.state) if flt.state else text("alerts_in_any_state")
    return scope + (text("alerts_of") + ", ".join(parts) if parts else "")


def confirm_text(flt: AlertFilter, count: int, as_of: datetime) -> str:
    """Return the question the operator confirms before acknowledging by filter."""
    return text(
        "alerts_confirm_one" if count == 1 else "alerts_confirm_many",
        count=f"{count:,}",
        scope=describe_filter(flt),
        as_of=fmt_time(as_of),
    )


def pager_text(page: AlertPage) -> str:
    """Return "Alerts 51–100 of 1,234 · page 2 of 25"."""
    if not page.rows:
        return text("alerts_none")
    return text(
        "alerts_pager",
        first=f"{page.first:,}",
        last=f"{page.last:,}",
        total=f"{page.total:,}",
        page=f"{page.page + 1:,}",
        pages=f"{page.pages:,}",
    )


def acknowledged_text(done: Acknowledged, user: str) -> str:
    """Return what a bulk acknowledgement did, for the page's message line."""
    n = len(done.ids)
    said = text("alerts_acked_one" if n == 1 else "alerts_acked_many", count=f"{n:,}", user=user)
    if done.rolled_up:
        said += text("alerts_acked_rolled_up", count=f"{done.rolled_up:,}")
    if done.skipped:
        said += text("alerts_acked_skipped", count=f"{len(done.skipped):,}")
    return said + "."


def build_alert_table(
    page: AlertPage,
    can_ack: bool,
    selected: Collection[str],
    notices: Mapping[str, Sequence[NoticeView]] | None = None,
) -> html.Div:
    """Return one page of alerts as a table; open alerts get a checkbox and an Acknowledge
    button when `can_ack`; an alert someone was told of shows who, when and how (`notices`)."""
    if not page.rows:
        return html.Div(html.P(text("alerts_none"), className="sp-empty"))
    head_select: Any = ""
    if can_ack and any(r.alert.state == "open" for r in page.rows):
        head_select = dcc.Checklist(
            [{"label": _hidden(text("alerts_select_page")), "value": "page"}],
            value=[],
            id=ids.ALERTS_SELECT_PAGE,
            className="sp-alert-select",
        )
    head = html.Thead(
        html.Tr([html.Th(head_select if key == "select" else heading(key)) for key in COLUMNS])
    )
    told = notices or {}
    body = html.Tbody(
        [
            _row(r, can_ack, r.alert.alert_id in selected, told.get(r.alert.alert_id, ()))
            for r in page.rows
        ]
    )
    return html.Div(html.Table([head, body], className="sp-table sp-alerts-table"))


def _row(
    listed: ListedAlert, can_ack: bool, selected: bool, notices: Sequence[NoticeView]
) -> html.Tr:
    a = listed.alert
    selectable = can_ack and a.state == "open"
    labelled = {key: heading(key) for key in COLUMNS if key in LABELLED}
    cells: dict[str, Any] = {
        "select": dcc.Checklist(
            [{"label": _hidden(text("alerts_select_one", alert=a.alert_id)), "value": a.alert_id}],
            value=[a.alert_id] if selected else [],
            id={"type": ids.ALERT_SELECT_TYPE, "alert": a.alert_id},
            className="sp-alert-select",
        )
        if selectable
        else "",
        "severity": html.Span(a.severity, className=f"sp-sev sp-sev-{a.severity}"),
        "raised": _instant(a.raised_at),
        "state": text(f"alert_state_{a.state}"),
        "feeder": dcc.Link(a.feeder_id, href=f"/feeder/{a.feeder_id}") if a.feeder_id else "",
        "house": a.house_id or "",
        "kind": [a.kind, html.Div(text("alerts_rolled_up"), className="sp-rolled-up")]
        if a.parent_id
        else a.kind,
        "message": [_message(listed), build_notices(notices)] if notices else _message(listed),
        "acked": text("alerts_acked_by", user=a.acked_by, at=fmt_time(a.acked_at))
        if a.acked_by
        else "",
        "cleared": _instant(a.cleared_at),
        "action": html.Button(
            text("alerts_ack"),
            id={"type": ids.ALERT_ACK_TYPE, "alert": a.alert_id},
            className="sp-button",
        )
        if selectable
        else "",
    }
    for key, label in labelled.items():
        if cells[key]:
            value = cells[key] if isinstance(cells[key], list) else [cells[key]]
            cells[key] = [html.Span(f"{label}: ", className="sp-cell-label"), *value]
    return html.Tr(
        [html.Td(cells[key], className=f"sp-col-{key}") for key in COLUMNS],
        className=f"sp-alert-{a.state} sp-alert-sev-{a.severity}",
    )


def _instant(at: datetime | None) -> Any:
    """Return an instant in IST as its date and its time, each kept on one line ("" for none)."""
    shown = fmt_time(at)
    if not shown:
        return ""
    day, _, clock = shown.partition(" ")
    return [html.Span(day, className="sp-nowrap"), " ", html.Span(clock, className="sp-nowrap")]


def _message(listed: ListedAlert) -> Any:
    a = listed.alert
    if not listed.rolled_up:
        return a.message
    held = text("alerts_with" if a.state != "cleared" else "alerts_held")
    link: Any = listed.rolled_up_text
    if a.feeder_id:
        link = dcc.Link(listed.rolled_up_text, href=f"/alerts?feeder={a.feeder_id}&rolled_up=1")
    return [a.message, html.Div([held, link], className="sp-rolled-up")]


def _hidden(text: str) -> html.Span:
    """Return a label a screen reader reads and the page does not show."""
    return html.Span(text, className="sp-visually-hidden")
