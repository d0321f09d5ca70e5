"""The latest known state of every house of the feeder, from `tele` and `state` messages.

A house is online while its retained `state` does not say otherwise and its last telemetry is
younger than `stale_after_s`; telemetry may be lost (QoS 0), so only its age counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from edge.config import HouseConfig
from edge.totals import PhaseTotals, from_houses
from grid.messages import HouseState, ReadingRow, RelayState, Telemetry
from grid.phasors import FloatArray, Phase


@dataclass(slots=True)
class HouseView:
    """What is known of one house."""

    config: HouseConfig
    tele: Telemetry | None = None
    seen_s: float | None = None
    """When its last telemetry arrived, on the controller's clock [epoch s]."""
    state_online: bool | None = None
    """Its retained birth/last-will state; None before any arrived."""
    fw: str | None = None


class HouseTracker:
    """Latest telemetry and liveness of the feeder's houses."""

    def __init__(self, houses: Sequence[HouseConfig], stale_after_s: float) -> None:
        self.stale_after_s = stale_after_s
        self.views = {h.house_id: HouseView(h) for h in houses}
        self.ids = [h.house_id for h in houses]

    def __contains__(self, house_id: object) -> bool:
        """Return whether the house belongs to this feeder."""
        return house_id in self.views

    def on_tele(self, house_id: str, tele: Telemetry, now_s: float) -> ReadingRow:
        """Take a house's telemetry; return it as a readings row."""
        view = self.views[house_id]
        view.tele, view.seen_s = tele, now_s
        return ReadingRow(
            tele.ts_s, house_id, tele.ph, tele.v_v, tele.i_a, tele.p_w, tele.q_var, tele.pv_w
        )

    def on_state(self, house_id: str, state: HouseState) -> None:
        """Take a house's birth or last-will state."""
        view = self.views[house_id]
        view.state_online, view.fw = state.online, state.fw

    def online(self, house_id: str, now_s: float) -> bool:
        """Return whether the house is online now."""
        view = self.views[house_id]
        if view.state_online is False or view.seen_s is None:
            return False
        return now_s - view.seen_s <= self.stale_after_s

    def online_mask(self, now_s: float) -> list[bool]:
        """Return the online flag of every house, in feeder order."""
        return [self.online(h, now_s) for h in self.ids]

    def unheard(self) -> bool:
        """Return whether some house has not reported yet (the planner's first samples wait)."""
        return any(view.seen_s is None for view in self.views.values())

    def fresh(self, house_id: str, now_s: float) -> Telemetry | None:
        """Return the house's telemetry if the house is online, else None."""
        return self.views[house_id].tele if self.online(house_id, now_s) else None

    def tele_since(self, house_id: str, since_s: float) -> Telemetry | None:
        """Return the house's latest telemetry if it arrived at or after `since_s`."""
        view = self.views[house_id]
        if view.seen_s is None or view.seen_s < since_s:
            return None
        return view.tele

    def measured_phase(self, house_id: str) -> Phase | None:
        """Return the phase the house last reported, or None if it never reported."""
        tele = self.views[house_id].tele
        return None if tele is None else tele.ph

    def movable_mask(self, now_s: float) -> list[bool]:
        """Return, in feeder order, whether each house is online with its relay able to
        switch (a node locked by a failed feedback check is online but cannot be moved)."""
        fresh = (self.fresh(h, now_s) for h in self.ids)
        return [tele is not None and tele.relay is RelayState.OK for tele in fresh]

    def phases(self, now_s: float) -> tuple[Phase | None, ...]:
        """Return the phase each house reports, None where it is not online, in feeder order."""
        fresh = (self.fresh(h, now_s) for h in self.ids)
        return tuple(None if tele is None else tele.ph for tele in fresh)

    def samples(self, now_s: float) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Return net P [W], Q [var] and PV [W] per house, NaN where it is not online."""
        n = len(self.ids)
        p, q, pv = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
        for k, house_id in enumerate(self.ids):
            tele = self.fresh(house_id, now_s)
            if tele is not None:
                p[k], q[k], pv[k] = tele.p_w, tele.q_var, tele.pv_w
        return p, q, pv

    def totals(self, now_s: float) -> PhaseTotals:
        """Return phase totals summed over the online houses, by the phase each reports."""
        rows = []
        for house_id in self.ids:
            tele = self.fresh(house_id, now_s)
            if tele is not None:
                rows.append((tele.ph, tele.p_w, tele.q_var, tele.v_v))
        return from_houses(now_s, rows)
