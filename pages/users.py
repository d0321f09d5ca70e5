"""Users (/users, admin only): add a user, change a role, disable or enable; who signs in with
a second factor (an admin resets a lost one with `python -m store users reset-mfa NAME`); how
notifications reach each user (e-mail, phone, quiet hours; a bad one is named)."""

from __future__ import annotations

from typing import Any, Final

import dash
from dash import Input, Output, State, callback, dcc, html
from dash.exceptions import PreventUpdate

from components import access, ids, runtime
from components.admin_table import AdminTable, field, form
from components.layout import build_denied, build_page
from components.strings import page_title, text
from components.tables import build_table, fmt_time
from store.contacts import CONTACT_ACTION, Contact, get_contact, list_contacts, set_contact
from store.schema import ROLES
from store.users import (
    ADD_ACTION,
    DISABLE_ACTION,
    ENABLE_ACTION,
    ROLE_ACTION,
    UserError,
    add_user,
    list_users,
    set_disabled,
    set_role,
)

dash.register_page(__name__, path="/users", title=page_title("users_title"), name="Users")

MINIMUM_ROLE: Final = "admin"

COLUMNS: Final = (
    "username", "role", "status", "mfa", "email", "phone", "quiet", "created", "updated",
)  # fmt: skip
"""The user table's columns; each heading is the string `users_col_<column>`."""


USERS: Final = AdminTable(ids.USERS_MESSAGE, ids.USERS_CHANGED, ids.USERS_TABLE)


def layout(**_query: str) -> html.Main:
    """Return the page for an admin, or a refusal for anyone else."""
    if not access.has_role(MINIMUM_ROLE):
        return build_denied(text("users_title"), MINIMUM_ROLE)
    password = dcc.Input(id=ids.USERS_NEW_PASSWORD, type="password", autoComplete="new-password")
    return build_page(
        text("users_title"),
        USERS.message_line(),
        html.Section(
            [
                html.H2(text("users_add_heading")),
                form(
                    field(
                        text("login_username"),
                        dcc.Input(id=ids.USERS_NEW_NAME, autoComplete="off"),
                    ),
                    field(text("login_password"), password),
                    field(
                        text("users_role"),
                        dcc.Dropdown(
                            role_options(), "viewer", id=ids.USERS_NEW_ROLE, clearable=False
                        ),
                    ),
                    field(text("users_email"), dcc.Input(id=ids.USERS_NEW_EMAIL, type="email")),
                    field(text("users_phone"), dcc.Input(id=ids.USERS_NEW_PHONE, type="tel")),
                    html.Button(text("users_add"), id=ids.USERS_ADD, className="sp-button"),
                ),
            ]
        ),
        html.Section(
            [
                html.H2(text("users_change_heading")),
                form(
                    field(
                        text("users_col_username"),
                        dcc.Dropdown(id=ids.USERS_TARGET, placeholder=text("choose")),
                    ),
                    field(
                        text("users_role"),
                        dcc.Dropdown(role_options(), id=ids.USERS_ROLE, placeholder=text("choose")),
                    ),
                    html.Button(
                        text("users_set_role"), id=ids.USERS_SET_ROLE, className="sp-button"
                    ),
                    html.Button(text("users_disable"), id=ids.USERS_DISABLE, className="sp-button"),
                    html.Button(text("users_enable"), id=ids.USERS_ENABLE, className="sp-button"),
                ),
                form(
                    field(text("users_email"), dcc.Input(id=ids.USERS_CONTACT_EMAIL, type="email")),
                    field(text("users_phone"), dcc.Input(id=ids.USERS_CONTACT_PHONE, type="tel")),
                    field(
                        text("users_quiet"),
                        dcc.Input(id=ids.USERS_CONTACT_QUIET, placeholder="22:00-06:00"),
                    ),
                    html.Button(
                        text("users_set_contact"), id=ids.USERS_SET_CONTACT, className="sp-button"
                    ),
                ),
            ]
        ),
        *USERS.parts(),
    )


