"""The command service's own refusals carry a message key (hq.commands.ERRORS)."""

from __future__ import annotations

from pathlib import Path

import pytest

from components.feeder_view import refusal_text
from components.strings import text
from grid.messages import ControlAction, Mode
from hq.commands import ERRORS, CommandService
from hq.publisher import PublishOutcome
from keys import StaticKeys
from store.commands import CommandError
from store.db import make_engine
from store.migrate import upgrade


class NoBroker:
    """A publisher that must not be reached."""

    def publish(self, topic: str, payload: bytes) -> PublishOutcome:
        raise AssertionError(f"published {topic}")


def test_a_feeder_without_a_signing_key_is_refused_by_message_key(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/store.db")
    upgrade(engine)
    service = CommandService(engine, StaticKeys({}), NoBroker())
    with pytest.raises(CommandError) as caught:
        service.issue("KL-EKM-0001", ControlAction.SET_MODE, actor="ada", mode=Mode.MANUAL)
    engine.dispose()
    error = caught.value
    assert error.field == "feeder"
    assert error.key == "error_no_feeder_key"
    assert error.message == "KL-EKM-0001 has no signing key in the keys directory"
    assert error.message == ERRORS["error_no_feeder_key"].format(**error.fields)
    said = text("error_no_feeder_key", "ml").format(**error.fields)
    assert said.startswith("KL-EKM-0001")
    assert said != error.message
    assert refusal_text(error) == error.message  # outside a request: English
