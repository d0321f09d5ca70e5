"""The dry run of a manual move on a feeder's latest state, read from the store.

`dry_run_move` reads what HQ knows of the house (its phase, relay, lockout, latest reading,
switch outcomes and any move of it still in progress) and of its feeder (the latest summary and
the switching limits the controller was given), asks the edge's own interlock rule
(`grid.interlocks.switch_blocker`) whether it may move now, and predicts the effect with
`grid.dryrun.predict_move`. A move that no rule lets through comes back with its `blocker`;
input that names no possible move raises MoveError with the field to blame.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from sqlalchemy import Connection, select

from grid.dryrun import MoveEffect, PhaseLoads, blocked_until_s, predict_move, switch_record
from grid.events import CommandState, SwitchResult
from grid.interlocks import Blocker, HouseState, SwitchLimits, switch_blocker
from grid.messages import ControlAction, WireError, check_house_id
from grid.metrics import rated_current_a
from grid.phasors import Phase
from store import schema as db
from store.commands import DEFAULT_TTL_S
from store.commands import ERRORS as COMMAND_ERRORS

READING_MAX_AGE_S: Final = 300.0
"""A house whose latest reading is older than this is offline for a move [s]."""

STATE_MAX_AGE_S: Final = 300.0
"""A feeder summary older than this is too stale to predict from [s]."""

PENDING_STATES: Final = tuple(str(s) for s in CommandState if not s.final)
"""Command states of a move still under way."""


ERRORS: Final[Mapping[str, str]] = {
    "error_not_phase": "{value!r} is not a phase (R, Y or B)",
    "error_no_summary": "{feeder} has no summary of the last {minutes} minutes",
}
"""Why a move cannot be previewed, in English by message key (beside store.commands.ERRORS,
whose keys a move's errors share)."""

_MESSAGES: Final[Mapping[str, str]] = {**COMMAND_ERRORS, **ERRORS}


class MoveError(ValueError):
    """A move that cannot be previewed or made; `field` names the culprit, `key` and `fields`
    its message as a message key of ERRORS or store.commands.ERRORS, filled in with `fields`
    (str() is the English text)."""

    def __init__(self, field: str, key: str, **fields: object) -> None:
        self.field = field
        self.key = key
        self.fields: Mapping[str, object] = fields
        self.message = _MESSAGES[key].format(**fields)
        super().__init__(f"{field}: {self.message}")


@dataclass(frozen=True, slots=True)
class DryRun:
    """A previewed move: whether a rule blocks it, and its predicted effect on the feeder."""

    feeder_id: str
    house_id: str
    from_phase: Phase
    to_phase: Phase
    house: HouseState
    """The house as the interlocks saw it (times in epoch s)."""
    limits: SwitchLimits
    """The feeder's switching limits: the defaults with the controller's applied config."""
    blocker: Blocker | None
    """The first interlock that forbids the move now, or None."""
    blocked_until: datetime | None
    """When the blocker ends by itself, if it does."""
    lock_reason: str | None
    """Why the edge locked the house out, when it did."""
    last_result: str | None
    """The result of the house's last counted switch ("applied", "rolled_back", ...)."""
    reading_ts: datetime | None
    state_ts: datetime | None
    effect: MoveEffect | None
    """The predicted effect; None when there is no recent reading or summary to predict from."""

    @property
    def house_p_w(self) -> float:
        """Return the house's latest net active power [W]."""
        return self.house.p_w

    @property
    def allowed(self) -> bool:
        """Return whether the move may be sent: nothing blocks it and its effect is known."""
        return self.blocker is None and self.effect is not None

    @property
    def last_switch(self) -> datetime | None:
        """Return when the house's relay last operated, as far as HQ knows."""
        last = self.house.last_switch_s
        return None if last is None else datetime.fromtimestamp(last, UTC)


def parse_phase(value: object, field: str = "to_phase") -> Phase:
    """Return a phase from form input ("R", "y", ...), or raise MoveError naming the field."""
    text = str(value or "").strip().upper()
    try:
        return Phase(text)
    except ValueError:
        raise MoveError(field, "error_not_phase", value=value) from None


def feeder_limits(conn: Connection, feeder_id: str) -> SwitchLimits:
    """Return the switching limits the feeder's controller works to: the defaults, changed by
    every `config` command it applied, in order."""
    c = db.commands.c
    rows = conn.execute(
        select(c.params)
        .where(
            c.feeder_id == feeder_id,
            c.action == str(ControlAction.CONFIG),
            c.state == str(CommandState.APPLIED),
        )
        .order_by(c.requested_at, c.cmd_id)
    ).scalars()
    limits = SwitchLimits()
    for params in rows:
        config: Any = (params or {}).get("config") or {}
        if "min_dwell_s" in config:
            limits = replace(limits, min_dwell_s=float(config["min_dwell_s"]))
        if "max_per_house_day" in config:
            limits = replace(limits, max_per_house_day=int(config["max_per_house_day"]))
    return limits


def dry_run_move(
    conn: Connection,
    feeder_id: str,
    house_id: str,
    to_phase: Phase,
    now: datetime | None = None,
) -> DryRun:
    """Return whether `house_id` may move to `to_phase` now, and the predicted effect."""
    now = now or datetime.now(UTC)
    now_s = now.timestamp()
    try:
        check_house_id(house_id, feeder_id)
    except WireError:
        raise MoveError("house", "error_not_house_id", house=house_id, feeder=feeder_id) from None
    h = db.houses.c
    row = (
        conn.execute(
            select(h.phase, h.switchable, h.locked, h.locked_reason, h.locked_until).where(
                h.house_id == house_id, h.feeder_id == feeder_id
            )
        )
        .mappings()
        .first()
    )
    if row is None:
        raise MoveError("house", "error_not_house", house=house_id, feeder=feeder_id)
    from_phase = Phase(row["phase"])
    if to_phase == from_phase:
        raise MoveError("to_phase", "error_already_on", house=house_id, phase=str(to_phase))
    limits = feeder_limits(conn, feeder_id)
    reading = _latest_reading(conn, house_id, now)
    last_switch_s, switches_today, last_result = _switching(conn, house_id, now, limits)
    until = row["locked_until"]
    house = HouseState(
        house_id=house_id,
        phase=from_phase,
        p_w=0.0 if reading is None else float(reading["p"]),
        q_var=0.0 if reading is None else float(reading["q"]),
        online=reading is not None,
        switchable=bool(row["switchable"]),
        locked=bool(row["locked"]),
        locked_until_s=None if until is None else until.timestamp(),
        verified=not _move_under_way(conn, house_id, now),
        last_switch_s=last_switch_s,
        switches_today=switches_today,
    )
    blocker = switch_blocker(house, now_s, limits)
    ends = None if blocker is None else blocked_until_s(house, blocker, now_s, limits)
    state = _fresh_state(conn, feeder_id, now)
    if state is None and blocker is None:
        raise MoveError(
            "feeder", "error_no_summary", feeder=feeder_id, minutes=f"{STATE_MAX_AGE_S / 60:.0f}"
        )
    effect = None
    if state is not None and reading is not None:
        kva = conn.execute(
            select(db.feeders.c.kva).where(db.feeders.c.feeder_id == feeder_id)
        ).scalar_one()
        loads = PhaseLoads(
            p_w=(state["p_r"], state["p_y"], state["p_b"]),
            q_var=(state["q_r"], state["q_y"], state["q_b"]),
            v_v=(state["v_r"], state["v_y"], state["v_b"]),
        )
        effect = predict_move(
            loads, house.p_w, house.q_var, from_phase, to_phase, rating_a=rated_current_a(kva)
        )
    return DryRun(
        feeder_id=feeder_id,
        house_id=house_id,
        from_phase=from_phase,
        to_phase=to_phase,
        house=house,
        limits=limits,
        blocker=blocker,
        blocked_until=None if ends is None else datetime.fromtimestamp(ends, UTC),
        lock_reason=row["locked_reason"] if row["locked"] else None,
        last_result=last_result,
        reading_ts=None if reading is None else reading["ts"],
        state_ts=None if state is None else state["ts"],
        effect=effect,
    )


def _latest_reading(conn: Connection, house_id: str, now: datetime) -> Any:
    r = db.house_readings.c
    return (
        conn.execute(
            select(r.ts, r.p, r.q)
            .where(
                r.house_id == house_id,
                r.ts >= now - timedelta(seconds=READING_MAX_AGE_S),
                r.ts <= now,
            )
            .order_by(r.ts.desc())
            .limit(1)
        )
        .mappings()
        .first()
    )


def _switching(
    conn: Connection, house_id: str, now: datetime, limits: SwitchLimits
) -> tuple[float | None, int, str | None]:
    """Return the house's last relay operation [epoch s], today's count and the last result,
    from its switch outcomes of the last two days (enough for today and any dwell)."""
    s = db.switch_events.c
    since = now - timedelta(days=1, seconds=limits.min_dwell_s)
    rows = conn.execute(
        select(s.ts, s.result, s.reason)
        .where(s.house_id == house_id, s.ts >= since, s.ts <= now)
        .order_by(s.ts, s.event_id)
    ).all()
    outcomes = [(ts.timestamp(), SwitchResult(result), reason or "") for ts, result, reason in rows]
    last_s, count = switch_record(outcomes, now.timestamp(), limits)
    last_result = next(
        (str(result) for ts_s, result, _ in reversed(outcomes) if ts_s == last_s), None
    )
    return last_s, count, last_result


def _move_under_way(conn: Connection, house_id: str, now: datetime) -> bool:
    """Return whether a move of the house was sent and has not ended (nor expired)."""
    c = db.commands.c
    found = conn.execute(
        select(c.cmd_id)
        .where(
            c.house_id == house_id,
            c.action == str(ControlAction.SWITCH),
            c.state.in_(PENDING_STATES),
            c.requested_at >= now - timedelta(seconds=DEFAULT_TTL_S),
        )
        .limit(1)
    ).first()
    return found is not None


def _fresh_state(conn: Connection, feeder_id: str, now: datetime) -> Any:
    s = db.feeder_state.c
    state = conn.execute(select(db.feeder_state).where(s.feeder_id == feeder_id)).mappings().first()
    if state is None or (now - state["ts"]).total_seconds() > STATE_MAX_AGE_S:
        return None
    return state
