"""Dashboard benchmark on PostgreSQL: the map for 5,000 feeders and the feeder page's callbacks.

    python -m bench.dashboard [PG_URL] [--feeders 5000] [--history-feeders 100] [--days 30]

Prints one JSON line:

- ``map_data_ms``: the map page's data callback (`refresh_map`: one query for every feeder,
  GeoJSON, district summary, legend) by direct POST to /_dash-update-component as a signed-in
  viewer, Dash's JSON encoding included, p50 / p95 over 20 calls; ``map_load_ms``: the same
  data read by `components.grid_data.load_map` alone;
- ``map_render_ms``: from navigation to the clustered markers drawn in headless Chromium,
  on `python app.py` serving the same store (signed in first), median of 3;
- ``feeder_callback_ms``: the feeder page's reading callbacks (`refresh_live`, `refresh_charts`
  at 1 h … 30 days, `refresh_runs`, `show_run`) by direct POST, on 30 days of 10-second
  summaries of 100 feeders (loaded by binary COPY, rolled up by store.rollups), for 20 of the
  feeders: p50 / p95 over all calls, and ``feeder_callback_p95_ms`` per callback (and range);
- ``machine``, the 1-minute load average before each timed phase (other processes on the
  same cores inflate every figure), the targets and whether each was ``met``.

Progress goes to stderr. The JSON line is printed also when the run fails (with ``error``).
It creates a scratch database and drops it afterwards.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import random
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import dash
import numpy as np
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import text

from app import create_app
from bench.grid_fleet import load_history, plans, seed_fleet, seed_runs
from bench.ingest import free_port, scratch_database
from components import ids
from components.feeder_view import RANGES
from components.grid_data import load_map
from settings import Settings
from sim.fleet import FeederPlan
from store.db import make_engine
from store.migrate import upgrade
from store.rollups import refresh
from store.users import add_user
from tests.dashboard.conftest import (
    SECRET,
    _chromium_driver,
    browser_login,
    callback_entries,
    login,
    post_callback,
)

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "bench password 1"


def percentiles(samples_ms: list[float]) -> dict[str, float]:
    """Return p50 and p95 [ms]."""
    a = np.array(samples_ms)
    return {
        "p50": round(float(np.percentile(a, 50)), 1),
        "p95": round(float(np.percentile(a, 95)), 1),
    }


def timed(fn: Any, *args: Any) -> float:
    """Return the wall time of one call [ms]."""
    t = time.perf_counter()
    fn(*args)
    return (time.perf_counter() - t) * 1000


FEEDER_CALLBACKS: Final = ("refresh_live", "refresh_charts", "refresh_runs", "show_run")
"""The feeder page's reading callbacks, by function name."""
TIMED_CALLBACKS: Final = {"refresh_map": "pages.map"} | dict.fromkeys(
    FEEDER_CALLBACKS, "pages.feeder"
)
"""The callbacks timed, by function name, with their page module."""


def callback_keys(app: dash.Dash) -> dict[str, str]:
    """Return the output key of each timed callback, by name."""
    keys = {}
    for key, entry in callback_entries(app).items():
        name = getattr(entry["callback"], "__name__", "")
        if TIMED_CALLBACKS.get(name) == entry["callback"].__module__:
            keys[name] = key
    missing = set(TIMED_CALLBACKS) - set(keys)
    assert not missing, f"feeder callbacks not found: {missing}"
    return keys


def post_timed(client: Any, app: dash.Dash, key: str, values: dict[str, Any]) -> tuple[float, Any]:
    """POST one callback as the renderer does; return its wall time [ms] and its response JSON."""
    t = time.perf_counter()
    response = post_callback(client, app, key, values)
    ms = (time.perf_counter() - t) * 1000
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return ms, response.get_json()


