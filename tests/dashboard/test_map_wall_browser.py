"""The map's search and filters, its markers above the districts, and the wall from 5 metres, in
headless Chromium on one seeded fleet (one live server for the module); screenshots kept.

Seeded beside a fleet in every state: a lightly loaded feeder with a large unbalance in per cent
(balanced by the rule of grid.feeder_states), the only feeder of Wayanad (unbalanced), a feeder
whose name is markup, and alerts of every severity where the newest is the least severe.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import select, update

from bench.grid_fleet import plans, seed_fleet
from components.feeder_map import district_bounds
from components.fleet_snapshot import MAX_AGE_S
from grid.feeder_states import NEEDS_ATTENTION
from store.alerting import AlertFilter, AlertPage, alert_page
from store.db import make_engine
from store.migrate import upgrade
from store.schema import feeder_state, feeders
from tests.dashboard.conftest import (
    SECRET,
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
from tests.store.seed import add_alert, add_feeder, add_feeder_state

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LIGHT = "KL-XLT-0001"
"""58 % unbalance at 22 % loading: 27.8 A in the neutral of a 100 kVA transformer, balanced."""
WAYANAD = "KL-WYD-0001"
"""The only feeder of Wayanad, unbalanced: the wall must fit the district, not this feeder."""
MARKUP = "KL-XSS-0001"
MARKUP_NAME = '<img src=x onerror="window.__spXss=1">Kochi'
WALL_MIN_PX = 28.0


@dataclass
class Fleet:
    server: LiveServer
    states: dict[str, str]
    """The state the seed gave each feeder of the fleet."""
    dated_at: datetime
    """The moment the stored summary and contact times are dated from."""
    frozen: threading.Event = field(default_factory=threading.Event)
    """Set while a test holds the stored times where it put them (a stale wall)."""
    lock: threading.Lock = field(default_factory=threading.Lock)


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fleet]:
    folder = tmp_path_factory.mktemp("mapwall")
    url = f"sqlite:///{folder}/store.db"
    engine = make_engine(url)
    upgrade(engine)
    seed_dashboard(engine)
    now = datetime.now(UTC)
    fresh = now - timedelta(seconds=5)
    taken = {"KL-TVM-0001", "KL-EKM-0002"}
    chosen = [p for p in plans(150, seed=9) if p.feeder_id not in taken and p.district != "Wayanad"]
    with engine.begin() as conn:
        # The dashboard seed's two feeders were last heard when the test session began: heard now.
        conn.execute(update(feeders).where(feeders.c.feeder_id.in_(taken)).values(last_seen=fresh))
        states = seed_fleet(conn, chosen, now)
        add_feeder(conn, LIGHT, name="Light load", district="Kollam", lat=8.89, lon=76.61,
                   last_seen=fresh)  # fmt: skip
        add_feeder_state(conn, LIGHT, fresh, i_r=50.0, i_y=25.0, i_b=20.0, i_n=27.8,
                         unbalance_pct=57.9)  # fmt: skip
        add_feeder(conn, WAYANAD, name="Kalpetta", district="Wayanad", lat=11.61, lon=76.08,
                   last_seen=fresh)  # fmt: skip
        add_feeder_state(conn, WAYANAD, fresh, i_r=100.0, i_y=60.0, i_b=60.0, i_n=40.0,
                         unbalance_pct=36.4)  # fmt: skip
        add_feeder(conn, MARKUP, name=MARKUP_NAME, district="Ernakulam", lat=10.0, lon=76.33,
                   last_seen=fresh)  # fmt: skip
        add_feeder_state(conn, MARKUP, fresh)
        # The newest alert is the least severe: a wall must still list the critical one first.
        for k in range(3):
            add_alert(conn, f"A-NEW-{k}", LIGHT, now - timedelta(minutes=k), severity="info",
                      message="house node offline")  # fmt: skip
        add_alert(conn, "A-OLD-CRIT", WAYANAD, now - timedelta(hours=5), severity="critical",
                  message="Phase R carries 160 A, above its rating of 145 A.")  # fmt: skip
    engine.dispose()
    server = LiveServer(url, free_port(), folder / "server.log", env={"SP_SECRET_KEY": SECRET})
    yield Fleet(server, states, now)
    server.stop()


def redate(fleet: Fleet) -> None:
    """Move every stored summary and contact time on by the time since they were dated, as a
    live fleet's summaries keep arriving: each feeder keeps its seeded state (a feeder unheard
    for a minute is offline) however long a test or the tests before it take."""
    with fleet.lock:
        if fleet.frozen.is_set():
            return
        now = datetime.now(UTC)
        shift = now - fleet.dated_at
        engine = fleet.server.engine()
        try:
            with engine.begin() as conn:
                for table, column in ((feeder_state, "ts"), (feeders, "last_seen")):
                    key = table.c.feeder_id
                    for feeder_id, at in conn.execute(select(key, table.c[column])).all():
                        if at is not None:
                            conn.execute(
                                update(table).where(key == feeder_id).values({column: at + shift})
                            )
        finally:
            engine.dispose()
        fleet.dated_at = now


@pytest.fixture(autouse=True)
def as_seeded(fleet: Fleet) -> Iterator[None]:
    """Keep the fleet as seeded for the whole test: dated now, and again every 10 s."""
    fleet.frozen.clear()
    redate(fleet)
    done = threading.Event()

    def beat() -> None:
        while not done.wait(10.0):
            redate(fleet)

    heartbeat = threading.Thread(target=beat, name="fleet-heartbeat", daemon=True)
    heartbeat.start()
    yield
    done.set()
    heartbeat.join()


@pytest.fixture(scope="module")
def driver(fleet: Fleet) -> Iterator[Any]:
    """One signed-in viewer's Chromium for the whole module."""
    chromium = _chromium_driver()
    browser_login(chromium, fleet.server.base, USERS["viewer"])
    yield chromium
    chromium.quit()


