"""Every page on a phone, a tablet, a 1080p screen and a 4K wall, in headless Chromium: no
sideways page scroll, each page's main control on screen and not covered, the maps not
collapsed, `<html lang>` set; a screenshot of each page at each size is kept.

One live server on a seeded store (a fleet, a feeder with houses and runs, alerts with long
messages) and one signed-in admin's Chromium for the whole module.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import pytest
from selenium.webdriver.support.ui import WebDriverWait

from store.db import make_engine
from store.migrate import upgrade
from tests.dashboard.conftest import (
    USERS,
    LiveServer,
    _chromium_driver,
    browser_login,
    emulate_screen,
    free_port,
    screenshot,
    wait_for,
)
from tests.dashboard.test_grid_pages_browser import seed_page_fleet
from tests.store.seed import add_alert

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SIZES: Final = ((390, 844), (768, 1024), (1400, 900), (1920, 1080), (3840, 2160))
"""A phone, a tablet, a laptop, a 1080p screen and a 4K wall [CSS px]."""
LONG_MESSAGE: Final = (
    "Phase R of KL-TVM-0001 carried 212 A for 15 min, above its rating of 145 A; the controller "
    "moved three solar houses to phase B and two of them were rolled back by their interlocks."
)


ALERTS_ACK: Final = ".sp-alerts-table .sp-col-action button"
"""The first alert's Acknowledge button."""


@dataclass(frozen=True, slots=True)
class Page:
    """A page, where it is, and the control a user comes to it for."""

    name: str
    path: str
    control: str
    """CSS of the control that must be on screen and reachable (the page is ready with it)."""
    more: tuple[str, ...] = ()
    """CSS of the page's other main controls, each on screen and reachable in its turn."""
    box: str | None = None
    """CSS of a box (a map) that must keep a usable size, if any."""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, str]]:
    """Return the live control room and the id of its feeder with houses."""
    folder = tmp_path_factory.mktemp("reach")
    url = f"sqlite:///{folder}/store.db"
    engine = make_engine(url)
    upgrade(engine)
    now = datetime.now(UTC)
    feeder_id = seed_page_fleet(engine, now)
    with engine.begin() as conn:
        for k in range(4):
            add_alert(conn, f"A-LONG-{k}", "KL-TVM-0001", now - timedelta(minutes=k),
                      severity="critical", kind="phase_overload", message=LONG_MESSAGE,
                      house_id="KL-TVM-0001-H017")  # fmt: skip
    engine.dispose()
    live = LiveServer(url, free_port(), folder / "server.log")
    yield live, feeder_id
    live.stop()


@pytest.fixture(scope="module")
def driver(server: tuple[LiveServer, str]) -> Iterator[Any]:
    """One signed-in admin's Chromium for the whole module."""
    chromium = _chromium_driver()
    browser_login(chromium, server[0].base, USERS["admin"])
    yield chromium
    chromium.quit()


def pages(feeder_id: str) -> tuple[Page, ...]:
    """Return every signed-in page with its main control."""
    return (
        Page("map", "/", "#sp-map-search", ("#sp-map-district-filter",), box="#sp-map-map"),
        Page(
            "feeder",
            f"/feeder/{feeder_id}",
            "#sp-feeder-mode-toggle",
            ("#sp-feeder-move-dry-run", "#sp-feeder-house-search"),
        ),
        Page("alerts", "/alerts", ALERTS_ACK, ("#sp-alerts-ack-all", "#sp-alerts-next")),
        Page("log", "/log", "#sp-log-export", ("#sp-log-kind",)),
        Page("users", "/users", "#sp-users-add"),
        Page("notifications", "/notifications", "#sp-notify-route-add"),
        Page("reports", "/reports", "#sp-reports-export"),
        Page("wall", "/wall", "#sp-wall-map", box="#sp-wall-map"),
    )


OVERFLOW: Final = """
var width = document.documentElement.clientWidth;
var out = [];
function clipped(el) {
  for (var p = el.parentElement; p && p !== document.body; p = p.parentElement) {
    var x = getComputedStyle(p).overflowX;
    if (x !== 'visible') { return true; }
  }
  return false;
}
document.querySelectorAll('body *').forEach(function (el) {
  var r = el.getBoundingClientRect();
  if (r.width && (r.right > width + 0.5 || r.left < -0.5) && !clipped(el)) {
    var parent = el.parentElement;
    var pr = parent ? parent.getBoundingClientRect() : null;
    if (!pr || (pr.right <= width + 0.5 && pr.left >= -0.5) || parent === document.body) {
      out.push(el.tagName + '#' + el.id + '.' + String(el.className).slice(0, 60) +
               ' [' + Math.round(r.left) + ', ' + Math.round(r.right) + ']');
    }
  }
});
return {scroll: document.documentElement.scrollWidth, inner: innerWidth, width: width,
        culprits: out.slice(0, 8)};
"""
"""The page's scroll width and the outermost elements that stick out of the viewport."""

