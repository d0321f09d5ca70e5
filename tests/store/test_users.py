"""Users: scrypt hashes, verification, roles, disabling, and an audit row for every change."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, select

from store.audit import audit
from store.schema import audit_log, users
from store.users import (
    User,
    UserError,
    add_user,
    check_password,
    hash_password,
    list_users,
    set_disabled,
    set_password,
    set_role,
    verify_password,
)

PASSWORD = "kerala-grid-2024"
T0 = datetime(2024, 6, 1, 6, 30, tzinfo=UTC)


def snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Return every row of users and audit_log."""
    with engine.connect() as conn:
        return {
            table.name: [tuple(row) for row in conn.execute(select(table).order_by(*table.c))]
            for table in (users, audit_log)
        }


def audit_rows(engine: Engine) -> list[Any]:
    """Return the audit log in order."""
    with engine.connect() as conn:
        return list(conn.execute(select(audit_log).order_by(audit_log.c.entry_id)))


@pytest.fixture
def admin(engine: Engine) -> Engine:
    """Return the engine of a database with one admin, 'asha'."""
    with engine.begin() as conn:
        add_user(conn, "asha", PASSWORD, "admin", now=T0)
    return engine


# --- hashing ---------------------------------------------------------------------------------


def test_hash_format_is_scrypt_with_stated_parameters() -> None:
    encoded = hash_password(PASSWORD)
    scheme, n, r, p, salt, key = encoded.split("$")
    assert (scheme, n, r, p) == ("scrypt", "16384", "8", "1")
    assert len(base64.b64decode(salt)) == 16
    assert len(base64.b64decode(key)) == 64
    assert hash_password(PASSWORD) != encoded  # a fresh salt each time
    assert check_password(PASSWORD, encoded)
    assert not check_password(PASSWORD + "x", encoded)


@pytest.mark.parametrize(
    "encoded",
    [
        "",
        "argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA",
        "scrypt$16384$8$1$not base64!$aGFzaA==",
        "scrypt$x$8$1$c2FsdA==$aGFzaA==",
        "scrypt$4194304$8$1$c2FsdA==$aGFzaA==",  # n too large for a stored hash
        "scrypt$16384$8$1$c2FsdA==$",
        "scrypt$16384$8$1$c2FsdA==",
    ],
)
def test_malformed_hash_never_matches(encoded: str) -> None:
    assert not check_password(PASSWORD, encoded)


# --- verification ----------------------------------------------------------------------------


def test_verify_returns_role_only_for_the_right_password(admin: Engine) -> None:
    with admin.begin() as conn:
        add_user(conn, "op.kochi", PASSWORD, "operator")
    with admin.connect() as conn:
        assert verify_password(conn, "asha", PASSWORD) == "admin"
        assert verify_password(conn, "op.kochi", PASSWORD) == "operator"
        assert verify_password(conn, "asha", PASSWORD.upper()) is None
        assert verify_password(conn, "asha", "") is None
        assert verify_password(conn, "nobody", PASSWORD) is None
        assert verify_password(conn, "not a name", PASSWORD) is None
        stored = conn.execute(select(users.c.password_hash)).scalars().all()
    assert all(PASSWORD not in value for value in stored)


def test_disabled_user_cannot_verify(admin: Engine) -> None:
    with admin.begin() as conn:
        add_user(conn, "viewer1", PASSWORD, "viewer")
        set_disabled(conn, "viewer1", True)
    with admin.connect() as conn:
        assert verify_password(conn, "viewer1", PASSWORD) is None
    with admin.begin() as conn:
        set_disabled(conn, "viewer1", False)
    with admin.connect() as conn:
        assert verify_password(conn, "viewer1", PASSWORD) == "viewer"


def test_set_role_and_set_password(admin: Engine) -> None:
    with admin.begin() as conn:
        add_user(conn, "ravi", PASSWORD, "viewer")
        set_role(conn, "ravi", "operator", actor="asha")
        set_password(conn, "ravi", "another-long-one", actor="asha")
    with admin.connect() as conn:
        assert verify_password(conn, "ravi", PASSWORD) is None
        assert verify_password(conn, "ravi", "another-long-one") == "operator"


def test_list_users_is_sorted_and_has_no_hash(admin: Engine) -> None:
    with admin.begin() as conn:
        add_user(conn, "zed", PASSWORD, "viewer", now=T0)
        add_user(conn, "Bina", PASSWORD, "operator", now=T0)
        set_disabled(conn, "zed", True, now=T0)
    with admin.connect() as conn:
        listed = list_users(conn)
    assert [user.username for user in listed] == sorted(["asha", "zed", "Bina"])
    assert listed[-1] == User("zed", "viewer", True, T0, T0)
    assert not hasattr(listed[0], "password_hash")


# --- the audit log ---------------------------------------------------------------------------


