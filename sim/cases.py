"""Named development days for the balancing replay, and their CSV files (DESIGN §6).

Cases (1-minute days, local time IST):

- ``au-n``: the real Australian LV feeder N (CSIRO/Ausgrid): 63 loads with their phases and
  30-minute daily shapes, brought to 1 minute with appliance events (30-minute means kept),
  with rooftop PV added to ~30 % of the houses under a real cloudy-day PV trace.
- ``simbench-<summer|spring|YYYY-MM-DD>``: 60 houses from the SimBench H0 household profiles
  of a 2016 date (15-minute means kept), PV from the SimBench PV profile of that date.
- ``synth-<seed>``: the synthetic Kerala feeder of that seed (40–80 houses).

Week-long cases (``au-week``, ``simbench-week``, ``week-<seed>``) live in `sim.weeks`;
`build_case` returns all their days, `build_week` also their survey and evaluation times,
`list_week_cases` names the development weeks (`list_cases` the single days only).

`build_case(name)` is deterministic; `write_case` writes ``houses.csv`` and ``readings.csv``
in the replay's format. CLI: ``python -m sim.cases list [--weeks]`` and
``python -m sim.cases build NAME [NAME ...] --out DIR``.
The shared data folder is ``<repo>/../shared/data`` unless ``SP_SHARED_DATA`` names another.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import numpy.typing as npt

from grid.phasors import PHASES, FloatArray, Phase
from grid.timezones import IST
from sim import profiles as pr
from sim.feeder_day import FeederDay, HouseSpec

if TYPE_CHECKING:
    from sim.weeks import WeekCase

DATA_ENV: Final = "SP_SHARED_DATA"
"""Environment variable naming the shared data folder."""

AU_LOADS: Final = "australia_lv_feeder_N/new_load_data.txt"
AU_SHAPES: Final = "australia_lv_feeder_N/N_loadshape.txt"
SIMBENCH_H0: Final = "simbench_profiles_15min/household_profiles_H0_2016_15min.csv"
SIMBENCH_PV: Final = "simbench_profiles_15min/pv_profiles_PV1-PV8_2016_15min.csv"
PV_1MIN: Final = "pv_1min_day/derived_pv_1min_mean.csv"

KERALA_DAY: Final = date(2026, 3, 16)
"""Local date of the au-n and synth-<seed> days."""

SIMBENCH_DAYS: Final = {"summer": date(2016, 6, 21), "spring": date(2016, 4, 15)}
SIMBENCH_H0_TYPES: Final = ("H0-A", "H0-B", "H0-C", "H0-G", "H0-L")
"""Household types used; H0-H (flat business-hours shape with Q/P ≈ 1.3) is left out."""

SWITCHABLE_SHARE: Final = 0.9
"""Share of houses that can have a phase selector fitted."""

DISTRICTS: Final = (
    ("TVM", 8.52, 76.94),
    ("KLM", 8.89, 76.61),
    ("PTA", 9.26, 76.79),
    ("ALP", 9.50, 76.34),
    ("KTM", 9.59, 76.52),
    ("IDK", 9.85, 76.97),
    ("EKM", 9.98, 76.28),
    ("TSR", 10.53, 76.21),
    ("PKD", 10.78, 76.65),
    ("MLP", 11.07, 76.07),
    ("KKD", 11.26, 75.78),
    ("WYD", 11.69, 76.08),
    ("KNR", 11.87, 75.37),
    ("KSD", 12.50, 75.00),
)
"""Kerala district codes with the latitude and longitude of their headquarters [°]."""

_AU_SEED: Final = 20260316
_AU_PHASES: Final = {"1": Phase.R, "2": Phase.Y, "3": Phase.B}


class MissingDataError(FileNotFoundError):
    """A shared data file the case needs is not there."""


# --- where the data lives ---------------------------------------------------------------------


def shared_data_dir(environ: Mapping[str, str] | None = None) -> Path:
    """Return the shared data folder: $SP_SHARED_DATA, else <repo root>/../shared/data."""
    env = os.environ if environ is None else environ
    if env.get(DATA_ENV):
        return Path(env[DATA_ENV])
    return Path(__file__).resolve().parents[1].parent / "shared" / "data"


def data_file(data_dir: Path, relative: str) -> Path:
    """Return the path of a shared data file, or raise MissingDataError naming it."""
    path = data_dir / relative
    if not path.is_file():
        raise MissingDataError(
            f"missing data file {path} (set {DATA_ENV} to the folder that holds {relative})"
        )
    return path


def _read_text(data_dir: Path, relative: str) -> str:
    return data_file(data_dir, relative).read_text(encoding="utf-8")


# --- parsing (pure) -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AuFeeder:
    """The loads of Australian feeder N: names, phases and 30-minute shapes [kW]."""

    names: tuple[str, ...]
    phases: tuple[Phase, ...]
    shapes_kw: FloatArray  # (48, loads), mean demand of each half hour from 00:00 [kW]


_AU_LOAD_RE = re.compile(r"^New Load\.(\S+)\s.*?\bbus1=[^.\s]+\.([123])\.4\b.*?\bdaily=(\S+)", re.M)
_AU_SHAPE_RE = re.compile(r"^New Loadshape\.(\S+)\s.*?\bmult=\[([^\]]*)\]", re.M)


def parse_au_feeder(loads_text: str, shapes_text: str) -> AuFeeder:
    """Parse OpenDSS load definitions and their daily load shapes into an AuFeeder."""
    shapes = {
        m.group(1): np.array(m.group(2).split(), dtype=np.float64)
        for m in _AU_SHAPE_RE.finditer(shapes_text)
    }
    names: list[str] = []
    phases: list[Phase] = []
    columns: list[FloatArray] = []
    for m in _AU_LOAD_RE.finditer(loads_text):
        name, phase, shape = m.groups()
        if shape not in shapes:
            raise ValueError(f"load {name} uses unknown load shape {shape}")
        names.append(name)
        phases.append(_AU_PHASES[phase])
        columns.append(shapes[shape])
    if not columns:
        raise ValueError("no single-phase loads found")
    return AuFeeder(tuple(names), tuple(phases), np.column_stack(columns))


@dataclass(frozen=True, slots=True)
class SimbenchDay:
    """Consecutive 2016 days of SimBench 15-minute profiles [p.u.], each of shape (96 × days,)."""

    day: date  # the first day
    p_pu: dict[str, FloatArray]  # household active power by type, e.g. "H0-A"
    q_pu: dict[str, FloatArray]  # household reactive power by type
    pv_pu: dict[str, FloatArray]  # PV output by profile, "PV1" … "PV8" [p.u. of kWp]


def parse_simbench_rows(text: str, day: date, days: int = 1) -> dict[str, FloatArray]:
    """Return the quarter-hour values of `days` days from `day` of every column of a SimBench
    CSV, shape (96 × days,) each."""
    lines = text.splitlines()
    header = lines[0].split(",")
    prefixes = tuple((day + timedelta(days=k)).strftime("%d.%m.%Y ") for k in range(days))
    rows = [line.split(",")[1:] for line in lines[1:] if line.startswith(prefixes)]
    if len(rows) != 96 * days:
        span = f"{day}" if days == 1 else f"{day} + {days - 1} days"
        raise ValueError(
            f"{span} has {len(rows)} quarter-hours in the SimBench data, not {96 * days}"
        )
    values = np.array(rows, dtype=np.float64)
    return {name: values[:, i] for i, name in enumerate(header[1:])}


def parse_pv_1min(text: str) -> FloatArray:
    """Return the 1-minute normalised PV trace (column value_norm), shape (1440,)."""
    lines = text.splitlines()
    col = lines[0].split(",").index("value_norm")
    trace = np.array([float(line.split(",")[col]) for line in lines[1:] if line], dtype=np.float64)
    if trace.size != pr.MINUTES_PER_DAY:
        raise ValueError(f"PV trace has {trace.size} minutes, not {pr.MINUTES_PER_DAY}")
    return trace


# --- reading --------------------------------------------------------------------------------------


def read_au_feeder(data_dir: Path) -> AuFeeder:
    """Read the loads of Australian feeder N."""
    return parse_au_feeder(_read_text(data_dir, AU_LOADS), _read_text(data_dir, AU_SHAPES))


def read_simbench_day(data_dir: Path, day: date, days: int = 1) -> SimbenchDay:
    """Read `days` consecutive days from `day` of the SimBench household and PV profiles."""
    h0 = parse_simbench_rows(_read_text(data_dir, SIMBENCH_H0), day, days)
    pv = parse_simbench_rows(_read_text(data_dir, SIMBENCH_PV), day, days)
    p_pu = {k.removesuffix("_pload"): v for k, v in h0.items() if k.endswith("_pload")}
    q_pu = {k.removesuffix("_qload"): v for k, v in h0.items() if k.endswith("_qload")}
    return SimbenchDay(day, p_pu, q_pu, pv)


def read_pv_1min(data_dir: Path) -> FloatArray:
    """Read the real 1-minute cloudy-day PV trace, normalised to its 1-second peak."""
    return parse_pv_1min(_read_text(data_dir, PV_1MIN))


# --- feeder composition ---------------------------------------------------------------------------


def day_steps_s(day: date, days: int = 1) -> FloatArray:
    """Return the epoch seconds of the minutes of `days` local IST days from `day`."""
    start = datetime(day.year, day.month, day.day, tzinfo=IST).timestamp()
    return start + 60.0 * np.arange(days * pr.MINUTES_PER_DAY, dtype=np.float64)


def phase_counts(n_houses: int, shares: npt.ArrayLike) -> tuple[int, int, int]:
    """Return houses per phase (R, Y, B) closest to `shares`, summing to `n_houses`."""
    share = np.asarray(shares, dtype=np.float64)
    raw = share / share.sum() * n_houses
    counts = np.floor(raw).astype(int)
    for i in np.argsort(counts - raw)[: n_houses - int(counts.sum())]:
        counts[i] += 1
    return int(counts[0]), int(counts[1]), int(counts[2])


def assign_phases(rng: np.random.Generator, counts: Sequence[int]) -> tuple[Phase, ...]:
    """Return a random order of houses over the phases with the given counts (R, Y, B)."""
    phases = np.repeat(np.arange(3), counts)
    return tuple(PHASES[int(i)] for i in rng.permutation(phases))


def choose_switchable(rng: np.random.Generator, n_houses: int) -> tuple[bool, ...]:
    """Return which houses can have a phase selector: ~90 %, chosen at random."""
    k = round(SWITCHABLE_SHARE * n_houses)
    return tuple(bool(x) for x in rng.permutation(n_houses) < k)


def choose_pv_houses(
    rng: np.random.Generator,
    phases: Sequence[Phase],
    share: float,
    on_phase: Phase | None = None,
) -> npt.NDArray[np.intp]:
    """Return the sorted indices of the houses with PV, a `share` of all houses.

    With `on_phase` set, 60–80 % of the PV houses (as many as it has) sit on that phase.
    """
    n = len(phases)
    k = max(1, round(share * n))
    if on_phase is None:
        return np.sort(rng.choice(n, size=k, replace=False)).astype(np.intp)
    on = np.array([p == on_phase for p in phases])
    k_on = min(round(rng.uniform(0.6, 0.8) * k), int(on.sum()))
    k_off = min(k - k_on, int((~on).sum()))
    picked = np.concatenate(
        [
            rng.choice(np.flatnonzero(on), size=k_on, replace=False),
            rng.choice(np.flatnonzero(~on), size=k_off, replace=False),
        ]
    )
    return np.sort(picked).astype(np.intp)


def house_specs(
    feeder_id: str,
    phases: Sequence[Phase],
    switchable: Sequence[bool],
    pv_kw: FloatArray,
) -> tuple[HouseSpec, ...]:
    """Return the house specs with ids <feeder>-H001, -H002, …"""
    return tuple(
        HouseSpec(f"{feeder_id}-H{i + 1:03d}", ph, sw, float(kw))
        for i, (ph, sw, kw) in enumerate(zip(phases, switchable, pv_kw, strict=True))
    )


def _feeder_day(
    houses: tuple[HouseSpec, ...], day: date, load: pr.Load, pv_w: FloatArray
) -> FeederDay:
    return FeederDay(houses, day_steps_s(day), load.p_w - pv_w, load.q_var, pv_w)


def with_pv(n_houses: int, chosen: npt.NDArray[np.integer[Any]], kwp: FloatArray) -> FloatArray:
    """Return every house's registered PV size [kWp]: `kwp` at the `chosen` houses, else 0."""
    out = np.zeros(n_houses)
    out[chosen] = kwp
    return out


