"""What reports read from the store: the as-built phase, the hourly house rollup, the scope."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, insert, select, update

from reports import Scope, build_report, parse_period
from reports.data import house_hours, house_samples, scope_feeders
from reports.scope import ReportArgumentError
from store import schema as db
from store.db import make_engine
from store.migrate import alembic_config, upgrade
from store.provision import import_feeders, import_houses
from store.queries import IST
from store.rollups import refresh
from tests.reports.fleet import HOUSES, MOVES_AT, PERIOD_FROM
from tests.store.seed import add_feeder, add_house, add_switch, house_reading

F = "KL-TVM-0001"
H = "KL-TVM-0001-H001"


def test_provisioning_keeps_the_as_built_phase_when_a_house_moves(
    engine: Engine, tmp_path: Path
) -> None:
    feeders = tmp_path / "feeders.csv"
    feeders.write_text("feeder_id,name,district,lat,lon,kva\nKL-TVM-0001,A,TVM,8.5,76.9,100\n")
    houses = tmp_path / "houses.csv"
    houses.write_text(
        "house_id,feeder_id,phase,pv_kw,switchable\nKL-TVM-0001-H001,KL-TVM-0001,R,0,1\n"
    )
    with engine.begin() as conn:
        import_feeders(conn, feeders)
        import_houses(conn, houses)
        conn.execute(update(db.houses).values(phase="B"))  # the controller moved it
        import_houses(conn, houses)
        row = conn.execute(select(db.houses.c.phase, db.houses.c.built_phase)).one()
    assert tuple(row) == ("B", "R")


def test_the_migration_takes_the_as_built_phase_from_the_first_switch(tmp_path: Path) -> None:
    eng = make_engine(f"sqlite:///{tmp_path}/old.db")
    config = alembic_config()
    with eng.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0006")
    t0 = datetime(2024, 6, 1, tzinfo=UTC)
    with eng.begin() as conn:
        conn.execute(insert(db.feeders).values(feeder_id=F, name="A", district="TVM", lat=8.5,
                                               lon=76.9, kva=100.0, created_at=t0))  # fmt: skip
        for house, phase in ((H, "B"), ("KL-TVM-0001-H002", "Y")):
            # the table as it was before revision 0007, without built_phase
            conn.exec_driver_sql(
                "INSERT INTO houses (house_id, feeder_id, phase, created_at) VALUES (?, ?, ?, ?)",
                (house, F, phase, t0.timestamp()),
            )
        add_switch(conn, t0 + timedelta(days=1), F, H, from_phase="Y", to_phase="B")
        add_switch(conn, t0, F, H, from_phase="R", to_phase="Y")
    upgrade(eng)
    with eng.connect() as conn:
        built = dict(conn.execute(select(db.houses.c.house_id, db.houses.c.built_phase)).all())
    eng.dispose()
    assert built == {H: "R", "KL-TVM-0001-H002": "Y"}


def test_house_hours_share_a_switched_hour_by_its_readings(engine: Engine) -> None:
    hour = datetime(2024, 6, 1, 10, tzinfo=IST)
    with engine.begin() as conn:
        add_feeder(conn, F)
        add_house(conn, H, F, "R")
        rows = [
            house_reading(hour + timedelta(minutes=10 * k), H, F, phase="R" if k < 2 else "Y",
                          p=600.0 * (k + 1))
            for k in range(6)
        ]  # fmt: skip
        conn.execute(insert(db.house_readings), rows)
    refresh(engine, now=hour + timedelta(hours=2))
    with engine.connect() as conn:
        hours = house_hours(conn, [F], hour, hour + timedelta(hours=1))[F]
        day = datetime(2024, 6, 1, tzinfo=IST)
        samples = house_samples(conn, [F], day, day + timedelta(days=1))  # whole IST days
    assert hours.column("t").tolist() == [hour.timestamp()]  # the bucket is the IST hour
    # readings 600..3600 W: the two on R sum 1,800, the four on Y 10,800, over six readings
    assert hours.column("p_r")[0] == pytest.approx(1800 / 6)
    assert hours.column("p_y")[0] == pytest.approx(10800 / 6)
    assert hours.column("bp_r")[0] == pytest.approx(12600 / 6)
    assert hours.column("bp_y")[0] == 0
    assert hours.column("houses")[0] == 1
    assert [(s.house_id, s.samples, s.hours) for s in samples] == [(H, 6, 1)]


def test_an_unknown_feeder_or_district_names_the_argument(engine: Engine) -> None:
    with engine.connect() as conn, pytest.raises(ReportArgumentError, match="--feeder"):
        scope_feeders(conn, Scope("feeder", "KL-XXX-0001"))
    with engine.connect() as conn, pytest.raises(ReportArgumentError, match="--district"):
        scope_feeders(conn, Scope("district", "Atlantis"))


@pytest.mark.pg
def test_sqlite_and_postgresql_give_the_same_report(sqlite_store: Engine, pg_store: Engine) -> None:
    period = parse_period("2024-06-01", "2024-06-02")
    now = datetime(2024, 6, 3, tzinfo=UTC)
    a = build_report(sqlite_store, Scope("district", "Wayanad"), period, now=now)
    b = build_report(pg_store, Scope("district", "Wayanad"), period, now=now)
    assert [f.feeder_id for f in a.feeders] == [f.feeder_id for f in b.feeders]
    for x, y in zip(a.key_figures, b.key_figures, strict=True):
        assert (x.key, x.value is None, x.previous is None) == (
            y.key,
            y.value is None,
            y.previous is None,
        )
        if x.value is not None and y.value is not None:
            assert x.value == pytest.approx(y.value, rel=1e-9, abs=1e-9), x.key
    assert a.savings is not None
    assert b.savings is not None
    assert a.savings.saved_kwh == pytest.approx(b.savings.saved_kwh, rel=1e-9)
    assert a.nodes == b.nodes
    assert [w.p95_pct for w in a.voltage_weeks] == pytest.approx(
        [w.p95_pct for w in b.voltage_weeks]
    )


def test_the_fleet_moves_are_what_the_house_rollup_sees(sqlite_store: Engine) -> None:
    hour = MOVES_AT
    with sqlite_store.connect() as conn:
        hours = house_hours(conn, ["KL-WYD-0001"], hour, hour + timedelta(hours=1))["KL-WYD-0001"]
    h001 = next(h for h in HOUSES if h.house_id == "KL-WYD-0001-H001")
    steps = [hour + timedelta(minutes=5 * k) for k in range(12)]
    mean_p = sum(h001.load_w(t)[0] for t in steps) / 12
    y_houses = [h for h in HOUSES if h.feeder_id == "KL-WYD-0001" and h.phase_at(hour) == "Y"]
    expected_y = sum(sum(h.load_w(t)[0] for t in steps) / 12 for h in y_houses)
    assert hours.column("p_y")[0] == pytest.approx(expected_y)
    assert hour >= PERIOD_FROM
    assert h001 in y_houses
    assert mean_p < expected_y
