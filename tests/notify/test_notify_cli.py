"""The command lines operations script: users with their contacts (`python -m store users`),
routes, sections, channels and deliveries (`python -m notify`); bad input exits 2 naming the
field, and nothing is written then."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

import notify.__main__ as notify_cli
import store.__main__ as store_cli
from store.contacts import get_contact
from store.schema import audit_log, notify_routes
from tests.store.seed import add_feeder

PASSWORD = "correct horse battery"


@pytest.fixture
def env(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Engine:
    monkeypatch.setenv(
        "SP_DATABASE_URL", engine.url.render_as_string(hide_password=False).replace("+psycopg", "")
    )
    monkeypatch.setenv("SP_NOTIFY_URLS", "ops=json://127.0.0.1:9/hook tgram://123:SECRET-TOKEN/42")
    with engine.begin() as conn:
        add_feeder(conn, "KL-EKM-0001", district="Ernakulam")
        add_feeder(conn, "KL-EKM-0002", district="Ernakulam")
    return engine


def run_store(*argv: str, stdin: str = "") -> int:
    return store_cli.main(list(argv), stdin=io.StringIO(stdin))


def test_users_get_their_contacts_from_the_command_line(
    env: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_store("users", "add", "asha", "--role", "operator", "--email", "asha@kseb.in",
                     "--phone", "98470 12345", stdin=PASSWORD + "\n") == 0  # fmt: skip
    assert run_store("users", "set-contact", "asha", "--quiet", "23:00-05:30") == 0
    assert capsys.readouterr().out.splitlines()[-1] == (
        "user asha: email asha@kseb.in, phone +919847012345, quiet 23:00-05:30"
    )
    assert run_store("users", "set-contact", "asha", "--phone", "12345") == 2
    assert (
        capsys.readouterr().err
        == "error: phone: '12345' is not a phone number: give +country code and number, or a ten-digit Indian mobile number\n"
    )
    assert (
        run_store(
            "users", "add", "ravi", "--role", "viewer", "--email", "ravi@", stdin=PASSWORD + "\n"
        )
        == 2
    )
    assert "error: email: " in capsys.readouterr().err
    assert run_store("users", "list") == 0
    assert capsys.readouterr().out.split() == [
        "asha",
        "operator",
        "enabled",
        "asha@kseb.in",
        "+919847012345",
    ]
    with env.connect() as conn:
        assert get_contact(conn, "asha").quiet_hours == "23:00-05:30"
        actions = (
            conn.execute(select(audit_log.c.action).order_by(audit_log.c.entry_id)).scalars().all()
        )
    assert actions == ["user.add", "user.set_contact", "user.set_contact"]  # ravi: nothing


def test_routes_sections_channels_and_deliveries(
    env: Engine, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert run_store("users", "add", "asha", "--role", "operator", stdin=PASSWORD + "\n") == 0
    (tmp_path / "sections.csv").write_text("feeder_id,section\nKL-EKM-0001,Kaloor\n")
    assert notify_cli.main(["sections", "import", str(tmp_path / "sections.csv")]) == 0
    assert notify_cli.main(["routes", "add", "--district", "Ernakulam", "--section", "Kaloor",
                            "--severity", "warning", "--level", "1", "--user", "asha",
                            "--delay-min", "10"]) == 0  # fmt: skip
    assert (
        notify_cli.main(["routes", "add", "--district", "*", "--level", "3", "--channel", "ops"])
        == 0
    )
    out = capsys.readouterr().out
    assert (
        "route 1 added: Ernakulam / section Kaloor, warning or worse → level 1 Section (AE): asha, acknowledge within 10 min"
        in out
    )
    assert notify_cli.main(["routes", "list"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in listed] == ["2", "1"]  # "*" sorts first
    assert (
        notify_cli.main(
            ["routes", "add", "--district", "Wayanad", "--level", "1", "--user", "asha"]
        )
        == 2
    )
    assert capsys.readouterr().err.startswith(
        "error: district: 'Wayanad' has no feeders; known: Ernakulam"
    )
    assert (
        notify_cli.main(["routes", "add", "--district", "*", "--level", "1", "--channel", "pager"])
        == 2
    )
    assert (
        "error: channel: 'pager' is not a configured channel; known: ops, tgram"
        in capsys.readouterr().err
    )
    assert notify_cli.main(["routes", "remove", "2"]) == 0
    assert notify_cli.main(["routes", "remove", "2"]) == 2
    with env.connect() as conn:
        assert conn.execute(select(notify_routes.c.route_id)).scalars().all() == [1]
    capsys.readouterr()
    assert notify_cli.main(["channels"]) == 0
    said = capsys.readouterr()
    assert said.out.split() == ["ops", "tgram"]
    assert "SECRET-TOKEN" not in said.out + said.err
    assert notify_cli.main(["deliveries"]) == 0
    assert capsys.readouterr().out == "no deliveries\n"
    assert notify_cli.main(["deliveries", "resend", "7"]) == 2
    assert capsys.readouterr().err == "error: delivery: no delivery 7\n"
