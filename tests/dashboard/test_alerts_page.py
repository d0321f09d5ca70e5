"""The alerts page without a browser: its pieces as plain functions, and its callbacks by direct
POST (redraw only on a change, bulk acknowledgement by filter, bad input named)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import dash
import pytest
from flask.testing import FlaskClient
from sqlalchemy import text, update

from components import ids
from components.alert_list import (
    ROLLED_UP,
    confirm_text,
    describe_filter,
    filter_data,
    filter_from_data,
    list_fingerprint,
    pager_text,
    parse_filter,
)
from components.runtime import current
from store.alerting import AlertError, AlertFilter, AlertPage
from store.schema import alerts
from tests.dashboard.conftest import (
    ORIGIN,
    callback_entries,
    callback_key,
    callback_payload,
)


def test_filter_from_the_controls_and_back() -> None:
    flt = parse_filter(" kl-tvm-0001 ", "Ernakulam", "warning", "active", [ROLLED_UP])
    assert flt == AlertFilter("active", "KL-TVM-0001", "Ernakulam", "warning", rolled_up=True)
    assert filter_from_data(json.loads(json.dumps(filter_data(flt)))) == flt
    assert parse_filter(None, None, None, None, None) == AlertFilter(state=None)
    with pytest.raises(AlertError, match=r"^severity:"):
        parse_filter(None, None, "grave", None, None)
    with pytest.raises(AlertError, match=r"^district: must be text"):
        filter_from_data({"district": ["Ernakulam"]})
    with pytest.raises(AlertError, match=r"^feeder: must be text"):
        parse_filter(1, None, None, None, None)  # type: ignore[arg-type]


def test_the_confirmation_says_how_many_and_what() -> None:
    flt = AlertFilter(district="Ernakulam", severity="warning")
    at = datetime(2026, 6, 1, 4, 30, tzinfo=UTC)
    said = confirm_text(flt, 1234, at)
    assert said.startswith("Acknowledge 1,234 open alerts (active alerts of district Ernakulam")
    assert "2026-06-01 10:00:00 IST" in said
    assert describe_filter(AlertFilter(state=None)) == "alerts in any state"
    assert confirm_text(AlertFilter(), 1, at).startswith("Acknowledge 1 open alert (")


def test_pager_text() -> None:
    empty = AlertPage((), 0, 0, 50)
    assert pager_text(empty) == "No alerts match."
    page = AlertPage(tuple(object() for _ in range(50)), 1234, 1, 50)  # type: ignore[misc]
    assert pager_text(page) == "Alerts 51–100 of 1,234 · page 2 of 25"


def show_key(app: dash.Dash) -> str:
    return next(k for k in callback_entries(app) if "sp-alerts-table.children" in k)


def post(
    client: FlaskClient, app: dash.Dash, key: str, values: dict[str, Any], changed: str
) -> Any:
    body = callback_payload(app, key, values)
    body["changedPropIds"] = [changed]
    for item in body["inputs"]:
        if isinstance(item, dict) and f"{item['id']}.{item['property']}" == changed:
            item["value"] = values.get(changed, 1)
    return client.post("/_dash-update-component", json=body, headers={"Origin": ORIGIN})


def test_the_list_redraws_on_the_timer_only_when_an_alert_changed(
    dashboard_app: dash.Dash, clients: dict[str, FlaskClient]
) -> None:
    engine = current(dashboard_app.server).engine
    with engine.connect() as conn:
        fingerprint = list_fingerprint(conn)
    tick = f"{ids.ALERTS_INTERVAL}.n_intervals"
    values = {
        f"{ids.ALERTS_FEEDER}.value": None,
        f"{ids.ALERTS_STATE}.value": "active",
        f"{ids.ALERTS_FINGERPRINT}.data": fingerprint,
        tick: 3,
    }
    key = show_key(dashboard_app)
    assert post(clients["viewer"], dashboard_app, key, values, tick).status_code == 204
    with engine.begin() as conn:
        conn.execute(
            update(alerts)
            .where(alerts.c.alert_id == "A-EKM-1")
            .values(state="cleared", updated_at=datetime.now(UTC) + timedelta(seconds=1))
        )
    response = post(clients["viewer"], dashboard_app, key, values, tick)
    assert response.status_code == 200
    outputs = response.get_json()["response"]
    assert outputs[ids.ALERTS_FINGERPRINT]["data"] != fingerprint
    assert "phase R above rating" in json.dumps(outputs[ids.ALERTS_TABLE])


def test_acknowledging_by_filter_takes_the_confirmed_filter_and_names_bad_input(
    dashboard_app: dash.Dash, clients: dict[str, FlaskClient]
) -> None:
    engine = current(dashboard_app.server).engine
    key = callback_key(dashboard_app, "alert.ack")
    confirmed = f"{ids.ALERTS_ACK_CONFIRM}.submit_n_clicks"
    pending = {
        "filter": {"state": "active", "district": "Thiruvananthapuram"},
        "as_of": datetime.now(UTC).isoformat(),
        "count": 2,
    }
    values = {confirmed: 1, f"{ids.ALERTS_ACK_PENDING}.data": pending}
    response = post(clients["operator"], dashboard_app, key, values, confirmed)
    assert response.status_code == 200
    said = json.dumps(response.get_json())
    assert "2 alerts acknowledged by otto" in said
    with engine.connect() as conn:
        states: dict[str, str] = {
            r.alert_id: r.state for r in conn.execute(text("SELECT alert_id, state FROM alerts"))
        }
        audit = conn.execute(
            text("SELECT target, outcome FROM audit_log WHERE action = 'alert.ack'")
        ).all()
    assert (states["A-TVM-1"], states["A-TVM-2"]) == ("acknowledged", "acknowledged")
    assert states["A-EKM-2"] == "cleared"
    assert [tuple(r) for r in audit] == [("2 alerts", "ok")]
    forged = {**pending, "filter": {"state": "everything"}}
    values = {confirmed: 2, f"{ids.ALERTS_ACK_PENDING}.data": forged}
    response = post(clients["operator"], dashboard_app, key, values, confirmed)
    assert "Not acknowledged: state: 'everything' is not one of" in json.dumps(response.get_json())
    viewer = post(clients["viewer"], dashboard_app, key, values, confirmed)
    assert viewer.status_code == 403
