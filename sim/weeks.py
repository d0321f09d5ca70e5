"""Week-long development cases: feeders that change from day to day as real ones do (DESIGN §6).

A week is 7 local IST days of 1-minute readings from midnight. The first day is the survey
period and the evaluation starts on day 2 (`WeekCase.survey_until_s`, `eval_from_s`).

Every week has:

- households that keep a habit (the block means of their usual day) but shift it by tens of
  minutes (σ 20–45 min per house, new each day), vary in size (daily scale log-normal, σ 0.3)
  and in which hours they use (block jitter, σ 0.25), and on ~20 % of house-days look like
  another household: another house's habit, away (a flat 20–35 % of their mean), guests
  (× 1.5–2) or a night shift (the habit moved by 8–12 h);
- fresh appliance events every day at 1-minute resolution (`sim.profiles`), fitted onto that
  day's block means, and air conditioning in the same houses each night they use it;
- weather per day: clear (the Markov clear-sky model, a few clouds at most), broken cloud
  (the real cloudy-day 1-minute PV trace as a clear-sky index, moved, stretched and hazed per
  day: 0.55–0.8 of clear output) or monsoon overcast (0.2–0.4 of clear output, slow
  variation); SimBench days are labelled by their PV energy against the week's clearest day
  (≥ 0.8 clear, < 0.45 overcast);
- registered rooftop PV, whose houses report `pv_w` (with the new systems PV sits on 25–50 %
  of the houses, about half in week-2);
- 2–3 new PV systems commissioned on day 3, 4 or 5 (with a clear day to come) on houses the
  registry does not know: their `pv_kw` is 0 and their `pv_w` stays 0, but they export;
- 1–2 EV chargers (3.3 or 7.4 kW) from day 3, 4 or 5: sessions of 1–3 h starting 18:00–22:00, on the
  first day and on ~65 % of the days after;
- the as-built phases unbalanced (as the single-day cases), ~90 % of houses switchable.

Kinds of week (Kerala weeks run Monday 2026-03-16 to Sunday 2026-03-22):

- ``au-week``: the Australian feeder N's 63 loads and phases (CSIRO/Ausgrid) with their
  30-minute daily shapes as habits, PV on 30 % of the houses, mixed weather.
- ``simbench-week``: 60 houses of the SimBench H0 types on the real profiles of 2016-06-20 …
  06-26 (which change day to day; no extra hourly jitter), PV from SimBench's PV profile of
  those days, most of it on one phase.
- ``week-<seed>``: a synthetic Kerala feeder (40–80 houses, `sim.cases.synth_scenario`: even
  seeds strongly unbalanced, seeds divisible by 3 with most PV on one phase). The weather runs
  by seed mod 4: 0 monsoon (mostly overcast and broken), 1 an overcast survey day then mostly
  sunny, 2 mixed (every kind) with PV on about half the houses, 3 mostly sunny.

The development weeks (days 1–7; house numbers are the ids' H-numbers):

- ``au-week``: 63 houses, R/Y/B 25/17/21, registered PV on 19; weather: overcast, clear,
  broken, overcast, clear, clear, broken; new PV at H036 from day 4 and H061 from day 5;
  a 3.3 kW EV at H063 from day 4.
- ``simbench-week``: 60 houses, 25/19/16, registered PV on 18, most on B; weather: overcast,
  clear, clear, clear, overcast, overcast, broken; new PV at H009 and H035 from day 4; a
  3.3 kW EV at H049 from day 3.
- ``week-1``: 75 houses (KLM), 16/26/33, registered PV on 25; weather: overcast, broken, clear,
  clear, clear, clear, clear (an overcast survey day); new PV at H017 from day 4, H033 and
  H055 from day 5; a 3.3 kW EV at H039 from day 4.
- ``week-2``: 51 houses (PTA), strongly unbalanced 17/26/8, registered PV on 24 (about half
  the houses with the new ones); weather: clear, clear, overcast, broken, clear, clear, clear;
  new PV at H040 from day 4 and H038 from day 5; EVs of 3.3 kW at H013 and 7.4 kW at H034
  from day 5.
- ``week-3``: 69 houses (ALP), 25/17/27, registered PV on 19, most on B; weather: clear,
  broken, clear, broken, clear, clear, clear; new PV at H015 and H020 from day 4; a 3.3 kW EV
  at H063 from day 4.
- ``week-4``: 61 houses (KTM), strongly unbalanced 30/16/15, registered PV on 16; weather:
  broken, broken, broken, overcast, overcast, clear, overcast (monsoon); new PV at H004 from
  day 3, H039 and H054 from day 5; a 7.4 kW EV at H017 from day 5.

Development weeks: `list_weeks()`; `HELD_OUT_WEEKS` are never used for tuning. Each week's
`WeekCase.description` says what it holds; `make_week` also returns the makeup (which house
has what from which day) for tests and benchmarks. Weeks are generated, never stored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Final

import numpy as np

from grid.phasors import PHASES, FloatArray, Phase
from sim import cases
from sim import profiles as pr
from sim.feeder_day import FeederDay, HouseSpec

WEEK_DAYS: Final = 7
"""Days in a week case."""

KERALA_WEEK_START: Final = cases.KERALA_DAY
"""First local day (a Monday) of au-week and week-<seed>."""

SIMBENCH_WEEK_START: Final = date(2016, 6, 20)
"""First day (a Monday) of simbench-week: an overcast day before three clear ones."""

HELD_OUT_WEEKS: Final = ("week-101", "week-102", "week-103", "week-104")
"""Weeks never used for tuning (any other seed works too)."""

SHIFT_SD_MIN: Final = (20.0, 45.0)
"""Range of each house's day-to-day timing spread (one standard deviation) [min]."""
SHIFT_MAX_MIN: Final = 90
"""Largest shift of a house's day [min]."""
DAY_SCALE_SIGMA: Final = 0.3
"""σ of the log-normal daily scale of a house's demand."""
BLOCK_JITTER_SIGMA: Final = 0.25
"""σ of the log-normal, hour-correlated jitter of a house's block means within a day."""
ODD_RATE: Final = (0.05, 0.35)
"""Range of each house's chance that a day looks like another household (mean 0.2)."""
ODD_KINDS: Final = ("other", "away", "guests", "night-shift")
ODD_WEIGHTS: Final = (0.45, 0.2, 0.2, 0.15)