def props(driver: Any, component_id: str) -> dict[str, Any]:
    """Return a Dash component's props as the renderer holds them now."""
    layout = driver.execute_script(
        "return window.dash_component_api.getLayout(arguments[0]);", component_id
    )
    assert layout is not None, component_id
    return dict(layout["props"])


def layer_ids(driver: Any, layer_id: str) -> list[str]:
    """Return the feeder ids in a map layer's GeoJSON."""
    data = props(driver, layer_id).get("data") or {"features": []}
    return [f["properties"]["id"] for f in data["features"]]


def open_map(driver: Any, fleet: Fleet) -> None:
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    driver.set_window_size(1440, 900)
    driver.get(fleet.server.base + "/")
    wait_for(driver, ".sp-cluster", timeout=15)
    wait_for(driver, "#sp-map-matches", "feeders shown")


def search(driver: Any, text: str) -> None:
    box = driver.find_element(By.ID, "sp-map-search")
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(Keys.DELETE)
    if text:
        box.send_keys(text)


def all_feeders(fleet: Fleet) -> list[tuple[str, str, str]]:
    """Return every provisioned feeder's (id, name, district)."""
    engine = fleet.server.engine()
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(feeders.c.feeder_id, feeders.c.name, feeders.c.district))
            return [(str(i), str(n), str(d)) for i, n, d in rows]
    finally:
        engine.dispose()


# --- the map --------------------------------------------------------------------------------


def test_search_finds_a_feeder_by_id_and_by_name(fleet: Fleet, driver: Any) -> None:
    open_map(driver, fleet)
    every = all_feeders(fleet)
    assert sorted(layer_ids(driver, "sp-map-feeders")) == sorted(i for i, _, _ in every)

    target, name, _ = next(f for f in every if f[0] == min(fleet.states))
    search(driver, target.lower())
    wait_for(driver, "#sp-map-matches", f"1 of {len(every)} feeders shown")
    assert layer_ids(driver, "sp-map-feeders") == [target]
    link = wait_for(driver, ".sp-matches-list a", target)
    assert link.get_attribute("href").endswith(f"/feeder/{target}")
    screenshot(driver, "map-search-id")

    word = name.split()[0]
    expected = sorted(
        i for i, n, _ in every if word.lower() in n.lower() or word.lower() in i.lower()
    )
    search(driver, word)
    wait_for(driver, "#sp-map-matches", f"{len(expected)} of {len(every)} feeders shown")
    assert sorted(layer_ids(driver, "sp-map-feeders")) == expected

    search(driver, "no such feeder zz")
    wait_for(driver, "#sp-map-matches", "no feeder matches")
    assert layer_ids(driver, "sp-map-feeders") == []
    search(driver, "")
    wait_for(driver, "#sp-map-matches", f"All {len(every)} feeders shown")


