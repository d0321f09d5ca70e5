"""`python -m sim.demo`: the whole closed loop on one machine, from a clean directory."""

from __future__ import annotations

import contextlib
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
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import func, insert, select

from notify.routes import list_routes
from settings import Settings
from sim.live_demo import DEMO_EMAIL, DEMO_USER, LiveDemo, LiveDemoError, demo_login, demo_routes
from store.contacts import get_contact, set_contact
from store.db import make_engine
from store.migrate import upgrade
from store.schema import (
    balancing_runs,
    feeder_readings,
    feeders,
    house_readings,
    houses,
    switch_events,
)

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
        assert "SMTP sink at 127.0.0.1:18825" in output
        assert f"the demo user ({DEMO_EMAIL}) is told of every alert of" in output
        login = re.search(r"sign in as (\S+) / (\S+)", output)
        assert login is not None, output
        url = f"http://127.0.0.1:{port}/"
        opener = sign_in(url, login[1], login[2])
        with opener.open(url, timeout=10) as page:
            assert page.status == 200
        # the story feeder's overload alert is e-mailed to the demo admin through the sink
        mail = tmp_path / "var" / "mail"
        deadline = time.monotonic() + 120
        while not list(mail.glob("*.eml")) and time.monotonic() < deadline:
            time.sleep(1)
        sent = [p.read_text(errors="replace") for p in mail.glob("*.eml")]
        assert any(DEMO_EMAIL in text for text in sent), sent
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


def test_the_demo_admin_is_routed_every_district_once(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/s.db")
    try:
        upgrade(engine)
        with engine.begin() as conn:
            for feeder_id, district in [("KL-KTM-0001", "Kottayam"), ("KL-EKM-0001", "Ernakulam")]:
                conn.execute(
                    insert(feeders).values(
                        feeder_id=feeder_id,
                        name=feeder_id,
                        district=district,
                        lat=9.6,
                        lon=76.5,
                        kva=100.0,
                        created_at=datetime.now(UTC),
                    )
                )
        demo_login(engine, tmp_path / "demo-login")
        districts = ["Kottayam", "Ernakulam", "Kottayam"]
        first = demo_routes(engine, districts)
        assert "Ernakulam, Kottayam" in first
        again = demo_routes(engine, districts)
        assert again == first
        with engine.connect() as conn:
            routes = list_routes(conn)
            contact = get_contact(conn, DEMO_USER)
        assert sorted((r.district, r.level, r.username) for r in routes) == [
            ("Ernakulam", 1, DEMO_USER),
            ("Kottayam", 1, DEMO_USER),
        ]
        assert contact.email == DEMO_EMAIL
        assert contact.quiet_hours == "off"
        # an address the admin gave the demo user stays
        with engine.begin() as conn:
            set_contact(conn, DEMO_USER, email="ops@kseb.in")
        assert "(ops@kseb.in)" in demo_routes(engine, districts)
    finally:
        engine.dispose()


def test_a_busy_sink_port_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as busy:
        # Over a connection of an earlier test still in TIME_WAIT, as the demo's probe binds.
        busy.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        with contextlib.suppress(OSError):  # taken already (a demo runs): the same case
            busy.bind(("127.0.0.1", 18825))
            busy.listen()
        settings = Settings(database_url=f"sqlite:///{tmp_path}/s.db")
        demo = LiveDemo(
            settings,
            [],
            houses_range=(40, 60),
            speed=1.0,
            seed=1,
            embedded_broker=False,
            embedded_sink=True,
        )
        with pytest.raises(LiveDemoError, match=r"SMTP sink cannot listen on 127.0.0.1:18825"):
            demo.start()


def test_bad_demo_arguments_are_refused() -> None:
    with pytest.raises(LiveDemoError, match="speed"):
        LiveDemo.from_env(4, (40, 60), 0.0, 1, environ={})
    with pytest.raises(LiveDemoError, match="SP_PORT"):
        LiveDemo.from_env(4, (40, 60), 1.0, 1, environ={"SP_PORT": "web"})
