"""The map, feeder and wall pages in headless Chromium, on a seeded fleet; screenshots kept.

The live server publishes its signed commands to the real broker (SP_MQTT_URL, a feeder key in
its SP_KEYS_DIR); the tests listen on the feeder's `ctl` topic, check the command, then play the
edge's part by writing its `command_result` events into the store as the ingest worker does
(ingest.decode.decode_uplink, then store.writer.write_batch), and watch the page follow.
"""

from __future__ import annotations

import math
import os
import queue
import secrets
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any
from urllib.parse import urlsplit

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import Engine, func, insert, select, update

from bench.grid_fleet import plans, seed_fleet, seed_runs
from components.fleet_snapshot import MAX_AGE_S
from grid.events import (
    CommandResultData,
    CommandState,
    LockoutData,
    ModeChangeData,
    SwitchOrigin,
    SwitchResult,
    SwitchResultData,
)
from grid.messages import (
    ControlAction,
    ControlCommand,
    Event,
    EventKind,
    Mode,
    TopicKind,
    decode,
    topic_for,
)
from grid.phasors import Phase
from grid.signing import seal_uplink, verify_control_command
from grid.uplink import Uplink
from ingest.decode import Fleet, decode_uplink
from sim.fleet import FeederPlan
from store import rollups
from store.db import make_engine
from store.migrate import upgrade
from store.queries import IST, balancing_runs
from store.schema import (
    audit_log,
    feeder_readings,
    feeder_state,
    feeders,
    house_readings,
    houses,
)
from store.schema import balancing_runs as balancing_runs_table
from store.writer import WriteBatch, write_batch
from tests.conftest import MQTT_URL
from tests.dashboard.conftest import (
    SECRET,
    USERS,
    LiveServer,
    _chromium_driver,
    browser_login,
    denials,
    emulate_screen,
    free_port,
    screenshot,
    seed_dashboard,
    texts,
    wait_for,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

HISTORY_STEP_S = 10
HISTORY_DAYS = 1


def renamed(plan: FeederPlan) -> FeederPlan:
    """Return a feeder plan under the id prefix KL-X (apart from the seeded fleet)."""
    houses = tuple(replace(h, house_id=h.house_id.replace("KL-", "KL-X")) for h in plan.houses)
    return replace(plan, feeder_id=plan.feeder_id.replace("KL-", "KL-X"), houses=houses)


def seed_page_fleet(engine: Engine, now: datetime, feeders: int = 40) -> str:
    """Seed the dashboard's users and feeders, `feeders` feeders in every state and one of
    20-24 houses with a day of history and balancing runs; return that feeder's id."""
    seed_dashboard(engine)
    taken = {"KL-TVM-0001", "KL-EKM-0002"}
    fleet = [p for p in plans(feeders, seed=9) if p.feeder_id not in taken]
    with_houses = renamed(plans(1, houses=(20, 24), seed=5)[0])
    with engine.begin() as conn:
        seed_fleet(conn, fleet, now)
        seed_fleet(conn, [with_houses], now, states=["unbalanced"])
        seed_runs(conn, with_houses.feeder_id, now)
    seed_history(engine, with_houses.feeder_id, with_houses.kva, now - timedelta(seconds=5))
    return with_houses.feeder_id


def seed_history(engine: Engine, feeder_id: str, kva: float, end: datetime) -> int:
    """Add a day of 10-second summaries before `end` (an evening peak, R heaviest) and roll up."""
    rated = kva * 1000 / (3 * 230.0)
    rows = []
    start = end - timedelta(days=HISTORY_DAYS)
    for k in range(int(HISTORY_DAYS * 86_400 / HISTORY_STEP_S)):
        ts = start + timedelta(seconds=k * HISTORY_STEP_S)
        hour = (ts.timestamp() / 3600 + 5.5) % 24
        shape = 0.3 + 0.45 * math.exp(-(((hour - 20) / 2.5) ** 2)) + 0.05 * math.sin(k / 90)
        i = [rated * shape * f for f in (1.35, 0.95, 0.7)]
        a = math.tau / 3
        i_n = math.hypot(
            i[0] + i[1] * math.cos(-a) + i[2] * math.cos(a),
            i[1] * math.sin(-a) + i[2] * math.sin(a),
        )
        avg = sum(i) / 3
        rows.append(
            {
                "ts": ts,
                "feeder_id": feeder_id,
                **{f"i_{ph}": x for ph, x in zip("ryb", i, strict=True)},
                **{f"p_{ph}": x * 230 * 0.95 for ph, x in zip("ryb", i, strict=True)},
                **{f"q_{ph}": x * 230 * 0.3 for ph, x in zip("ryb", i, strict=True)},
                **{f"v_{ph}": 231 - 8 * x / rated for ph, x in zip("ryb", i, strict=True)},
                "i_n": i_n,
                "unbalance_pct": 100 * max(abs(x - avg) for x in i) / avg,
                "mode": "auto",
                "houses_online": 20,
                "houses_total": 20,
            }
        )
    with engine.begin() as conn:
        conn.execute(insert(feeder_readings), rows)
    rollups.refresh(engine, now=end, lookback_s=(HISTORY_DAYS + 1) * 86_400)
    return len(rows)


@dataclass
class GridServer:
    """The live control room, the feeder with houses, its signing key and the edge's part."""

    server: LiveServer
    feeder_id: str
    key: bytes
    seq: Iterator[int] = field(default_factory=lambda: count(1))

    def edge_event(self, kind: EventKind, data: dict[str, Any]) -> None:
        """Store an edge event of the feeder as the ingest worker would (decode, then write)."""
        event = Event(boot=77, seq=next(self.seq), ts_s=time.time(), kind=kind, data=data)
        engine = self.server.engine()
        try:
            with engine.connect() as conn:
                known = frozenset(
                    conn.execute(
                        select(houses.c.house_id).where(houses.c.feeder_id == self.feeder_id)
                    ).scalars()
                )
            uplink = decode_uplink(
                topic_for(TopicKind.EVENT, self.feeder_id),
                seal_uplink(TopicKind.EVENT, self.feeder_id, event.to_json(), self.key),
                Fleet({self.feeder_id: known}),
                key_of=lambda feeder: self.key if feeder == self.feeder_id else None,
                now_s=time.time(),
            )
            assert isinstance(uplink, Uplink), uplink
            with engine.begin() as conn:
                write_batch(conn, WriteBatch(uplinks=[uplink]))
        finally:
            engine.dispose()

    def command_result(self, cmd_id: str, state: CommandState) -> None:
        """Report a step of a command's lifecycle, as the edge controller does."""
        self.edge_event(EventKind.COMMAND_RESULT, CommandResultData(cmd_id, state).to_data())


@pytest.fixture(scope="module")
def grid_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GridServer]:
    """Return a live control room on a store with 300 feeders, one with houses, a day of
    history and balancing runs; it publishes commands to the test broker with that feeder's key."""
    folder = tmp_path_factory.mktemp("grid")
    url = f"sqlite:///{folder}/store.db"
    engine = make_engine(url)
    upgrade(engine)
    feeder_id = seed_page_fleet(engine, datetime.now(UTC), feeders=300)
    engine.dispose()
    keys = folder / "keys"
    keys.mkdir()
    key = secrets.token_bytes(32)
    (keys / f"{feeder_id}.key").write_text(key.hex())
    os.environ.setdefault("SP_SECRET_KEY", SECRET)
    server = LiveServer(
        url,
        free_port(),
        folder / "server.log",
        env={"SP_MQTT_URL": MQTT_URL, "SP_KEYS_DIR": str(keys)},
    )
    yield GridServer(server, feeder_id, key)
    server.stop()


