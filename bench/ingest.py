"""Ingest benchmark: MQTT → PostgreSQL through Mosquitto, against a raw COPY in the same run.

    python -m bench.ingest [--messages 10000] [--rows 100] [--steady-s 20] [--workers 1] [--pg URL]

Prints one JSON line:

- ``raw_copy_rows_per_s``: binary COPY of the already-decoded rows into `house_readings` (the
  same table, with the same indexes), in transactions of the worker's batch size (the ceiling
  for any ingest path): the mean of one COPY just before the ingest and one just after it
  (``raw_copy_runs``), so that a change in the machine's other load during the run weighs on
  both sides of the ratios;
- ``ingest_rows_per_s``: `python -m ingest` as separate processes (``--workers``, sharing the
  subscription), fed by a publisher that sends
  pre-encoded `readings` messages of `--rows` rows at QoS 1 as fast as the broker takes them,
  through a Mosquitto with the limits deploy/mosquitto/mosquitto.conf ships;
  from the first publish to the last row committed; ``ratio`` = ingest / raw copy;
- ``stock_inflight``: the same through a Mosquitto with its stock settings (20 messages in
  flight to a client, 1,000 queued beyond them and the rest dropped), the publisher holding at
  most ``STOCK_OUTSTANDING`` messages not yet committed, as edges' outboxes do;
- ``latency_ms``: publish → `committed` mark received back at the publisher, at a steady
  10,000 rows/s (p50, p95, p99);
- ``seal``: what the seal adds to each message at the worker (``open_us_per_message``: the
  feeder key read from the keys directory, the seal opened and the ledger digest of the body,
  for every benchmark message in one thread) and its share of the worker's time at the
  measured rate (``share_of_ingest``).

Every message is sealed with its feeder's key as an edge seals it; the workers read the keys
from a keys directory of the benchmark's own.

It runs its own Mosquitto processes on free ports (loopback, anonymous, no persistence) and a
scratch PostgreSQL database, and prints the load average before each phase (other work on the
machine slows every figure; the ratios, measured in the same run, suffer less).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import paho.mqtt.client as mqtt
from sqlalchemy import Engine, create_engine, func, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from grid.messages import Committed, Readings, TopicKind
from grid.signing import open_uplink, seal_uplink
from grid.topics import topic_filter
from keys import KeysDir
from sim.uplink_traffic import FeederTraffic, traffic_key
from sim.uplink_traffic import provision as provision_feeder
from store.db import make_engine, sqlalchemy_url
from store.migrate import upgrade
from store.schema import uplink_batches
from store.writer import HOUSE_READING_COLUMNS, utc
from transport import ClientOptions, make_client, stop_client, unique_client_id

ROOT = Path(__file__).resolve().parents[1]
BATCH_ROWS = 5000
PUBLISH_INFLIGHT = 1000
"""QoS 1 messages the benchmark's publisher has in flight at once (the broker's window)."""
SHIPPED_CONF = ROOT / "deploy" / "mosquitto" / "mosquitto.conf"
SHIPPED_LIMITS = (
    "max_packet_size",
    "memory_limit",
    "max_inflight_messages",
    "max_queued_messages",
    "max_queued_bytes",
    "max_keepalive",
)
"""The settings of the shipped configuration the benchmark's broker takes."""
STOCK_OUTSTANDING = 800
"""Most messages the publisher holds published and not yet committed on a stock broker, which
queues 1,000 for a client beyond its inflight window and drops the rest."""


def broker_conf(port: int, shipped: bool) -> str:
    """Return a loopback Mosquitto configuration: the shipped limits, or Mosquitto's stock."""
    lines = [f"listener {port} 127.0.0.1", "allow_anonymous true", "persistence false"]
    if shipped:
        for line in SHIPPED_CONF.read_text(encoding="utf-8").splitlines():
            if line.split(" ", 1)[0] in SHIPPED_LIMITS:
                lines.append(line.strip())
    return "\n".join(lines) + "\n"


