"""`python -m bench.notify`: alert notifications against a local SMTP sink and HTTP receiver
(DESIGN §8), one JSON line.

- latency: `python -m notify` runs as in production (default group wait); alerts are raised one
  at a time, as the ingest worker raises them (a row in `alerts`), each for a recipient with
  nothing sent lately; the time from the row's commit to the e-mail in the aiosmtpd sink and to
  the POST at the JSON webhook receiver. Target: p95 ≤ 5 s.
- storm: 500 feeder alerts raised over 30 s in 5 districts, routed to 5 users (two of them
  for every district) and a webhook; the most messages any recipient was sent within one group
  interval, counted when each was composed (target ≤ 1; the gaps at the receivers are reported
  too, and are shorter by the spread of the delivery latency), and that every alert was told
  to each recipient routed to it exactly once.
- round_ms: one decision round over those 500 active alerts, in-process.

Options: `--database-url` (default a scratch SQLite file), `--alerts`, `--storm`,
`--group-interval-s` (the storm's; the latency phase uses 1 s so each alert goes at once).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

from sqlalchemy import Engine, select

from notify.channels import Channels
from notify.config import policy_of
from notify.decide import run_round
from notify.routes import add_route
from settings import Settings
from store.contacts import set_contact
from store.db import make_engine
from store.migrate import upgrade
from store.schema import alerts, feeders, notify_messages, notify_notices
from store.users import add_user
from tests.notify.sinks import HttpReceiver, SmtpSink, wait_for

ROOT: Final = Path(__file__).resolve().parents[1]
DISTRICTS: Final = ("Ernakulam", "Kottayam", "Thrissur", "Kollam", "Wayanad")
PASSWORD: Final = "bench password 1"
STORM_BATCHES: Final = 10
STORM_SPREAD_S: Final = 30.0
"""The storm's alerts come in STORM_BATCHES batches over STORM_SPREAD_S [s], as a watchdog's
sweeps and the edges' reports bring them."""


