"""`python -m store`: a bad argument or bad input is one line naming it, exit 2, no traceback."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

import store.__main__ as store_cli
from store.schema import users

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "kerala-grid-2024"
UNREACHABLE = "postgresql://smartphase@127.0.0.1:1/nothing"


def error_lines(err: str) -> list[str]:
    """Return what a command said on stderr besides log records."""
    return [line for line in err.splitlines() if not line.startswith(("INFO ", "WARNING "))]


@pytest.fixture
def env(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Engine:
    monkeypatch.setenv(
        "SP_DATABASE_URL", engine.url.render_as_string(hide_password=False).replace("+psycopg", "")
    )
    return engine


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        ([], "error: the following arguments are required: COMMAND"),
        (
            ["users", "add", "bob", "--role", "boss"],
            "error: argument --role: invalid choice: 'boss'",
        ),
        (["users", "set-role", "bob"], "error: the following arguments are required: role"),
        (["houses", "export"], "error: argument ACTION: invalid choice: 'export'"),
        (["users", "list", "--all"], "error: unrecognized arguments: --all"),
    ],
)
def test_a_bad_argument_is_one_line_naming_it(
    argv: list[str], said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        store_cli.main(argv)
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith(said)
    assert "usage:" not in err


def test_a_refused_contact_adds_no_user(env: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["users", "add", "ravi", "--role", "viewer", "--phone", "12345"]
    assert store_cli.main(argv, stdin=io.StringIO(PASSWORD + "\n")) == 2
    err = capsys.readouterr().err
    assert error_lines(err) == [
        "error: phone: '12345' is not a phone number: give +country code and number, "
        "or a ten-digit Indian mobile number"
    ]
    assert "added" not in err
    with env.connect() as conn:
        assert conn.execute(select(users.c.username)).all() == []


def test_an_unreachable_database_is_one_line_and_status_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SP_DATABASE_URL", UNREACHABLE)
    assert store_cli.main(["users", "list"]) == 1
    (line,) = error_lines(capsys.readouterr().err)
    assert line.startswith("error: database unavailable: ")
    assert "127.0.0.1" in line


def test_the_command_line_prints_no_traceback(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("SP_")}
    env |= {"SP_DATABASE_URL": f"sqlite:///{tmp_path}/store.db", "PYTHONPATH": str(ROOT)}
    for argv, status, said in [
        (["users", "add", "asha", "--role", "root"], 2, "error: argument --role: invalid choice"),
        (["houses", "import", "missing.csv"], 2, "error: the schema is at revision none"),
    ]:
        result = subprocess.run(
            [sys.executable, "-m", "store", *argv],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=120,
            check=False,
        )
        assert result.returncode == status, result.stderr
        assert result.stdout == ""
        (line,) = error_lines(result.stderr)
        assert line.startswith(said)
        assert "Traceback" not in result.stderr