def free_port() -> int:
    """Return a TCP port nobody listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def mosquitto(shipped: bool = True) -> Iterator[str]:
    """Run a private Mosquitto (the shipped limits, or stock); yield its URL."""
    binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        conf = Path(tmp) / "mosquitto.conf"
        conf.write_text(broker_conf(port, shipped), encoding="utf-8")
        proc = subprocess.Popen([binary, "-c", str(conf)], stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                try:
                    socket.create_connection(("127.0.0.1", port), 0.2).close()
                    break
                except OSError:
                    time.sleep(0.05)
            yield f"mqtt://127.0.0.1:{port}"
        finally:
            proc.terminate()
            proc.wait(10)


@contextmanager
def scratch_database(admin_url: str) -> Iterator[str]:
    """Create a fresh PostgreSQL database; yield its URL; drop it."""
    name = f"sp_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(
        sqlalchemy_url(admin_url), isolation_level="AUTOCOMMIT", poolclass=NullPool
    )
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield urlsplit(admin_url)._replace(path="/" + name).geturl()
    finally:
        _drop_database(admin, name)


def _drop_database(admin: Engine, name: str, patience_s: float = 120.0) -> None:
    """Drop a database, retrying while the server is unreachable (e.g. restarting)."""
    deadline = time.monotonic() + patience_s
    while True:
        try:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            return
        except OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(2)


def make_fleet(n_feeders: int, n_houses: int) -> list[FeederTraffic]:
    """Return the traffic generators of the benchmark's feeders."""
    return [
        FeederTraffic.make(f"KL-BEN-{k:04d}", n_houses, boot=1_000 + k, seed=k)
        for k in range(n_feeders)
    ]


def provision(db_url: str, fleet: list[FeederTraffic]) -> None:
    """Provision the feeders and houses through the store."""
    engine = make_engine(db_url)
    with engine.begin() as conn:
        for t in fleet:
            provision_feeder(conn, t, district="Thrissur", lat=10.5, lon=76.2)
    engine.dispose()


def make_messages(fleet: list[FeederTraffic], count: int, rows: int) -> list[tuple[str, Readings]]:
    """Return `count` readings messages of `rows` rows, round-robin over the feeders."""
    out = []
    for k in range(count):
        t = fleet[k % len(fleet)]
        msg = t.readings(rows)
        out.append((t.topic(msg), msg))
    return out


def sealed(messages: list[tuple[str, Readings]]) -> list[tuple[str, bytes, int]]:
    """Return (topic, payload sealed with the feeder's key, seq) of each message."""
    out = []
    for topic, m in messages:
        feeder = topic.split("/")[2]
        payload = seal_uplink(TopicKind.READINGS, feeder, m.to_json(), traffic_key(feeder))
        out.append((topic, payload, m.seq))
    return out


def seal_cost_us(encoded: list[tuple[str, bytes, int]], keys_dir: Path) -> float:
    """Return what the seal adds to one message at the worker, as it does it: the feeder key
    from the keys directory, the seal opened, the ledger digest of the body [µs]."""
    keys = KeysDir(keys_dir)
    started = time.perf_counter()
    for topic, payload, _ in encoded:
        feeder = topic.split("/")[2]
        key = keys.key(feeder)
        assert key is not None
        body = open_uplink(TopicKind.READINGS, feeder, payload, key)
        assert body is not None
        hashlib.sha256(body).hexdigest()
    return (time.perf_counter() - started) / len(encoded) * 1e6


def write_keys(directory: Path, fleet: list[FeederTraffic]) -> None:
    """Write each feeder's key as the keys directory holds it (hex, mode 0600)."""
    for t in fleet:
        path = directory / f"{t.feeder}.key"
        path.write_text(traffic_key(t.feeder).hex(), encoding="ascii")
        path.chmod(0o600)


