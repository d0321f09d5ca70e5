"""The wall's pure pieces and the map's GeoJSON: the region a turn fits, what needs attention and
in which order, alerts by severity, and the words a wall shows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from components.feeder_map import KERALA_BOUNDS, district_bounds, feeder_geojson, geojson_bounds
from components.strings import EN, LANGUAGES, ML, fields_of, strings
from components.wall_view import (
    BANNER,
    MIN_SPAN_DEG,
    alert_age,
    attention_detail,
    build_alerts,
    build_attention,
    by_severity,
    needing_attention,
    region_bounds,
)
from grid.feeder_states import feeder_state
from grid.metrics import rated_current_a
from store.queries import IST, Alert, FeederMapRow

NOW = datetime(2026, 3, 16, 6, 30, tzinfo=UTC)  # 12:00 IST
RATED = rated_current_a(100.0)


def row(feeder_id: str, **changes: Any) -> FeederMapRow:
    """Return a map row of a fresh, balanced 100 kVA feeder in Ernakulam, with its state decided
    by grid.feeder_states from the values given."""
    values: dict[str, Any] = {
        "feeder_id": feeder_id,
        "name": f"Feeder {feeder_id}",
        "district": "Ernakulam",
        "lat": 9.98,
        "lon": 76.28,
        "kva": 100.0,
        "mode": "auto",
        "online": True,
        "last_seen": NOW - timedelta(seconds=5),
        "ts": NOW - timedelta(seconds=5),
        "p_total": 20_000.0,
        "i_r": 40.0,
        "i_y": 40.0,
        "i_b": 40.0,
        "i_n": 1.0,
        "unbalance_pct": 2.0,
        "houses_online": 40,
        "houses_total": 40,
        "active_alerts": 0,
        "switches_today": 0,
    }
    values.update(changes)
    values["state"] = feeder_state(
        online=values["online"],
        fresh=values["last_seen"] is not None and NOW - values["last_seen"] <= timedelta(minutes=1),
        mode=values["mode"],
        currents_a=(values["i_r"], values["i_y"], values["i_b"]),
        i_n_a=values["i_n"],
        rated_a=rated_current_a(values["kva"]),
    )
    return FeederMapRow(**values)


def alert(alert_id: str, severity: str, minutes_ago: int) -> Alert:
    raised = NOW - timedelta(minutes=minutes_ago)
    return Alert(alert_id, "F", None, "k", severity, "open", "m", raised, None, None, None, raised)


FLEET = [
    row("F-OK"),
    row("F-LIGHT", i_r=50.0, i_y=25.0, i_b=20.0, i_n=27.8, unbalance_pct=57.9),
    row("F-UNB-1", i_r=100.0, i_y=60.0, i_b=60.0, i_n=40.0),
    row("F-UNB-2", i_r=120.0, i_y=50.0, i_b=50.0, i_n=70.0),
    row("F-OVER", i_r=RATED + 10, i_n=60.0),
    row("F-OFF-OLD", online=False, last_seen=NOW - timedelta(hours=3)),
    row("F-OFF-NEW", online=False, last_seen=NOW - timedelta(minutes=5)),
    row("F-NEVER", online=False, last_seen=None),
    row("F-MAN", mode="manual", i_n=90.0),
]


def test_only_feeders_whose_state_needs_attention_are_listed_worst_first() -> None:
    listed = [r.feeder_id for r in needing_attention(FLEET)]
    assert listed == [
        "F-OVER", "F-UNB-2", "F-UNB-1", "F-NEVER", "F-OFF-OLD", "F-OFF-NEW",
    ]  # fmt: skip
    assert needing_attention([row("F-OK"), row("F-LIGHT2", i_n=28.0)]) == []


@pytest.mark.parametrize(
    ("feeder_id", "expected"),
    [
        ("F-UNB-1", "Neutral 40 A"),
        ("F-OVER", f"Phase R {RATED + 10:.0f} A"),
        ("F-NEVER", "Never reported"),
        ("F-OFF-OLD", f"Since {(NOW - timedelta(hours=3)).astimezone(IST):%H:%M}"),
    ],
)
def test_the_wall_says_what_is_wrong_in_words(feeder_id: str, expected: str) -> None:
    chosen = {r.feeder_id: r for r in FLEET}[feeder_id]
    assert attention_detail(chosen) == expected
    assert "A N" not in attention_detail(chosen)


def test_alerts_go_by_severity_then_newest_first() -> None:
    alerts = [
        alert("W-new", "warning", 1),
        alert("I-new", "info", 0),
        alert("C-old", "critical", 300),
        alert("W-old", "warning", 90),
        alert("C-new", "critical", 10),
    ]
    assert [a.alert_id for a in by_severity(alerts)] == [
        "C-new",
        "C-old",
        "W-new",
        "W-old",
        "I-new",
    ]


@pytest.mark.parametrize(
    ("minutes", "expected"),
    [(0, "0 min"), (59, "59 min"), (60, "1 h 00 min"), (125, "2 h 05 min"), (3000, "2 days")],
)
def test_alert_age(minutes: int, expected: str) -> None:
    assert alert_age(NOW - timedelta(minutes=minutes), NOW) == expected


def test_a_turn_fits_the_district_polygon_not_its_feeders() -> None:
    districts = district_bounds()
    assert len(districts) == 14
    lone = [row("F-W", district="Wayanad", lat=11.61, lon=76.08)]
    (south, west), (north, east) = region_bounds("Wayanad", lone, districts)
    assert north - south > 0.3
    assert east - west > 0.3
    assert south < 11.61 < north
    assert west < 76.08 < east
    assert region_bounds(None, lone, districts) == KERALA_BOUNDS


def test_a_district_without_a_polygon_gets_a_minimum_span() -> None:
    lone = [row("F-X", district="Lakshadweep", lat=10.57, lon=72.64)]
    (south, west), (north, east) = region_bounds("Lakshadweep", lone, {})
    assert north - south == pytest.approx(MIN_SPAN_DEG)
    assert east - west == pytest.approx(MIN_SPAN_DEG)
    assert (south + north) / 2 == pytest.approx(10.57)
    assert region_bounds("Nowhere", lone, {}) == KERALA_BOUNDS


def test_geojson_bounds_joins_features_of_one_name() -> None:
    square = {"type": "Polygon", "coordinates": [[[76, 9], [77, 9], [77, 10], [76, 9]]]}
    multi = {"type": "MultiPolygon", "coordinates": [[[[75, 11], [75.5, 11.5], [75, 11]]]]}
    collection = {
        "features": [
            {"properties": {"district": "A"}, "geometry": square},
            {"properties": {"district": "A"}, "geometry": multi},
        ]
    }
    assert geojson_bounds(collection) == {"A": ((9.0, 75.0), (11.5, 77.0))}
    empty = {"features": [{"properties": {"district": "B"}, "geometry": {"coordinates": []}}]}
    with pytest.raises(ValueError, match="'B'"):
        geojson_bounds(empty)


def test_the_map_geojson_carries_district_and_neutral_against_the_rating() -> None:
    props = {f["properties"]["id"]: f["properties"] for f in feeder_geojson(FLEET)["features"]}
    assert props["F-UNB-1"] == {
        "id": "F-UNB-1", "name": "Feeder F-UNB-1", "d": "Ernakulam", "st": "unbalanced",
        "n": 40, "nr": round(4000 / RATED), "ub": 2.0, "al": 0,
    }  # fmt: skip
    assert props["F-LIGHT"]["st"] == "balanced"


# --- in Malayalam ------------------------------------------------------------------------------


def test_the_wall_says_what_is_wrong_in_malayalam() -> None:
    chosen = {r.feeder_id: r for r in FLEET}
    assert attention_detail(chosen["F-UNB-1"], "ml") == "ന്യൂട്രൽ 40 A"
    assert attention_detail(chosen["F-OVER"], "ml") == f"ഫേസ് R {RATED + 10:.0f} A"
    assert attention_detail(chosen["F-NEVER"], "ml") == "ഒരിക്കലും റിപ്പോർട്ട് ചെയ്തിട്ടില്ല"
    assert alert_age(NOW - timedelta(minutes=125), NOW, "ml") == "2 മണിക്കൂർ 05 മിനിറ്റ്"
    assert alert_age(NOW - timedelta(minutes=3000), NOW, "en") == "2 days"


def _texts(component: Any) -> list[str]:
    """Return every string a Dash component tree shows, and its `data-template`s."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, str):
            found.append(node)
        elif isinstance(node, list | tuple):
            for item in node:
                walk(item)
        elif hasattr(node, "to_plotly_json"):
            props = node.to_plotly_json()["props"]
            if "data-template" in props:
                found.append(props["data-template"])
            walk(props.get("children"))

    walk(component)
    return [t.strip() for t in found if t.strip()]


