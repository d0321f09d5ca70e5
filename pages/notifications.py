"""Notifications (/notifications): what was sent to whom and how it went, and the routes that
decide who is told of which alerts.

Everyone signed in sees the deliveries (addresses masked) and the routes; admins add and remove
routes and send a given-up delivery again, each checked on the server and audited. The list of
deliveries checks for changes every REFRESH_MS and redraws only when one changed.
"""

from __future__ import annotations

from typing import Any, Final

import dash
from dash import ALL, Input, Output, State, callback, ctx, dcc, html
from dash.exceptions import PreventUpdate

from components import access, ids, runtime
from components.admin_table import AdminTable, clicked_row, field, form
from components.layout import build_page
from components.notify_view import (
    build_deliveries,
    build_routes,
    counts_text,
    level_text,
    severity_text,
    state_text,
)
from components.strings import page_title, text
from grid.alert_kinds import AlertKind
from notify.config import channel_names, url_channels
from notify.model import ANY_DISTRICT, LEVELS
from notify.outbox import (
    RESEND,
    OutboxError,
    delivery_counts,
    outbox_fingerprint,
    recent_deliveries,
    resend,
)
from notify.routes import (
    ROUTE_ADD,
    ROUTE_REMOVE,
    RouteError,
    add_route,
    list_routes,
    remove_route,
    sections_of,
)
from store.queries import districts
from store.schema import ALERT_SEVERITIES, DELIVERY_STATES
from store.users import list_users

dash.register_page(
    __name__, path="/notifications", title=page_title("notify_title"), name="Notifications"
)

EDIT_ROLE: Final = "admin"
REFRESH_MS: Final = 15_000
"""How often the deliveries list checks the store for changes [ms]."""
SHOWN: Final = 100
"""Deliveries listed, newest first."""
ROUTES: Final = AdminTable(ids.NOTIFY_MESSAGE, ids.NOTIFY_ROUTES_CHANGED, ids.NOTIFY_ROUTES)


def layout(**_query: str) -> html.Main:
    """Return the page: deliveries, channels and routes, with the route form for admins."""
    can_edit = access.has_role(EDIT_ROLE)
    settings = runtime.settings()
    with runtime.engine().connect() as conn:
        district_names = districts(conn)
        usernames = [u.username for u in list_users(conn) if not u.disabled] if can_edit else []
    names = channel_names(settings)
    route_form = form(
        field(
            text("field_district"),
            dcc.Dropdown(
                [{"label": text("notify_any_district"), "value": ANY_DISTRICT}]
                + [{"label": d, "value": d} for d in district_names],
                id=ids.NOTIFY_ROUTE_DISTRICT,
                placeholder=text("choose"),
            ),
        ),
        field(
            text("field_section"),
            dcc.Dropdown([], id=ids.NOTIFY_ROUTE_SECTION, placeholder=text("any")),
        ),
        field(
            text("field_severity"),
            dcc.Dropdown(
                [{"label": severity_text(s), "value": s} for s in ALERT_SEVERITIES],
                id=ids.NOTIFY_ROUTE_SEVERITY,
                placeholder=text("any"),
            ),
        ),
        field(
            text("field_kind"),
            dcc.Dropdown(
                sorted(str(k) for k in AlertKind),
                id=ids.NOTIFY_ROUTE_KIND,
                placeholder=text("any"),
            ),
        ),
        field(
            text("notify_level"),
            dcc.Dropdown(
                [{"label": level_text(n), "value": n} for n in LEVELS],
                1,
                id=ids.NOTIFY_ROUTE_LEVEL,
                clearable=False,
            ),
        ),
        field(
            text("notify_user"),
            dcc.Dropdown(usernames, id=ids.NOTIFY_ROUTE_USER, placeholder=text("notify_a_user")),
        ),
        field(
            text("notify_or_channel"),
            dcc.Dropdown(
                list(url_channels(settings.notify_urls)),
                id=ids.NOTIFY_ROUTE_CHANNEL,
                placeholder=text("notify_none"),
            ),
        ),
        field(
            text("notify_ack_within"),
            dcc.Input(
                id=ids.NOTIFY_ROUTE_DELAY, type="number", min=0, placeholder=text("notify_default")
            ),
        ),
        html.Button(text("notify_add_route"), id=ids.NOTIFY_ROUTE_ADD, className="sp-button"),
        hidden=not can_edit,
    )
    return build_page(
        text("notify_title"),
        ROUTES.message_line(),
        html.Section(
            [
                html.H2(text("notify_deliveries")),
                form(
                    field(
                        text("field_state"),
                        dcc.Dropdown(
                            [{"label": state_text(s), "value": s} for s in DELIVERY_STATES],
                            id=ids.NOTIFY_STATE,
                            placeholder=text("any"),
                        ),
                    ),
                    html.Span(id=ids.NOTIFY_SUMMARY, className="sp-notify-summary"),
                ),
                html.Div(id=ids.NOTIFY_DELIVERIES, className="sp-alerts-scroll"),
            ]
        ),
        html.Section(
            [
                html.H2(text("notify_routes")),
                html.P(
                    text("notify_channels", channels=", ".join(names))
                    if names
                    else text("notify_no_channels"),
                    id=ids.NOTIFY_CHANNELS,
                ),
                route_form,
                *ROUTES.parts(),
            ]
        ),
        dcc.Store(id=ids.NOTIFY_FINGERPRINT),
        dcc.Interval(id=ids.NOTIFY_INTERVAL, interval=REFRESH_MS),
    )


