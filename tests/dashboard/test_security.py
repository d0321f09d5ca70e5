"""Sign-in, sessions and the HTTP guards: redirects, 401s, the login rate limit, the Origin
check, cookie flags, /_mcp, debug off, and the audit rows of it all."""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dash
import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine, text

from app import create_app
from components.auth import session_secret
from components.runtime import current
from settings import Settings, SettingsError
from store.db import make_engine
from store.schema import login_limits
from tests.dashboard.conftest import (
    ORIGIN,
    PASSWORD,
    callback_entries,
    callback_key,
    denials,
    login,
    make_settings,
    post_callback,
    signed_in,
)


def _engine(app: dash.Dash) -> Engine:
    return current(app.server).engine


def _audit_count(engine: Engine, action: str, outcome: str) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                text("SELECT count(*) FROM audit_log WHERE action = :a AND outcome = :o"),
                {"a": action, "o": outcome},
            ).scalar_one()
        )


@pytest.fixture
def fresh_app(dashboard_url: str) -> Iterator[dash.Dash]:
    """Return an app with no login history, counting failures over a 60-second window."""
    engine = make_engine(dashboard_url)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_log WHERE action = 'auth.login'"))
        conn.execute(text("DELETE FROM login_limits"))
    yield create_app(make_settings(dashboard_url, login_window_s=60), engine=engine)
    engine.dispose()


# ---------------------------------------------------------------------------------------------
# Anonymous requests


@pytest.mark.parametrize("path", ["/", "/alerts", "/log", "/users", "/wall", "/feeder/KL-TVM-0001"])
def test_anonymous_page_is_redirected_to_login(dashboard_app: dash.Dash, path: str) -> None:
    response = dashboard_app.server.test_client().get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


@pytest.mark.parametrize("path", ["/_dash-layout", "/_dash-dependencies", "/log.csv?kind=audit"])
def test_anonymous_data_is_refused(dashboard_app: dash.Dash, path: str) -> None:
    response = dashboard_app.server.test_client().get(path)
    if path.startswith("/_"):
        assert response.status_code == 401
    else:
        assert response.status_code == 302


def test_anonymous_callback_post_is_401(dashboard_app: dash.Dash) -> None:
    client = dashboard_app.server.test_client()
    key = next(k for k in callback_entries(dashboard_app) if "sp-alerts-table.children" in k)
    response = post_callback(client, dashboard_app, key)
    assert response.status_code == 401


def test_login_page_is_plain_html(dashboard_app: dash.Dash) -> None:
    response = dashboard_app.server.test_client().get("/login")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert 'name="username"' in body
    assert 'name="password"' in body
    assert "_dash" not in body


def test_login_redirects_only_within_the_site(dashboard_app: dash.Dash) -> None:
    client = dashboard_app.server.test_client()
    for next_path, expected in (("/log", "/log"), ("//evil.example/x", "/"), ("https://e.x", "/")):
        response = client.post(
            "/login",
            data={"username": "vera", "password": PASSWORD, "next": next_path},
            headers={"Origin": ORIGIN},
        )
        assert response.status_code == 302
        assert response.headers["Location"] == expected


# ---------------------------------------------------------------------------------------------
# Framework endpoints and debug


@pytest.mark.parametrize("role", ["anonymous", "admin"])
def test_mcp_endpoint_is_off(dashboard_app: dash.Dash, role: str) -> None:
    client = signed_in(dashboard_app, role)
    assert client.get("/_mcp").status_code == 404
    assert client.post("/_mcp", json={}, headers={"Origin": ORIGIN}).status_code == 404


def test_no_debug(dashboard_app: dash.Dash, monkeypatch: pytest.MonkeyPatch) -> None:
    assert dashboard_app.server.debug is False
    assert dashboard_app.server.config["DEBUG"] is False
    assert dashboard_app._dev_tools.ui is not True
    source = Path("app.py").read_text()
    assert "debug=False" in source
    assert "debug=True" not in source


def test_import_is_cheap() -> None:
    module = importlib.import_module("app")
    assert "server" not in vars(module)  # built on first access, not at import
    assert vars(module)["_server"] is None


def test_production_needs_a_secret_key(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="SP_SECRET_KEY"):
        session_secret(Settings(database_url="postgresql://u@h/db"))
    demo = Settings(database_url=f"sqlite:///{tmp_path}/store.db")
    key = session_secret(demo)
    assert len(key) >= 32
    assert session_secret(demo) == key
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


# ---------------------------------------------------------------------------------------------
# Cookies


def _session_cookie(response_headers: list[str]) -> str:
    cookies = [c for c in response_headers if c.startswith("sp_session=")]
    assert len(cookies) == 1, response_headers
    return cookies[0]


def test_session_cookie_flags(dashboard_app: dash.Dash) -> None:
    response = login(dashboard_app.server.test_client(), "vera")
    cookie = _session_cookie(response.headers.getlist("Set-Cookie"))
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie


def test_session_cookie_is_secure_behind_tls(dashboard_url: str) -> None:
    app = create_app(make_settings(dashboard_url, cookie_secure=True))
    client = app.server.test_client()
    response = client.post(
        "/login",
        data={"username": "vera", "password": PASSWORD},
        base_url="https://localhost",
        headers={"Origin": "https://localhost"},
    )
    assert response.status_code == 302
    assert "Secure" in _session_cookie(response.headers.getlist("Set-Cookie"))