AC_USE_SHARE: Final = 0.85
"""Chance that a house with an air conditioner runs it on a given night."""

NEW_PV_DAYS: Final = (2, 3, 4)
"""Days (0-based) on which unregistered PV may be commissioned: day 3, 4 or 5."""

EV_KW: Final = (3.3, 7.4)
EV_FIRST_DAYS: Final = (2, 5)
"""Range (0-based, end exclusive) of the first charging day: day 3, 4 or 5."""
EV_START_MIN: Final = (18 * 60, 22 * 60)
EV_SESSION_MIN: Final = (60, 180)
EV_USE_SHARE: Final = 0.65
"""Chance of a charging session on each day after the first."""
EV_POWER_FACTOR: Final = 0.99

PV_PERFORMANCE_RATIO: Final = 0.78
WEATHER_CLEAR_MIN: Final = 0.8
"""A day with at least this share of the week's clearest day's PV energy counts as clear."""
WEATHER_OVERCAST_MAX: Final = 0.45
"""A day with less than this share of the week's clearest day's PV energy counts as overcast."""

_WEEK_TAG: Final = 7  # mixed into every week's seed so weeks never replay single-day draws
_WEEK_RE: Final = re.compile(r"^week-(\d+)$")


class Weather(StrEnum):
    """The kind of a day's weather for PV."""

    CLEAR = "clear"
    BROKEN = "broken"
    OVERCAST = "overcast"


_WEATHERS: Final = (Weather.CLEAR, Weather.BROKEN, Weather.OVERCAST)
WEATHER_ODDS: Final = {
    "monsoon": (0.15, 0.35, 0.5),
    "overcast-survey": (0.7, 0.3, 0.0),
    "mixed": (0.4, 0.35, 0.25),
    "sunny": (0.7, 0.2, 0.1),
}
"""Chance of a clear, broken and overcast day in each kind of week."""


# --- what a week is and holds ---------------------------------------------------------------------


@dataclass(frozen=True)
class WeekCase:
    """A week of readings with its survey period and evaluation window."""

    day: FeederDay  # all days, 1-minute steps, ts_s continuous from local midnight
    survey_until_s: float  # epoch s: end of the survey period (end of day 1)
    eval_from_s: float  # epoch s: start of the evaluation (= survey_until_s)
    description: str  # one line: what the week holds


@dataclass(frozen=True, slots=True)
class NewPv:
    """A PV system the registry does not know about."""

    house: int  # index of the house in the feeder
    from_day: int  # day of commissioning, 0-based
    kwp: float  # size [kWp]


