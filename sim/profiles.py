"""Per-house 1-minute load and PV series: appliances, daily shapes, clear sky and clouds.

Pure generators: every function takes numbers, arrays and a `numpy.random.Generator` and
returns arrays; no files, no clock. Per-house series have shape (MINUTES_PER_DAY, houses),
the minute of the local day first. Powers are in W (active) and var (reactive, + inductive).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Final

import numpy as np
import numpy.typing as npt

from grid.phasors import FloatArray

IntArray = npt.NDArray[np.intp]
BoolArray = npt.NDArray[np.bool_]

MINUTES_PER_DAY: Final = 1440
"""Steps in a day of 1-minute readings."""


def minute_of_day() -> FloatArray:
    """Return the start of every minute of the day [min], shape (1440,)."""
    return np.arange(MINUTES_PER_DAY, dtype=np.float64)


# --- loads ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Load:
    """Active and reactive power of houses, each of shape (MINUTES_PER_DAY, houses)."""

    p_w: FloatArray  # active power [W]
    q_var: FloatArray  # reactive power [var], + inductive

    def __add__(self, other: Load) -> Load:
        return Load(self.p_w + other.p_w, self.q_var + other.q_var)

    @staticmethod
    def zeros(n_houses: int) -> Load:
        """Return a load of zero for `n_houses` houses."""
        shape = (MINUTES_PER_DAY, n_houses)
        return Load(np.zeros(shape), np.zeros(shape))

    def energy_kwh(self) -> FloatArray:
        """Return the energy of each house over the day [kWh], assuming 1-minute steps."""
        return np.asarray(self.p_w.sum(axis=0) / 60_000.0, dtype=np.float64)


@dataclass(frozen=True, slots=True)
class Window:
    """A time of day around which an appliance is switched on."""

    centre_h: float  # local time [h]
    spread_h: float  # standard deviation of the start time [h]
    weight: float = 1.0  # relative share of the events starting in this window


@dataclass(frozen=True, slots=True)
class Appliance:
    """An appliance used in events: a kettle boil, a pump run, a night of air conditioning.

    While an event runs the appliance draws `rated × (idle + (1 − idle) × on-fraction)`, the
    on-fraction following a thermostat or compressor cycle when `cycle_min` is set.
    """

    name: str
    ownership: float  # share of houses that use it on the day
    events: tuple[int, int]  # events per day in a house that uses it, inclusive range
    rated_w: tuple[float, float]  # rated power of one house's appliance, uniform range [W]
    duration_min: tuple[int, int]  # length of one event, inclusive range [min]
    windows: tuple[Window, ...]  # when events start
    power_factor: tuple[float, float]  # displacement power factor, uniform range
    cycle_min: tuple[float, float] | None = None  # on/off cycle period [min]
    duty: tuple[float, float] = (1.0, 1.0)  # on share of a cycle
    idle: float = 0.0  # draw in the off part of a cycle, share of rated (an AC's fan)


_MORNING = Window(7.0, 0.75, 0.45)
_DINNER = Window(19.75, 0.9, 0.4)

KETTLE = Appliance(
    "kettle/induction cooktop",
    0.85,
    (2, 5),
    (1200.0, 2200.0),
    (2, 6),
    (_MORNING, Window(12.25, 0.6, 0.1), Window(16.0, 0.5, 0.1), _DINNER),
    (0.97, 1.0),
)
MIXER_GRINDER = Appliance(
    "mixer-grinder", 0.75, (1, 3), (500.0, 750.0), (2, 5), (Window(7.25, 0.6),), (0.75, 0.85)
)
WATER_PUMP = Appliance(
    "water pump",
    0.7,
    (1, 2),
    (370.0, 1100.0),
    (10, 30),
    (Window(6.75, 0.6, 0.7), Window(17.5, 0.8, 0.3)),
    (0.75, 0.85),
)
IRON = Appliance(
    "iron",
    0.45,
    (1, 1),
    (900.0, 1200.0),
    (10, 20),
    (Window(7.5, 0.6, 0.7), Window(19.0, 1.0, 0.3)),
    (1.0, 1.0),
    cycle_min=(2.0, 4.0),
    duty=(0.4, 0.7),
)
FRIDGE = Appliance(
    "fridge",
    0.9,
    (1, 1),
    (80.0, 200.0),
    (MINUTES_PER_DAY, MINUTES_PER_DAY),
    (Window(0.0, 0.0),),
    (0.75, 0.85),
    cycle_min=(30.0, 60.0),
    duty=(0.3, 0.5),
)
EVENING_LIGHTS = Appliance(
    "lights", 0.98, (1, 1), (50.0, 200.0), (150, 300), (Window(18.35, 0.25),), (0.85, 0.95)
)
MORNING_LIGHTS = Appliance(
    "morning lights", 0.5, (1, 1), (20.0, 80.0), (30, 60), (Window(5.5, 0.3),), (0.85, 0.95)
)
FANS = Appliance(
    "ceiling fans (evening)",
    0.9,
    (1, 1),
    (60.0, 180.0),
    (150, 270),
    (Window(19.0, 0.75),),
    (0.8, 0.9),
)
NIGHT_FAN = Appliance(
    "bedroom fan (night)",
    0.75,
    (1, 1),
    (50.0, 120.0),
    (360, 450),
    (Window(22.75, 0.5),),
    (0.8, 0.9),
)
DAY_FAN = Appliance(
    "ceiling fan (afternoon)",
    0.5,
    (1, 2),
    (50.0, 75.0),
    (45, 180),
    (Window(13.5, 1.5),),
    (0.8, 0.9),
)
TV = Appliance(
    "television",
    0.85,
    (1, 2),
    (60.0, 150.0),
    (45, 180),
    (Window(19.75, 1.0, 0.8), Window(13.0, 1.5, 0.2)),
    (0.9, 0.97),
)
AIR_CONDITIONER = Appliance(
    "air conditioner",
    0.35,
    (1, 1),
    (1000.0, 1800.0),
    (300, 480),
    (Window(21.5, 0.5),),
    (0.82, 0.92),
    cycle_min=(15.0, 40.0),
    duty=(0.35, 0.6),
    idle=0.05,
)

KERALA_APPLIANCES: Final = (
    KETTLE,
    MIXER_GRINDER,
    WATER_PUMP,
    IRON,
    FRIDGE,
    EVENING_LIGHTS,
    MORNING_LIGHTS,
    FANS,
    NIGHT_FAN,
    DAY_FAN,
    TV,
)
"""Appliances of a Kerala house apart from the air conditioner and the washing machine."""


def _uniform(rng: np.random.Generator, bounds: tuple[float, float], size: int) -> FloatArray:
    return rng.uniform(bounds[0], bounds[1], size)


def tan_phi(power_factor: npt.ArrayLike) -> FloatArray:
    """Return Q/P for a displacement power factor (inductive)."""
    pf = np.clip(np.asarray(power_factor, dtype=np.float64), 1e-3, 1.0)
    return np.asarray(np.sqrt(1.0 - pf * pf) / pf, dtype=np.float64)


def event_starts_min(rng: np.random.Generator, windows: tuple[Window, ...], size: int) -> IntArray:
    """Return `size` start minutes drawn from a mixture of time-of-day windows [min]."""
    weights = np.array([w.weight for w in windows], dtype=np.float64)
    pick = rng.choice(len(windows), size=size, p=weights / weights.sum())
    centre = np.array([w.centre_h for w in windows])[pick] * 60.0
    spread = np.array([w.spread_h for w in windows])[pick] * 60.0
    start = np.rint(centre + spread * rng.standard_normal(size))
    return np.asarray(np.mod(start, MINUTES_PER_DAY), dtype=np.intp)


def active_mask(
    n_houses: int, house: IntArray, start_min: IntArray, duration_min: IntArray
) -> FloatArray:
    """Return 1.0 where a house has an event running and 0.0 elsewhere, shape (1440, n).

    Events are [start, start + duration) minutes; one running past midnight wraps to the
    early morning of the same day (the day repeats).
    """
    end = start_min + duration_min
    diff = np.zeros((MINUTES_PER_DAY + 1, n_houses))
    np.add.at(diff, (start_min, house), 1.0)
    np.add.at(diff, (np.minimum(end, MINUTES_PER_DAY), house), -1.0)
    wraps = end > MINUTES_PER_DAY
    np.add.at(diff, (np.zeros(int(wraps.sum()), dtype=np.intp), house[wraps]), 1.0)
    np.add.at(diff, (end[wraps] - MINUTES_PER_DAY, house[wraps]), -1.0)
    return np.asarray(np.minimum(np.cumsum(diff[:-1], axis=0), 1.0), dtype=np.float64)


def on_fraction(period_min: FloatArray, duty: FloatArray, offset_min: FloatArray) -> FloatArray:
    """Return the share of each minute a cycling appliance is on, shape (1440, n).

    Each house cycles with its own period [min], on share `duty` and phase `offset_min` [min];
    the result is the exact on-time within each 1-minute step, so short cycles average out.
    """
    on_min = period_min * duty
    t = np.arange(MINUTES_PER_DAY + 1, dtype=np.float64)[:, None] + offset_min[None, :]
    cumulative = np.floor(t / period_min) * on_min + np.minimum(np.mod(t, period_min), on_min)
    return np.asarray(np.diff(cumulative, axis=0), dtype=np.float64)


def appliance_load(rng: np.random.Generator, n_houses: int, appliance: Appliance) -> Load:
    """Return the 1-minute P and Q of one appliance in each of `n_houses` houses."""
    uses = rng.random(n_houses) < appliance.ownership
    counts = rng.integers(appliance.events[0], appliance.events[1] + 1, n_houses) * uses
    house = np.repeat(np.arange(n_houses, dtype=np.intp), counts)
    starts = event_starts_min(rng, appliance.windows, house.size)
    lo, hi = appliance.duration_min
    durations = rng.integers(lo, hi + 1, house.size).astype(np.intp)
    rated_w = _uniform(rng, appliance.rated_w, n_houses)
    tan = tan_phi(_uniform(rng, appliance.power_factor, n_houses))
    level = active_mask(n_houses, house, starts, durations)
    if appliance.cycle_min is not None:
        period = _uniform(rng, appliance.cycle_min, n_houses)
        duty = _uniform(rng, appliance.duty, n_houses)
        on = on_fraction(period, duty, rng.uniform(0.0, period))
        level = level * (appliance.idle + (1.0 - appliance.idle) * on)
    p_w = level * rated_w[None, :]
    return Load(p_w, p_w * tan[None, :])


def washing_machine_load(rng: np.random.Generator, n_houses: int, share: float = 0.3) -> Load:
    """Return washing-machine P and Q: an agitating motor, in half the machines a heater phase.

    Motor 300–500 W (power factor 0.6–0.75) for 45–90 min with agitation cycles; heater
    1.8–2.1 kW (resistive) for 10–20 min from 3 min after the start.
    """
    washes = rng.random(n_houses) < share
    house = np.flatnonzero(washes).astype(np.intp)
    starts = event_starts_min(rng, (Window(9.5, 1.5, 0.75), Window(17.0, 1.0, 0.25)), house.size)
    motor_min = rng.integers(45, 91, house.size).astype(np.intp)
    motor = active_mask(n_houses, house, starts, motor_min)
    agitation = on_fraction(
        rng.uniform(2.0, 4.0, n_houses),
        rng.uniform(0.6, 0.85, n_houses),
        rng.uniform(0, 4, n_houses),
    )
    motor_w = motor * agitation * rng.uniform(300.0, 500.0, n_houses)[None, :]
    heats = rng.random(house.size) < 0.5
    heater = active_mask(
        n_houses,
        house[heats],
        starts[heats] + 3,
        rng.integers(10, 21, int(heats.sum())).astype(np.intp),
    )
    heater_w = heater * rng.uniform(1800.0, 2100.0, n_houses)[None, :]
    motor_q = motor_w * tan_phi(rng.uniform(0.6, 0.75, n_houses))[None, :]
    return Load(motor_w + heater_w, motor_q)


def appliances_load(
    rng: np.random.Generator,
    n_houses: int,
    ac_share: float,
    catalogue: tuple[Appliance, ...] = KERALA_APPLIANCES,
) -> Load:
    """Return the summed P and Q of every appliance in `catalogue`, a washing machine, and an
    air conditioner in a share `ac_share` of the houses (0 for none)."""
    total = washing_machine_load(rng, n_houses)
    for appliance in catalogue:
        total = total + appliance_load(rng, n_houses, appliance)
    if ac_share > 0.0:
        ac = replace(AIR_CONDITIONER, ownership=ac_share)
        total = total + appliance_load(rng, n_houses, ac)
    return total


# --- smooth base and daily shapes ------------------------------------------------------------


def _circular_gauss(hour: FloatArray, centre_h: float, spread_h: float) -> FloatArray:
    d = np.mod(hour - centre_h + 12.0, 24.0) - 12.0
    return np.asarray(np.exp(-0.5 * (d / spread_h) ** 2), dtype=np.float64)


def kerala_base_shape(shift_min: FloatArray) -> FloatArray:
    """Return the Kerala household base-load shape, mean 1 per house, shape (1440, n).

    Low night base, a morning peak 06:00–09:00, a midday lull and a strong evening peak
    18:00–22:30; each house's shape is delayed by its `shift_min` [min].
    """
    hour = (minute_of_day()[:, None] + 0.5 - shift_min[None, :]) / 60.0
    shape = (
        0.3
        + 1.5 * _circular_gauss(hour, 7.25, 0.9)
        + 0.25 * _circular_gauss(hour, 12.75, 1.5)
        + 1.7 * _circular_gauss(hour, 20.0, 1.3)
    )
    return np.asarray(shape / shape.mean(axis=0, keepdims=True), dtype=np.float64)


def smooth_noise(rng: np.random.Generator, n_houses: int, corr_min: int = 10) -> FloatArray:
    """Return zero-mean, unit-variance noise correlated over ~`corr_min` minutes, (1440, n)."""
    white = rng.standard_normal((MINUTES_PER_DAY + corr_min, n_houses))
    c = np.cumsum(white, axis=0)
    moving = (c[corr_min:] - c[:-corr_min]) / math.sqrt(corr_min)
    return np.asarray(moving, dtype=np.float64)


def draw_daily_kwh(rng: np.random.Generator, n_houses: int, median_kwh: float = 5.5) -> FloatArray:
    """Return household daily energies [kWh]: log-normal (σ 0.35) of median `median_kwh`,
    within 3–12 kWh."""
    return np.clip(median_kwh * np.exp(0.35 * rng.standard_normal(n_houses)), 3.0, 12.0)


def kerala_household_load(
    rng: np.random.Generator,
    n_houses: int,
    ac_share: float = 0.35,
    median_kwh: float = 5.5,
) -> Load:
    """Return synthetic Kerala household loads at 1 minute for `n_houses` houses.

    A smooth base (standby and small loads, power factor 0.85–0.97) following
    `kerala_base_shape` with per-house ±30 min timing and slow ±8 % wander, plus appliance
    events. The base is sized so a house's daily energy lands near a log-normal draw of
    median `median_kwh` [kWh] within 3–12 kWh (houses with an air conditioner use more).
    """
    devices = appliances_load(rng, n_houses, ac_share)
    target_kwh = draw_daily_kwh(rng, n_houses, median_kwh)
    base_kwh = np.maximum(target_kwh - devices.energy_kwh(), 0.6)
    shape = kerala_base_shape(rng.uniform(-30.0, 30.0, n_houses))
    wander = np.clip(1.0 + 0.08 * smooth_noise(rng, n_houses), 0.5, 1.5)
    base_w = shape * wander * (base_kwh * 1000.0 / 24.0)[None, :]
    base_q = base_w * tan_phi(rng.uniform(0.85, 0.97, n_houses))[None, :]
    return devices + Load(base_w, base_q)


# --- from coarse profiles to 1 minute, keeping the means -------------------------------------


def block_means(x: FloatArray, block_min: int) -> FloatArray:
    """Return the means of consecutive blocks of `block_min` rows, shape (rows/block, ...)."""
    rows = x.shape[0]
    if rows % block_min:
        raise ValueError(f"{rows} rows do not split into blocks of {block_min}")
    return np.asarray(x.reshape(rows // block_min, block_min, *x.shape[1:]).mean(axis=1))


def _repeat_blocks(x: FloatArray, block_min: int) -> FloatArray:
    return np.asarray(np.repeat(x, block_min, axis=0), dtype=np.float64)


def interpolate_blocks(values: FloatArray, block_min: int) -> FloatArray:
    """Return a piecewise-linear 1-minute curve through block values placed at block centres.

    `values` has shape (blocks, n); the result (blocks × block_min, n), held flat before the
    first and after the last centre.
    """
    values = np.asarray(values, dtype=np.float64)
    steps = values.shape[0] * block_min
    pos = (np.arange(steps) + 0.5) / block_min - 0.5  # position in units of blocks
    pos = np.clip(pos, 0.0, values.shape[0] - 1.0)
    lo = np.floor(pos).astype(np.intp)
    hi = np.minimum(lo + 1, values.shape[0] - 1)
    w = (pos - lo)[:, None] if values.ndim == 2 else pos - lo
    return np.asarray(values[lo] * (1.0 - w) + values[hi] * w, dtype=np.float64)


@dataclass(frozen=True, slots=True)
class BlockFit:
    """A 1-minute load fitted to coarse block means: p = event_gain × events + base."""

    p_w: FloatArray  # fitted active power [W], (steps, n)
    event_gain: FloatArray  # factor applied to the appliance events, (steps, n)
    base_w: FloatArray  # smooth base part of p_w [W], (steps, n)


def fit_block_means(
    events_w: FloatArray,
    base_shape: FloatArray,
    targets_w: FloatArray,
    block_min: int,
    base_floor: float = 0.25,
) -> BlockFit:
    """Fit appliance events onto a smooth base so every block mean equals its target.

    In each block the events keep their size when they use at most (1 − `base_floor`) of the
    block's target mean and the smooth `base_shape` (> 0) fills the rest; otherwise the
    events are scaled down to that share and the base carries `base_floor` of the mean.
    Every block mean of the result equals `targets_w` (blocks, n) up to rounding error,
    and the result is ≥ 0 when the inputs are.
    """
    target = np.maximum(np.asarray(targets_w, dtype=np.float64), 0.0)
    ev_mean = block_means(events_w, block_min)
    base_mean = block_means(base_shape, block_min)
    room = (1.0 - base_floor) * target
    with np.errstate(divide="ignore", invalid="ignore"):
        gain = np.where(ev_mean > room, room / ev_mean, 1.0)
        base_target = target - gain * ev_mean
        base_scale = np.where(base_mean > 0.0, base_target / base_mean, 0.0)
    gain_t = _repeat_blocks(gain, block_min)
    base_w = base_shape * _repeat_blocks(base_scale, block_min)
    return BlockFit(gain_t * events_w + base_w, gain_t, base_w)


def resample_preserving_means(values: FloatArray, block_min: int, sweeps: int = 8) -> FloatArray:
    """Return a smooth 1-minute series whose block means equal `values` (blocks, n), ≥ 0.

    Starts from the piecewise-linear curve through the block centres and adds the
    interpolated shortfall of the block means `sweeps` times, which keeps the curve smooth;
    a last per-block scaling makes the means exact (blocks of 0 stay 0).
    """
    values = np.maximum(np.asarray(values, dtype=np.float64), 0.0)
    curve = interpolate_blocks(values, block_min)
    for _ in range(sweeps):
        curve = curve + interpolate_blocks(values - block_means(curve, block_min), block_min)
    curve = np.maximum(curve, 0.0)
    curve_mean = block_means(curve, block_min)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(curve_mean > 0.0, values / curve_mean, 0.0)
    flat = _repeat_blocks(np.where(curve_mean > 0.0, 0.0, values), block_min)
    return np.asarray(curve * _repeat_blocks(scale, block_min) + flat, dtype=np.float64)


def delay_columns(x: FloatArray, delay_min: IntArray) -> FloatArray:
    """Return each column of `x` (steps, n) delayed by its whole-minute `delay_min`, wrapping."""
    steps = x.shape[0]
    rows = np.mod(np.arange(steps)[:, None] - delay_min[None, :], steps)
    return np.asarray(x[rows, np.arange(x.shape[1])[None, :]], dtype=np.float64)


# --- PV -----------------------------------------------------------------------------------------

PV_KWP_CHOICES: Final = (1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 5.0)
PV_KWP_WEIGHTS: Final = (0.07, 0.08, 0.24, 0.21, 0.2, 0.08, 0.07, 0.05)


def draw_pv_kwp(rng: np.random.Generator, size: int) -> FloatArray:
    """Return rooftop PV sizes [kWp]: 1–5 kW, most 2–3 kW (single-phase Kerala systems)."""
    weights = np.array(PV_KWP_WEIGHTS)
    return np.asarray(
        rng.choice(np.array(PV_KWP_CHOICES), size=size, p=weights / weights.sum()),
        dtype=np.float64,
    )


def _solar_day_terms(day_of_year: int) -> tuple[float, float]:
    """Return the solar declination [rad] and the equation of time [min] (Spencer, 1971)."""
    g = 2.0 * math.pi * (day_of_year - 1) / 365.0
    decl = (
        0.006918
        - 0.399912 * math.cos(g)
        + 0.070257 * math.sin(g)
        - 0.006758 * math.cos(2 * g)
        + 0.000907 * math.sin(2 * g)
        - 0.002697 * math.cos(3 * g)
        + 0.00148 * math.sin(3 * g)
    )
    eot = 229.18 * (
        0.000075
        + 0.001868 * math.cos(g)
        - 0.032077 * math.sin(g)
        - 0.014615 * math.cos(2 * g)
        - 0.040849 * math.sin(2 * g)
    )
    return decl, eot


def cos_zenith(day_of_year: int, lat_deg: float, lon_deg: float, utc_offset_h: float) -> FloatArray:
    """Return the cosine of the solar zenith angle at the middle of every local minute.

    Parameters
    ----------
    day_of_year : 1 … 366.
    lat_deg, lon_deg : site latitude and longitude [°], north and east positive.
    utc_offset_h : local clock offset from UTC [h], 5.5 for IST.
    """
    decl, eot = _solar_day_terms(day_of_year)
    solar_min = minute_of_day() + 0.5 + eot + 4.0 * lon_deg - 60.0 * utc_offset_h
    hour_angle = np.radians(solar_min / 4.0 - 180.0)
    lat = math.radians(lat_deg)
    cz = math.sin(lat) * math.sin(decl) + math.cos(lat) * math.cos(decl) * np.cos(hour_angle)
    return np.asarray(cz, dtype=np.float64)


def sun_times_min(
    day_of_year: int, lat_deg: float, lon_deg: float, utc_offset_h: float
) -> tuple[float, float]:
    """Return local sunrise and sunset [min after midnight], upper limb with refraction."""
    decl, eot = _solar_day_terms(day_of_year)
    lat = math.radians(lat_deg)
    cos_h0 = (math.cos(math.radians(90.833)) - math.sin(lat) * math.sin(decl)) / (
        math.cos(lat) * math.cos(decl)
    )
    half_day_min = 4.0 * math.degrees(math.acos(max(-1.0, min(1.0, cos_h0))))
    noon = 720.0 - eot - 4.0 * lon_deg + 60.0 * utc_offset_h
    return noon - half_day_min, noon + half_day_min


def clear_sky_ghi_w_m2(cos_z: FloatArray) -> FloatArray:
    """Return clear-sky global horizontal irradiance [W/m²] (Haurwitz model)."""
    cz = np.maximum(cos_z, 0.0)
    with np.errstate(divide="ignore"):
        ghi = np.where(cz > 0.0, 1098.0 * cz * np.exp(-0.059 / np.maximum(cz, 1e-6)), 0.0)
    return np.asarray(ghi, dtype=np.float64)


def markov_clear_sky_index(
    rng: np.random.Generator,
    cloud_share_am: float,
    cloud_share_pm: float,
    cloudy_dwell_min: float = 8.0,
    depth: tuple[float, float] = (0.2, 0.6),
    ramp_min: int = 3,
) -> FloatArray:
    """Return a 1-minute clear-sky index from a two-state (clear/cloudy) cloud process.

    The chance of cloud moves from `cloud_share_am` before noon to `cloud_share_pm` after
    (afternoon convection); a cloud passes in ~`cloudy_dwell_min` minutes on average and cuts
    the irradiance to a `depth` drawn for that cloud; edges ramp over `ramp_min` minutes; clear
    sky wanders by ±2 %. Shape (1440,), values in [0, 1.05].
    """
    hour = minute_of_day() / 60.0
    share = np.clip(
        cloud_share_am + (cloud_share_pm - cloud_share_am) / (1.0 + np.exp(-(hour - 12.5))),
        1e-3,
        0.95,
    )
    leave_cloud = 1.0 / cloudy_dwell_min
    enter_cloud = leave_cloud * share / (1.0 - share)
    u = rng.random(MINUTES_PER_DAY)
    depths = rng.uniform(depth[0], depth[1], MINUTES_PER_DAY)
    index = np.ones(MINUTES_PER_DAY)
    cloudy, level = False, 1.0
    for t in range(MINUTES_PER_DAY):
        if cloudy and u[t] < leave_cloud:
            cloudy = False
        elif not cloudy and u[t] < enter_cloud[t]:
            cloudy, level = True, float(depths[t])
        index[t] = level if cloudy else 1.0
    kernel = np.ones(ramp_min) / ramp_min
    padded = np.concatenate([np.full(ramp_min, index[0]), index, np.full(ramp_min, index[-1])])
    smooth = np.convolve(padded, kernel, mode="same")[ramp_min:-ramp_min]
    wander = 1.0 + 0.02 * smooth_noise(rng, 1, corr_min=20)[:, 0]
    return np.asarray(np.clip(smooth * wander, 0.0, 1.05), dtype=np.float64)


def pv_per_kwp(
    cos_z: FloatArray, sky_index: FloatArray, performance_ratio: float = 0.8
) -> FloatArray:
    """Return PV output per installed kWp [kW/kWp] from the sun and a clear-sky index.

    Output follows the global horizontal irradiance (a low-tilt roof near the equator) times
    the system performance ratio (heat, inverter and wiring losses).
    """
    ghi = clear_sky_ghi_w_m2(cos_z) * np.clip(sky_index, 0.0, None)
    return np.asarray(performance_ratio * ghi / 1000.0, dtype=np.float64)


def warp_daylight(
    trace: FloatArray, sunrise_min: float, sunset_min: float, threshold: float = 0.0
) -> FloatArray:
    """Return a 1-minute daylight trace stretched so its daylight spans sunrise to sunset.

    `trace` (1440,) is any day's PV or irradiance shape; the minutes where it exceeds
    `threshold` are mapped linearly onto [sunrise_min, sunset_min]; night is 0.
    """
    lit = np.flatnonzero(trace > threshold)
    if lit.size == 0:
        return np.zeros(MINUTES_PER_DAY)
    src_on, src_off = float(lit[0]), float(lit[-1] + 1)
    t = minute_of_day() + 0.5
    src_t = src_on + (t - sunrise_min) * (src_off - src_on) / (sunset_min - sunrise_min)
    values = np.interp(src_t - 0.5, np.arange(trace.size, dtype=np.float64), trace)
    day = (t >= sunrise_min) & (t <= sunset_min)
    return np.asarray(np.where(day, np.maximum(values, 0.0), 0.0), dtype=np.float64)


def houses_pv_w(
    rng: np.random.Generator,
    per_kwp: FloatArray,
    kwp: FloatArray,
    gain: tuple[float, float] = (0.92, 1.05),
    max_lag_min: float = 1.5,
) -> FloatArray:
    """Return each house's PV output [W], shape (steps, n), from the feeder's shared shape.

    `per_kwp` (steps,) is the output per installed kWp [kW/kWp] under the feeder's sky at
    1-minute steps (one day or several); each house gets its own gain (orientation, soiling),
    a cloud lag of up to `max_lag_min` minutes (houses a few hundred metres apart) and 1 %
    noise, clipped to its inverter rating = kWp.
    """
    n, steps = kwp.size, per_kwp.size
    lag = rng.uniform(0.0, max_lag_min, n)
    t = np.arange(steps, dtype=np.float64)[:, None] - lag[None, :]
    lo = np.floor(t).astype(np.intp)
    w = t - lo
    shape = (
        per_kwp[np.clip(lo, 0, steps - 1)] * (1.0 - w) + per_kwp[np.clip(lo + 1, 0, steps - 1)] * w
    )
    noise = 1.0 + 0.01 * rng.standard_normal((steps, n))
    out = shape * noise * (_uniform(rng, gain, n) * kwp * 1000.0)[None, :]
    return np.asarray(np.clip(out, 0.0, kwp[None, :] * 1000.0), dtype=np.float64)


def trace_clear_sky_index(
    trace: FloatArray, clear_per_kwp: FloatArray, min_clear: float = 0.05, max_index: float = 1.1
) -> FloatArray:
    """Return the clear-sky index of a day's PV trace: trace ÷ clear-sky shape, (1440,).

    `trace` (1440,) is a PV shape normalised to its peak and already spanning the site's
    daylight (see `warp_daylight`); `clear_per_kwp` (1440,) is the clear-sky output there
    [kW/kWp], normalised here to its peak. Where the clear shape is below `min_clear` of its
    peak (low sun, night) the index is 1; elsewhere it is clipped to [0, `max_index`].
    """
    clear = clear_per_kwp / max(float(clear_per_kwp.max()), 1e-9)
    lit = clear > min_clear
    index = np.where(lit, trace / np.where(lit, clear, 1.0), 1.0)
    return np.asarray(np.clip(index, 0.0, max_index), dtype=np.float64)


def retime_daylight(
    index: FloatArray, sunrise_min: float, sunset_min: float, offset_min: float, stretch: float
) -> FloatArray:
    """Return a clear-sky index with its daylight pattern moved and stretched, (1440,).

    A daylight minute t takes the value of minute
    sunrise + ((t − sunrise) × `stretch` + `offset_min`) mod daylength, so a day's passing
    clouds come at other times and faster (`stretch` > 1) or slower; night minutes are 1.
    """
    t = minute_of_day() + 0.5
    length = sunset_min - sunrise_min
    src = sunrise_min + np.mod((t - sunrise_min) * stretch + offset_min, length)
    values = np.interp(src - 0.5, minute_of_day(), index)
    day = (t >= sunrise_min) & (t <= sunset_min)
    return np.asarray(np.where(day, values, 1.0), dtype=np.float64)


def overcast_sky_index(
    rng: np.random.Generator, level: float, variation: float = 0.2, corr_min: int = 120
) -> FloatArray:
    """Return the clear-sky index of an overcast day: mean `level`, slow relative variation.

    The index wanders by ±`variation` (one standard deviation, relative, clipped to
    0.3 … 1.7) over ~`corr_min` minutes and is scaled so that its mean over the day is
    `level`; shape (1440,).
    """
    wander = np.clip(1.0 + variation * smooth_noise(rng, 1, corr_min=corr_min)[:, 0], 0.3, 1.7)
    return np.asarray(level * wander / wander.mean(), dtype=np.float64)