def raw_copy(db_url: str, messages: list[tuple[str, Readings]]) -> float:
    """Return rows/s of a binary COPY of the decoded rows into the emptied `house_readings`,
    BATCH_ROWS per transaction; empty it again after."""
    tuples = [
        (utc(r.ts_s), topic.split("/")[2], r.house, str(r.ph), r.v_v, r.i_a, r.p_w, r.q_var, r.pv_w)
        for topic, m in messages
        for r in m.rows
    ]
    engine = make_engine(db_url)
    with engine.begin() as conn:  # the same empty table for every COPY
        conn.execute(text("TRUNCATE house_readings"))
    names = ", ".join(HOUSE_READING_COLUMNS)
    started = time.perf_counter()
    with engine.connect() as conn:
        raw = conn.connection.driver_connection
        assert raw is not None
        for start in range(0, len(tuples), BATCH_ROWS):
            with (
                raw.cursor() as cur,
                cur.copy(f"COPY house_readings ({names}) FROM STDIN (FORMAT BINARY)") as copy,
            ):
                copy.set_types(("timestamptz", "text", "text", "text", *["float8"] * 5))
                for row in tuples[start : start + BATCH_ROWS]:
                    copy.write_row(row)
            raw.commit()
    elapsed = time.perf_counter() - started
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE house_readings"))
    engine.dispose()
    return len(tuples) / elapsed


class Publisher:
    """Publishes pre-encoded messages and times the `committed` marks that come back."""

    def __init__(self, mqtt_url: str, fleet: list[FeederTraffic]) -> None:
        options = ClientOptions(
            unique_client_id("sp-bench-pub"), max_inflight=PUBLISH_INFLIGHT, max_queued=0
        )
        self.client = make_client(mqtt_url, options)
        self.sent_at: dict[tuple[str, int], float] = {}
        self.latencies: list[float] = []
        self.covered: dict[str, int] = {}
        self.lock = threading.Lock()
        self.client.on_message = self._on_committed
        self.client.reconnect()  # at once: the benchmark starts only once it is connected
        for t in fleet:
            self.client.subscribe(*topic_filter(TopicKind.COMMITTED, t.feeder))
        self.client.loop_start()

    def _on_committed(self, _c: mqtt.Client, _u: object, msg: mqtt.MQTTMessage) -> None:
        now = time.perf_counter()
        feeder = msg.topic.split("/")[2]
        mark = Committed.from_json(bytes(msg.payload))
        with self.lock:
            low = self.covered.get(feeder, 0)
            for seq in range(low + 1, mark.seq + 1):
                sent = self.sent_at.pop((feeder, seq), None)
                if sent is not None:
                    self.latencies.append(now - sent)
            self.covered[feeder] = max(low, mark.seq)

    def committed(self) -> int:
        """Return how many of the fleet's messages the marks cover."""
        with self.lock:
            return sum(self.covered.values())

    def send(self, topic: str, payload: bytes, seq: int, timed: bool) -> None:
        """Publish one message at QoS 1."""
        if timed:
            with self.lock:
                self.sent_at[(topic.split("/")[2], seq)] = time.perf_counter()
        self.client.publish(topic, payload, qos=1)

    def close(self) -> None:
        """Disconnect."""
        stop_client(self.client)


def start_worker(db_url: str, mqtt_url: str, index: int, keys_dir: Path) -> subprocess.Popen[bytes]:
    """Start `python -m ingest` against the scratch database, private broker and keys."""
    env = {
        **os.environ,
        "SP_DATABASE_URL": db_url,
        "SP_MQTT_URL": mqtt_url,
        "SP_KEYS_DIR": str(keys_dir),
        "SP_INGEST_SHARED": "true",
        "SP_INGEST_CLIENT_ID": f"sp-bench-ingest-{index}",
        "SP_INGEST_METRICS_PORT": "0",
        "SP_INGEST_BATCH_ROWS": str(BATCH_ROWS),
        "PYTHONPATH": str(ROOT),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "ingest"], cwd=ROOT, env=env, stderr=subprocess.DEVNULL
    )


def ledger_count(engine: Any) -> int:
    """Return how many messages the ledger holds."""
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(uplink_batches)).scalar_one())


def wait_for(engine: Any, target: int, timeout_s: float) -> float:
    """Wait until the ledger holds `target` messages; return when that was seen."""
    deadline = time.perf_counter() + timeout_s
    while time.perf_counter() < deadline:
        if ledger_count(engine) >= target:
            return time.perf_counter()
        time.sleep(0.02)
    raise TimeoutError(f"ledger did not reach {target} within {timeout_s} s")


