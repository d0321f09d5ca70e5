"""`python -m sim`: provisions the fleet through the store and runs its nodes on a broker."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import func, select

from sim.broker import BrokerThread
from sim.story import STORY_FEEDER_ID, story_plan
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


def test_sim_story_provisions_the_story_feeder_first(tmp_path: Path) -> None:
    broker = BrokerThread(port=0)
    url = broker.start()
    db = f"sqlite:///{tmp_path}/sim.db"
    env = {
        **os.environ,
        "SP_MQTT_URL": url,
        "SP_DATABASE_URL": db,
        "SP_KEYS_DIR": str(tmp_path / "keys"),
        "PYTHONPATH": str(ROOT),
    }
    try:
        args = ["--story", "--feeders", "2", "--houses", "40-40", "--provision", "--speed", "60"]
        result = run_sim(args, env, 6.0)
        assert result.returncode == 0, result.stderr[-2000:]
        engine = make_engine(db)
        with engine.connect() as conn:
            rows = conn.execute(
                select(houses.c.feeder_id, func.count()).group_by(houses.c.feeder_id)
            )
            per_feeder: dict[str, int] = dict(rows.tuples().all())
        story = story_plan()
        assert per_feeder.pop(STORY_FEEDER_ID) == len(story.houses)
        assert list(per_feeder.values()) == [40]
        states = [t for t in broker.broker.retained if t.startswith(f"sp/v1/{STORY_FEEDER_ID}/")]
        assert len(states) == len(story.houses)
    finally:
        broker.stop()
        time.sleep(0.1)


def test_a_fault_for_an_unknown_house_is_refused() -> None:
    env = {**os.environ, "SP_MQTT_URL": "mqtt://127.0.0.1:9", "PYTHONPATH": str(ROOT)}
    result = run_sim(["--feeders", "2", "--fault", "stuck_relay:KL-XXX-0001-H001"], env, 30.0)
    assert result.returncode == 2
    assert "no such house" in result.stderr