def role_options() -> list[dict[str, str]]:
    """Return the roles to choose from: their names in the interface language, their values as
    the store keeps them."""
    return [{"label": text(f"role_{r}"), "value": r} for r in ROLES]


def role_text(role: str) -> str:
    """Return a role's name in the interface language (an unknown one as it is)."""
    return text(f"role_{role}") if role in ROLES else role


@callback(USERS.drawn(), Output(ids.USERS_TARGET, "options"), USERS.redrawn())
@access.read_only
def show_users(_changed: int | None) -> tuple[Any, list[str]]:
    """Return the user table and the names to choose from (admins only)."""
    access.authorize(MINIMUM_ROLE, "user.list")
    with runtime.engine().connect() as conn:
        users = list_users(conn)
        contacts = list_contacts(conn)
    rows = [
        {
            "username": u.username,
            "role": role_text(u.role),
            "status": text("users_disabled" if u.disabled else "users_enabled"),
            "mfa": text("users_mfa_on" if u.mfa else "users_mfa_off"),
            **_contact_cells(contacts.get(u.username)),
            "created": fmt_time(u.created_at),
            "updated": fmt_time(u.updated_at),
        }
        for u in users
    ]
    headings = [(c, text(f"users_col_{c}")) for c in COLUMNS]
    return build_table(headings, rows, empty=text("users_none")), [u.username for u in users]


@callback(
    *USERS.outputs(),
    Output(ids.USERS_NEW_NAME, "value"),
    Output(ids.USERS_NEW_PASSWORD, "value"),
    Input(ids.USERS_ADD, "n_clicks"),
    State(ids.USERS_NEW_NAME, "value"),
    State(ids.USERS_NEW_PASSWORD, "value"),
    State(ids.USERS_NEW_ROLE, "value"),
    State(ids.USERS_NEW_EMAIL, "value"),
    State(ids.USERS_NEW_PHONE, "value"),
    USERS.counter_state(),
    prevent_initial_call=True,
)
@access.state_changing(MINIMUM_ROLE, ADD_ACTION)
def add(
    user: access.Authorized,
    n_clicks: int | None,
    username: str | None,
    password: str | None,
    role: str | None,
    email: Any,
    phone: Any,
    changed: int | None,
) -> tuple[str, int, str, str]:
    """Add a user; a bad value is named in the message (the form keeps what was typed)."""
    if not n_clicks:
        raise PreventUpdate
    name = (username or "").strip()

    def apply() -> str:
        with runtime.engine().begin() as conn:
            add_user(conn, name, password or "", role or "", actor=user.username)
            if email or phone:
                set_contact(
                    conn,
                    name,
                    email=_text("email", email),
                    phone=_text("phone", phone),
                    actor=user.username,
                    address=user.address,
                )
        return text("users_added", user=username, role=role_text(role or ""))

    said, count = USERS.change(apply, changed, failed=text("not_added"), errors=UserError)
    typed = (username or "", password or "") if count == (changed or 0) else ("", "")
    return said, count, *typed


@callback(
    *USERS.outputs(duplicate=True),
    Input(ids.USERS_SET_ROLE, "n_clicks"),
    State(ids.USERS_TARGET, "value"),
    State(ids.USERS_ROLE, "value"),
    USERS.counter_state(),
    prevent_initial_call=True,
)
@access.state_changing(MINIMUM_ROLE, ROLE_ACTION)
def change_role(
    user: access.Authorized,
    n_clicks: int | None,
    username: str | None,
    role: str | None,
    changed: int | None,
) -> tuple[str, int]:
    """Change the role of the chosen user."""
    if not n_clicks:
        raise PreventUpdate

    def apply() -> str:
        with runtime.engine().begin() as conn:
            set_role(conn, username or "", role or "", actor=user.username)
        return text("users_role_set", user=username, role=role_text(role or ""))

    failed = text("users_role_not_changed")
    return USERS.change(apply, changed, failed=failed, errors=UserError)