@dataclass(frozen=True, slots=True)
class EvCharger:
    """An EV charger that appears at a house."""

    house: int  # index of the house in the feeder
    kw: float  # charging power [kW]
    sessions: tuple[tuple[int, int], ...]  # (start minute from the week's start, length [min])

    @property
    def from_day(self) -> int:
        """Return the day of the first session, 0-based."""
        return self.sessions[0][0] // pr.MINUTES_PER_DAY


@dataclass(frozen=True, slots=True)
class WeekMakeup:
    """What a week was drawn to be; `odd`, `scale` and `shift_min` are (days, houses)."""

    weather: tuple[Weather, ...]  # per day
    pv_houses: pr.IntArray  # houses with registered PV
    new_pv: tuple[NewPv, ...]
    ev: tuple[EvCharger, ...]
    odd: pr.BoolArray  # house-days that look like another household
    scale: FloatArray  # daily scale of each house's demand
    shift_min: pr.IntArray  # delay of each house's day [min]


@dataclass(frozen=True, slots=True)
class BuiltWeek:
    """A week case and its makeup."""

    case: WeekCase
    makeup: WeekMakeup


# --- households -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Habits:
    """The habitual day of every house as block means, and what stays with a house."""

    blocks_w: FloatArray  # (days, blocks, n): each day's habitual block means [W]
    block_min: int  # length of a block [min]
    base_power_factor: FloatArray  # (n,) power factor of the smooth base load
    ac_houses: pr.BoolArray  # (n,) houses with an air conditioner
    jitter_sigma: float = BLOCK_JITTER_SIGMA  # 0 where the habits vary by the hour already


@dataclass(frozen=True, slots=True)
class DayDraw:
    """How each house's day differs from its habit; arrays (n,)."""

    targets_w: FloatArray  # (blocks, n) the day's block means [W]
    odd: pr.BoolArray
    scale: FloatArray
    shift_min: pr.IntArray


def odd_habits(
    rng: np.random.Generator, habit_w: FloatArray, odd: pr.BoolArray, block_min: int
) -> FloatArray:
    """Return block means (blocks, n) where each `odd` house looks like another household.

    Each odd house takes one of `ODD_KINDS`: another house's habit, away (a flat 20–35 % of
    its own mean), guests (its habit × 1.5–2) or a night shift (its habit moved 8–12 h).
    """
    out = habit_w.copy()
    n = habit_w.shape[1]
    for i in np.flatnonzero(odd):
        kind = ODD_KINDS[int(rng.choice(len(ODD_KINDS), p=np.array(ODD_WEIGHTS)))]
        if kind == "other" and n > 1:
            j = int(rng.choice(np.delete(np.arange(n), i)))
            out[:, i] = habit_w[:, j]
        elif kind == "away":
            out[:, i] = rng.uniform(0.2, 0.35) * habit_w[:, i].mean()
        elif kind == "guests":
            out[:, i] = rng.uniform(1.5, 2.0) * habit_w[:, i]
        else:
            out[:, i] = np.roll(habit_w[:, i], round(rng.uniform(8.0, 12.0) * 60.0 / block_min))
    return out


def vary_day(
    rng: np.random.Generator,
    habit_w: FloatArray,
    block_min: int,
    odd_rate: FloatArray,
    shift_sd_min: FloatArray,
    jitter_sigma: float = BLOCK_JITTER_SIGMA,
) -> DayDraw:
    """Return one day's block means (blocks, n) drawn around the houses' habits.

    A house is odd with chance `odd_rate` (see `odd_habits`); its block means get a log-normal
    jitter (σ `jitter_sigma`, correlated over 3 blocks, mean 1), are delayed by a normal shift
    of σ `shift_sd_min` [min] (within ±`SHIFT_MAX_MIN`) and scaled by a log-normal daily
    factor (σ `DAY_SCALE_SIGMA`, median 1).
    """
    blocks, n = habit_w.shape
    odd = rng.random(n) < odd_rate
    shaped = odd_habits(rng, habit_w, odd, block_min)
    z = rng.standard_normal((blocks + 2, n))
    z = (z[:-2] + z[1:-1] + z[2:]) / np.sqrt(3.0)
    jitter = np.exp(jitter_sigma * z - 0.5 * jitter_sigma**2)
    shift = np.clip(np.rint(shift_sd_min * rng.standard_normal(n)), -SHIFT_MAX_MIN, SHIFT_MAX_MIN)
    shift = shift.astype(np.intp)
    scale = np.clip(np.exp(DAY_SCALE_SIGMA * rng.standard_normal(n)), 0.3, 3.0)
    curve = pr.resample_preserving_means(shaped * jitter, block_min)
    targets = pr.block_means(pr.delay_columns(curve, shift), block_min) * scale[None, :]
    return DayDraw(targets, odd, scale, shift)


