"""Login attempts, counted from the audit log so that every dashboard worker sees the same
numbers: the login rate limit survives restarts and holds across gunicorn workers.

A failed login is an audit row `auth.login` with outcome "failed", no actor (the caller is not
signed in), the attempted username as target and the caller's address.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import Connection, func, select

from store.schema import audit_log

LOGIN_ACTION: Final = "auth.login"
LOGOUT_ACTION: Final = "auth.logout"


@dataclass(frozen=True, slots=True)
class LoginFailures:
    """Recent failed logins for one username and for one address."""

    by_user: int
    by_address: int


def login_failures(
    conn: Connection, *, username: str, address: str | None, since: datetime
) -> LoginFailures:
    """Return failed logins since `since`: for `username` (only those after its last successful
    login) and from `address` (all of them)."""
    t = audit_log.c
    last_ok = conn.execute(
        select(func.max(t.ts)).where(
            t.action == LOGIN_ACTION, t.outcome == "ok", t.username == username
        )
    ).scalar()
    user_since = max(since, last_ok) if last_ok is not None else since
    failed = (t.action == LOGIN_ACTION) & (t.outcome == "failed")
    by_user = conn.execute(
        select(func.count()).where(failed, t.target == username, t.ts >= user_since)
    ).scalar_one()
    by_address = 0
    if address is not None:
        by_address = conn.execute(
            select(func.count()).where(failed, t.address == address, t.ts >= since)
        ).scalar_one()
    return LoginFailures(by_user=int(by_user), by_address=int(by_address))
