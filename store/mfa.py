"""The second factor of a sign-in: TOTP (RFC 6238, with pyotp) and one-time recovery codes.

Enrolment: `begin_enrolment` keeps a fresh secret as the user's pending one and returns it (the
control room shows it as a QR code); `confirm_enrolment` checks a code from the authenticator
against it, makes it the user's factor, ends their other sessions and returns ten recovery
codes, which the store keeps only as SHA-256 hashes. Sign-in: `check_second_factor` accepts a
current code once (its 30 s step must be newer than the last one accepted, so an overheard code
cannot be replayed) or an unused recovery code, which is deleted. `reset` removes the factor and
ends every session (what an admin does for a lost phone: `python -m store users reset-mfa`).

Like store.users, every function takes a connection, leaves the transaction to the caller and
writes the audit row of its change; `actor` None is the command line ("cli").
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from datetime import UTC, datetime
from typing import Final, Literal

import pyotp
from sqlalchemy import Connection, delete, func, select

from store.audit import CLI_ACTOR, audit
from store.schema import recovery_codes, users
from store.users import UserError, bump_session_epoch, check_username

log = logging.getLogger("store.mfa")

ISSUER: Final = "SmartPhase"
"""The issuer an authenticator app lists the account under."""

STEP_S: Final = 30
"""TOTP time step [s] (RFC 6238's default, what every authenticator app uses)."""

DRIFT_STEPS: Final = 1
"""Steps of clock drift accepted either side of now."""

RECOVERY_COUNT: Final = 10
"""Recovery codes issued at a time."""

RECOVERY_ALPHABET: Final = "abcdefghjkmnpqrstuvwxyz23456789"
"""Letters and digits of a recovery code, without the look-alikes i, l, o, 0 and 1."""

RECOVERY_LENGTH: Final = 16
"""Characters of a recovery code (about 79 bits), shown in groups of four."""

SecondFactor = Literal["totp", "recovery"]


def new_secret() -> str:
    """Return a fresh random TOTP secret (base32, 160 bits)."""
    return pyotp.random_base32()


def provisioning_uri(secret: str, username: str) -> str:
    """Return the otpauth:// URI an authenticator app reads from the enrolment QR code."""
    return pyotp.TOTP(secret, interval=STEP_S).provisioning_uri(name=username, issuer_name=ISSUER)


def code_step(secret: str, code: str, now: datetime) -> int | None:
    """Return the time step a 6-digit `code` belongs to, within the drift of `now`, or None."""
    code = "".join(code.split())
    if len(code) != 6 or not code.isascii() or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret, interval=STEP_S)
    step = totp.timecode(now)
    found = None
    for candidate in range(step - DRIFT_STEPS, step + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(candidate), code):
            found = candidate
    return found


def recovery_hash(code: str) -> str | None:
    """Return the stored form of a recovery code as typed (any case, dashes, spaces), or None
    when it cannot be one."""
    plain = "".join(ch for ch in code.lower() if ch not in "- \t")
    if len(plain) != RECOVERY_LENGTH or any(ch not in RECOVERY_ALPHABET for ch in plain):
        return None
    return hashlib.sha256(plain.encode("ascii")).hexdigest()


def begin_enrolment(conn: Connection, username: str) -> str:
    """Keep a fresh secret as the user's pending one and return it, or raise UserError."""
    check_username(username)
    secret = new_secret()
    done = conn.execute(
        users.update().where(users.c.username == username).values(totp_pending=secret)
    )
    if done.rowcount != 1:
        raise UserError("username", f"no user {username!r}")
    return secret


def pending_secret(conn: Connection, username: str) -> str | None:
    """Return the secret shown for enrolment and not yet confirmed, or None."""
    return conn.execute(
        select(users.c.totp_pending).where(users.c.username == username)
    ).scalar_one_or_none()


def confirm_enrolment(
    conn: Connection, username: str, code: str, *, now: datetime | None = None
) -> list[str]:
    """Make the pending secret the user's factor if `code` matches it; return recovery codes.

    Every other session of the user ends (the caller signs this one in again). Raises UserError
    naming the field `code` when the code does not match, or `username` without a pending secret.
    """
    now = now or datetime.now(UTC)
    secret = pending_secret(conn, username)
    if secret is None:
        raise UserError("username", "no enrolment under way; start again")
    step = code_step(secret, code, now)
    if step is None:
        raise UserError("code", "does not match the authenticator's code")
    conn.execute(
        users.update()
        .where(users.c.username == username)
        .values(totp_secret=secret, totp_pending=None, totp_step=step, updated_at=now)
    )
    bump_session_epoch(conn, username)
    codes = _replace_recovery_codes(conn, username, now)
    _audit(conn, username, "user.mfa_enrol", username, now)
    log.info("user %s: two-factor sign-in on", username)
    return codes


