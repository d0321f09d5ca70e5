"""Notifications in the control room: who was told of an alert (under the alert on the alerts
page), the deliveries list and the routes (the notifications page). Plain functions of plain
values, tested without a browser; addresses come masked from notify.outbox."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from dash import html

from components import ids
from components.admin_table import row_button
from components.strings import text
from components.tables import build_table, fmt_time
from notify.model import ANY_DISTRICT, LEVEL_TITLES, LEVELS, recipient_label
from notify.outbox import DeliveryView, NoticeView
from notify.routes import RouteRow
from store.schema import ALERT_SEVERITIES, DELIVERY_STATES

DELIVERY_COLUMNS: Final = (
    "queued", "to", "channel", "address", "state", "tries", "sent", "what", "action",
)  # fmt: skip
"""The deliveries table's columns; each heading is the string `notify_col_<column>`."""

ROUTE_COLUMNS: Final = (
    "id", "district", "section", "severity", "kind", "level", "to", "delay", "action",
)  # fmt: skip
"""The routes table's columns; each heading is `notify_col_<column>` ("id": "#")."""

UNHEADED: Final = {"id": "#", "action": ""}
"""The headings that are no words."""


def headings(columns: Sequence[str]) -> list[tuple[str, str]]:
    """Return a table's (column, heading) pairs in the interface language."""
    return [(c, UNHEADED[c] if c in UNHEADED else text(f"notify_col_{c}")) for c in columns]


def state_text(state: str) -> str:
    """Return a delivery's state in words ("gave up")."""
    return text(f"notify_state_{state}") if state in DELIVERY_STATES else state


def level_text(level: int) -> str:
    """Return a level of the chain with its title: "2 Sub-division (AEE)"."""
    title = text(f"notify_level_{level}") if level in LEVEL_TITLES else ""
    return text("notify_level_title", level=level, title=title)


def reason_text(reason: str) -> str:
    """Return why someone was told: "first notice", "escalated", "reminder"."""
    known = ("new", "escalated", "repeat")
    return text(f"notify_reason_{reason}") if reason in known else reason


def severity_text(min_severity: str | None) -> str:
    """Return what a route's severity takes: "any", "critical", "warning or worse"."""
    if min_severity is None:
        return text("any")
    if min_severity == ALERT_SEVERITIES[0]:
        return min_severity
    return text("notify_or_worse", severity=min_severity)


def counts_text(counts: Mapping[str, int]) -> str:
    """Return "3 sent, 1 failed" (states with none left out), or "none"."""
    shown = [f"{counts[s]} {state_text(s)}" for s in DELIVERY_STATES if counts.get(s)]
    return ", ".join(shown) or text("notify_counts_none")


def delivery_text(d: DeliveryView) -> str:
    """Return "email a***@kseb.in: sent 12:00:03" or "sms ...: failed (2 tries): reason"."""
    where = f"{d.channel} {d.address}".strip()
    if d.state == "sent":
        return text("notify_sent_at", where=where, at=fmt_time(d.sent_at))
    tries = ""
    if d.attempts:
        tries = text(
            "notify_tries_one" if d.attempts == 1 else "notify_tries_many", count=d.attempts
        )
    return f"{where}: {state_text(d.state)}{tries}" + (f": {d.last_error}" if d.last_error else "")


def notice_text(n: NoticeView) -> str:
    """Return "2026-03-02 12:00:02 · biju · level 2 Sub-division (AEE) · escalated"."""
    return text(
        "notify_notice",
        at=fmt_time(n.told_at),
        who=recipient_label(n.recipient),
        level=level_text(n.level),
        reason=reason_text(n.reason),
    )


def notices_summary(notices: Sequence[NoticeView]) -> str:
    """Return "Told 2: asha, biju · 3 sent, 1 failed" for an alert's notices."""
    people = list(dict.fromkeys(recipient_label(n.recipient) for n in notices))
    states: dict[str, int] = {}
    for n in notices:
        for d in n.deliveries:
            states[d.state] = states.get(d.state, 0) + 1
    told = text("notify_told", count=len(people), people=", ".join(people))
    if not states:
        return text("notify_nothing_delivered", told=told)
    return f"{told} · {counts_text(states)}"


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
                text("notify_not_delivered"),
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
        headings(DELIVERY_COLUMNS),
        [
            {
                "queued": fmt_time(d.created_at),
                "to": recipient_label(d.recipient),
                "channel": d.channel,
                "address": d.address,
                "state": html.Span(state_text(d.state), className=f"sp-delivery-{d.state}"),
                "tries": str(d.attempts),
                "sent": fmt_time(d.sent_at),
                "what": d.last_error if d.state != "sent" and d.last_error else d.subject,
                "action": row_button(
                    text("notify_send_again"), ids.NOTIFY_RESEND_TYPE, "delivery", d.delivery_id
                )
                if can_resend and d.state == "gave_up"
                else "",
            }
            for d in rows
        ],
        empty=text("notify_no_deliveries"),
    )


def build_routes(rows: Sequence[RouteRow], can_edit: bool) -> html.Div:
    """Return the routes table; admins get a Remove button on each."""
    return build_table(
        headings(ROUTE_COLUMNS),
        [
            {
                "id": str(r.route_id),
                "district": text("notify_every_district")
                if r.district == ANY_DISTRICT
                else r.district,
                "section": r.section or text("any"),
                "severity": severity_text(r.min_severity),
                "kind": r.kind or text("any"),
                "level": level_text(r.level),
                "to": recipient_label(r.recipient),
                "delay": text("notify_minutes", minutes=r.effective_delay_min)
                if r.level < max(LEVELS)
                else text("notify_top"),
                "action": row_button(
                    text("remove"), ids.NOTIFY_ROUTE_REMOVE_TYPE, "route", r.route_id
                )
                if can_edit
                else "",
            }
            for r in rows
        ],
        empty=text("notify_no_routes"),
    )
