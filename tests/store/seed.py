"""Insert hand-made store rows for tests, with SQLAlchemy Core and plain defaults."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import pytest
from sqlalchemy import Connection, insert

from store import schema as db
from store.db import Backend, detect_backend
from store.schema import FEEDER_MEASURES

T0: Final = datetime(2024, 6, 1, tzinfo=UTC)
"""A Saturday midnight UTC (05:30 IST), bucket-aligned at every resolution."""

BALANCED: Final = {
    "p_r": 10_000.0, "p_y": 10_000.0, "p_b": 10_000.0,
    "q_r": 1_000.0, "q_y": 1_000.0, "q_b": 1_000.0,
    "i_r": 44.0, "i_y": 44.0, "i_b": 44.0,
    "v_r": 230.0, "v_y": 230.0, "v_b": 230.0,
    "i_n": 1.0,
}  # fmt: skip
"""A feeder summary with equal phases well inside a 100 kVA rating."""


def add_feeder(
    conn: Connection,
    feeder_id: str,
    *,
    name: str | None = None,
    district: str = "Thiruvananthapuram",
    lat: float = 8.52,
    lon: float = 76.94,
    kva: float = 100.0,
    mode: str = "auto",
    online: bool = True,
    last_seen: datetime | None = None,
) -> str:
    """Provision a feeder; return its id."""
    conn.execute(
        insert(db.feeders).values(
            feeder_id=feeder_id,
            name=name or f"Feeder {feeder_id}",
            district=district,
            lat=lat,
            lon=lon,
            kva=kva,
            mode=mode,
            online=online,
            last_seen=last_seen,
            created_at=T0 - timedelta(days=365),
        )
    )
    return feeder_id


def add_house(
    conn: Connection,
    house_id: str,
    feeder_id: str,
    phase: str = "R",
    *,
    pv_kw: float = 0.0,
    switchable: bool = True,
    locked: bool = False,
    online: bool | None = True,
) -> str:
    """Provision a house on a feeder; return its id."""
    conn.execute(
        insert(db.houses).values(
            house_id=house_id,
            feeder_id=feeder_id,
            phase=phase,
            pv_kw=pv_kw,
            switchable=switchable,
            locked=locked,
            online=online,
            created_at=T0 - timedelta(days=365),
        )
    )
    return house_id


def summary(ts: datetime, feeder_id: str, **values: Any) -> dict[str, Any]:
    """Return a feeder summary row: BALANCED unless overridden."""
    row: dict[str, Any] = {"ts": ts, "feeder_id": feeder_id, **BALANCED}
    row.update(unbalance_pct=0.0, mode="auto", houses_online=10, houses_total=10)
    row.update(values)
    return row


def add_feeder_readings(conn: Connection, rows: Iterable[Mapping[str, Any]]) -> None:
    """Insert feeder summary rows (see `summary`)."""
    rows = list(rows)
    if rows:
        conn.execute(insert(db.feeder_readings), rows)


def add_feeder_state(conn: Connection, feeder_id: str, ts: datetime, **values: Any) -> None:
    """Insert the latest-summary row of a feeder."""
    conn.execute(insert(db.feeder_state).values(**summary(ts, feeder_id, **values)))


def add_rollup(
    conn: Connection, suffix: str, feeder_id: str, bucket: datetime, value: float, samples: int
) -> None:
    """Insert one rollup bucket with every measure equal to `value`."""
    conn.execute(
        insert(db.feeder_rollups[suffix]).values(
            feeder_id=feeder_id,
            bucket=bucket,
            **dict.fromkeys(FEEDER_MEASURES, value),
            unbalance_pct=value,
            i_n_max=value,
            samples=samples,
        )
    )


def house_reading(
    ts: datetime,
    house_id: str,
    feeder_id: str,
    *,
    phase: str = "R",
    p: float = 1000.0,
    pv: float = 0.0,
) -> dict[str, Any]:
    """Return a house reading row."""
    return {
        "ts": ts,
        "feeder_id": feeder_id,
        "house_id": house_id,
        "phase": phase,
        "v": 230.0,
        "i": abs(p) / 230.0,
        "p": p,
        "q": 0.0,
        "pv": pv,
    }


def add_house_readings(conn: Connection, rows: Iterable[Mapping[str, Any]]) -> None:
    """Insert house reading rows (see `house_reading`)."""
    rows = list(rows)
    if rows:
        conn.execute(insert(db.house_readings), rows)


def add_switch(
    conn: Connection,
    ts: datetime,
    feeder_id: str,
    house_id: str,
    *,
    from_phase: str = "R",
    to_phase: str = "Y",
    result: str = "applied",
    origin: str = "auto",
    cmd_id: str | None = None,
    run_id: str | None = None,
    reason: str = "",
) -> None:
    """Insert a switch outcome."""
    conn.execute(
        insert(db.switch_events).values(
            ts=ts,
            feeder_id=feeder_id,
            house_id=house_id,
            from_phase=from_phase,
            to_phase=to_phase,
            result=result,
            origin=origin,
            cmd_id=cmd_id,
            run_id=run_id,
            reason=reason,
            boot=1,
            seq=0,
        )
    )


def add_run(
    conn: Connection,
    run_id: str,
    feeder_id: str,
    ts: datetime,
    *,
    trigger: str = "auto",
    result: str = "improved",
    before: Sequence[float] | None = (60.0, 40.0, 20.0, 34.6, 50.0),
    after: Sequence[float] | None = (40.0, 40.0, 40.0, 1.0, 0.0),
    moves: Sequence[Mapping[str, Any]] = (),
) -> None:
    """Insert a balancing run; `before`/`after` are (i_r, i_y, i_b, i_n, unbalance_pct)."""
    names = ("i_r", "i_y", "i_b", "i_n", "unbalance_pct")
    values: dict[str, Any] = {}
    for prefix, snap in (("before", before), ("after", after)):
        if snap is not None:
            values.update({f"{prefix}_{n}": v for n, v in zip(names, snap, strict=True)})
    conn.execute(
        insert(db.balancing_runs).values(
            run_id=run_id,
            feeder_id=feeder_id,
            ts=ts,
            trigger=trigger,
            result=result,
            moves=[dict(m) for m in moves],
            boot=1,
            seq=0,
            **values,
        )
    )


def add_command(
    conn: Connection,
    cmd_id: str,
    feeder_id: str,
    requested_at: datetime,
    *,
    house_id: str | None = None,
    action: str = "switch",
    params: Mapping[str, Any] | None = None,
    state: str = "requested",
    requested_by: str = "op1",
) -> None:
    """Insert an operator command."""
    conn.execute(
        insert(db.commands).values(
            cmd_id=cmd_id,
            feeder_id=feeder_id,
            house_id=house_id,
            action=action,
            params=dict(params or {}),
            state=state,
            requested_by=requested_by,
            requested_at=requested_at,
            updated_at=requested_at,
        )
    )


def add_alert(
    conn: Connection,
    alert_id: str,
    feeder_id: str | None,
    raised_at: datetime,
    *,
    house_id: str | None = None,
    kind: str = "unbalance",
    severity: str = "warning",
    state: str = "open",
    message: str = "phase unbalance above 20 %",
) -> None:
    """Insert an alert."""
    conn.execute(
        insert(db.alerts).values(
            alert_id=alert_id,
            feeder_id=feeder_id,
            house_id=house_id,
            kind=kind,
            severity=severity,
            state=state,
            message=message,
            raised_at=raised_at,
            acked_by="op1" if state == "acknowledged" else None,
            acked_at=raised_at if state == "acknowledged" else None,
            cleared_at=raised_at if state == "cleared" else None,
            updated_at=raised_at,
        )
    )


def add_audit(
    conn: Connection,
    ts: datetime,
    action: str,
    *,
    username: str | None = "op1",
    target: str = "",
    outcome: str = "ok",
    detail: Mapping[str, Any] | None = None,
    feeder_id: str | None = None,
) -> None:
    """Insert an audit entry (`feeder_id`: the feeder its target belongs to)."""
    conn.execute(
        insert(db.audit_log).values(
            ts=ts,
            username=username,
            action=action,
            target=target,
            outcome=outcome,
            detail=dict(detail or {}),
            address="127.0.0.1",
            feeder_id=feeder_id,
        )
    )


def add_event(
    conn: Connection, ts: datetime, feeder_id: str, kind: str, data: Mapping[str, Any]
) -> None:
    """Insert an edge event as received."""
    conn.execute(
        insert(db.events).values(
            ts=ts, feeder_id=feeder_id, kind=kind, data=dict(data), boot=1, seq=0
        )
    )


def bucket_means(
    rows: Iterable[Mapping[str, Any]], width_s: int
) -> dict[tuple[str, datetime], dict[str, Any]]:
    """Return each bucket's means, neutral maximum and sample count, computed by hand."""
    groups: dict[tuple[str, datetime], list[Mapping[str, Any]]] = {}
    for row in rows:
        t = row["ts"]
        start = datetime.fromtimestamp((t.timestamp() // width_s) * width_s, UTC)
        groups.setdefault((row["feeder_id"], start), []).append(row)
    out = {}
    for key, members in groups.items():
        figures: dict[str, Any] = {
            m: sum(r[m] for r in members) / len(members) for m in FEEDER_MEASURES
        }
        unbalance = [r["unbalance_pct"] for r in members if r["unbalance_pct"] is not None]
        figures["unbalance_pct"] = sum(unbalance) / len(unbalance) if unbalance else None
        figures["i_n_max"] = max(r["i_n"] for r in members)
        figures["samples"] = len(members)
        out[key] = figures
    return out


def varied_summaries(
    feeder_id: str, start: datetime, count: int, scale: float = 1.0
) -> list[dict[str, Any]]:
    """Return `count` 10 s summaries whose measures differ from step to step."""
    rows = []
    for k in range(count):
        values = {m: scale * ((k * (j + 3)) % 11) for j, m in enumerate(FEEDER_MEASURES)}
        unbalance = None if k % 5 == 0 else float(k % 13)
        rows.append(
            summary(start + timedelta(seconds=10 * k), feeder_id, **values, unbalance_pct=unbalance)
        )
    return rows


def skip_on_timescale(conn: Connection) -> None:
    """Skip a test that writes or refreshes rollup tables, which TimescaleDB keeps itself."""
    if detect_backend(conn, announce=False) is Backend.TIMESCALE:
        pytest.skip("TimescaleDB keeps the rollups as continuous aggregates")