# --- au-n ---------------------------------------------------------------------------------------


def kerala_sun(day: date, lat_deg: float, lon_deg: float) -> tuple[FloatArray, float, float]:
    """Return cos(zenith) of every minute (1440,) and sunrise and sunset [min] of an IST day."""
    doy = day.timetuple().tm_yday
    sunrise, sunset = pr.sun_times_min(doy, lat_deg, lon_deg, 5.5)
    return pr.cos_zenith(doy, lat_deg, lon_deg, 5.5), sunrise, sunset


def noon_kw_per_kwp(per_kwp: FloatArray) -> float:
    """Return the mean PV output per kWp over 11:30–12:30 of a day's curve [kW/kWp]."""
    return float(per_kwp[690:750].mean())


def au_midday_kw(feeder: AuFeeder) -> FloatArray:
    """Return each AU load's mean demand over 11:00–13:00 [kW]."""
    return np.asarray(feeder.shapes_kw[22:26].mean(axis=0), dtype=np.float64)


def choose_au_pv(
    rng: np.random.Generator, midday_kw: FloatArray, share: float, exclude: Sequence[int] = ()
) -> npt.NDArray[np.intp]:
    """Return the sorted indices of a `share` of all AU loads, drawn from those that use at
    most 1.5 kW at midday (so that rooftop PV exports) and not in `exclude`."""
    ok = midday_kw <= 1.5
    ok[list(exclude)] = False
    size = round(share * midday_kw.size)
    return np.sort(rng.choice(np.flatnonzero(ok), size=size, replace=False)).astype(np.intp)


