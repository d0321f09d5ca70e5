"""`python -m edge --feeder ID`: run one transformer controller until SIGTERM or Ctrl-C.

`python -m edge --simulate` hosts the controllers of every feeder of the houses file (the
simulated fleet that `python -m sim --provision` wrote) in one process, on one house-bus
connection and one HQ connection per feeder, each with its own last will.

Broker URLs and the keys directory come from SP_MQTT_URL / SP_KEYS_DIR (settings.py), the
rest from SP_EDGE_* (edge/settings.py): the houses file, the store directory, the Pi's own
broker (SP_EDGE_LOCAL_MQTT_URL), HQ's broker (SP_EDGE_HQ_MQTT_URL) and the meter.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, replace
from pathlib import Path
from types import FrameType

from edge.config import ConfigError, load_feeder_ratings, load_fleet_houses, load_houses
from edge.controller import EdgeController, house_subscriptions, hq_subscriptions
from edge.meter import MeterSource
from edge.modbus import MeterConfig, MeterPoller, ModbusMeter
from edge.mqtt import MqttConnection
from edge.runner import Runner
from edge.settings import EdgeSettings, EdgeSettingsError
from edge.uplink import death
from grid.control import ControlConfig
from grid.feeder_states import detector_limits
from grid.messages import TopicKind, WireError, check_feeder_id, topic_for
from grid.metrics import rated_current_a
from keys import KeysDir
from settings import Settings, SettingsError
from transport import Broker, Will, broker_from_settings

log = logging.getLogger("edge")


def main(argv: list[str] | None = None) -> int:
    """Run the controller(s); return the exit status."""
    parser = argparse.ArgumentParser(prog="python -m edge", description=__doc__)
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--feeder", help="feeder id, e.g. KL-TVM-0042")
    which.add_argument(
        "--simulate",
        action="store_true",
        help="host the controllers of every feeder of the houses file in this process",
    )
    parser.add_argument("--houses", help="provisioning CSV (default SP_EDGE_HOUSES_FILE)")
    parser.add_argument("--store", help="store directory (default SP_EDGE_STORE_DIR)")
    parser.add_argument("--meter", help="meter URL (default SP_EDGE_METER_URL)")
    parser.add_argument(
        "--feeders-file", help="--simulate: feeders CSV whose kva rates each feeder's phases"
    )
    parser.add_argument(
        "--speed", type=float, default=1.0, help="--simulate: simulated-time acceleration"
    )
    parser.add_argument("--epoch", help="--simulate: real epoch [s] of simulated t=0")
    parser.add_argument(
        "--sustain-s",
        type=float,
        help="how long unbalance must last before the planner acts [s] (default 300)",
    )
    parser.add_argument(
        "--history-s",
        type=float,
        help="readings the balancer gathers before its first move [s] (default 600)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        shared = Settings.from_env()
        edge = EdgeSettings.from_env()
        houses_file = args.houses or edge.houses_file
        if args.simulate:
            fleet = load_fleet_houses(houses_file)
            ratings = load_feeder_ratings(args.feeders_file) if args.feeders_file else {}
            meter_config = None
        else:
            feeder = check_feeder_id(args.feeder)
            fleet = {feeder: load_houses(houses_file, feeder)}
            ratings = {}
            meter_url = args.meter if args.meter is not None else edge.meter_url
            meter_config = MeterConfig.from_url(meter_url) if meter_url else None
        control = ControlConfig()
        if args.sustain_s is not None:
            control = replace(control, sustain_s=_non_negative("--sustain-s", args.sustain_s))
        if args.history_s is not None:
            control = replace(
                control, target_min_history_s=_non_negative("--history-s", args.history_s)
            )
        clock = _clock(args) if args.simulate else time.time
        house_bus = _broker(shared, edge.local_mqtt_url, "SP_EDGE_LOCAL_MQTT_URL")
        hq_broker = _broker(shared, edge.hq_mqtt_url, "SP_EDGE_HQ_MQTT_URL")
    except (WireError, SettingsError, EdgeSettingsError, ConfigError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    wake = threading.Event()
    local = MqttConnection(
        house_bus, client_id=f"sp-edge-{'sim' if args.simulate else args.feeder}-bus", wake=wake
    )
    uplinks: list[MqttConnection] = []
    poller = None
    meter: MeterSource | None = None
    if meter_config is not None:
        poller = MeterPoller(ModbusMeter(meter_config), edge.meter_poll_s)
        meter = poller.latest
    keys = KeysDir(shared.keys_dir)
    controllers: list[EdgeController] = []
    for feeder_id, houses in fleet.items():
        hq = MqttConnection(
            hq_broker,
            client_id=f"sp-edge-{feeder_id}",
            clean_session=False,
            will=Will(
                topic_for(TopicKind.STATUS, feeder_id), death(feeder_id, keys.key(feeder_id))
            ),
            wake=wake,
        )
        uplinks.append(hq)
        settings = edge
        if feeder_id in ratings:
            settings = edge.with_overrides(phase_rating_a=rated_current_a(ratings[feeder_id]))
        feeder_control = control
        if settings.phase_rating_a > 0:  # the detector acts at the map's unbalance limit
            feeder_control = replace(control, **asdict(detector_limits(settings.phase_rating_a)))
        controllers.append(
            EdgeController(
                feeder_id,
                houses,
                clock=clock,
                house_bus=local.port(feeder_id, house_subscriptions(feeder_id)),
                hq=hq.port(feeder_id, hq_subscriptions(feeder_id)),
                keys=keys,
                store_dir=Path(args.store or edge.store_dir) / feeder_id,
                settings=settings,
                control=feeder_control,
                meter=meter,
            )
        )
    stopping = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        log.info("signal %d: stopping", signum)
        stopping.set()
        wake.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    for part in (local, *uplinks, poller):
        if part is not None:
            part.start()
    for controller in controllers:
        log.info(
            "feeder %s: %d houses, boot %d, mode %s",
            controller.feeder_id,
            len(fleet[controller.feeder_id]),
            controller.outbox.boot,
            controller.mode,
        )
    Runner(controllers, wake).run(stopping)
    for controller in controllers:
        controller.close()
    time.sleep(0.2)  # let paho hand the offline statuses to the broker
    for part in (poller, *uplinks, local):
        if part is not None:
            part.stop()
    return 0


def _broker(shared: Settings, url: str, setting: str) -> Broker:
    """Return the broker of an edge URL setting, or SP_MQTT_URL's when it is empty."""
    if not url:
        return broker_from_settings(shared)
    return broker_from_settings(shared, url, setting)


def _non_negative(name: str, value: float) -> float:
    if not value >= 0:
        raise ValueError(f"{name}: {value!r} must not be negative")
    return value


def _clock(args: argparse.Namespace) -> Callable[[], float]:
    """Return the simulated clock shared with `python -m sim` (same speed and epoch)."""
    from sim.house_nodes import SimClock, sim_epoch  # noqa: PLC0415 - only --simulate needs it

    return SimClock(args.speed, sim_epoch(args.epoch)).now


if __name__ == "__main__":
    raise SystemExit(main())
