"""Finding 1: a feeder imported with markup in its name ran script for whoever hovered it (and
made an admin user as them). Now names and districts with markup characters are refused at
import, the control room shows every name as text, and a Content-Security-Policy lets no script
run but the server's own files and the inline scripts Dash needs (by hash): every page works
under it in Chromium with nothing in the console, and injected markup runs nothing."""

from __future__ import annotations

import base64
import hashlib
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import dash
import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

import store.__main__ as cli
from components.headers import content_security_policy, tiles_source
from store.db import make_engine
from store.migrate import upgrade
from tests.dashboard.conftest import (
    USERS,
    LiveServer,
    browser_login,
    free_port,
    screenshot,
    seed_dashboard,
    signed_in,
    wait_for,
)
from tests.security.conftest import console_problems, logging_chromium
from tests.store.seed import add_alert, add_feeder, add_feeder_state

MARKUP_ID = "KL-XSS-0001"
MARKUP_NAME = '<img src=x onerror="window.__spXss=1">Kochi'
MARKUP_ALERT = "<script>window.__spXss=2</script>Phase R above rating"

# --- import ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("row", "field"),
    [
        ("KL-EKM-0009,<img src=x onerror=alert(1)>,Ernakulam,10.0,76.3,100", "name"),
        ('KL-EKM-0009,"Kochi ""quoted""",Ernakulam,10.0,76.3,100', "name"),
        ("KL-EKM-0009,Kochi,Ernakulam<script>,10.0,76.3,100", "district"),
        ("KL-EKM-0009,Kochi & Co,Ernakulam,10.0,76.3,100", "name"),
        ("KL-EKM-<b>,Kochi,Ernakulam,10.0,76.3,100", "feeder_id"),
    ],
)
def test_import_refuses_markup_naming_line_and_field(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    row: str,
    field: str,
) -> None:
    url = f"sqlite:///{tmp_path}/store.db"
    monkeypatch.setenv("SP_DATABASE_URL", url)
    assert cli.main(["upgrade"]) == 0
    source = tmp_path / "feeders.csv"
    source.write_text(
        "feeder_id,name,district,lat,lon,kva\nKL-TVM-0001,Pettah,Thiruvananthapuram,8.5,76.9,250\n"
        + row
        + "\n"
    )
    capsys.readouterr()
    assert cli.main(["feeders", "import", str(source)]) == 2
    error = capsys.readouterr().err
    assert f"line 3, field {field}" in error, error
    engine = make_engine(url)
    with engine.connect() as conn:  # the whole file is refused
        assert conn.exec_driver_sql("SELECT count(*) FROM feeders").scalar_one() == 0
    engine.dispose()


# --- headers ----------------------------------------------------------------------------------


def directives(policy: str) -> dict[str, list[str]]:
    return {
        name: values
        for name, *values in (part.split() for part in policy.split(";") if part.strip())
    }


@pytest.mark.parametrize(
    "path", ["/login", "/", "/_dash-layout", "/assets/grid_map.js", "/_dash-update-component"]
)
def test_every_response_carries_the_security_headers(shared_app: dash.Dash, path: str) -> None:
    client = (
        signed_in(shared_app, "viewer") if path != "/login" else shared_app.server.test_client()
    )
    response = client.get(path)
    headers = response.headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"
    policy = directives(headers["Content-Security-Policy"])
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]
    script = policy["script-src"]
    assert script[0] == "'self'"
    assert all(source.startswith("'sha256-") for source in script[1:])
    assert "'unsafe-inline'" not in script
    assert "'unsafe-eval'" not in script
    assert "script-src-attr" not in policy  # inline event handlers fall under script-src


def test_the_policy_admits_exactly_the_inline_scripts_of_a_page(shared_app: dash.Dash) -> None:
    response = signed_in(shared_app, "viewer").get("/")
    page = re.sub(r"<!--.*?-->", "", response.get_data(as_text=True), flags=re.S)
    allowed = set(directives(response.headers["Content-Security-Policy"])["script-src"])
    inline = [
        body
        for attributes, body in re.findall(r"<script([^>]*)>(.*?)</script>", page, flags=re.S)
        if "src=" not in attributes and "application/json" not in attributes
    ]
    assert len(inline) >= 2  # Dash's renderer start and the clientside callbacks
    for body in inline:
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in allowed, body[:200]


def test_the_map_tiles_host_may_serve_images() -> None:
    assert tiles_source("https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png") == (
        "https://*.tile.openstreetmap.org"
    )
    assert tiles_source("https://tiles.example.in/{z}/{x}/{y}.png") == "https://tiles.example.in"
    policy = directives(content_security_policy([], "https://tiles.example.in/{z}/{x}/{y}.png"))
    assert policy["img-src"] == ["'self'", "data:", "blob:", "https://tiles.example.in"]