def test_every_change_is_audited_without_the_password(admin: Engine) -> None:
    with admin.begin() as conn:
        add_user(conn, "ravi", PASSWORD, "viewer", actor="asha")
        set_role(conn, "ravi", "operator")
        set_disabled(conn, "ravi", True, actor="asha")
        set_disabled(conn, "ravi", False, actor="asha")
        set_password(conn, "ravi", "another-long-one", actor="asha")
    rows = audit_rows(admin)
    assert [(row.username, row.action, row.target, row.outcome, row.address) for row in rows] == [
        ("cli", "user.add", "asha", "ok", None),
        ("asha", "user.add", "ravi", "ok", None),
        ("cli", "user.set_role", "ravi", "ok", None),
        ("asha", "user.disable", "ravi", "ok", None),
        ("asha", "user.enable", "ravi", "ok", None),
        ("asha", "user.set_password", "ravi", "ok", None),
    ]
    assert rows[0].ts == T0
    assert rows[1].detail == {"role": "viewer"}
    assert rows[2].detail == {"role": "operator", "was": "viewer"}
    text = json.dumps([row.detail for row in rows])
    assert PASSWORD not in text
    assert "another-long-one" not in text
    assert "scrypt" not in text


def test_audit_helper_writes_one_row(engine: Engine) -> None:
    with engine.begin() as conn:
        audit(
            conn,
            actor=None,
            action="login",
            target="mallory",
            outcome="failed",
            detail={"reason": "bad password"},
            address="203.0.113.9",
            ts=T0,
        )
    [row] = audit_rows(engine)
    assert (row.ts, row.username, row.action, row.target, row.outcome) == (
        T0,
        None,
        "login",
        "mallory",
        "failed",
    )
    assert row.detail == {"reason": "bad password"}
    assert row.address == "203.0.113.9"


def test_audit_helper_refuses_an_unknown_outcome(engine: Engine) -> None:
    with pytest.raises(ValueError, match="outcome 'maybe'"), engine.begin() as conn:
        audit(conn, actor="a", action="x", target="", outcome="maybe", detail={})


# --- errors: each names its field and changes nothing ------------------------------------------


@pytest.mark.parametrize(
    ("name", "password", "role", "field", "reason"),
    [
        ("has space", PASSWORD, "viewer", "username", "'has space' is not 1 to 64 letters"),
        ("", PASSWORD, "viewer", "username", "'' is not 1 to 64"),
        ("x" * 65, PASSWORD, "viewer", "username", "is not 1 to 64"),
        ("ünïcode", PASSWORD, "viewer", "username", "is not 1 to 64"),
        ("ravi", PASSWORD, "root", "role", "'root' is not one of viewer, operator, admin"),
        ("ravi", PASSWORD, "", "role", "'' is not one of"),
        ("ravi", "short-pw", "viewer", "password", "must be at least 10 characters"),
        ("ravi", " padded-password ", "viewer", "password", "whitespace"),
        ("ravi", "p" * 1025, "viewer", "password", "at most 1024"),
        ("asha", PASSWORD, "viewer", "username", "'asha' already exists"),
    ],
)
def test_add_user_errors_name_the_field(
    admin: Engine, name: str, password: str, role: str, field: str, reason: str
) -> None:
    before = snapshot(admin)
    with pytest.raises(UserError) as caught, admin.begin() as conn:
        add_user(conn, name, password, role)
    assert caught.value.field == field
    assert str(caught.value).startswith(f"{field}: ")
    assert reason in str(caught.value)
    assert snapshot(admin) == before


def test_changes_to_an_unknown_user_are_errors(admin: Engine) -> None:
    before = snapshot(admin)
    changes: list[Callable[[Connection], None]] = [
        lambda conn: set_role(conn, "ghost", "viewer"),
        lambda conn: set_disabled(conn, "ghost", True),
        lambda conn: set_password(conn, "ghost", PASSWORD),
    ]
    for change in changes:
        with pytest.raises(UserError, match="username: no user 'ghost'"), admin.begin() as conn:
            change(conn)
    with pytest.raises(UserError, match="role: 'boss' is not one of"), admin.begin() as conn:
        set_role(conn, "asha", "boss")
    assert snapshot(admin) == before


def test_the_last_enabled_admin_stays(admin: Engine) -> None:
    before = snapshot(admin)
    with pytest.raises(UserError, match="'asha' is the last enabled admin"), admin.begin() as conn:
        set_role(conn, "asha", "operator")
    with pytest.raises(UserError, match="'asha' is the last enabled admin"), admin.begin() as conn:
        set_disabled(conn, "asha", True)
    assert snapshot(admin) == before
    with admin.begin() as conn:
        add_user(conn, "second", PASSWORD, "admin")
        set_disabled(conn, "asha", True)
    with (
        pytest.raises(UserError, match="'second' is the last enabled admin"),
        admin.begin() as conn,
    ):
        set_role(conn, "second", "viewer")
