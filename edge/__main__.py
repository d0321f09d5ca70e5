"""`python -m edge --feeder ID`: run one transformer controller until SIGTERM or Ctrl-C.

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
from pathlib import Path
from types import FrameType

from edge.config import ConfigError, KeysDir, load_houses
from edge.controller import EdgeController, house_subscriptions, hq_subscriptions
from edge.meter import MeterSource
from edge.modbus import MeterConfig, MeterPoller, ModbusMeter
from edge.mqtt import MqttConnection
from edge.runner import Runner
from edge.settings import EdgeSettings, EdgeSettingsError
from edge.uplink import UplinkSender
from grid.messages import TopicKind, WireError, check_feeder_id, topic_for
from settings import Settings, SettingsError

log = logging.getLogger("edge")


def main(argv: list[str] | None = None) -> int:
    """Run the controller; return the exit status."""
    parser = argparse.ArgumentParser(prog="python -m edge", description=__doc__)
    parser.add_argument("--feeder", required=True, help="feeder id, e.g. KL-TVM-0042")
    parser.add_argument("--houses", help="provisioning CSV (default SP_EDGE_HOUSES_FILE)")
    parser.add_argument("--store", help="store directory (default SP_EDGE_STORE_DIR)")
    parser.add_argument("--meter", help="meter URL (default SP_EDGE_METER_URL)")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        feeder = check_feeder_id(args.feeder)
        shared = Settings.from_env()
        edge = EdgeSettings.from_env()
        houses = load_houses(args.houses or edge.houses_file, feeder)
        meter_url = args.meter if args.meter is not None else edge.meter_url
        meter_config = MeterConfig.from_url(meter_url) if meter_url else None
    except (WireError, SettingsError, EdgeSettingsError, ConfigError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    wake = threading.Event()
    local = MqttConnection(
        edge.local_mqtt_url or shared.mqtt_url,
        client_id=f"sp-edge-{feeder}-bus",
        ca_file=shared.mqtt_ca_file,
        wake=wake,
    )
    hq = MqttConnection(
        edge.hq_mqtt_url or shared.mqtt_url,
        client_id=f"sp-edge-{feeder}",
        clean_session=False,
        ca_file=shared.mqtt_ca_file,
        will=(topic_for(TopicKind.STATUS, feeder), UplinkSender.death()),
        wake=wake,
    )
    poller = None
    meter: MeterSource | None = None
    if meter_config is not None:
        poller = MeterPoller(ModbusMeter(meter_config), edge.meter_poll_s)
        meter = poller.latest
    controller = EdgeController(
        feeder,
        houses,
        clock=time.time,
        house_bus=local.port(feeder, house_subscriptions(feeder)),
        hq=hq.port(feeder, hq_subscriptions(feeder)),
        keys=KeysDir(shared.keys_dir),
        store_dir=Path(args.store or edge.store_dir) / feeder,
        settings=edge,
        meter=meter,
    )
    stopping = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        log.info("signal %d: stopping", signum)
        stopping.set()
        wake.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    for part in (local, hq, poller):
        if part is not None:
            part.start()
    log.info(
        "feeder %s: %d houses, boot %d, mode %s",
        feeder,
        len(houses),
        controller.outbox.boot,
        controller.mode,
    )
    Runner([controller], wake).run(stopping)
    controller.close()
    time.sleep(0.2)  # let paho hand the offline status to the broker
    for part in (poller, hq, local):
        if part is not None:
            part.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
