"""`python -m notify`: a bad argument or bad input is one line naming it, exit 2, nothing stored."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, select

import notify.__main__ as notify_cli
from store.schema import feeder_sections
from tests.store.seed import add_feeder


def error_lines(err: str) -> list[str]:
    """Return what a command said on stderr besides log records."""
    return [line for line in err.splitlines() if " INFO " not in line and " WARNING " not in line]


@pytest.fixture
def env(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Engine:
    monkeypatch.setenv(
        "SP_DATABASE_URL", engine.url.render_as_string(hide_password=False).replace("+psycopg", "")
    )
    with engine.begin() as conn:
        add_feeder(conn, "KL-EKM-0001", district="Ernakulam")
        add_feeder(conn, "KL-EKM-0002", district="Ernakulam")
    return engine


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["routes", "remove", "abc"], "error: argument ID: invalid int value: 'abc'"),
        (["routes", "add", "--district", "*", "--level", "5", "--user", "a"], "argument --level"),
        (["routes", "add", "--district", "*", "--user", "a"], "arguments are required: --level"),
        (["deliveries", "--limit", "many"], "error: argument --limit: invalid int value: 'many'"),
        (["frobnicate"], "error: argument COMMAND: invalid choice: 'frobnicate'"),
    ],
)
def test_a_bad_argument_is_one_line_naming_it(
    argv: list[str], said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        notify_cli.main(argv)
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert said in err
    assert err.startswith("error: ")


SECTION_ERRORS = {
    "unknown feeder": (
        "feeder_id,section\nKL-EKM-0001,Kaloor\n\nKL-XXX-0009,Kaloor\n",
        "error: feeder_id: no feeder 'KL-XXX-0009' ({path} line 4)",
    ),
    "repeated feeder": (
        "feeder_id,section\nKL-EKM-0001,Kaloor\nKL-EKM-0002,Kaloor\nKL-EKM-0001,Edappally\n",
        "error: feeder_id: 'KL-EKM-0001' is repeated ({path} line 4, first at {path} line 2)",
    ),
    "empty section": (
        "feeder_id,section\nKL-EKM-0001,Kaloor\nKL-EKM-0002,\n",
        "error: section: '' must be 1 to 60 characters ({path} line 3)",
    ),
    "bad header": ("feeder,office\nKL-EKM-0001,Kaloor\n", "error: file: {path}: the header must"),
    "bad quoting": (
        'feeder_id,section\nKL-EKM-0001,"Kal"oor\n',
        "error: file: {path} line 2: not valid CSV",
    ),
}


@pytest.mark.parametrize(("text", "said"), SECTION_ERRORS.values(), ids=SECTION_ERRORS.keys())
def test_a_bad_sections_file_names_the_line_and_stores_nothing(
    env: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, said: str
) -> None:
    path = tmp_path / "sections.csv"
    path.write_text(text, encoding="utf-8")
    assert notify_cli.main(["sections", "import", str(path)]) == 2
    (line,) = error_lines(capsys.readouterr().err)
    assert line.startswith(said.format(path=path))
    with env.connect() as conn:
        assert conn.execute(select(feeder_sections)).all() == []


def test_a_sections_file_that_is_not_utf8_is_one_line(
    env: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "sections.csv"
    path.write_bytes(b"feeder_id,section\nKL-EKM-0001,\xff\xfe\n")
    assert notify_cli.main(["sections", "import", str(path)]) == 2
    assert error_lines(capsys.readouterr().err) == [
        f"error: file: {path}: not UTF-8 text: invalid start byte"
    ]


def test_an_unreachable_database_is_one_line_and_status_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SP_DATABASE_URL", "postgresql://smartphase@127.0.0.1:1/nothing")
    assert notify_cli.main(["routes", "list"]) == 1
    assert error_lines(capsys.readouterr().err) == ["error: database unavailable: OperationalError"]
