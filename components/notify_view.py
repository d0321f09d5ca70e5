"""Notifications in the control room: who was told of an alert (under the alert on the alerts
page), the deliveries list and the routes (the notifications page). Plain functions of plain
values, tested without a browser; addresses come masked from notify.outbox."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from dash import html

from components import ids
from components.admin_table import row_button
from components.tables import build_table, fmt_time
from notify.model import LEVEL_TITLES, LEVELS, recipient_label
from notify.outbox import DeliveryView, NoticeView
from notify.routes import RouteRow
from store.schema import ALERT_SEVERITIES

REASON_TEXT: Final = {"new": "first notice", "escalated": "escalated", "repeat": "reminder"}

DELIVERY_COLUMNS: Final = (
    ("queued", "Queued (IST)"),
    ("to", "To"),
    ("channel", "Channel"),
    ("address", "Address"),
    ("state", "State"),
    ("tries", "Tries"),
    ("sent", "Sent (IST)"),
    ("what", "Message / error"),
    ("action", ""),
)

ROUTE_COLUMNS: Final = (
    ("id", "#"),
    ("district", "District"),
    ("section", "Section"),
    ("severity", "Severity"),
    ("kind", "Kind"),
    ("level", "Level"),
    ("to", "To"),
    ("delay", "Acknowledge within"),
    ("action", ""),
)


def severity_text(min_severity: str | None) -> str:
    """Return what a route's severity takes: "any", "critical", "warning or worse"."""
    if min_severity is None:
        return "any"
    return min_severity if min_severity == ALERT_SEVERITIES[0] else f"{min_severity} or worse"


def delivery_text(d: DeliveryView) -> str:
    """Return "email a***@kseb.in: sent 12:00:03" or "sms ...: failed (2 tries): reason"."""
    where = f"{d.channel} {d.address}".strip()
    if d.state == "sent":
        return f"{where}: sent {fmt_time(d.sent_at)}"
    tries = f" ({d.attempts} {'try' if d.attempts == 1 else 'tries'})" if d.attempts else ""
    state = d.state.replace("_", " ")
    return f"{where}: {state}{tries}" + (f": {d.last_error}" if d.last_error else "")


def notice_text(n: NoticeView) -> str:
    """Return "2026-03-02 12:00:02 · biju · level 2 Sub-division (AEE) · escalated"."""
    return (
        f"{fmt_time(n.told_at)} · {recipient_label(n.recipient)} · level {n.level} "
        f"{LEVEL_TITLES.get(n.level, '')} · {REASON_TEXT.get(n.reason, n.reason)}"
    )


def notices_summary(notices: Sequence[NoticeView]) -> str:
    """Return "Told 2: asha, biju · 3 sent, 1 failed" for an alert's notices."""
    people = list(dict.fromkeys(recipient_label(n.recipient) for n in notices))
    states: dict[str, int] = {}
    for n in notices:
        for d in n.deliveries:
            states[d.state] = states.get(d.state, 0) + 1
    told = f"Told {len(people)}: {', '.join(people)}"
    if not states:
        return f"{told} · nothing delivered (no address or channel)"
    order = ("sent", "queued", "sending", "failed", "gave_up")
    counts = ", ".join(f"{states[s]} {s.replace('_', ' ')}" for s in order if s in states)
    return f"{told} · {counts}"


def build_notices(notices: Sequence[NoticeView]) -> html.Details | str:
    """Return who was told of an alert, when, at which level and how each delivery went, folded
    under a one-line summary; "" when nobody was told."""
    if not notices:
        return ""
    items = []
    for n in notices:
        deliveries: list[Any] = [
            html.Li(delivery_text(d), className=f"sp-delivery sp-delivery-{d.state}")
            for d in n.deliveries
        ] or [
            html.Li(
                "not delivered: no e-mail, phone or channel for them",
                className="sp-delivery sp-delivery-none",
            )
        ]
        items.append(html.Li([notice_text(n), html.Ul(deliveries)]))
    return html.Details(
        [html.Summary(notices_summary(notices)), html.Ul(items, className="sp-notices-list")],
        className="sp-notices",
    )


def build_deliveries(rows: Sequence[DeliveryView], can_resend: bool) -> html.Div:
    """Return the deliveries table; a given-up one gets "Send again" for admins."""
    return build_table(
        DELIVERY_COLUMNS,
        [
            {
                "queued": fmt_time(d.created_at),
                "to": recipient_label(d.recipient),
                "channel": d.channel,
                "address": d.address,
                "state": html.Span(d.state.replace("_", " "), className=f"sp-delivery-{d.state}"),
                "tries": str(d.attempts),
                "sent": fmt_time(d.sent_at),
                "what": d.last_error if d.state != "sent" and d.last_error else d.subject,
                "action": row_button(
                    "Send again", ids.NOTIFY_RESEND_TYPE, "delivery", d.delivery_id
                )
                if can_resend and d.state == "gave_up"
                else "",
            }
            for d in rows
        ],
        empty="No deliveries.",
    )


def build_routes(rows: Sequence[RouteRow], can_edit: bool) -> html.Div:
    """Return the routes table; admins get a Remove button on each."""
    return build_table(
        ROUTE_COLUMNS,
        [
            {
                "id": str(r.route_id),
                "district": "every district and HQ" if r.district == "*" else r.district,
                "section": r.section or "any",
                "severity": severity_text(r.min_severity),
                "kind": r.kind or "any",
                "level": f"{r.level} {LEVEL_TITLES[r.level]}",
                "to": recipient_label(r.recipient),
                "delay": f"{r.effective_delay_min} min"
                if r.level < max(LEVELS)
                else "top of the chain",
                "action": row_button("Remove", ids.NOTIFY_ROUTE_REMOVE_TYPE, "route", r.route_id)
                if can_edit
                else "",
            }
            for r in rows
        ],
        empty="No routes: alerts reach nobody by message yet.",
    )