def exporting_kwp(
    rng: np.random.Generator, midday_kw: FloatArray, noon_per_kwp: float, max_kwp: float = 5.0
) -> FloatArray:
    """Return PV sizes [kWp]: the usual draw, raised in 0.5 kWp steps (up to `max_kwp`) until
    noon output exceeds the house's `midday_kw` [kW] by 0.5 kW at `noon_per_kwp` [kW/kWp]."""
    needed = np.ceil(2.0 * (midday_kw + 0.5) / noon_per_kwp) / 2.0
    return np.minimum(np.maximum(pr.draw_pv_kwp(rng, midday_kw.size), needed), max_kwp)


def fit_to_blocks(
    rng: np.random.Generator,
    events: pr.Load,
    targets_w: FloatArray,
    block_min: int,
    base_power_factor: float | FloatArray,
) -> pr.Load:
    """Return 1-minute loads of appliance `events` on a smooth base, keeping every block mean.

    `targets_w` (blocks, n) are the source block means [W]; the base follows the curve
    through them with slow ±5 % wander and has the given power factor.
    """
    n = targets_w.shape[1]
    curve = pr.interpolate_blocks(targets_w, block_min)
    floor = 0.02 * np.maximum(targets_w.mean(axis=0), 1.0)
    wander = np.clip(1.0 + 0.05 * pr.smooth_noise(rng, n), 0.7, 1.3)
    base_shape = np.maximum(curve, floor[None, :]) * wander
    fit = pr.fit_block_means(events.p_w, base_shape, targets_w, block_min)
    tan = pr.tan_phi(base_power_factor)
    q = fit.event_gain * events.q_var + fit.base_w * tan
    return pr.Load(fit.p_w, q)


