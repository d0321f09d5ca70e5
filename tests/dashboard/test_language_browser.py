"""The control room in its interface language (SP_UI_LANG), in headless Chromium: with "ml" the
wall, the map, the feeder page and the alerts page read in Malayalam (the navigation, the
headings, the wall's lists, their "+N more", its stale-data banner and clock, which the browser
fills in; the map's legend, tooltips and what its filters found; the feeder page's charts and a
refused move) and `<html lang="ml">`; with "en" the same in English. Screenshots at 1920x1080
are kept.

One live server per language on a store seeded with the dashboard's fleet, more open alerts than
a wall lists, and summaries ten minutes old (the wall's data is stale).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from components import ids
from components.strings import text
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
    seed_dashboard,
    texts,
    wait_for,
)
from tests.store.seed import (
    add_alert,
    add_feeder_readings,
    add_feeder_state,
    add_house,
    add_run,
    summary,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

FEEDER: Final = "KL-TVM-0001"
EXTRA_ALERTS: Final = 30
"""Open alerts beside the seeded ones: more than a wall sends (20), so it says "+N more"."""
STALE_MIN: Final = 10
"""How old the feeders' latest summaries are [min]."""
MALAYALAM: re.Pattern[str] = re.compile("[\u0d00-\u0d7f]")
HOUSE: Final = f"{FEEDER}-H001"
"""A house on phase R of FEEDER, with a relay."""
RUN_MOVES: Final = (
    {"house": HOUSE, "from": "R", "to": "Y", "result": "applied"},
    {"house": f"{FEEDER}-H002", "from": "R", "to": "B", "result": "rolled_back"},
)


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
        for k in range(2):
            add_house(conn, f"{FEEDER}-H00{k + 1}", FEEDER, "R")
        add_feeder_readings(conn, (
            summary(now - timedelta(minutes=STALE_MIN + k), FEEDER, i_n=40.0) for k in range(30)
        ))  # fmt: skip
        add_run(conn, "run-lang", FEEDER, now - timedelta(minutes=STALE_MIN - 5),
                result="partial", moves=RUN_MOVES)  # fmt: skip
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
    emulate_screen(chromium, 1920, 1080)
    browser_login(chromium, server[0].base, USERS["admin"])
    yield chromium
    chromium.quit()


def html_lang(driver: Any) -> str:
    return str(driver.execute_script("return document.documentElement.lang"))


def shows(driver: Any, css: str, wanted: str) -> None:
    """Wait until one of the elements matching `css` shows `wanted`."""
    WebDriverWait(driver, 20).until(lambda d: any(wanted in t for t in texts(d, css)))


def contents(driver: Any, css: str) -> list[str]:
    """Return the text content of every element matching `css` (SVG text has no innerText)."""
    script = "return Array.from(document.querySelectorAll(arguments[0]), e => e.textContent)"
    return list(driver.execute_script(script, css))


def draws(driver: Any, css: str, wanted: str) -> None:
    """Wait until one of the chart's SVG texts matching `css` holds `wanted`."""
    WebDriverWait(driver, 20).until(lambda d: any(wanted in t for t in contents(d, css)))


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
    # The clock: "05:39 pm IST" in English, "17:39 IST" (24 hours) in Malayalam.
    clock = {"en": r"\d\d:\d\d [ap]m IST", "ml": r"\d\d:\d\d IST"}[lang]
    WebDriverWait(driver, 20).until(lambda d: texts(d, "#sp-wall-clock") != [""])
    shown_clock = texts(driver, "#sp-wall-clock")[0]
    assert re.fullmatch(clock, shown_clock), shown_clock
    legend = texts(driver, "#sp-wall-legend")[0]
    assert in_language(legend, lang), legend
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
    months = {text(f"month_{m}", lang) for m in range(1, 13)}
    assert any(f" {month} " in shown for month in months), shown  # "07 ഡിസം 15:46 – …"
    # The charts: titles, legends and the run's result words.
    draws(driver, "#sp-feeder-currents-chart .gtitle", text("chart_currents_title", lang))
    draws(driver, "#sp-feeder-currents-chart .legendtext", text("chart_neutral", lang))
    draws(driver, "#sp-feeder-currents-chart .legendtext", text("chart_runs", lang))
    draws(driver, "#sp-feeder-power-chart .gtitle", text("chart_power_title", lang))
    draws(driver, "#sp-feeder-run-chart .gtitle", text("run_result_partial", lang))
    run_title = " ".join(contents(driver, "#sp-feeder-run-chart .gtitle"))
    assert in_language(run_title, lang), run_title
    draws(driver, "#sp-feeder-run-chart .legendtext", text("chart_after_partial", lang)[:6])
    outcomes = texts(driver, "#sp-feeder-run-detail .sp-move-outcome")
    assert outcomes == [text("move_result_applied", lang), text("move_result_rolled_back", lang)]
    # A move the store refuses is said in the language, naming its field.
    driver.find_element(By.ID, "sp-feeder-move-house").click()
    option = text("feeder_move_option", lang, house=HOUSE, phase="R")
    WebDriverWait(driver, 10).until(
        lambda d: next(
            (o for o in d.find_elements(By.CSS_SELECTOR, "[role='option']") if o.text == option),
            False,
        )
    ).click()
    driver.find_element(By.CSS_SELECTOR, "#sp-feeder-move-phase input[value='R']").click()
    driver.find_element(By.ID, "sp-feeder-move-dry-run").click()
    refused = text("error_already_on", lang, house=HOUSE, phase="R")
    wait_for(driver, "#sp-feeder-move-preview .sp-error-to_phase", refused)
    error = texts(driver, "#sp-feeder-move-preview .sp-error-to_phase")[0]
    assert error == f"{text('feeder_move_to_phase', lang)}: {refused}"
    driver.execute_script(
        "document.getElementById('sp-feeder-run-chart').scrollIntoView({block: 'center'})"
    )
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