def choose_district(driver: Any, district: str) -> None:
    """Open the district dropdown, type the name into its search and pick the option."""
    driver.find_element(By.ID, "sp-map-district-filter").click()
    wait_for(driver, ".dash-dropdown-search").send_keys(district)
    option = WebDriverWait(driver, 10, ignored_exceptions=[StaleElementReferenceException]).until(
        lambda d: next(
            (o for o in d.find_elements(By.CSS_SELECTOR, "[role='option']") if o.text == district),
            False,
        )
    )
    option.click()


def test_filters_by_district_and_state_and_fits_the_district(fleet: Fleet, driver: Any) -> None:
    open_map(driver, fleet)
    every = all_feeders(fleet)
    choose_district(driver, "Wayanad")
    wait_for(driver, "#sp-map-matches", f"1 of {len(every)} feeders shown")
    assert layer_ids(driver, "sp-map-feeders") == [WAYANAD]
    (south, west), (north, east) = district_bounds()["Wayanad"]
    WebDriverWait(driver, 20).until(lambda d: _fits(props(d, "sp-map-map"), south, north))
    bounds = props(driver, "sp-map-map")["bounds"]
    assert bounds[0][0] <= south
    assert bounds[1][0] >= north
    assert bounds[1][0] - bounds[0][0] < 4 * (north - south)  # and not all Kerala
    assert bounds[0][1] <= west
    assert bounds[1][1] >= east
    screenshot(driver, "map-district-wayanad")

    choose_district(driver, "Ernakulam")
    in_district = {i for i, _, d in every if d == "Ernakulam"}
    wait_for(driver, "#sp-map-matches", f"{len(in_district)} of {len(every)} feeders shown")
    states = {**fleet.states, MARKUP: "balanced", "KL-EKM-0002": "balanced"}
    expected = sorted(i for i in in_district if states.get(i) != "balanced")
    untick_state(driver, "balanced", f"{len(expected)} of {len(every)} feeders shown")
    assert sorted(layer_ids(driver, "sp-map-feeders")) == expected
    screenshot(driver, "map-filter-state")
    driver.find_element(By.CSS_SELECTOR, STATE_BOX.format("balanced")).click()


STATE_BOX = "#sp-map-state-filter input[value='{}']"


def untick_state(driver: Any, state: str, shown: str) -> None:
    """Untick a state in the map's filter until the map says `shown`: a click that lands while
    the district's update is still redrawing the filter is lost, so look and click again."""
    for _ in range(3):
        box = driver.find_element(By.CSS_SELECTOR, STATE_BOX.format(state))
        if box.is_selected():
            box.click()
        try:
            wait_for(driver, "#sp-map-matches", shown, timeout=10)
            return
        except TimeoutException:
            continue
    box = driver.find_element(By.CSS_SELECTOR, STATE_BOX.format(state))
    matches = driver.find_element(By.ID, "sp-map-matches").text
    drawn = sorted(layer_ids(driver, "sp-map-feeders"))
    raise AssertionError(
        f"expected {shown!r}; the map says {matches!r} and draws {drawn}, "
        f"the {state} box {'ticked' if box.is_selected() else 'unticked'}"
    )


def _shows(map_props: dict[str, Any], south: float, north: float) -> bool:
    """Return whether a map's reported bounds take in the latitudes south..north [°]."""
    bounds = map_props.get("bounds")
    if not bounds:
        return False
    return bool(bounds[0][0] <= south and bounds[1][0] >= north)


def _fits(map_props: dict[str, Any], south: float, north: float) -> bool:
    """Return whether a map shows the latitudes south..north and not much more (not all
    Kerala, which it shows before it has moved)."""
    bounds = map_props.get("bounds")
    return _shows(map_props, south, north) and bounds[1][0] - bounds[0][0] < 4 * (north - south)


@pytest.mark.parametrize("size", [(1920, 1080), (3840, 2160)], ids=["1080p", "4k"])
def test_the_map_opens_on_all_kerala_at_any_screen_size(
    fleet: Fleet, driver: Any, size: tuple[int, int]
) -> None:
    width, height = size
    emulate_screen(driver, width, height)
    try:
        driver.get(fleet.server.base + "/")
        wait_for(driver, ".sp-cluster", timeout=15)
        wait_for(driver, "#sp-map-matches", "feeders shown")
        try:
            WebDriverWait(driver, 15).until(lambda d: d.execute_script(MARKERS_SPAN) > 0.5)
        except TimeoutException:
            raise AssertionError(
                f"at {width}×{height} the feeders take up "
                f"{driver.execute_script(MARKERS_SPAN):.0%} of the map's height, not Kerala "
                "filling it"
            ) from None
        screenshot(driver, f"map-kerala-{width}x{height}")
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