@pytest.fixture
def operator(grid_server: GridServer) -> Iterator[Any]:
    driver = _chromium_driver()
    browser_login(driver, grid_server.server.base, USERS["operator"])
    yield driver
    driver.quit()


@pytest.fixture
def viewer(grid_server: GridServer) -> Iterator[Any]:
    driver = _chromium_driver()
    browser_login(driver, grid_server.server.base, USERS["viewer"])
    yield driver
    driver.quit()


class CtlListener:
    """A clean-session subscriber to one feeder's `ctl` topic (nothing left on the broker)."""

    def __init__(self, url: str, feeder_id: str) -> None:
        self.topic = topic_for(TopicKind.CTL, feeder_id)
        self.messages: queue.Queue[bytes] = queue.Queue()
        subscribed = queue.Queue[bool]()
        parts = urlsplit(url)
        self.client = mqtt.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=f"sp-test-ctl-{uuid.uuid4().hex[:8]}",
            clean_session=True,
            protocol=mqtt.MQTTv311,
        )
        self.client.on_connect = lambda c, *_: c.subscribe(self.topic, qos=1)
        self.client.on_subscribe = lambda *_: subscribed.put(True)
        self.client.on_message = lambda _c, _u, m: self.messages.put(bytes(m.payload))
        self.client.connect(parts.hostname or "127.0.0.1", parts.port or 1883, keepalive=30)
        self.client.loop_start()
        subscribed.get(timeout=10)

    def next(self, timeout: float = 10) -> ControlCommand:
        """Return the next command published on the topic, decoded."""
        message = decode(self.topic, self.messages.get(timeout=timeout))
        assert isinstance(message, ControlCommand)
        return message

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def ctl(mqtt_url: str, grid_server: GridServer) -> Iterator[CtlListener]:
    listener = CtlListener(mqtt_url, grid_server.feeder_id)
    yield listener
    listener.close()


