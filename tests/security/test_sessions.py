"""Finding 2: a session ends at logout, at disabling, at a role or password change, and an
absolute lifetime after its sign-in however active it is; a cookie captured before any of
these and replayed later, from another user agent, changes nothing."""

from __future__ import annotations

import time
from collections.abc import Callable

import dash
import pytest
from flask.testing import FlaskClient

import store.__main__ as cli
from components.access import SESSION_STARTED
from components.auth import SESSION_COOKIE
from store.users import set_disabled, set_password, set_role
from tests.dashboard.conftest import ORIGIN, callback_key, post_callback, signed_in
from tests.security.conftest import engine_of

OTHER_AGENT = {"User-Agent": "curl/8.5 (replaying a captured cookie)"}


def replay(app: dash.Dash, cookie: str) -> FlaskClient:
    """Return a fresh client that sends a captured session cookie."""
    client = app.server.test_client()
    client.set_cookie(SESSION_COOKIE, cookie, domain="localhost")
    return client


def set_mode(client: FlaskClient, app: dash.Dash) -> int:
    """POST the operator's mode change as the renderer would; return the status."""
    key = callback_key(app, "feeder.set_mode")
    values = {"sp-feeder-id.data": "KL-TVM-0001", "sp-feeder-mode-target.data": "manual"}
    response = post_callback(client, app, key, values, **OTHER_AGENT)
    return response.status_code


def captured(client: FlaskClient) -> str:
    cookie = client.get_cookie(SESSION_COOKIE, domain="localhost")
    assert cookie is not None
    return cookie.value


def test_a_cookie_replayed_after_logout_changes_nothing(
    build_app: Callable[..., dash.Dash],
) -> None:
    app = build_app()
    operator = signed_in(app, "operator")
    cookie = captured(operator)
    assert set_mode(replay(app, cookie), app) == 200  # the captured cookie works, at first
    assert operator.post("/logout", headers={"Origin": ORIGIN}).status_code == 302
    thief = replay(app, cookie)
    assert set_mode(thief, app) == 401
    assert thief.get("/alerts").status_code == 302


@pytest.mark.parametrize("change", ["disable", "role", "password", "cli sign-out"])
def test_a_users_sessions_end_when_an_admin_changes_them(
    build_app: Callable[..., dash.Dash],
    change: str,
    app_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = build_app()
    operator = signed_in(app, "operator")
    cookie = captured(operator)
    with engine_of(app).begin() as conn:
        if change == "disable":
            set_disabled(conn, "otto", True, actor="ada")
            set_disabled(conn, "otto", False, actor="ada")  # enabled again: the session stays over
        elif change == "role":
            set_role(conn, "otto", "viewer", actor="ada")
            set_role(conn, "otto", "operator", actor="ada")
        elif change == "password":
            set_password(conn, "otto", "a brand new password", actor="ada")
    if change == "cli sign-out":
        monkeypatch.setenv("SP_DATABASE_URL", app_url)
        assert cli.main(["users", "sign-out", "otto"]) == 0
    assert replay(app, cookie).get("/alerts").status_code == 302
    assert set_mode(replay(app, cookie), app) == 401
    assert signed_in(app, "viewer").get("/alerts").status_code == 200  # others stay signed in


def test_a_session_ends_at_its_absolute_lifetime_however_active(
    build_app: Callable[..., dash.Dash],
) -> None:
    lifetime = 3600
    app = build_app(session_lifetime_s=lifetime)
    client = signed_in(app, "viewer")
    with client.session_transaction() as session:
        session[SESSION_STARTED] = int(time.time()) - lifetime + 30  # 30 s to go
    for _ in range(3):  # activity does not push the end back
        assert client.get("/alerts").status_code == 200
    with client.session_transaction() as session:
        assert session[SESSION_STARTED] <= int(time.time()) - lifetime + 30
        session[SESSION_STARTED] = int(time.time()) - lifetime - 1
    assert client.get("/alerts").status_code == 302


def test_a_forged_session_start_in_the_future_is_not_signed_in(
    build_app: Callable[..., dash.Dash],
) -> None:
    app = build_app()
    client = signed_in(app, "viewer")
    with client.session_transaction() as session:
        session[SESSION_STARTED] = int(time.time()) + 10 * 86400
    assert client.get("/alerts").status_code == 302