def build_au_n(data_dir: Path) -> FeederDay:
    """Build the au-n day: Australian feeder N on a Kerala March day with 30 % rooftop PV."""
    feeder = read_au_feeder(data_dir)
    trace = read_pv_1min(data_dir)
    rng = np.random.default_rng(_AU_SEED)
    n = len(feeder.names)
    targets_w = feeder.shapes_kw * 1000.0
    events = pr.appliances_load(rng, n, ac_share=0.35)
    load = fit_to_blocks(rng, events, targets_w, 30, 0.9)  # pf 0.9 as in the OpenDSS model

    _, sunrise, sunset = kerala_sun(KERALA_DAY, 8.52, 76.94)
    per_kwp = 0.8 * pr.warp_daylight(trace, sunrise, sunset)
    midday_kw = au_midday_kw(feeder)
    chosen = choose_au_pv(rng, midday_kw, 0.3)
    kwp = exporting_kwp(rng, midday_kw[chosen], noon_kw_per_kwp(per_kwp))
    pv_w = np.zeros((pr.MINUTES_PER_DAY, n))
    pv_w[:, chosen] = pr.houses_pv_w(rng, per_kwp, kwp)

    specs = house_specs(
        "AU-NET-0001", feeder.phases, choose_switchable(rng, n), with_pv(n, chosen, kwp)
    )
    return _feeder_day(specs, KERALA_DAY, load, pv_w)