def percentile(values: Sequence[float], q: float) -> float:
    """Return the q-quantile (0..1) of `values`, nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def summary(values: Sequence[float]) -> dict[str, float | int]:
    """Return n, p50, p95 and max of some times [s]."""
    return {
        "n": len(values),
        "p50": round(statistics.median(values), 3),
        "p95": round(percentile(values, 0.95), 3),
        "max": round(max(values), 3),
    }


def fresh_store(url: str | None, folder: Path, name: str) -> tuple[str, Engine]:
    """Return the URL and an engine of an empty, migrated store."""
    url = url or f"sqlite:///{folder}/{name}.db"
    engine = make_engine(url)
    upgrade(engine)
    return url, engine


def add_feeders(engine: Engine, per_district: int) -> list[str]:
    """Provision feeders in every district; return their ids."""
    ids: list[str] = []
    now = datetime.now(UTC)
    with engine.begin() as conn:
        rows = []
        for d, district in enumerate(DISTRICTS):
            for k in range(per_district):
                feeder_id = f"KL-B{d}-{k:04d}"
                ids.append(feeder_id)
                rows.append(
                    {"feeder_id": feeder_id, "name": f"{district} {k}", "district": district,
                     "lat": 10.0, "lon": 76.3, "kva": 100.0, "created_at": now}
                )  # fmt: skip
        conn.execute(feeders.insert(), rows)
    return ids


def add_people(engine: Engine, names: Sequence[str]) -> None:
    """Add users with an e-mail address, who take alerts at any hour."""
    with engine.begin() as conn:
        for name in names:
            add_user(conn, name, PASSWORD, "operator")
            set_contact(conn, name, email=f"{name}@kseb.in", quiet_hours="off")


def raise_many(engine: Engine, feeder_ids: Sequence[str], ks: range) -> None:
    """Insert open `feeder_offline` alerts on feeders `ks` in one transaction."""
    now = datetime.now(UTC)
    with engine.begin() as conn:
        conn.execute(
            alerts.insert(),
            [
                {
                    "alert_id": f"S{k:04d}",
                    "feeder_id": feeder_ids[k],
                    "kind": "feeder_offline",
                    "severity": "critical" if k % 7 == 0 else "warning",
                    "state": "open",
                    "message": f"No data from {feeder_ids[k]}",
                    "raised_at": now + timedelta(milliseconds=k),
                    "updated_at": now,
                }
                for k in ks
            ],
        )


def raise_alert(engine: Engine, alert_id: str, feeder_id: str, kind: str, severity: str) -> float:
    """Insert an open alert as the ingest worker does; return the wall time of its commit."""
    now = datetime.now(UTC)
    with engine.begin() as conn:
        conn.execute(
            alerts.insert().values(
                alert_id=alert_id, feeder_id=feeder_id, kind=kind, severity=severity,
                state="open", message=f"{kind} on {feeder_id}", raised_at=now, updated_at=now,
            )
        )  # fmt: skip
    return time.time()


class Worker:
    """`python -m notify` in a subprocess."""

    def __init__(self, url: str, env: dict[str, str], log: Path) -> None:
        self._log = log.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "notify"],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT), "SP_DATABASE_URL": url, **env},
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def stop(self) -> None:
        """SIGTERM, then wait."""
        self.process.terminate()
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self._log.close()


def _arrived(sink: SmtpSink, hook: HttpReceiver, n: int) -> Callable[[], bool]:
    def check() -> bool:
        return len(sink.messages()) >= n and len(hook.taken()) >= n

    return check


def latency(url: str | None, folder: Path, n: int) -> dict[str, Any]:
    """Raise `n` alerts one at a time; return the e-mail's and the webhook's delays [s]."""
    url, engine = fresh_store(url, folder, "latency")
    feeder_ids = add_feeders(engine, 1)
    add_people(engine, ["asha"])
    with engine.begin() as conn:
        add_route(conn, district="*", level=1, username="asha")
        add_route(conn, district="*", level=1, channel="hook", channels=["hook"])
    sink, hook = SmtpSink().start(), HttpReceiver()
    env = {
        "SP_SMTP_URL": sink.url,
        "SP_NOTIFY_URLS": f"hook=json://127.0.0.1:{hook.port}/hook",
        "SP_NOTIFY_GROUP_INTERVAL_S": "1",
    }
    worker = Worker(url, env, folder / "latency-worker.log")
    mail_s: list[float] = []
    hook_s: list[float] = []
    try:
        time.sleep(2.0)  # the worker starts
        for k in range(n):
            raised = raise_alert(
                engine, f"L{k}", feeder_ids[k % len(feeder_ids)], "phase_overload", "critical"
            )
            wait_for(_arrived(sink, hook, k + 1), 30, "delivery")
            mail_s.append(sink.messages()[k].at - raised)
            hook_s.append(hook.taken()[k].at - raised)
            with engine.begin() as conn:  # acknowledged: no reminder interferes
                conn.execute(
                    alerts.update().where(alerts.c.alert_id == f"L{k}").values(state="acknowledged")
                )
            time.sleep(1.2)  # past the group interval
    finally:
        worker.stop()
        sink.stop()
        hook.close()
        engine.dispose()
    return {"email_s": summary(mail_s), "webhook_s": summary(hook_s)}


def storm(url: str | None, folder: Path, n: int, interval_s: int) -> dict[str, Any]:
    """Raise `n` feeder alerts at once; count messages per recipient per group interval."""
    url, engine = fresh_store(url, folder, "storm")
    feeder_ids = add_feeders(engine, -(-n // len(DISTRICTS)))
    everyone, local = ["ee1", "ee2"], ["ae_ekm", "ae_ktm", "ae_tsr"]
    add_people(engine, everyone + local)
    with engine.begin() as conn:
        for name in everyone:
            add_route(conn, district="*", level=1, username=name)
        for name, district in zip(local, DISTRICTS, strict=False):
            add_route(conn, district=district, level=1, username=name)
        add_route(conn, district="*", level=1, channel="hook", channels=["hook"])
    sink, hook = SmtpSink().start(), HttpReceiver()
    env = {
        "SP_SMTP_URL": sink.url,
        "SP_NOTIFY_URLS": f"hook=json://127.0.0.1:{hook.port}/hook",
        "SP_NOTIFY_GROUP_INTERVAL_S": str(interval_s),
    }
    worker = Worker(url, env, folder / "storm-worker.log")
    try:
        time.sleep(2.0)
        start = time.time()
        batch = -(-n // STORM_BATCHES)
        for b in range(STORM_BATCHES):
            raise_many(engine, feeder_ids, range(b * batch, min(n, (b + 1) * batch)))
            time.sleep(STORM_SPREAD_S / STORM_BATCHES)
        expected = {f"user:{p}": n for p in everyone} | {"channel:hook": n}
        per_district = Counter(feeder_ids[k].split("-")[1] for k in range(n))
        for name, code in zip(local, (f"B{d}" for d in range(len(DISTRICTS))), strict=False):
            expected[f"user:{name}"] = per_district[code]

        def all_told() -> bool:
            with engine.connect() as conn:
                told = Counter(conn.execute(select(notify_notices.c.recipient)).scalars())
            return all(told[r] >= c for r, c in expected.items())

        wait_for(all_told, 3 * interval_s + STORM_SPREAD_S + 30, "every alert told")
        done_s = time.time() - start
        time.sleep(interval_s + 3)  # nothing more may come
        with engine.connect() as conn:
            rows = conn.execute(
                select(
                    notify_notices.c.recipient,
                    notify_notices.c.alert_id,
                    notify_notices.c.message_id,
                )
            ).all()
            composed = conn.execute(
                select(notify_messages.c.recipient, notify_messages.c.created_at)
            ).all()
        decided: dict[str, list[float]] = defaultdict(list)
        for recipient, at in composed:
            decided[recipient].append(at.timestamp())
        arrived: dict[str, list[float]] = defaultdict(list)
        for m in sink.messages():
            arrived[f"user:{m.to[0].split('@')[0]}"].append(m.at)
        arrived["channel:hook"] = [r.at for r in hook.taken()]
        told = Counter((r, a) for r, a, _ in rows)
        pairs = Counter(r for r, _ in told)
        told_once = max(told.values()) == 1 and dict(pairs) == expected
        round_ms = decision_round_ms(engine)
    finally:
        worker.stop()
        sink.stop()
        hook.close()
        engine.dispose()
    return {
        "alerts": n,
        "recipients": len(expected),
        "group_interval_s": interval_s,
        "messages": {r: len(t) for r, t in sorted(arrived.items())},
        "max_messages_per_recipient_per_interval": max(
            most_in_a_window(t, interval_s) for t in decided.values()
        ),
        "min_gap_at_receiver_s": round(min(min_gap(t) for t in arrived.values()), 2),
        "every_alert_told_once_to_each_recipient": told_once,
        "all_told_s": round(done_s, 2),
        "round_ms": round_ms,
    }


def most_in_a_window(times: Sequence[float], width_s: float) -> int:
    """Return the most of `times` [s] that fall in any window of `width_s`."""
    ordered = sorted(times)
    return max((sum(1 for t in ordered if s <= t < s + width_s) for s in ordered), default=0)


def min_gap(times: Sequence[float]) -> float:
    """Return the shortest gap between consecutive `times` [s] (inf for fewer than two)."""
    ordered = sorted(times)
    return min((b - a for a, b in itertools.pairwise(ordered)), default=float("inf"))


def decision_round_ms(engine: Engine) -> dict[str, float | int]:
    """Time decision rounds over the store's active alerts when nothing more is owed [ms]."""
    settings = Settings()
    channels, policy = Channels(settings), policy_of(settings)
    times = []
    for _ in range(20):
        t = time.perf_counter()
        run_round(
            engine,
            channels,
            policy,
            public_url=settings.public_url,
            sms_template=settings.sms_template,
            now=datetime.now(UTC),
            holder="bench",
        )
        times.append((time.perf_counter() - t) * 1000)
    return {"p50": round(statistics.median(times), 1), "p95": round(percentile(times, 0.95), 1)}