def ac_load(rng: np.random.Generator, owners: pr.BoolArray, use_share: float) -> pr.Load:
    """Return a night of air conditioning in the `owners` houses, each on with `use_share`."""
    ac = pr.appliance_load(rng, owners.size, replace(pr.AIR_CONDITIONER, ownership=use_share))
    mask = owners.astype(np.float64)[None, :]
    return pr.Load(ac.p_w * mask, ac.q_var * mask)


def household_week(
    rng: np.random.Generator, habits: Habits
) -> tuple[pr.Load, pr.BoolArray, FloatArray, pr.IntArray]:
    """Return a week of 1-minute loads (days × 1440, n) drawn around the habits, and the
    odd, scale and shift of every house-day (days, n).

    Each day gets fresh appliance events (`sim.profiles`, air conditioning in the AC houses),
    fitted onto that day's block means (`sim.cases.fit_to_blocks`).
    """
    days, n = habits.blocks_w.shape[0], int(habits.blocks_w.shape[2])
    odd_rate = rng.uniform(ODD_RATE[0], ODD_RATE[1], size=n)
    shift_sd = rng.uniform(SHIFT_SD_MIN[0], SHIFT_SD_MIN[1], size=n)
    p, q, draws = [], [], []
    for d in range(days):
        draw = vary_day(
            rng, habits.blocks_w[d], habits.block_min, odd_rate, shift_sd, habits.jitter_sigma
        )
        events = pr.appliances_load(rng, n, ac_share=0.0) + ac_load(
            rng, habits.ac_houses, AC_USE_SHARE
        )
        load = cases.fit_to_blocks(
            rng, events, draw.targets_w, habits.block_min, habits.base_power_factor
        )
        p.append(load.p_w)
        q.append(load.q_var)
        draws.append(draw)
    week = pr.Load(np.concatenate(p), np.concatenate(q))
    odd = np.stack([d.odd for d in draws])
    scale = np.stack([d.scale for d in draws])
    shift = np.stack([d.shift_min for d in draws])
    return week, odd, scale, shift


def habit_midday_kw(habits: Habits) -> FloatArray:
    """Return each house's largest habitual mean demand over 11:00–13:00 of any day [kW]."""
    per_hour = 60 // habits.block_min
    noon = habits.blocks_w[:, 11 * per_hour : 13 * per_hour, :].mean(axis=1)
    return np.asarray(noon.max(axis=0) / 1000.0, dtype=np.float64)


# --- weather and PV -------------------------------------------------------------------------------


def week_weather(rng: np.random.Generator, kind: str, days: int = WEEK_DAYS) -> tuple[Weather, ...]:
    """Draw the weather of each day of a week of `kind` (see `WEATHER_ODDS`).

    An "overcast-survey" week starts overcast; a "mixed" week has every kind; every week has a
    clear day on day 4 or later (so that PV commissioned mid-week shows).
    """
    odds = np.array(WEATHER_ODDS[kind])
    picked = [_WEATHERS[int(i)] for i in rng.choice(3, size=days, p=odds / odds.sum())]
    if kind == "overcast-survey":
        picked[0] = Weather.OVERCAST
    if Weather.CLEAR not in picked[3:]:
        picked[int(rng.integers(3, days))] = Weather.CLEAR
    if kind == "mixed":
        for needed in _WEATHERS:
            if needed not in picked:
                last_clear = [d for d in range(3, days) if picked[d] is Weather.CLEAR][-1]
                spare = [
                    d for d in range(1, days) if picked.count(picked[d]) > 1 and d != last_clear
                ]
                picked[int(rng.choice(spare))] = needed
    return tuple(picked)


def day_sky_index(
    rng: np.random.Generator,
    weather: Weather,
    trace_index: FloatArray,
    sunrise_min: float,
    sunset_min: float,
) -> FloatArray:
    """Return a day's 1-minute clear-sky index (1440,) for its kind of weather.

    Clear: the Markov cloud model with at most 5 % cloud in the afternoon. Broken: the real
    trace's index `trace_index` moved by up to a day length, stretched × 0.8–1.25 and dimmed
    × 0.8–0.92 by haze. Overcast: 0.2–0.4 with slow variation.
    """
    if weather is Weather.CLEAR:
        return np.minimum(pr.markov_clear_sky_index(rng, 0.0, rng.uniform(0.0, 0.05)), 1.0)
    if weather is Weather.BROKEN:
        offset = rng.uniform(0.0, sunset_min - sunrise_min)
        stretch = rng.uniform(0.8, 1.25)
        retimed = pr.retime_daylight(trace_index, sunrise_min, sunset_min, offset, stretch)
        return rng.uniform(0.8, 0.92) * retimed
    return pr.overcast_sky_index(rng, rng.uniform(0.2, 0.4))


