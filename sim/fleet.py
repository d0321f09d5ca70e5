"""A simulated fleet of Kerala feeders placed at real towns, and its provisioning files.

Towns come from GeoNames (population ≥ 1000) and districts from the Census-2011 district
polygons in ../shared/data; each feeder sits near a town, takes its district by
point-in-polygon and gets an id `KL-<district code>-<NNNN>`. Houses get a deliberately uneven
phase split (as feeders grow in the field), rooftop PV on about 30 % of them, and a node that
can switch on about 90 %. `write_csvs` produces the files `python -m store feeders import` and
`houses import` take, so that the fleet is provisioned exactly as a utility would do it.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np

from grid.phasors import PHASES, Phase
from sim.cases import MissingDataError, data_file, shared_data_dir

DISTRICT_CODES: Final = {
    "Thiruvananthapuram": "TVM", "Kollam": "KLM", "Pathanamthitta": "PTA", "Alappuzha": "ALP",
    "Kottayam": "KTM", "Idukki": "IDK", "Ernakulam": "EKM", "Thrissur": "TSR", "Palakkad": "PKD",
    "Malappuram": "MLP", "Kozhikode": "KKD", "Wayanad": "WYD", "Kannur": "KNR", "Kasaragod": "KSD",
}  # fmt: skip
"""Short codes of Kerala's 14 districts, used in feeder ids."""

TOWNS_FILE: Final = "kerala_towns_geonames/kerala_places_geonames_pop1000.csv"
DISTRICTS_FILE: Final = "kerala_districts/kerala_districts.geojson"
ASSETS_DIR: Final = Path(__file__).resolve().parents[1] / "assets"
BUNDLED: Final = {
    TOWNS_FILE: "kerala_towns_geonames.csv",
    DISTRICTS_FILE: "kerala_districts.geojson",
}
"""Copies of the fleet's data files shipped in assets/ (see assets/ATTRIBUTION)."""
PV_SHARE: Final = 0.3
SWITCHABLE_SHARE: Final = 0.9


@dataclass(frozen=True, slots=True)
class Town:
    """A GeoNames place."""

    name: str
    lat: float
    lon: float
    population: int


@dataclass(frozen=True, slots=True)
class HousePlan:
    """One house of a simulated feeder."""

    house_id: str
    phase: Phase
    pv_kw: float
    switchable: bool


@dataclass(frozen=True, slots=True)
class FeederPlan:
    """One simulated feeder and its houses."""

    feeder_id: str
    name: str
    district: str
    lat: float
    lon: float
    kva: float
    houses: tuple[HousePlan, ...]


def fleet_file(data_dir: Path, relative: str) -> Path:
    """Return a file the fleet is placed with: from the shared data folder, else the copy in
    assets/, so that the demo needs nothing but the repository."""
    try:
        return data_file(data_dir, relative)
    except MissingDataError:
        bundled = ASSETS_DIR / BUNDLED[relative]
        if not bundled.is_file():
            raise
        return bundled


def read_towns(data_dir: Path) -> list[Town]:
    """Return the Kerala towns, most populous first."""
    path = fleet_file(data_dir, TOWNS_FILE)
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    towns = [
        Town(r["name"], float(r["latitude"]), float(r["longitude"]), int(r["population"]))
        for r in rows
    ]
    return sorted(towns, key=lambda t: -t.population)


