"""The feeder page's charts and the wall on a phone, a portrait tablet, 1080p and a 4K wall, in
headless Chromium: chart text grows with the page's type on a 4K screen, chart titles stay
inside their charts on a phone, and a portrait tablet's wall lists show several rows each;
screenshots of both pages at each size are kept.

One live server on a seeded store (a fleet with feeders that need attention, a feeder with a
day of readings and balancing runs, alerts with long messages) and one signed-in admin's
Chromium for the whole module.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
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

PHONE: Final = (390, 844)
TABLET_PORTRAIT: Final = (768, 1024)
FULL_HD: Final = (1920, 1080)
WALL_4K: Final = (3840, 2160)
SIZES: Final = (PHONE, TABLET_PORTRAIT, FULL_HD, WALL_4K)
"""A phone, a portrait tablet, a 1080p screen and a 4K wall [CSS px]."""
CHARTS: Final = ("sp-feeder-currents-chart", "sp-feeder-power-chart", "sp-feeder-run-chart")
WALL_LISTS: Final = ("sp-wall-worst", "sp-wall-alerts")
MIN_WALL_ROWS: Final = 4
"""Rows each wall list shows on a portrait tablet, when it has that many."""
TICK_TO_BODY: Final = 0.7
"""Smallest chart tick, legend or annotation text against the page's body text."""
TITLE_TO_BODY: Final = 1.0
"""Smallest chart title against the page's body text."""
ALERT_MESSAGE: Final = (
    "Phase R of KL-TVM-0001 carried 212 A for 15 min, above its rating of 145 A; the controller "
    "moved three solar houses to phase B."
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, str]]:
    """Return the live control room and the id of its feeder with readings and runs."""
    folder = tmp_path_factory.mktemp("screens")
    url = f"sqlite:///{folder}/store.db"
    engine = make_engine(url)
    upgrade(engine)
    now = datetime.now(UTC)
    feeder_id = seed_page_fleet(engine, now)
    with engine.begin() as conn:
        for k in range(8):
            add_alert(conn, f"A-SCREEN-{k}", "KL-TVM-0001", now - timedelta(minutes=k),
                      severity=("critical", "warning")[k % 2], kind="phase_overload",
                      message=ALERT_MESSAGE)  # fmt: skip
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


CHART_TEXT: Final = """
var out = {body: parseFloat(getComputedStyle(document.body).fontSize), charts: {}};
arguments[0].forEach(function (id) {
  var graph = document.getElementById(id);
  var svg = graph && graph.querySelector('.main-svg');
  if (!svg) { return; }
  var box = svg.getBoundingClientRect();
  function texts(css) {
    return Array.from(graph.querySelectorAll(css)).filter(function (t) {
      return t.textContent.trim() && t.getClientRects().length;
    }).map(function (t) {
      var r = t.getBoundingClientRect();
      return {text: t.textContent, size: parseFloat(getComputedStyle(t).fontSize),
              left: r.left, right: r.right, top: r.top, bottom: r.bottom};
    });
  }
  out.charts[id] = {
    box: {left: box.left, right: box.right, top: box.top, bottom: box.bottom},
    title: texts('.gtitle'),
    ticks: texts('.xtick text, .ytick text'),
    legend: texts('.legendtext'),
    axis: texts('.xtitle, .ytitle'),
  };
});
return out;
"""
"""The page's body font size and, for each chart, its box and its texts' sizes and boxes."""


DRAWN: Final = """
return arguments[0].every(function (css) { return !!document.querySelector(css); });
"""
"""Whether every selector given matches an element."""


def open_feeder(driver: Any, base: str, feeder_id: str, size: tuple[int, int]) -> dict[str, Any]:
    """Open the feeder page at `size`, wait for its three charts, and measure their text."""
    emulate_screen(driver, *size)
    driver.get(f"{base}/feeder/{feeder_id}")
    drawn = [f"#{chart} .gtitle" for chart in CHARTS]
    drawn += [f"#{CHARTS[0]} .xtick text", "#sp-feeder-run-chart .bars path"]
    WebDriverWait(driver, 20).until(lambda d: d.execute_script(DRAWN, drawn))
    time.sleep(0.5)  # plotly's last relayout after the screen's scale arrived
    measured: dict[str, Any] = driver.execute_script(CHART_TEXT, list(CHARTS))
    return measured


def outside(text: dict[str, Any], box: dict[str, float]) -> bool:
    """Say whether a text's box sticks out of its chart's box."""
    return bool(
        text["left"] < box["left"] - 0.5
        or text["right"] > box["right"] + 0.5
        or text["top"] < box["top"] - 0.5
        or text["bottom"] > box["bottom"] + 0.5
    )