@callback(
    Output(ids.NOTIFY_DELIVERIES, "children"),
    Output(ids.NOTIFY_SUMMARY, "children"),
    Output(ids.NOTIFY_FINGERPRINT, "data"),
    Input(ids.NOTIFY_STATE, "value"),
    Input(ids.NOTIFY_INTERVAL, "n_intervals"),
    ROUTES.redrawn(),
    State(ids.NOTIFY_FINGERPRINT, "data"),
)
@access.read_only
def show_deliveries(
    state: str | None, _n: int | None, _changed: int | None, drawn: str | None
) -> tuple[Any, str, str]:
    """Return the newest deliveries (of a state), the counts by state, and the fingerprint;
    on the timer, nothing unless a delivery changed."""
    if state is not None and state not in DELIVERY_STATES:
        state = None
    with runtime.engine().connect() as conn:
        fingerprint = outbox_fingerprint(conn)
        if ctx.triggered_id == ids.NOTIFY_INTERVAL and fingerprint == drawn:
            raise PreventUpdate
        rows = recent_deliveries(conn, state, SHOWN)
        counts = delivery_counts(conn)
    summary = text("notify_summary", counts=counts_text(counts))
    return build_deliveries(rows, access.has_role(EDIT_ROLE)), summary, fingerprint


@callback(ROUTES.drawn(), ROUTES.redrawn())
@access.read_only
def show_routes(_changed: int | None) -> Any:
    """Return the routes table."""
    with runtime.engine().connect() as conn:
        rows = list_routes(conn)
    return build_routes(rows, access.has_role(EDIT_ROLE))


@callback(
    Output(ids.NOTIFY_ROUTE_SECTION, "options"),
    Input(ids.NOTIFY_ROUTE_DISTRICT, "value"),
    prevent_initial_call=True,
)
@access.read_only
def section_options(district: str | None) -> list[str]:
    """Return the section offices of the chosen district."""
    if not isinstance(district, str) or district == ANY_DISTRICT:
        return []
    with runtime.engine().connect() as conn:
        return sections_of(conn, district)


