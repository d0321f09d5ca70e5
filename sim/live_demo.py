"""The live demo: broker, store, simulated fleet, its controllers and the ingest worker.

Each long-running part is the real program in a child process (`python -m ingest`,
`python -m edge --simulate`, `python -m sim`, `python -m jobs`, `python -m reports.worker`,
`python -m notify`, the control room on gunicorn), so the demo exercises what production runs;
only the MQTT broker runs in this process, and only when SP_MQTT_URL is not set. The control
room gets a `demo` admin with a generated password, kept in var/demo-login. Unless SP_SMTP_URL
is set, alerts are e-mailed to a local SMTP sink (`python -m notify.sink`, messages kept in
var/mail/): the demo admin has an address and a level-1 route for each of the fleet's
districts. The fleet's first feeder plays
the story SmartPhase is pitched with (sim/story.py), and the demo tells it as it reaches the
store (sim/narrator.py). Ctrl-C or SIGTERM stops the demo; the store and var/ stay for the
next start, which starts the simulated fleet again from its as-built phases and its controllers
afresh with it (`fresh_world`).
"""

from __future__ import annotations

import logging
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from urllib.parse import urlsplit

from sqlalchemy import ColumnElement, Engine, Table, func, select
from sqlalchemy.engine import make_url

from grid.metrics import rated_current_a
from grid.timezones import IST
from notify.routes import RouteError, add_route, list_routes
from settings import INGEST_MAX_AHEAD_S, Settings, SettingsError
from sim.broker import BrokerThread
from sim.cases import MissingDataError
from sim.fleet import FeederPlan
from sim.house_nodes import SimClock
from sim.narrator import Narrator, read_story
from sim.provisioning import provision
from sim.story import STORY_FEEDER_ID, STORY_START_H, demo_fleet, report_command
from store import schema
from store.alerting import forget_edge_conditions
from store.contacts import QUIET_OFF, ContactError, get_contact, set_contact
from store.db import make_engine
from store.migrate import upgrade
from store.users import add_user, list_users
from transport import broker_from_settings

log = logging.getLogger("sim.demo")

ROOT = Path(__file__).resolve().parents[1]
FLEET_DIR = Path("var/fleet")
EDGE_STORE_DIR = Path("var/edge")

DEMO_CONTROL_PERIOD_S = 20.0
"""The controllers decide every 20 s in the demo (60 s in the field) so that it shows quickly."""
DEMO_LOGIN_FILE = Path("var/demo-login")
DEMO_USER = "demo"
DEMO_EMAIL = "demo@smartphase.local"
"""The demo admin's e-mail address, which the demo's alerts are sent to."""
DEMO_SMTP_PORT = 18825
"""The demo's SMTP sink listens on 127.0.0.1 at this port."""
DEMO_SMTP_FROM = "SmartPhase demo <smartphase@demo.local>"
DEMO_NOTIFY_GROUP_INTERVAL_S = 60
"""A recipient gets at most one message a minute in the demo (every 5 minutes in the field), so
that the story's overload is e-mailed soon after the first message."""
MAIL_DIR = Path("var/mail")
"""Where the demo's SMTP sink keeps each message as a .eml file."""
DEMO_SUSTAIN_S = 30.0
"""Unbalance must last 30 s before the demo's controllers act (300 s in the field)."""
DEMO_AHEAD_WINDOW_S = 7 * 86400.0
"""How long a demo on accelerated time (`--speed` above 1) may run before its simulated clock
outruns what the ingest worker lets in (SP_INGEST_MAX_AHEAD_S) [s]."""
DEMO_HISTORY_S = 120.0
"""The demo's controllers gather 2 minutes of readings before their first move (10 in the
field)."""
DEMO_HELP_WINDOW_S = 10.0
"""A planner move is judged over 10 s in the demo (60 s in the field) so that switches land
within the demo's first two minutes."""
DEMO_LOCKOUT_COOLDOWN_S = 600.0
"""A house locked out after a failed or rolled-back switch comes back after 10 minutes in the
demo (6 h in the field), so that the demo shows it return."""


class LiveDemoError(RuntimeError):
    """The demo cannot start; the message says why."""