def test_chart_text_grows_with_the_page_on_a_4k_wall(
    server: tuple[LiveServer, str], driver: Any
) -> None:
    live, feeder_id = server
    measured = {
        size: open_feeder(driver, live.base, feeder_id, size) for size in (FULL_HD, WALL_4K)
    }
    hd, wall = measured[FULL_HD], measured[WALL_4K]
    assert wall["body"] >= 2 * hd["body"]  # the page's own type doubled (assets/shell.css)
    wrong: list[tuple[str, Any]] = []
    for chart, found in wall["charts"].items():
        small = [
            (t["text"], t["size"])
            for t in [*found["ticks"], *found["legend"], *found["axis"]]
            if t["size"] < TICK_TO_BODY * wall["body"]
        ]
        small += [
            (t["text"], t["size"])
            for t in found["title"]
            if t["size"] < TITLE_TO_BODY * wall["body"]
        ]
        if small:
            wrong.append((chart, small))
        if not found["ticks"] or not found["title"]:
            wrong.append((chart, "no ticks or title"))
    assert wrong == [], wrong
    # The same proportions as at 1080p: the charts scale with the page, nothing else.
    hd_tick = hd["charts"][CHARTS[0]]["ticks"][0]["size"] / hd["body"]
    wall_tick = wall["charts"][CHARTS[0]]["ticks"][0]["size"] / wall["body"]
    assert wall_tick == pytest.approx(hd_tick, rel=0.05)


@pytest.mark.parametrize("size", [PHONE, TABLET_PORTRAIT], ids=lambda s: f"{s[0]}x{s[1]}")
def test_chart_titles_and_legends_stay_inside_their_charts(
    server: tuple[LiveServer, str], driver: Any, size: tuple[int, int]
) -> None:
    live, feeder_id = server
    measured = open_feeder(driver, live.base, feeder_id, size)
    wrong = []
    for chart, found in measured["charts"].items():
        for kind in ("title", "legend"):
            wrong += [
                (chart, kind, t, found["box"]) for t in found[kind] if outside(t, found["box"])
            ]
        titles = found["title"]
        legend = found["legend"]
        # The title and the legend do not overlap each other.
        wrong += [
            (chart, "overlap", t["text"], e["text"])
            for t in titles
            for e in legend
            if t["left"] < e["right"] and e["left"] < t["right"]
            and t["top"] < e["bottom"] and e["top"] < t["bottom"]
        ]  # fmt: skip
    run_title = measured["charts"]["sp-feeder-run-chart"]["title"]
    assert run_title
    assert "Balancing run" in run_title[0]["text"]
    assert wrong == [], wrong


ROWS: Final = """
var box = document.getElementById(arguments[0]);
var limit = box.getBoundingClientRect().bottom;
var shown = Array.from(box.querySelectorAll('.sp-fit-item')).filter(function (e) {
  var r = e.getBoundingClientRect();
  return e.getClientRects().length > 0 && r.bottom <= limit + 0.5;
}).length;
var count = box.querySelector('h2 .sp-count');
return {shown: shown, total: count ? parseInt(count.textContent, 10) : 0};
"""
"""How many rows of a wall list are on screen, and how many the list has in all."""


def open_wall(driver: Any, base: str, size: tuple[int, int]) -> None:
    emulate_screen(driver, *size)
    driver.get(base + "/wall")
    wait_for(driver, ".sp-wall-table .sp-fit-item", timeout=15)
    wait_for(driver, ".sp-wall-alerts .sp-fit-item")
    time.sleep(1.0)  # the map's fit and assets/wall.js's fit after layout


def test_a_portrait_tablet_wall_shows_several_rows_of_each_list(
    server: tuple[LiveServer, str], driver: Any
) -> None:
    live, _ = server
    open_wall(driver, live.base, TABLET_PORTRAIT)
    screenshot(driver, "screens-wall-portrait-768x1024")
    counts = {name: driver.execute_script(ROWS, name) for name in WALL_LISTS}
    assert all(c["total"] >= MIN_WALL_ROWS for c in counts.values()), counts  # the seed's
    assert all(c["shown"] >= MIN_WALL_ROWS for c in counts.values()), counts
    map_box = driver.execute_script(
        "var r = document.getElementById('sp-wall-map').getBoundingClientRect();"
        "return [r.width, r.height];"
    )
    assert map_box[0] >= 200, map_box  # the map keeps a usable size: Kerala is tall
    assert map_box[1] >= 400, map_box


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_screenshots_of_the_feeder_page_and_the_wall(
    server: tuple[LiveServer, str], driver: Any, size: tuple[int, int]
) -> None:
    live, feeder_id = server
    width, height = size
    open_feeder(driver, live.base, feeder_id, size)
    screenshot(driver, f"screens-feeder-{width}x{height}")
    driver.execute_script(
        "document.getElementById('sp-feeder-currents-chart').scrollIntoView({block: 'start'})"
    )
    screenshot(driver, f"screens-feeder-charts-{width}x{height}")
    driver.execute_script(
        "document.getElementById('sp-feeder-run-chart').scrollIntoView({block: 'center'})"
    )
    screenshot(driver, f"screens-feeder-run-{width}x{height}")
    open_wall(driver, live.base, size)
    screenshot(driver, f"screens-wall-{width}x{height}")