def wait_for_workers(engine: Any, publisher: Publisher, probe: FeederTraffic) -> int:
    """Publish one probe message until a worker has stored it (the workers have subscribed,
    however slowly they started); return the ledger's size then."""
    before = ledger_count(engine)
    deadline = time.monotonic() + 120
    while ledger_count(engine) == before:
        if time.monotonic() > deadline:
            raise TimeoutError("no ingest worker stored the probe within 120 s")
        message = probe.readings(1)
        publisher.send(probe.topic(message), probe.payload(message), message.seq, timed=False)
        time.sleep(0.5)
    time.sleep(0.5)
    return ledger_count(engine)


def load_average() -> float:
    """Return the machine's 1-minute load average."""
    return round(os.getloadavg()[0], 2)


def flood(
    engine: Any,
    publisher: Publisher,
    encoded: list[tuple[str, bytes, int]],
    rows: int,
    base: int,
    outstanding: int | None,
) -> float:
    """Publish every message as fast as the broker takes them (holding at most `outstanding`
    not yet committed, if given); return rows/s from the first publish to the last commit."""
    with publisher.lock:  # what earlier phases sent counts as committed
        for topic, _, seq in encoded:
            publisher.covered.setdefault(topic.split("/")[2], seq - 1)
    started = time.perf_counter()
    first_mark = publisher.committed()
    for k, (topic, payload, seq) in enumerate(encoded):
        if outstanding is not None:
            deadline = time.monotonic() + 120
            while k - (publisher.committed() - first_mark) >= outstanding:
                if time.monotonic() > deadline:
                    raise TimeoutError("no message committed for 120 s")
                time.sleep(0.001)
        publisher.send(topic, payload, seq, timed=False)
    done = wait_for(engine, base + len(encoded), 300)
    return len(encoded) * rows / (done - started)


