"""The story feeder: its first demo minutes through the real edge controller, and its telling.

The story feeder's virtual nodes (the story's day, shifted to start in the morning at the
demo's epoch) report every 10 s to an `EdgeController` with the demo's settings (control every
20 s, 30 s sustain, 2 minutes of history, 10 s judgement, the feeder's 145 A rating) on a fake
clock; the nodes answer its signed commands as the firmware does. Nothing in the controller
knows the story: R must overload, the controller must move solar houses from R to B, and R
must end below its rating, whatever the wall-clock time the demo starts at.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import Engine, insert

from edge.config import HouseConfig
from edge.controller import EdgeController
from edge.links import Inbound
from edge.settings import EdgeSettings
from grid.control import ControlConfig
from grid.messages import (
    Alert,
    AlertState,
    HouseCommand,
    Severity,
    Summary,
    Telemetry,
    TopicKind,
    parse_topic,
    topic_for,
)
from grid.metrics import rated_current_a
from grid.phasors import Phase
from grid.signing import split_seal
from keys import StaticKeys
from sim.feeder_day import IST
from sim.fleet import FeederPlan, plan_fleet
from sim.house_nodes import FeederNodes, SimClock, VirtualHouse, derive_key
from sim.live_demo import (
    DEMO_CONTROL_PERIOD_S,
    DEMO_HELP_WINDOW_S,
    DEMO_HISTORY_S,
    DEMO_LOCKOUT_COOLDOWN_S,
    DEMO_SUSTAIN_S,
)
from sim.narrator import Narrator, Overload, StoryReading, Switch, read_story
from sim.story import (
    STORY_FEEDER_ID,
    STORY_START_H,
    demo_fleet,
    story_minute,
    story_plan,
    story_profile,
)
from store import schema

SECRET = b"story-test"
TELE_PERIOD_S = 10
MINUTES = 8
"""How much of the demo is played [min]."""
R, Y, B = Phase.R, Phase.Y, Phase.B


class HouseBus:
    """The house bus in memory: commands reach the virtual nodes, their acks come back at once."""

    connected = True
    epoch = 1

    def __init__(self, nodes: dict[str, VirtualHouse], now: list[float]) -> None:
        self.nodes = nodes
        self.now = now
        self.inbox: list[Inbound] = []

    def publish(self, topic: str, payload: bytes, *, qos: int = 0, retain: bool = False) -> bool:
        parsed = parse_topic(topic)
        if parsed.kind is TopicKind.CMD and parsed.house in self.nodes:
            ack = self.nodes[parsed.house].handle(HouseCommand.from_json(payload), self.now[0])
            self.inbox.append(
                Inbound(topic_for(TopicKind.ACK, parsed.feeder, parsed.house), ack.to_json())
            )
        return True

    def drain(self) -> list[Inbound]:
        out, self.inbox = self.inbox, []
        return out


class StoryHq:
    """HQ in memory: keeps each summary, alert and switch result once (it never confirms, so
    the edge sends them again; the edge balances on all the same)."""

    connected = True
    epoch = 1

    def __init__(self) -> None:
        self.summaries: list[Summary] = []
        self.alerts: list[Alert] = []
        self.switches: list[dict[str, Any]] = []
        self._kept: set[tuple[str, int]] = set()

    def publish(self, topic: str, payload: bytes, *, qos: int = 0, retain: bool = False) -> bool:
        kind = topic.rsplit("/", 1)[-1]
        if kind == "status":
            return True
        sealed = split_seal(payload)
        assert sealed is not None, "an uplink message without its seal"
        payload = sealed[0]
        head = json.loads(payload)
        if (kind, head["seq"]) in self._kept:
            return True
        self._kept.add((kind, head["seq"]))
        if kind == "summary":
            self.summaries.append(Summary.from_json(payload))
        elif kind == "alert":
            self.alerts.append(Alert.from_json(payload))
        elif kind == "event" and head["kind"] == "switch_result":
            self.switches.append({**head["data"], "ts": head["ts"]})
        return True

    def drain(self) -> list[Inbound]:
        return []


@dataclass
class StoryRun:
    """What HQ received in the story feeder's first minutes."""

    plan: FeederPlan
    epoch_s: float
    rating_a: float
    hq: StoryHq

    @property
    def switches(self) -> list[dict[str, Any]]:
        """Return the switch results, in order, with when each ended (`ts`)."""
        return self.hq.switches

    def pv_kw(self, house: str) -> float:
        """Return a house's rooftop PV [kWp]."""
        return next(h.pv_kw for h in self.plan.houses if h.house_id == house)

    def overloads(self) -> list[Alert]:
        """Return the phase_overload alert messages, in order."""
        return [a for a in self.hq.alerts if a.kind == "phase_overload"]