def feeder_calls(
    client: Any, app: dash.Dash, keys: dict[str, str], feeder_id: str
) -> dict[str, list[float]]:
    """Time each reading callback of one feeder's page by direct POST [ms], per callback.

    Charts are timed for every range; `show_run` gets the rows `refresh_runs` returned.
    """
    fid = f"{ids.FEEDER_ID}.data"
    out: dict[str, list[float]] = {}
    ms, _ = post_timed(client, app, keys["refresh_live"], {fid: feeder_id})
    out["refresh_live"] = [ms]
    for span in RANGES:
        ms, body = post_timed(
            client, app, keys["refresh_charts"], {f"{ids.FEEDER_RANGE}.value": span, fid: feeder_id}
        )
        assert body["response"][ids.FEEDER_CURRENTS_CHART]["figure"]["data"], span
        out.setdefault(f"refresh_charts_{span}", []).append(ms)
    ms, body = post_timed(client, app, keys["refresh_runs"], {fid: feeder_id})
    out["refresh_runs"] = [ms]
    rows = body["response"][ids.FEEDER_RUNS]["data"]
    ms, _ = post_timed(
        client,
        app,
        keys["show_run"],
        {f"{ids.FEEDER_RUNS}.selected_rows": [0], f"{ids.FEEDER_RUNS}.data": rows},
    )
    out["show_run"] = [ms]
    return out