@callback(
    *ROUTES.outputs(),
    Input(ids.NOTIFY_ROUTE_ADD, "n_clicks"),
    State(ids.NOTIFY_ROUTE_DISTRICT, "value"),
    State(ids.NOTIFY_ROUTE_SECTION, "value"),
    State(ids.NOTIFY_ROUTE_SEVERITY, "value"),
    State(ids.NOTIFY_ROUTE_KIND, "value"),
    State(ids.NOTIFY_ROUTE_LEVEL, "value"),
    State(ids.NOTIFY_ROUTE_USER, "value"),
    State(ids.NOTIFY_ROUTE_CHANNEL, "value"),
    State(ids.NOTIFY_ROUTE_DELAY, "value"),
    ROUTES.counter_state(),
    prevent_initial_call=True,
)
@access.state_changing(EDIT_ROLE, ROUTE_ADD)
def add(
    user: access.Authorized,
    n_clicks: int | None,
    district: Any,
    section: Any,
    severity: Any,
    kind: Any,
    level: Any,
    route_user: Any,
    channel: Any,
    delay: Any,
    changed: int | None,
) -> tuple[str, int]:
    """Add a route; a bad value is named in the message (and audited as a failed attempt)."""
    if not n_clicks:
        raise PreventUpdate

    def apply() -> str:
        values = {
            name: _text(name, value)
            for name, value in (
                ("district", district), ("section", section), ("severity", severity),
                ("kind", kind), ("user", route_user), ("channel", channel),
            )
        }  # fmt: skip
        with runtime.engine().begin() as conn:
            row = add_route(
                conn,
                district=values["district"] or "",
                level=_number("level", level) or 0,
                username=values["user"],
                channel=values["channel"],
                section=values["section"],
                severity=values["severity"],
                kind=values["kind"],
                delay_min=_number("delay_min", delay),
                channels=url_channels(runtime.settings().notify_urls),
                actor=user.username,
                address=user.address,
            )
        return text("notify_route_added", route=row.route_id)

    def audit_failure(err: Exception) -> None:
        user.audit("", {"reason": str(err)}, outcome="failed")

    return ROUTES.change(
        apply,
        changed,
        failed=text("notify_route_not_added"),
        errors=RouteError,
        on_error=audit_failure,
    )


@callback(
    *ROUTES.outputs(duplicate=True),
    Input({"type": ids.NOTIFY_ROUTE_REMOVE_TYPE, "route": ALL}, "n_clicks"),
    ROUTES.counter_state(),
    prevent_initial_call=True,
)
@access.state_changing(EDIT_ROLE, ROUTE_REMOVE)
def remove(
    user: access.Authorized, _clicks: list[int | None], changed: int | None
) -> tuple[str, int]:
    """Remove the route whose button was clicked."""
    route = clicked_row("route")

    def apply() -> str:
        route_id = _number("route", route)
        with runtime.engine().begin() as conn:
            remove_route(conn, route_id or 0, actor=user.username, address=user.address)
        return text("notify_route_removed", route=route_id)

    return ROUTES.change(apply, changed, failed=text("notify_route_not_removed"), errors=RouteError)


@callback(
    *ROUTES.outputs(duplicate=True),
    Input({"type": ids.NOTIFY_RESEND_TYPE, "delivery": ALL}, "n_clicks"),
    ROUTES.counter_state(),
    prevent_initial_call=True,
)
@access.state_changing(EDIT_ROLE, RESEND)
def send_again(
    user: access.Authorized, _clicks: list[int | None], changed: int | None
) -> tuple[str, int]:
    """Queue a given-up delivery again (it may then arrive twice: the admin chose so)."""
    delivery = clicked_row("delivery")

    def apply() -> str:
        delivery_id = _number("delivery", delivery)
        with runtime.engine().begin() as conn:
            new_id = resend(conn, delivery_id or 0, actor=user.username, address=user.address)
        return text("notify_resent", delivery=delivery_id, new=new_id)

    failed = text("notify_not_resent")
    return ROUTES.change(apply, changed, failed=failed, errors=(RouteError, OutboxError))


def _text(name: str, value: Any) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise RouteError(name, "must be text")
    return value


def _number(name: str, value: Any) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise RouteError(name, "must be a whole number")
    try:
        number = float(value)
    except ValueError:
        raise RouteError(name, f"{value!r} is not a number") from None
    if number != int(number):
        raise RouteError(name, f"{value!r} is not a whole number")
    return int(number)