def check_signed(grid: GridServer, ctl: ControlCommand, last_counter: int = 0) -> None:
    """Assert the edge would accept the command: MAC with the feeder key, counter, expiry."""
    verdict = verify_control_command(
        ctl, key=grid.key, feeder_id=grid.feeder_id, last_counter=last_counter, now_s=time.time()
    )
    assert verdict.accepted, verdict.reason
    forged = verify_control_command(
        ctl, key=bytes(32), feeder_id=grid.feeder_id, last_counter=last_counter, now_s=time.time()
    )
    assert not forged.accepted


def step_done(driver: Any, status_id: str, step: str, timeout: float = 10) -> None:
    """Wait until the lifecycle strip under `status_id` marks `step` done (or final)."""
    css = f"#{status_id} .sp-step-done, #{status_id} .sp-step-final"
    WebDriverWait(driver, timeout).until(lambda d: step in [t.strip() for t in texts(d, css)])


def command_id(driver: Any, status_id: str) -> str:
    """Return the command id shown in a lifecycle strip."""
    css = f"#{status_id} small"
    shown = WebDriverWait(driver, 10).until(lambda d: [t for t in texts(d, css) if t.strip()])
    return str(shown[0].split()[0])


def test_the_map_shows_clusters_legend_and_districts(
    grid_server: GridServer, operator: Any
) -> None:
    operator.get(grid_server.server.base + "/")
    wait_for(operator, ".sp-cluster")
    wait_for(operator, ".sp-legend", "Unbalanced")
    wait_for(operator, "#sp-map-summary", "Ernakulam")
    screenshot(operator, "map")


def scroll_to(driver: Any, element_id: str, offset_px: int = 80) -> None:
    """Scroll an element to the top of the viewport, `offset_px` below it."""
    driver.execute_script(
        "const e = document.getElementById(arguments[0]);"
        "window.scrollTo(0, e.getBoundingClientRect().top + window.scrollY - arguments[1]);",
        element_id,
        offset_px,
    )


DECIDED_BEFORE_END = timedelta(minutes=3)