MARKERS_SPAN = """
var map = document.getElementById('sp-map-map').getBoundingClientRect();
var top = Infinity, bottom = -Infinity;
document.querySelectorAll('#sp-map-map .sp-cluster').forEach(function (el) {
  var r = el.getBoundingClientRect();
  top = Math.min(top, r.top); bottom = Math.max(bottom, r.bottom);
});
return bottom > top ? (Math.min(bottom, map.bottom) - Math.max(top, map.top)) / map.height : 0;
"""
"""How much of the map's height the feeder clusters span (Kerala's feeders run from its south
to its north: fitted, they span most of it)."""


def test_markers_are_drawn_above_the_district_polygons(fleet: Fleet, driver: Any) -> None:
    open_map(driver, fleet)
    search(driver, WAYANAD)  # one feeder: a single marker, not a cluster
    wait_for(driver, "#sp-map-matches", "1 of")
    pane = wait_for(driver, ".leaflet-sp-feeders-pane canvas")
    z = driver.execute_script(
        "var z = function (css) { return +getComputedStyle(document.querySelector(css)).zIndex; };"
        "return [z('.leaflet-sp-feeders-pane'), z('.leaflet-overlay-pane'),"
        "        z('.leaflet-marker-pane'), z('.leaflet-tooltip-pane')];"
    )
    feeders_z, overlay_z, marker_z, tooltip_z = z
    assert overlay_z < feeders_z < marker_z < tooltip_z, z
    # The district polygons are drawn in the overlay pane, the feeder in its own, above them.
    assert driver.find_elements(By.CSS_SELECTOR, ".leaflet-overlay-pane canvas")
    assert pane.is_displayed()
    # Its marker sits at the map's centre after the fit: its fill is the unbalanced colour.
    colour = driver.execute_script(
        "var c = document.querySelector('.leaflet-sp-feeders-pane canvas');"
        "var r = c.getBoundingClientRect(); var m = document.getElementById('sp-map-map')"
        "  .getBoundingClientRect();"
        "var x = (m.left + m.width / 2 - r.left) * c.width / r.width;"
        "var y = (m.top + m.height / 2 - r.top) * c.height / r.height;"
        "return Array.from(c.getContext('2d').getImageData(x, y, 1, 1).data);"
    )
    assert colour[:3] == [0xF9, 0xA8, 0x25], colour
    # What the screen paints at that point, top first: the feeder's canvas over the districts'.
    stack = driver.execute_script(
        "var m = document.getElementById('sp-map-map').getBoundingClientRect();"
        "return document.elementsFromPoint(m.left + m.width / 2, m.top + m.height / 2)"
        "  .filter(function (e) { return e.tagName === 'CANVAS'; })"
        "  .map(function (e) { return e.parentElement.className; });"
    )
    assert len(stack) == 2, stack
    assert "leaflet-sp-feeders-pane" in stack[0]
    assert "leaflet-overlay-pane" in stack[1]
    screenshot(driver, "map-marker-above-districts")


def test_a_tooltip_shows_a_name_as_text_never_as_markup(fleet: Fleet, driver: Any) -> None:
    open_map(driver, fleet)
    search(driver, MARKUP)
    wait_for(driver, "#sp-map-matches", "1 of")
    listed = wait_for(driver, ".sp-matches-list li", MARKUP)
    assert "<img" in listed.text
    assert not driver.find_elements(By.CSS_SELECTOR, ".sp-matches-list img")
    time.sleep(0.5)  # the fit onto the one feeder
    area = driver.find_element(By.ID, "sp-map-map")
    ActionChains(driver).move_to_element(area).perform()
    tip = wait_for(driver, ".leaflet-tooltip", MARKUP)
    assert "<img" in tip.text
    assert "Balanced" in tip.text
    assert not driver.find_elements(By.CSS_SELECTOR, ".leaflet-tooltip img")
    assert driver.execute_script("return window.__spXss === undefined")
    screenshot(driver, "map-tooltip-text")


# --- the wall -------------------------------------------------------------------------------


