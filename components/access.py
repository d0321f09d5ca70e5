"""Who is asking, what they may do, and the audit row of every action and every denial.

Roles rank viewer < operator < admin (DESIGN §7). Authorization is decided on the server inside
each state-changing callback, never by hiding buttons. The guard names the least role and the
audit action once, and hands the authorised user to the callback as its first argument:

    @callback(Output(ids.X, "children"), Input(ids.BUTTON, "n_clicks"), prevent_initial_call=True)
    @access.state_changing("operator", "feeder.move_house")
    def confirm_move(user: access.Authorized, n_clicks: int | None) -> str:
        ...
        store_function(conn, ..., actor=user.username, address=user.address)  # same action
        user.audit(house, {"why": note, "reason": blocker}, outcome="failed")

`state_changing` checks the signed-in user before the body runs, and marks the function so that
the security matrix test (tests/dashboard/test_access_matrix.py) finds it in the app's callback
map; every other server-side callback is marked `@access.read_only`. A test fails when a
callback carries neither mark. The body names no action: the rows it writes itself go through
`Authorized.audit`, which writes the guard's action, and the store function it calls records
the same action, the guard naming the store's constant (users, contacts, routes, resends,
reports, acknowledgements). An operator's command is the exception by design: the guard's
`feeder.*` action is its authorization (a denial, a move the dry run blocks), and the command
service records what was sent as `command.<action>`, the command's own lifecycle.

A refusal is `Refused`, an HTTP 403 (werkzeug Forbidden) raised out of the callback, so a
direct POST to /_dash-update-component is answered 403 with no outputs; before it is raised
the denial is written to the audit log (who, action, target, role, address; repeats within a
minute are counted on one row, store/denials.py). Anonymous callers never reach a callback:
components/auth.py answers them 401.

A session is signed in while three things hold, checked on every request by `load_user`: its
user exists and is enabled, the session's epoch is the user's current one (a logout, a
disabling, a role or password change and a reset of the second factor move the user to a new
epoch, store/users.py), and it began less than SP_SESSION_LIFETIME_S ago, however active it was.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Concatenate, Final, ParamSpec, TypeVar

import flask
import flask_login
from sqlalchemy import Connection
from werkzeug.exceptions import Forbidden

from components import runtime
from store.audit import audit
from store.denials import record_denial as record_folded_denial
from store.schema import ROLES
from store.users import session_user

log = logging.getLogger("dashboard.access")

ROLE_RANK: Final = {role: rank for rank, role in enumerate(ROLES)}
"""viewer 0 < operator 1 < admin 2."""

GUARD_ATTRIBUTE: Final = "__sp_guard__"
"""Where `state_changing` and `read_only` leave their mark on a callback function."""

SESSION_STARTED: Final = "sp_at"
"""Session key: when the sign-in happened [epoch s]; the absolute lifetime counts from it."""
SESSION_SECOND_FACTOR: Final = "sp_mfa"
"""Session key: whether the sign-in proved a second factor."""
SECOND_FACTOR_ROLE: Final = "operator"
"""The least role that SP_MFA_REQUIRED makes sign in with a second factor."""

P = ParamSpec("P")
R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class Identity:
    """A signed-in, enabled user as of this request."""

    username: str
    role: str
    session_epoch: int = 0
    second_factor: bool = False
    """Whether this session's sign-in proved a second factor."""


@dataclass(frozen=True, slots=True)
class Authorized:
    """The signed-in user a state-changing callback runs for, with its guard's audit action."""

    username: str
    role: str
    action: str
    """The audit action the guard names; every row this user writes here records it."""
    address: str | None = None
    """The caller's IP address (see `client_address`)."""

    def audit(
        self,
        target: str = "",
        detail: Mapping[str, Any] | None = None,
        *,
        outcome: str = "ok",
        conn: Connection | None = None,
    ) -> None:
        """Write this action's audit row (outcome "ok" or "failed").

        On `conn` it commits with the change it records; without one it is written on its own
        (for an attempt that changed nothing).
        """
        if conn is None:
            with runtime.engine().begin() as own:
                self.audit(target, detail, outcome=outcome, conn=own)
            return
        audit(
            conn,
            actor=self.username,
            action=self.action,
            target=(target or "")[:128],
            outcome=outcome,
            detail=dict(detail or {}),
            address=self.address,
        )


@dataclass(frozen=True, slots=True)
class Guard:
    """The mark of a callback: the least role it needs and its audit action, or read-only."""

    minimum_role: str | None  # None: read-only
    action: str | None

    @property
    def changes_state(self) -> bool:
        """Return whether the callback changes anything."""
        return self.minimum_role is not None


READ_ONLY: Final = Guard(minimum_role=None, action=None)


class Refused(Forbidden):
    """The signed-in user's role is below what the action needs (HTTP 403)."""


class LoginUser(flask_login.UserMixin):  # type: ignore[misc]
    """The flask-login user object: a username and the role read from the store this request."""

    def __init__(self, identity: Identity) -> None:
        self.identity = identity

    def get_id(self) -> str:
        """Return what the session keeps: "username:epoch"."""
        return f"{self.identity.username}:{self.identity.session_epoch}"