def kerala_week_per_kwp(
    rng: np.random.Generator,
    weather: tuple[Weather, ...],
    trace: FloatArray,
    start: date,
    lat_deg: float,
    lon_deg: float,
) -> tuple[FloatArray, float]:
    """Return the PV output per kWp of each minute of a Kerala week [kW/kWp], (days × 1440,),
    and the clear-sky output per kWp at noon of its first day [kW/kWp].

    `trace` (1440,) is the real cloudy-day PV shape that broken-cloud days are made of.
    """
    out = []
    clear_noon = 0.0
    for d, kind in enumerate(weather):
        day = date.fromordinal(start.toordinal() + d)
        cos_z, sunrise, sunset = cases.kerala_sun(day, lat_deg, lon_deg)
        clear = pr.pv_per_kwp(cos_z, np.ones(pr.MINUTES_PER_DAY), PV_PERFORMANCE_RATIO)
        clear_noon = clear_noon or cases.noon_kw_per_kwp(clear)
        index = pr.trace_clear_sky_index(pr.warp_daylight(trace, sunrise, sunset), clear)
        sky = day_sky_index(rng, kind, index, sunrise, sunset)
        out.append(pr.pv_per_kwp(cos_z, sky, PV_PERFORMANCE_RATIO))
    return np.concatenate(out), clear_noon


def label_weather(daily_energy: FloatArray) -> tuple[Weather, ...]:
    """Return the kind of each day from its PV energy against the clearest day's (any unit)."""
    ratio = daily_energy / max(float(daily_energy.max()), 1e-9)
    return tuple(
        Weather.CLEAR
        if r >= WEATHER_CLEAR_MIN
        else Weather.OVERCAST
        if r < WEATHER_OVERCAST_MAX
        else Weather.BROKEN
        for r in ratio
    )


def new_pv_systems(
    rng: np.random.Generator,
    houses: pr.IntArray,
    weather: tuple[Weather, ...],
    midday_kw: FloatArray,
    noon_per_kwp: float,
) -> tuple[NewPv, ...]:
    """Return unregistered PV at `houses`, commissioned on one of `NEW_PV_DAYS` followed by a
    clear day, each sized to export at noon (`sim.cases.exporting_kwp`)."""
    days = [d for d in NEW_PV_DAYS if Weather.CLEAR in weather[d:]] or list(NEW_PV_DAYS)
    from_day = rng.choice(np.array(days), size=houses.size)
    kwp = cases.exporting_kwp(rng, midday_kw[houses], noon_per_kwp)
    return tuple(
        NewPv(int(h), int(d), float(k)) for h, d, k in zip(houses, from_day, kwp, strict=True)
    )


def week_pv_w(
    rng: np.random.Generator,
    per_kwp: FloatArray,
    n_houses: int,
    houses: pr.IntArray,
    kwp: FloatArray,
    from_day: pr.IntArray | None = None,
) -> FloatArray:
    """Return the PV output [W] (steps, n_houses) of systems at `houses`, zero before each
    one's `from_day` (0-based) when given."""
    out = np.zeros((per_kwp.size, n_houses))
    out[:, houses] = pr.houses_pv_w(rng, per_kwp, kwp)
    if from_day is not None:
        day = np.arange(per_kwp.size) // pr.MINUTES_PER_DAY
        out[:, houses] *= day[:, None] >= from_day[None, :]
    return out


# --- EV -------------------------------------------------------------------------------------------