@dataclass(frozen=True, slots=True)
class StoreCounts:
    """What has reached the store so far."""

    summaries: int
    readings: int
    balancing_runs: int
    applied_switches: int

    @property
    def ready(self) -> bool:
        """Return whether every kind of record has arrived."""
        return min(self.summaries, self.readings, self.balancing_runs, self.applied_switches) > 0

    def line(self) -> str:
        """Return a one-line progress report."""
        return (
            f"summaries {self.summaries:,} · readings {self.readings:,} · "
            f"balancing runs {self.balancing_runs:,} · applied switches {self.applied_switches:,}"
        )


def store_counts(engine: Engine) -> StoreCounts:
    """Count the summaries, readings, balancing runs and applied switches in the store."""

    def count(table: Table, *where: ColumnElement[bool]) -> int:
        stmt = select(func.count()).select_from(table)
        for condition in where:
            stmt = stmt.where(condition)
        return int(conn.execute(stmt).scalar_one())

    with engine.connect() as conn:
        return StoreCounts(
            summaries=count(schema.feeder_readings),
            readings=count(schema.house_readings),
            balancing_runs=count(schema.balancing_runs),
            applied_switches=count(
                schema.switch_events, schema.switch_events.c.result == "applied"
            ),
        )


class LiveDemo:
    """Runs the closed loop of a simulated fleet on one machine."""

    def __init__(
        self,
        settings: Settings,
        plans: list[FeederPlan],
        *,
        houses_range: tuple[int, int],
        speed: float,
        seed: int,
        embedded_broker: bool,
        embedded_sink: bool = False,
    ) -> None:
        self.settings = settings
        self.plans = plans
        self.houses_range = houses_range
        self.speed = speed
        self.seed = seed
        self.embedded_broker = embedded_broker
        self.embedded_sink = embedded_sink
        """Whether e-mail goes to the demo's own SMTP sink (SP_SMTP_URL unset)."""
        self.children: dict[str, subprocess.Popen[bytes]] = {}
        self.broker: BrokerThread | None = None
        self.sim_start_s = time.time()
        """Simulated time at the start [epoch s]: what the store holds from then on is this
        demo's."""

    @classmethod
    def from_env(
        cls,
        feeders: int,
        houses_range: tuple[int, int],
        speed: float,
        seed: int,
        environ: Mapping[str, str] | None = None,
    ) -> LiveDemo:
        """Return the demo configured from SP_* variables (embedded defaults when unset)."""
        env = os.environ if environ is None else environ
        if not speed > 0:
            raise LiveDemoError(f"--speed {speed!r} must be positive")
        try:
            settings = Settings.from_env(env)
            plans = demo_fleet(feeders, houses_range, seed)
        except (SettingsError, MissingDataError, ValueError) as exc:
            raise LiveDemoError(str(exc)) from None
        return cls(
            settings,
            plans,
            houses_range=houses_range,
            speed=speed,
            seed=seed,
            embedded_broker="SP_MQTT_URL" not in env,
            embedded_sink="SP_SMTP_URL" not in env,
        )

    def start(self) -> Engine:
        """Start the broker, prepare the store and the fleet, and start the child processes."""
        if self.embedded_broker:
            where = broker_from_settings(self.settings)
            self.broker = BrokerThread(where.host, where.port)
            try:
                self.broker.start()
            except OSError as exc:
                raise LiveDemoError(
                    f"the embedded MQTT broker cannot listen on {where}: "
                    f"{exc.strerror or exc} (set SP_MQTT_URL to use a running broker)"
                ) from None
        if self.embedded_sink:
            _check_port_free(
                DEMO_SMTP_PORT,
                f"the demo's SMTP sink cannot listen on 127.0.0.1:{DEMO_SMTP_PORT}",
                "set SP_SMTP_URL to use a running mail server",
            )
        engine = make_engine(self.settings.database_url)
        backend = upgrade(engine)
        provision(
            self.settings.database_url,
            FLEET_DIR,
            self.plans,
            Path(self.settings.keys_dir),
        )
        forgotten = fresh_world(engine, EDGE_STORE_DIR, [p.feeder_id for p in self.plans])
        login = demo_login(engine, DEMO_LOGIN_FILE)
        routes = demo_routes(engine, (p.district for p in self.plans))
        env = self._child_env()
        self.sim_start_s = SimClock(self.speed, float(env["SP_SIM_EPOCH"])).now()
        houses = sum(len(p.houses) for p in self.plans)
        print(
            f"SmartPhase demo: {len(self.plans)} feeders, {houses} houses at Kerala towns\n"
            f"  store   {_redacted(self.settings.database_url)} ({backend.value})\n"
            f"  broker  {broker_from_settings(self.settings)}"
            f"{' (in-process)' if self.embedded_broker else ''}\n"
            f"  fleet   {FLEET_DIR}/feeders.csv, {FLEET_DIR}/houses.csv; keys in "
            f"{self.settings.keys_dir}\n"
            f"  edge    {EDGE_STORE_DIR}/, started afresh with the fleet"
            f"{f' ({forgotten} alerts of the last run cleared)' if forgotten else ''}\n"
            f"  control room  {self.dashboard_url}  {login}\n"
            f"  mail    {self._mail_banner()}\n"
            f"  routes  {routes}"
            f"{self._story_banner()}\n"
            "Ctrl-C stops it.",
            flush=True,
        )
        lo, hi = self.houses_range
        self._spawn("ingest", ["-m", "ingest", "--metrics-port", "0"], env)
        self._spawn("jobs", ["-m", "jobs"], env)
        self._spawn("reports", ["-m", "reports.worker"], env)
        if self.embedded_sink:
            self._spawn(
                "sink",
                ["-m", "notify.sink", "--port", str(DEMO_SMTP_PORT), "--dir", str(MAIL_DIR)],
                env,
            )
        self._spawn("notify", ["-m", "notify"], env)
        self._spawn(
            "edge",
            [
                "-m", "edge", "--simulate",
                "--houses", str(FLEET_DIR / "houses.csv"),
                "--feeders-file", str(FLEET_DIR / "feeders.csv"),
                "--store", str(EDGE_STORE_DIR),
                "--sustain-s", str(DEMO_SUSTAIN_S),
                "--history-s", str(DEMO_HISTORY_S),
                "--speed", str(self.speed),
            ],
            env,
        )  # fmt: skip
        self._spawn(
            "sim",
            [
                "-m", "sim", "--story",
                "--feeders", str(len(self.plans)),
                "--houses", f"{lo}-{hi}",
                "--seed", str(self.seed),
                "--speed", str(self.speed),
            ],
            env,
        )  # fmt: skip
        self._spawn(
            "dashboard",
            ["-m", "gunicorn", "-c", str(ROOT / "deploy" / "gunicorn.conf.py"), "app:server"],
            env,
        )
        return engine

    @property
    def dashboard_url(self) -> str:
        """Return the control room's address."""
        return f"http://{self.settings.host}:{self.settings.port}/"

    @property
    def story(self) -> FeederPlan | None:
        """Return the story feeder, if the fleet has it."""
        return next((p for p in self.plans if p.feeder_id == STORY_FEEDER_ID), None)

    def _mail_banner(self) -> str:
        if self.embedded_sink:
            return (
                f"alerts e-mailed to the SMTP sink at 127.0.0.1:{DEMO_SMTP_PORT}, each message "
                f"kept in {MAIL_DIR}/ as a .eml file; deliveries on "
                f"{self.dashboard_url}notifications"
            )
        server = urlsplit(self.settings.smtp_url or "")
        return f"alerts e-mailed through {server.hostname}:{server.port or 25} (SP_SMTP_URL)"

    def _story_banner(self) -> str:
        story = self.story
        if story is None:
            return ""
        start = f"{int(STORY_START_H):02d}:{round(STORY_START_H % 1 * 60):02d}"
        return (
            f"\n  story   {story.name} ({story.feeder_id}), {story.kva:.0f} kVA, its morning "
            f"from {start} now: R overloaded, then its solar houses moved to B; watch "
            f"{self.dashboard_url}feeder/{story.feeder_id}"
        )

    def narrator(self) -> Narrator | None:
        """Return the narrator of the story feeder's milestones, if the fleet has it."""
        story = self.story
        if story is None:
            return None
        day = datetime.now(IST).date().isoformat()
        return Narrator(
            story,
            rated_current_a(story.kva),
            f"{self.dashboard_url}feeder/{story.feeder_id}",
            report_command(story.feeder_id, day),
        )

    def dashboard_up(self) -> bool:
        """Return whether the control room answers its sign-in page."""
        try:
            with urllib.request.urlopen(self.dashboard_url + "login", timeout=2) as answer:
                return bool(answer.status == 200)
        except OSError:
            return False

    def _child_env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            {
                "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])),
                "SP_DATABASE_URL": self.settings.database_url,
                "SP_MQTT_URL": self.settings.mqtt_url,
                "SP_KEYS_DIR": self.settings.keys_dir,
                "SP_SIM_EPOCH": env.get("SP_SIM_EPOCH") or f"{time.time():.3f}",
                "SP_SECRET_KEY": env.get("SP_SECRET_KEY") or secrets.token_hex(32),
                "SP_EDGE_CONTROL_PERIOD_S": env.get(
                    "SP_EDGE_CONTROL_PERIOD_S", str(DEMO_CONTROL_PERIOD_S)
                ),
                "SP_EDGE_HELP_WINDOW_S": env.get("SP_EDGE_HELP_WINDOW_S", str(DEMO_HELP_WINDOW_S)),
                "SP_EDGE_LOCKOUT_COOLDOWN_S": env.get(
                    "SP_EDGE_LOCKOUT_COOLDOWN_S", str(DEMO_LOCKOUT_COOLDOWN_S)
                ),
                "SP_NOTIFY_GROUP_INTERVAL_S": env.get(
                    "SP_NOTIFY_GROUP_INTERVAL_S", str(DEMO_NOTIFY_GROUP_INTERVAL_S)
                ),
            }
        )
        if self.speed > 1.0 and "SP_INGEST_MAX_AHEAD_S" not in env:
            # Accelerated time runs ahead of HQ's wall clock: a week of demo is let in.
            ahead_s = INGEST_MAX_AHEAD_S + (self.speed - 1.0) * DEMO_AHEAD_WINDOW_S
            env["SP_INGEST_MAX_AHEAD_S"] = f"{ahead_s:.0f}"
        if self.embedded_sink:
            env["SP_SMTP_URL"] = f"smtp://127.0.0.1:{DEMO_SMTP_PORT}"
            env["SP_SMTP_FROM"] = env.get("SP_SMTP_FROM") or DEMO_SMTP_FROM
        return env

    def _spawn(self, name: str, args: list[str], env: dict[str, str]) -> None:
        logs = Path("var/log")
        logs.mkdir(parents=True, exist_ok=True)
        with (logs / f"demo-{name}.log").open("ab") as out:
            self.children[name] = subprocess.Popen(
                [sys.executable, *args], cwd=Path.cwd(), env=env, stdout=out, stderr=out
            )

    def stop(self) -> None:
        """Stop the children (SIGTERM, then SIGKILL after 10 s) and the broker."""
        for name in ("dashboard", "sim", "edge", "notify", "reports", "jobs", "ingest", "sink"):
            child = self.children.get(name)
            if child is not None and child.poll() is None:
                child.send_signal(signal.SIGTERM)
                try:
                    child.wait(10)
                except subprocess.TimeoutExpired:
                    child.kill()
                    child.wait()
        if self.broker is not None:
            self.broker.stop()

    def dead_child(self) -> str | None:
        """Return the name of a child process that exited, if any."""
        for name, child in self.children.items():
            if child.poll() is not None:
                return f"{name} (exit {child.returncode}; see var/log/demo-{name}.log)"
        return None

    def run(self, *, until_ready: bool = False, timeout_s: float = 180.0) -> int:
        """Run until Ctrl-C (or, with `until_ready`, until all records arrived); return status."""
        stopping = threading.Event()

        def on_signal(_signum: int, _frame: FrameType | None) -> None:
            stopping.set()

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        started = time.monotonic()
        try:
            engine = self.start()
        except LiveDemoError as exc:
            print(f"error: {exc}", file=sys.stderr)
            self.stop()
            return 2
        status, ready_at = 0, None
        narrator = self.narrator()
        try:
            while not stopping.wait(5.0):
                elapsed = time.monotonic() - started
                dead = self.dead_child()
                if dead is not None:
                    print(f"error: {dead} stopped", file=sys.stderr)
                    status = 1
                    break
                counts = store_counts(engine)
                print(f"[{elapsed:5.0f} s] {counts.line()}", flush=True)
                if narrator is not None:
                    since = datetime.fromtimestamp(self.sim_start_s, UTC)
                    for line in narrator.tell(read_story(engine, narrator.plan.feeder_id, since)):
                        print(f"[{elapsed:5.0f} s] {line}", flush=True)
                if counts.ready and ready_at is None and self.dashboard_up():
                    ready_at = elapsed
                    print(
                        f"the closed loop is running: all records stored after {elapsed:.0f} s; "
                        f"the control room is at {self.dashboard_url}",
                        flush=True,
                    )
                    if until_ready:
                        break
                if until_ready and elapsed > timeout_s:
                    print(f"error: not every record arrived within {timeout_s:.0f} s")
                    status = 1
                    break
        finally:
            self.stop()
            engine.dispose()
            print(
                f"SmartPhase demo stopped after {time.monotonic() - started:.0f} s: its processes "
                f"and broker are down; the store ({_redacted(self.settings.database_url)}) and "
                "var/ stay, and `make demo` starts it again.",
                flush=True,
            )
        return status