@callback(
    *USERS.outputs(duplicate=True),
    Input(ids.USERS_DISABLE, "n_clicks"),
    State(ids.USERS_TARGET, "value"),
    USERS.counter_state(),
    prevent_initial_call=True,
)
@access.state_changing(MINIMUM_ROLE, DISABLE_ACTION)
def disable(
    user: access.Authorized, n_clicks: int | None, username: str | None, changed: int | None
) -> tuple[str, int]:
    """Disable the chosen user (never yourself)."""
    if not n_clicks:
        raise PreventUpdate
    if username == user.username:
        return text("users_not_disabled_self"), changed or 0
    return _set_disabled(user, username, True, changed)


@callback(
    *USERS.outputs(duplicate=True),
    Input(ids.USERS_ENABLE, "n_clicks"),
    State(ids.USERS_TARGET, "value"),
    USERS.counter_state(),
    prevent_initial_call=True,
)
@access.state_changing(MINIMUM_ROLE, ENABLE_ACTION)
def enable(
    user: access.Authorized, n_clicks: int | None, username: str | None, changed: int | None
) -> tuple[str, int]:
    """Enable the chosen user."""
    if not n_clicks:
        raise PreventUpdate
    return _set_disabled(user, username, False, changed)


def _set_disabled(
    user: access.Authorized, username: str | None, disable: bool, changed: int | None
) -> tuple[str, int]:
    def apply() -> str:
        with runtime.engine().begin() as conn:
            set_disabled(conn, username or "", disable, actor=user.username)
        return text("users_now_disabled" if disable else "users_now_enabled", user=username)

    return USERS.change(apply, changed, failed=text("not_changed"), errors=UserError)


@callback(
    Output(ids.USERS_CONTACT_EMAIL, "value"),
    Output(ids.USERS_CONTACT_PHONE, "value"),
    Output(ids.USERS_CONTACT_QUIET, "value"),
    Input(ids.USERS_TARGET, "value"),
    prevent_initial_call=True,
)
@access.read_only
def show_contact(username: Any) -> tuple[str, str, str]:
    """Fill the contact fields with the chosen user's (admins only)."""
    access.authorize(MINIMUM_ROLE, "user.list")
    if not isinstance(username, str) or not username:
        return "", "", ""
    with runtime.engine().connect() as conn:
        contact = get_contact(conn, username)
    return contact.email or "", contact.phone or "", contact.quiet_hours or ""


@callback(
    *USERS.outputs(duplicate=True),
    Input(ids.USERS_SET_CONTACT, "n_clicks"),
    State(ids.USERS_TARGET, "value"),
    State(ids.USERS_CONTACT_EMAIL, "value"),
    State(ids.USERS_CONTACT_PHONE, "value"),
    State(ids.USERS_CONTACT_QUIET, "value"),
    USERS.counter_state(),
    prevent_initial_call=True,
)
@access.state_changing(MINIMUM_ROLE, CONTACT_ACTION)
def change_contact(
    user: access.Authorized,
    n_clicks: int | None,
    username: Any,
    email: Any,
    phone: Any,
    quiet: Any,
    changed: int | None,
) -> tuple[str, int]:
    """Set the chosen user's e-mail, phone and quiet hours; a bad one is named."""
    if not n_clicks:
        raise PreventUpdate

    def apply() -> str:
        with runtime.engine().begin() as conn:
            set_contact(
                conn,
                _text("username", username) or "",
                email=_text("email", email),
                phone=_text("phone", phone),
                quiet_hours=_text("quiet_hours", quiet),
                actor=user.username,
                address=user.address,
            )
        return text("users_contact_saved", user=username)

    failed = text("users_contact_not_changed")
    return USERS.change(apply, changed, failed=failed, errors=UserError)


def _contact_cells(contact: Contact | None) -> dict[str, str]:
    """Return a user's e-mail, phone and quiet hours as table cells."""
    if contact is None:
        return {"email": "", "phone": "", "quiet": text("users_quiet_default")}
    return {
        "email": contact.email or "",
        "phone": contact.phone or "",
        "quiet": contact.quiet_hours or text("users_quiet_default"),
    }


def _text(field: str, value: Any) -> str | None:
    """Return a form value as text (None for none), or raise UserError naming the field."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise UserError(field, "must be text")
    return value