def read_districts(data_dir: Path) -> list[tuple[str, list[list[tuple[float, float]]]]]:
    """Return each district's name and outer rings as (lon, lat) points."""
    doc = json.loads(fleet_file(data_dir, DISTRICTS_FILE).read_text(encoding="utf-8"))
    out = []
    for feature in doc["features"]:
        geometry = feature["geometry"]
        polygons = (
            [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
        )
        rings = [[(float(x), float(y)) for x, y in polygon[0]] for polygon in polygons]
        out.append((str(feature["properties"]["district"]), rings))
    return out


def point_in_ring(lon: float, lat: float, ring: Sequence[tuple[float, float]]) -> bool:
    """Return whether a point lies inside a polygon ring (even-odd rule)."""
    inside = False
    j = len(ring) - 1
    for i in range(len(ring)):
        xi, yi = ring[i]
        xj, yj = ring[j]
        if (yi > lat) != (yj > lat) and lon < (xj - xi) * (lat - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


def district_of(lon: float, lat: float, districts: Sequence[tuple[str, Any]]) -> str | None:
    """Return the district containing a point, or None (at sea or outside Kerala)."""
    for name, rings in districts:
        if any(point_in_ring(lon, lat, ring) for ring in rings):
            return str(name)
    return None


def _houses(rng: np.random.Generator, feeder_id: str, count: int) -> tuple[HousePlan, ...]:
    weights = rng.permutation(np.array([0.45, 0.32, 0.23]))
    phases = rng.choice(3, size=count, p=weights)
    pv = rng.random(count) < PV_SHARE
    kw = np.round(rng.choice([1.0, 2.0, 3.0, 3.0, 4.0, 5.0], size=count), 1)
    switchable = rng.random(count) < SWITCHABLE_SHARE
    return tuple(
        HousePlan(
            house_id=f"{feeder_id}-H{k + 1:03d}",
            phase=PHASES[int(phases[k])],
            pv_kw=float(kw[k]) if pv[k] else 0.0,
            switchable=bool(switchable[k]),
        )
        for k in range(count)
    )


def plan_fleet(
    n_feeders: int = 20,
    houses: tuple[int, int] = (40, 80),
    seed: int = 1,
    data_dir: Path | None = None,
    taken: frozenset[str] = frozenset(),
) -> list[FeederPlan]:
    """Return `n_feeders` feeders near real Kerala towns, the populous ones first, numbered
    past the ids in `taken`."""
    data = data_dir or shared_data_dir()
    towns = read_towns(data)
    districts = read_districts(data)
    rng = np.random.default_rng(seed)
    numbers: dict[str, int] = {}
    plans: list[FeederPlan] = []
    k = 0
    while len(plans) < n_feeders:
        town = towns[k % len(towns)]
        k += 1
        angle, radius_km = rng.uniform(0, 2 * math.pi), rng.uniform(0.2, 2.5)
        lat = town.lat + radius_km / 111.0 * math.sin(angle)
        lon = town.lon + radius_km / (111.0 * math.cos(math.radians(town.lat))) * math.cos(angle)
        district = district_of(lon, lat, districts) or district_of(town.lon, town.lat, districts)
        if district is None:
            continue
        code = DISTRICT_CODES[district]
        numbers[code] = numbers.get(code, 0) + 1
        while f"KL-{code}-{numbers[code]:04d}" in taken:
            numbers[code] += 1
        feeder_id = f"KL-{code}-{numbers[code]:04d}"
        count = int(rng.integers(houses[0], houses[1] + 1))
        kva = 100.0 if count <= 45 else 160.0 if count <= 65 else 250.0
        plans.append(
            FeederPlan(
                feeder_id=feeder_id,
                name=f"{town.name} {numbers[code]}",
                district=district,
                lat=round(lat, 5),
                lon=round(lon, 5),
                kva=kva,
                houses=_houses(rng, feeder_id, count),
            )
        )
    return plans


def write_csvs(plans: Sequence[FeederPlan], out_dir: Path) -> tuple[Path, Path]:
    """Write feeders.csv and houses.csv for `python -m store ... import`; return both paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    feeders_csv, houses_csv = out_dir / "feeders.csv", out_dir / "houses.csv"
    with feeders_csv.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["feeder_id", "name", "district", "lat", "lon", "kva"])
        for p in plans:
            w.writerow([p.feeder_id, p.name, p.district, p.lat, p.lon, p.kva])
    with houses_csv.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["house_id", "feeder_id", "phase", "pv_kw", "switchable"])
        for p in plans:
            for h in p.houses:
                w.writerow([h.house_id, p.feeder_id, h.phase.value, h.pv_kw, int(h.switchable)])
    return feeders_csv, houses_csv


def write_keys(plans: Sequence[FeederPlan], keys_dir: Path, key_of: Callable[[str], bytes]) -> int:
    """Write `{device}.key` (hex, mode 0600) for every feeder and house; return how many."""
    keys_dir.mkdir(parents=True, exist_ok=True)
    devices = [d for p in plans for d in (p.feeder_id, *(h.house_id for h in p.houses))]
    for device in devices:
        path = keys_dir / f"{device}.key"
        text = key_of(device).hex()
        if path.exists() and path.read_text(encoding="ascii").strip() == text:
            continue
        tmp = path.with_suffix(".tmp")
        tmp.write_text(text, encoding="ascii")
        tmp.chmod(0o600)
        tmp.replace(path)
    return len(devices)


def parse_house_range(text: str) -> tuple[int, int]:
    """Return (lo, hi) of "40-80" or (n, n) of "60"."""
    lo, _, hi = text.partition("-")
    try:
        low, high = int(lo), int(hi or lo)
    except ValueError:
        low, high = 0, 0
    if not 1 <= low <= high <= 999:
        raise ValueError(f"{text!r} is not a house count range like 40-80")
    return low, high


def house_range_arg(text: str) -> tuple[int, int]:
    """`parse_house_range` for argparse, whose message it shows."""
    try:
        return parse_house_range(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
