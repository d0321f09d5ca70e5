"""Headless Chromium on the alerts page with many alerts: paging, severity order, bulk
acknowledgement by selection and by filter, and the header's count following at once.
Screenshots (1920×1080) go to SP_TEST_ARTIFACTS."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any, Final

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import text

from store.alerting import open_alert_count
from tests.dashboard.conftest import NOW, LiveServer, screenshot, texts, wait_for
from tests.dashboard.test_browser_platform import choose
from tests.store.seed import add_alert

pytestmark = pytest.mark.browser

Browser = Callable[[str], Any]

EXTRA: Final = 70
"""Open warnings added on KL-EKM-0002 (Ernakulam), beside the seeded alerts: two pages."""


SILENT: Final = 12
"""Houses of KL-TVM-0001 whose alerts roll up under its feeder_offline."""


@pytest.fixture(scope="module")
def many(live_server: LiveServer) -> LiveServer:
    """Return the live server with EXTRA more open warnings, and a silent feeder holding
    SILENT house alerts."""
    engine = live_server.engine()
    with engine.begin() as conn:
        for k in range(EXTRA):
            add_alert(conn, f"W-{k:03d}", "KL-EKM-0002", NOW - timedelta(minutes=90 + k),
                      message=f"house KL-EKM-0002-H{k:03d} silent")  # fmt: skip
        add_alert(conn, "OFF-1", "KL-TVM-0001", NOW - timedelta(minutes=3), kind="feeder_offline",
                  severity="critical", message="No data from KL-TVM-0001")  # fmt: skip
        for k in range(SILENT):
            add_alert(conn, f"H-{k:03d}", "KL-TVM-0001", NOW - timedelta(minutes=4),
                      kind="house_offline", house_id=f"KL-TVM-0001-H{k:03d}",
                      message=f"house KL-TVM-0001-H{k:03d} has not reported")  # fmt: skip
        conn.execute(text("UPDATE alerts SET parent_id = 'OFF-1' WHERE alert_id LIKE 'H-%'"))
    engine.dispose()
    return live_server


def open_count(server: LiveServer) -> int:
    engine = server.engine()
    with engine.connect() as conn:
        n = open_alert_count(conn)
    engine.dispose()
    return n


def header_says(driver: Any, n: int) -> None:
    wait_for(driver, "#sp-header-alert-count", f"{n:,} open alert")


def test_operator_acknowledges_a_selection_and_then_everything_a_filter_shows(
    many: LiveServer, browser: Browser
) -> None:
    driver = browser("operator")
    driver.set_window_size(1920, 1080)
    driver.get(many.base + "/alerts")
    total = open_count(many)
    wait_for(driver, "#sp-alerts-pager", f"of {EXTRA + 5}")  # the house alerts roll up
    header_says(driver, total)
    severities = texts(driver, "#sp-alerts-table td.sp-col-severity")
    assert severities[:2] == ["critical", "critical"]
    assert severities == sorted(severities, key=["critical", "warning", "info"].index)
    assert len(severities) == 50
    table = driver.find_element(By.ID, "sp-alerts-table").text
    assert f"with {SILENT} houses silent" in table
    assert "KL-TVM-0001-H000" not in table
    screenshot(driver, "alerts-1920")

    for alert_id in ("W-000", "W-001", "W-002"):
        box = f"[id*='\"alert\":\"{alert_id}\"'][id*='sp-alert-select'] input"
        driver.find_element(By.CSS_SELECTOR, box).click()
    wait_for(driver, "#sp-alerts-ack-selected", "Acknowledge selected (3)").click()
    wait_for(driver, "#sp-alerts-message", "3 alerts acknowledged by otto")
    header_says(driver, total - 3)  # no reload
    assert open_count(many) == total - 3

    choose(driver, "sp-alerts-district", "Ernakulam")
    choose(driver, "sp-alerts-severity", "warning")
    wait_for(driver, "#sp-alerts-pager", f"of {EXTRA + 1}")  # the acknowledged stay active
    driver.find_element(By.ID, "sp-alerts-ack-all").click()
    dialog = WebDriverWait(driver, 10).until(ec.alert_is_present())
    assert f"Acknowledge {EXTRA - 3} open alerts" in dialog.text
    assert "district Ernakulam, severity warning" in dialog.text
    dialog.accept()
    wait_for(driver, "#sp-alerts-message", f"{EXTRA - 3} alerts acknowledged by otto")
    header_says(driver, total - EXTRA)
    screenshot(driver, "alerts-1920-after-bulk")
    engine = many.engine()
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT target, detail FROM audit_log WHERE action = 'alert.ack' ORDER BY ts")
        ).all()
    engine.dispose()
    assert [r.target for r in rows[-2:]] == ["3 alerts", f"{EXTRA - 3} alerts"]


def test_rolled_up_alerts_show_under_their_feeder(many: LiveServer, browser: Browser) -> None:
    driver = browser("viewer")
    driver.get(many.base + "/alerts")
    wait_for(driver, "#sp-alerts-table", f"with {SILENT} houses silent")
    driver.find_element(By.LINK_TEXT, f"{SILENT} houses silent").click()
    wait_for(driver, "#sp-alerts-pager", f"of {SILENT + 3}")  # the feeder's own 3 and them
    assert "KL-TVM-0001-H000" in driver.find_element(By.ID, "sp-alerts-table").text
    assert driver.find_element(By.ID, "sp-alerts-feeder").get_attribute("value") == "KL-TVM-0001"


def test_pages_forward_and_back(many: LiveServer, browser: Browser) -> None:
    driver = browser("viewer")
    driver.get(many.base + "/alerts?state=")  # any state
    first = wait_for(driver, "#sp-alerts-pager", "page 1 of 2").text
    assert first.startswith("Alerts 1–50 of ")
    assert driver.find_element(By.ID, "sp-alerts-prev").get_attribute("disabled")
    driver.find_element(By.ID, "sp-alerts-next").click()
    wait_for(driver, "#sp-alerts-pager", "page 2 of 2")
    assert driver.find_element(By.ID, "sp-alerts-next").get_attribute("disabled")
    driver.find_element(By.ID, "sp-alerts-prev").click()
    wait_for(driver, "#sp-alerts-pager", "page 1 of 2")
    assert driver.find_elements(By.CSS_SELECTOR, "[id*='sp-alert-select']") == []  # a viewer


@pytest.mark.parametrize(("width", "height"), [(768, 1024), (390, 844)])
def test_on_a_tablet_and_a_phone_each_alert_is_a_card_with_its_button_on_screen(
    many: LiveServer, browser: Browser, width: int, height: int
) -> None:
    driver = browser("operator")
    driver.set_window_size(width, height)
    driver.get(many.base + "/alerts")
    wait_for(driver, "#sp-alerts-table", "phase R above rating")
    fits = driver.execute_script(
        """
        const list = document.querySelector(".sp-alerts-scroll");
        const button = document.querySelector("button[id*='sp-alert-ack']");
        const box = button.getBoundingClientRect();
        return [document.documentElement.scrollWidth <= window.innerWidth
                && list.scrollWidth <= list.clientWidth,
                box.left >= 0 && box.right <= window.innerWidth];
        """
    )
    assert fits == [True, True]
    screenshot(driver, f"alerts-{width}")
