"""Shared dashboard fixtures: seeded stores, apps, signed-in test clients per role, callback
POSTs built from the app's callback map, and a live server with headless Chromium.

- `dashboard_url` (module scope, once SQLite, once PostgreSQL): a migrated, seeded store.
- `dashboard_app` / `clients` (module scope): one app on it and a signed-in Flask test client
  per role ("anonymous" is a client without a session).
- `post_callback(client, app, action_or_key, ...)`: a direct POST to /_dash-update-component.
- `live_server` (module scope): `python app.py` in a subprocess on a free port, on a seeded
  SQLite store; `browser(role)` returns a signed-in Chromium driver (skips without chromium,
  fails under CI=true); `screenshot(driver, name)` saves under SP_TEST_ARTIFACTS.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

import dash
import pytest
from flask.testing import FlaskClient
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.pool import NullPool
from werkzeug.test import TestResponse

from app import create_app
from components.access import guard_of
from settings import Settings
from store.db import make_engine, sqlalchemy_url
from store.migrate import upgrade
from store.users import add_user
from tests.conftest import service_missing
from tests.store.seed import add_alert, add_audit, add_command, add_feeder, add_switch

ROOT: Final = Path(__file__).resolve().parents[2]
PASSWORD: Final = "correct horse battery"
USERS: Final = {"viewer": "vera", "operator": "otto", "admin": "ada"}
"""The seeded user of each role; every one has PASSWORD."""
ROLES_AND_ANONYMOUS: Final = ("anonymous", "viewer", "operator", "admin")
ORIGIN: Final = "http://localhost"
"""The Origin the Flask test client's requests come from."""
SECRET: Final = "test-secret-key-" + "0" * 32
NOW: Final = datetime.now(UTC).replace(microsecond=0)