def check_second_factor(
    conn: Connection, username: str, code: str, *, now: datetime | None = None
) -> SecondFactor | None:
    """Return how `code` proves the user's second factor ("totp" or "recovery"), or None.

    A TOTP code is accepted once; a recovery code is deleted when used.
    """
    now = now or datetime.now(UTC)
    secret = conn.execute(
        select(users.c.totp_secret).where(users.c.username == username)
    ).scalar_one_or_none()
    if secret is None:
        return None
    step = code_step(secret, code, now)
    if step is not None:
        newer = (users.c.totp_step.is_(None)) | (users.c.totp_step < step)
        taken = conn.execute(
            users.update().where(users.c.username == username, newer).values(totp_step=step)
        )
        return "totp" if taken.rowcount == 1 else None
    digest = recovery_hash(code)
    if digest is None:
        return None
    used = conn.execute(
        delete(recovery_codes).where(
            recovery_codes.c.username == username, recovery_codes.c.code_hash == digest
        )
    )
    return "recovery" if used.rowcount == 1 else None


def new_recovery_codes(
    conn: Connection, username: str, code: str, *, now: datetime | None = None
) -> list[str]:
    """Replace the user's recovery codes after checking a current TOTP code; return them."""
    now = now or datetime.now(UTC)
    if check_second_factor(conn, username, code, now=now) != "totp":
        raise UserError("code", "does not match the authenticator's code")
    codes = _replace_recovery_codes(conn, username, now)
    _audit(conn, username, "user.mfa_codes", username, now)
    return codes


def turn_off(conn: Connection, username: str, code: str, *, now: datetime | None = None) -> None:
    """Remove the user's own second factor after checking a current TOTP code."""
    now = now or datetime.now(UTC)
    if check_second_factor(conn, username, code, now=now) != "totp":
        raise UserError("code", "does not match the authenticator's code")
    _remove(conn, username, now)
    _audit(conn, username, "user.mfa_off", username, now)


def reset(
    conn: Connection, username: str, *, actor: str | None = None, now: datetime | None = None
) -> None:
    """Remove a user's second factor and end their sessions (an admin's act), or raise."""
    check_username(username)
    now = now or datetime.now(UTC)
    if conn.execute(select(users.c.username).where(users.c.username == username)).first() is None:
        raise UserError("username", f"no user {username!r}")
    _remove(conn, username, now)
    _audit(conn, actor or CLI_ACTOR, "user.mfa_reset", username, now)
    log.info("user %s: second factor reset", username)


def recovery_codes_left(conn: Connection, username: str) -> int:
    """Return how many unused recovery codes the user has."""
    return int(
        conn.execute(select(func.count()).where(recovery_codes.c.username == username)).scalar_one()
    )


def _remove(conn: Connection, username: str, now: datetime) -> None:
    conn.execute(
        users.update()
        .where(users.c.username == username)
        .values(totp_secret=None, totp_pending=None, totp_step=None, updated_at=now)
    )
    conn.execute(delete(recovery_codes).where(recovery_codes.c.username == username))
    bump_session_epoch(conn, username)


def _replace_recovery_codes(conn: Connection, username: str, now: datetime) -> list[str]:
    conn.execute(delete(recovery_codes).where(recovery_codes.c.username == username))
    codes = [
        "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))
        for _ in range(RECOVERY_COUNT)
    ]
    conn.execute(
        recovery_codes.insert(),
        [
            {"username": username, "code_hash": recovery_hash(code), "created_at": now}
            for code in codes
        ],
    )
    return ["-".join(code[i : i + 4] for i in range(0, RECOVERY_LENGTH, 4)) for code in codes]


def _audit(conn: Connection, actor: str, action: str, target: str, now: datetime) -> None:
    audit(conn, actor=actor, action=action, target=target, outcome="ok", detail={}, ts=now)
