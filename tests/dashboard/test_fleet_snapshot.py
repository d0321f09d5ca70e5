"""The fleet snapshot a worker shares among screens, and the map's and wall's callbacks on it:
one read for every caller until it is old, a version that follows what the map shows, nothing
resent to a screen that holds it, and a district's wall listing that district's alerts only."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import dash
import pytest
from sqlalchemy import Engine, delete, event

from app import create_app
from components import ids
from components.fleet_snapshot import FleetCache, FleetSnapshot, fleet
from store.alerting import AlertFilter, alert_page
from store.db import make_engine
from store.fleet_read import wall_alerts_by_district
from store.schema import feeder_state
from tests.dashboard.conftest import (
    ORIGIN,
    callback_entries,
    callback_payload,
    make_settings,
    post_callback,
    signed_in,
)
from tests.store.seed import add_feeder_state


@pytest.fixture
def engine(dashboard_url: str) -> Iterator[Engine]:
    engine = make_engine(dashboard_url)
    yield engine
    engine.dispose()


def fleet_reads(engine: Engine) -> list[str]:
    """Return a list that collects every statement on `engine` reading the latest summaries."""
    seen: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "feeder_state" in statement and "SELECT" in statement.upper():
            seen.append(statement)

    return seen


def test_one_read_serves_every_caller_until_it_is_old(engine: Engine) -> None:
    reads = fleet_reads(engine)
    cache = FleetCache(engine, max_age_s=3600, refresh_after_s=3600, watched_s=0.5)
    got: list[FleetSnapshot] = []
    start = threading.Barrier(8)

    def caller() -> None:
        start.wait()
        got.append(cache.get())

    threads = [threading.Thread(target=caller) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(got) == 8
    assert all(s is got[0] for s in got)
    assert len(reads) == 1
    assert cache.get() is got[0]
    assert len(reads) == 1


def test_an_old_snapshot_is_read_again_and_its_version_follows_the_map(engine: Engine) -> None:
    cache = FleetCache(engine, max_age_s=0.05, refresh_after_s=0.05, watched_s=0.0)
    first = cache.get()
    time.sleep(0.1)
    again = cache.get()
    assert again is not first
    assert again.read_at >= first.read_at
    assert again.version == first.version  # nothing the map shows has changed
    with engine.begin() as conn:
        conn.execute(delete(feeder_state).where(feeder_state.c.feeder_id == "KL-TVM-0001"))
        add_feeder_state(conn, "KL-TVM-0001", datetime.now(UTC), i_n=55.5)
    time.sleep(0.1)
    changed = cache.get()
    assert changed.version != first.version
    neutral = {
        f["properties"]["id"]: f["properties"]["n"] for f in changed.data.geojson["features"]
    }
    assert neutral["KL-TVM-0001"] == 56


def test_a_watched_snapshot_is_read_again_in_the_background(
    engine: Engine,
) -> None:
    cache = FleetCache(engine, max_age_s=3600, refresh_after_s=0.2, watched_s=5.0)
    first = cache.get()
    assert cache.get() is first  # young enough: served as it is
    first.wall_region("Ernakulam")  # a wall showed Ernakulam
    deadline = time.monotonic() + 30
    while (latest := cache.get()) is first and time.monotonic() < deadline:
        time.sleep(0.05)
    assert latest is not first
    assert latest.read_at >= first.read_at
    assert set(latest.regions) == {"Ernakulam"}  # built before any wall asks again
    assert cache.failures == 0
    with pytest.raises(ValueError, match="refresh_after_s"):
        FleetCache(engine, max_age_s=1.0, refresh_after_s=2.0)


def test_every_region_s_alerts_are_read_at_once_as_a_region_s_page(engine: Engine) -> None:
    with engine.connect() as conn:
        regions = wall_alerts_by_district(conn, 20)
        assert set(regions) == {None, "Thiruvananthapuram", "Ernakulam"}
        for district, found in regions.items():
            page = alert_page(conn, AlertFilter(district=district), page_size=20)
            assert [a.alert_id for a in found.alerts] == [x.alert.alert_id for x in page.rows]
            assert found.total == page.total
        one = wall_alerts_by_district(conn, 1)
    assert [a.alert_id for a in one[None].alerts] == ["A-TVM-1"]
    assert one[None].total == regions[None].total == 4
    with pytest.raises(ValueError, match="limit"):
        wall_alerts_by_district(engine.connect(), 0)


def keys(app: dash.Dash) -> dict[str, str]:
    return {entry["callback"].__name__: key for key, entry in callback_entries(app).items()}


def answer(app: dash.Dash, name: str, values: dict[str, Any]) -> Any:
    """POST a callback as a signed-in viewer; return its `response` (empty: nothing new)."""
    client = signed_in(app, "viewer")
    body = post_callback(client, app, keys(app)[name], values)
    assert body.status_code in (200, 204), body.get_data(as_text=True)[:300]
    return body.get_json()["response"] if body.status_code == 200 else {}


def wall(app: dash.Dash, pin: str | None, held: Any = None, trigger: str | None = None) -> Any:
    """Return the wall callback's response for a pinned district, as its trigger fires it."""
    client = signed_in(app, "viewer")
    key = keys(app)["refresh_wall"]
    values = {f"{ids.WALL_PIN}.data": pin, f"{ids.WALL_LAST_DATA}.data": held}
    body = callback_payload(app, key, values)
    if trigger is not None:
        body["changedPropIds"] = [f"{trigger}.n_intervals"]
    response = client.post("/_dash-update-component", json=body, headers={"Origin": ORIGIN})
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return response.get_json()["response"]