CHROMIUM: Final = os.environ.get("SP_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER: Final = os.environ.get("SP_TEST_CHROMEDRIVER", "/usr/bin/chromedriver")
ARTIFACTS: Final = Path(os.environ.get("SP_TEST_ARTIFACTS", str(ROOT / "var" / "test-artifacts")))


# ---------------------------------------------------------------------------------------------
# Store


def seed_dashboard(engine: Engine) -> None:
    """Add the role users, two feeders in two districts, alerts, commands, switches, audits."""
    with engine.begin() as conn:
        for role, name in USERS.items():
            add_user(conn, name, PASSWORD, role)
        add_feeder(conn, "KL-TVM-0001", district="Thiruvananthapuram", last_seen=NOW)
        add_feeder(conn, "KL-EKM-0002", district="Ernakulam", lat=9.98, lon=76.28, last_seen=NOW)
        t = NOW - timedelta(hours=1)
        add_alert(conn, "A-TVM-1", "KL-TVM-0001", t, severity="critical", kind="overload",
                  message="phase R above rating")  # fmt: skip
        add_alert(conn, "A-TVM-2", "KL-TVM-0001", t + timedelta(minutes=5))
        add_alert(conn, "A-EKM-1", "KL-EKM-0002", t + timedelta(minutes=10), severity="info",
                  kind="offline", message="house node offline", house_id="KL-EKM-0002-H001")  # fmt: skip
        add_alert(conn, "A-EKM-2", "KL-EKM-0002", t - timedelta(hours=3), state="cleared")
        add_alert(conn, "A-EKM-3", "KL-EKM-0002", t - timedelta(hours=2), state="acknowledged")
        add_command(conn, "C-1", "KL-TVM-0001", t, house_id="KL-TVM-0001-H003",
                    state="applied", requested_by="otto")  # fmt: skip
        add_switch(conn, t + timedelta(seconds=20), "KL-TVM-0001", "KL-TVM-0001-H003",
                   origin="manual", cmd_id="C-1", reason="operator move")  # fmt: skip
        add_switch(conn, t + timedelta(minutes=30), "KL-EKM-0002", "KL-EKM-0002-H002",
                   from_phase="B", to_phase="R", reason="neutral 42 A")  # fmt: skip
        add_audit(conn, t, "feeder.set_mode", username="otto", target="KL-TVM-0001",
                  detail={"mode": "manual"})  # fmt: skip


def _free_database(pg_admin_url: str) -> tuple[str, Callable[[], None]]:
    name = f"sp_dash_{uuid.uuid4().hex[:12]}"
    admin = create_engine(
        sqlalchemy_url(pg_admin_url), isolation_level="AUTOCOMMIT", poolclass=NullPool
    )
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    base = pg_admin_url.rsplit("/", 1)[0]
    return f"{base}/{name}", drop


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)])
def dashboard_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """Return the URL of a migrated, seeded store: once SQLite, once PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('dash')}/store.db"
        drop: Callable[[], None] = lambda: None  # noqa: E731
    else:
        url, drop = _free_database(request.getfixturevalue("pg_admin_url"))
    engine = make_engine(url)
    upgrade(engine)
    seed_dashboard(engine)
    engine.dispose()
    try:
        yield url
    finally:
        drop()


def make_settings(url: str, **changes: Any) -> Settings:
    """Return test settings for a store URL."""
    return Settings(database_url=url, secret_key=SECRET).with_overrides(**changes)


# ---------------------------------------------------------------------------------------------
# Apps and clients


@pytest.fixture(scope="module")
def dashboard_app(dashboard_url: str) -> Iterator[dash.Dash]:
    """Return an app on the seeded store, after its first request (its callbacks all set up)."""
    engine = make_engine(dashboard_url)
    app = create_app(make_settings(dashboard_url), engine=engine)
    signed_in(app, "admin").get("/_dash-layout")
    yield app
    engine.dispose()


def signed_in(app: dash.Dash, role: str) -> FlaskClient:
    """Return a test client of `app` signed in as the seeded user of `role` (or anonymous)."""
    client: FlaskClient = app.server.test_client()
    if role != "anonymous":
        response = login(client, USERS[role])
        assert response.status_code == 302, response.get_data(as_text=True)
    return client


@pytest.fixture(scope="module")
def clients(dashboard_app: dash.Dash) -> dict[str, FlaskClient]:
    """Return a signed-in client per role, and an anonymous one."""
    return {role: signed_in(dashboard_app, role) for role in ROLES_AND_ANONYMOUS}


def login(
    client: FlaskClient, username: str, password: str = PASSWORD, **headers: str
) -> TestResponse:
    """POST the sign-in form as a browser on this site would."""
    return client.post(
        "/login",
        data={"username": username, "password": password},
        headers={"Origin": ORIGIN, **headers},
    )


# ---------------------------------------------------------------------------------------------
# Callbacks by direct POST


def callback_entries(app: dash.Dash) -> dict[str, dict[str, Any]]:
    """Return the app's server-side callbacks by output key, Dash's own (pages router) left out."""
    return {
        key: entry
        for key, entry in app.callback_map.items()
        if "callback" in entry and not key.lstrip(".").startswith("_pages")
    }


def callback_key(app: dash.Dash, action: str) -> str:
    """Return the output key of the state-changing callback that audits as `action`."""
    keys = [
        key
        for key, entry in callback_entries(app).items()
        if (guard := guard_of(entry["callback"])) is not None and guard.action == action
    ]
    assert len(keys) == 1, f"{len(keys)} callbacks for {action}"
    return keys[0]


PROBE: Final = "matrix-probe"
"""What a wildcard of a pattern-matching id becomes in a built payload."""


def _concrete(raw_id: str) -> str | dict[str, Any]:
    if not raw_id.startswith("{"):
        return raw_id
    parsed = json.loads(raw_id)
    return {k: PROBE if isinstance(v, list) else v for k, v in parsed.items()}


def _is_all(raw_id: str) -> bool:
    return raw_id.startswith("{") and '["ALL"]' in raw_id


def _prop_id(concrete: str | dict[str, Any], prop: str) -> str:
    if isinstance(concrete, dict):
        return json.dumps(concrete, sort_keys=True, separators=(",", ":")) + "." + prop
    return f"{concrete}.{prop}"


def callback_payload(
    app: dash.Dash, key: str, values: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Return the JSON body the renderer would POST for callback `key`.

    The first input is the trigger with value 1 (a click) unless `values` says otherwise;
    `values` maps "id.property" (wildcards as written in the app) to values; the rest are None.
    """
    entry = app.callback_map[key]
    values = dict(values or {})

    def item(dep: Mapping[str, str], default: Any) -> Any:
        raw, prop = dep["id"], dep["property"]
        concrete = _concrete(raw)
        one = {"id": concrete, "property": prop, "value": values.get(f"{raw}.{prop}", default)}
        return [one] if _is_all(raw) else one

    inputs = [item(dep, 1 if i == 0 else None) for i, dep in enumerate(entry["inputs"])]
    state = [item(dep, None) for dep in entry["state"]]
    output_specs = entry["output"] if isinstance(entry["output"], list) else [entry["output"]]
    outputs = []
    for out in output_specs:
        raw = (
            out.component_id
            if isinstance(out.component_id, str)
            else json.dumps(out.component_id, default=lambda w: ["ALL"])
        )
        one = {"id": _concrete(raw), "property": out.component_property}
        outputs.append([one] if _is_all(raw) else one)
    first = entry["inputs"][0]
    return {
        "output": key,
        "outputs": outputs if key.startswith("..") else outputs[0],
        "inputs": inputs,
        "state": state,
        "changedPropIds": [_prop_id(_concrete(first["id"]), first["property"])],
    }


