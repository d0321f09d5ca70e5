"""`python -m sim`: virtual house nodes of a simulated Kerala fleet, on the real wire protocol.

    python -m sim [--feeders 20] [--houses 40-80] [--speed 1] [--epoch T] [--seed 1]
                  [--story] [--provision] [--fault stuck_relay:KL-EKM-0001-H003 ...]

The fleet is planned at real Kerala towns; `--provision` writes feeders.csv and houses.csv under
var/fleet/, imports them into the store at SP_DATABASE_URL, as `python -m store ... import`
would, and writes every feeder's and house's key into SP_KEYS_DIR for the controllers and HQ.
Nodes connect to SP_MQTT_URL (the feeders' brokers), with its credentials and SP_MQTT_CA_FILE
(SP_MQTT_CERT_FILE, SP_MQTT_KEY_FILE) for `mqtts`, and run until Ctrl-C or SIGTERM.
Keys derive from SP_SIM_SECRET. With `--speed`, simulated time runs faster from the real
instant `--epoch` (default SP_SIM_EPOCH, else now); give the controllers the same two values.
With `--story` the first of the feeders is the demo's story feeder (sim/story.py), whose day
starts in the morning at the epoch, as `make demo` runs it.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from functools import partial
from pathlib import Path
from types import FrameType

from settings import Settings, SettingsError
from sim.cases import MissingDataError
from sim.fleet import house_range_arg, plan_fleet
from sim.house_nodes import FeederNodes, SimClock, derive_key, ist_minute, sim_epoch
from sim.provisioning import fleet_secret, provision
from sim.story import STORY_FEEDER_ID, demo_fleet, story_minute, story_profile
from transport import broker_from_settings

FAULTS = ("stuck_relay", "lose_acks", "offline")


def parse_fault(text: str) -> tuple[str, str]:
    """Return (fault, house) of "stuck_relay:KL-EKM-0001-H003"."""
    fault, _, house = text.partition(":")
    if fault not in FAULTS or not house:
        raise argparse.ArgumentTypeError(f"{text!r} is not FAULT:HOUSE with FAULT in {FAULTS}")
    return fault, house


def main(argv: list[str] | None = None) -> int:
    """Run the virtual house nodes; return the exit status."""
    parser = argparse.ArgumentParser(prog="python -m sim", description=__doc__.split("\n")[0])
    parser.add_argument("--feeders", type=int, default=20)
    parser.add_argument("--houses", type=house_range_arg, default=(40, 80))
    parser.add_argument("--speed", type=float, default=1.0, help="time acceleration factor")
    parser.add_argument("--epoch", type=sim_epoch, default=None, help="real epoch [s] of t=0")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--story", action="store_true", help="the first feeder plays the demo's story"
    )
    parser.add_argument("--tele-period-s", type=float, default=10.0)
    parser.add_argument("--provision", action="store_true")
    parser.add_argument("--fault", type=parse_fault, action="append", default=[])
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        settings = Settings.from_env()
        broker = broker_from_settings(settings)
        fleet_of = demo_fleet if args.story else plan_fleet
        plans = fleet_of(args.feeders, args.houses, args.seed)
    except (SettingsError, MissingDataError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.provision:
        provision(settings.database_url, Path("var/fleet"), plans, Path(settings.keys_dir))
    secret = fleet_secret()
    try:
        clock = SimClock(args.speed, args.epoch if args.epoch is not None else sim_epoch())
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    fleet = []
    for k, plan in enumerate(plans):
        profile, minute_of_day = (
            (story_profile(plan), partial(story_minute, epoch_s=clock.epoch_s))
            if args.story and plan.feeder_id == STORY_FEEDER_ID
            else (None, ist_minute)
        )
        fleet.append(
            FeederNodes(
                plan,
                broker,
                lambda house: derive_key(secret, house),
                clock,
                seed=args.seed * 1000 + k,
                tele_period_s=args.tele_period_s,
                profile=profile,
                minute_of_day=minute_of_day,
            )
        )
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
        broker,
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
