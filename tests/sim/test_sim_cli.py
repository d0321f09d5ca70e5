"""`python -m sim`: provisions the fleet through the store and runs its nodes on a broker."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import func, select

from sim.broker import BrokerThread
from store.db import make_engine
from store.schema import feeders, houses

ROOT = Path(__file__).resolve().parents[2]


def run_sim(
    args: list[str], env: dict[str, str], seconds: float
) -> subprocess.CompletedProcess[str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "sim", *args], cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True
    )
    try:
        proc.wait(seconds)
    except subprocess.TimeoutExpired:
        proc.terminate()
    _, err = proc.communicate(timeout=15)
    return subprocess.CompletedProcess(proc.args, proc.returncode, "", err)


def test_sim_provisions_and_publishes_every_node_state(tmp_path: Path) -> None:
    broker = BrokerThread(port=0)
    url = broker.start()
    db = f"sqlite:///{tmp_path}/sim.db"
    keys = tmp_path / "keys"
    env = {
        **os.environ,
        "SP_MQTT_URL": url,
        "SP_DATABASE_URL": db,
        "SP_KEYS_DIR": str(keys),
        "PYTHONPATH": str(ROOT),
    }
    try:
        result = run_sim(
            ["--feeders", "3", "--speed", "60", "--provision", "--houses", "40-50"], env, 6.0
        )
        assert result.returncode == 0, result.stderr[-2000:]
        engine = make_engine(db)
        with engine.connect() as conn:
            n_feeders = conn.execute(select(func.count()).select_from(feeders)).scalar_one()
            n_houses = conn.execute(select(func.count()).select_from(houses)).scalar_one()
        assert n_feeders == 3
        assert 120 <= n_houses <= 150
        states = [t for t in broker.broker.retained if t.endswith("/state")]
        assert len(states) == n_houses
        assert len(list(keys.glob("*.key"))) == n_feeders + n_houses
    finally:
        broker.stop()
        time.sleep(0.1)


def test_a_fault_for_an_unknown_house_is_refused() -> None:
    env = {**os.environ, "SP_MQTT_URL": "mqtt://127.0.0.1:9", "PYTHONPATH": str(ROOT)}
    result = run_sim(["--feeders", "2", "--fault", "stuck_relay:KL-XXX-0001-H001"], env, 30.0)
    assert result.returncode == 2
    assert "no such house" in result.stderr
