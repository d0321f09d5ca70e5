"""Provisioning of feeders and houses from CSV files: `python -m store feeders|houses import F.csv`.

The files are parsed and checked by grid.provisioning (the rule the edge applies too).
`import_feeders` and `import_houses` read a file, check it whole, then upsert every row on the
caller's connection, so that inside one transaction a bad file writes nothing and importing the
same file again changes nothing.

    feeders.csv  feeder_id,name,district,lat,lon,kva        (lat/lon [°], kva [kVA])
    houses.csv   house_id,feeder_id,phase,pv_kw,switchable  (phase R|Y|B, pv_kw [kW], 0|1)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from sqlalchemy import Connection, Table, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from grid.provisioning import FEEDER_COLUMNS as FEEDER_COLUMNS  # noqa: PLC0414 (re-exported)
from grid.provisioning import HOUSE_COLUMNS as HOUSE_COLUMNS  # noqa: PLC0414
from grid.provisioning import FeederRow as FeederRow  # noqa: PLC0414
from grid.provisioning import HouseRow as HouseRow  # noqa: PLC0414
from grid.provisioning import ProvisionError as ProvisionError  # noqa: PLC0414
from grid.provisioning import parse_feeders as parse_feeders  # noqa: PLC0414
from grid.provisioning import parse_houses as parse_houses  # noqa: PLC0414
from store.audit import CLI_ACTOR, audit
from store.schema import feeders, houses

_CHUNK: Final = 500
"""Ids per `IN (...)` look-up, well below every driver's limit on bound parameters."""


@dataclass(frozen=True, slots=True)
class ImportCounts:
    """What an import did: new rows, changed rows and rows already as in the file."""

    inserted: int
    updated: int
    unchanged: int

    @property
    def total(self) -> int:
        """Return the number of rows in the file."""
        return self.inserted + self.updated + self.unchanged


# --- the database ----------------------------------------------------------------------------


def read_lines(path: Path) -> list[str]:
    """Return the lines of a UTF-8 CSV file (a byte-order mark is dropped), or raise."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as file:
            return file.readlines()
    except UnicodeDecodeError as exc:
        raise ProvisionError(str(path), None, None, f"not UTF-8 text: {exc.reason}") from None
    except OSError as exc:
        raise ProvisionError(str(path), None, None, f"cannot be read: {exc.strerror}") from None


def import_feeders(
    conn: Connection,
    path: Path,
    *,
    actor: str | None = None,
    now: datetime | None = None,
) -> ImportCounts:
    """Check a feeders CSV whole, then upsert its rows and audit the import."""
    source = str(path)
    rows = parse_feeders(read_lines(path), source)
    counts = upsert_feeders(conn, rows, now=now)
    _audit_import(conn, "feeders.import", source, counts, actor, now)
    return counts


def import_houses(
    conn: Connection,
    path: Path,
    *,
    actor: str | None = None,
    now: datetime | None = None,
) -> ImportCounts:
    """Check a houses CSV whole (its feeders must be provisioned), then upsert and audit."""
    source = str(path)
    rows = parse_houses(read_lines(path), source)
    known = _existing(conn, feeders, "feeder_id", {row.feeder_id for row in rows})
    for row in rows:
        if row.feeder_id not in known:
            raise ProvisionError(
                source, row.line, "feeder_id", f"feeder {row.feeder_id!r} is not provisioned"
            )
    counts = upsert_houses(conn, rows, now=now)
    _audit_import(conn, "houses.import", source, counts, actor, now)
    return counts


def upsert_feeders(
    conn: Connection, rows: Sequence[FeederRow], *, now: datetime | None = None
) -> ImportCounts:
    """Insert new feeders and update name, district, lat, lon and kva of known ones."""
    values = [
        {
            "feeder_id": row.feeder_id,
            "name": row.name,
            "district": row.district,
            "lat": row.lat,
            "lon": row.lon,
            "kva": row.kva,
        }
        for row in rows
    ]
    return _upsert(conn, feeders, "feeder_id", values, now or datetime.now(UTC))


def upsert_houses(
    conn: Connection, rows: Sequence[HouseRow], *, now: datetime | None = None
) -> ImportCounts:
    """Insert new houses and update pv_kw and switchable of known ones.

    A new house's phase is also its as-built phase (`built_phase`), which the reports' savings
    put its load back on. The phase of a house that is already provisioned is its live phase,
    which the controllers change and the ingest worker records; a re-import leaves both alone.
    """
    values = [
        {
            "house_id": row.house_id,
            "feeder_id": row.feeder_id,
            "phase": row.phase.value,
            "built_phase": row.phase.value,
            "pv_kw": row.pv_kw,
            "switchable": row.switchable,
        }
        for row in rows
    ]
    return _upsert(
        conn,
        houses,
        "house_id",
        values,
        now or datetime.now(UTC),
        insert_only=("phase", "built_phase"),
    )


def _upsert(
    conn: Connection,
    table: Table,
    key: str,
    values: Sequence[dict[str, Any]],
    now: datetime,
    *,
    insert_only: Sequence[str] = (),
) -> ImportCounts:
    if not values:
        return ImportCounts(0, 0, 0)
    columns = list(values[0])
    stored = _existing(conn, table, key, {value[key] for value in values}, columns)

    def differs(value: dict[str, Any]) -> bool:
        known = stored.get(value[key])
        if known is None:
            return True
        return any(known[c] != value[c] for c in columns if c not in insert_only)

    changed = [value for value in values if differs(value)]
    inserted = sum(1 for value in changed if value[key] not in stored)
    if changed:
        insert = sqlite_insert(table) if conn.dialect.name == "sqlite" else pg_insert(table)
        stmt = insert.on_conflict_do_update(
            index_elements=[key],
            set_={
                name: insert.excluded[name]
                for name in columns
                if name != key and name not in insert_only
            },
        )
        conn.execute(stmt, [{**value, "created_at": now} for value in changed])
    return ImportCounts(
        inserted=inserted,
        updated=len(changed) - inserted,
        unchanged=len(values) - len(changed),
    )


def _existing(
    conn: Connection,
    table: Table,
    key: str,
    ids: Iterable[str],
    columns: Sequence[str] | None = None,
) -> dict[str, dict[str, Any]]:
    """Return the stored `columns` (default: the key) of the rows among `ids`, by id."""
    selected = [table.c[name] for name in (columns or [key])]
    found: dict[str, dict[str, Any]] = {}
    wanted = sorted(ids)
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        for row in conn.execute(select(*selected).where(table.c[key].in_(chunk))).mappings():
            found[row[key]] = dict(row)
    return found


def _audit_import(
    conn: Connection,
    action: str,
    source: str,
    counts: ImportCounts,
    actor: str | None,
    now: datetime | None,
) -> None:
    audit(
        conn,
        actor=actor or CLI_ACTOR,
        action=action,
        target=Path(source).name[:128],
        outcome="ok",
        detail={
            "file": source,
            "inserted": counts.inserted,
            "updated": counts.updated,
            "unchanged": counts.unchanged,
        },
        ts=now,
    )