def test_the_wall_lists_are_built_in_the_language_asked_for() -> None:
    attention = _texts(build_attention(FLEET, 20, "Ernakulam", "ml"))
    assert attention[0] == "ശ്രദ്ധ വേണ്ടവ"
    assert "ഓവർലോഡ്" in attention  # the state's badge
    assert "+{count} എണ്ണം കൂടി" in attention
    alerts = _texts(build_alerts([alert("C", "critical", 5)], 1, NOW, None, "ml"))
    assert alerts[0] == "സജീവ അലർട്ടുകൾ"
    assert "ഗുരുതരം" in alerts
    assert "· 5 മിനിറ്റ്" in alerts
    quiet = _texts(build_alerts([], 0, NOW, None, "ml"))
    assert quiet[-1] == "കേരളം: സജീവ അലർട്ടുകളില്ല."
    english = {v for k, v in EN.items() if k.startswith(("wall_", "state_")) and k not in ML}
    assert not english & set(attention + alerts + quiet)
    assert _texts(build_alerts([], 0, NOW, None, "en"))[-1] == "No active alerts in Kerala."


def test_the_browser_fills_in_only_the_fields_it_knows() -> None:
    """assets/wall.js fills {count} of "+N more"; pages/wall.py {at} and {minutes} of the
    banner: a template with another field would show it as written."""
    assert fields_of(EN["wall_more"]) == {"count"}
    for key in BANNER.values():
        for lang in LANGUAGES:
            assert fields_of(strings(lang)[key]) <= {"at", "minutes"}, key
