"""Dashboard users: scrypt password hashes, roles, disabling, each change in the audit log.

Every function takes a connection and leaves the transaction to the caller, so that a change
and its audit row commit together. `actor` is who makes the change (None: the command line,
recorded as "cli"). Passwords never reach the audit log or the logs.

Each user has a session epoch that every one of their sessions carries (components/access.py):
a role change, a disabling, a new password, a reset of the second factor and a logout bump it,
and a session from an older epoch is no longer signed in.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import Connection, Row, func, select

from grid.errors import FieldError
from store.audit import CLI_ACTOR, audit
from store.schema import ROLES, users

log = logging.getLogger("store.users")

ADD_ACTION: Final = "user.add"
ROLE_ACTION: Final = "user.set_role"
DISABLE_ACTION: Final = "user.disable"
ENABLE_ACTION: Final = "user.enable"
"""The audit actions of the user changes (the users page's guards name the same)."""

USERNAME_PATTERN: Final = re.compile(r"[A-Za-z0-9_.-]{1,64}")
"""A username: 1 to 64 letters, digits, '_', '.' or '-'."""

PASSWORD_MIN: Final = 10
"""Shortest accepted password [characters]."""

PASSWORD_MAX: Final = 1024
"""Longest accepted password [characters]."""

SCRYPT_N: Final = 2**14
SCRYPT_R: Final = 8
SCRYPT_P: Final = 1
SALT_BYTES: Final = 16
KEY_BYTES: Final = 64
_SCRYPT_LIMITS: Final = {"n": 2**20, "r": 32, "p": 16}
"""Largest cost parameters accepted from a stored hash (a tampered row cannot exhaust memory)."""


class UserError(FieldError):
    """A user change that cannot be made; `field` names the culprit."""


@dataclass(frozen=True, slots=True)
class User:
    """A user as listed to administrators (never with the password hash)."""

    username: str
    role: str
    disabled: bool
    created_at: datetime
    updated_at: datetime
    mfa: bool = False
    """Whether the user signs in with a TOTP second factor."""


@dataclass(frozen=True, slots=True)
class SessionUser:
    """What a request needs to know about its signed-in user, read in one query."""

    username: str
    role: str
    disabled: bool
    session_epoch: int
    mfa: bool


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """Return "scrypt$n$r$p$salt_b64$hash_b64" for a password (a fresh random salt by default)."""
    salt = secrets.token_bytes(SALT_BYTES) if salt is None else salt
    key = _scrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P, KEY_BYTES)
    b64 = base64.b64encode
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${b64(salt).decode()}${b64(key).decode()}"


def check_password(password: str, encoded: str) -> bool:
    """Return whether `password` matches an encoded hash, comparing in constant time."""
    parts = encoded.split("$")
    if len(parts) != 6 or parts[0] != "scrypt":
        return False
    try:
        n, r, p = (int(part) for part in parts[1:4])
        salt = base64.b64decode(parts[4], validate=True)
        expected = base64.b64decode(parts[5], validate=True)
    except (ValueError, binascii.Error):
        return False
    limits = _SCRYPT_LIMITS
    if not (1 < n <= limits["n"] and 0 < r <= limits["r"] and 0 < p <= limits["p"]):
        return False
    if not expected or len(expected) > 1024:
        return False
    key = _scrypt(password, salt, n, r, p, len(expected))
    return hmac.compare_digest(key, expected)


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int, dklen: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=dklen, maxmem=256 * n * r + 2**20
    )


_NEXT_EPOCH: Final = users.c.session_epoch + 1
"""The update that ends every session of a user."""

_DUMMY_HASH: Final = hash_password("not a password of anyone", salt=bytes(SALT_BYTES))
"""Checked against for unknown users, so that a login takes as long for them as for others."""


def check_username(username: str) -> str:
    """Return `username` if it is well formed, else raise UserError."""
    if not isinstance(username, str) or USERNAME_PATTERN.fullmatch(username) is None:
        raise UserError("username", f"{username!r} is not 1 to 64 letters, digits, '_', '.' or '-'")
    return username


