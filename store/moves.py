"""The dry run of a manual move on a feeder's latest state, read from the store.

`dry_run_move` reads the feeder's latest summary (`feeder_state`) and the house's latest reading
and hands them to `grid.dryrun.predict_move`; it checks on the way what would stop the move,
raising MoveError with the field to blame.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

from sqlalchemy import Connection, select

from grid.dryrun import MoveEffect, PhaseLoads, predict_move
from grid.messages import WireError, check_house_id
from grid.metrics import rated_current_a
from grid.phasors import Phase
from store import schema as db

READING_MAX_AGE_S: Final = 300.0
"""A house whose latest reading is older than this is offline for a move [s]."""

STATE_MAX_AGE_S: Final = 300.0
"""A feeder summary older than this is too stale to predict from [s]."""


class MoveError(ValueError):
    """A move that cannot be previewed or made; `field` names the culprit."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True, slots=True)
class DryRun:
    """A previewed move: the house's load now and the predicted effect on its feeder."""

    feeder_id: str
    house_id: str
    from_phase: Phase
    to_phase: Phase
    house_p_w: float
    """The house's latest net active power [W]."""
    house_q_var: float
    """The house's latest reactive power [var]."""
    reading_ts: datetime
    state_ts: datetime
    effect: MoveEffect


def parse_phase(value: object, field: str = "to_phase") -> Phase:
    """Return a phase from form input ("R", "y", ...), or raise MoveError naming the field."""
    text = str(value or "").strip().upper()
    try:
        return Phase(text)
    except ValueError:
        raise MoveError(field, f"{value!r} is not a phase (R, Y or B)") from None


def dry_run_move(
    conn: Connection,
    feeder_id: str,
    house_id: str,
    to_phase: Phase,
    now: datetime | None = None,
) -> DryRun:
    """Return the predicted effect of moving `house_id` to `to_phase` on its feeder now."""
    now = now or datetime.now(UTC)
    try:
        check_house_id(house_id, feeder_id)
    except WireError:
        raise MoveError("house", f"{house_id!r} is not a house id of {feeder_id}") from None
    h = db.houses.c
    house = (
        conn.execute(
            select(h.phase, h.switchable, h.locked).where(
                h.house_id == house_id, h.feeder_id == feeder_id
            )
        )
        .mappings()
        .first()
    )
    if house is None:
        raise MoveError("house", f"{house_id} is not a house of {feeder_id}")
    if not house["switchable"]:
        raise MoveError("house", f"{house_id} has no phase-selector relay")
    from_phase = Phase(house["phase"])
    if to_phase == from_phase:
        raise MoveError("to_phase", f"{house_id} is already on {to_phase}")
    r = db.house_readings.c
    reading = (
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
    if reading is None:
        raise MoveError("house", f"{house_id} has sent no reading for 5 minutes (offline)")
    s = db.feeder_state.c
    state = conn.execute(select(db.feeder_state).where(s.feeder_id == feeder_id)).mappings().first()
    if state is None or (now - state["ts"]).total_seconds() > STATE_MAX_AGE_S:
        raise MoveError("feeder", f"{feeder_id} has no summary of the last 5 minutes")
    kva = conn.execute(
        select(db.feeders.c.kva).where(db.feeders.c.feeder_id == feeder_id)
    ).scalar_one()
    loads = PhaseLoads(
        p_w=(state["p_r"], state["p_y"], state["p_b"]),
        q_var=(state["q_r"], state["q_y"], state["q_b"]),
        v_v=(state["v_r"], state["v_y"], state["v_b"]),
    )
    effect = predict_move(
        loads, reading["p"], reading["q"], from_phase, to_phase, rating_a=rated_current_a(kva)
    )
    return DryRun(
        feeder_id=feeder_id,
        house_id=house_id,
        from_phase=from_phase,
        to_phase=to_phase,
        house_p_w=float(reading["p"]),
        house_q_var=float(reading["q"]),
        reading_ts=reading["ts"],
        state_ts=state["ts"],
        effect=effect,
    )