# --- simbench -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SimbenchCase:
    """A SimBench-based day with what each house was made from."""

    day: FeederDay
    profile: tuple[str, ...]  # household profile type of each house, e.g. "H0-A"
    scale_w: FloatArray  # W per p.u. of each house's profile
    shift_min: npt.NDArray[np.intp]  # delay of each house's profile [min], −30 … +30
    pv_profile: str  # the SimBench PV profile (the feeder's weather), e.g. "PV2"


def simbench_date(label: str) -> date:
    """Return the 2016 date of a simbench case label: "summer", "spring" or YYYY-MM-DD."""
    if label in SIMBENCH_DAYS:
        return SIMBENCH_DAYS[label]
    try:
        day = date.fromisoformat(label)
    except ValueError:
        raise ValueError(
            f"unknown simbench day {label!r}: use {', '.join(SIMBENCH_DAYS)} or 2016-MM-DD"
        ) from None
    if day.year != 2016:
        raise ValueError(f"the SimBench profiles cover 2016 only, not {day}")
    return day


def simbench_phase_shares(rng: np.random.Generator) -> FloatArray:
    """Return the share of houses on R, Y, B of a SimBench feeder: 40/33/27 % ± 3 % in any order."""
    return rng.permutation(np.array([0.40, 0.33, 0.27]) + rng.uniform(-0.03, 0.03, 3))


def build_simbench(data_dir: Path, day: date, n_houses: int = 60) -> SimbenchCase:
    """Build a SimBench-based feeder of `n_houses` houses on a 2016 `day`."""
    src = read_simbench_day(data_dir, day)
    rng = np.random.default_rng(int(day.strftime("%Y%m%d")))
    n = n_houses
    types = rng.choice(len(SIMBENCH_H0_TYPES), size=n)
    profile = tuple(SIMBENCH_H0_TYPES[int(i)] for i in types)
    p_pu = np.column_stack([src.p_pu[name] for name in profile])
    q_pu = np.column_stack([src.q_pu[name] for name in profile])
    daily_kwh = pr.draw_daily_kwh(rng, n)
    scale_w = daily_kwh * 1000.0 / np.maximum(p_pu.sum(axis=0) / 4.0, 1e-6)
    events = pr.appliances_load(rng, n, ac_share=0.0)
    load = fit_to_blocks(rng, events, p_pu * scale_w, 15, rng.uniform(0.9, 0.97, n))
    q_fix = q_pu * scale_w - pr.block_means(load.q_var, 15)
    load = pr.Load(load.p_w, load.q_var + np.repeat(q_fix, 15, axis=0))
    shift = rng.integers(-30, 31, n).astype(np.intp)
    load = pr.Load(pr.delay_columns(load.p_w, shift), pr.delay_columns(load.q_var, shift))

    pv_name = max(src.pv_pu, key=lambda k: float(src.pv_pu[k].sum()))
    per_kwp = pr.resample_preserving_means(src.pv_pu[pv_name][:, None], 15)[:, 0]
    phases = assign_phases(rng, phase_counts(n, simbench_phase_shares(rng)))
    chosen = choose_pv_houses(rng, phases, 0.3)
    kwp = pr.draw_pv_kwp(rng, chosen.size)
    pv_w = np.zeros((pr.MINUTES_PER_DAY, n))
    pv_w[:, chosen] = pr.houses_pv_w(rng, per_kwp, kwp, gain=(0.95, 1.03))
    feeder_id = f"DE-SBH-{day:%m%d}"
    specs = house_specs(feeder_id, phases, choose_switchable(rng, n), with_pv(n, chosen, kwp))
    return SimbenchCase(_feeder_day(specs, day, load, pv_w), profile, scale_w, shift, pv_name)


# --- synth --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SynthScenario:
    """What a synth-<seed> feeder was drawn to be."""

    n_houses: int
    district: str
    phase_shares: tuple[float, float, float]  # drawn share of houses on R, Y, B
    strongly_unbalanced: bool
    pv_share: float  # share of houses with PV
    pv_phase: Phase | None  # the phase most PV sits on, None when spread evenly
    ac_share: float  # share of houses with an air conditioner
    weather: str  # "clear", "scattered" or "afternoon-clouds"
    cloud_share_am: float
    cloud_share_pm: float