def fresh_world(engine: Engine, edge_dir: Path, feeder_ids: list[str]) -> int:
    """Start the controllers afresh with the simulated fleet, which every start builds again on
    its as-built phases: remove their state (under `edge_dir`) and clear what the store holds
    of the conditions they remembered (their active alerts, their houses' lockouts). A
    controller that kept its state would hold each house on the phase it last signed, against
    what the new fleet's nodes report. Return the alerts cleared."""
    shutil.rmtree(edge_dir, ignore_errors=True)
    with engine.begin() as conn:
        return forget_edge_conditions(conn, feeder_ids, datetime.now(UTC))


def demo_login(engine: Engine, login_file: Path) -> str:
    """Return how to sign in to the demo's control room, creating the `demo` admin if needed."""
    with engine.begin() as conn:
        exists = any(u.username == DEMO_USER for u in list_users(conn))
        if not exists:
            password = secrets.token_urlsafe(12)
            add_user(conn, DEMO_USER, password, "admin", actor="demo")
            login_file.parent.mkdir(parents=True, exist_ok=True)
            login_file.write_text(f"{DEMO_USER} {password}\n", encoding="utf-8")
            login_file.chmod(0o600)
    if login_file.exists():
        user, _, password = login_file.read_text(encoding="utf-8").strip().partition(" ")
        if user == DEMO_USER:
            return f"sign in as {user} / {password}"
    return f"sign in with your account (the {DEMO_USER} user exists already)"