def stock_run(
    db_url: str,
    keys_dir: Path,
    args: argparse.Namespace,
    fleet: list[FeederTraffic],
    probe: FeederTraffic,
    encoded: list[tuple[str, bytes, int]],
) -> float:
    """Return ingest rows/s through a stock Mosquitto (inflight window 20, queue 1,000)."""
    engine = make_engine(db_url)
    with mosquitto(shipped=False) as mqtt_url:
        procs = [start_worker(db_url, mqtt_url, 100 + k, keys_dir) for k in range(args.workers)]
        publisher = Publisher(mqtt_url, fleet)
        try:
            base = wait_for_workers(engine, publisher, probe)
            return flood(engine, publisher, encoded, args.rows, base, STOCK_OUTSTANDING)
        finally:
            publisher.close()
            for proc in procs:
                proc.terminate()
            for proc in procs:
                proc.wait(30)
            engine.dispose()


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Run every measurement for `args.workers` ingest processes and return the figures."""
    fleet = make_fleet(args.feeders, 50)
    probe = FeederTraffic.make("KL-BEN-9999", 1, boot=1)
    messages = make_messages(fleet, args.messages, args.rows)
    steady_count = int(args.steady_s * args.steady_rows_per_s / args.rows)
    steady = make_messages(fleet, steady_count, args.rows)
    stock = make_messages(fleet, args.messages, args.rows)
    encoded = sealed(messages)
    steady_encoded = sealed(steady)
    stock_encoded = sealed(stock)
    load: dict[str, float] = {}
    with (
        scratch_database(args.pg) as db_url,
        mosquitto() as mqtt_url,
        tempfile.TemporaryDirectory() as keys_dir,
    ):
        write_keys(Path(keys_dir), [*fleet, probe])
        seal_us = seal_cost_us(encoded, Path(keys_dir))
        engine = make_engine(db_url)
        upgrade(engine)
        provision(db_url, [*fleet, probe])
        load["raw_copy"] = load_average()
        copy_before = raw_copy(db_url, messages)
        workers = [start_worker(db_url, mqtt_url, k, Path(keys_dir)) for k in range(args.workers)]
        publisher = Publisher(mqtt_url, fleet)
        try:
            base = wait_for_workers(engine, publisher, probe)
            load["ingest"] = load_average()
            ingest_rate = flood(engine, publisher, encoded, args.rows, base, None)
            interval = args.rows / args.steady_rows_per_s
            next_at = time.perf_counter()
            for topic, payload, seq in steady_encoded:
                next_at += interval
                publisher.send(topic, payload, seq, timed=True)
                delay = next_at - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
            wait_for(engine, base + len(encoded) + len(steady_encoded), 120)
            time.sleep(1.0)
            latencies_ms = np.array(publisher.latencies) * 1e3
        finally:
            publisher.close()
            for worker in workers:
                worker.terminate()
            for worker in workers:
                worker.wait(30)
            engine.dispose()
        copy_after = raw_copy(db_url, messages)
        copy_rate = (copy_before + copy_after) / 2
        load["stock_inflight"] = load_average()
        stock_rate = stock_run(db_url, Path(keys_dir), args, fleet, probe, stock_encoded)
    targets = {
        "rows_per_s": 150_000,
        "ratio": 0.6,
        "stock_inflight_rows_per_s": 100_000,
        "latency_p95_ms": 1000,
    }
    p95 = float(np.percentile(latencies_ms, 95))
    return {
        "bench": "ingest",
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "workers": args.workers,
        "rows_per_message": args.rows,
        "messages": args.messages,
        "raw_copy_rows_per_s": round(copy_rate),
        "raw_copy_runs": [round(copy_before), round(copy_after)],
        "ingest_rows_per_s": round(ingest_rate),
        "ratio": round(ingest_rate / copy_rate, 3),
        "stock_inflight": {
            "ingest_rows_per_s": round(stock_rate),
            "ratio": round(stock_rate / copy_rate, 3),
            "outstanding": STOCK_OUTSTANDING,
        },
        "load_average": load,
        "steady_rows_per_s": args.steady_rows_per_s,
        "latency_ms": {
            "samples": int(latencies_ms.size),
            "p50": round(float(np.percentile(latencies_ms, 50)), 1),
            "p95": round(float(np.percentile(latencies_ms, 95)), 1),
            "p99": round(float(np.percentile(latencies_ms, 99)), 1),
        },
        "seal": {
            "open_us_per_message": round(seal_us, 1),
            "share_of_ingest": round(seal_us * 1e-6 * ingest_rate / args.rows, 4),
        },
        "targets": targets,
        "met": {
            "rows_per_s": ingest_rate >= targets["rows_per_s"],
            "ratio": ingest_rate / copy_rate >= targets["ratio"],
            "stock_inflight_rows_per_s": stock_rate >= targets["stock_inflight_rows_per_s"],
            "latency_p95_ms": p95 <= targets["latency_p95_ms"],
        },
    }


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print one JSON line."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.ingest", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--messages", type=int, default=10000)
    parser.add_argument("--rows", type=int, default=100)
    parser.add_argument(
        "--workers", default="1", help="ingest process counts to measure, comma-separated"
    )
    parser.add_argument("--feeders", type=int, default=20)
    parser.add_argument("--steady-s", type=float, default=20.0)
    parser.add_argument("--steady-rows-per-s", type=float, default=10_000.0)
    parser.add_argument(
        "--pg",
        default=os.environ.get("SP_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres"),
    )
    args = parser.parse_args(argv)
    runs = []
    for count in (int(w) for w in str(args.workers).split(",")):
        args_one = argparse.Namespace(**{**vars(args), "workers": count})
        runs.append(run(args_one))
    best = max(runs, key=lambda r: r["ingest_rows_per_s"])
    summary = {
        "bench": "ingest",
        "machine": runs[0]["machine"],
        "runs": [{k: v for k, v in r.items() if k not in ("bench", "machine")} for r in runs],
        "best": {
            k: best[k]
            for k in ("workers", "ingest_rows_per_s", "ratio", "stock_inflight", "latency_ms")
        },
        "targets": runs[0]["targets"],
        "met": best["met"],
    }
    print(json.dumps(summary), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