# --- in Chromium ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The control room on a seeded store that holds a feeder and an alert whose text is
    markup (written as the wire or an older import could have)."""
    folder = tmp_path_factory.mktemp("csp")
    url = f"sqlite:///{folder}/store.db"
    engine = make_engine(url)
    upgrade(engine)
    seed_dashboard(engine)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        add_feeder(conn, MARKUP_ID, name=MARKUP_NAME, district="Ernakulam", lat=10.0, lon=76.33,
                   last_seen=now)  # fmt: skip
        add_feeder_state(conn, MARKUP_ID, now - timedelta(seconds=5), i_r=100.0, i_y=60.0,
                         i_b=60.0, i_n=40.0, unbalance_pct=36.4)  # fmt: skip
        add_alert(conn, "A-XSS-1", MARKUP_ID, now - timedelta(minutes=1), severity="critical",
                  kind="overload", message=MARKUP_ALERT)  # fmt: skip
    engine.dispose()
    server = LiveServer(
        url, free_port(), folder / "server.log", env={"SP_MQTT_URL": "mqtt://127.0.0.1:9"}
    )
    yield server
    server.stop()


@pytest.fixture(scope="module")
def admin(served: LiveServer) -> Iterator[Any]:
    """One signed-in admin's Chromium for the module, keeping its console log."""
    driver = logging_chromium()
    driver.get(served.base + "/login")
    assert console_problems(driver) == []
    browser_login(driver, served.base, USERS["admin"])
    yield driver
    driver.quit()


PAGES = [
    ("/", "#sp-map-matches", "feeders shown"),
    ("/feeder/KL-TVM-0001", "#sp-header-user", None),
    ("/alerts", "#sp-alerts-table", "phase R above rating"),
    ("/log", "#sp-log-table", None),
    ("/wall", "#sp-wall", None),
    ("/users", "#sp-users-table", "ada"),
    ("/account", "#enrol-qr", None),
]


@pytest.mark.browser
@pytest.mark.slow
def test_every_page_works_under_the_policy(served: LiveServer, admin: Any) -> None:
    for path, css, text in PAGES:
        admin.get(served.base + path)
        wait_for(admin, css, text, timeout=20)
        if path == "/feeder/KL-TVM-0001":
            chart = wait_for(admin, ".js-plotly-plot", timeout=20)  # Plotly drew its charts
            ActionChains(admin).move_to_element(chart).perform()
            camera = chart.find_element(By.CSS_SELECTOR, "[data-title='Download plot as a PNG']")
            admin.execute_script("arguments[0].click()", camera)  # draws the chart as an image
        time.sleep(1.0)  # late chunks and the first refresh
        assert console_problems(admin) == [], path
        screenshot(admin, "csp" + path.replace("/", "-").rstrip("-"))
    qr = admin.find_element(By.ID, "enrol-qr")
    assert admin.execute_script("return arguments[0].naturalWidth", qr) > 0  # a data: image


@pytest.mark.browser
@pytest.mark.slow
def test_a_stored_name_stays_text_on_the_map_and_the_wall(served: LiveServer, admin: Any) -> None:
    admin.get(served.base + "/")
    wait_for(admin, "#sp-map-matches", "feeders shown", timeout=20)
    box = admin.find_element(By.ID, "sp-map-search")
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(MARKUP_ID)
    listed = wait_for(admin, ".sp-matches-list li", MARKUP_ID)
    assert "<img" in listed.text
    time.sleep(0.5)  # the map fits onto the one feeder
    ActionChains(admin).move_to_element(admin.find_element(By.ID, "sp-map-map")).perform()
    tip = wait_for(admin, ".leaflet-tooltip", MARKUP_ID)
    assert "<img" in tip.text
    admin.get(served.base + "/wall?district=Ernakulam")
    wait_for(admin, "#sp-wall", "<script>", timeout=20)  # the alert's message, as text
    shown = admin.execute_script("return document.getElementById('sp-wall').textContent")
    assert MARKUP_NAME in shown  # the feeder's name (cut short on screen), as text
    assert MARKUP_ALERT in shown
    assert not admin.find_elements(By.CSS_SELECTOR, "#sp-wall img, .leaflet-tooltip img")
    assert admin.execute_script("return window.__spXss === undefined")
    assert console_problems(admin) == []
    screenshot(admin, "csp-wall-markup-as-text")


@pytest.mark.browser
@pytest.mark.slow
def test_injected_markup_runs_no_script(served: LiveServer, admin: Any) -> None:
    admin.get(served.base + "/alerts")
    wait_for(admin, "#sp-alerts-table", "phase R above rating", timeout=20)
    admin.execute_script(
        "document.body.insertAdjacentHTML('beforeend',"
        ' \'<img id="sp-probe" src="/no-such-image" onerror="window.__spInjected=1">\');'
        "var s = document.createElement('script');"
        "s.textContent = 'window.__spInjected = 2';"
        "document.body.appendChild(s);"
    )
    time.sleep(1.0)  # the image fails to load; its handler would run now
    assert admin.execute_script("return window.__spInjected === undefined")
    problems = console_problems(admin)
    assert any("CSP violation: script-src" in p for p in problems), problems
