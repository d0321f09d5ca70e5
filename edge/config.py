"""The houses of a feeder, as the controller is provisioned with them.

Houses come from the provisioning CSV of `python -m store houses import`
(`house_id,feeder_id,phase,pv_kw,switchable`), checked whole by the rule HQ's import applies
(grid.provisioning): a file the edge starts with is one HQ accepts. The signing keys are read
by `keys.KeysDir`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from grid import provisioning
from grid.messages import check_feeder_id
from grid.phasors import Phase
from grid.provisioning import HouseRow, ProvisionError


class ConfigError(ValueError):
    """A houses or feeders file that cannot be used; the message says where."""


@dataclass(frozen=True, slots=True)
class HouseConfig:
    """One provisioned house of the feeder."""

    house_id: str
    phase: Phase
    """Phase the house was wired to at provisioning."""
    pv_kw: float = 0.0
    """Rooftop PV peak [kW]."""
    switchable: bool = True
    """Whether a phase-selector relay is fitted."""


def parse_houses(
    lines: Iterable[str], feeder_id: str, source: str = "houses.csv"
) -> list[HouseConfig]:
    """Return the houses of `feeder_id` in the text of a provisioning houses CSV, in file
    order; the whole file is checked by HQ's rule (grid.provisioning)."""
    check_feeder_id(feeder_id)
    return _houses_of(_parse(lines, source), feeder_id)


def load_houses(path: str | Path, feeder_id: str) -> list[HouseConfig]:
    """Return the houses of `feeder_id` from a provisioning CSV file."""
    check_feeder_id(feeder_id)
    houses = load_fleet_houses(path, [feeder_id])[feeder_id]
    if not houses:
        raise ConfigError(f"{path}: no houses of feeder {feeder_id}")
    return houses


def load_fleet_houses(
    path: str | Path, feeder_ids: Iterable[str] | None = None
) -> dict[str, list[HouseConfig]]:
    """Return the houses of each feeder (default: every feeder of the file), in file order."""
    rows = _parse(_read_lines(path), str(path))
    if feeder_ids is None:
        feeder_ids = dict.fromkeys(row.feeder_id for row in rows)
    return {feeder: _houses_of(rows, feeder) for feeder in feeder_ids}


def _parse(lines: Iterable[str], source: str) -> list[HouseRow]:
    try:
        return provisioning.parse_houses(lines, source)
    except ProvisionError as exc:
        raise ConfigError(str(exc)) from None


def _houses_of(rows: Iterable[HouseRow], feeder_id: str) -> list[HouseConfig]:
    return [
        HouseConfig(row.house_id, row.phase, row.pv_kw, row.switchable)
        for row in rows
        if row.feeder_id == feeder_id
    ]


def load_feeder_ratings(path: str | Path) -> dict[str, float]:
    """Return each feeder's transformer rating [kVA] from a provisioning feeders CSV, checked
    whole by HQ's rule (grid.provisioning)."""
    try:
        rows = provisioning.parse_feeders(_read_lines(path), str(path))
    except ProvisionError as exc:
        raise ConfigError(str(exc)) from None
    return {row.feeder_id: row.kva for row in rows}


def _read_lines(path: str | Path) -> list[str]:
    """Return the lines of a UTF-8 CSV file (a byte-order mark dropped), or raise ConfigError."""
    try:
        with Path(path).open(newline="", encoding="utf-8-sig") as handle:
            return handle.readlines()
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text: {exc.reason}") from None
    except OSError as exc:
        raise ConfigError(f"{path}: {exc.strerror}") from None
