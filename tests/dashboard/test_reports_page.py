"""The reports page without a browser, its callbacks by direct POST on SQLite and PostgreSQL:
an export queued and audited with who asked, a bad request named, a done run downloaded only
when its SHA-256 holds, the list of runs, and an admin's schedules added and removed."""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import dash
import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine, delete, select

from components import ids
from components.report_export import build_status, size_text, status_text
from components.runtime import current
from reports.periods import today_ist, week_of
from reports.runs import Run, claim_next, get_run, mark_done, mark_failed, queue_run
from reports.scope import Period, Scope
from store.schema import audit_log, report_schedules, reports
from tests.dashboard.conftest import ORIGIN, USERS, callback_entries, callback_payload

PERIOD = Period(date(2024, 6, 3), date(2024, 6, 9))
T0 = datetime(2024, 6, 10, 4, 0, tzinfo=UTC)


def key_of(app: dash.Dash, name: str) -> str:
    """Return the callback key of the page function `name`."""
    keys = [
        k
        for k, entry in callback_entries(app).items()
        if _unwrapped(entry["callback"]).__name__ == name
        and _unwrapped(entry["callback"]).__module__.endswith("reports")
    ]
    assert len(keys) == 1, keys
    return keys[0]


def _unwrapped(func: Any) -> Any:
    while hasattr(func, "__wrapped__"):
        func = func.__wrapped__
    return func


def post(
    client: FlaskClient, app: dash.Dash, name: str, values: dict[str, Any], trigger: Any = 1
) -> Any:
    """POST a callback of the page; its first input is the trigger, with value `trigger`."""
    body = callback_payload(app, key_of(app, name), values)
    first = body["inputs"][0]
    if isinstance(first, list):  # a pattern-matching ALL input: one concrete button
        button = {**first[0]["id"], **values.get("button", {})}
        first[0]["id"] = button
        first[0]["value"] = trigger
        body["changedPropIds"] = [
            json.dumps(button, sort_keys=True, separators=(",", ":")) + "." + first[0]["property"]
        ]
    else:
        first["value"] = trigger
    response = client.post("/_dash-update-component", json=body, headers={"Origin": ORIGIN})
    assert response.status_code in (200, 204), response.get_data(as_text=True)[:500]
    return response.get_json() if response.status_code == 200 else None


def engine_of(app: dash.Dash) -> Engine:
    return current(app.server).engine


@pytest.fixture
def clean(dashboard_app: dash.Dash) -> None:
    with engine_of(dashboard_app).begin() as conn:
        conn.execute(delete(reports))
        conn.execute(delete(report_schedules))


def test_how_a_run_is_shown() -> None:
    run = Run(
        7, "district", "Wayanad", PERIOD.first_day, PERIOD.last_day, "ml", "running",
        "computing the figures", 0.42, "vera", None, T0, T0, None, 1, None, "w1", None, None,
        None, None, None, None, None, None,
    )  # fmt: skip
    assert run.title == "District Wayanad, 2024-06-03 to 2024-06-09 (7 days), Malayalam"
    assert status_text(run) == "Rendering: computing the figures (42%)."
    assert status_text(replace(run, status="queued"), ahead=2) == "Queued: 2 reports before it."
    retry = replace(run, status="queued", error="the store went away", next_try_at=T0)
    assert status_text(retry) == (
        "Try 1 failed (the store went away); tried again after 2024-06-10 09:30:00 IST."
    )
    failed = replace(run, status="failed", attempts=3, error="boom")
    assert status_text(failed) == "Failed after 3 tries: boom"
    assert size_text(182_400) == "182 kB"
    assert size_text(2_400_000) == "2.4 MB"
    assert build_status(None) == ""


