"""Provisioning of feeders and houses from CSV files: `python -m store feeders|houses import F.csv`.

`parse_feeders` and `parse_houses` are pure: text in, validated rows out, or a ProvisionError
naming the file, the line and the field. `import_feeders` and `import_houses` read a file, check
it whole, then upsert every row on the caller's connection, so that inside one transaction a
bad file writes nothing and importing the same file again changes nothing.

    feeders.csv  feeder_id,name,district,lat,lon,kva        (lat/lon [°], kva [kVA])
    houses.csv   house_id,feeder_id,phase,pv_kw,switchable  (phase R|Y|B, pv_kw [kW], 0|1)
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, TypeVar

from sqlalchemy import Connection, Table, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from grid.messages import WireError, check_feeder_id, check_house_id
from grid.phasors import Phase
from store.audit import CLI_ACTOR, audit
from store.schema import feeders, houses

FEEDER_COLUMNS: Final = ("feeder_id", "name", "district", "lat", "lon", "kva")
HOUSE_COLUMNS: Final = ("house_id", "feeder_id", "phase", "pv_kw", "switchable")

NAME_MAX: Final = 120
"""Longest feeder name [characters] (the `feeders.name` column)."""

DISTRICT_MAX: Final = 60
"""Longest district name [characters] (the `feeders.district` column)."""

_CHUNK: Final = 500
"""Ids per `IN (...)` look-up, well below every driver's limit on bound parameters."""

_UNSAFE_TEXT: Final = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
"""Control characters, bidirectional overrides and surrogates; ZWJ/ZWNJ (Malayalam) stay."""

MARKUP_CHARACTERS: Final = "<>&\"'`"
"""Characters that could open markup or leave an attribute, refused in names and districts
(ids allow only letters, digits and '-'). The control room shows every name as text anyway."""

_SWITCHABLE: Final = {"1": True, "true": True, "0": False, "false": False}


class ProvisionError(ValueError):
    """A provisioning file that cannot be imported; the message names file, line and field."""

    def __init__(self, source: str, line: int | None, field: str | None, reason: str) -> None:
        super().__init__(source, line, field, reason)
        self.source = source
        self.line = line
        self.field = field
        self.reason = reason

    def __str__(self) -> str:
        """Return "houses.csv line 7, field phase: 'X' is not R, Y or B"."""
        where = self.source
        if self.line is not None:
            where += f" line {self.line}"
        if self.field is not None:
            where += f", field {self.field}"
        return f"{where}: {self.reason}"


@dataclass(frozen=True, slots=True)
class FeederRow:
    """One distribution transformer as provisioned."""

    line: int
    feeder_id: str
    name: str
    district: str
    lat: float  # [°]
    lon: float  # [°]
    kva: float  # [kVA]


@dataclass(frozen=True, slots=True)
class HouseRow:
    """One house node as provisioned."""

    line: int
    house_id: str
    feeder_id: str
    phase: Phase
    pv_kw: float  # [kW]
    switchable: bool


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


# --- parsing (pure) ------------------------------------------------------------------------

_T = TypeVar("_T")
_R = TypeVar("_R", FeederRow, HouseRow)


def parse_feeders(lines: Iterable[str], source: str) -> list[FeederRow]:
    """Return the validated rows of a feeders CSV, or raise ProvisionError."""
    rows = [
        FeederRow(
            line=line,
            feeder_id=_field(source, line, "feeder_id", cells, _feeder_id),
            name=_field(source, line, "name", cells, _text(NAME_MAX)),
            district=_field(source, line, "district", cells, _text(DISTRICT_MAX)),
            lat=_field(source, line, "lat", cells, _number(-90.0, 90.0, "a latitude [°]")),
            lon=_field(source, line, "lon", cells, _number(-180.0, 180.0, "a longitude [°]")),
            kva=_field(source, line, "kva", cells, _positive),
        )
        for line, cells in _records(lines, source, FEEDER_COLUMNS)
    ]
    _refuse_repeats(rows, source, "feeder_id", lambda row: row.feeder_id)
    return rows


def parse_houses(lines: Iterable[str], source: str) -> list[HouseRow]:
    """Return the validated rows of a houses CSV, or raise ProvisionError."""
    rows = []
    for line, cells in _records(lines, source, HOUSE_COLUMNS):
        feeder_id = _field(source, line, "feeder_id", cells, _feeder_id)
        rows.append(
            HouseRow(
                line=line,
                house_id=_field(source, line, "house_id", cells, _house_id_of(feeder_id)),
                feeder_id=feeder_id,
                phase=_field(source, line, "phase", cells, _phase),
                pv_kw=_field(source, line, "pv_kw", cells, _non_negative),
                switchable=_field(source, line, "switchable", cells, _switchable),
            )
        )
    _refuse_repeats(rows, source, "house_id", lambda row: row.house_id)
    return rows


