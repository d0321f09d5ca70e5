"""Identifiers the controller makes: command, run and alert ids, unique across feeders and boots."""

from __future__ import annotations

import hashlib


class IdMaker:
    """Make short tokens (`[a-z0-9]`, at most 32 characters) from feeder, boot and a counter."""

    def __init__(self, feeder_id: str, boot: int) -> None:
        self.feeder_id = feeder_id
        self.boot = boot
        self._n = 0

    def next(self, prefix: str) -> str:
        """Return a new id starting with `prefix` (one to four letters)."""
        self._n += 1
        seed = f"{self.feeder_id}|{self.boot}|{prefix}|{self._n}".encode()
        return prefix + hashlib.blake2s(seed, digest_size=12).hexdigest()