def render_map(url: str) -> float:
    """Return ms from navigation to the clustered markers drawn, in headless Chromium."""
    port = free_port()
    env = {
        **os.environ,
        "SP_DATABASE_URL": url,
        "SP_PORT": str(port),
        "SP_SECRET_KEY": "bench-secret-" + "0" * 32,
    }
    (ROOT / "var").mkdir(exist_ok=True)
    log = (ROOT / "var" / "bench-dashboard-server.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, str(ROOT / "app.py")],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    driver = None
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(base + "/login", timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        driver = _chromium_driver()
        browser_login(driver, base, "bench", PASSWORD)
        times = []
        for _ in range(3):
            start = time.perf_counter()
            driver.get(base + "/")
            WebDriverWait(driver, 30).until(
                ec.presence_of_element_located((By.CSS_SELECTOR, ".sp-cluster"))
            )
            times.append((time.perf_counter() - start) * 1000)
        return round(float(np.median(times)), 1)
    finally:
        if driver is not None:
            driver.quit()
        server.terminate()
        server.wait(10)


def machine_info(engine: Any) -> dict[str, Any]:
    """Return what the figures were measured on."""
    with engine.connect() as conn:
        server = conn.execute(text("SHOW server_version")).scalar()
        buffers = conn.execute(text("SHOW shared_buffers")).scalar()
    mem_kb = 0
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    cpu = platform.processor()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "arch": platform.machine(),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "mem_gb": round(mem_kb / 2**20, 1),
        "python": platform.python_version(),
        "postgresql": server,
        "shared_buffers": buffers,
    }


def progress(message: str) -> None:
    """Note a phase on stderr (stdout carries only the JSON line)."""
    print(f"{datetime.now(UTC):%H:%M:%S} {message}", file=sys.stderr, flush=True)


def history_plans(n: int) -> list[FeederPlan]:
    """Return the feeders with history, with ids apart from the map fleet's."""
    return [
        replace(
            p,
            feeder_id=p.feeder_id.replace("KL-", "KL-H"),
            houses=tuple(replace(h, house_id=h.house_id.replace("KL-", "KL-H")) for h in p.houses),
        )
        for p in plans(n, houses=(40, 80), seed=11)
    ]


def run(args: argparse.Namespace, url: str, out: dict[str, Any]) -> None:
    """Seed the scratch store at `url` and fill `out` with the figures."""
    now = datetime.now(UTC).replace(microsecond=0)
    engine = make_engine(url)
    out["machine"] = machine_info(engine)
    upgrade(engine)
    fleet = plans(args.feeders, houses=(0, 0))
    history = history_plans(args.history_feeders)
    with engine.begin() as conn:
        seed_fleet(conn, fleet, now)
        add_user(conn, "bench", PASSWORD, "viewer")
    progress(f"loading {args.days:g} days of {len(history)} feeders")
    t = time.perf_counter()
    out["history_rows"] = load_history(engine, history, now, args.days)
    out["copy_s"] = round(time.perf_counter() - t, 1)
    progress(f"loaded {out['history_rows']:,} rows in {out['copy_s']} s; rolling up")
    with engine.begin() as conn:
        seed_fleet(conn, history, now, states=["balanced"] * len(history))
        for p in history[:10]:
            seed_runs(conn, p.feeder_id, now)
    t = time.perf_counter()
    refresh(engine, now=now)
    out["rollup_s"] = round(time.perf_counter() - t, 1)
    progress(f"rolled up in {out['rollup_s']} s; timing the map data")
    out["loadavg_1m"] = {"before_map": round(os.getloadavg()[0], 2)}  # others sharing the CPUs
    with engine.connect() as conn:
        load_map(conn, now)  # warm the cache
    load_ms = []
    for _ in range(20):
        with engine.connect() as conn:
            t = time.perf_counter()
            data = load_map(conn, now)
            json.dumps(data.geojson)
            load_ms.append((time.perf_counter() - t) * 1000)
    out["map_feeders"] = len(data.rows)
    out["map_load_ms"] = percentiles(load_ms)
    progress("timing the map and feeder callbacks")
    app = create_app(Settings(database_url=url, secret_key=SECRET), engine=engine)
    client = app.server.test_client()
    response = login(client, "bench", PASSWORD)
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    keys = callback_keys(app)
    post_timed(client, app, keys["refresh_map"], {})  # warm up
    map_ms = [post_timed(client, app, keys["refresh_map"], {})[0] for _ in range(20)]
    out["map_data_ms"] = percentiles(map_ms)
    out["loadavg_1m"]["before_feeder"] = round(os.getloadavg()[0], 2)
    rng = random.Random(1)
    sample = rng.sample(history, min(20, len(history)))
    feeder_calls(client, app, keys, sample[0].feeder_id)  # warm up
    per: dict[str, list[float]] = {}
    for p in sample:
        for name, times in feeder_calls(client, app, keys, p.feeder_id).items():
            per.setdefault(name, []).extend(times)
    every = [ms for times in per.values() for ms in times]
    out["feeder_callback_ms"] = {**percentiles(every), "calls": len(every)}
    out["feeder_callback_p95_ms"] = {name: percentiles(t)["p95"] for name, t in per.items()}
    engine.dispose()
    progress("rendering the map in Chromium")
    out["loadavg_1m"]["before_render"] = round(os.getloadavg()[0], 2)
    out["map_render_ms"] = render_map(url)


def _interrupted(signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main() -> None:
    """Run the benchmark and print one JSON line (with "error" when it failed)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("pg", nargs="?", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--feeders", type=int, default=5000)
    parser.add_argument("--history-feeders", type=int, default=100)
    parser.add_argument("--days", type=float, default=30.0)
    args = parser.parse_args()
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _interrupted)  # so the scratch database is dropped
    out: dict[str, Any] = {
        "bench": "dashboard",
        "feeders": args.feeders,
        "history_feeders": args.history_feeders,
        "days": args.days,
    }
    started = time.perf_counter()
    try:
        with scratch_database(args.pg) as url:
            run(args, url, out)
    except BaseException as exc:
        out["error"] = f"{type(exc).__name__}: {exc}"
        raise
    finally:
        out["targets"] = TARGETS
        out["met"] = {
            "map_data_ms_p95": _at_most(out.get("map_data_ms", {}).get("p95"), "map_data_ms_p95"),
            "map_render_ms": _at_most(out.get("map_render_ms"), "map_render_ms"),
            "feeder_callback_ms_p95": _at_most(
                out.get("feeder_callback_ms", {}).get("p95"), "feeder_callback_ms_p95"
            ),
        }
        out["total_s"] = round(time.perf_counter() - started, 1)
        print(json.dumps(out), flush=True)


TARGETS: Final = {"map_data_ms_p95": 300, "map_render_ms": 3000, "feeder_callback_ms_p95": 200}
"""DESIGN §8 on a 2-core machine [ms]."""


def _at_most(value: float | None, target: str) -> bool | None:
    return None if value is None else value <= TARGETS[target]


if __name__ == "__main__":
    main()