def date_summaries(fleet: Fleet, age: timedelta) -> None:
    """Make every online feeder's latest summary and last contact `age` old, and hold them
    there for the rest of the test."""
    with fleet.lock:
        fleet.frozen.set()
        engine = fleet.server.engine()
        try:
            with engine.begin() as conn:
                fleet.dated_at = datetime.now(UTC)
                at = fleet.dated_at - age
                conn.execute(update(feeder_state).values(ts=at))
                conn.execute(update(feeders).where(feeders.c.online).values(last_seen=at))
        finally:
            engine.dispose()


def open_wall(driver: Any, fleet: Fleet, size: tuple[int, int], query: str = "") -> None:
    """Open the wall on a viewport of exactly `size` CSS pixels (a screen, without a window)."""
    emulate_screen(driver, *size)
    driver.get(fleet.server.base + "/wall" + query)
    wait_for(driver, ".sp-wall-table .sp-fit-item", timeout=15)
    wait_for(driver, ".sp-wall-alerts .sp-fit-item")
    time.sleep(1.0)  # the fit after layout


SMALL_TEXT = """
var out = [];
document.querySelectorAll('#sp-wall *').forEach(function (el) {
  var own = Array.from(el.childNodes).some(function (n) {
    return n.nodeType === 3 && n.textContent.trim();
  });
  if (!own || !el.getClientRects().length) { return; }
  var style = getComputedStyle(el);
  if (style.visibility === 'hidden') { return; }
  var size = parseFloat(style.fontSize);
  if (size < arguments[0]) { out.push([el.tagName, el.className, el.textContent.trim(), size]); }
});
return out;
"""

ROWS = """
var box = document.getElementById(arguments[0]);
var limit = box.getBoundingClientRect().bottom;
return Array.from(box.querySelectorAll('.sp-fit-item')).filter(function (e) {
  return e.getClientRects().length > 0;
}).map(function (e) {
  var r = e.getBoundingClientRect();
  return [e.className, r.top, r.bottom, limit, e.innerText];
});
"""


@pytest.mark.parametrize("size", [(1920, 1080), (3840, 2160)])
def test_the_wall_reads_from_across_the_room(
    fleet: Fleet, driver: Any, size: tuple[int, int]
) -> None:
    open_wall(driver, fleet, size)
    assert driver.execute_script("return [innerWidth, innerHeight]") == list(size)
    scale = size[1] / 1080

    small = driver.execute_script(SMALL_TEXT, WALL_MIN_PX * scale - 0.5)
    assert small == [], small

    attention = driver.execute_script(ROWS, "sp-wall-worst")
    assert attention
    states = [c.split("sp-state-")[1].split()[0] for c, *_ in attention]
    assert set(states) <= NEEDS_ATTENTION, states
    assert all(LIGHT not in text for *_, text in attention)
    assert all(bottom <= limit + 0.5 for _, _, bottom, limit, _ in attention)

    alerts = driver.execute_script(ROWS, "sp-wall-alerts")
    assert alerts
    severities = [c.split("sp-alert-")[1].split()[0] for c, *_ in alerts]
    rank = {"critical": 0, "warning": 1, "info": 2}
    assert [rank[s] for s in severities] == sorted(rank[s] for s in severities), severities
    assert severities[0] == "critical"
    rendered = driver.execute_script(
        "return Array.from(document.querySelectorAll('#sp-wall-alerts .sp-fit-item'),"
        "  function (e) { return e.className; });"
    )
    every = [rank[c.split("sp-alert-")[1].split()[0]] for c in rendered]
    assert every == sorted(every)
    assert all(bottom <= limit + 0.5 for _, _, bottom, limit, _ in alerts)
    total = int(wait_for(driver, "#sp-wall-alerts h2 .sp-count").text)
    more = texts(driver, "#sp-wall-alerts .sp-more")
    if total > len(alerts):
        assert more == [f"+{total - len(alerts)} more"]
    screenshot(driver, f"wall-{size[0]}x{size[1]}")


def test_a_district_wall_fits_the_district_not_its_one_feeder(fleet: Fleet, driver: Any) -> None:
    open_wall(driver, fleet, (1920, 1080), "?district=Wayanad")
    wait_for(driver, "#sp-wall-district", "Wayanad")
    (south, west), (north, east) = district_bounds()["Wayanad"]
    WebDriverWait(driver, 20).until(lambda d: _fits(props(d, "sp-wall-map"), south, north))
    bounds = props(driver, "sp-wall-map")["bounds"]
    assert bounds[0][1] <= west
    assert bounds[1][1] >= east
    assert bounds[1][0] - bounds[0][0] < 2 * (north - south)  # the district fills the map
    rows = driver.execute_script(ROWS, "sp-wall-worst")
    assert [text.split()[1] for *_, text in rows] == [WAYANAD]
    assert "Neutral 40 A" in rows[0][4]
    screenshot(driver, "wall-district-wayanad")


