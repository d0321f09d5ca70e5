"""The page shell: a header on every page with navigation, the open-alert count, the user's
name and role and a logout button, above `dash.page_container`.

`build_shell()` is the app layout (a function, so the header shows this request's user);
`register_callbacks(app)` adds the header's own callbacks to one app. Pages build their bodies
with `build_page(title, ...)` and refuse a role with `build_denied(...)`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import dash
from dash import Input, Output, dcc, html
from sqlalchemy.exc import SQLAlchemyError

from components import access, ids, runtime
from components.html_attrs import attrs
from components.strings import LANGUAGES, text
from store.alerting import open_alert_count

ALERT_REFRESH_MS: Final = 15_000
"""How often the header re-reads the open-alert count [ms]."""


@dataclass(frozen=True, slots=True)
class NavItem:
    """A header link (its label's key in components/strings) and the least role that sees it."""

    label_key: str
    path: str
    minimum_role: str = "viewer"


NAV: Final = (
    NavItem("nav_map", "/"),
    NavItem("nav_alerts", "/alerts"),
    NavItem("nav_notifications", "/notifications"),
    NavItem("nav_log", "/log"),
    NavItem("nav_reports", "/reports"),
    NavItem("nav_wall", "/wall"),
    NavItem("nav_users", "/users", "admin"),
)

INDEX_STRING: Final = """<!DOCTYPE html>
<html lang="{lang}">
    <head>
        {{%metas%}}
        <title>{{%title%}}</title>
        {{%favicon%}}
        {{%css%}}
    </head>
    <body>
        {{%app_entry%}}
        <footer>
            {{%config%}}
            {{%scripts%}}
            {{%renderer%}}
        </footer>
    </body>
</html>"""
"""Dash's page around the app, with the interface language on <html>."""


def index_string(lang: str) -> str:
    """Return Dash's index string for an interface language ("en" or "ml")."""
    if lang not in LANGUAGES:
        raise ValueError(f"lang: {lang!r} is not one of {', '.join(LANGUAGES)}")
    return INDEX_STRING.format(lang=lang)


def alert_badge_text(count: int | None) -> str:
    """Return the header badge text for a number of open, unacknowledged alerts (None:
    unavailable)."""
    if count is None:
        return text("alerts_na")
    return text("alerts_open_one" if count == 1 else "alerts_open_many", count=f"{count:,}")


def alert_badge_class(count: int | None) -> str:
    """Return the badge's class: red while any alert waits for an operator, quiet when none
    does."""
    return "sp-alert-badge" + (" sp-alert-badge-none" if count == 0 else "")


def build_header(identity: access.Identity | None, alert_count: int | None = None) -> html.Header:
    """Return the header: navigation for the user's role, the alert badge, user and logout."""
    links = [
        dcc.Link(text(item.label_key), href=item.path, className="sp-nav-link")
        for item in NAV
        if identity is not None and access.has_role(item.minimum_role, identity)
    ]
    user: list[Any] = []
    if identity is not None:
        user = [
            html.Span(
                [
                    html.A(
                        html.Strong(identity.username),
                        href="/account",
                        title=text("account_title"),
                        style={"color": "inherit", "textDecoration": "none"},
                    ),
                    f" ({text(f'role_{identity.role}')})",
                ],
                id=ids.HEADER_USER,
                className="sp-user",
            ),
            html.Form(
                html.Button(text("logout"), type="submit", id=ids.HEADER_LOGOUT),
                action="/logout",
                method="POST",
                className="sp-logout",
            ),
        ]
    return html.Header(
        [
            html.Span(text("brand"), className="sp-brand"),
            html.Nav(
                links,
                id=ids.HEADER_NAV,
                className="sp-nav",
                **attrs({"aria-label": text("nav_label")}),
            ),
            dcc.Link(
                alert_badge_text(alert_count),
                href="/alerts",
                id=ids.HEADER_ALERT_COUNT,
                className=alert_badge_class(alert_count),
                title=text("alerts_badge_title"),
            ),
            dcc.Interval(id=ids.HEADER_INTERVAL, interval=ALERT_REFRESH_MS),
            dcc.Store(id=ids.HEADER_ALERTS_CHANGED, data=0),
            *user,
        ],
        id=ids.HEADER,
        className="sp-header",
    )


def build_shell() -> html.Div:
    """Return the app layout: the header above the current page."""
    return html.Div(
        [build_header(access.current_user(), read_alert_count()), dash.page_container],
        className="sp-shell",
    )


def build_page(title: str, *children: Any, class_name: str = "") -> html.Main:
    """Return a page body with a heading."""
    return html.Main(
        [html.H1(title), *children],
        id=ids.PAGE_BODY,
        className=f"sp-page {class_name}".strip(),
    )


def build_denied(title: str, minimum_role: str) -> html.Main:
    """Return the body shown instead of a page the user's role may not see."""
    return build_page(
        title,
        html.P(text("denied", role=text(f"role_{minimum_role}")), className="sp-denied"),
    )


def read_alert_count() -> int | None:
    """Return the number of open, unacknowledged alerts (rolled-up ones counted in theirs), or
    None when the store cannot be read."""
    try:
        with runtime.engine().connect() as conn:
            return open_alert_count(conn)
    except SQLAlchemyError:
        return None


@access.read_only
def refresh_alert_count(_n_intervals: int | None, _changed: int | None) -> tuple[str, str]:
    """Return the header badge text and class, read again (on the timer, and at once after an
    acknowledgement)."""
    count = read_alert_count()
    return alert_badge_text(count), alert_badge_class(count)


def register_callbacks(app: dash.Dash) -> None:
    """Add the header's callbacks to `app` (per app, so that every app built has them)."""
    app.callback(
        Output(ids.HEADER_ALERT_COUNT, "children"),
        Output(ids.HEADER_ALERT_COUNT, "className"),
        Input(ids.HEADER_INTERVAL, "n_intervals"),
        Input(ids.HEADER_ALERTS_CHANGED, "data"),
        prevent_initial_call=True,
    )(refresh_alert_count)