def alert_rows(section: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """Return (severity, feeder) of each alert in a wall's alerts section."""
    if len(section) < 2 or section[1]["type"] != "Ul":
        return []
    out = []
    for item in section[1]["props"]["children"]:
        line = item["props"]["children"][0]["props"]["children"]
        out.append((line[0]["props"]["children"], line[1]["props"]["children"].strip()))
    return out


def count(section: list[dict[str, Any]]) -> int:
    return int(section[0]["props"]["children"][1]["props"]["children"])


def test_a_district_wall_lists_that_district_s_alerts_only(dashboard_app: dash.Dash) -> None:
    kerala = wall(dashboard_app, None)[ids.WALL_ALERTS]["children"]
    assert alert_rows(kerala) == [
        ("CRITICAL", "KL-TVM-0001"),
        ("WARNING", "KL-TVM-0001"),
        ("WARNING", "KL-EKM-0002"),
        ("INFO", "KL-EKM-0002"),
    ]
    assert count(kerala) == 4
    ernakulam = wall(dashboard_app, "Ernakulam")[ids.WALL_ALERTS]["children"]
    assert alert_rows(ernakulam) == [("WARNING", "KL-EKM-0002"), ("INFO", "KL-EKM-0002")]
    assert count(ernakulam) == 2
    assert ernakulam[0]["props"]["data-region"] == "Ernakulam"


def test_a_wall_that_holds_the_snapshot_is_sent_only_its_lists(dashboard_app: dash.Dash) -> None:
    first = wall(dashboard_app, "Ernakulam")
    assert first[ids.WALL_FEEDERS]["data"]["features"]
    assert "viewport" in first[ids.WALL_MAP]
    held = first[ids.WALL_LAST_DATA]["data"]
    assert held["version"]
    again = wall(dashboard_app, "Ernakulam", held, trigger=ids.WALL_INTERVAL)
    assert ids.WALL_FEEDERS not in again
    assert ids.WALL_LEGEND not in again
    assert ids.WALL_MAP not in again  # the same region: the map stays where it is
    assert alert_rows(again[ids.WALL_ALERTS]["children"]) == alert_rows(
        first[ids.WALL_ALERTS]["children"]
    )
    assert again[ids.WALL_LAST_DATA]["data"]["version"] == held["version"]
    turned = wall(dashboard_app, None, held, trigger=ids.WALL_ROTATE)
    assert "viewport" in turned[ids.WALL_MAP]
    assert ids.WALL_FEEDERS not in turned


def test_the_map_is_sent_the_fleet_once_per_version(dashboard_app: dash.Dash) -> None:
    first = answer(dashboard_app, "refresh_map", {})
    features = first[ids.MAP_ALL]["data"]["features"]
    assert {f["properties"]["id"] for f in features} == {"KL-TVM-0001", "KL-EKM-0002"}
    for f in features:
        lon, lat = f["geometry"]["coordinates"]
        assert round(lon, 5) == lon
        assert round(lat, 5) == lat
    assert first[ids.MAP_DISTRICT_FILTER]["options"] == ["Ernakulam", "Thiruvananthapuram"]
    version = first[ids.MAP_VERSION]["data"]
    assert answer(dashboard_app, "refresh_map", {f"{ids.MAP_VERSION}.data": version}) == {}
    stale = answer(dashboard_app, "refresh_map", {f"{ids.MAP_VERSION}.data": "older"})
    assert stale[ids.MAP_VERSION]["data"] == version


def test_the_wall_lists_read_outside_a_request_are_in_the_apps_language(
    engine: Engine, dashboard_url: str
) -> None:
    cache = FleetCache(engine, max_age_s=3600, refresh_after_s=3600, watched_s=0.0, lang="ml")
    region = cache.get().wall_region(None)  # no app, no request: as the background reader does
    assert region.attention[0]["props"]["children"][0] == "ശ്രദ്ധ വേണ്ടവ"
    assert region.alerts[0]["props"]["children"][0] == "സജീവ അലർട്ടുകൾ"
    assert region.alerts[0]["props"]["data-region"] == "കേരളം"
    with pytest.raises(ValueError, match="lang"):
        FleetCache(engine, lang="fr")
    app = create_app(make_settings(dashboard_url, ui_lang="ml"), engine=engine)
    assert fleet(app.server).lang == "ml"
    kerala = wall(app, None)[ids.WALL_ALERTS]["children"]
    assert alert_rows(kerala)[0] == ("ഗുരുതരം", "KL-TVM-0001")
    assert kerala[-1]["props"]["data-template"] == "+{count} എണ്ണം കൂടി"
    assert fleet(create_app(make_settings(dashboard_url), engine=engine).server).lang == "en"
