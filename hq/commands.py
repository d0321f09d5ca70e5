"""Issue an operator command: store it, sign it, publish it, record what the broker said.

`CommandService.issue` is what the pages call (after `components.access.authorize`). The
command is committed as `requested` before it is published, so a command that cannot be sent
stays visible with its state and reason; from `sent` on, the edge's command_result events move
it (store.writer.advance_command).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Final, Protocol

from sqlalchemy import Engine

from grid.messages import ControlAction, Mode, TopicKind, topic_for
from grid.phasors import Phase
from hq.publisher import PublishOutcome
from keys import KeyFileError, Keyring
from store.audit import audit
from store.commands import (
    DEFAULT_TTL_S,
    CommandError,
    create_command,
    mark_not_sent,
    mark_sent,
    note_waiting,
)
from store.queries import Command, command

log = logging.getLogger("hq.commands")

SERVICE_NAME = "commands"
"""The name the command service is registered under (components.runtime.service)."""

ERRORS: Final[Mapping[str, str]] = {
    "error_no_feeder_key": "{feeder} has no signing key in the keys directory",
}
"""Why the command service refuses a command before it is stored, in English by message key
(as store.commands.ERRORS; the control room shows them in its language, components.strings)."""


class Publisher(Protocol):
    """What publishes a command (hq.publisher.CommandPublisher, or a test double)."""

    def publish(self, topic: str, payload: bytes) -> PublishOutcome:
        """Publish at QoS 1 and say what the broker did."""


class CommandService:
    """Creates, signs and publishes operator commands for one dashboard process."""

    def __init__(
        self,
        engine: Engine,
        keys: Keyring,
        publisher: Publisher,
        *,
        ttl_s: int = DEFAULT_TTL_S,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.engine = engine
        self.keys = keys
        self.publisher = publisher
        self.ttl_s = ttl_s
        self.clock = clock

    def issue(
        self,
        feeder_id: str,
        action: ControlAction,
        *,
        actor: str,
        why: str = "",
        mode: Mode | None = None,
        house: str | None = None,
        to_phase: Phase | None = None,
        config: Mapping[str, float] | None = None,
        address: str | None = None,
    ) -> Command:
        """Create, sign and publish a command; return it as stored after the publish.

        Raises CommandError (with the field to blame) when the command cannot be created,
        including a feeder without a usable signing key; the refusal is in the audit log.
        """
        now = self.clock()
        refusal = CommandError(
            "feeder",
            ERRORS["error_no_feeder_key"].format(feeder=feeder_id),
            key="error_no_feeder_key",
            fields={"feeder": feeder_id},
        )
        reason = "no_feeder_key"
        try:
            key = self.keys.key(feeder_id)
        except KeyFileError as exc:  # not a feeder id, or a bad key file
            key, reason, refusal = None, "bad_feeder_key", CommandError("feeder", str(exc))
        if key is None:
            with self.engine.begin() as conn:
                audit(
                    conn,
                    actor=actor,
                    action=f"command.{action}",
                    target=(house or feeder_id or "")[:128],
                    outcome="failed",
                    detail={"feeder_id": feeder_id, "reason": reason, "why": why},
                    address=address,
                    ts=now,
                )
            raise refusal
        with self.engine.begin() as conn:
            issued = create_command(
                conn,
                feeder_id=feeder_id,
                action=action,
                actor=actor,
                key=key,
                why=why,
                mode=mode,
                house=house,
                to_phase=to_phase,
                config=config,
                now=now,
                ttl_s=self.ttl_s,
                address=address,
            )
        cmd_id = issued.command.cmd_id
        outcome = self.publisher.publish(
            topic_for(TopicKind.CTL, feeder_id), issued.message.to_json()
        )
        with self.engine.begin() as conn:
            if outcome is PublishOutcome.SENT:
                mark_sent(conn, cmd_id, actor=actor, at=self.clock())
            elif outcome is PublishOutcome.NO_PUBACK:
                note_waiting(conn, cmd_id, str(outcome), self.clock())
            else:
                mark_not_sent(conn, cmd_id, str(outcome), actor=actor, at=self.clock())
            stored = command(conn, cmd_id)
        assert stored is not None
        log.info("command %s %s to %s: %s", cmd_id, action, feeder_id, outcome)
        return stored

    def status(self, cmd_id: str) -> Command | None:
        """Return a command as it stands now."""
        with self.engine.connect() as conn:
            return command(conn, cmd_id)
