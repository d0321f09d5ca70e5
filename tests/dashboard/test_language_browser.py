"""The control room in its interface language (SP_UI_LANG), in headless Chromium: with "ml" the
wall, the feeder page and the alerts page read in Malayalam (the navigation, the headings, the
wall's lists, their "+N more" and its stale-data banner, which the browser fills in) and
`<html lang="ml">`; with "en" the same in English. Screenshots at 1920x1080 are kept.

One live server per language on a store seeded with the dashboard's fleet, more open alerts than
a wall lists, and summaries ten minutes old (the wall's data is stale).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import pytest
from selenium.webdriver.support.ui import WebDriverWait

from components.strings import text
from store.db import make_engine
from store.migrate import upgrade
from tests.dashboard.conftest import (
    USERS,
    LiveServer,
    _chromium_driver,
    browser_login,
    free_port,
    screenshot,
    seed_dashboard,
    texts,
    wait_for,
)
from tests.store.seed import add_alert, add_feeder_state

pytestmark = [pytest.mark.browser, pytest.mark.slow]

FEEDER: Final = "KL-TVM-0001"
EXTRA_ALERTS: Final = 30
"""Open alerts beside the seeded ones: more than a wall sends (20), so it says "+N more"."""
STALE_MIN: Final = 10
"""How old the feeders' latest summaries are [min]."""
MALAYALAM: re.Pattern[str] = re.compile("[\u0d00-\u0d7f]")


@pytest.fixture(scope="module", params=["en", "ml"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[LiveServer, str]]:
    """Return a live control room whose interface language is the parameter, and the language."""
    lang = str(request.param)
    folder = tmp_path_factory.mktemp(f"lang-{lang}")
    url = f"sqlite:///{folder}/store.db"
    engine = make_engine(url)
    upgrade(engine)
    seed_dashboard(engine)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        for feeder_id in (FEEDER, "KL-EKM-0002"):
            add_feeder_state(conn, feeder_id, now - timedelta(minutes=STALE_MIN), i_n=40.0)
        for k in range(EXTRA_ALERTS):
            add_alert(conn, f"A-MORE-{k}", "KL-EKM-0002", now - timedelta(minutes=k),
                      severity="warning", message="house node offline")  # fmt: skip
    engine.dispose()
    live = LiveServer(url, free_port(), folder / "server.log", env={"SP_UI_LANG": lang})
    yield live, lang
    live.stop()


@pytest.fixture(scope="module")
def driver(server: tuple[LiveServer, str]) -> Iterator[Any]:
    """One signed-in admin's Chromium on a 1920x1080 screen, for each language."""
    chromium = _chromium_driver()
    chromium.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": 1920, "height": 1080, "deviceScaleFactor": 1, "mobile": False},
    )
    browser_login(chromium, server[0].base, USERS["admin"])
    yield chromium
    chromium.quit()


def html_lang(driver: Any) -> str:
    return str(driver.execute_script("return document.documentElement.lang"))


def shows(driver: Any, css: str, wanted: str) -> None:
    """Wait until one of the elements matching `css` shows `wanted`."""
    WebDriverWait(driver, 20).until(lambda d: any(wanted in t for t in texts(d, css)))


def in_language(shown: str, lang: str) -> bool:
    """Return whether a text is written in `lang` (Malayalam script, or none of it)."""
    return bool(MALAYALAM.search(shown)) == (lang == "ml")


def test_the_wall_reads_in_the_interface_language(
    server: tuple[LiveServer, str], driver: Any
) -> None:
    live, lang = server
    driver.get(live.base + "/wall")
    assert html_lang(driver) == lang
    wait_for(driver, "#sp-wall-worst h2", text("wall_attention", lang))
    wait_for(driver, "#sp-wall-alerts h2", text("wall_alerts", lang))
    wait_for(driver, "#sp-wall-district", text("wall_all_kerala", lang))
    assert text("wall_brand", lang) in texts(driver, ".sp-wall-brand")
    # The browser fills the banner's template: the data is ten minutes old.
    stale = text("wall_stale", lang, minutes=STALE_MIN, at="")
    wait_for(driver, "#sp-wall-stale", stale.split("(")[0].strip(), timeout=30)
    banner = texts(driver, "#sp-wall-stale")[0]
    assert in_language(banner, lang), banner
    assert "{" not in banner
    assert re.search(r"\d\d:\d\d\b.* IST", banner), banner
    # The alerts list says how many more there are than fit, in the template's words.
    WebDriverWait(driver, 20).until(lambda d: texts(d, "#sp-wall-alerts .sp-more") != [""])
    more = texts(driver, "#sp-wall-alerts .sp-more")[0]
    hidden = int(re.findall(r"\d+", more)[0])
    assert more == text("wall_more", lang, count=hidden)
    badges = texts(driver, "#sp-wall-alerts .sp-sev")
    assert badges
    assert all(in_language(b, lang) for b in badges), badges
    driver.execute_script("document.activeElement && document.activeElement.blur()")
    screenshot(driver, f"language-wall-{lang}-1920x1080")


def test_the_feeder_page_reads_in_the_interface_language(
    server: tuple[LiveServer, str], driver: Any
) -> None:
    live, lang = server
    driver.get(f"{live.base}/feeder/{FEEDER}")
    wait_for(driver, "#sp-feeder-mode-toggle")
    assert html_lang(driver) == lang
    nav = texts(driver, "#sp-header-nav a")
    assert text("nav_map", lang) in nav
    assert text("nav_alerts", lang) in nav
    headings = texts(driver, "h2")
    for key in ("feeder_locked_out", "feeder_manual_move", "feeder_houses", "feeder_history"):
        assert text(key, lang) in headings, (key, headings)
    # Filled in by the page's callbacks: the live cards and the range line.
    shows(driver, ".sp-card-label", text("feeder_card_neutral", lang))
    shows(driver, ".sp-phase-table th", text("feeder_measure_current", lang))
    shows(driver, ".sp-range-row .sp-hint", "IST")
    shown = texts(driver, ".sp-range-row .sp-hint")[0]
    assert in_language(shown, lang), shown
    screenshot(driver, f"language-feeder-{lang}-1920x1080")


def test_the_alerts_page_reads_in_the_interface_language(
    server: tuple[LiveServer, str], driver: Any
) -> None:
    live, lang = server
    driver.get(live.base + "/alerts")
    wait_for(driver, "h1", text("alerts_title", lang))
    assert html_lang(driver) == lang
    wait_for(driver, "#sp-alerts-ack-all", text("alerts_ack_all", lang))
    assert text("nav_wall", lang) in texts(driver, "#sp-header-nav a")
    assert driver.title == text("page_title", lang, page=text("alerts_title", lang))
