"""Provision a simulated fleet: its CSVs and keys on disk, its feeders and houses in the store."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path

from sim.fleet import FeederPlan, write_csvs, write_keys
from sim.house_nodes import derive_key
from store.db import make_engine
from store.migrate import upgrade
from store.provision import import_feeders, import_houses

DEFAULT_SECRET = "smartphase-demo-fleet"


def fleet_secret() -> bytes:
    """Return the secret the simulated fleet's keys derive from."""
    return os.environ.get("SP_SIM_SECRET", DEFAULT_SECRET).encode()


def provision(
    database_url: str, out_dir: Path, plans: Sequence[FeederPlan], keys_dir: Path
) -> None:
    """Write the fleet's CSVs and keys, and import the CSVs into the store."""
    feeders_csv, houses_csv = write_csvs(plans, out_dir)
    secret = fleet_secret()
    write_keys(plans, keys_dir, lambda device: derive_key(secret, device))
    engine = make_engine(database_url)
    upgrade(engine)
    with engine.begin() as conn:
        f = import_feeders(conn, feeders_csv, actor="sim")
        h = import_houses(conn, houses_csv, actor="sim")
    engine.dispose()
    logging.getLogger("sim").info("provisioned feeders %s, houses %s", f, h)
