"""The store functions of the control room: alert acknowledgement (SQLite and PostgreSQL); the
log is in test_activity.py, the sign-in counters in tests/security/test_login_limits.py."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine, select

from store.alerting import AlertError, acknowledge, find_alerts
from store.schema import audit_log
from tests.store.seed import T0, add_alert, add_audit, add_command, add_feeder, add_switch


@pytest.fixture
def seeded(engine: Engine) -> Engine:
    with engine.begin() as conn:
        add_feeder(conn, "KL-TVM-0001", district="Thiruvananthapuram")
        add_feeder(conn, "KL-EKM-0002", district="Ernakulam")
        add_alert(conn, "A1", "KL-TVM-0001", T0, severity="critical")
        add_alert(conn, "A2", "KL-EKM-0002", T0 + timedelta(minutes=1))
        add_alert(conn, "A3", "KL-EKM-0002", T0 + timedelta(minutes=2), state="cleared")
        add_command(conn, "C1", "KL-TVM-0001", T0, house_id="KL-TVM-0001-H001",
                    state="applied", requested_by="otto")  # fmt: skip
        add_switch(conn, T0 + timedelta(seconds=30), "KL-TVM-0001", "KL-TVM-0001-H001",
                   cmd_id="C1", origin="manual", reason="operator move")  # fmt: skip
        add_switch(conn, T0 + timedelta(minutes=5), "KL-EKM-0002", "KL-EKM-0002-H002",
                   reason="neutral high")  # fmt: skip
        add_audit(conn, T0 + timedelta(minutes=6), "user.add", username="ada", target="nina")
        add_audit(conn, T0 + timedelta(minutes=7), "feeder.set_mode", username="vera",
                  target="KL-TVM-0001", outcome="denied")  # fmt: skip
    return engine


def test_find_alerts_filters_by_district_state_and_severity(seeded: Engine) -> None:
    with seeded.connect() as conn:
        assert [a.alert_id for a in find_alerts(conn, district="Ernakulam")] == ["A3", "A2"]
        assert [a.alert_id for a in find_alerts(conn, state="active")] == ["A1", "A2"]
        assert [a.alert_id for a in find_alerts(conn, severity="critical")] == ["A1"]
        assert find_alerts(conn, district="Kollam") == []


def test_acknowledge_records_who_and_when_with_an_audit_row(seeded: Engine) -> None:
    at = T0 + timedelta(hours=1)
    with seeded.begin() as conn:
        alert = acknowledge(conn, "A1", actor="otto", address="10.0.0.5", now=at)
    assert (alert.state, alert.acked_by, alert.acked_at) == ("acknowledged", "otto", at)
    with seeded.connect() as conn:
        row = conn.execute(select(audit_log).where(audit_log.c.action == "alert.ack")).one()
    assert (row.username, row.target, row.outcome, row.address) == (
        "otto", "A1", "ok", "10.0.0.5",
    )  # fmt: skip


@pytest.mark.parametrize(("alert_id", "why"), [("A3", "cleared"), ("nope", "no alert")])
def test_acknowledge_refuses_what_is_not_open(seeded: Engine, alert_id: str, why: str) -> None:
    with pytest.raises(AlertError, match=why), seeded.begin() as conn:
        acknowledge(conn, alert_id, actor="otto")
    with seeded.begin() as conn:
        acknowledge(conn, "A2", actor="otto")
    with pytest.raises(AlertError, match="acknowledged"), seeded.begin() as conn:
        acknowledge(conn, "A2", actor="otto")