def seed_run_readings(grid: GridServer) -> None:
    """Give the seeded runs their decision time, and store the moved houses' readings of that
    moment, as the edge and the nodes send them."""
    engine = grid.server.engine()
    try:
        with engine.begin() as conn:
            for run in balancing_runs(conn, grid.feeder_id):
                conn.execute(
                    update(balancing_runs_table)
                    .where(balancing_runs_table.c.run_id == run.run_id)
                    .values(decided_at=run.ts - DECIDED_BEFORE_END)
                )
            rows = [
                {
                    "ts": run.ts - DECIDED_BEFORE_END - timedelta(seconds=20),
                    "feeder_id": grid.feeder_id,
                    "house_id": m["house"],
                    "phase": m["from"],
                    "v": 229.0,
                    "i": 12.0,
                    "p": 2100.0 - 600 * k,
                    "q": 300.0,
                    "pv": 900.0,
                }
                for run in balancing_runs(conn, grid.feeder_id)
                for k, m in enumerate(run.moves)
            ]
            conn.execute(insert(house_readings), rows)
    finally:
        engine.dispose()


def svg_texts(driver: Any, css: str) -> list[str]:
    """Return the text of every SVG element matching `css` (SVG has no innerText)."""
    script = "return Array.from(document.querySelectorAll(arguments[0]), e => e.textContent)"
    return list(driver.execute_script(script, css))


def test_the_feeder_page_shows_history_and_runs(grid_server: GridServer, operator: Any) -> None:
    seed_run_readings(grid_server)
    emulate_screen(operator, 1920, 1080)
    operator.get(f"{grid_server.server.base}/feeder/{grid_server.feeder_id}")
    wait_for(operator, ".sp-phase-table", "Current")
    resolution = wait_for(operator, "#sp-feeder-resolution", "points").text
    points = int(resolution.split(", ")[-1].split()[0].replace(",", ""))
    assert points >= 1_400, resolution  # "All data": a day of 1-minute means
    assert "1-minute means" in resolution
    wait_for(
        operator, "#sp-feeder-currents-chart .scatterlayer, #sp-feeder-currents-chart .gl-container"
    )
    wait_for(operator, "#sp-feeder-currents-chart", "Phase rating")
    marks = svg_texts(operator, "#sp-feeder-currents-chart .legendtext")
    assert "Balancing runs" in marks, marks
    wait_for(operator, "#sp-feeder-run-chart", "Balancing run of")
    bars = operator.find_elements(By.CSS_SELECTOR, "#sp-feeder-run-chart .bars .point")
    assert len(bars) == 8  # R, Y, B, N before and after
    title = svg_texts(operator, "#sp-feeder-run-chart .gtitle")[0]
    assert "-r1" not in title, title
    assert "IST" in title, title
    legend = " ".join(svg_texts(operator, "#sp-feeder-run-chart .legendtext"))
    assert "when the run ended" in legend, legend
    assert "when the run was decided" in legend, legend
    detail = wait_for(operator, "#sp-feeder-run-detail .sp-run-moves", "held").text
    assert "2.10" in detail, detail  # the house's net import ...
    assert "0.90" in detail, detail  # ... and its PV
    screenshot(operator, "feeder-charts")
    scroll_to(operator, "sp-feeder-runs")
    screenshot(operator, "feeder-run-chart")


def test_a_custom_range_in_ist_redraws_the_charts(grid_server: GridServer, operator: Any) -> None:
    emulate_screen(operator, 1920, 1080)
    operator.get(f"{grid_server.server.base}/feeder/{grid_server.feeder_id}")
    wait_for(operator, "#sp-feeder-resolution", "points")
    start = (datetime.now(UTC) - timedelta(hours=3)).astimezone(IST)
    end = start + timedelta(hours=2)
    for element_id, value in (("sp-feeder-range-from", start), ("sp-feeder-range-to", end)):
        box = operator.find_element(By.ID, element_id)
        box.clear()
        box.send_keys(value.strftime("%Y-%m-%d %H:%M") + Keys.ENTER)
    expected = f"{start:%d %b %H:%M} – {end:%d %b %H:%M} IST"
    wait_for(operator, "#sp-feeder-resolution", expected)
    assert "10-second readings" in texts(operator, "#sp-feeder-resolution")[0]
    checked = operator.find_element(By.CSS_SELECTOR, "#sp-feeder-range input[value='custom']")
    assert checked.is_selected()
    screenshot(operator, "feeder-custom-range")
    box = operator.find_element(By.ID, "sp-feeder-range-to")
    box.clear()
    box.send_keys("tomorrow" + Keys.ENTER)
    wait_for(operator, "#sp-feeder-resolution .sp-error-to", "To:")
    screenshot(operator, "feeder-custom-range-error")


