"""Fixtures of the attack tests: a seeded store (SQLite and PostgreSQL), apps built on it with
chosen settings, and headless Chromium that keeps its console log and every CSP violation.

The seeded store is the dashboard tests' (tests/dashboard/conftest.py): vera (viewer), otto
(operator) and ada (admin) with PASSWORD, two feeders, alerts, commands and audit rows.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Final

import dash
import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from sqlalchemy import Engine, text

from app import create_app
from components.runtime import current
from store.db import make_engine
from store.migrate import upgrade
from tests.conftest import service_missing
from tests.dashboard.conftest import (
    CHROMEDRIVER,
    CHROMIUM,
    make_settings,
    seed_dashboard,
)

NO_BROKER: Final = "mqtt://127.0.0.1:9"
"""A broker URL nothing listens on: commands built in a test are never delivered anywhere."""

WATCH_VIOLATIONS: Final = """
window.__spViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__spViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""
"""Runs in every document before its own scripts (Chrome DevTools protocol)."""


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Return the URL of a fresh, migrated, seeded store: once SQLite, once PostgreSQL."""
    url = (
        f"sqlite:///{tmp_path}/store.db"
        if request.param == "sqlite"
        else str(request.getfixturevalue("pg_url"))
    )
    engine = make_engine(url)
    upgrade(engine)
    seed_dashboard(engine)
    engine.dispose()
    return url


@pytest.fixture
def app_url(tmp_path: Path) -> str:
    """Return the URL of a fresh, migrated, seeded SQLite store for apps (the store functions
    whose SQL differs by dialect are tested on both stores through `store_url`)."""
    url = f"sqlite:///{tmp_path}/app.db"
    engine = make_engine(url)
    upgrade(engine)
    seed_dashboard(engine)
    engine.dispose()
    return url


@pytest.fixture
def build_app(app_url: str) -> Iterator[Callable[..., dash.Dash]]:
    """Return a factory of apps on the seeded store `app_url` with some settings changed."""
    engines: list[Engine] = []

    def build(**changes: Any) -> dash.Dash:
        engine = make_engine(app_url)
        engines.append(engine)
        changes.setdefault("mqtt_url", NO_BROKER)
        return create_app(make_settings(app_url, **changes), engine=engine)

    yield build
    for engine in engines:
        engine.dispose()


@pytest.fixture(scope="module")
def shared_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dash.Dash]:
    """Return one app per module on a seeded SQLite store, for tests that change nothing that
    another test of the module reads."""
    url = f"sqlite:///{tmp_path_factory.mktemp('shared')}/store.db"
    engine = make_engine(url)
    upgrade(engine)
    seed_dashboard(engine)
    yield create_app(make_settings(url, mqtt_url=NO_BROKER), engine=engine)
    engine.dispose()


def engine_of(app: dash.Dash) -> Engine:
    """Return the store engine of an app."""
    return current(app.server).engine


def audit_rows(engine: Engine, action: str, outcome: str | None = None) -> list[Any]:
    """Return the audit rows of an action (and outcome), oldest first."""
    query = "SELECT username, target, outcome, detail, address FROM audit_log WHERE action = :a"
    params = {"a": action}
    if outcome is not None:
        query += " AND outcome = :o"
        params["o"] = outcome
    with engine.connect() as conn:
        return list(conn.execute(text(query + " ORDER BY entry_id"), params))


def logging_chromium() -> Any:
    """Return headless Chromium that keeps its console log and records CSP violations."""
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        service_missing(f"headless Chromium needs {CHROMIUM} and {CHROMEDRIVER}")
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
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": WATCH_VIOLATIONS})
    return driver


def console_problems(driver: Any) -> list[str]:
    """Return the console's errors and warnings since the last call, and the page's CSP
    violations."""
    logged = [
        entry["message"]
        for entry in driver.get_log("browser")
        if entry["level"] in ("SEVERE", "WARNING")
    ]
    violations = driver.execute_script("return window.__spViolations || []")
    return logged + [f"CSP violation: {v}" for v in violations]
