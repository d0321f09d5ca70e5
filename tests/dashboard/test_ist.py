"""Times a user reads are India Standard Time: CSV cells, the log's CSV export and the alert
messages HQ writes."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from grid.timezones import IST
from store.csv_export import cell_text, csv_text
from store.db import make_engine
from store.migrate import upgrade
from store.schema import alerts
from store.watchdog import sweep_offline_feeders
from tests.dashboard.conftest import NOW
from tests.store.seed import add_feeder


def test_an_instant_in_a_csv_reads_in_ist_to_the_second() -> None:
    at = datetime(2024, 6, 1, 23, 45, 7, 250_000, tzinfo=UTC)
    rows = list(csv.reader(io.StringIO(csv_text(["at", "n"], [{"at": at, "n": 3}]))))
    assert rows == [["at", "n"], ["2024-06-02T05:15:07+05:30", "3"]]


def test_an_instant_from_another_zone_is_written_in_ist() -> None:
    new_york = timezone(timedelta(hours=-4))
    assert cell_text(datetime(2024, 6, 1, 8, 0, tzinfo=new_york)) == "2024-06-01T17:30:00+05:30"
    assert cell_text(None) == ""
    assert cell_text(-12.5) == "-12.5"


def test_a_time_without_a_zone_is_refused_rather_than_guessed() -> None:
    with pytest.raises(ValueError, match="time zone"):
        csv_text(["at"], [{"at": datetime(2024, 6, 1, 8, 0)}])


def test_the_log_export_gives_each_row_its_ist_second(clients: dict[str, FlaskClient]) -> None:
    response = clients["viewer"].get("/log.csv?kind=audit&user=otto")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert rows
    seeded = (NOW - timedelta(hours=1)).astimezone(IST).isoformat(timespec="seconds")
    assert seeded in [r["ts"] for r in rows]
    assert all(r["ts"].endswith("+05:30") for r in rows)


def test_a_silent_feeder_alert_says_when_it_was_last_heard_in_ist(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/store.db")
    upgrade(engine)
    heard = datetime(2024, 6, 1, 20, 10, 5, tzinfo=UTC)
    with engine.begin() as conn:
        add_feeder(conn, "KL-TVM-0042", last_seen=heard)
        sweep_offline_feeders(conn, heard + timedelta(minutes=10))
        said = conn.execute(select(alerts.c.message)).scalars().all()
    engine.dispose()
    assert said == ["No data from KL-TVM-0042 since 2024-06-02 01:40:05 IST."]
