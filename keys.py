"""The signing keys of the feeders and houses, one file per device in the keys directory.

`{keys_dir}/{device_id}.key` holds the key as hex (at least 16 bytes, not all zeros, not
world-writable): a feeder's key signs HQ → edge `ctl` and `committed` and seals the edge's
uplink; a house's key signs edge → house `cmd` and house → edge `ack`. The control room, the
ingest worker and the edge controller read them through `KeysDir` (SP_KEYS_DIR); simulations
and tests hold them in memory (`StaticKeys`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from stat import S_ISREG, S_IWOTH
from typing import Protocol

from grid.messages import WireError, check_house_id
from grid.signing import KEY_MIN_BYTES


class KeyFileError(ValueError):
    """A device id or key file that cannot be used; the message names the file."""


class Keyring(Protocol):
    """Where signing keys come from: the keys directory, or keys held in memory."""

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
    all zeros raises KeyFileError naming the file.
    """

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)
        self._cache: dict[str, tuple[tuple[int, int, int], bytes]] = {}

    def key(self, device_id: str) -> bytes | None:
        """Return the key of a device, or None when its file is missing; raise KeyFileError."""
        path = self.directory / f"{check_device_id(device_id)}.key"
        try:
            stat = path.stat()
        except FileNotFoundError:
            self._cache.pop(device_id, None)
            return None
        except OSError as exc:
            raise KeyFileError(f"{path}: cannot be read ({exc.strerror})") from None
        cached = self._cache.get(device_id)
        if cached is not None and cached[0] == _stamp(stat):
            return cached[1]
        stamp, key = read_key_file(path)
        self._cache[device_id] = (stamp, key)
        return key


def check_device_id(device_id: object) -> str:
    """Return `device_id` if it is a feeder or house id, else raise KeyFileError."""
    try:
        return check_house_id(device_id)
    except WireError:
        shown = repr(device_id)[:40]
        raise KeyFileError(
            f"device id {shown}: not a feeder or house id (letters and digits joined by '-')"
        ) from None


def read_key_file(path: Path) -> tuple[tuple[int, int, int], bytes]:
    """Return the (mtime, size, inode) stamp and the key of a key file, or raise KeyFileError."""
    try:
        with path.open("rb") as handle:
            stat = os.fstat(handle.fileno())
            if not S_ISREG(stat.st_mode):
                raise KeyFileError(f"{path}: is not a regular file")
            if stat.st_mode & S_IWOTH:
                raise KeyFileError(f"{path}: is world-writable; a key file is mode 0600")
            raw = handle.read(4096)
    except OSError as exc:
        raise KeyFileError(f"{path}: cannot be read ({exc.strerror})") from None
    try:
        key = bytes.fromhex(raw.decode("ascii").strip())
    except (UnicodeDecodeError, ValueError):
        raise KeyFileError(f"{path}: is not hex") from None
    if len(key) < KEY_MIN_BYTES:
        raise KeyFileError(f"{path}: a key has at least {KEY_MIN_BYTES} bytes")
    if not any(key):
        raise KeyFileError(f"{path}: is all zeros, not a key")
    return _stamp(stat), key


def _stamp(stat: os.stat_result) -> tuple[int, int, int]:
    return (stat.st_mtime_ns, stat.st_size, stat.st_ino)