def ev_chargers(
    rng: np.random.Generator, houses: pr.IntArray, days: int = WEEK_DAYS
) -> tuple[EvCharger, ...]:
    """Return EV chargers at `houses`: 3.3 or 7.4 kW from a day in `EV_FIRST_DAYS`, charging
    that evening and on `EV_USE_SHARE` of the evenings after (at least one of them, so that
    the charger stays), 1–3 h from 18:00–22:00."""
    out = []
    for house in houses:
        first = int(rng.integers(*EV_FIRST_DAYS))
        kw = float(rng.choice(np.array(EV_KW)))
        later = [d for d in range(first + 1, days) if rng.random() < EV_USE_SHARE]
        if not later and first + 1 < days:
            later = [int(rng.integers(first + 1, days))]
        charge_days = [first, *later]
        sessions = tuple(
            (
                d * pr.MINUTES_PER_DAY + int(rng.integers(EV_START_MIN[0], EV_START_MIN[1] + 1)),
                int(rng.integers(EV_SESSION_MIN[0], EV_SESSION_MIN[1] + 1)),
            )
            for d in charge_days
        )
        out.append(EvCharger(int(house), kw, sessions))
    return tuple(out)


def ev_load(chargers: tuple[EvCharger, ...], n_houses: int, steps: int) -> pr.Load:
    """Return the P [W] and Q [var] of the chargers' sessions, shape (steps, n_houses)."""
    p = np.zeros((steps, n_houses))
    for ev in chargers:
        for start, length in ev.sessions:
            p[start : start + length, ev.house] = ev.kw * 1000.0
    return pr.Load(p, p * pr.tan_phi(EV_POWER_FACTOR))


# --- assembling a week ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Feeder:
    """What a week's builder drew for its feeder, before the households' week is drawn."""

    name: str  # the week's name
    source: str  # what the houses are, for the description
    feeder_id: str
    phases: tuple[Phase, ...]
    start: date  # first local day
    habits: Habits
    weather: tuple[Weather, ...]
    per_kwp: FloatArray  # PV output per kWp of every minute of the week [kW/kWp]
    pv_houses: pr.IntArray  # houses with registered PV
    pv_kwp: FloatArray  # their sizes [kWp]
    pv_w: FloatArray  # (steps, n) registered PV output [W]
    new_pv: tuple[NewPv, ...]


def _others(rng: np.random.Generator, n: int, taken: pr.IntArray, size: int) -> pr.IntArray:
    free = np.setdiff1d(np.arange(n), taken)
    return np.sort(rng.choice(free, size=size, replace=False)).astype(np.intp)


def _assemble(rng: np.random.Generator, f: _Feeder) -> BuiltWeek:
    """Draw the switchable houses, the households' week and the EV chargers, and put the
    week together: net power = load + EV − registered PV − unregistered PV."""
    n = len(f.phases)
    pv_kw = cases.with_pv(n, f.pv_houses, f.pv_kwp)
    specs = cases.house_specs(f.feeder_id, f.phases, cases.choose_switchable(rng, n), pv_kw)
    load, odd, scale, shift = household_week(rng, f.habits)
    steps = load.p_w.shape[0]
    new_houses = np.array([s.house for s in f.new_pv], dtype=np.intp)
    pv_new_w = week_pv_w(
        rng,
        f.per_kwp,
        n,
        new_houses,
        np.array([s.kwp for s in f.new_pv]),
        np.array([s.from_day for s in f.new_pv], dtype=np.intp),
    )
    ev_houses = _others(rng, n, new_houses, 1 + int(rng.random() < 0.5))
    evs = ev_chargers(rng, ev_houses, len(f.weather))
    ev = ev_load(evs, n, steps)
    day = FeederDay(
        specs,
        cases.day_steps_s(f.start, len(f.weather)),
        load.p_w + ev.p_w - f.pv_w - pv_new_w,
        load.q_var + ev.q_var,
        f.pv_w,
    )
    makeup = WeekMakeup(f.weather, f.pv_houses, f.new_pv, evs, odd, scale, shift)
    survey_until = float(day.ts_s[0]) + 86_400.0
    case = WeekCase(day, survey_until, survey_until, describe(f.name, f.source, specs, makeup))
    return BuiltWeek(case, makeup)


def describe(name: str, source: str, specs: tuple[HouseSpec, ...], makeup: WeekMakeup) -> str:
    """Return one line saying what a week holds (days counted from 1)."""
    counts = "/".join(str(sum(h.phase is p for h in specs)) for p in PHASES)
    n = len(specs)
    k = makeup.pv_houses.size
    parts = [
        f"{name}: {source}, {n} houses (R/Y/B {counts}), "
        f"registered PV on {k} ({100 * k / n:.0f} %)",
        "weather " + ", ".join(w.value for w in makeup.weather),
        "unregistered PV "
        + ", ".join(
            f"{s.kwp:g} kWp at {specs[s.house].house_id} from day {s.from_day + 1}"
            for s in makeup.new_pv
        ),
        "EV "
        + ", ".join(
            f"{ev.kw:g} kW at {specs[ev.house].house_id} from day {ev.from_day + 1} "
            f"({len(ev.sessions)} session{'s' if len(ev.sessions) > 1 else ''})"
            for ev in makeup.ev
        ),
        f"{100 * makeup.odd.mean():.0f} % of house-days unlike the household",
    ]
    return "; ".join(parts)