def post_callback(
    client: FlaskClient,
    app: dash.Dash,
    key: str,
    values: Mapping[str, Any] | None = None,
    **headers: str,
) -> TestResponse:
    """POST a callback to /_dash-update-component from this site's origin."""
    return client.post(
        "/_dash-update-component",
        json=callback_payload(app, key, values),
        headers={"Origin": ORIGIN, **headers},
    )


def denials(engine: Engine, action: str) -> int:
    """Return how many denials of `action` the audit log holds."""
    with engine.connect() as conn:
        return int(
            conn.execute(
                text("SELECT count(*) FROM audit_log WHERE action = :a AND outcome = 'denied'"),
                {"a": action},
            ).scalar_one()
        )


# ---------------------------------------------------------------------------------------------
# Live server and Chromium


def free_port() -> int:
    """Return a TCP port nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LiveServer:
    """`python app.py` in a subprocess on a seeded SQLite store."""

    def __init__(
        self, url: str, port: int, log_path: Path, env: Mapping[str, str] | None = None
    ) -> None:
        self.database_url = url
        self.base = f"http://127.0.0.1:{port}"
        env = {
            **os.environ,
            "SP_DATABASE_URL": url,
            "SP_PORT": str(port),
            "SP_HOST": "127.0.0.1",
            "SP_SECRET_KEY": SECRET,
            **(env or {}),
        }
        self._log = log_path.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "app.py")],
            cwd=ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        self._wait(port, log_path)

    def _wait(self, port: int, log_path: Path) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"app.py exited: {log_path.read_text()[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("app.py did not listen within 30 s")

    def engine(self) -> Engine:
        """Return an engine on the server's store."""
        return make_engine(self.database_url)

    def stop(self) -> None:
        """Stop the server process."""
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._log.close()


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """Return a running control room on a seeded SQLite store (one per test module)."""
    folder = tmp_path_factory.mktemp("live")
    url = f"sqlite:///{folder}/store.db"
    engine = make_engine(url)
    upgrade(engine)
    seed_dashboard(engine)
    engine.dispose()
    server = LiveServer(url, free_port(), folder / "server.log")
    yield server
    server.stop()


def _chromium_driver() -> Any:
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        service_missing(
            f"headless Chromium needs {CHROMIUM} and {CHROMEDRIVER} "
            "(apt-get install chromium chromium-driver)"
        )

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    profile = Path(os.environ.get("TMPDIR", "/tmp")) / f"sp-chromium-{uuid.uuid4().hex[:8]}"
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile}",
        "--window-size=1440,900",
    ):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


@pytest.fixture
def browser(live_server: LiveServer) -> Iterator[Callable[[str], Any]]:
    """Return a factory of Chromium drivers signed in to the live server as a role."""
    drivers: list[Any] = []

    def signed_in_as(role: str) -> Any:
        driver = _chromium_driver()
        drivers.append(driver)
        if role != "anonymous":
            browser_login(driver, live_server.base, USERS[role])
        return driver

    yield signed_in_as
    for driver in drivers:
        driver.quit()


def browser_login(driver: Any, base: str, username: str, password: str = PASSWORD) -> None:
    """Sign in through the /login form and wait for the header."""

    driver.get(base + "/login")
    driver.find_element(By.ID, "username").send_keys(username)
    driver.find_element(By.ID, "password").send_keys(password)
    driver.find_element(By.ID, "login-submit").click()
    wait_for(driver, "#sp-header-user")


def wait_for(driver: Any, css: str, text: str | None = None, timeout: float = 20) -> Any:
    """Return the first element matching `css` (containing `text`), waiting for it."""

    wait = WebDriverWait(driver, timeout)
    if text is not None:
        wait.until(ec.text_to_be_present_in_element((By.CSS_SELECTOR, css), text))
    return wait.until(ec.visibility_of_element_located((By.CSS_SELECTOR, css)))


def texts(driver: Any, css: str) -> list[str]:
    """Return the rendered text of every element matching `css`, read in one script call.

    Reading them in the page itself cannot hit an element that a re-render replaced between
    finding it and reading it.
    """
    script = "return Array.from(document.querySelectorAll(arguments[0]), e => e.innerText)"
    return list(driver.execute_script(script, css))


def emulate_screen(driver: Any, width: int, height: int) -> None:
    """Make the page's viewport exactly `width` × `height` CSS pixels (screenshots too), as a
    screen of that size shows it: a phone's below 800 px wide."""
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 800},
    )


def screenshot(driver: Any, name: str) -> Path:
    """Save a PNG of the page under SP_TEST_ARTIFACTS (default var/test-artifacts/)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    driver.save_screenshot(str(path))
    return path
