"""A demo start builds its simulated fleet again on the as-built phases: its controllers start
afresh with it, and the store forgets the conditions the last run's controllers remembered."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine, select

from sim.live_demo import fresh_world
from store.schema import alerts, houses
from tests.store.seed import T0, add_alert, add_feeder, add_house


def states(engine: Engine) -> dict[str, str]:
    with engine.connect() as conn:
        return {str(i): str(s) for i, s in conn.execute(select(alerts.c.alert_id, alerts.c.state))}


def test_a_fresh_start_forgets_the_controllers_state_and_their_conditions(
    engine: Engine, tmp_path: Path
) -> None:
    edge_dir = tmp_path / "edge"
    (edge_dir / "KL-TST-0001").mkdir(parents=True)
    (edge_dir / "KL-TST-0001" / "state.db").write_bytes(b"signed phases of the last run")
    with engine.begin() as conn:
        for feeder in ("KL-TST-0001", "KL-OTH-0001"):
            add_feeder(conn, feeder)
        add_house(conn, "KL-TST-0001-H001", "KL-TST-0001", locked=True)
        add_house(conn, "KL-OTH-0001-H001", "KL-OTH-0001", locked=True)
        at = T0 - timedelta(hours=1)
        add_alert(conn, "mismatch", "KL-TST-0001", at, house_id="KL-TST-0001-H001",
                  kind="house_phase_mismatch")  # fmt: skip
        add_alert(conn, "rolled", "KL-TST-0001", at, house_id="KL-TST-0001-H001",
                  kind="switch_rolled_back", state="acknowledged")  # fmt: skip
        add_alert(conn, "silent", "KL-TST-0001", at, kind="feeder_offline")
        add_alert(conn, "other", "KL-OTH-0001", at, kind="sustained_unbalance")

    assert fresh_world(engine, edge_dir, ["KL-TST-0001"]) == 2

    assert not edge_dir.exists()
    assert states(engine) == {
        "mismatch": "cleared",
        "rolled": "cleared",
        "silent": "open",  # HQ's own: it clears when the feeder is heard again
        "other": "open",  # not a feeder of this demo
    }
    with engine.connect() as conn:
        locked = dict(conn.execute(select(houses.c.house_id, houses.c.locked)).all())
    assert locked == {"KL-TST-0001-H001": False, "KL-OTH-0001-H001": True}
    assert fresh_world(engine, edge_dir, ["KL-TST-0001"]) == 0  # nothing left to forget
