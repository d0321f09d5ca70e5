"""The log page in headless Chromium: pages of rows from the server, next and previous, a sort
that starts again at the first page, times to the second in IST, one row per user action."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from selenium.webdriver.common.by import By

from components import ids
from store.queries import IST
from tests.dashboard.conftest import NOW, LiveServer, screenshot, texts, wait_for
from tests.dashboard.test_browser_platform import choose
from tests.store.seed import add_switch

pytestmark = pytest.mark.browser

Browser = Callable[[str], Any]
EXTRA = 110
"""Switches added to the seeded store, so that the log has three pages of 50."""


@pytest.fixture(scope="module")
def long_log(live_server: LiveServer) -> LiveServer:
    """Return the live server with EXTRA more switches, one a second, two hours ago."""
    engine = live_server.engine()
    start = NOW - timedelta(hours=2)
    with engine.begin() as conn:
        for k in range(EXTRA):
            add_switch(conn, start - timedelta(seconds=k), "KL-TVM-0001",
                       f"KL-TVM-0001-H{k:03d}", reason=f"step {k}")  # fmt: skip
    engine.dispose()
    return live_server


def _count(driver: Any) -> str:
    return str(driver.find_element(By.ID, ids.LOG_COUNT).text)


def _column(driver: Any, key: str) -> list[str]:
    return texts(driver, f'#{ids.LOG_TABLE} td[data-dash-column="{key}"]')


def test_log_pages_on_the_server(long_log: LiveServer, browser: Browser) -> None:
    driver = browser("viewer")
    driver.get(long_log.base + "/log")
    wait_for(driver, f"#{ids.LOG_COUNT}", "Entries 1–50 of ")
    total = int(_count(driver).split(" of ")[1].split(" ")[0].replace(",", ""))
    assert total >= EXTRA + 3
    first_times = _column(driver, "ts")
    assert len(first_times) == 50
    assert first_times == sorted(first_times, reverse=True)  # newest first
    # The added switches are a second apart: each keeps its own second, in IST.
    at = dict(zip(_column(driver, "reason"), first_times, strict=True))
    start = NOW - timedelta(hours=2)
    assert at["step 0"] == start.astimezone(IST).strftime("%Y-%m-%d %H:%M:%S")
    second = start - timedelta(seconds=1)
    assert at["step 1"] == second.astimezone(IST).strftime("%Y-%m-%d %H:%M:%S")
    screenshot(driver, "log-page-1")

    driver.find_element(By.CSS_SELECTOR, f"#{ids.LOG_TABLE} button.next-page").click()
    wait_for(driver, f"#{ids.LOG_COUNT}", "Entries 51–100 of ")
    second_times = _column(driver, "ts")
    assert len(second_times) == 50
    assert max(second_times) <= min(first_times)

    driver.find_element(By.CSS_SELECTOR, f"#{ids.LOG_TABLE} button.previous-page").click()
    wait_for(driver, f"#{ids.LOG_COUNT}", "Entries 1–50 of ")
    assert _column(driver, "ts") == first_times

    # Sorting by feeder starts again at page 1: feeders A→Z, rows without one last.
    driver.find_element(By.CSS_SELECTOR, f"#{ids.LOG_TABLE} button.next-page").click()
    wait_for(driver, f"#{ids.LOG_COUNT}", "Entries 51–100 of ")
    driver.find_element(
        By.CSS_SELECTOR, f'#{ids.LOG_TABLE} th[data-dash-column="feeder"] .column-header--sort'
    ).click()
    wait_for(driver, f"#{ids.LOG_COUNT}", "Entries 1–50 of ")
    feeders = [f for f in _column(driver, "feeder") if f]
    assert feeders == sorted(feeders)
    assert feeders[0] == "KL-EKM-0002"
    screenshot(driver, "log-sorted-by-feeder")


def test_a_manual_move_is_one_row(long_log: LiveServer, browser: Browser) -> None:
    """The seeded command C-1 and the switch it caused show as one command row."""
    driver = browser("viewer")
    driver.get(long_log.base + "/log")
    wait_for(driver, f"#{ids.LOG_COUNT}", "Entries 1–")
    choose(driver, ids.LOG_KIND, "command")
    wait_for(driver, f"#{ids.LOG_COUNT}", "of 1 ")
    assert _column(driver, "target") == ["KL-TVM-0001-H003"]
    assert _column(driver, "who") == ["otto"]
    targets = texts(driver, f"#{ids.LOG_TABLE} td")
    assert "operator move" not in targets  # the switch's own row is folded into the command
