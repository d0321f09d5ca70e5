"""Who is asking, what they may do, and the audit row of every action and every denial.

Roles rank viewer < operator < admin (DESIGN §7). Authorization is decided on the server inside
each state-changing callback, never by hiding buttons:

    @callback(Output(ids.X, "children"), Input(ids.BUTTON, "n_clicks"), prevent_initial_call=True)
    @access.state_changing("operator", "feeder.set_mode")
    def set_mode(n_clicks: int | None) -> str:
        user = access.authorize("operator", "feeder.set_mode", target=feeder_id)  # optional
        ...
        access.audit_action("feeder.set_mode", feeder_id, {"mode": "manual"})

`state_changing` calls `authorize(minimum_role, action)` before the body runs and marks the
function so that the security matrix test (tests/dashboard/test_access_matrix.py) finds it in
the app's callback map; every other server-side callback is marked `@access.read_only`. A test
fails when a callback carries neither mark.

A refusal is `Refused`, an HTTP 403 (werkzeug Forbidden) raised out of the callback, so a
direct POST to /_dash-update-component is answered 403 with no outputs; before it is raised
the denial is written to the audit log (who, action, target, role, address). Anonymous callers
never reach a callback: app.py answers them 401 (see components/session.py).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final, ParamSpec, TypeVar

import flask
import flask_login
from werkzeug.exceptions import Forbidden

from components import runtime
from store.audit import audit
from store.schema import ROLES
from store.users import get_user

log = logging.getLogger("dashboard.access")

ROLE_RANK: Final = {role: rank for rank, role in enumerate(ROLES)}
"""viewer 0 < operator 1 < admin 2."""

GUARD_ATTRIBUTE: Final = "__sp_guard__"
"""Where `state_changing` and `read_only` leave their mark on a callback function."""

P = ParamSpec("P")
R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class Identity:
    """A signed-in, enabled user as of this request."""

    username: str
    role: str


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
        """Return the session key: the username."""
        return self.identity.username


def load_user(username: str) -> LoginUser | None:
    """Return the enabled user `username` from the store, or None (flask-login's user loader).

    The role and the disabled flag are read on every request, so a role change or a disabling
    takes effect at the user's next request.
    """
    with runtime.engine().connect() as conn:
        user = get_user(conn, username)
    if user is None or user.disabled:
        return None
    return LoginUser(Identity(user.username, user.role))


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
    """Return the caller's IP address, or None outside a request."""
    return flask.request.remote_addr if flask.has_request_context() else None


def authorize(minimum_role: str, action: str, target: str | None = None) -> str:
    """Return the username if the caller holds `minimum_role`, else audit the denial and refuse.

    Raises Refused (HTTP 403) after writing an audit_log row with outcome "denied".
    """
    identity = current_user()
    if identity is not None and has_role(minimum_role, identity):
        return identity.username
    record_denial(identity, minimum_role, action, target)
    raise Refused(f"{action} needs the {minimum_role} role")


def record_denial(
    identity: Identity | None,
    minimum_role: str,
    action: str,
    target: str | None,
    detail: Mapping[str, Any] | None = None,
) -> None:
    """Write the audit row of a refused action."""
    role = identity.role if identity is not None else "anonymous"
    with runtime.engine().begin() as conn:
        audit(
            conn,
            actor=identity.username if identity is not None else None,
            action=action,
            target=target or "",
            outcome="denied",
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
    """Write the audit row of an action by the signed-in user (outcome "ok" or "failed").

    For a change to the store, prefer writing the row with `store.audit.audit` on the same
    connection as the change, so that both commit together.
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


def state_changing(minimum_role: str, action: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Mark a callback as changing state and authorize every call (place it under @callback)."""
    check_role(minimum_role)
    guard = Guard(minimum_role=minimum_role, action=action)

    def decorate(func: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(func)
        def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
            authorize(minimum_role, action)
            return func(*args, **kwargs)

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
