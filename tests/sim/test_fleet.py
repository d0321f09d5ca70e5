"""The simulated fleet: real towns, right districts, valid ids, provisioned through the store."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from grid.messages import check_feeder_id, check_house_id
from sim.cases import MissingDataError, shared_data_dir
from sim.fleet import (
    district_of,
    parse_house_range,
    plan_fleet,
    read_districts,
    write_csvs,
    write_keys,
)
from sim.house_nodes import derive_key
from store.provision import import_feeders, import_houses
from store.schema import feeders, houses


@pytest.fixture(scope="module")
def plans() -> list:  # type: ignore[type-arg]
    return plan_fleet(20, seed=3)


def test_the_fleet_needs_only_the_repository(tmp_path: Path) -> None:
    """Without the shared data folder the copies in assets/ place the same fleet."""
    bundled = plan_fleet(20, seed=3, data_dir=tmp_path / "no-shared-data")
    assert len(bundled) == 20
    districts = read_districts(tmp_path / "no-shared-data")
    assert all(district_of(p.lon, p.lat, districts) in (p.district, None) for p in bundled)
    if shared_data_dir().is_dir():
        assert bundled == plan_fleet(20, seed=3, data_dir=shared_data_dir())


def test_known_towns_fall_in_their_districts() -> None:
    try:
        districts = read_districts(shared_data_dir())
    except MissingDataError as exc:
        pytest.skip(str(exc))
    assert district_of(76.26022, 9.93988, districts) == "Ernakulam"  # Kochi
    assert district_of(76.94924, 8.4855, districts) == "Thiruvananthapuram"
    assert district_of(75.7804, 11.24802, districts) == "Kozhikode"
    assert district_of(74.0, 10.0, districts) is None  # Arabian Sea


def test_fleet_ids_sizes_and_shares(plans: list) -> None:  # type: ignore[type-arg]
    assert len(plans) == 20
    assert len({p.feeder_id for p in plans}) == 20
    all_houses = [h for p in plans for h in p.houses]
    for p in plans:
        check_feeder_id(p.feeder_id)
        assert p.feeder_id.split("-")[1] in {
            "TVM",
            "KLM",
            "PTA",
            "ALP",
            "KTM",
            "IDK",
            "EKM",
            "TSR",
            "PKD",
            "MLP",
            "KKD",
            "WYD",
            "KNR",
            "KSD",
        }
        assert 40 <= len(p.houses) <= 80
        assert 8.0 < p.lat < 13.0
        assert 74.5 < p.lon < 77.5
        for h in p.houses:
            check_house_id(h.house_id, p.feeder_id)
    pv_share = sum(h.pv_kw > 0 for h in all_houses) / len(all_houses)
    assert 0.24 < pv_share < 0.36
    assert plan_fleet(20, seed=3) == plans  # reproducible


def test_fleet_is_provisioned_through_the_store_import(
    plans: list, engine: Engine, tmp_path: Path
) -> None:  # type: ignore[type-arg]
    feeders_csv, houses_csv = write_csvs(plans, tmp_path)
    with engine.begin() as conn:
        import_feeders(conn, feeders_csv, actor="sim")
        import_houses(conn, houses_csv, actor="sim")
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(feeders)).scalar_one() == 20
        assert conn.execute(select(func.count()).select_from(houses)).scalar_one() == sum(
            len(p.houses) for p in plans
        )


def test_keys_are_written_once_per_device_with_private_mode(plans: list, tmp_path: Path) -> None:  # type: ignore[type-arg]
    few = plans[:2]
    n = write_keys(few, tmp_path, lambda device: derive_key(b"s", device))
    files = sorted(tmp_path.glob("*.key"))
    assert n == len(files) == 2 + sum(len(p.houses) for p in few)
    house = few[0].houses[0].house_id
    assert bytes.fromhex((tmp_path / f"{house}.key").read_text()) == derive_key(b"s", house)
    assert all(f.stat().st_mode & 0o777 == 0o600 for f in files)
    write_keys(few, tmp_path, lambda device: derive_key(b"t", device))
    assert bytes.fromhex((tmp_path / f"{house}.key").read_text()) == derive_key(b"t", house)


@pytest.mark.parametrize(("text", "expected"), [("40-80", (40, 80)), ("60", (60, 60))])
def test_house_ranges(text: str, expected: tuple[int, int]) -> None:
    assert parse_house_range(text) == expected


@pytest.mark.parametrize("text", ["80-40", "0-5", "many", "5-1000"])
def test_bad_house_ranges_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="house count range"):
        parse_house_range(text)
