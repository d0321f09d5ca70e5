"""Finding 6: a TOTP second factor (RFC 6238) with QR enrolment and hashed one-time recovery
codes; a stolen password alone signs nobody in, an overheard code cannot be replayed, and
SP_MFA_REQUIRED makes operators and admins enrol before they reach anything."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import dash
import pyotp
import pytest
from flask.testing import FlaskClient
from sqlalchemy import text

import store.__main__ as cli
from app import create_app
from store.db import make_engine
from store.mfa import (
    STEP_S,
    begin_enrolment,
    check_second_factor,
    confirm_enrolment,
    recovery_codes_left,
)
from tests.dashboard.conftest import (
    ORIGIN,
    PASSWORD,
    callback_key,
    login,
    make_settings,
    post_callback,
    signed_in,
)
from tests.security.conftest import NO_BROKER, audit_rows, engine_of


def post(client: FlaskClient, path: str, **form: str) -> tuple[int, str, str]:
    """POST a form from this site; return the status, the Location and the page."""
    response = client.post(path, data=form, headers={"Origin": ORIGIN})
    return (
        response.status_code,
        response.headers.get("Location", ""),
        response.get_data(as_text=True),
    )


def secret_on(page: str) -> str:
    """Return the TOTP key the enrolment page shows."""
    found = re.search(r'id="enrol-secret">([A-Z2-7 ]+)<', page)
    assert found is not None, page[:2000]
    return found.group(1).replace(" ", "")


def codes_on(page: str) -> list[str]:
    return re.findall(r"<li><code>([a-z2-9-]{19})</code></li>", page)


def code_at(secret: str, offset_steps: int = 0) -> str:
    return pyotp.TOTP(secret).at(datetime.now(UTC) + timedelta(seconds=STEP_S * offset_steps))


def enrol(client: FlaskClient) -> tuple[str, list[str], str]:
    """Enrol the signed-in (or enrolling) user; return their TOTP key, recovery codes and the
    code the enrolment used."""
    page = client.get("/account").get_data(as_text=True)
    assert 'src="data:image/svg+xml;base64,' in page  # the QR code
    secret = secret_on(page)
    used = code_at(secret)
    status, _, shown = post(client, "/account", action="confirm", code=used)
    assert status == 200, shown[:500]
    codes = codes_on(shown)
    assert len(codes) == 10
    return secret, codes, used


def test_enrolment_keeps_recovery_codes_only_as_hashes(
    build_app: Callable[..., dash.Dash],
) -> None:
    app = build_app()
    client = app.server.test_client()
    assert login(client, "otto").status_code == 302
    _secret, codes, _used = enrol(client)
    with engine_of(app).connect() as conn:
        stored = set(
            conn.execute(
                text("SELECT code_hash FROM recovery_codes WHERE username = 'otto'")
            ).scalars()
        )
        dump = " ".join(str(v) for row in conn.execute(text("SELECT * FROM users")) for v in row)
    assert stored == {hashlib.sha256(c.replace("-", "").encode()).hexdigest() for c in codes}
    assert not any(code.replace("-", "") in dump for code in codes)
    assert client.get("/alerts").status_code == 200  # the enrolling session goes on
    assert [r.target for r in audit_rows(engine_of(app), "user.mfa_enrol")] == ["otto"]


def test_a_stolen_password_alone_signs_nobody_in(build_app: Callable[..., dash.Dash]) -> None:
    app = build_app()
    owner = app.server.test_client()
    login(owner, "otto")
    enrol(owner)
    thief = app.server.test_client()
    response = login(thief, "otto")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login/code")
    assert thief.get("/alerts").status_code == 302  # not signed in
    key = callback_key(app, "feeder.set_mode")
    assert post_callback(thief, app, key).status_code == 401
    for guess in ("000000", "123456", "999999"):
        status, _, _ = post(thief, "/login/code", code=guess)
        assert status == 401
    assert len(audit_rows(engine_of(app), "auth.second_factor", "failed")) == 3


def test_a_code_signs_in_once_and_a_recovery_code_once(
    build_app: Callable[..., dash.Dash],
) -> None:
    app = build_app()
    first = app.server.test_client()
    login(first, "otto")
    secret, codes, used = enrol(first)
    later = app.server.test_client()
    login(later, "otto")
    status, _, _ = post(later, "/login/code", code=used)
    assert status == 401  # overheard: the code the enrolment used, again
    status, location, _ = post(later, "/login/code", code=code_at(secret, 1))
    assert (status, location) == (302, "/")
    assert later.get("/alerts").status_code == 200
    third = app.server.test_client()
    login(third, "otto")
    assert post(third, "/login/code", code=codes[0].upper())[0] == 302  # any case, with dashes
    fourth = app.server.test_client()
    login(fourth, "otto")
    assert post(fourth, "/login/code", code=codes[0])[0] == 401  # used up
    rows = audit_rows(engine_of(app), "auth.login", "ok")
    assert "recovery" in str(rows[-1].detail)  # the third client's sign-in


def test_five_wrong_codes_start_the_sign_in_again(build_app: Callable[..., dash.Dash]) -> None:
    app = build_app()
    owner = app.server.test_client()
    login(owner, "otto")
    enrol(owner)
    client = app.server.test_client()
    login(client, "otto")
    for _ in range(4):
        assert post(client, "/login/code", code="000000")[0] == 401
    status, location, _ = post(client, "/login/code", code="000000")
    assert status == 302
    assert location.startswith("/login")
    assert client.get("/login/code").headers["Location"] == "/login"


def test_required_second_factor_comes_before_anything_else(
    build_app: Callable[..., dash.Dash],
) -> None:
    app = build_app(mfa_required=True)
    client = app.server.test_client()
    response = login(client, "otto")
    assert response.headers["Location"].startswith("/account")
    assert client.get("/alerts").status_code == 302  # not signed in until enrolled
    key = callback_key(app, "feeder.set_mode")
    assert post_callback(client, app, key).status_code == 401
    secret, _codes, _used = enrol(client)
    assert client.get("/alerts").status_code == 200
    viewer = app.server.test_client()
    assert login(viewer, "vera").headers["Location"] == "/"  # viewers are not asked
    # and with a factor, the code is asked for at every sign-in
    again = app.server.test_client()
    assert login(again, "otto").headers["Location"].startswith("/login/code")
    # a password-only session can neither use the control room nor touch the factor
    assert post(again, "/account", action="off", code=code_at(secret, 1))[0] == 302
    assert again.get("/alerts").status_code == 302


def test_an_operator_signed_in_before_the_setting_must_enrol(app_url: str) -> None:
    engine = make_engine(app_url)
    try:
        before = create_app(make_settings(app_url, mqtt_url=NO_BROKER), engine=engine)
        client = signed_in(before, "operator")
        cookie = client.get_cookie("sp_session", domain="localhost")
        assert cookie is not None
        after = create_app(
            make_settings(app_url, mqtt_url=NO_BROKER, mfa_required=True), engine=engine
        )
        same = after.server.test_client()
        same.set_cookie("sp_session", cookie.value, domain="localhost")
        assert same.get("/alerts").headers["Location"].startswith("/account")
        key = callback_key(after, "feeder.set_mode")
        assert post_callback(same, after, key).status_code == 403
    finally:
        engine.dispose()


def test_turning_off_is_refused_when_the_role_requires_it(
    build_app: Callable[..., dash.Dash],
) -> None:
    app = build_app(mfa_required=True)
    client = app.server.test_client()
    login(client, "ada")
    secret, _codes, _used = enrol(client)
    status, _, page = post(client, "/account", action="off", code=code_at(secret, 1))
    assert status == 400
    assert "second factor" in page
    status, _, page = post(client, "/account", action="codes", code=code_at(secret, 1))
    assert status == 200
    assert len(codes_on(page)) == 10


def test_an_admin_resets_a_lost_factor_from_the_command_line(
    build_app: Callable[..., dash.Dash], app_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = build_app()
    client = app.server.test_client()
    login(client, "otto")
    enrol(client)
    assert client.get("/alerts").status_code == 200
    monkeypatch.setenv("SP_DATABASE_URL", app_url)
    assert cli.main(["users", "reset-mfa", "otto"]) == 0
    assert client.get("/alerts").status_code == 302  # their sessions ended
    fresh = app.server.test_client()
    assert login(fresh, "otto", PASSWORD).headers["Location"] == "/"  # no code asked any more
    with engine_of(app).connect() as conn:
        left = conn.execute(text("SELECT count(*) FROM recovery_codes")).scalar_one()
    assert left == 0
    assert [r.username for r in audit_rows(engine_of(app), "user.mfa_reset")] == ["cli"]
    assert cli.main(["users", "reset-mfa", "nobody"]) == 2


def test_codes_are_taken_once_in_either_store(store_url: str) -> None:
    engine = make_engine(store_url)
    now = datetime(2026, 3, 1, 10, 0, 10, tzinfo=UTC)
    later = now + timedelta(seconds=STEP_S)
    try:
        with engine.begin() as conn:
            secret = begin_enrolment(conn, "otto")
            codes = confirm_enrolment(conn, "otto", pyotp.TOTP(secret).at(now), now=now)
        totp = pyotp.TOTP(secret)
        with engine.begin() as conn:
            assert check_second_factor(conn, "otto", totp.at(now), now=now) is None  # taken
            assert check_second_factor(conn, "otto", totp.at(later), now=later) == "totp"
            assert check_second_factor(conn, "otto", codes[3], now=later) == "recovery"
            assert check_second_factor(conn, "otto", codes[3], now=later) is None
            assert recovery_codes_left(conn, "otto") == 9
    finally:
        engine.dispose()