def test_the_operator_switches_the_mode(
    grid_server: GridServer, operator: Any, ctl: CtlListener
) -> None:
    operator.get(f"{grid_server.server.base}/feeder/{grid_server.feeder_id}")
    wait_for(operator, "#sp-feeder-mode", "AUTO")
    wait_for(operator, "#sp-feeder-mode-toggle", "Switch to manual").click()
    dialog = WebDriverWait(operator, 10).until(ec.alert_is_present())
    assert f"Switch {grid_server.feeder_id} to manual mode?" in dialog.text
    dialog.accept()

    sent = ctl.next()
    assert (sent.action, sent.mode, sent.feeder) == (
        ControlAction.SET_MODE, Mode.MANUAL, grid_server.feeder_id,
    )  # fmt: skip
    check_signed(grid_server, sent)
    status = "sp-feeder-mode-status"
    step_done(operator, status, "sent")
    assert command_id(operator, status) == sent.cmd_id
    screenshot(operator, "feeder-mode-sent")

    grid_server.command_result(sent.cmd_id, CommandState.ACKNOWLEDGED)
    step_done(operator, status, "acknowledged")
    grid_server.edge_event(
        EventKind.MODE_CHANGE, ModeChangeData(Mode.MANUAL, by="otto", cmd_id=sent.cmd_id).to_data()
    )
    grid_server.command_result(sent.cmd_id, CommandState.APPLIED)
    step_done(operator, status, "applied")
    wait_for(operator, f"#{status}", "applied: the controller confirmed it")
    # With the lifecycle, not at the next 10 s refresh: they arrive in one callback response.
    assert texts(operator, "#sp-feeder-mode") == ["MANUAL"]
    assert texts(operator, "#sp-feeder-mode-toggle") == ["Switch to auto"]
    screenshot(operator, "feeder-mode-applied")


def refresh_readings(grid: GridServer) -> None:
    """Give the feeder a summary and every house a reading of just now (a dry run needs them)."""
    engine = grid.server.engine()
    now = datetime.now(UTC)
    try:
        with engine.begin() as conn:
            conn.execute(
                update(feeder_state)
                .where(feeder_state.c.feeder_id == grid.feeder_id)
                .values(ts=now)
            )
            latest = (
                select(
                    house_readings.c.house_id,
                    house_readings.c.phase,
                    func.max(house_readings.c.p).label("p"),
                )
                .where(house_readings.c.feeder_id == grid.feeder_id)
                .group_by(house_readings.c.house_id, house_readings.c.phase)
            )
            rows = [
                {"ts": now, "feeder_id": grid.feeder_id, "house_id": h, "phase": ph, "v": 230.0,
                 "i": abs(p) / 230.0, "p": p, "q": 0.0, "pv": 0.0}
                for h, ph, p in conn.execute(latest)
            ]  # fmt: skip
            conn.execute(insert(house_readings), rows)
    finally:
        engine.dispose()


def choose_move(driver: Any, house: str, phase: str, target: str) -> None:
    """Pick a house and a target phase in the manual move form."""
    dropdown = driver.find_element(By.ID, "sp-feeder-move-house")
    dropdown.click()
    label = f"{house} (on {phase})"
    WebDriverWait(driver, 10, ignored_exceptions=[StaleElementReferenceException]).until(
        lambda d: next(
            (o for o in d.find_elements(By.CSS_SELECTOR, "[role='option']") if o.text == label),
            False,
        )
    ).click()
    driver.find_element(By.CSS_SELECTOR, f"#sp-feeder-move-phase input[value='{target}']").click()