def synth_scenario(rng: np.random.Generator, seed: int) -> SynthScenario:
    """Draw the make-up of a synthetic Kerala feeder.

    The kind of day rotates with the seed so that any four consecutive seeds cover them all:
    even seeds are strongly unbalanced (one phase 45–60 % of the houses), seeds divisible by
    3 have most PV on one phase, and the weather runs afternoon clouds, clear, scattered,
    scattered for seed mod 4 = 0, 1, 2, 3. Sizes, shares and cloud amounts are random draws.
    """
    n = int(rng.integers(40, 81))
    strong = seed % 2 == 0
    if strong:
        major = rng.uniform(0.45, 0.6)
        split = rng.uniform(0.3, 0.7)
        raw = np.array([major, (1.0 - major) * split, (1.0 - major) * (1.0 - split)])
        shares = rng.permutation(raw)
    else:
        shares = rng.dirichlet([14.0, 14.0, 14.0])
    pv_phase = PHASES[int(rng.integers(3))] if seed % 3 == 0 else None
    weather = ("afternoon-clouds", "clear", "scattered", "scattered")[seed % 4]
    am, pm = {
        "clear": (0.0, rng.uniform(0.0, 0.05)),
        "scattered": (rng.uniform(0.1, 0.25), rng.uniform(0.2, 0.4)),
        "afternoon-clouds": (rng.uniform(0.0, 0.08), rng.uniform(0.5, 0.8)),
    }[weather]
    return SynthScenario(
        n_houses=n,
        district=DISTRICTS[seed % len(DISTRICTS)][0],
        phase_shares=(float(shares[0]), float(shares[1]), float(shares[2])),
        strongly_unbalanced=strong,
        pv_share=float(rng.uniform(0.25, 0.35)),
        pv_phase=pv_phase,
        ac_share=float(rng.uniform(0.3, 0.4)),
        weather=weather,
        cloud_share_am=float(am),
        cloud_share_pm=float(pm),
    )


@dataclass(frozen=True, slots=True)
class SynthCase:
    """A synthetic Kerala day and the scenario it was drawn from."""

    day: FeederDay
    scenario: SynthScenario


def build_synth(seed: int) -> SynthCase:
    """Build the synthetic Kerala feeder day of a non-negative `seed`."""
    if seed < 0:
        raise ValueError(f"synth seeds are non-negative integers, not {seed}")
    rng = np.random.default_rng(seed)
    sc = synth_scenario(rng, seed)
    n = sc.n_houses
    phases = assign_phases(rng, phase_counts(n, sc.phase_shares))
    load = pr.kerala_household_load(rng, n, ac_share=sc.ac_share)

    chosen = choose_pv_houses(rng, phases, sc.pv_share, sc.pv_phase)
    kwp = pr.draw_pv_kwp(rng, chosen.size)
    _, lat, lon = next(d for d in DISTRICTS if d[0] == sc.district)
    cos_z, _, _ = kerala_sun(KERALA_DAY, lat, lon)
    sky = pr.markov_clear_sky_index(rng, sc.cloud_share_am, sc.cloud_share_pm)
    if sc.weather == "clear":
        sky = np.minimum(sky, 1.0)
    per_kwp = pr.pv_per_kwp(cos_z, sky, performance_ratio=0.78)
    pv_w = np.zeros((pr.MINUTES_PER_DAY, n))
    pv_w[:, chosen] = pr.houses_pv_w(rng, per_kwp, kwp)

    feeder_id = f"KL-{sc.district}-{seed % 10000:04d}"
    specs = house_specs(feeder_id, phases, choose_switchable(rng, n), with_pv(n, chosen, kwp))
    return SynthCase(_feeder_day(specs, KERALA_DAY, load, pv_w), sc)


# --- the case registry ----------------------------------------------------------------------------

_SYNTH_RE = re.compile(r"^synth-(\d+)$")


def list_cases() -> list[str]:
    """Return the names of the single-day development cases."""
    return ["au-n", *(f"simbench-{k}" for k in SIMBENCH_DAYS), *(f"synth-{i}" for i in range(1, 5))]


def list_week_cases() -> list[str]:
    """Return the names of the development weeks (`sim.weeks`)."""
    from sim import weeks  # noqa: PLC0415 - sim.weeks builds on this module

    return weeks.list_weeks()