def check_role(role: str) -> str:
    """Return `role` if it is one of the roles, else raise UserError."""
    if role not in ROLES:
        raise UserError("role", f"{role!r} is not one of {', '.join(ROLES)}")
    return role


def check_new_password(password: str) -> str:
    """Return `password` if it is long enough and not too long, else raise UserError."""
    if not isinstance(password, str) or len(password) < PASSWORD_MIN:
        raise UserError("password", f"must be at least {PASSWORD_MIN} characters")
    if len(password) > PASSWORD_MAX:
        raise UserError("password", f"must be at most {PASSWORD_MAX} characters")
    if password != password.strip():
        raise UserError("password", "must not begin or end with whitespace")
    return password


def add_user(
    conn: Connection,
    username: str,
    password: str,
    role: str,
    *,
    actor: str | None = None,
    now: datetime | None = None,
) -> None:
    """Create an enabled user with a role, or raise UserError."""
    check_username(username)
    check_role(role)
    check_new_password(password)
    if _row(conn, username) is not None:
        raise UserError("username", f"{username!r} already exists")
    now = now or datetime.now(UTC)
    conn.execute(
        users.insert().values(
            username=username,
            password_hash=hash_password(password),
            role=role,
            disabled=False,
            created_at=now,
            updated_at=now,
        )
    )
    _audit(conn, actor, ADD_ACTION, username, {"role": role}, now)
    log.info("user %s added with role %s", username, role)


def set_role(
    conn: Connection,
    username: str,
    role: str,
    *,
    actor: str | None = None,
    now: datetime | None = None,
) -> None:
    """Change the role of a user, or raise UserError (never demote the last enabled admin)."""
    check_role(role)
    row = _existing(conn, username)
    if row.role == "admin" and role != "admin" and not row.disabled:
        _keep_an_admin(conn, username, "role")
    now = now or datetime.now(UTC)
    conn.execute(
        users.update()
        .where(users.c.username == username)
        .values(role=role, updated_at=now, session_epoch=_NEXT_EPOCH)
    )
    _audit(conn, actor, ROLE_ACTION, username, {"role": role, "was": row.role}, now)
    log.info("user %s: role %s → %s", username, row.role, role)


def set_disabled(
    conn: Connection,
    username: str,
    disabled: bool,
    *,
    actor: str | None = None,
    now: datetime | None = None,
) -> None:
    """Disable or enable a user, or raise UserError (never disable the last enabled admin)."""
    row = _existing(conn, username)
    if disabled and row.role == "admin" and not row.disabled:
        _keep_an_admin(conn, username, "username")
    now = now or datetime.now(UTC)
    conn.execute(
        users.update()
        .where(users.c.username == username)
        .values(disabled=disabled, updated_at=now, session_epoch=_NEXT_EPOCH)
    )
    action = DISABLE_ACTION if disabled else ENABLE_ACTION
    _audit(conn, actor, action, username, {"was_disabled": row.disabled}, now)
    log.info("user %s %s", username, "disabled" if disabled else "enabled")


def set_password(
    conn: Connection,
    username: str,
    password: str,
    *,
    actor: str | None = None,
    now: datetime | None = None,
) -> None:
    """Replace the password of a user, or raise UserError."""
    check_new_password(password)
    _existing(conn, username)
    now = now or datetime.now(UTC)
    conn.execute(
        users.update()
        .where(users.c.username == username)
        .values(password_hash=hash_password(password), updated_at=now, session_epoch=_NEXT_EPOCH)
    )
    _audit(conn, actor, "user.set_password", username, {}, now)
    log.info("user %s: password changed", username)


