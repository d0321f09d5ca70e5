"""`python -m sim.demo`: the whole closed loop on one machine, from a clean directory."""

from __future__ import annotations

import csv
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import func, select

from settings import Settings
from sim.live_demo import LiveDemo, LiveDemoError
from store.db import make_engine
from store.schema import balancing_runs, feeder_readings, house_readings, houses, switch_events

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def run_demo(cwd: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("SP_")}
    return subprocess.run(
        [sys.executable, "-m", "sim.demo", *args],
        cwd=cwd,
        env={**base, "PYTHONPATH": str(ROOT), **env},
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


def assert_closed_loop(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:

            def count(table, *where):  # type: ignore[no-untyped-def]
                stmt = select(func.count()).select_from(table)
                for w in where:
                    stmt = stmt.where(w)
                return conn.execute(stmt).scalar_one()

            assert count(feeder_readings) > 0
            assert count(house_readings) > 0
            run = conn.execute(select(balancing_runs).limit(1)).mappings().one()
            assert run["before_i_n"] is not None
            assert run["after_i_n"] is not None
            applied = (
                conn.execute(select(switch_events).where(switch_events.c.result == "applied"))
                .mappings()
                .all()
            )
            assert applied
            # an applied switch moved the house in the store too
            moved = applied[-1]
            phase = conn.execute(
                select(houses.c.phase).where(houses.c.house_id == moved["house_id"])
            ).scalar_one()
            last = [s for s in applied if s["house_id"] == moved["house_id"]][-1]
            assert phase == last["to_phase"]
    finally:
        engine.dispose()


ARGS = ("--feeders", "4", "--houses", "40-60", "--speed", "4", "--until-ready", "--timeout", "100")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def sign_in(base: str, username: str, password: str) -> urllib.request.OpenerDirector:
    """Sign in to the control room with its form; return an opener holding the session."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
    form = urllib.parse.urlencode({"username": username, "password": password}).encode()
    request = urllib.request.Request(base + "login", data=form, headers={"Origin": base[:-1]})
    with opener.open(request, timeout=10) as answer:
        assert answer.status == 200
        assert not answer.url.endswith("/login")
    return opener


def test_demo_on_embedded_defaults_runs_the_loop_and_the_control_room(tmp_path: Path) -> None:
    base = {k: v for k, v in os.environ.items() if not k.startswith("SP_")}
    port = free_port()
    demo = subprocess.Popen(
        [sys.executable, "-m", "sim.demo", *ARGS[:-3]],
        cwd=tmp_path,
        env={**base, "PYTHONPATH": str(ROOT), "SP_PORT": str(port)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    try:
        assert demo.stdout is not None
        deadline = time.monotonic() + 150
        while time.monotonic() < deadline:
            line = demo.stdout.readline()
            if not line:
                break
            lines.append(line)
            if "the closed loop is running" in line:
                break
        output = "".join(lines)
        assert "the closed loop is running" in output, output[-3000:]
        assert "in-process" in output
        assert "Ctrl-C stops it." in output
        assert "story   Kottayam 1 (KL-KTM-0001)" in output
        login = re.search(r"sign in as (\S+) / (\S+)", output)
        assert login is not None, output
        url = f"http://127.0.0.1:{port}/"
        opener = sign_in(url, login[1], login[2])
        with opener.open(url, timeout=10) as page:
            assert page.status == 200
    finally:
        demo.send_signal(signal.SIGTERM)
        rest, _ = demo.communicate(timeout=60)
    assert demo.returncode == 0, "".join(lines)[-2000:] + rest[-2000:]
    assert "SmartPhase demo stopped after" in rest
    assert_closed_loop(f"sqlite:///{tmp_path}/var/smartphase.db")
    keys = list((tmp_path / "var" / "keys").glob("*.key"))
    assert len(keys) > 4 * 40
    assert (tmp_path / "var" / "demo-login").stat().st_mode & 0o777 == 0o600


def forget_on_broker(mqtt_url: str, fleet_dir: Path, client_ids: list[str]) -> None:
    """Clear the demo's retained messages and persistent sessions from a shared broker."""
    with (fleet_dir / "houses.csv").open() as f:
        rows = list(csv.DictReader(f))
    feeder_ids = sorted({r["feeder_id"] for r in rows})
    topics = [f"sp/v1/{f}/status" for f in feeder_ids]
    topics += [f"sp/v1/{r['feeder_id']}/h/{r['house_id']}/state" for r in rows]
    url = urlsplit(mqtt_url)
    for client_id in [*client_ids, *(f"sp-edge-{f}" for f in feeder_ids), "cleaner"]:
        c = mqtt.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=client_id,
            clean_session=True,
            protocol=mqtt.MQTTv311,
        )
        c.connect(url.hostname or "127.0.0.1", url.port or 1883)
        c.loop_start()
        if client_id == "cleaner":
            for topic in topics:
                c.publish(topic, b"", qos=1, retain=True).wait_for_publish(5)
        c.disconnect()
        c.loop_stop()


@pytest.mark.pg
@pytest.mark.mqtt
def test_demo_on_postgresql_and_mosquitto(tmp_path: Path, pg_url: str, mqtt_url: str) -> None:
    ingest_id = f"sp-ingest-demo-{uuid.uuid4().hex[:8]}"
    env = {
        "SP_DATABASE_URL": pg_url,
        "SP_MQTT_URL": mqtt_url,
        "SP_INGEST_SHARED": "false",
        "SP_INGEST_CLIENT_ID": ingest_id,
        "SP_PORT": str(free_port()),
    }
    try:
        result = run_demo(tmp_path, env, *ARGS)
    finally:
        if (tmp_path / "var" / "fleet" / "houses.csv").exists():
            forget_on_broker(mqtt_url, tmp_path / "var" / "fleet", [ingest_id])
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "in-process" not in result.stdout
    assert_closed_loop(pg_url)


def test_a_busy_broker_port_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        settings = Settings(database_url=f"sqlite:///{tmp_path}/s.db").with_overrides(
            mqtt_url=f"mqtt://127.0.0.1:{port}"
        )
        demo = LiveDemo(
            settings, [], houses_range=(40, 60), speed=1.0, seed=1, embedded_broker=True
        )
        with pytest.raises(LiveDemoError, match="cannot listen"):
            demo.start()


def test_bad_demo_arguments_are_refused() -> None:
    with pytest.raises(LiveDemoError, match="speed"):
        LiveDemo.from_env(4, (40, 60), 0.0, 1, environ={})
    with pytest.raises(LiveDemoError, match="SP_PORT"):
        LiveDemo.from_env(4, (40, 60), 1.0, 1, environ={"SP_PORT": "web"})