REACH: Final = """
var el = document.querySelector(arguments[0]);
if (!el) { return null; }
var before = el.getBoundingClientRect();
window.scrollTo(window.scrollX, before.top + window.scrollY - innerHeight / 3);
var r = el.getBoundingClientRect();
var hit = document.elementFromPoint(r.left + r.width / 2, r.top + Math.min(r.height / 2, 40));
return {left: r.left, right: r.right, top: r.top, bottom: r.bottom, width: r.width,
        height: r.height, inner: [innerWidth, innerHeight],
        hit: !!hit && (hit === el || el.contains(hit)),
        what: hit ? hit.tagName + '.' + String(hit.className).slice(0, 60) : null};
"""
"""Scroll the page (only down) to an element and say where it is and whether a click at its
middle reaches it."""


def sideways(driver: Any, width: int, where: str) -> list[str]:
    """Return what is wrong if the page is wider than `width` or the viewport is not `width`."""
    found = driver.execute_script(OVERFLOW)
    if found["inner"] != width or found["scroll"] > width:
        return [f"{where}: page scrolls sideways: {found}"]
    return []


def reach(driver: Any, css: str, where: str, min_px: int = 0) -> list[str]:
    """Return what is wrong if `css` is not on screen, at least `min_px` each way, and reachable
    by a click at its middle."""
    box = driver.execute_script(REACH, css)
    if box is None:
        return [f"{where}: no {css}"]
    width, height = box["inner"]
    if box["width"] <= min_px or box["height"] <= min_px:
        return [f"{where}: {css} collapsed: {box}"]
    if box["left"] < -0.5 or box["right"] > width + 0.5 or not -0.5 <= box["top"] < height:
        return [f"{where}: {css} off screen: {box}"]
    if not box["hit"]:
        return [f"{where}: {css} covered by {box['what']}: {box}"]
    return []


def html_lang(driver: Any) -> str:
    return str(driver.execute_script("return document.documentElement.lang"))


def go(driver: Any, base: str, path: str, first: bool) -> None:
    """Open `path`: loaded from the server the first time, then through the app's own router
    (as a click on a link does), which keeps the module's run short."""
    if first:
        driver.get(base + path)
        return
    driver.execute_script(
        "window.history.pushState({}, '', arguments[0]);"
        "window.dispatchEvent(new PopStateEvent('popstate'));",
        path,
    )


def wait_for_box(driver: Any, css: str) -> None:
    WebDriverWait(driver, 20).until(
        lambda d: d.execute_script(
            "var e = document.querySelector(arguments[0]);"
            "if (!e) { return false; }"
            "var r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0;",
            css,
        )
    )


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_every_page_fits_the_screen(
    server: tuple[LiveServer, str], driver: Any, size: tuple[int, int]
) -> None:
    live, feeder_id = server
    width, height = size
    emulate_screen(driver, width, height)
    wrong: list[str] = []
    for k, page in enumerate(pages(feeder_id)):
        where = f"{page.path} at {width}x{height}"
        go(driver, live.base, page.path, first=k == 0)
        wait_for(driver, page.control)
        if page.box is not None:
            wait_for_box(driver, page.box)
        if html_lang(driver) != "en":
            wrong.append(f"{where}: <html lang={html_lang(driver)!r}>")
        wrong += sideways(driver, width, where)
        if page.name != "wall":
            wrong += reach(driver, "#sp-header-logout", where)
            wrong += reach(driver, "#sp-header-nav a:last-child", where)
        if page.box is not None:
            wrong += reach(driver, page.box, where, min_px=200)
        for css in (page.control, *page.more):
            wrong += reach(driver, css, where)
        wrong += sideways(driver, width, where)
        driver.execute_script("window.scrollTo(0, 0)")
        screenshot(driver, f"reach-{page.name}-{width}x{height}")
    assert wrong == []


def test_the_login_page_fits_every_screen(server: tuple[LiveServer, str], driver: Any) -> None:
    live, _ = server
    driver.delete_all_cookies()
    wrong: list[str] = []
    try:
        for width, height in SIZES:
            where = f"/login at {width}x{height}"
            emulate_screen(driver, width, height)
            driver.get(live.base + "/login")
            wait_for(driver, "#login-submit")
            if html_lang(driver) != "en":
                wrong.append(f"{where}: <html lang={html_lang(driver)!r}>")
            wrong += sideways(driver, width, where)
            for css in ("#username", "#password", "#login-submit"):
                wrong += reach(driver, css, where)
            screenshot(driver, f"reach-login-{width}x{height}")
    finally:
        browser_login(driver, live.base, USERS["admin"])
    assert wrong == []
