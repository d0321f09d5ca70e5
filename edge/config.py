"""The houses of a feeder and the signing keys, as the controller is provisioned with them.

Houses come from the provisioning CSV of `python -m store houses import`
(`house_id,feeder_id,phase,pv_kw,switchable`), checked whole by the rule HQ's import applies
(grid.provisioning): a file the edge starts with is one HQ accepts. Keys live one per device in
the keys directory: `{keys_dir}/{device_id}.key` holds the key as hex (at least 16 bytes, not
all zeros, not world-writable), for the feeder key (HQ → edge `ctl`) and for each house key
(edge → house `cmd`, house → edge `ack`).
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from stat import S_ISREG, S_IWOTH
from typing import Protocol

from grid import provisioning
from grid.messages import WireError, check_feeder_id, check_house_id
from grid.phasors import Phase
from grid.provisioning import HouseRow, ProvisionError
from grid.signing import KEY_MIN_BYTES


class ConfigError(ValueError):
    """A houses file or a key that cannot be used; the message says where."""


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
    try:
        with Path(path).open(newline="", encoding="utf-8-sig") as handle:
            lines = handle.readlines()
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text: {exc.reason}") from None
    except OSError as exc:
        raise ConfigError(f"{path}: {exc.strerror}") from None
    rows = _parse(lines, str(path))
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
    """Return each feeder's transformer rating [kVA] from a provisioning feeders CSV."""
    ratings: dict[str, float] = {}
    try:
        with Path(path).open(newline="", encoding="utf-8") as handle:
            for line, row in enumerate(csv.DictReader(handle), start=2):
                try:
                    kva = float((row.get("kva") or "").strip())
                except ValueError:
                    raise ConfigError(f"{path}: line {line}: kva is not a number") from None
                if not kva > 0:
                    raise ConfigError(f"{path}: line {line}: kva must be positive")
                ratings[(row.get("feeder_id") or "").strip()] = kva
    except OSError as exc:
        raise ConfigError(f"{path}: {exc.strerror}") from None
    return ratings


class Keyring(Protocol):
    """Where the controller gets signing keys."""

    def key(self, device_id: str) -> bytes | None:
        """Return the key of a feeder or house, or None if it has none."""


@dataclass(frozen=True, slots=True)
class StaticKeys:
    """Keys held in memory (tests, simulated feeders)."""

    keys: Mapping[str, bytes]

    def key(self, device_id: str) -> bytes | None:
        """Return the key of a device, or None."""
        return self.keys.get(device_id)


class KeysDir:
    """Keys read from `{directory}/{device_id}.key` (hex), read again whenever the file changes.

    The device id is checked before it becomes a path (letters, digits and single '-' only),
    so no id reaches outside the directory or tells whether some other file exists. A missing
    file is None and is looked for again on the next call, so a newly provisioned key is used
    without a restart; a replaced file (its mtime, size or inode changed) is read again. A key
    file that is world-writable, not a regular file, not hex, shorter than KEY_MIN_BYTES or
    all zeros raises ConfigError naming the file.
    """

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)
        self._cache: dict[str, tuple[tuple[int, int, int], bytes]] = {}

    def key(self, device_id: str) -> bytes | None:
        """Return the key of a device, or None when its file is missing; raise ConfigError."""
        path = self.directory / f"{check_device_id(device_id)}.key"
        try:
            stat = path.stat()
        except FileNotFoundError:
            self._cache.pop(device_id, None)
            return None
        except OSError as exc:
            raise ConfigError(f"{path}: cannot be read ({exc.strerror})") from None
        cached = self._cache.get(device_id)
        if cached is not None and cached[0] == _stamp(stat):
            return cached[1]
        stamp, key = read_key_file(path)
        self._cache[device_id] = (stamp, key)
        return key


def check_device_id(device_id: object) -> str:
    """Return `device_id` if it is a feeder or house id, else raise ConfigError."""
    try:
        return check_house_id(device_id)
    except WireError:
        shown = repr(device_id)[:40]
        raise ConfigError(
            f"device id {shown}: not a feeder or house id (letters and digits joined by '-')"
        ) from None


def read_key_file(path: Path) -> tuple[tuple[int, int, int], bytes]:
    """Return the (mtime, size, inode) stamp and the key of a key file, or raise ConfigError."""
    try:
        with path.open("rb") as handle:
            stat = os.fstat(handle.fileno())
            if not S_ISREG(stat.st_mode):
                raise ConfigError(f"{path}: is not a regular file")
            if stat.st_mode & S_IWOTH:
                raise ConfigError(f"{path}: is world-writable; a key file is mode 0600")
            raw = handle.read(4096)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror})") from None
    try:
        key = bytes.fromhex(raw.decode("ascii").strip())
    except (UnicodeDecodeError, ValueError):
        raise ConfigError(f"{path}: is not hex") from None
    if len(key) < KEY_MIN_BYTES:
        raise ConfigError(f"{path}: a key has at least {KEY_MIN_BYTES} bytes")
    if not any(key):
        raise ConfigError(f"{path}: is all zeros, not a key")
    return _stamp(stat), key


def _stamp(stat: os.stat_result) -> tuple[int, int, int]:
    return (stat.st_mtime_ns, stat.st_size, stat.st_ino)
