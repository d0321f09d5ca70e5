"""Denials in the audit log, folded: a denial repeated within a minute is counted on the row of
the first one instead of writing a row of its own.

A signed-in caller's denial folds into an earlier one with the same actor, address, action,
target and detail. An anonymous caller's folds into an earlier one from the same address for the
same action, whatever target and detail it names (those are the caller's to choose). The row's
detail then says how many denials it stands for (`count`) and when the last one came (`last`,
ISO 8601 UTC). A flood of refused requests writes about one row per minute per source, not one
per request, and every denial is still counted.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from sqlalchemy import Connection, select, text

from store.audit import audit
from store.schema import audit_log

FOLD_WINDOW_S: Final = 60
"""A denial folds into an earlier one that began at most this long ago [s]."""

FOLD_KEYS: Final = ("count", "last")
"""The detail keys the folding itself writes."""

_CANDIDATES: Final = 20
"""Recent denials of the same source and action compared with a new one."""

_COUNT_SQL: Final = {
    "sqlite": "UPDATE audit_log SET detail = json_set(detail,"
    " '$.count', COALESCE(json_extract(detail, '$.count'), 1) + 1, '$.last', :last)"
    " WHERE entry_id = :entry",
    "postgresql": "UPDATE audit_log SET detail = detail || jsonb_build_object("
    "'count', COALESCE((detail->>'count')::bigint, 1) + 1, 'last', CAST(:last AS text))"
    " WHERE entry_id = :entry",
}


def record_denial(
    conn: Connection,
    *,
    actor: str | None,
    action: str,
    target: str,
    detail: Mapping[str, Any],
    address: str | None,
    now: datetime | None = None,
    window_s: int = FOLD_WINDOW_S,
) -> bool:
    """Write the audit row of a denial, or count it on the row of the same recent denial.

    Return True when a new row was written.
    """
    now = now or datetime.now(UTC)
    t = audit_log.c
    query = (
        select(t.entry_id, t.detail)
        .where(
            t.ts >= now - timedelta(seconds=window_s),
            t.action == action,
            t.outcome == "denied",
            t.address.is_(None) if address is None else t.address == address,
            t.username.is_(None) if actor is None else t.username == actor,
        )
        .order_by(t.entry_id.desc())
        .limit(_CANDIDATES)
    )
    if actor is not None:
        query = query.where(t.target == target)
    wanted = _comparable(detail)
    for row in conn.execute(query).all():  # read whole before writing (SQLite: no open cursor)
        if actor is None or _comparable(_as_dict(row.detail)) == wanted:
            conn.execute(
                text(_COUNT_SQL[conn.dialect.name]),
                {"last": now.astimezone(UTC).isoformat(), "entry": row.entry_id},
            )
            return False
    audit(
        conn,
        actor=actor,
        action=action,
        target=target,
        outcome="denied",
        detail=detail,
        address=address,
        ts=now,
    )
    return True


def _as_dict(detail: Any) -> dict[str, Any]:
    if isinstance(detail, str):
        detail = json.loads(detail)
    return dict(detail) if isinstance(detail, dict) else {}


def _comparable(detail: Mapping[str, Any]) -> str:
    """Return a detail without the folding's own keys, as canonical JSON."""
    kept = {k: v for k, v in detail.items() if k not in FOLD_KEYS}
    return json.dumps(kept, sort_keys=True, default=str)