def test_the_map_reads_in_the_interface_language(
    server: tuple[LiveServer, str], driver: Any
) -> None:
    live, lang = server
    driver.get(live.base + "/")
    assert html_lang(driver) == lang
    wait_for(driver, ".sp-matches-count", text("map_shown_all", lang, total=2))
    meanings = texts(driver, ".sp-legend-meaning")
    assert meanings
    assert all(in_language(m, lang) for m in meanings), meanings
    rule = texts(driver, ".sp-legend-rule")[0]
    assert in_language(rule, lang), rule
    assert "20 %" in rule
    assert text("map_credit", lang) in texts(driver, ".sp-map-side .sp-hint")
    # A search narrows the map to one feeder and says so; the map is fitted to it.
    search = driver.find_element(By.ID, ids.MAP_SEARCH)
    search.send_keys("zzz-none")
    wait_for(driver, ".sp-matches-none", text("map_no_match", lang, query="zzz-none").strip())
    search.send_keys(Keys.CONTROL, "a")
    search.send_keys(FEEDER)
    wait_for(driver, ".sp-matches-count", text("map_shown_some", lang, shown=1, total=2))
    # Its tooltip: the map is fitted onto the feeder, whose marker is drawn about its middle.
    leaflet = driver.find_element(By.ID, ids.MAP)
    around = itertools.cycle(((0, 0), (7, 0), (-7, 0), (0, 7), (0, -7), (7, 7), (-7, -7)))

    def tooltip(d: Any) -> str:
        ActionChains(d).move_to_element_with_offset(leaflet, *next(around)).perform()
        return next(iter(texts(d, ".leaflet-tooltip")), "")

    tip = WebDriverWait(driver, 20).until(tooltip)
    neutral = text("map_tip_neutral", lang).split("{")[0].strip()
    assert FEEDER in tip
    assert neutral in tip, tip
    assert in_language(tip.replace(FEEDER, ""), lang), tip
    screenshot(driver, f"language-map-{lang}-1920x1080")


ADMIN_PAGES: Final = {
    "/reports": (
        "reports_title",
        ("reports_export_title", "reports_made", "reports_schedules"),
        ("feeder_export_pdf", "reports_add_schedule"),
    ),
    "/notifications": (
        "notify_title",
        ("notify_deliveries", "notify_routes"),
        ("notify_add_route",),
    ),
    "/users": (
        "users_title",
        ("users_add_heading", "users_change_heading"),
        ("users_add", "users_set_role", "users_disable", "users_enable", "users_set_contact"),
    ),
}
"""Each admin page's heading, section headings and buttons, by string key."""


@pytest.mark.parametrize("path", list(ADMIN_PAGES))
def test_the_reports_notifications_and_users_pages_read_in_the_language(
    server: tuple[LiveServer, str], driver: Any, path: str
) -> None:
    live, lang = server
    title, sections, buttons = ADMIN_PAGES[path]
    driver.get(live.base + path)
    wait_for(driver, "h1", text(title, lang))
    assert html_lang(driver) == lang
    assert driver.title == text("page_title", lang, page=text(title, lang))
    headings = texts(driver, "h2")
    for key in sections:
        assert text(key, lang) in headings, (key, headings)
    shown = texts(driver, "button")
    for key in buttons:
        assert text(key, lang) in shown, (key, shown)
    # The tables the callbacks draw: their headings in the language too.
    wait_for(driver, ".sp-table th, .sp-empty")
    for heading in texts(driver, ".sp-table th"):
        assert heading in ("", "#") or in_language(heading, lang), heading
    for label in texts(driver, ".sp-field > span"):
        assert in_language(label, lang), label
    screenshot(driver, f"language{path.replace('/', '-')}-{lang}-1920x1080")
