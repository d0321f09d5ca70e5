"""Unlocking a locked-out house from the feeder page by direct POST: an operator's click becomes
a signed `unlock` command that goes through its lifecycle with every step audited; a viewer is
refused on the server (HTTP 403), the refusal audited and no command made."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import count
from typing import Final

import dash
import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine, select

from components.runtime import current
from grid.events import CommandResultData, CommandState, LockoutData
from grid.messages import (
    ControlAction,
    ControlCommand,
    Event,
    EventKind,
    TopicKind,
    decode,
    topic_for,
)
from grid.signing import seal_uplink, verify_control_command
from grid.uplink import Uplink
from hq.commands import SERVICE_NAME, CommandService
from hq.publisher import PublishOutcome
from ingest.decode import Fleet, decode_uplink
from store import queries as q
from store.schema import audit_log, commands
from store.writer import WriteBatch, write_batch
from tests.dashboard.conftest import callback_key, denials, post_callback
from tests.store.seed import add_house

FEEDER: Final = "KL-TVM-0001"
HOUSE: Final = f"{FEEDER}-H042"
KEY: Final = b"feeder-key-for-unlock-tests-0123"
UNLOCK: Final = "feeder.unlock"
BUTTON: Final = '{"house":["ALL"],"type":"sp-feeder-unlock"}.n_clicks'
"""The unlock buttons' input as the app's callback map writes it."""


@dataclass
class RecordingPublisher:
    """A broker that takes every message (PUBACK) and keeps it."""

    sent: list[tuple[str, bytes]] = field(default_factory=list)

    def publish(self, topic: str, payload: bytes) -> PublishOutcome:
        self.sent.append((topic, payload))
        return PublishOutcome.SENT


class OneKey:
    def key(self, device_id: str) -> bytes | None:
        return KEY if device_id == FEEDER else None


@pytest.fixture(scope="module")
def unlock_app(dashboard_app: dash.Dash) -> Iterator[tuple[dash.Dash, Engine, RecordingPublisher]]:
    """Return the app with a locked-out house and a command path to a recording broker."""
    runtime = current(dashboard_app.server)
    publisher = RecordingPublisher()
    runtime.services[SERVICE_NAME] = CommandService(runtime.engine, OneKey(), publisher)
    with runtime.engine.begin() as conn:
        add_house(conn, HOUSE, FEEDER, "R")
    edge_event(runtime.engine, EventKind.LOCKOUT, LockoutData(HOUSE, True, "ack_timeout", 1e9))
    yield dashboard_app, runtime.engine, publisher
    runtime.services.pop(SERVICE_NAME, None)


SEQ = count(1)


def edge_event(engine: Engine, kind: EventKind, data: object) -> None:
    """Store an edge event of the feeder as the ingest worker does."""
    event = Event(
        boot=5, seq=next(SEQ), ts_s=datetime.now(UTC).timestamp(), kind=kind,
        data=data.to_data(),  # type: ignore[attr-defined]
    )  # fmt: skip
    uplink = decode_uplink(
        topic_for(TopicKind.EVENT, FEEDER),
        seal_uplink(TopicKind.EVENT, FEEDER, event.to_json(), KEY),
        Fleet({FEEDER: frozenset({HOUSE})}),
        key_of=OneKey().key,
        now_s=event.ts_s,
    )
    assert isinstance(uplink, Uplink), uplink
    with engine.begin() as conn:
        write_batch(conn, WriteBatch(uplinks=[uplink]))


def unlock_commands(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return list(
            conn.execute(select(commands.c.cmd_id).where(commands.c.action == "unlock")).scalars()
        )


def test_a_viewer_is_refused_on_the_server_and_the_refusal_is_audited(
    unlock_app: tuple[dash.Dash, Engine, RecordingPublisher], clients: dict[str, FlaskClient]
) -> None:
    app, engine, publisher = unlock_app
    before = denials(engine, UNLOCK)
    response = post_callback(
        clients["viewer"], app, callback_key(app, UNLOCK), {BUTTON: 1, "sp-feeder-id.data": FEEDER}
    )
    assert response.status_code == 403
    assert denials(engine, UNLOCK) == before + 1
    assert unlock_commands(engine) == []
    assert publisher.sent == []
    with engine.connect() as conn:
        detail = conn.execute(
            select(audit_log.c.detail)
            .where(audit_log.c.action == UNLOCK, audit_log.c.outcome == "denied")
            .order_by(audit_log.c.entry_id.desc())
        ).scalar()
    assert detail is not None
    assert detail["role"] == "viewer"


def test_an_operators_unlock_is_signed_sent_and_followed_to_applied(
    unlock_app: tuple[dash.Dash, Engine, RecordingPublisher], clients: dict[str, FlaskClient]
) -> None:
    app, engine, publisher = unlock_app
    key = callback_key(app, UNLOCK)
    raw = callback_payload_for(app, key, HOUSE)
    response = clients["operator"].post(
        "/_dash-update-component", json=raw, headers={"Origin": "http://localhost"}
    )
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    stored = response.get_json()["response"]["sp-feeder-unlock-command"]["data"]
    assert stored["house"] == HOUSE
    topic, message = publisher.sent[-1]
    assert topic == topic_for(TopicKind.CTL, FEEDER)
    ctl = decode(topic, message)
    assert isinstance(ctl, ControlCommand)
    assert (ctl.action, ctl.house, ctl.cmd_id) == (ControlAction.UNLOCK, HOUSE, stored["cmd_id"])
    verdict = verify_control_command(
        ctl, key=KEY, feeder_id=FEEDER, last_counter=0, now_s=datetime.now(UTC).timestamp()
    )
    assert verdict.accepted

    with engine.connect() as conn:
        cmd = q.command(conn, ctl.cmd_id)
    assert cmd is not None
    assert (cmd.state, cmd.requested_by, cmd.house_id) == ("sent", "otto", HOUSE)
    for state in (CommandState.ACKNOWLEDGED, CommandState.APPLIED):
        if state is CommandState.APPLIED:
            edge_event(engine, EventKind.LOCKOUT, LockoutData(HOUSE, False))
        edge_event(engine, EventKind.COMMAND_RESULT, CommandResultData(ctl.cmd_id, state))
    with engine.connect() as conn:
        final = q.command(conn, ctl.cmd_id)
        house = next(h for h in q.feeder_houses(conn, FEEDER) if h.house_id == HOUSE)
        steps = [
            (e.action, e.outcome, e.target)
            for e in reversed(q.audit_entries(conn, username="otto", action_prefix="command."))
            if e.detail.get("cmd_id") == ctl.cmd_id
        ]
    assert final is not None
    assert final.state == "applied"
    assert not house.locked
    assert steps == [("command.unlock", "ok", HOUSE), ("command.sent", "ok", HOUSE)]


def callback_payload_for(app: dash.Dash, key: str, house: str) -> dict[str, object]:
    """Return the POST a click on `house`'s unlock button makes."""
    button = {"house": house, "type": "sp-feeder-unlock"}
    prop = json.dumps(button, sort_keys=True, separators=(",", ":")) + ".n_clicks"
    return {
        "output": key,
        "outputs": {"id": "sp-feeder-unlock-command", "property": "data"},
        "inputs": [[{"id": button, "property": "n_clicks", "value": 1}]],
        "state": [{"id": "sp-feeder-id", "property": "data", "value": FEEDER}],
        "changedPropIds": [prop],
    }