@pytest.mark.usefixtures("clean")
def test_a_viewer_exports_a_report_queued_and_audited(
    dashboard_app: dash.Dash, clients: dict[str, FlaskClient]
) -> None:
    today = today_ist()
    answer = post(
        clients["viewer"],
        dashboard_app,
        "export",
        {
            f"{ids.REPORTS_SCOPE}.data": {"kind": "feeder", "name": "KL-TVM-0001"},
            f"{ids.REPORTS_PERIOD}.value": "week",
            f"{ids.REPORTS_DAY}.value": today.isoformat(),
            f"{ids.REPORTS_LANG}.value": "ml",
        },
    )
    outputs = answer["response"]
    run_id = outputs[ids.REPORTS_RUN]["data"]
    assert outputs[ids.REPORTS_POLL]["disabled"] is False
    assert "Queued" in json.dumps(outputs[ids.REPORTS_STATUS])
    with engine_of(dashboard_app).connect() as conn:
        run = get_run(conn, run_id)
        row = conn.execute(
            select(audit_log.c.username, audit_log.c.target, audit_log.c.detail).where(
                audit_log.c.action == "report.export"
            )
        ).all()[-1]
    assert run is not None
    week = week_of(today)
    assert (run.scope_kind, run.scope_name, run.lang, run.status, run.requested_by) == (
        "feeder",
        "KL-TVM-0001",
        "ml",
        "queued",
        USERS["viewer"],
    )
    assert (run.first_day, run.last_day) == (week.first_day, min(week.last_day, today))
    assert (row.username, row.target, row.detail["run"]) == ("vera", "KL-TVM-0001", run_id)


@pytest.mark.usefixtures("clean")
@pytest.mark.parametrize(
    ("values", "said"),
    [
        ({}, "Not exported: scope: choose what to report on first."),
        (
            {f"{ids.REPORTS_SCOPE}.data": {"kind": "district", "name": None}},
            "Not exported: district: choose a district first.",
        ),
        (
            {
                f"{ids.REPORTS_SCOPE}.data": {"kind": "feeder", "name": "KL-XXX-0404"},
                f"{ids.REPORTS_PERIOD}.value": "custom",
                f"{ids.REPORTS_FROM}.value": "2024-06-01",
                f"{ids.REPORTS_TO}.value": "2024-06-30",
            },
            "Not exported: feeder: 'KL-XXX-0404' is not a provisioned feeder.",
        ),
        (
            {
                f"{ids.REPORTS_SCOPE}.data": {"kind": "state", "name": None},
                f"{ids.REPORTS_PERIOD}.value": "day",
                f"{ids.REPORTS_DAY}.value": "tomorrow",
            },
            "Not exported: day: 'tomorrow' is not a date (YYYY-MM-DD).",
        ),
    ],
)
def test_a_bad_export_is_named_and_queues_nothing(
    dashboard_app: dash.Dash, clients: dict[str, FlaskClient], values: dict[str, Any], said: str
) -> None:
    answer = post(clients["viewer"], dashboard_app, "export", values)
    assert said in json.dumps(answer["response"][ids.REPORTS_STATUS], ensure_ascii=False)
    with engine_of(dashboard_app).connect() as conn:
        assert conn.execute(select(reports.c.run_id)).all() == []


def done_run(engine: Engine, folder: Path) -> tuple[int, bytes]:
    """Queue, claim and finish a run with a small PDF; return its id and bytes."""
    pdf, csv = folder / "r.pdf", folder / "r.csv"
    data = b"%PDF-1.7\n% a report\n"
    pdf.write_bytes(data)
    csv.write_text("a,b\n")
    with engine.begin() as conn:
        run_id = queue_run(
            conn, Scope("district", "Ernakulam"), PERIOD, "en", requested_by="otto", now=T0
        )
        run = claim_next(conn, "w1", T0, lease_s=60)
        assert run is not None
        mark_done(conn, run, pdf=pdf, csv=csv, pages=1, now=T0)
    return run_id, data


@pytest.mark.usefixtures("clean")
def test_a_done_run_downloads_only_while_its_sha256_holds(
    dashboard_app: dash.Dash, clients: dict[str, FlaskClient], tmp_path: Path
) -> None:
    engine = engine_of(dashboard_app)
    run_id, data = done_run(engine, tmp_path)
    values = {f"{ids.REPORTS_RUN}.data": run_id}
    outputs = post(clients["viewer"], dashboard_app, "follow", values)["response"]
    sent = outputs[ids.REPORTS_DOWNLOAD]["data"]
    assert base64.b64decode(sent["content"]) == data
    assert sent["filename"] == f"report-{run_id}-district-Ernakulam-2024-06-03-2024-06-09-en.pdf"
    assert outputs[ids.REPORTS_POLL]["disabled"] is True
    with engine.connect() as conn:
        downloads = conn.execute(
            select(audit_log.c.username, audit_log.c.detail).where(
                audit_log.c.action == "report.download"
            )
        ).all()
    assert [(d.username, d.detail["run"]) for d in downloads][-1] == ("vera", run_id)

    again = post(
        clients["operator"], dashboard_app, "download", {"button": {"run": run_id}}, trigger=1
    )["response"]
    assert base64.b64decode(again[ids.REPORTS_DOWNLOAD]["data"]["content"]) == data

    (tmp_path / "r.pdf").write_bytes(data + b"% changed\n")
    outputs = post(clients["viewer"], dashboard_app, "follow", values)["response"]
    assert ids.REPORTS_DOWNLOAD not in outputs
    assert "SHA-256 differs" in json.dumps(outputs[ids.REPORTS_STATUS])