def play_story(epoch_s: float, store_dir: Path) -> StoryRun:
    """Run the story feeder's first MINUTES from the demo's epoch; return what HQ got."""
    plan = story_plan()
    profile = story_profile(plan)
    now = [epoch_s]
    keys = StaticKeys(
        {d: derive_key(SECRET, d) for d in (plan.feeder_id, *(h.house_id for h in plan.houses))}
    )
    nodes = {
        h.house_id: VirtualHouse(h.house_id, h.phase, derive_key(SECRET, h.house_id))
        for h in plan.houses
    }
    bus = HouseBus(nodes, now)
    hq = StoryHq()
    rating_a = rated_current_a(plan.kva)
    controller = EdgeController(
        plan.feeder_id,
        [HouseConfig(h.house_id, h.phase, h.pv_kw, h.switchable) for h in plan.houses],
        clock=lambda: now[0],
        house_bus=bus,
        hq=hq,
        keys=keys,
        store_dir=store_dir,
        settings=EdgeSettings(
            control_period_s=DEMO_CONTROL_PERIOD_S,
            help_window_s=DEMO_HELP_WINDOW_S,
            lockout_cooldown_s=DEMO_LOCKOUT_COOLDOWN_S,
            phase_rating_a=rating_a,
        ),
        control=ControlConfig(sustain_s=DEMO_SUSTAIN_S, target_min_history_s=DEMO_HISTORY_S),
    )
    try:
        for tick in range(1, MINUTES * 60 + 1):
            now[0] = epoch_s + tick
            if tick % TELE_PERIOD_S == 0:
                load, q, pv = profile.at(story_minute(now[0], epoch_s))
                for k, h in enumerate(plan.houses):
                    net_w, q_var, pv_w = float(load[k] - pv[k]), float(q[k]), float(pv[k])
                    tele = nodes[h.house_id].telemetry(now[0], net_w, q_var, pv_w, 230.0)
                    topic = topic_for(TopicKind.TELE, plan.feeder_id, h.house_id)
                    bus.inbox.append(Inbound(topic, tele.to_json()))
            controller.step()
    finally:
        controller.close()
    return StoryRun(plan, epoch_s, rating_a, hq)


def ist(hour: float) -> float:
    """Return an epoch time at `hour` IST on a weekday [epoch s]."""
    return datetime(2026, 3, 16, tzinfo=IST).timestamp() + hour * 3600.0