def build_week(name: str, data_dir: Path | None = None) -> WeekCase:
    """Build a week by name with its survey and evaluation times (`sim.weeks.build_week`)."""
    from sim import weeks  # noqa: PLC0415 - sim.weeks builds on this module

    return weeks.build_week(name, data_dir)


def _is_week(name: str) -> bool:
    from sim import weeks  # noqa: PLC0415 - sim.weeks builds on this module

    return weeks.is_week(name)


def build_case(name: str, data_dir: Path | None = None) -> FeederDay:
    """Build a case by name: au-n, simbench-<summer|spring|2016-MM-DD>, synth-<seed>, or a
    week (au-week, simbench-week, week-<seed>; all its days)."""
    if _is_week(name):
        return build_week(name, data_dir).day
    if m := _SYNTH_RE.match(name):
        return build_synth(int(m.group(1))).day
    folder = shared_data_dir() if data_dir is None else data_dir
    if name == "au-n":
        return build_au_n(folder)
    if name.startswith("simbench-"):
        return build_simbench(folder, simbench_date(name.removeprefix("simbench-"))).day
    raise ValueError(
        f"unknown case {name!r}: use au-n, simbench-<summer|spring|2016-MM-DD>, synth-<seed>,"
        " au-week, simbench-week or week-<seed>"
    )


# --- CSV ------------------------------------------------------------------------------------------

HOUSES_HEADER: Final = "house_id,phase,switchable,pv_kw"
READINGS_HEADER: Final = "ts,house_id,p_w,q_var,pv_w"


def _round_01(x: FloatArray) -> list[float]:
    values: list[float] = (np.round(x, 1) + 0.0).ravel().tolist()  # + 0.0 turns −0.0 into 0.0
    return values


def write_case(day: FeederDay, out_dir: Path) -> tuple[Path, Path]:
    """Write a day as houses.csv and readings.csv in `out_dir`; return their paths.

    readings.csv has one row per house per step, ordered by time then house, powers rounded
    to 0.1 W/var and ts in ISO-8601 with the local offset (e.g. 2026-03-16T00:00:00+05:30).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    houses_path, readings_path = out_dir / "houses.csv", out_dir / "readings.csv"
    house_rows = [
        f"{h.house_id},{h.phase.value},{int(h.switchable)},{h.pv_kw:.2f}" for h in day.houses
    ]
    houses_path.write_text("\n".join([HOUSES_HEADER, *house_rows]) + "\n", encoding="utf-8")

    ids = [h.house_id for h in day.houses]
    stamps = [day.local_time(i).isoformat() for i in range(len(day.ts_s))]
    p, q, pv = _round_01(day.p_w), _round_01(day.q_var), _round_01(day.pv_w)
    n = len(ids)
    with readings_path.open("w", encoding="utf-8", newline="") as f:
        f.write(READINGS_HEADER + "\n")
        for step, ts in enumerate(stamps):
            lo = step * n
            f.write(
                "".join(
                    f"{ts},{hid},{pw:.1f},{qv:.1f},{sw:.1f}\n"
                    for hid, pw, qv, sw in zip(
                        ids, p[lo : lo + n], q[lo : lo + n], pv[lo : lo + n], strict=True
                    )
                )
            )
    return houses_path, readings_path


# --- CLI ------------------------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m sim.cases", description="Development feeder days for the balancing replay."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    listing = sub.add_parser("list", help="print the development case names")
    listing.add_argument("--weeks", action="store_true", help="the week-long cases instead")
    build = sub.add_parser("build", help="write cases as houses.csv + readings.csv")
    build.add_argument("names", nargs="+", metavar="NAME")
    build.add_argument("--out", type=Path, required=True, help="folder; one sub-folder per case")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    args = _parser().parse_args(argv)
    if args.command == "list":
        print("\n".join(list_week_cases() if args.weeks else list_cases()))
        return 0
    for name in args.names:
        started = time.perf_counter()
        span = ""
        try:
            if _is_week(name):
                week = build_week(name)
                day = week.day
                survey = datetime.fromtimestamp(week.survey_until_s, IST)
                span = f", {len(day.ts_s) // pr.MINUTES_PER_DAY} days, survey until {survey:%F}"
            else:
                day = build_case(name)
        except (MissingDataError, ValueError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        houses, _ = write_case(day, args.out / name)
        seconds = time.perf_counter() - started
        print(f"{name}: {len(day.houses)} houses{span} -> {houses.parent} ({seconds:.2f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
