"""Operator commands from HQ to an edge controller: create, sign and track them (DESIGN §7).

`create_command` writes the `commands` row in state `requested` with its audit row (who and
why) in the caller's transaction, takes the feeder's next counter and returns the `ctl` message
signed with the feeder key. The publisher then reports whether the broker took it
(`mark_sent`) or not (`mark_not_sent`); the edge's command_result events move it on from there
(store.writer.advance_command). A state never goes back.

Counters: the next counter of a feeder is above every counter HQ has used for it and at least
the present time in milliseconds, so a restored database cannot reuse a counter the controller
has already seen. Creating a command first updates the feeder's row, which serializes
concurrent commands to one feeder on PostgreSQL and SQLite alike.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import Connection, func, insert, select, update

from grid.events import CommandState
from grid.messages import ControlAction, ControlCommand, Mode, WireError, check_house_id
from grid.phasors import Phase
from grid.signing import sign
from store import schema as db
from store.audit import audit
from store.queries import Command, command
from store.writer import advance_command

DEFAULT_TTL_S: Final = 120
"""How long a command stays valid at the controller after it is created [s]."""

WHY_MAX: Final = 500
"""Longest operator note kept with a command [characters]."""


_PARAM_KEYS: Final = {
    "mode": "mode",
    "house": "house",
    "from_phase": "from",
    "to_phase": "to",
    "config": "config",
}
"""The wire key of each action field, as kept in a command's params."""


ERRORS: Final[Mapping[str, str]] = {
    "error_not_feeder": "{feeder!r} is not a provisioned feeder",
    "error_house_required_move": "is required for a move",
    "error_house_required_unlock": "is required for an unlock",
    "error_not_house_id": "{house!r} is not a house id of {feeder}",
    "error_not_house": "{house} is not a house of {feeder}",
    "error_no_relay": "{house} has no phase-selector relay",
    "error_phase_required": "is required for a move",
    "error_already_on": "{house} is already on {phase}",
    "error_mode_required": "is required (auto or manual)",
    "error_config_empty": "needs at least one setting",
    "error_why_too_long": "is longer than {limit} characters",
    "error_ttl_not_positive": "must be positive",
}
"""Why a command (or a move, store.moves) is refused, in English by message key: the
`str.format` templates of the errors' English text, which the CLI, the logs and the audit keep;
the control room shows them in its interface language under the same keys
(components.strings)."""


class CommandError(ValueError):
    """A command that cannot be created; `field` names the culprit (e.g. "house").

    `key` and `fields` say the message again as a message key of ERRORS and its fields, for a
    screen that shows it in another language; None for a message that has no key (one passed
    on from elsewhere, such as a wire error).
    """

    def __init__(
        self,
        field: str,
        message: str,
        *,
        key: str | None = None,
        fields: Mapping[str, object] | None = None,
    ) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
        self.key = key
        self.fields: Mapping[str, object] = dict(fields or {})


def refused(field: str, key: str, **fields: object) -> CommandError:
    """Return the CommandError of the message key `key` of ERRORS, filled in with `fields`."""
    return CommandError(field, ERRORS[key].format(**fields), key=key, fields=fields)


@dataclass(frozen=True, slots=True)
class IssuedCommand:
    """A command as stored, and the signed message to publish on the feeder's `ctl` topic."""

    command: Command
    message: ControlCommand


def new_command_id() -> str:
    """Return a fresh command id (a wire token of 23 characters)."""
    return "hq-" + uuid.uuid4().hex[:20]


def next_counter(conn: Connection, feeder_id: str, now: datetime) -> int:
    """Return the feeder's next command counter: above every one used, ≥ now in ms."""
    used = conn.execute(
        select(func.max(db.commands.c.ctr)).where(db.commands.c.feeder_id == feeder_id)
    ).scalar()
    return max(int(used or 0) + 1, int(now.timestamp() * 1000))


def _lock_feeder(conn: Connection, feeder_id: str) -> None:
    """Take the feeder row's write lock for this transaction, or raise for an unknown feeder."""
    done = conn.execute(
        update(db.feeders)
        .where(db.feeders.c.feeder_id == feeder_id)
        .values(mode=db.feeders.c.mode)
        .execution_options(preserve_rowcount=True)
    )
    if done.rowcount != 1:
        raise refused("feeder", "error_not_feeder", feeder=feeder_id)


def _house_row(conn: Connection, feeder_id: str, house: str | None, missing: str) -> Any:
    """Return the store's phase and relay of a house of the feeder, or raise CommandError
    (the message key `missing` when there is no house)."""
    if house is None:
        raise refused("house", missing)
    try:
        check_house_id(house, feeder_id)
    except WireError:
        raise refused("house", "error_not_house_id", house=house, feeder=feeder_id) from None
    row = (
        conn.execute(
            select(db.houses.c.phase, db.houses.c.switchable).where(
                db.houses.c.house_id == house, db.houses.c.feeder_id == feeder_id
            )
        )
        .mappings()
        .first()
    )
    if row is None:
        raise refused("house", "error_not_house", house=house, feeder=feeder_id)
    return row


def _switch_fields(
    conn: Connection, feeder_id: str, house: str | None, to_phase: Phase | None
) -> dict[str, Any]:
    """Check a manual move against the store and return its action fields."""
    row = _house_row(conn, feeder_id, house, "error_house_required_move")
    if not row["switchable"]:
        raise refused("house", "error_no_relay", house=house)
    if to_phase is None:
        raise refused("to_phase", "error_phase_required")
    from_phase = Phase(row["phase"])
    if to_phase == from_phase:
        raise refused("to_phase", "error_already_on", house=house, phase=str(to_phase))
    return {"house": house, "from_phase": from_phase, "to_phase": to_phase}