@pytest.mark.usefixtures("clean")
def test_the_list_shows_each_run_and_a_failure_with_its_error(
    dashboard_app: dash.Dash, clients: dict[str, FlaskClient], tmp_path: Path
) -> None:
    engine = engine_of(dashboard_app)
    done_id, _ = done_run(engine, tmp_path)
    with engine.begin() as conn:
        queue_run(conn, Scope("feeder", "KL-EKM-0002"), PERIOD, "ml", requested_by="vera", now=T0)
        run = claim_next(conn, "w1", T0, lease_s=60)
        assert run is not None
        mark_failed(
            conn, run, "the store went away", permanent=True, attempts=3, retry_s=60, now=T0
        )
    text = json.dumps(post(clients["viewer"], dashboard_app, "list_runs", {})["response"])
    assert "District Ernakulam, 2024-06-03 to 2024-06-09 (7 days), English" in text
    assert "Feeder KL-EKM-0002, 2024-06-03 to 2024-06-09 (7 days), Malayalam" in text
    assert "Failed after 1 try: the store went away" in text
    assert json.dumps({"run": done_id, "type": ids.REPORTS_GET_TYPE}) in json.dumps(
        json.loads(text), sort_keys=True
    )


@pytest.mark.usefixtures("clean")
def test_an_admin_adds_and_removes_a_schedule(
    dashboard_app: dash.Dash, clients: dict[str, FlaskClient]
) -> None:
    values = {
        f"{ids.REPORTS_SCHEDULE_CADENCE}.value": "monthly",
        f"{ids.REPORTS_SCHEDULE_SCOPE}.value": "district",
        f"{ids.REPORTS_SCHEDULE_NAME}.value": "Ernakulam",
        f"{ids.REPORTS_SCHEDULE_LANG}.value": "en",
        f"{ids.REPORTS_SCHEDULE_TO}.value": "ada, ee@kseb.in",
        f"{ids.REPORTS_SCHEDULES_CHANGED}.data": 0,
    }
    outputs = post(clients["admin"], dashboard_app, "add", values)["response"]
    message = outputs[ids.REPORTS_SCHEDULE_MESSAGE]["children"]
    assert message.startswith("Schedule ")
    schedule_id = int(message.split()[1])
    assert outputs[ids.REPORTS_SCHEDULES_CHANGED]["data"] == 1
    listed = json.dumps(post(clients["admin"], dashboard_app, "show_schedules", {})["response"])
    assert "Monthly, District Ernakulam, English" in listed
    assert "ada, ee@kseb.in" in listed

    bad = post(
        clients["admin"],
        dashboard_app,
        "add",
        {**values, f"{ids.REPORTS_SCHEDULE_TO}.value": "nobody"},
    )
    assert bad["response"][ids.REPORTS_SCHEDULE_MESSAGE]["children"] == (
        "Not added: recipients: there is no user 'nobody'."
    )

    removed = post(
        clients["admin"],
        dashboard_app,
        "remove",
        {"button": {"schedule": schedule_id}, f"{ids.REPORTS_SCHEDULES_CHANGED}.data": 1},
    )["response"]
    assert removed[ids.REPORTS_SCHEDULE_MESSAGE]["children"] == f"Schedule {schedule_id} removed."
    with engine_of(dashboard_app).connect() as conn:
        row = conn.execute(
            select(report_schedules.c.removed_by).where(
                report_schedules.c.schedule_id == schedule_id
            )
        ).one()
    assert row.removed_by == "ada"


def test_schedules_are_listed_for_admins_only(
    dashboard_app: dash.Dash, clients: dict[str, FlaskClient]
) -> None:
    body = callback_payload(dashboard_app, key_of(dashboard_app, "show_schedules"))
    response = clients["operator"].post(
        "/_dash-update-component", json=body, headers={"Origin": ORIGIN}
    )
    assert response.status_code == 403
