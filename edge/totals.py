"""Per-phase totals of a feeder at one moment, from the transformer meter or from the houses.

The physics (phase currents, the neutral current with a house moved) is grid.dryrun's, the one
the dashboard's dry run uses; this module only says where the edge's figures come from.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from edge.meter import MeterReading
from grid.dryrun import PhaseLoads, neutral_a, neutral_before_after_a
from grid.events import PhaseSnapshot
from grid.metrics import current_unbalance_pct
from grid.phasors import NOMINAL_PHASE_V, Phase, house_current_a, voltage_phasor

Triple = tuple[float, float, float]


@dataclass(frozen=True, slots=True)
class PhaseTotals:
    """P, Q, V and current of each phase (R, Y, B) and the neutral current."""

    ts_s: float
    """When the totals were measured [epoch s]."""
    p_w: Triple
    """Active power per phase [W]."""
    q_var: Triple
    """Reactive power per phase [var]."""
    v_v: Triple
    """Phase-to-neutral voltage [V]."""
    i_a: Triple
    """Phase current magnitudes [A]."""
    i_n_a: float
    """Neutral current [A]."""
    source: str
    """"meter" or "houses"."""

    @property
    def unbalance_pct(self) -> float | None:
        """Return the current unbalance [%], None when the average current is below 5 A."""
        value = float(current_unbalance_pct(*self.i_a))
        return None if math.isnan(value) else value

    def snapshot(self) -> PhaseSnapshot:
        """Return the before/after snapshot of a balancing run."""
        pct = self.unbalance_pct
        return PhaseSnapshot(
            tuple(round(i, 2) for i in self.i_a),  # type: ignore[arg-type]
            round(self.i_n_a, 2),
            None if pct is None else round(pct, 2),
        )

    def loads(self) -> PhaseLoads:
        """Return the per-phase loads, as the dry run takes them."""
        return PhaseLoads(self.p_w, self.q_var, self.v_v)


def neutral_with_house_on(
    totals: PhaseTotals, p_w: float, q_var: float, on: Phase, instead_of: Phase
) -> tuple[float, float]:
    """Return the neutral current [A] of `totals` as measured, and had one house drawing
    `p_w` [W] and `q_var` [var] on phase `instead_of` been on phase `on` instead.

    Both come from the same moment's loads (grid.dryrun.neutral_before_after_a): what everyone
    else switched on or off meanwhile cancels out.
    """
    return neutral_before_after_a(totals.loads(), p_w, q_var, from_phase=instead_of, to_phase=on)


def move_effect_a(totals: PhaseTotals, p_w: float, q_var: float, at: Phase, to: Phase) -> float:
    """Return how much the neutral current of `totals` would change [A] had one house drawing
    `p_w` [W] and `q_var` [var] on phase `at` been on phase `to` instead (+ means it rises)."""
    measured, moved = neutral_with_house_on(totals, p_w, q_var, on=to, instead_of=at)
    return moved - measured


def unreported_w(totals: PhaseTotals, reported: PhaseTotals) -> Triple:
    """Return what each phase total holds beyond the sum of the house reports [W].

    With totals summed from the houses this is zero; with a meter it is the unreported load
    (losses, street lights, houses without a node) plus the timing of the reports.
    """
    m, r = totals.p_w, reported.p_w
    return (m[0] - r[0], m[1] - r[1], m[2] - r[2])


def from_meter(reading: MeterReading) -> PhaseTotals:
    """Return the totals measured by the transformer meter."""
    if reading.i_n_a is not None:
        neutral = reading.i_n_a
    else:
        neutral = neutral_a(PhaseLoads(reading.p_w, reading.q_var, reading.v_v))
    return PhaseTotals(
        reading.ts_s, reading.p_w, reading.q_var, reading.v_v, reading.i_a, neutral, "meter"
    )


def from_houses(ts_s: float, rows: Iterable[tuple[Phase, float, float, float]]) -> PhaseTotals:
    """Return the totals summed from house readings (phase, p [W], q [var], v [V])."""
    p = [0.0, 0.0, 0.0]
    q = [0.0, 0.0, 0.0]
    v_sum = [0.0, 0.0, 0.0]
    v_n = [0, 0, 0]
    currents = np.zeros(3, dtype=np.complex128)
    for phase, p_w, q_var, v_v in rows:
        k = phase.ordinal
        p[k] += p_w
        q[k] += q_var
        volts = v_v if v_v > 0 else NOMINAL_PHASE_V
        v_sum[k] += volts
        v_n[k] += 1
        currents[k] += house_current_a(p_w, q_var, voltage_phasor(phase, volts))
    seen = [v_sum[k] / v_n[k] for k in range(3) if v_n[k]]
    fallback = sum(seen) / len(seen) if seen else NOMINAL_PHASE_V
    v = tuple(v_sum[k] / v_n[k] if v_n[k] else fallback for k in range(3))
    i_a = tuple(float(abs(c)) for c in currents)
    return PhaseTotals(
        ts_s,
        (p[0], p[1], p[2]),
        (q[0], q[1], q[2]),
        v,  # type: ignore[arg-type]
        i_a,  # type: ignore[arg-type]
        float(abs(currents.sum())),
        "houses",
    )
