"""Every state-changing callback × {anonymous, viewer, operator, admin} by direct POST to
/_dash-update-component: accepted exactly where the role allows, every denial audited; the
guard's action is the one recorded, and a callback's body names none.

The callbacks come from the app's callback map. Each must carry `@access.state_changing` or
`@access.read_only`; STATE_CHANGING below lists the state-changing ones with the least role
each needs, and a test fails when the app's list and this one differ (add a new callback here,
with its role, when you add it to a page).
"""

from __future__ import annotations

import inspect
from typing import Final

import dash
import flask_login
import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine, select

from components import access, ids
from components.access import ROLE_RANK, guard_of
from components.runtime import current
from store.schema import audit_log
from tests.dashboard.conftest import (
    ROLES_AND_ANONYMOUS,
    callback_entries,
    callback_key,
    denials,
    post_callback,
)

STATE_CHANGING: Final = {
    "alert.ack": "operator",
    "feeder.move_house": "operator",
    "feeder.set_mode": "operator",
    "feeder.unlock": "operator",
    "report.export": "viewer",
    "report.schedule_add": "admin",
    "report.schedule_remove": "admin",
    "notify.resend": "admin",
    "notify.route_add": "admin",
    "notify.route_remove": "admin",
    "user.add": "admin",
    "user.set_contact": "admin",
    "user.set_role": "admin",
    "user.disable": "admin",
    "user.enable": "admin",
}
"""Audit action → least role, of every state-changing callback of the app."""


def test_every_callback_is_marked(dashboard_app: dash.Dash) -> None:
    unmarked = [
        key
        for key, entry in callback_entries(dashboard_app).items()
        if guard_of(entry["callback"]) is None
    ]
    assert unmarked == [], "mark these @access.state_changing or @access.read_only"


def test_state_changing_list_is_complete(dashboard_app: dash.Dash) -> None:
    found = {}
    for entry in callback_entries(dashboard_app).values():
        guard = guard_of(entry["callback"])
        if guard is not None and guard.changes_state:
            assert guard.action not in found, f"two callbacks audit as {guard.action}"
            found[guard.action] = guard.minimum_role
    assert found == STATE_CHANGING


@pytest.mark.parametrize("role", ROLES_AND_ANONYMOUS)
@pytest.mark.parametrize("action", sorted(STATE_CHANGING))
def test_matrix(
    dashboard_app: dash.Dash, clients: dict[str, FlaskClient], action: str, role: str
) -> None:
    engine = current(dashboard_app.server).engine
    key = callback_key(dashboard_app, action)
    before = denials(engine, action)
    response = post_callback(clients[role], dashboard_app, key)
    allowed = role != "anonymous" and ROLE_RANK[role] >= ROLE_RANK[STATE_CHANGING[action]]
    if allowed:
        assert response.status_code in (200, 204), response.get_data(as_text=True)[:500]
        assert denials(engine, action) == before
    else:
        assert response.status_code == (401 if role == "anonymous" else 403)
        assert denials(engine, action) == before + 1


def test_a_viewer_can_read(dashboard_app: dash.Dash, clients: dict[str, FlaskClient]) -> None:
    """Read-only callbacks answer every signed-in role (the matrix's refusals are not blanket)."""
    key = next(k for k in callback_entries(dashboard_app) if "sp-alerts-table.children" in k)
    values = {"sp-alerts-state.value": "active", "sp-alerts-feeder.value": None}
    response = post_callback(clients["viewer"], dashboard_app, key, values)
    assert response.status_code == 200
    assert "phase R above rating" in response.get_data(as_text=True)


def test_users_list_is_admin_only(
    dashboard_app: dash.Dash, clients: dict[str, FlaskClient]
) -> None:
    key = "..sp-users-table.children...sp-users-target.options.."
    assert post_callback(clients["operator"], dashboard_app, key).status_code == 403
    response = post_callback(clients["admin"], dashboard_app, key)
    assert response.status_code == 200
    assert "vera" in response.get_data(as_text=True)