def test_the_operator_moves_a_house_after_a_dry_run(
    grid_server: GridServer, operator: Any, ctl: CtlListener
) -> None:
    refresh_readings(grid_server)
    operator.get(f"{grid_server.server.base}/feeder/{grid_server.feeder_id}")
    wait_for(operator, ".sp-phase-table", "Current")
    with grid_server.server.engine().connect() as conn:
        house, phase = conn.execute(
            select(houses.c.house_id, houses.c.phase)
            .where(houses.c.feeder_id == grid_server.feeder_id, houses.c.switchable)
            .order_by(houses.c.house_id)
        ).first()  # type: ignore[misc]
    target = next(p for p in "RYB" if p != phase)

    choose_move(operator, house, phase, target)
    why = operator.find_element(By.ID, "sp-feeder-move-why")
    why.send_keys("browser test move")
    confirm = operator.find_element(By.ID, "sp-feeder-move-confirm")
    assert not confirm.is_enabled()  # nothing previewed yet

    operator.find_element(By.ID, "sp-feeder-move-dry-run").click()
    wait_for(operator, ".sp-dry-run", f"{house}: {phase} → {target}")
    wait_for(operator, ".sp-dry-run", "Neutral current:")
    wait_for(operator, ".sp-dry-run", "Unbalance:")
    wait_for(operator, ".sp-dry-run .js-plotly-plot")
    WebDriverWait(operator, 10).until(lambda d: confirm.is_enabled())
    operator.execute_script(
        "document.getElementById('sp-feeder-move-preview').scrollIntoView({block: 'center'})"
    )
    screenshot(operator, "feeder-move-dry-run")

    confirm.click()
    sent = ctl.next()
    assert (sent.action, sent.house, sent.from_phase, sent.to_phase) == (
        ControlAction.SWITCH, house, Phase(phase), Phase(target),
    )  # fmt: skip
    check_signed(grid_server, sent)
    status = "sp-feeder-move-status"
    step_done(operator, status, "sent")
    assert command_id(operator, status) == sent.cmd_id

    grid_server.command_result(sent.cmd_id, CommandState.ACKNOWLEDGED)
    step_done(operator, status, "acknowledged")
    screenshot(operator, "feeder-move-acknowledged")
    grid_server.edge_event(
        EventKind.SWITCH_RESULT,
        SwitchResultData(
            house, Phase(phase), Phase(target), SwitchResult.APPLIED, SwitchOrigin.MANUAL,
            cmd_id=sent.cmd_id,
        ).to_data(),
    )  # fmt: skip
    grid_server.command_result(sent.cmd_id, CommandState.APPLIED)
    step_done(operator, status, "applied")
    operator.execute_script(
        "document.getElementById('sp-feeder-move-status').scrollIntoView({block: 'center'})"
    )
    screenshot(operator, "feeder-move-applied")
    with grid_server.server.engine().connect() as conn:
        now_on = conn.execute(select(houses.c.phase).where(houses.c.house_id == house)).scalar()
    assert now_on == target


def switchable_houses(grid: GridServer) -> list[tuple[str, str]]:
    """Return (house, phase) of the feeder's switchable houses, by id."""
    with grid.server.engine().connect() as conn:
        return [
            (str(h), str(ph))
            for h, ph in conn.execute(
                select(houses.c.house_id, houses.c.phase)
                .where(houses.c.feeder_id == grid.feeder_id, houses.c.switchable)
                .order_by(houses.c.house_id)
            )
        ]