# --- the three kinds of week ----------------------------------------------------------------------


def build_synth_week(seed: int, data_dir: Path) -> BuiltWeek:
    """Build week-<seed>: a synthetic Kerala feeder over a week (see the module docstring)."""
    if seed < 0:
        raise ValueError(f"week seeds are non-negative integers, not {seed}")
    trace = cases.read_pv_1min(data_dir)
    rng = np.random.default_rng([_WEEK_TAG, seed])
    sc = cases.synth_scenario(rng, seed)
    n = sc.n_houses
    phases = cases.assign_phases(rng, cases.phase_counts(n, sc.phase_shares))
    ac_houses = rng.random(n) < sc.ac_share
    usual = pr.kerala_household_load(rng, n, ac_share=0.0) + ac_load(rng, ac_houses, 1.0)
    habit = pr.block_means(usual.p_w, 30)
    habits = Habits(
        np.broadcast_to(habit, (WEEK_DAYS, *habit.shape)),
        30,
        rng.uniform(0.85, 0.97, n),
        ac_houses,
    )

    kind = ("monsoon", "overcast-survey", "mixed", "sunny")[seed % 4]
    weather = week_weather(rng, kind)
    _, lat, lon = next(d for d in cases.DISTRICTS if d[0] == sc.district)
    per_kwp, clear_noon = kerala_week_per_kwp(rng, weather, trace, KERALA_WEEK_START, lat, lon)
    pv_share = rng.uniform(0.42, 0.48) if seed % 4 == 2 else sc.pv_share
    chosen = cases.choose_pv_houses(rng, phases, pv_share, sc.pv_phase)
    kwp = pr.draw_pv_kwp(rng, chosen.size)
    pv_w = week_pv_w(rng, per_kwp, n, chosen, kwp)
    new_houses = _others(rng, n, chosen, int(rng.integers(2, 4)))
    new_pv = new_pv_systems(rng, new_houses, weather, habit_midday_kw(habits), clear_noon)

    unbalance = "strongly unbalanced" if sc.strongly_unbalanced else "unbalanced"
    pv_where = f"most PV on {sc.pv_phase.value}" if sc.pv_phase else "PV spread"
    source = f"synthetic Kerala ({sc.district}, {unbalance}, {pv_where}, {kind} week)"
    feeder_id = f"KL-{sc.district}-W{seed % 1000:03d}"
    return _assemble(
        rng,
        _Feeder(
            name=f"week-{seed}",
            source=source,
            feeder_id=feeder_id,
            phases=phases,
            start=KERALA_WEEK_START,
            habits=habits,
            weather=weather,
            per_kwp=per_kwp,
            pv_houses=chosen,
            pv_kwp=kwp,
            pv_w=pv_w,
            new_pv=new_pv,
        ),
    )


def build_au_week(data_dir: Path) -> BuiltWeek:
    """Build au-week: Australian feeder N over a Kerala week (see the module docstring)."""
    au = cases.read_au_feeder(data_dir)
    trace = cases.read_pv_1min(data_dir)
    rng = np.random.default_rng([_WEEK_TAG, 20260316])
    n = len(au.names)
    habit = au.shapes_kw * 1000.0
    habits = Habits(
        np.broadcast_to(habit, (WEEK_DAYS, *habit.shape)),
        30,
        np.full(n, 0.9),  # as in the OpenDSS model
        rng.random(n) < 0.35,
    )
    weather = week_weather(rng, "mixed")
    per_kwp, clear_noon = kerala_week_per_kwp(rng, weather, trace, KERALA_WEEK_START, 8.52, 76.94)
    noon_kw = cases.au_midday_kw(au)
    chosen = cases.choose_au_pv(rng, noon_kw, 0.3)
    kwp = cases.exporting_kwp(rng, noon_kw[chosen], clear_noon)
    pv_w = week_pv_w(rng, per_kwp, n, chosen, kwp)
    count = int(rng.integers(2, 4))
    new_houses = cases.choose_au_pv(rng, noon_kw, count / n, exclude=chosen.tolist())
    new_pv = new_pv_systems(rng, new_houses, weather, noon_kw, clear_noon)

    source = "Australian LV feeder N (real loads, phases and daily shapes), mixed week"
    return _assemble(
        rng,
        _Feeder(
            name="au-week",
            source=source,
            feeder_id="AU-NET-W001",
            phases=au.phases,
            start=KERALA_WEEK_START,
            habits=habits,
            weather=weather,
            per_kwp=per_kwp,
            pv_houses=chosen,
            pv_kwp=kwp,
            pv_w=pv_w,
            new_pv=new_pv,
        ),
    )


