"""What the live demo says about the story feeder as its story plays, read from the store.

`read_story` takes what HQ has stored of the story feeder since the demo started (its
`phase_overload` alerts, its switches, its latest summary); `Narrator.tell` turns successive
readings into the lines the demo prints, each milestone once: the overload raised, every switch
and how it ended, the overload cleared with the phase currents, and the report to export.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, select

from sim.fleet import FeederPlan
from store import queries, schema

OVERLOAD_KIND = "phase_overload"
"""The alert kind the edge raises for a phase above its rating (edge/watch.py)."""
SWITCHES_READ = 200
"""Most switches of the story feeder read at a time (newest)."""


@dataclass(frozen=True, slots=True)
class Overload:
    """One `phase_overload` alert of the story feeder."""

    alert_id: str
    message: str
    cleared: bool


@dataclass(frozen=True, slots=True)
class Switch:
    """One switch of a story feeder house and how it ended."""

    event_id: int
    house_id: str
    from_phase: str
    to_phase: str
    result: str
    reason: str


@dataclass(frozen=True, slots=True)
class StoryReading:
    """What the store holds of the story feeder at one moment."""

    overloads: tuple[Overload, ...]
    """Its phase_overload alerts, oldest first."""
    switches: tuple[Switch, ...]
    """Its switches, oldest first."""
    phase_a: tuple[float, float, float] | None
    """The R, Y, B currents of its latest summary [A], None before the first."""


def read_story(engine: Engine, feeder_id: str, since: datetime) -> StoryReading:
    """Return what the store holds of the story feeder from `since` on (a store kept from an
    earlier demo holds that demo's story too)."""
    t = schema.alerts.c
    stmt = (
        select(t.alert_id, t.message, t.cleared_at)
        .where(t.feeder_id == feeder_id, t.kind == OVERLOAD_KIND, t.raised_at >= since)
        .order_by(t.raised_at, t.alert_id)
    )
    with engine.connect() as conn:
        overloads = tuple(
            Overload(row.alert_id, row.message, row.cleared_at is not None)
            for row in conn.execute(stmt)
        )
        events = queries.switch_events(conn, feeder_id, start=since, limit=SWITCHES_READ)
        state = queries.latest_feeder_state(conn, feeder_id)
    switches = tuple(
        Switch(e.event_id, e.house_id, e.from_phase, e.to_phase, e.result, e.reason)
        for e in reversed(events)
    )
    phase_a = None if state is None else (state.i_r, state.i_y, state.i_b)
    return StoryReading(overloads, switches, phase_a)


class Narrator:
    """Turns successive readings of the story feeder into the lines the demo prints."""

    def __init__(
        self, plan: FeederPlan, rating_a: float, feeder_url: str, report: str | None = None
    ) -> None:
        self.plan = plan
        self.rating_a = rating_a
        self.feeder_url = feeder_url
        self.report = report
        self._pv_kw = {h.house_id: h.pv_kw for h in plan.houses}
        self._raised: set[str] = set()
        self._cleared: set[str] = set()
        self._last_event_id = 0
        self._report_told = False

    @property
    def title(self) -> str:
        """Return the feeder's name and id."""
        return f"{self.plan.name} ({self.plan.feeder_id})"

    def tell(self, reading: StoryReading) -> list[str]:
        """Return the lines for what happened since the last reading."""
        lines = []
        for alert in reading.overloads:
            if alert.alert_id not in self._raised:
                self._raised.add(alert.alert_id)
                lines.append(f"story: {self.title} overloaded: {alert.message}")
        lines += [self._switch(s) for s in reading.switches if s.event_id > self._last_event_id]
        if reading.switches:
            self._last_event_id = max(self._last_event_id, reading.switches[-1].event_id)
        newly_cleared = [
            a.alert_id
            for a in reading.overloads
            if a.cleared and a.alert_id in self._raised and a.alert_id not in self._cleared
        ]
        self._cleared.update(newly_cleared)
        if newly_cleared and not _open(reading.overloads):
            lines.append(self._within_rating(reading.phase_a))
            if self.report is not None and not self._report_told:
                self._report_told = True
                lines.append(f"story: export its report with: {self.report}")
        return lines

    def _switch(self, switch: Switch) -> str:
        pv_kw = self._pv_kw.get(switch.house_id, 0.0)
        what = f"{pv_kw:g} kWp solar" if pv_kw > 0 else "no solar"
        why = f" ({switch.reason})" if switch.reason else ""
        return (
            f"story: house {switch.house_id} ({what}) {switch.from_phase} → {switch.to_phase}: "
            f"{switch.result}{why}"
        )

    def _within_rating(self, phase_a: tuple[float, float, float] | None) -> str:
        currents = (
            ""
            if phase_a is None
            else " (R {:.0f} A, Y {:.0f} A, B {:.0f} A".format(*phase_a)
            + f" against {self.rating_a:.0f} A)"
        )
        return (
            f"story: {self.title} is back within its rating{currents}; "
            f"before and after at {self.feeder_url}"
        )


def _open(overloads: Sequence[Overload]) -> bool:
    return any(not a.cleared for a in overloads)