def end_sessions(
    conn: Connection,
    username: str,
    *,
    actor: str | None = None,
    now: datetime | None = None,
    audited: bool = True,
) -> None:
    """End every session of a user (their next request is anonymous), or raise UserError.

    A logout calls this with `audited=False`: the sign-out writes its own audit row.
    """
    _existing(conn, username)
    bump_session_epoch(conn, username)
    if audited:
        _audit(conn, actor, "user.end_sessions", username, {}, now or datetime.now(UTC))
    log.info("user %s: every session ended", username)


def bump_session_epoch(conn: Connection, username: str) -> None:
    """Move a user to a new session epoch (no audit row: the caller writes it)."""
    conn.execute(
        users.update().where(users.c.username == username).values(session_epoch=_NEXT_EPOCH)
    )


def session_user(conn: Connection, username: str) -> SessionUser | None:
    """Return the role, disabled flag, session epoch and second factor of a user, or None."""
    if not isinstance(username, str) or USERNAME_PATTERN.fullmatch(username) is None:
        return None
    row = conn.execute(
        select(
            users.c.username,
            users.c.role,
            users.c.disabled,
            users.c.session_epoch,
            users.c.totp_secret.is_not(None).label("mfa"),
        ).where(users.c.username == username)
    ).first()
    if row is None:
        return None
    return SessionUser(
        username=row.username,
        role=row.role,
        disabled=bool(row.disabled),
        session_epoch=int(row.session_epoch),
        mfa=bool(row.mfa),
    )


def verify_password(conn: Connection, username: str, password: str) -> str | None:
    """Return the role of an enabled user whose password matches, else None."""
    row = _row(conn, username) if USERNAME_PATTERN.fullmatch(username or "") else None
    if row is None:
        check_password(password, _DUMMY_HASH)
        return None
    matches = check_password(password, row.password_hash)
    if not matches or row.disabled:
        return None
    return str(row.role)


def list_users(conn: Connection) -> list[User]:
    """Return every user, by username."""
    rows = conn.execute(select(*_LISTED).order_by(users.c.username))
    return [_user(row) for row in rows]


def get_user(conn: Connection, username: str) -> User | None:
    """Return one user (never with the password hash), or None when there is no such user."""
    if not isinstance(username, str) or USERNAME_PATTERN.fullmatch(username) is None:
        return None
    row = conn.execute(select(*_LISTED).where(users.c.username == username)).first()
    return None if row is None else _user(row)


_LISTED: Final = (
    users.c.username,
    users.c.role,
    users.c.disabled,
    users.c.created_at,
    users.c.updated_at,
    users.c.totp_secret.is_not(None).label("mfa"),
)


def _user(row: Row[Any]) -> User:
    return User(
        username=row.username,
        role=row.role,
        disabled=bool(row.disabled),
        created_at=row.created_at,
        updated_at=row.updated_at,
        mfa=bool(row.mfa),
    )


def _row(conn: Connection, username: str) -> _UserRow | None:
    row = conn.execute(
        select(users.c.role, users.c.disabled, users.c.password_hash).where(
            users.c.username == username
        )
    ).first()
    if row is None:
        return None
    return _UserRow(role=row.role, disabled=bool(row.disabled), password_hash=row.password_hash)


@dataclass(frozen=True, slots=True)
class _UserRow:
    role: str
    disabled: bool
    password_hash: str


def _existing(conn: Connection, username: str) -> _UserRow:
    check_username(username)
    row = _row(conn, username)
    if row is None:
        raise UserError("username", f"no user {username!r}")
    return row


def _keep_an_admin(conn: Connection, username: str, field: str) -> None:
    others = conn.execute(
        select(func.count())
        .select_from(users)
        .where(users.c.role == "admin", users.c.disabled.is_(False), users.c.username != username)
    ).scalar_one()
    if others == 0:
        raise UserError(field, f"{username!r} is the last enabled admin")


def _audit(
    conn: Connection,
    actor: str | None,
    action: str,
    target: str,
    detail: dict[str, object],
    now: datetime,
) -> None:
    audit(
        conn,
        actor=actor or CLI_ACTOR,
        action=action,
        target=target,
        outcome="ok",
        detail=detail,
        ts=now,
    )
