"""Read the replay's input CSVs into a FeederDay; every error names the file, line and field."""

from __future__ import annotations

import csv
import math
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from grid.phasors import Phase
from grid.timezones import IST
from sim.feeder_day import FeederDay, HouseSpec

HOUSES_HEADER = ("house_id", "phase", "switchable", "pv_kw")
READINGS_HEADER = ("ts", "house_id", "p_w", "q_var", "pv_w")
MAX_ABS_POWER_W = 1e6
"""Largest plausible net power of one house [W]; anything above is a unit or typing error."""


class ReplayInputError(ValueError):
    """A malformed input file; the message names the file, line and field."""

    def __init__(self, path: Path, line: int, field: str, reason: str) -> None:
        super().__init__(f"{path}: line {line}, field {field}: {reason}")
        self.path, self.line, self.field, self.reason = path, line, field, reason


def _rows(path: Path, header: tuple[str, ...]) -> Iterator[tuple[int, list[str]]]:
    """Yield (line number, fields) of a CSV file after checking its header."""
    try:
        handle = path.open(newline="", encoding="utf-8")
    except OSError as exc:
        raise ReplayInputError(path, 0, "-", f"cannot open: {exc.strerror}") from exc
    with handle:
        reader = csv.reader(handle)
        try:
            first = next(reader, None)
            if first is None:
                raise ReplayInputError(path, 1, "header", "file is empty")
            if tuple(col.strip() for col in first) != header:
                raise ReplayInputError(
                    path, 1, "header", f"expected {','.join(header)}, got {','.join(first)}"
                )
            for row in reader:
                if not row or (len(row) == 1 and not row[0].strip()):
                    continue
                if len(row) != len(header):
                    raise ReplayInputError(
                        path,
                        reader.line_num,
                        header[min(len(row), len(header) - 1)],
                        f"expected {len(header)} fields, got {len(row)}",
                    )
                yield reader.line_num, row
        except UnicodeDecodeError as exc:
            raise ReplayInputError(path, reader.line_num + 1, "-", "not UTF-8 text") from exc
        except csv.Error as exc:
            raise ReplayInputError(path, reader.line_num, "-", str(exc)) from exc


def _number(path: Path, line: int, field: str, text: str, low: float, high: float) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ReplayInputError(path, line, field, f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise ReplayInputError(path, line, field, f"{text!r} is not a finite number")
    if not low <= value <= high:
        raise ReplayInputError(path, line, field, f"{value:g} is outside {low:g}…{high:g}")
    return value


def read_houses(path: Path) -> tuple[HouseSpec, ...]:
    """Read `house_id,phase,switchable,pv_kw` rows."""
    houses: list[HouseSpec] = []
    seen: set[str] = set()
    for line, (raw_id, phase, switchable, pv_kw) in _rows(path, HOUSES_HEADER):
        house_id = raw_id.strip()
        if not house_id:
            raise ReplayInputError(path, line, "house_id", "is empty")
        if house_id in seen:
            raise ReplayInputError(path, line, "house_id", f"{house_id!r} is listed twice")
        seen.add(house_id)
        if phase.strip() not in Phase.__members__:
            raise ReplayInputError(path, line, "phase", f"{phase!r} is not R, Y or B")
        if switchable.strip() not in {"0", "1"}:
            raise ReplayInputError(path, line, "switchable", f"{switchable!r} is not 0 or 1")
        houses.append(
            HouseSpec(
                house_id=house_id,
                phase=Phase(phase.strip()),
                switchable=switchable.strip() == "1",
                pv_kw=_number(path, line, "pv_kw", pv_kw, 0.0, 1000.0),
            )
        )
    if not houses:
        raise ReplayInputError(path, 2, "house_id", "no houses listed")
    return tuple(houses)


def read_readings(path: Path, houses: tuple[HouseSpec, ...]) -> FeederDay:
    """Read `ts,house_id,p_w,q_var,pv_w` rows: one row per house per step, in time order."""
    index = {h.house_id: i for i, h in enumerate(houses)}
    n = len(houses)
    steps: list[float] = []
    tz: timezone | None = None
    values: list[np.ndarray] = []
    current: np.ndarray | None = None
    parsed_ts: dict[str, float] = {}
    for line, (ts, house_id, p_w, q_var, pv_w) in _rows(path, READINGS_HEADER):
        ts_s = parsed_ts.get(ts)
        if ts_s is None:
            when = _timestamp(path, line, ts)
            tz = tz or when.tzinfo  # type: ignore[assignment]
            ts_s = parsed_ts[ts] = when.timestamp()
        if not steps or ts_s != steps[-1]:
            if steps and ts_s < steps[-1]:
                raise ReplayInputError(path, line, "ts", f"{ts} is earlier than the row before")
            if current is not None:
                _check_complete(path, line - 1, steps[-1], current, houses)
            steps.append(ts_s)
            current = np.full((n, 3), np.nan)
            values.append(current)
        assert current is not None
        i = index.get(house_id.strip())
        if i is None:
            raise ReplayInputError(
                path, line, "house_id", f"{house_id!r} is not in the houses file"
            )
        if not np.isnan(current[i, 0]):
            raise ReplayInputError(path, line, "house_id", f"{house_id!r} twice at {ts}")
        current[i] = (
            _number(path, line, "p_w", p_w, -MAX_ABS_POWER_W, MAX_ABS_POWER_W),
            _number(path, line, "q_var", q_var, -MAX_ABS_POWER_W, MAX_ABS_POWER_W),
            _number(path, line, "pv_w", pv_w, 0.0, MAX_ABS_POWER_W),
        )
    if current is None:
        raise ReplayInputError(path, 2, "ts", "no readings")
    _check_complete(path, line, steps[-1], current, houses)
    data = np.stack(values)
    return FeederDay(
        houses=houses,
        ts_s=np.asarray(steps, dtype=np.float64),
        p_w=data[:, :, 0],
        q_var=data[:, :, 1],
        pv_w=data[:, :, 2],
        tz=tz or IST,
    )


def _timestamp(path: Path, line: int, text: str) -> datetime:
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ReplayInputError(path, line, "ts", f"{text!r} is not an ISO-8601 time") from None
    if when.tzinfo is None:
        raise ReplayInputError(path, line, "ts", f"{text!r} has no UTC offset")
    return when


def _check_complete(
    path: Path, line: int, ts_s: float, current: np.ndarray, houses: tuple[HouseSpec, ...]
) -> None:
    missing = np.flatnonzero(np.isnan(current[:, 0]))
    if missing.size:
        when = datetime.fromtimestamp(ts_s).astimezone().isoformat()
        raise ReplayInputError(
            path, line, "house_id", f"no reading of {houses[missing[0]].house_id} at {when}"
        )
