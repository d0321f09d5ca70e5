"""Every state-changing callback × {anonymous, viewer, operator, admin} by direct POST to
/_dash-update-component: accepted exactly where the role allows, every denial audited.

The callbacks come from the app's callback map. Each must carry `@access.state_changing` or
`@access.read_only`; STATE_CHANGING below lists the state-changing ones with the least role
each needs, and a test fails when the app's list and this one differ (add a new callback here,
with its role, when you add it to a page).
"""

from __future__ import annotations

from typing import Final

import dash
import pytest
from flask.testing import FlaskClient

from components.access import ROLE_RANK, guard_of
from components.runtime import current
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
    "user.set_disabled": "admin",
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
