"""Notifications in the control room: who was told of an alert under it on the alerts page, the
deliveries and routes on /notifications; callbacks by direct POST (admins change routes, bad
input is named, every change audited), then headless Chromium with screenshots."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import dash
import pytest
from flask.testing import FlaskClient
from selenium.webdriver.common.by import By
from sqlalchemy import Engine, select

from components import ids
from components.runtime import current
from notify import outbox
from notify.compose import Composed
from notify.model import AlertFacts, Notice, user_key
from notify.routes import add_route
from store.contacts import get_contact, set_contact
from store.schema import audit_log, notify_deliveries, notify_routes
from tests.dashboard.conftest import (
    NOW,
    ORIGIN,
    LiveServer,
    callback_entries,
    callback_key,
    callback_payload,
    screenshot,
    texts,
    wait_for,
)


def told(engine: Engine, alert_id: str = "A-TVM-1") -> None:
    """Record that ada was told of an alert by e-mail (sent) and SMS (given up)."""
    with engine.begin() as conn:
        set_contact(conn, "ada", email="ada@kseb.in", phone="9847012345")
        fact = AlertFacts(alert_id, "overload", "critical", "open", "phase R above rating", NOW)
        message_id = outbox.enqueue(
            conn,
            purpose=outbox.ALERTS,
            recipient=user_key("ada"),
            composed=Composed("[SmartPhase] CRITICAL overload", "body", "sms", ""),
            targets=[outbox.Target("email", "ada@kseb.in"), outbox.Target("sms", "+919847012345")],
            level=1,
            severity="critical",
            now=NOW,
        )
        outbox.record_notices(conn, message_id, [Notice(fact, user_key("ada"), 1, "new", NOW)], NOW)
        d = notify_deliveries.c
        conn.execute(
            notify_deliveries.update()
            .where(d.message_id == message_id, d.channel == "email")
            .values(state="sent", attempts=1, sent_at=NOW + timedelta(seconds=1))
        )
        conn.execute(
            notify_deliveries.update()
            .where(d.message_id == message_id, d.channel == "sms")
            .values(state="gave_up", attempts=1, last_error=outbox.UNKNOWN_OUTCOME)
        )


def post(
    client: FlaskClient, app: dash.Dash, key: str, values: dict[str, Any], changed: str
) -> Any:
    body = callback_payload(app, key, values)
    body["changedPropIds"] = [changed]
    for item in body["inputs"]:
        if isinstance(item, dict) and f"{item['id']}.{item['property']}" == changed:
            item["value"] = values.get(changed, 1)
    return client.post("/_dash-update-component", json=body, headers={"Origin": ORIGIN})


def test_an_admin_adds_a_route_and_a_bad_value_is_named(
    dashboard_app: dash.Dash, clients: dict[str, FlaskClient]
) -> None:
    engine = current(dashboard_app.server).engine
    key = callback_key(dashboard_app, "notify.route_add")
    click = f"{ids.NOTIFY_ROUTE_ADD}.n_clicks"
    values: dict[str, Any] = {
        click: 1,
        f"{ids.NOTIFY_ROUTE_DISTRICT}.value": "Ernakulam",
        f"{ids.NOTIFY_ROUTE_LEVEL}.value": 2,
        f"{ids.NOTIFY_ROUTE_USER}.value": "otto",
        f"{ids.NOTIFY_ROUTE_DELAY}.value": 30,
    }
    said = post(clients["admin"], dashboard_app, key, values, click).get_json()["response"]
    assert said[ids.NOTIFY_MESSAGE]["children"].startswith("Route ")
    for wrong, field in (
        ({f"{ids.NOTIFY_ROUTE_DISTRICT}.value": "Wayanad"}, "district"),
        ({f"{ids.NOTIFY_ROUTE_DELAY}.value": "soon"}, "delay_min"),
        ({f"{ids.NOTIFY_ROUTE_USER}.value": ["otto"]}, "user"),
    ):
        said = post(clients["admin"], dashboard_app, key, values | wrong, click).get_json()
        assert said["response"][ids.NOTIFY_MESSAGE]["children"].startswith(
            f"Route not added: {field}: "
        )
    with engine.connect() as conn:
        routes = conn.execute(
            select(notify_routes.c.district, notify_routes.c.level, notify_routes.c.username)
        ).all()
        audited = conn.execute(
            select(audit_log.c.outcome, audit_log.c.address).where(
                audit_log.c.action == "notify.route_add", audit_log.c.username == "ada"
            )
        ).all()
    assert [tuple(r) for r in routes] == [("Ernakulam", 2, "otto")]
    assert [o for o, _ in audited] == ["ok", "failed", "failed", "failed"]
    assert audited[0][1] is not None  # the admin's address


def test_the_alerts_page_shows_who_was_told_and_how_it_went(
    dashboard_app: dash.Dash, clients: dict[str, FlaskClient]
) -> None:
    told(current(dashboard_app.server).engine)
    key = next(k for k in callback_entries(dashboard_app) if "sp-alerts-table.children" in k)
    values = {f"{ids.ALERTS_STATE}.value": "active", f"{ids.ALERTS_FEEDER}.value": None}
    drawn = json.dumps(
        post(clients["viewer"], dashboard_app, key, values, f"{ids.ALERTS_STATE}.value").get_json()
    )
    assert "Told 1: ada \\u00b7 1 sent, 1 gave up" in drawn
    assert "email a***@kseb.in: sent" in drawn
    assert "sms +91******2345: gave up (1 try): outcome unknown" in drawn
    assert "ada@kseb.in" not in drawn


def test_deliveries_are_listed_and_an_admin_sends_a_given_up_one_again(
    dashboard_app: dash.Dash, clients: dict[str, FlaskClient]
) -> None:
    engine = current(dashboard_app.server).engine
    key = next(
        k for k in callback_entries(dashboard_app) if f"{ids.NOTIFY_DELIVERIES}.children" in k
    )
    state = f"{ids.NOTIFY_STATE}.value"
    listed = post(clients["viewer"], dashboard_app, key, {state: "gave_up"}, state).get_json()[
        "response"
    ]
    assert "outcome unknown" in json.dumps(listed[ids.NOTIFY_DELIVERIES])
    assert "Send again" not in json.dumps(listed[ids.NOTIFY_DELIVERIES])  # a viewer cannot
    assert listed[ids.NOTIFY_SUMMARY]["children"] == "All deliveries: 1 sent, 1 gave up."
    with engine.connect() as conn:
        gone = conn.execute(
            select(notify_deliveries.c.delivery_id).where(notify_deliveries.c.state == "gave_up")
        ).scalar_one()
    resend_key = callback_key(dashboard_app, "notify.resend")
    button = json.dumps({"delivery": gone, "type": ids.NOTIFY_RESEND_TYPE}, separators=(",", ":"))
    body = callback_payload(dashboard_app, resend_key)
    body["inputs"][0] = [
        {
            "id": {"type": ids.NOTIFY_RESEND_TYPE, "delivery": gone},
            "property": "n_clicks",
            "value": 1,
        }
    ]
    body["changedPropIds"] = [f"{button}.n_clicks"]
    said = (
        clients["admin"]
        .post("/_dash-update-component", json=body, headers={"Origin": ORIGIN})
        .get_json()
    )
    assert said["response"][ids.NOTIFY_MESSAGE]["children"].startswith(
        f"Delivery {gone} queued again as "
    )
    with engine.connect() as conn:
        states = sorted(conn.execute(select(notify_deliveries.c.state)).scalars())
    assert states == ["gave_up", "queued", "sent"]


@pytest.mark.browser
def test_in_chromium_the_alert_unfolds_who_was_told_and_the_page_lists_deliveries_and_routes(
    live_server: LiveServer, browser: Callable[[str], Any]
) -> None:
    engine = live_server.engine()
    told(engine)
    with engine.begin() as conn:
        add_route(conn, district="Thiruvananthapuram", level=1, username="ada")
        add_route(conn, district="*", severity="critical", level=3, username="otto", delay_min=30)
    engine.dispose()
    driver = browser("admin")
    driver.get(live_server.base + "/alerts")
    summary = wait_for(driver, ".sp-notices summary", "Told 1: ada")
    summary.click()
    wait_for(driver, ".sp-notices-list", "email a***@kseb.in: sent")
    screenshot(driver, "notify-alert-detail")
    driver.get(live_server.base + "/notifications")
    wait_for(driver, f"#{ids.NOTIFY_SUMMARY}", "1 sent, 1 gave up")
    wait_for(driver, f"#{ids.NOTIFY_ROUTES}", "every district and HQ")
    rows = texts(driver, f"#{ids.NOTIFY_DELIVERIES} tbody tr")
    assert any("gave up" in r and "Send again" in r for r in rows)
    assert driver.find_elements(By.ID, ids.NOTIFY_ROUTE_ADD)
    screenshot(driver, "notify-page")
    driver.get(live_server.base + "/users")
    wait_for(driver, f"#{ids.USERS_TABLE}", "ada@kseb.in")
    assert driver.find_elements(By.ID, ids.USERS_SET_CONTACT)
    screenshot(driver, "notify-users-contacts")


def test_an_admin_sets_a_users_contact_and_a_bad_one_is_named(
    dashboard_app: dash.Dash, clients: dict[str, FlaskClient]
) -> None:
    engine = current(dashboard_app.server).engine
    key = callback_key(dashboard_app, "user.set_contact")
    click = f"{ids.USERS_SET_CONTACT}.n_clicks"
    values: dict[str, Any] = {
        click: 1,
        f"{ids.USERS_TARGET}.value": "otto",
        f"{ids.USERS_CONTACT_EMAIL}.value": "otto@kseb.in",
        f"{ids.USERS_CONTACT_PHONE}.value": "0484 1234",
        f"{ids.USERS_CONTACT_QUIET}.value": "off",
    }
    said = post(clients["admin"], dashboard_app, key, values, click).get_json()["response"]
    assert said[ids.USERS_MESSAGE]["children"].startswith("Contact not changed: phone: ")
    values[f"{ids.USERS_CONTACT_PHONE}.value"] = "+91 94470 00001"
    said = post(clients["admin"], dashboard_app, key, values, click).get_json()["response"]
    assert said[ids.USERS_MESSAGE]["children"] == "otto: contact saved."
    with engine.connect() as conn:
        contact = get_contact(conn, "otto")
        audited = conn.execute(
            select(audit_log.c.username, audit_log.c.detail).where(
                audit_log.c.action == "user.set_contact", audit_log.c.target == "otto"
            )
        ).all()
    assert (contact.email, contact.phone, contact.quiet_hours) == (
        "otto@kseb.in",
        "+919447000001",
        "off",
    )
    assert [(u, d) for u, d in audited] == [("ada", {"changed": ["email", "phone", "quiet_hours"]})]