def test_a_locked_out_house_is_shown_and_an_operator_unlocks_it(
    grid_server: GridServer, operator: Any, ctl: CtlListener
) -> None:
    house, _ = switchable_houses(grid_server)[-1]
    since = datetime.now(UTC) - timedelta(minutes=4)
    until = since + timedelta(hours=6)
    grid_server.edge_event(
        EventKind.LOCKOUT,
        LockoutData(house, True, "did_not_help", since.timestamp(), until.timestamp()).to_data(),
    )
    emulate_screen(operator, 1920, 1080)
    operator.get(f"{grid_server.server.base}/feeder/{grid_server.feeder_id}")
    row = wait_for(operator, "#sp-feeder-locks .sp-lock-row", house).text
    assert "did not help" in row
    assert f"{since.astimezone(IST):%d %b %H:%M} IST" in row
    assert f"{until.astimezone(IST):%d %b %H:%M} IST" in row
    search = operator.find_element(By.ID, "sp-feeder-house-search")
    search.send_keys("locked")
    WebDriverWait(operator, 10).until(
        lambda d: texts(d, "#sp-feeder-houses td[data-dash-column='house']") == [house]
    )
    lock = texts(operator, "#sp-feeder-houses td[data-dash-column='lock']")[0]
    assert lock == (
        f"locked since {since.astimezone(IST):%d %b %H:%M} until "
        f"{until.astimezone(IST):%d %b %H:%M} IST (did not help)"
    )
    scroll_to(operator, "sp-feeder-locks", 120)
    screenshot(operator, "feeder-locked")

    operator.find_element(By.CSS_SELECTOR, "#sp-feeder-locks .sp-unlock").click()
    sent = ctl.next()
    assert (sent.action, sent.house, sent.feeder) == (
        ControlAction.UNLOCK, house, grid_server.feeder_id,
    )  # fmt: skip
    check_signed(grid_server, sent)
    status = "sp-feeder-unlock-status"
    step_done(operator, status, "sent")
    assert command_id(operator, status) == sent.cmd_id
    grid_server.command_result(sent.cmd_id, CommandState.ACKNOWLEDGED)
    grid_server.edge_event(EventKind.LOCKOUT, LockoutData(house, False).to_data())
    grid_server.command_result(sent.cmd_id, CommandState.APPLIED)
    step_done(operator, status, "applied")
    wait_for(operator, "#sp-feeder-locks", "No house is locked out", timeout=5)  # at once
    with pytest.raises(queue.Empty):  # drawing the buttons again sends nothing
        ctl.messages.get(timeout=1)
    screenshot(operator, "feeder-unlocked")
    with grid_server.server.engine().connect() as conn:
        audited = conn.execute(
            select(audit_log.c.username, audit_log.c.target).where(
                audit_log.c.action == "command.unlock"
            )
        ).all()
        locked = conn.execute(select(houses.c.locked).where(houses.c.house_id == house)).scalar()
    assert audited == [("otto", house)]
    assert not locked


def test_a_dry_run_blocked_by_the_dwell_says_so_and_confirm_stays_disabled(
    grid_server: GridServer, operator: Any
) -> None:
    house, phase = next(h for h in reversed(switchable_houses(grid_server)) if h[1] == "R")
    target = "B"  # off the heaviest phase onto the lightest: the dry run finds it helps
    refresh_readings(grid_server)
    grid_server.edge_event(
        EventKind.SWITCH_RESULT,
        SwitchResultData(
            house, Phase(phase), Phase(target), SwitchResult.ROLLED_BACK, SwitchOrigin.AUTO,
            run_id="r-dwell", reason="did_not_help",
        ).to_data(),
    )  # fmt: skip
    emulate_screen(operator, 1920, 1080)
    operator.get(f"{grid_server.server.base}/feeder/{grid_server.feeder_id}")
    wait_for(operator, ".sp-phase-table", "Current")
    choose_move(operator, house, phase, target)
    operator.find_element(By.ID, "sp-feeder-move-dry-run").click()
    blocked = wait_for(operator, ".sp-dry-run .sp-blocked", "minimum dwell").text
    assert "would improve the feeder" in texts(operator, ".sp-dry-run p")[0]
    assert "rolled back" in blocked
    assert "may move again from" in blocked
    confirm = operator.find_element(By.ID, "sp-feeder-move-confirm")
    assert not confirm.is_enabled()
    assert "sp-dry-run-blocked" in operator.find_element(
        By.CSS_SELECTOR, ".sp-dry-run"
    ).get_attribute("class")
    scroll_to(operator, "sp-feeder-move-house", 120)
    screenshot(operator, "feeder-dry-run-blocked")