def load_user(user_id: str) -> LoginUser | None:
    """Return the user of this request's session, or None (flask-login's user loader).

    The user is read from the store on every request: a disabled user, a session of an older
    epoch and a session older than the absolute lifetime are not signed in.
    """
    username, _, epoch = user_id.rpartition(":")
    if not username or not epoch.isdigit() or not session_is_fresh():
        return None
    with runtime.engine().connect() as conn:
        user = session_user(conn, username)
    if user is None or user.disabled or user.session_epoch != int(epoch):
        return None
    second_factor = flask.session.get(SESSION_SECOND_FACTOR) is True
    return LoginUser(Identity(user.username, user.role, user.session_epoch, second_factor))


def session_is_fresh(now: float | None = None) -> bool:
    """Return whether this request's session began within the absolute session lifetime."""
    started = flask.session.get(SESSION_STARTED)
    if not isinstance(started, int):
        return False
    now = time.time() if now is None else now
    return started - 60 <= now < started + runtime.settings().session_lifetime_s


def needs_second_factor(identity: Identity) -> bool:
    """Return whether SP_MFA_REQUIRED makes this user prove a second factor they have not."""
    return (
        runtime.settings().mfa_required
        and has_role(SECOND_FACTOR_ROLE, identity)
        and not identity.second_factor
    )


def check_role(role: str) -> str:
    """Return `role` if it is a role, else raise ValueError."""
    if role not in ROLE_RANK:
        raise ValueError(f"{role!r} is not one of {', '.join(ROLES)}")
    return role


def current_user() -> Identity | None:
    """Return the signed-in user of this request, or None when anonymous."""
    user = flask_login.current_user
    if user is None or not user.is_authenticated:
        return None
    identity = user.identity
    assert isinstance(identity, Identity)
    return identity


def has_role(minimum_role: str, identity: Identity | None = None) -> bool:
    """Return whether the user (default: this request's) holds `minimum_role` or above."""
    identity = current_user() if identity is None else identity
    if identity is None:
        return False
    return ROLE_RANK.get(identity.role, -1) >= ROLE_RANK[check_role(minimum_role)]


def client_address() -> str | None:
    """Return the caller's IP address, or None outside a request.

    Behind SP_TRUSTED_PROXIES reverse proxies it is the address they forwarded (ProxyFix).
    """
    return flask.request.remote_addr if flask.has_request_context() else None


def authorize(minimum_role: str, action: str, target: str | None = None) -> str:
    """Return the username if the caller holds `minimum_role`, else audit the denial and refuse.

    For a callback that reads what only some roles may see; a state-changing callback is
    authorized by its guard (`state_changing`). Raises Refused (HTTP 403) after writing an
    audit_log row with outcome "denied".
    """
    return authorized(minimum_role, action, target).username


def authorized(minimum_role: str, action: str, target: str | None = None) -> Authorized:
    """Return the caller as authorised for `action`, else audit the denial and refuse."""
    identity = current_user()
    if identity is not None and has_role(minimum_role, identity):
        return Authorized(identity.username, identity.role, action, client_address())
    record_denial(identity, minimum_role, action, target)
    raise Refused(f"{action} needs the {minimum_role} role")


def record_denial(
    identity: Identity | None,
    minimum_role: str,
    action: str,
    target: str | None,
    detail: Mapping[str, Any] | None = None,
) -> None:
    """Write the audit row of a refused action (a repeat within a minute is counted on it)."""
    role = identity.role if identity is not None else "anonymous"
    with runtime.engine().begin() as conn:
        record_folded_denial(
            conn,
            actor=identity.username if identity is not None else None,
            action=action,
            target=(target or "")[:128],
            detail={"role": role, "required": minimum_role, **(detail or {})},
            address=client_address(),
        )
    log.warning(
        "denied %s on %r to %s (%s)",
        action,
        target or "",
        identity.username if identity else "anonymous",
        role,
    )


def audit_action(
    action: str,
    target: str | None = None,
    detail: Mapping[str, Any] | None = None,
    *,
    outcome: str = "ok",
) -> None:
    """Write the audit row of a read the signed-in user made (an export, a download).

    A state-changing callback writes its rows with the `Authorized` its guard passes in.
    """
    identity = current_user()
    with runtime.engine().begin() as conn:
        audit(
            conn,
            actor=identity.username if identity is not None else None,
            action=action,
            target=target or "",
            outcome=outcome,
            detail=dict(detail or {}),
            address=client_address(),
        )


def state_changing(
    minimum_role: str, action: str
) -> Callable[[Callable[Concatenate[Authorized, P], R]], Callable[P, R]]:
    """Guard a state-changing callback (place it under @callback): authorize every call for
    `minimum_role` and pass the authorised user, bound to `action`, as the first argument."""
    check_role(minimum_role)
    guard = Guard(minimum_role=minimum_role, action=action)

    def decorate(func: Callable[Concatenate[Authorized, P], R]) -> Callable[P, R]:
        @functools.wraps(func)
        def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
            return func(authorized(minimum_role, action), *args, **kwargs)

        setattr(guarded, GUARD_ATTRIBUTE, guard)
        return guarded

    return decorate


def read_only(func: Callable[P, R]) -> Callable[P, R]:
    """Mark a callback as changing nothing (it still needs a signed-in user)."""
    setattr(func, GUARD_ATTRIBUTE, READ_ONLY)
    return func


def guard_of(func: Callable[..., Any]) -> Guard | None:
    """Return the mark of a callback function, looking through decorators; None if unmarked."""
    seen: Callable[..., Any] | None = func
    while seen is not None:
        guard = getattr(seen, GUARD_ATTRIBUTE, None)
        if isinstance(guard, Guard):
            return guard
        seen = getattr(seen, "__wrapped__", None)
    return None