def main(argv: Sequence[str] | None = None) -> int:
    """Run both phases and print one JSON line."""
    parser = argparse.ArgumentParser(prog="python -m bench.notify", description=__doc__)
    parser.add_argument("--database-url", help="a scratch database (default: SQLite files)")
    parser.add_argument("--alerts", type=int, default=20, help="alerts timed one by one")
    parser.add_argument("--storm", type=int, default=500, help="alerts raised at once")
    parser.add_argument("--group-interval-s", type=int, default=20, help="the storm's interval")
    args = parser.parse_args(argv)
    machine = {"cpus": os.cpu_count(), "arch": platform.machine()}
    out: dict[str, Any] = {
        "bench": "notify",
        "machine": machine | {"python": platform.python_version()},
        "loadavg_1m": round(os.getloadavg()[0], 2),
    }
    with tempfile.TemporaryDirectory(prefix="sp-bench-notify-") as tmp:
        folder = Path(tmp)
        out["latency"] = latency(args.database_url, folder, args.alerts)
        out["storm"] = storm(args.database_url, folder, args.storm, args.group_interval_s)
    out["targets"] = {
        "latency_p95_le_5s": max(
            out["latency"]["email_s"]["p95"], out["latency"]["webhook_s"]["p95"]
        )
        <= 5.0,
        "storm_le_1_message_per_recipient_per_interval": out["storm"][
            "max_messages_per_recipient_per_interval"
        ]
        <= 1,
    }
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