def _action_fields(
    conn: Connection,
    feeder_id: str,
    action: ControlAction,
    *,
    mode: Mode | None,
    house: str | None,
    to_phase: Phase | None,
    config: Mapping[str, float] | None,
) -> dict[str, Any]:
    if action is ControlAction.SET_MODE:
        if mode is None:
            raise refused("mode", "error_mode_required")
        return {"mode": mode}
    if action is ControlAction.SWITCH:
        return _switch_fields(conn, feeder_id, house, to_phase)
    if action is ControlAction.CONFIG:
        if not config:
            raise refused("config", "error_config_empty")
        return {"config": dict(config)}
    if action is ControlAction.UNLOCK:
        _house_row(conn, feeder_id, house, "error_house_required_unlock")
        return {"house": house}
    return {}


def create_command(
    conn: Connection,
    *,
    feeder_id: str,
    action: ControlAction,
    actor: str,
    key: bytes,
    why: str = "",
    mode: Mode | None = None,
    house: str | None = None,
    to_phase: Phase | None = None,
    config: Mapping[str, float] | None = None,
    now: datetime | None = None,
    ttl_s: int = DEFAULT_TTL_S,
    address: str | None = None,
) -> IssuedCommand:
    """Store a `requested` command with its audit row and return it with its signed message.

    Parameters
    ----------
    action : set_mode (needs `mode`), switch (needs `house` and `to_phase`; the from-phase is
        the house's phase in the store), balance_now, config (needs `config`), or unlock
        (needs `house`: bring it back into balancing after a failed or rolled-back switch).
    actor : the user who asked; written with `why` to the command and the audit log.
    key : the feeder key [bytes, ≥ 16].
    ttl_s : how long the controller may still act on it [s].
    """
    now = now or datetime.now(UTC)
    why = why.strip()
    if len(why) > WHY_MAX:
        raise refused("why", "error_why_too_long", limit=WHY_MAX)
    if ttl_s <= 0:
        raise refused("ttl_s", "error_ttl_not_positive")
    _lock_feeder(conn, feeder_id)
    fields = _action_fields(
        conn, feeder_id, action, mode=mode, house=house, to_phase=to_phase, config=config
    )
    ctr = next_counter(conn, feeder_id, now)
    exp_s = int(now.timestamp()) + ttl_s
    cmd_id = new_command_id()
    try:
        message = sign(
            ControlCommand(
                cmd_id=cmd_id, feeder=feeder_id, ctr=ctr, exp_s=exp_s, action=action, **fields
            ),
            key,
        )
        message.to_json()
    except WireError as exc:
        raise CommandError(exc.field or "command", exc.reason) from None
    params: dict[str, Any] = {
        _PARAM_KEYS[k]: v if k == "config" else str(v) for k, v in fields.items()
    }
    params.update(exp=exp_s, why=why)
    conn.execute(
        insert(db.commands).values(
            cmd_id=cmd_id,
            feeder_id=feeder_id,
            house_id=fields.get("house"),
            action=str(action),
            params=params,
            state=str(CommandState.REQUESTED),
            reason="",
            requested_by=actor,
            requested_at=now,
            updated_at=now,
            ctr=ctr,
        )
    )
    audit(
        conn,
        actor=actor,
        action=f"command.{action}",
        target=fields.get("house") or feeder_id,
        outcome="ok",
        detail={"cmd_id": cmd_id, "feeder_id": feeder_id, "ctr": ctr, "why": why, **params},
        address=address,
        ts=now,
    )
    stored = command(conn, cmd_id)
    assert stored is not None
    return IssuedCommand(stored, message)


def mark_sent(conn: Connection, cmd_id: str, *, actor: str, at: datetime | None = None) -> bool:
    """Record that the broker took the command (PUBACK); return whether the state moved."""
    at = at or datetime.now(UTC)
    moved = advance_command(conn, cmd_id, CommandState.SENT, "", at)
    if moved:
        _audit_step(conn, cmd_id, actor, "command.sent", "ok", "", at)
    return moved


def mark_not_sent(
    conn: Connection, cmd_id: str, reason: str, *, actor: str, at: datetime | None = None
) -> bool:
    """Record that the command never reached the broker: it ends `failed` with `reason`."""
    at = at or datetime.now(UTC)
    moved = advance_command(conn, cmd_id, CommandState.FAILED, reason, at)
    if moved:
        _audit_step(conn, cmd_id, actor, "command.not_sent", "failed", reason, at)
    return moved


def note_waiting(conn: Connection, cmd_id: str, reason: str, at: datetime | None = None) -> None:
    """Set the reason of a command still `requested` (e.g. the broker has not confirmed yet)."""
    conn.execute(
        update(db.commands)
        .where(db.commands.c.cmd_id == cmd_id, db.commands.c.state == CommandState.REQUESTED)
        .values(reason=reason, updated_at=at or datetime.now(UTC))
    )


def _audit_step(
    conn: Connection,
    cmd_id: str,
    actor: str,
    action: str,
    outcome: str,
    reason: str,
    at: datetime,
) -> None:
    row = command(conn, cmd_id)
    target = "" if row is None else (row.house_id or row.feeder_id)
    audit(
        conn,
        actor=actor,
        action=action,
        target=target,
        outcome=outcome,
        detail={"cmd_id": cmd_id, "reason": reason},
        ts=at,
    )


def command_expiry(cmd: Command) -> datetime | None:
    """Return the last second the controller may act on a command, when recorded."""
    exp = cmd.params.get("exp")
    if isinstance(exp, int | float):
        return datetime.fromtimestamp(exp, UTC)
    return None


def is_final(cmd: Command) -> bool:
    """Return whether a command can move no further."""
    return CommandState(cmd.state).final
