"""bench/dashboard.py's pieces on a tiny store: the history loader, the table timings and a few
seconds of the load test against gunicorn. The benchmark itself is not part of the suite."""

from __future__ import annotations

from argparse import Namespace
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from app import create_app
from bench.dashboard import (
    OPERATOR_USER,
    PASSWORD,
    WALL_USER,
    callback_keys,
    load_plan,
    more_keys,
    table_payloads,
    time_log_queries,
    time_tables,
)
from bench.grid_fleet import plans, seed_fleet
from bench.load import run_load
from bench.log_fleet import seed_history
from bench.served import Gunicorn
from store.db import make_engine
from store.migrate import upgrade
from store.queries.log import count_log
from store.schema import alerts, audit_log
from store.users import add_user
from tests.dashboard.conftest import SECRET, login, make_settings

pytestmark = [pytest.mark.pg, pytest.mark.slow]


def test_history_loads_log_rows_one_per_action(engine: Engine) -> None:
    now = datetime.now(UTC)
    fleet = plans(12)
    with engine.begin() as conn:
        seed_fleet(conn, fleet, now)
    seeded = seed_history(engine, [p.feeder_id for p in fleet], now, log_rows=400, alerts=50)
    assert sum(seeded.log_rows.values()) == 400
    with engine.connect() as conn:
        assert count_log(conn) == 400  # command steps and their switches are folded
        assert conn.execute(select(func.count()).select_from(alerts)).scalar_one() >= 50
        assert conn.execute(select(func.count()).select_from(audit_log)).scalar_one() > 120


def test_tables_and_a_short_load_test_run(pg_url: str, tmp_path: Path) -> None:
    engine = make_engine(pg_url)
    upgrade(engine)
    now = datetime.now(UTC)
    fleet = plans(30, houses=(3, 5))
    with engine.begin() as conn:
        seed_fleet(conn, fleet, now)
        add_user(conn, WALL_USER, PASSWORD, "viewer")
        add_user(conn, OPERATOR_USER, PASSWORD, "operator")
    seed_history(engine, [p.feeder_id for p in fleet], now, log_rows=300, alerts=80)
    app = create_app(make_settings(pg_url), engine=engine)
    client = app.server.test_client()
    assert login(client, WALL_USER, PASSWORD).status_code == 302
    keys = callback_keys(app) | more_keys(app)
    bodies = table_payloads(app, keys, fleet[0].district)
    assert {"log_first", "log_filtered", "log_later", "alerts_first"} <= set(bodies)
    timed = time_tables(client, app, bodies, repeat=1)
    assert all(t["p95"] > 0 for t in timed.values())
    assert set(time_log_queries(engine, fleet[0].district, repeat=1)) == {
        "first", "filtered", "later", "sorted_by_district",
    }  # fmt: skip

    args = Namespace(walls=2, operators=2, load_s=4.0, think_s=(0.5, 1.0))
    with Gunicorn(pg_url, SECRET, tmp_path / "server.log", workers=2, threads=4) as server:
        plan = load_plan(app, keys, bodies, fleet, server.base, args)
        plan = replace(plan, wall_calls=tuple((c, 1.0) for c, _ in plan.wall_calls), processes=2)
        result = run_load(plan)
    engine.dispose()
    assert result["errors"] == 0
    assert "refresh_wall" in result["per_callback"]
    assert result["calls"] >= 8
    assert result["worst_p95_ms"] is not None