# ---------------------------------------------------------------------------------------------
# Origin check


def test_cross_origin_post_is_refused_and_audited(
    dashboard_app: dash.Dash, clients: dict[str, FlaskClient]
) -> None:
    engine = _engine(dashboard_app)
    key = callback_key(dashboard_app, "user.add")
    before = _audit_count(engine, "http.cross_origin", "denied")
    evil = post_callback(clients["admin"], dashboard_app, key, Origin="https://evil.example")
    assert evil.status_code == 403
    assert _audit_count(engine, "http.cross_origin", "denied") == before + 1
    client = clients["admin"]
    bare = client.post("/_dash-update-component", json={"output": key})
    assert bare.status_code == 403
    assert _audit_count(engine, "http.cross_origin", "denied") == before + 2
    cross_login = client.post(
        "/login",
        data={"username": "ada", "password": PASSWORD},
        headers={"Referer": "https://evil.example/page"},
    )
    assert cross_login.status_code == 403


def test_same_origin_referer_is_enough(
    dashboard_app: dash.Dash, clients: dict[str, FlaskClient]
) -> None:
    response = clients["viewer"].post(
        "/_dash-update-component",
        json={"output": "x"},
        headers={"Referer": ORIGIN + "/alerts"},
    )
    assert response.status_code != 403


# ---------------------------------------------------------------------------------------------
# Login, logout, rate limit


def test_login_logout_and_failure_are_audited(fresh_app: dash.Dash) -> None:
    engine = _engine(fresh_app)
    client = fresh_app.server.test_client()
    assert login(client, "otto", "wrong password!").status_code == 401
    assert _audit_count(engine, "auth.login", "failed") == 1
    assert login(client, "otto").status_code == 302
    assert _audit_count(engine, "auth.login", "ok") == 1
    assert client.get("/alerts").status_code == 200
    assert client.post("/logout", headers={"Origin": ORIGIN}).status_code == 302
    assert _audit_count(engine, "auth.logout", "ok") >= 1
    assert client.get("/alerts").status_code == 302


def test_ten_failures_for_a_user_give_429_for_a_while(fresh_app: dash.Dash) -> None:
    client = fresh_app.server.test_client()
    for n in range(10):
        address = {"REMOTE_ADDR": f"10.0.0.{n + 1}"}
        response = client.post(
            "/login",
            data={"username": "otto", "password": "not the password"},
            headers={"Origin": ORIGIN},
            environ_base=address,
        )
        assert response.status_code == 401
    blocked = login(client, "otto")
    assert blocked.status_code == 429
    assert "Retry-After" in blocked.headers
    assert login(fresh_app.server.test_client(), "vera").status_code == 302  # another user
    with _engine(fresh_app).begin() as conn:  # a minute passes
        past = datetime.now(UTC) - timedelta(seconds=61)
        conn.execute(login_limits.update().values(window_start=past, next_at=past))
    assert login(client, "otto").status_code == 302


def test_ten_failures_from_an_address_give_429(fresh_app: dash.Dash) -> None:
    client = fresh_app.server.test_client()
    attacker = {"REMOTE_ADDR": "192.0.2.7"}
    for n in range(10):
        client.post(
            "/login",
            data={"username": f"guess{n}", "password": "not the password"},
            headers={"Origin": ORIGIN},
            environ_base=attacker,
        )
    response = client.post(
        "/login",
        data={"username": "ada", "password": PASSWORD},
        headers={"Origin": ORIGIN},
        environ_base=attacker,
    )
    assert response.status_code == 429
    assert _audit_count(_engine(fresh_app), "auth.login", "denied") >= 1
    assert login(fresh_app.server.test_client(), "ada").status_code == 302


def test_a_disabled_user_is_signed_out_at_the_next_request(fresh_app: dash.Dash) -> None:
    client = signed_in(fresh_app, "operator")
    assert client.get("/alerts").status_code == 200
    engine = _engine(fresh_app)
    with engine.begin() as conn:
        conn.execute(text("UPDATE users SET disabled = true WHERE username = 'otto'"))
    try:
        assert client.get("/alerts").status_code == 302
        assert login(fresh_app.server.test_client(), "otto").status_code == 401
    finally:
        with engine.begin() as conn:
            conn.execute(text("UPDATE users SET disabled = false WHERE username = 'otto'"))


def test_denied_callback_names_user_role_and_action(
    dashboard_app: dash.Dash, clients: dict[str, FlaskClient]
) -> None:
    engine = _engine(dashboard_app)
    key = callback_key(dashboard_app, "user.set_role")
    before = denials(engine, "user.set_role")
    operator = signed_in(dashboard_app, "operator")  # a logout above ended otto's sessions
    assert post_callback(operator, dashboard_app, key).status_code == 403
    assert denials(engine, "user.set_role") == before + 1
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT username, detail, address FROM audit_log WHERE action = 'user.set_role' "
                "AND outcome = 'denied' ORDER BY entry_id DESC LIMIT 1"
            )
        ).one()
    assert row.username == "otto"
    detail = row.detail if isinstance(row.detail, dict) else json.loads(row.detail)
    assert detail == {"role": "operator", "required": "admin"}
    assert row.address == "127.0.0.1"
