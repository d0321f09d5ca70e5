"""The story SmartPhase is pitched with, played by one feeder of the demo fleet.

Kottayam 1 (`STORY_FEEDER_ID`) is a 100 kVA transformer (145 A a phase) whose line crews
connected most services to R, among them the houses that later put rooftop solar up. Those
solar houses are R's biggest morning loads (water heating and induction cooking, 2.6–3 kW for
about two hours), so in the morning R carries about 180 A, above its rating, while B, with few
houses, carries about 20 A: the edge raises the critical `phase_overload` alert and the feeder
shows as overloaded. Once the controller has its two minutes of readings, its target strategy
moves houses from R to the light B, the solar ones first because they draw the most; the nodes
switch and confirm, and R ends well below its rating within the demo's first five minutes. The
controller is the one every feeder runs: the story lives only in this feeder's wiring and loads.

The story must play within the demo's first minutes whatever the wall-clock time, so this
feeder's day is shifted: its local time is `STORY_START_H` when the simulated clock is at its
epoch (the demo's start, SP_SIM_EPOCH) and runs on with that clock; its loads are seeded with
`STORY_SEED`, so the story plays the same every time.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Final

import numpy as np

from grid.phasors import Phase
from sim import profiles as pr
from sim.cases import shared_data_dir
from sim.fleet import DISTRICT_CODES, FeederPlan, HousePlan, plan_fleet, read_towns
from sim.house_nodes import DayProfile

STORY_TOWN: Final = "Kottayam"
STORY_DISTRICT: Final = "Kottayam"
STORY_FEEDER_ID: Final = f"KL-{DISTRICT_CODES[STORY_DISTRICT]}-0001"
STORY_KVA: Final = 100.0
"""The transformer's rating [kVA]: 145 A a phase."""
STORY_START_H: Final = 7.0
"""The story feeder's local time when the simulated clock is at its epoch [h]."""
STORY_SEED: Final = 2011
"""Seed of the story feeder's loads and PV."""
STORY_DAY_OF_YEAR: Final = 80
"""The story's day (late March: a clear, hot morning)."""

LAYOUT: Final = (
    (Phase.R, 36, (4.0, 3.0, 5.0, 3.0, 4.0, 3.0, 4.0, 5.0)),
    (Phase.Y, 20, (3.0, 4.0, 3.0)),
    (Phase.B, 8, ()),
)
"""The as-built wiring: per phase, its number of houses and the rooftop PV [kWp] of its first
ones; most houses, and most solar houses, on R."""
NOT_SWITCHABLE: Final = frozenset({5, 12, 23, 40, 57})
"""House numbers without a phase-selector relay (services not yet fitted)."""

MORNING_HEAT: Final = pr.Appliance(
    "water heating and induction cooking",
    1.0,
    (1, 1),
    (2600.0, 3000.0),
    (100, 140),
    (pr.Window(6.75, 0.1),),
    (0.97, 1.0),
)
"""The solar houses' morning: on from just before the story starts for about two hours."""


def story_plan(data_dir: Path | None = None) -> FeederPlan:
    """Return the story feeder as built: a 100 kVA transformer at Kottayam and its houses."""
    towns = read_towns(data_dir or shared_data_dir())
    town = next(t for t in towns if t.name == STORY_TOWN)
    houses: list[HousePlan] = []
    for phase, count, pv_kw in LAYOUT:
        for k in range(count):
            number = len(houses) + 1
            houses.append(
                HousePlan(
                    house_id=f"{STORY_FEEDER_ID}-H{number:03d}",
                    phase=phase,
                    pv_kw=pv_kw[k] if k < len(pv_kw) else 0.0,
                    switchable=number not in NOT_SWITCHABLE,
                )
            )
    return FeederPlan(
        feeder_id=STORY_FEEDER_ID,
        name=f"{STORY_TOWN} 1",
        district=STORY_DISTRICT,
        lat=round(town.lat + 0.004, 5),
        lon=round(town.lon - 0.003, 5),
        kva=STORY_KVA,
        houses=tuple(houses),
    )


def story_profile(plan: FeederPlan) -> DayProfile:
    """Return the story feeder's day: Kerala household loads, the solar houses' morning
    heating and cooking, and their rooftop PV under a mostly clear sky."""
    rng = np.random.default_rng(STORY_SEED)
    n = len(plan.houses)
    load = pr.kerala_household_load(rng, n, ac_share=0.2)
    kwp = np.array([h.pv_kw for h in plan.houses])
    solar = np.flatnonzero(kwp > 0)
    morning = pr.appliance_load(rng, solar.size, MORNING_HEAT)
    p_w, q_var = load.p_w.copy(), load.q_var.copy()
    p_w[:, solar] += morning.p_w
    q_var[:, solar] += morning.q_var
    cos_z = pr.cos_zenith(STORY_DAY_OF_YEAR, plan.lat, plan.lon, 5.5)
    sky = pr.markov_clear_sky_index(rng, 0.05, 0.3)
    pv_w = np.zeros((pr.MINUTES_PER_DAY, n))
    pv_w[:, solar] = pr.houses_pv_w(rng, pr.pv_per_kwp(cos_z, sky, 0.78), kwp[solar])
    return DayProfile(p_w, q_var, pv_w)


def story_minute(now_s: float, epoch_s: float) -> float:
    """Return the story feeder's local minute of the day at simulated time `now_s` [min],
    `epoch_s` being the simulated clock's epoch [epoch s]."""
    return (STORY_START_H * 60.0 + (now_s - epoch_s) / 60.0) % pr.MINUTES_PER_DAY


def demo_fleet(
    n_feeders: int, houses: tuple[int, int], seed: int, data_dir: Path | None = None
) -> list[FeederPlan]:
    """Return the demo's fleet: the story feeder first, then `n_feeders` − 1 planned feeders
    of `houses` houses each (`sim.fleet.plan_fleet`)."""
    if n_feeders < 1:
        raise ValueError(f"feeders: {n_feeders} is fewer than the story feeder alone")
    story = story_plan(data_dir)
    rest = plan_fleet(n_feeders - 1, houses, seed, data_dir, taken=frozenset({story.feeder_id}))
    return [story, *rest]


def report_command(feeder_id: str, day: str) -> str | None:
    """Return the command that exports a feeder's report for a day (YYYY-MM-DD), or None
    while this installation has no reports package."""
    if importlib.util.find_spec("reports") is None:
        return None
    return (
        f"python -m reports --feeder {feeder_id} --from {day} --to {day} "
        f"--out var/{feeder_id}-{day}.pdf"
    )
