"""Headless Chromium against `python app.py`: sign-in, alert acknowledgement, the log with a
filter, the users page. Screenshots go to SP_TEST_ARTIFACTS (default var/test-artifacts/)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import text

from tests.dashboard.conftest import PASSWORD, LiveServer, screenshot, wait_for

pytestmark = pytest.mark.browser

Browser = Callable[[str], Any]


def choose(driver: Any, dropdown_id: str, label: str) -> None:
    """Pick an option of a dcc.Dropdown by its label."""
    driver.find_element(By.ID, dropdown_id).click()
    option = WebDriverWait(driver, 10, ignored_exceptions=[StaleElementReferenceException]).until(
        lambda d: next(
            (o for o in d.find_elements(By.CSS_SELECTOR, "[role='option']") if o.text == label),
            False,
        )
    )
    option.click()
    wait_for(driver, f"#{dropdown_id}", label)


def test_sign_in_and_out(live_server: LiveServer, browser: Browser) -> None:
    driver = browser("anonymous")
    driver.get(live_server.base + "/alerts")
    assert "/login" in driver.current_url
    driver.find_element(By.ID, "username").send_keys("vera")
    driver.find_element(By.ID, "password").send_keys("wrong password here")
    driver.find_element(By.ID, "login-submit").click()
    assert "Wrong username or password" in wait_for(driver, "#login-error").text
    screenshot(driver, "login-failed")
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    driver.find_element(By.ID, "login-submit").click()
    wait_for(driver, "#sp-header-user")
    assert driver.current_url.endswith("/alerts")  # back where the redirect started
    header = wait_for(driver, "#sp-header")
    assert "vera" in header.text
    assert "viewer" in header.text
    assert "Users" not in driver.find_element(By.ID, "sp-header-nav").text
    assert "open alert" in wait_for(driver, "#sp-header-alert-count").text
    driver.find_element(By.ID, "sp-header-logout").click()
    wait_for(driver, "#login-form")


def test_operator_acknowledges_an_alert(live_server: LiveServer, browser: Browser) -> None:
    driver = browser("operator")
    driver.get(live_server.base + "/alerts")
    wait_for(driver, "#sp-alerts-table", "phase R above rating")
    screenshot(driver, "alerts-before-ack")
    button = driver.find_element(By.CSS_SELECTOR, "button[id*='A-TVM-1'][id*='sp-alert-ack']")
    button.click()
    wait_for(driver, "#sp-alerts-message", "A-TVM-1 acknowledged by otto")
    row = wait_for(driver, "#sp-alerts-table", "otto at")
    screenshot(driver, "alerts-after-ack")
    assert "acknowledged" in row.text
    with live_server.engine().connect() as conn:
        state, by = conn.execute(
            text("SELECT state, acked_by FROM alerts WHERE alert_id = 'A-TVM-1'")
        ).one()
    assert (state, by) == ("acknowledged", "otto")


def test_viewer_sees_no_acknowledge_button(live_server: LiveServer, browser: Browser) -> None:
    driver = browser("viewer")
    driver.get(live_server.base + "/alerts")
    wait_for(driver, "#sp-alerts-table", "phase R above rating")
    assert driver.find_elements(By.CSS_SELECTOR, "button[id*='sp-alert-ack']") == []


def test_log_filters_by_user(live_server: LiveServer, browser: Browser) -> None:
    driver = browser("admin")
    driver.get(live_server.base + "/log")
    table = wait_for(driver, "#sp-log-table", "neutral 42 A")
    assert "operator move" not in table.text  # the manual switch is its command's row
    user = driver.find_element(By.ID, "sp-log-user")
    user.send_keys("otto", Keys.ENTER)
    wait_for(driver, "#sp-log-export")
    driver.implicitly_wait(0)
    wait_for(driver, "#sp-log-table", "feeder.set_mode")
    table = driver.find_element(By.ID, "sp-log-table")
    assert "neutral 42 A" not in table.text
    href = driver.find_element(By.ID, "sp-log-export").get_attribute("href")
    assert href.endswith("/log.csv?user=otto")
    screenshot(driver, "log-filtered")


def test_admin_adds_and_disables_a_user(live_server: LiveServer, browser: Browser) -> None:
    driver = browser("admin")
    driver.get(live_server.base + "/users")
    wait_for(driver, "#sp-users-table", "vera")
    driver.find_element(By.ID, "sp-users-new-name").send_keys("nina")
    driver.find_element(By.ID, "sp-users-new-password").send_keys("short")
    driver.find_element(By.ID, "sp-users-add").click()
    assert "password" in wait_for(driver, "#sp-users-message", "Not added").text
    screenshot(driver, "users-bad-password")
    password = driver.find_element(By.ID, "sp-users-new-password")
    password.clear()
    password.send_keys("a long enough password")
    driver.find_element(By.ID, "sp-users-add").click()
    wait_for(driver, "#sp-users-message", "User nina added as viewer")
    wait_for(driver, "#sp-users-table", "nina")
    choose(driver, "sp-users-target", "nina")
    driver.find_element(By.ID, "sp-users-disable").click()
    wait_for(driver, "#sp-users-message", "nina disabled")
    screenshot(driver, "users-after-disable")
    with live_server.engine().connect() as conn:
        disabled = conn.execute(
            text("SELECT disabled FROM users WHERE username = 'nina'")
        ).scalar_one()
    assert bool(disabled)


def test_non_admin_is_refused_the_users_page(live_server: LiveServer, browser: Browser) -> None:
    driver = browser("operator")
    driver.get(live_server.base + "/users")
    assert "needs the admin role" in wait_for(driver, ".sp-denied").text