def build_simbench_week(data_dir: Path, start: date = SIMBENCH_WEEK_START) -> BuiltWeek:
    """Build simbench-week: 60 houses on 7 real SimBench days (see the module docstring)."""
    src = cases.read_simbench_day(data_dir, start, WEEK_DAYS)
    rng = np.random.default_rng([_WEEK_TAG, int(start.strftime("%Y%m%d"))])
    n = 60
    types = rng.choice(len(cases.SIMBENCH_H0_TYPES), size=n)
    profile = [cases.SIMBENCH_H0_TYPES[int(i)] for i in types]
    p_pu = np.column_stack([src.p_pu[name] for name in profile])  # (days × 96, n)
    mean_day_pu_h = p_pu.sum(axis=0) / 4.0 / WEEK_DAYS
    scale_w = pr.draw_daily_kwh(rng, n) * 1000.0 / np.maximum(mean_day_pu_h, 1e-6)
    habits = Habits(
        (p_pu * scale_w).reshape(WEEK_DAYS, 96, n),
        15,
        rng.uniform(0.9, 0.97, n),
        np.zeros(n, dtype=np.bool_),
        jitter_sigma=0.0,  # the real days vary by the hour already
    )

    pv_name = max(src.pv_pu, key=lambda k: float(src.pv_pu[k].sum()))
    per_kwp = pr.resample_preserving_means(src.pv_pu[pv_name][:, None], 15)[:, 0]
    by_day = per_kwp.reshape(WEEK_DAYS, pr.MINUTES_PER_DAY)
    weather = label_weather(by_day.sum(axis=1))
    clear_noon = max(cases.noon_kw_per_kwp(d) for d in by_day)
    phases = cases.assign_phases(rng, cases.phase_counts(n, cases.simbench_phase_shares(rng)))
    pv_phase = PHASES[int(rng.integers(3))]
    chosen = cases.choose_pv_houses(rng, phases, 0.3, pv_phase)
    kwp = pr.draw_pv_kwp(rng, chosen.size)
    pv_w = week_pv_w(rng, per_kwp, n, chosen, kwp)
    new_houses = _others(rng, n, chosen, int(rng.integers(2, 4)))
    new_pv = new_pv_systems(rng, new_houses, weather, habit_midday_kw(habits), clear_noon)

    end = date.fromordinal(start.toordinal() + WEEK_DAYS - 1)
    source = (
        f"SimBench H0 households and {pv_name} PV of {start} to {end:%m-%d} (real days), "
        f"most PV on {pv_phase.value}"
    )
    return _assemble(
        rng,
        _Feeder(
            name="simbench-week",
            source=source,
            feeder_id=f"DE-SBW-{start:%m%d}",
            phases=phases,
            start=start,
            habits=habits,
            weather=weather,
            per_kwp=per_kwp,
            pv_houses=chosen,
            pv_kwp=kwp,
            pv_w=pv_w,
            new_pv=new_pv,
        ),
    )


# --- the registry ---------------------------------------------------------------------------------


def list_weeks() -> list[str]:
    """Return the names of the development weeks."""
    return ["au-week", "simbench-week", *(f"week-{i}" for i in range(1, 5))]


def is_week(name: str) -> bool:
    """Return whether `name` names a week case."""
    return name in {"au-week", "simbench-week"} or _WEEK_RE.match(name) is not None


def make_week(name: str, data_dir: Path | None = None) -> BuiltWeek:
    """Build a week by name, with its makeup: au-week, simbench-week or week-<seed>."""
    folder = cases.shared_data_dir() if data_dir is None else data_dir
    if m := _WEEK_RE.match(name):
        return build_synth_week(int(m.group(1)), folder)
    if name == "au-week":
        return build_au_week(folder)
    if name == "simbench-week":
        return build_simbench_week(folder)
    raise ValueError(f"unknown week {name!r}: use au-week, simbench-week or week-<seed>")


def build_week(name: str, data_dir: Path | None = None) -> WeekCase:
    """Build a week case by name: au-week, simbench-week or week-<seed>."""
    return make_week(name, data_dir).case
