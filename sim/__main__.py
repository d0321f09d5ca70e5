"""`python -m sim`: virtual house nodes of a simulated Kerala fleet, on the real wire protocol.

    python -m sim [--feeders 20] [--houses 40-80] [--speed 1] [--seed 1] [--provision]
                  [--fault stuck_relay:KL-EKM-0001-H003 ...]

The fleet is planned at real Kerala towns; `--provision` writes feeders.csv and houses.csv under
var/fleet/ and imports them into the store at SP_DATABASE_URL, as `python -m store ... import`
would. Nodes connect to SP_MQTT_URL (the feeders' brokers) and run until Ctrl-C or SIGTERM.
House keys derive from SP_SIM_SECRET, so that simulated controllers can sign for them.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from settings import Settings, SettingsError
from sim.cases import MissingDataError
from sim.fleet import plan_fleet, write_csvs
from sim.house_nodes import FeederNodes, SimClock, derive_key

DEFAULT_SECRET = "smartphase-demo-fleet"
FAULTS = ("stuck_relay", "lose_acks", "offline")


def fleet_secret() -> bytes:
    """Return the secret the simulated fleet's keys derive from."""
    return os.environ.get("SP_SIM_SECRET", DEFAULT_SECRET).encode()


def parse_range(text: str) -> tuple[int, int]:
    """Return (lo, hi) of "40-80" or (n, n) of "60"."""
    lo, _, hi = text.partition("-")
    low, high = int(lo), int(hi or lo)
    if not 1 <= low <= high <= 999:
        raise argparse.ArgumentTypeError(f"{text!r} is not a house count range like 40-80")
    return low, high


def parse_fault(text: str) -> tuple[str, str]:
    """Return (fault, house) of "stuck_relay:KL-EKM-0001-H003"."""
    fault, _, house = text.partition(":")
    if fault not in FAULTS or not house:
        raise argparse.ArgumentTypeError(f"{text!r} is not FAULT:HOUSE with FAULT in {FAULTS}")
    return fault, house


def provision(database_url: str, out_dir: Path, plans: list) -> None:  # type: ignore[type-arg]
    """Write the fleet's CSVs and import them into the store."""
    from store.db import make_engine  # noqa: PLC0415 - only `--provision` needs the store
    from store.migrate import upgrade  # noqa: PLC0415
    from store.provision import import_feeders, import_houses  # noqa: PLC0415

    feeders_csv, houses_csv = write_csvs(plans, out_dir)
    engine = make_engine(database_url)
    upgrade(engine)
    with engine.begin() as conn:
        f = import_feeders(conn, feeders_csv, actor="sim")
        h = import_houses(conn, houses_csv, actor="sim")
    engine.dispose()
    logging.getLogger("sim").info("provisioned feeders %s, houses %s", f, h)


def main(argv: list[str] | None = None) -> int:
    """Run the virtual house nodes; return the exit status."""
    parser = argparse.ArgumentParser(prog="python -m sim", description=__doc__.split("\n")[0])
    parser.add_argument("--feeders", type=int, default=20)
    parser.add_argument("--houses", type=parse_range, default=(40, 80))
    parser.add_argument("--speed", type=float, default=1.0, help="time acceleration factor")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--tele-period-s", type=float, default=10.0)
    parser.add_argument("--provision", action="store_true")
    parser.add_argument("--fault", type=parse_fault, action="append", default=[])
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        settings = Settings.from_env()
        plans = plan_fleet(args.feeders, args.houses, args.seed)
    except (SettingsError, MissingDataError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.provision:
        provision(settings.database_url, Path("var/fleet"), plans)
    secret = fleet_secret()
    clock = SimClock(speed=args.speed)
    fleet = [
        FeederNodes(
            plan,
            settings.mqtt_url,
            lambda house: derive_key(secret, house),
            clock,
            seed=args.seed * 1000 + k,
            tele_period_s=args.tele_period_s,
        )
        for k, plan in enumerate(plans)
    ]
    by_house = {h.house_id: nodes for nodes in fleet for h in nodes.plan.houses}
    for fault, house in args.fault:
        if house not in by_house:
            print(f"error: --fault {fault}:{house}: no such house in the fleet", file=sys.stderr)
            return 2
        by_house[house].set_faults(house, **{fault: True})
    for nodes in fleet:
        nodes.start()
    houses = sum(len(p.houses) for p in plans)
    logging.getLogger("sim").info(
        "%d feeders, %d house nodes on %s at %.0f× speed",
        len(plans),
        houses,
        settings.mqtt_url,
        args.speed,
    )
    stopping = threading.Event()

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    stopping.wait()
    for nodes in fleet:
        nodes.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