def test_a_viewer_sees_locks_but_cannot_unlock(grid_server: GridServer, viewer: Any) -> None:
    house, _ = switchable_houses(grid_server)[-3]
    grid_server.edge_event(
        EventKind.LOCKOUT, LockoutData(house, True, "ack_timeout", time.time()).to_data()
    )
    before = denials(grid_server.server.engine(), "feeder.unlock")
    viewer.get(f"{grid_server.server.base}/feeder/{grid_server.feeder_id}")
    row = wait_for(viewer, "#sp-feeder-locks .sp-lock-row", "until unlocked", timeout=20).text
    assert "an operator unlocks it" in row
    assert viewer.find_elements(By.CSS_SELECTOR, "#sp-feeder-locks .sp-unlock") == []
    time.sleep(11)  # one refresh draws the panel again: nothing is asked for, nor refused
    assert denials(grid_server.server.engine(), "feeder.unlock") == before
    grid_server.edge_event(EventKind.LOCKOUT, LockoutData(house, False).to_data())


def test_a_viewer_gets_no_enabled_controls(grid_server: GridServer, viewer: Any) -> None:
    viewer.get(f"{grid_server.server.base}/feeder/{grid_server.feeder_id}")
    wait_for(viewer, ".sp-phase-table", "Current")
    for element_id in (
        "sp-feeder-mode-toggle",
        "sp-feeder-move-house",
        "sp-feeder-move-dry-run",
        "sp-feeder-move-confirm",
        "sp-feeder-move-why",
    ):
        assert not viewer.find_element(By.ID, element_id).is_enabled(), element_id
    radios = viewer.find_elements(By.CSS_SELECTOR, "#sp-feeder-move-phase input")
    assert radios
    assert not any(r.is_enabled() for r in radios)
    assert "operator" in wait_for(viewer, ".sp-read-only").text
    screenshot(viewer, "feeder-viewer")


def date_summaries(grid: GridServer, age: timedelta) -> None:
    """Make every feeder's latest summary and last contact `age` old (the wall depends on it)."""
    engine = grid.server.engine()
    try:
        with engine.begin() as conn:
            at = datetime.now(UTC) - age
            conn.execute(update(feeder_state).values(ts=at))
            conn.execute(update(feeders).where(feeders.c.online).values(last_seen=at))
    finally:
        engine.dispose()


@pytest.mark.parametrize("size", [(1920, 1080), (3840, 2160)])
def test_the_wall_is_readable(
    grid_server: GridServer, operator: Any, size: tuple[int, int]
) -> None:
    date_summaries(grid_server, timedelta(seconds=5))  # fresh, whatever ran before
    operator.set_window_size(*size)
    operator.get(grid_server.server.base + "/wall")
    wait_for(operator, ".sp-wall-table", "KL-")
    wait_for(operator, ".sp-cluster")
    time.sleep(1.0)  # the fit after layout
    screenshot(operator, f"wall-{size[0]}x{size[1]}")


def test_the_wall_warns_when_data_stops(grid_server: GridServer, operator: Any) -> None:
    """Last in the module: it ages every feeder's latest summary by 10 minutes."""
    date_summaries(grid_server, timedelta(seconds=5))
    operator.set_window_size(1920, 1080)
    operator.get(grid_server.server.base + "/wall")
    wait_for(operator, ".sp-wall-table", "KL-")
    assert not operator.find_element(By.ID, "sp-wall-stale").is_displayed()
    date_summaries(grid_server, timedelta(minutes=10))
    operator.refresh()
    # The wall's next refresh, and the worker's fleet snapshot read before the summaries aged.
    wait_for(operator, "#sp-wall-stale", "STALE DATA", timeout=15 + MAX_AGE_S + 5)
    wait_for(operator, "#sp-wall-stale", "nothing received for 10 min")
    screenshot(operator, "wall-stale")