@pytest.fixture(scope="module", params=[2.0, 12.5, 19.25], ids=["02:00", "12:30", "19:15"])
def story(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> StoryRun:
    """The story's first minutes, the demo started at a given wall-clock time (IST)."""
    return play_story(ist(request.param), tmp_path_factory.mktemp("story-edge"))


def test_r_is_overloaded_first_and_the_critical_alert_is_raised(story: StoryRun) -> None:
    first = next(s for s in story.hq.summaries if s.houses_online == len(story.plan.houses))
    i_r, i_y, i_b = first.i_a
    assert i_r > story.rating_a > i_y > i_b
    raised = story.overloads()[0]
    assert raised.state is AlertState.RAISED
    assert raised.severity is Severity.CRITICAL
    assert raised.message.startswith("Phase R ")
    assert raised.ts_s < story.switches[0]["ts"]
    assert raised.ts_s - story.epoch_s <= 30


def test_the_controller_moves_solar_houses_from_r_to_b(story: StoryRun) -> None:
    applied = [s for s in story.switches if s["result"] == "applied"]
    assert all(s["origin"] == "auto" for s in story.switches)
    first_run = [s for s in applied if s["run_id"] == applied[0]["run_id"]]
    assert [(s["from"], s["to"]) for s in first_run] == [("R", "B")] * len(first_run)
    assert all(story.pv_kw(s["house"]) > 0 for s in first_run)
    solar_to_b = [
        s for s in applied if (s["from"], s["to"]) == ("R", "B") and story.pv_kw(s["house"]) > 0
    ]
    assert len(solar_to_b) >= 4
    assert applied[0]["ts"] - story.epoch_s <= 4 * 60


def test_r_ends_below_its_rating_and_the_alert_clears(story: StoryRun) -> None:
    last_minute = [s for s in story.hq.summaries if s.ts_s > story.epoch_s + (MINUTES - 1) * 60]
    assert last_minute
    assert max(s.i_a[0] for s in last_minute) < story.rating_a
    raised, cleared = story.overloads()[:2]
    assert cleared.state is AlertState.CLEARED
    assert cleared.alert_id == raised.alert_id
    assert cleared.ts_s - story.epoch_s <= 5 * 60


# --- the fleet and the story's clock -------------------------------------------------------


def test_the_story_feeder_leads_the_demo_fleet_and_no_other_takes_its_id() -> None:
    fleet = demo_fleet(30, (40, 80), 1)
    assert len(fleet) == 30
    assert fleet[0].feeder_id == STORY_FEEDER_ID
    ids = [p.feeder_id for p in fleet]
    assert len(set(ids)) == len(ids)
    houses = [h.house_id for p in fleet for h in p.houses]
    assert len(set(houses)) == len(houses)
    with pytest.raises(ValueError, match="feeders"):
        demo_fleet(0, (40, 80), 1)


def test_the_fleet_numbers_past_taken_ids() -> None:
    (first,) = plan_fleet(1, (40, 40), 1)
    (renumbered,) = plan_fleet(1, (40, 40), 1, taken=frozenset({first.feeder_id}))
    assert renumbered.feeder_id == first.feeder_id[:-4] + "0002"
    assert renumbered.houses[0].house_id.startswith(renumbered.feeder_id + "-H")


def test_the_story_day_starts_in_the_morning_at_the_epoch_and_runs_with_the_clock() -> None:
    epoch = ist(15.0)
    assert story_minute(epoch, epoch) == STORY_START_H * 60
    assert story_minute(epoch + 90, epoch) == STORY_START_H * 60 + 1.5
    assert story_minute(epoch + 86400, epoch) == pytest.approx(STORY_START_H * 60)


class Recorder:
    """Stands in for a node's MQTT client: keeps what is published."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes]] = []

    def publish(self, topic: str, payload: bytes, qos: int = 0, retain: bool = False) -> None:
        self.sent.append((topic, payload))


def test_the_story_nodes_report_the_story_morning_whatever_the_hour() -> None:
    plan = story_plan()
    profile = story_profile(plan)
    clock = SimClock(1.0, time.time() - 90.0)  # the demo started 90 s ago, at any hour
    nodes = FeederNodes(
        plan,
        "mqtt://127.0.0.1:9",
        lambda house: derive_key(SECRET, house),
        clock,
        profile=profile,
        minute_of_day=lambda now: story_minute(now, clock.epoch_s),
    )
    recorder = Recorder()
    nodes.client = recorder  # type: ignore[assignment]
    assert nodes.publish_telemetry() == len(plan.houses)
    reports = [Telemetry.from_json(payload) for _, payload in recorder.sent]
    minute = int(story_minute(clock.now(), clock.epoch_s))
    assert minute == STORY_START_H * 60 + 1
    load, _, pv = profile.at(minute)
    assert [r.p_w for r in reports] == pytest.approx(load - pv, abs=0.1)
    assert [r.pv_w for r in reports] == pytest.approx(pv, abs=0.1)


def test_the_story_wiring_puts_the_solar_houses_on_r() -> None:
    plan = story_plan()
    solar = [h for h in plan.houses if h.pv_kw > 0]
    on_r = [h for h in solar if h.phase is R]
    assert len(on_r) > len(solar) / 2
    assert sum(h.phase is B for h in plan.houses) < sum(h.phase is R for h in plan.houses) / 3
    profile = story_profile(plan)
    assert profile.p_w.shape == (1440, len(plan.houses))
    assert np.all(profile.pv_w[: 5 * 60] == 0.0)  # no sun before 05:00


# --- the telling ---------------------------------------------------------------------------


def narrator() -> Narrator:
    plan = story_plan()
    return Narrator(plan, 145.0, "http://127.0.0.1:8050/feeder/" + plan.feeder_id, "REPORT")


RAISED = Overload("a1", "Phase R carries 180 A, above its rating of 145 A.", cleared=False)
MOVE = Switch(7, f"{STORY_FEEDER_ID}-H001", "R", "B", "applied", "")


def test_the_narrator_tells_each_milestone_once() -> None:
    teller = narrator()
    assert teller.tell(StoryReading((), (), None)) == []
    (overloaded,) = teller.tell(StoryReading((RAISED,), (), (180.0, 87.0, 16.0)))
    assert "overloaded: Phase R carries 180 A" in overloaded
    (moved,) = teller.tell(StoryReading((RAISED,), (MOVE,), (150.0, 87.0, 50.0)))
    assert f"{STORY_FEEDER_ID}-H001 (4 kWp solar) R → B: applied" in moved
    assert teller.tell(StoryReading((RAISED,), (MOVE,), (150.0, 87.0, 50.0))) == []
    cleared = Overload("a1", RAISED.message, cleared=True)
    back, report = teller.tell(StoryReading((cleared,), (MOVE,), (120.0, 87.0, 80.0)))
    assert "back within its rating (R 120 A, Y 87 A, B 80 A against 145 A)" in back
    assert back.endswith(f"/feeder/{STORY_FEEDER_ID}")
    assert report.endswith("REPORT")
    assert teller.tell(StoryReading((cleared,), (MOVE,), (120.0, 87.0, 80.0))) == []


def test_the_narrator_waits_for_every_overload_to_clear() -> None:
    teller = narrator()
    on_b = Overload("a2", "Phase B carries 150 A, above its rating of 145 A.", cleared=False)
    teller.tell(StoryReading((RAISED, on_b), (), None))
    cleared = Overload("a1", RAISED.message, cleared=True)
    assert teller.tell(StoryReading((cleared, on_b), (), None)) == []
    both = (cleared, Overload("a2", on_b.message, cleared=True))
    (back, _) = teller.tell(StoryReading(both, (), None))
    assert "back within its rating;" in back


def test_the_story_is_read_from_the_store_since_this_demo_started(engine: Engine) -> None:
    since = datetime(2026, 3, 16, 7, 0, tzinfo=UTC)
    earlier, later = since - timedelta(hours=1), since + timedelta(minutes=2)
    message = "Phase R carries 181 A, above its rating of 145 A."
    alert: dict[str, str | None] = {
        "kind": "phase_overload",
        "severity": "critical",
        "message": message,
        "cleared_at": None,
    }
    switch = {"from_phase": "R", "to_phase": "B", "origin": "auto", "boot": 1}
    with engine.begin() as conn:
        conn.execute(
            insert(schema.feeders),
            {
                "feeder_id": STORY_FEEDER_ID,
                "name": "Kottayam 1",
                "district": "Kottayam",
                "lat": 9.59,
                "lon": 76.52,
                "kva": 100.0,
                "created_at": earlier,
            },
        )
        conn.execute(
            insert(schema.alerts),
            [
                {**alert, "alert_id": "old", "feeder_id": STORY_FEEDER_ID, "state": "cleared",
                 "raised_at": earlier, "cleared_at": earlier, "updated_at": earlier},
                {**alert, "alert_id": "new", "feeder_id": STORY_FEEDER_ID, "state": "open",
                 "raised_at": later, "updated_at": later},
                {**alert, "alert_id": "other", "feeder_id": "KL-EKM-0001", "state": "open",
                 "raised_at": later, "updated_at": later},
                {**alert, "kind": "sustained_unbalance", "alert_id": "unbalance",
                 "feeder_id": STORY_FEEDER_ID, "state": "open", "raised_at": later,
                 "updated_at": later},
            ],
        )  # fmt: skip
        conn.execute(
            insert(schema.switch_events),
            [
                {**switch, "ts": t, "feeder_id": STORY_FEEDER_ID, "house_id": house,
                 "result": result, "seq": seq}
                for seq, (t, house, result) in enumerate(
                    [
                        (earlier, f"{STORY_FEEDER_ID}-H001", "applied"),
                        (later, f"{STORY_FEEDER_ID}-H007", "applied"),
                        (later + timedelta(seconds=20), f"{STORY_FEEDER_ID}-H002", "rolled_back"),
                    ],
                    start=1,
                )
            ],
        )  # fmt: skip
        conn.execute(
            insert(schema.feeder_state),
            {
                "feeder_id": STORY_FEEDER_ID,
                "ts": later,
                **dict.fromkeys(schema.FEEDER_MEASURES, 0.0),
                "i_r": 181.0,
                "i_y": 87.0,
                "i_b": 16.0,
                "mode": "auto",
                "houses_online": 64,
                "houses_total": 64,
            },
        )
    reading = read_story(engine, STORY_FEEDER_ID, since)
    assert reading.overloads == (Overload("new", message, cleared=False),)
    assert [(s.house_id, s.result) for s in reading.switches] == [
        (f"{STORY_FEEDER_ID}-H007", "applied"),
        (f"{STORY_FEEDER_ID}-H002", "rolled_back"),
    ]
    assert reading.phase_a == (181.0, 87.0, 16.0)