WALL_ALERT_ROWS = """
return Array.from(document.querySelectorAll('#sp-wall-alerts .sp-fit-item'), function (e) {
  return [e.className.split('sp-alert-')[1].split(' ')[0],
          e.querySelector('strong').textContent.trim()];
});
"""


def region_alerts(fleet: Fleet, district: str | None, size: int = 20) -> AlertPage:
    """Return the first page of a region's active alerts as the store lists them."""
    engine = fleet.server.engine()
    try:
        with engine.connect() as conn:
            return alert_page(conn, AlertFilter(district=district), page_size=size)
    finally:
        engine.dispose()


def busiest_district(fleet: Fleet) -> str:
    """Return the district with the most active alerts of more than one severity."""
    district_of = {i: d for i, _, d in all_feeders(fleet)}
    by_district: dict[str, list[str]] = {}
    for listed in region_alerts(fleet, None, 500).rows:
        district = district_of.get(listed.alert.feeder_id or "")
        if district is not None:
            by_district.setdefault(district, []).append(listed.alert.severity)
    mixed = {d: s for d, s in by_district.items() if len(set(s)) > 1 and d != "Wayanad"}
    return max(sorted(mixed), key=lambda d: len(mixed[d]))


def test_a_district_wall_lists_that_district_s_alerts_only(fleet: Fleet, driver: Any) -> None:
    district = busiest_district(fleet)
    every = all_feeders(fleet)
    members = {i for i, _, d in every if d == district}
    kerala = region_alerts(fleet, None)
    for pinned in ("Wayanad", district):
        expected = region_alerts(fleet, pinned)
        assert 0 < expected.total < kerala.total
        emulate_screen(driver, 1920, 1080)
        driver.get(f"{fleet.server.base}/wall?district={pinned}")
        wait_for(driver, "#sp-wall-district", pinned)
        wanted = [[x.alert.severity, x.alert.feeder_id] for x in expected.rows]
        WebDriverWait(driver, 20).until(lambda d, w=wanted: d.execute_script(WALL_ALERT_ROWS) == w)
        assert int(wait_for(driver, "#sp-wall-alerts h2 .sp-count").text) == expected.total
        shown = driver.execute_script(WALL_ALERT_ROWS)
        assert {f for _, f in shown} <= (members if pinned == district else {WAYANAD})
        rank = {"critical": 0, "warning": 1, "info": 2}
        assert [rank[s] for s, _ in shown] == sorted(rank[s] for s, _ in shown)
        raised = [x.alert.raised_at for x in expected.rows]
        for k in range(1, len(raised)):  # newest first within a severity
            if shown[k][0] == shown[k - 1][0]:
                assert raised[k] <= raised[k - 1]
        visible = driver.execute_script(ROWS, "sp-wall-alerts")
        assert visible
        assert all(bottom <= limit + 0.5 for _, _, bottom, limit, _ in visible)
        screenshot(driver, f"wall-alerts-{pinned.lower()}")


def test_the_stale_banner_pushes_the_lists_down(fleet: Fleet, driver: Any) -> None:
    """Last of the module: it ages every feeder's latest summary by 10 minutes."""
    open_wall(driver, fleet, (1920, 1080))
    assert not driver.find_element(By.ID, "sp-wall-stale").is_displayed()
    date_summaries(fleet, timedelta(minutes=10))
    driver.refresh()
    # The wall's next refresh, and the worker's snapshot read before the summaries aged.
    banner = wait_for(driver, "#sp-wall-stale", "STALE DATA", timeout=15 + MAX_AGE_S + 5)
    wait_for(driver, "#sp-wall-stale", "nothing received for 10 min")
    time.sleep(0.5)
    bottom = banner.rect["y"] + banner.rect["height"]
    for box in ("sp-wall-worst", "sp-wall-alerts"):
        heading = driver.find_element(By.CSS_SELECTOR, f"#{box} h2")
        assert heading.rect["y"] >= bottom - 0.5, (box, heading.rect, banner.rect)
        rows = driver.execute_script(ROWS, box)
        assert rows
        assert rows[0][1] >= bottom - 0.5
        assert all(b <= limit + 0.5 for _, _, b, limit, _ in rows)
    screenshot(driver, "wall-stale")
