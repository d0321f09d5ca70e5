"""The audit trail (DESIGN §7): one `audit_log` row per action and per denial.

Callers write the audit row on the same connection, in the same transaction, as the change it
records, so that a change without its audit row (or the reverse) cannot be committed.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import Connection

from store.schema import audit_log

CLI_ACTOR: Final = "cli"
"""The actor recorded for changes made with `python -m store` on the server."""

OUTCOMES: Final = ("ok", "denied", "failed")
"""What became of an audited action: done, refused for lack of rights, or attempted and failed."""


def audit(
    conn: Connection,
    *,
    actor: str | None,
    action: str,
    target: str,
    outcome: str,
    detail: Mapping[str, Any],
    address: str | None = None,
    ts: datetime | None = None,
) -> None:
    """Write one audit_log row; `actor` None is an anonymous caller (e.g. a failed login)."""
    if outcome not in OUTCOMES:
        raise ValueError(f"outcome {outcome!r} is not one of {', '.join(OUTCOMES)}")
    conn.execute(
        audit_log.insert().values(
            ts=ts or datetime.now(UTC),
            username=actor,
            action=action,
            target=target,
            outcome=outcome,
            detail=dict(detail),
            address=address,
        )
    )