def test_no_callback_body_names_an_action(dashboard_app: dash.Dash) -> None:
    """A state-changing callback gets its user from the guard and audits through it."""
    named = []
    for entry in callback_entries(dashboard_app).values():
        guard = guard_of(entry["callback"])
        if guard is None or not guard.changes_state:
            continue
        source = inspect.getsource(inspect.unwrap(entry["callback"]))
        if "authorize(" in source or "audit_action(" in source:
            named.append(guard.action)
    assert named == []


def _audit_rows(engine: Engine, action: str) -> list[tuple[str | None, str, str, str | None]]:
    t = audit_log.c
    with engine.connect() as conn:
        rows = conn.execute(
            select(t.username, t.outcome, t.target, t.address)
            .where(t.action == action)
            .order_by(t.entry_id)
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


def _poke(user: access.Authorized, target: str) -> str:
    user.audit(target, {"why": "crew asked"})
    return user.username


def test_a_guard_records_the_action_it_names(dashboard_app: dash.Dash) -> None:
    engine = current(dashboard_app.server).engine
    poke = access.state_changing("operator", "test.poke")(_poke)
    prod = access.state_changing("operator", "test.prod")(_poke)
    server = dashboard_app.server
    with server.test_request_context(environ_base={"REMOTE_ADDR": "10.0.0.9"}):
        flask_login.login_user(access.LoginUser(access.Identity("otto", "operator")))
        assert poke("KL-TVM-0001") == "otto"
        assert prod("KL-TVM-0002") == "otto"
    assert _audit_rows(engine, "test.poke") == [("otto", "ok", "KL-TVM-0001", "10.0.0.9")]
    assert _audit_rows(engine, "test.prod") == [("otto", "ok", "KL-TVM-0002", "10.0.0.9")]


def test_a_viewer_is_refused_and_audited_once(dashboard_app: dash.Dash) -> None:
    engine = current(dashboard_app.server).engine
    poke = access.state_changing("operator", "test.refused")(_poke)
    with dashboard_app.server.test_request_context():
        flask_login.login_user(access.LoginUser(access.Identity("vera", "viewer")))
        for _ in range(3):
            with pytest.raises(access.Refused):
                poke("KL-TVM-0001")
    assert _audit_rows(engine, "test.refused") == [("vera", "denied", "", None)]
    with engine.connect() as conn:
        detail = conn.execute(
            select(audit_log.c.detail).where(audit_log.c.action == "test.refused")
        ).scalar_one()
    assert (detail["count"], detail["role"], detail["required"]) == (3, "viewer", "operator")


def test_the_users_page_records_its_guards_actions(
    dashboard_app: dash.Dash, clients: dict[str, FlaskClient]
) -> None:
    """Adding and enabling a user are audited as the guards name them, by the admin."""
    engine = current(dashboard_app.server).engine
    admin = clients["admin"]
    added = post_callback(
        admin,
        dashboard_app,
        callback_key(dashboard_app, "user.add"),
        {
            f"{ids.USERS_NEW_NAME}.value": "nadia",
            f"{ids.USERS_NEW_PASSWORD}.value": "a long enough secret",
            f"{ids.USERS_NEW_ROLE}.value": "viewer",
        },
    )
    assert added.status_code == 200, added.get_data(as_text=True)[:500]
    enabled = post_callback(
        admin,
        dashboard_app,
        callback_key(dashboard_app, "user.enable"),
        {f"{ids.USERS_TARGET}.value": "nadia"},
    )
    assert enabled.status_code == 200, enabled.get_data(as_text=True)[:500]
    assert "nadia enabled" in enabled.get_data(as_text=True)
    for action in ("user.add", "user.enable"):
        done = [r[:3] for r in _audit_rows(engine, action) if r[1:3] == ("ok", "nadia")]
        assert done == [("ada", "ok", "nadia")], action
