"""The sign-in rate limit, counted atomically in the store so that every dashboard worker sees the
same numbers, concurrent guesses cannot slip past it and a restart does not reset it.

Counters live in `login_limits`, one row per key over a fixed window: `address:<ip>` per
caller, `account:<username>` for a password and `totp:<username>` for a second factor. An
attempt is counted before its password is checked (one UPSERT ... RETURNING), so that a burst of
concurrent guesses is counted in full; a successful sign-in forgives its address's count and
clears its account's.

- An address past `max_failures` in the window is refused (HTTP 429) until the window ends: the
  caller is the attacker, so the block falls on them.
- An account at `max_failures` in the window, from any addresses, is never locked (that would
  let anyone lock anyone out): from then on it takes one attempt per `account_delay_s`,
  whoever makes it.
  Attempts refused for the delay count against their address, so keeping an account busy costs
  an attacker their addresses.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import Connection, case, delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from store.schema import login_limits

LOGIN_ACTION: Final = "auth.login"
LOGOUT_ACTION: Final = "auth.logout"
SECOND_FACTOR_ACTION: Final = "auth.second_factor"

KEY_MAX: Final = 200
"""Longest counter key [characters] (the `login_limits.key` column)."""


@dataclass(frozen=True, slots=True)
class LoginLimits:
    """How many failures a window allows and how an account past them is slowed down."""

    max_failures: int
    window_s: int  # [s]
    account_delay_s: int  # [s]


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why an attempt is refused and when to try again [s]."""

    reason: str  # "address" or "account"
    retry_after_s: int


def address_key(address: str | None) -> str:
    """Return the counter key of a caller's address."""
    return f"address:{address or 'unknown'}"[:KEY_MAX]


def account_key(username: str, factor: str = "account") -> str:
    """Return the counter key of an account's password ("account") or second factor ("totp")."""
    return f"{factor}:{username[:64]}"


def admit(
    conn: Connection,
    *,
    keys: tuple[str, str],
    now: datetime,
    limits: LoginLimits,
) -> Refusal | None:
    """Count an attempt against an address key and an account key; return a Refusal or None.

    Run it in a transaction of its own, committed before the password or code is checked.
    """
    address, account = keys
    failures, started = count_attempt(conn, address, now, limits.window_s)
    if failures > limits.max_failures:
        ends = started + timedelta(seconds=limits.window_s)
        return Refusal("address", _seconds(ends - now))
    failures, _started = count_attempt(conn, account, now, limits.window_s)
    if failures >= limits.max_failures:  # the last allowed attempt starts the delay
        wait = take_turn(conn, account, now, limits.account_delay_s)
        if wait is not None:
            return Refusal("account", wait)
    return None


def settle(
    conn: Connection, *, keys: tuple[str, str], ok: bool, now: datetime, limits: LoginLimits
) -> None:
    """After a successful check, forgive the address's attempt and clear the account's count.

    A failed check leaves both counted. Counters whose window and delay are over are dropped.
    """
    if not ok:
        return
    address, account = keys
    conn.execute(
        update(login_limits)
        .where(login_limits.c.key == address, login_limits.c.failures > 0)
        .values(failures=login_limits.c.failures - 1)
    )
    conn.execute(delete(login_limits).where(login_limits.c.key == account))
    prune(conn, now, limits.window_s)


def count_attempt(conn: Connection, key: str, now: datetime, window_s: int) -> tuple[int, datetime]:
    """Add one attempt to a counter, atomically; return its count and its window's start.

    A counter whose window began `window_s` or longer ago starts a new window with this attempt.
    """
    t = login_limits.c
    expired = t.window_start <= now - timedelta(seconds=window_s)
    sqlite = conn.dialect.name == "sqlite"
    insert = sqlite_insert(login_limits) if sqlite else pg_insert(login_limits)
    stmt = (
        insert.values(key=key, window_start=now, failures=1, next_at=None)
        .on_conflict_do_update(
            index_elements=[t.key],
            set_={
                "failures": case((expired, 1), else_=t.failures + 1),
                "window_start": case((expired, insert.excluded.window_start), else_=t.window_start),
                "next_at": case((expired, None), else_=t.next_at),
            },
        )
        .returning(t.failures, t.window_start)
    )
    failures, started = conn.execute(stmt).one()
    return int(failures), started


def take_turn(conn: Connection, key: str, now: datetime, delay_s: int) -> int | None:
    """Take the next turn of a slowed-down account: None when taken, else the wait [s]."""
    t = login_limits.c
    taken = conn.execute(
        update(login_limits)
        .where(t.key == key, t.next_at.is_(None) | (t.next_at <= now))
        .values(next_at=now + timedelta(seconds=delay_s))
    )
    if taken.rowcount == 1:
        return None
    next_at = conn.execute(select(t.next_at).where(t.key == key)).scalar_one_or_none()
    return _seconds(next_at - now) if next_at is not None else delay_s


def prune(conn: Connection, now: datetime, window_s: int) -> int:
    """Drop counters whose window ended and whose delay is over; return how many."""
    t = login_limits.c
    done = conn.execute(
        delete(login_limits).where(
            t.window_start <= now - timedelta(seconds=window_s),
            t.next_at.is_(None) | (t.next_at <= now),
        )
    )
    return int(done.rowcount)


def _seconds(span: timedelta) -> int:
    return max(1, math.ceil(span.total_seconds()))