def _records(
    lines: Iterable[str], source: str, columns: Sequence[str]
) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (line number, cells by column) of each non-blank record after a valid header."""
    reader = csv.reader(lines, strict=True)
    expected = ",".join(columns)
    try:
        header = next(reader, None)
        if header is None:
            raise ProvisionError(source, 1, "header", f"the file is empty; expected {expected}")
        names = [name.strip() for name in header]
        _check_header(names, columns, source)
        count = 0
        start = reader.line_num + 1
        for record in reader:
            line, start = start, reader.line_num + 1
            if not any(cell.strip() for cell in record):
                continue
            if len(record) != len(names):
                raise ProvisionError(
                    source, line, None, f"{len(record)} fields, the header has {len(names)}"
                )
            count += 1
            yield line, {name: cell.strip() for name, cell in zip(names, record, strict=True)}
    except csv.Error as exc:
        raise ProvisionError(source, reader.line_num, None, f"not valid CSV: {exc}") from None
    if count == 0:
        raise ProvisionError(source, None, None, "no rows after the header")


def _check_header(names: Sequence[str], columns: Sequence[str], source: str) -> None:
    problems = []
    if missing := [name for name in columns if name not in names]:
        problems.append(f"missing {', '.join(missing)}")
    if extra := [name for name in names if name not in columns]:
        problems.append(f"unexpected {', '.join(repr(name) for name in extra)}")
    if repeated := sorted({name for name in names if names.count(name) > 1}):
        problems.append(f"repeated {', '.join(repeated)}")
    if problems:
        raise ProvisionError(
            source, 1, "header", f"{'; '.join(problems)} (expected {','.join(columns)})"
        )


def _field(
    source: str, line: int, name: str, cells: Mapping[str, str], parse: Callable[[str], _T]
) -> _T:
    try:
        return parse(cells[name])
    except ValueError as exc:
        reason = exc.reason if isinstance(exc, WireError) else str(exc)
        raise ProvisionError(source, line, name, reason) from None


def _refuse_repeats(rows: Sequence[_R], source: str, field: str, key: Callable[[_R], str]) -> None:
    first: dict[str, int] = {}
    for row in rows:
        value = key(row)
        if value in first:
            raise ProvisionError(
                source, row.line, field, f"{value!r} is repeated (first on line {first[value]})"
            )
        first[value] = row.line


def _feeder_id(value: str) -> str:
    return check_feeder_id(value)


def _house_id_of(feeder_id: str) -> Callable[[str], str]:
    def parse(value: str) -> str:
        return check_house_id(value, feeder_id)

    return parse


def _text(max_len: int) -> Callable[[str], str]:
    def parse(value: str) -> str:
        if not value:
            raise ValueError("is empty")
        if len(value) > max_len:
            raise ValueError(f"{value[:20]!r}... is longer than {max_len} characters")
        if _UNSAFE_TEXT.search(value):
            raise ValueError(f"{value!r} contains control or bidirectional-override characters")
        if found := sorted({ch for ch in value if ch in MARKUP_CHARACTERS}):
            raise ValueError(
                f"{value[:40]!r} contains the markup character(s) {' '.join(found)},"
                f" which a name may not hold (none of {' '.join(MARKUP_CHARACTERS)})"
            )
        return value

    return parse


def _float(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a number") from None
    if not math.isfinite(number):
        raise ValueError(f"{value!r} is not a finite number")
    return number


def _number(low: float, high: float, what: str) -> Callable[[str], float]:
    def parse(value: str) -> float:
        number = _float(value)
        if not low <= number <= high:
            raise ValueError(f"{value!r} is not {what} between {low:g} and {high:g}")
        return number

    return parse


def _positive(value: str) -> float:
    number = _float(value)
    if number <= 0:
        raise ValueError(f"{value!r} is not above 0")
    return number


def _non_negative(value: str) -> float:
    number = _float(value)
    if number < 0:
        raise ValueError(f"{value!r} is below 0")
    return number


def _phase(value: str) -> Phase:
    try:
        return Phase(value)
    except ValueError:
        raise ValueError(f"{value!r} is not R, Y or B") from None


def _switchable(value: str) -> bool:
    try:
        return _SWITCHABLE[value.lower()]
    except KeyError:
        raise ValueError(f"{value!r} is not 0, 1, true or false") from None


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
