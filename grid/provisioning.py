"""The provisioning files, feeders.csv and houses.csv, parsed and checked (pure).

One rule for every reader: HQ's import (`python -m store feeders|houses import`, store.provision)
and the edge controller (edge.config) take the rows from here, so a file one of them accepts
the other accepts too. Text in, validated rows out, or a ProvisionError naming the source, the
line and the field (DESIGN §2):

    feeders.csv  feeder_id,name,district,lat,lon,kva        (lat/lon [°], kva [kVA])
    houses.csv   house_id,feeder_id,phase,pv_kw,switchable  (phase R|Y|B, pv_kw [kW], 0|1)

Cells are stripped and blank lines skipped; the header must hold exactly these columns (in any
order). `phase` is R, Y or B in capitals; `switchable` is 0, 1, true or false (any case); `pv_kw`
is a finite number ≥ 0; an id appears once per file, and a house id names its feeder.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Final, TypeVar

from grid.messages import WireError, check_feeder_id, check_house_id
from grid.phasors import Phase

FEEDER_COLUMNS: Final = ("feeder_id", "name", "district", "lat", "lon", "kva")
HOUSE_COLUMNS: Final = ("house_id", "feeder_id", "phase", "pv_kw", "switchable")

NAME_MAX: Final = 120
"""Longest feeder name [characters] (the `feeders.name` column)."""

DISTRICT_MAX: Final = 60
"""Longest district name [characters] (the `feeders.district` column)."""

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