def demo_routes(engine: Engine, districts: Iterable[str]) -> str:
    """Give the `demo` admin an e-mail address (and no quiet hours) if it has none, and a
    level-1 route for every alert of each district that it lacks; return what it is sent.

    Running it again on the same store adds nothing.
    """
    wanted = sorted(set(districts))
    try:
        with engine.begin() as conn:
            contact = get_contact(conn, DEMO_USER)
            if contact.email is None:
                contact = set_contact(
                    conn, DEMO_USER, email=DEMO_EMAIL, quiet_hours=QUIET_OFF, actor=DEMO_USER
                )
            routed = {
                r.district.lower()
                for r in list_routes(conn)
                if r.username == DEMO_USER
                and r.level == 1
                and r.section is None
                and r.min_severity is None
                and r.kind is None
            }
            for district in wanted:
                if district.lower() not in routed:
                    add_route(conn, district=district, level=1, username=DEMO_USER, actor=DEMO_USER)
    except (ContactError, RouteError) as exc:
        return f"the {DEMO_USER} user is not sent alerts ({exc})"
    return (
        f"the {DEMO_USER} user ({contact.email}) is told of every alert of "
        f"{', '.join(wanted) or 'no district'}"
    )


def _check_port_free(port: int, what: str, hint: str) -> None:
    """Raise LiveDemoError when 127.0.0.1:port cannot be listened on."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as asyncio's servers do
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as exc:
            raise LiveDemoError(f"{what}: {exc.strerror or exc} ({hint})") from None


def _redacted(url: str) -> str:
    """Return a database URL without its password."""
    return make_url(url).render_as_string(hide_password=True)
