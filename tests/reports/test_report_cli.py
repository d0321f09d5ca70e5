"""`python -m reports`: what it writes and says, and how it refuses bad arguments."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import Engine

from reports.__main__ import main

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def store_env(sqlite_store: Engine, monkeypatch: pytest.MonkeyPatch) -> str:
    url = sqlite_store.url.render_as_string(hide_password=False)
    monkeypatch.setenv("SP_DATABASE_URL", url)
    return url


def test_the_command_line_writes_the_pdf_and_the_annex(store_env: str, tmp_path: Path) -> None:
    out = tmp_path / "wayanad.pdf"
    result = subprocess.run(
        [sys.executable, "-m", "reports", "--district", "Wayanad", "--from", "2024-06-01",
         "--to", "2024-06-02", "--out", str(out), "--lang", "ml"],
        cwd=ROOT, env={**os.environ, "SP_DATABASE_URL": store_env}, capture_output=True,
        text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    pages = len(PdfReader(out).pages)
    assert lines == [
        f"wrote {out} ({pages} pages) and {out.with_suffix('.csv')} "
        f"({lines[0].split('(')[2].split()[0]} rows): district Wayanad, 2024-06-01 to 2024-06-02 "
        "IST, 2 feeders"
    ]
    assert out.with_suffix(".csv").stat().st_size > 1000


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--feeder", "KL-WYD-0001", "--from", "2024-02-30", "--to", "2024-03-01"], "--from"),
        (["--feeder", "KL-WYD-0001", "--from", "2024-06-02", "--to", "2024-06-01"], "--to"),
        (["--feeder", "KL-XYZ-0009", "--from", "2024-06-01", "--to", "2024-06-01"], "--feeder"),
        (["--district", "Atlantis", "--from", "2024-06-01", "--to", "2024-06-01"], "--district"),
        (["--state", "--from", "2024-06-01", "--to", "2024-06-01", "--lang", "fr"], "--lang"),
        (["--from", "2024-06-01", "--to", "2024-06-01"], "--feeder --district --state"),
        (["--state", "--feeder", "KL-WYD-0001", "--from", "2024-06-01", "--to", "2024-06-01"],
         "--feeder"),
    ],
)  # fmt: skip
def test_bad_arguments_exit_2_naming_the_argument(
    store_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], named: str
) -> None:
    with pytest.raises(SystemExit) as caught:
        main([*args, "--out", str(tmp_path / "r.pdf")])
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert all(name in err for name in named.split()), err
    assert not (tmp_path / "r.pdf").exists()


def test_a_setting_that_cannot_work_is_named(
    store_env: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SP_TARIFF_INR_PER_KWH", "-6")
    with pytest.raises(SystemExit) as caught:
        main(["--state", "--from", "2024-06-01", "--to", "2024-06-01",
              "--out", str(tmp_path / "r.pdf")])  # fmt: skip
    assert caught.value.code == 2
    assert "error: SP_TARIFF_INR_PER_KWH: -6.0 is not a number at or above 0" in (
        capsys.readouterr().err
    )


def test_an_output_folder_that_does_not_exist_is_refused(
    store_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["--state", "--from", "2024-06-01", "--to", "2024-06-01",
              "--out", str(tmp_path / "missing" / "r.pdf")])  # fmt: skip
    assert caught.value.code == 2
    assert "error: --out: the folder" in capsys.readouterr().err


def test_a_period_without_data_still_gives_a_report(
    store_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "empty.pdf"
    annex = tmp_path / "annex" / "empty.csv"
    annex.parent.mkdir()
    code = main(["--feeder", "KL-WYD-0001", "--from", "2020-01-01", "--to", "2020-01-31",
                 "--out", str(out), "--csv", str(annex)])  # fmt: skip
    assert code == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith(f"wrote {out} (")
    assert line.endswith(
        "feeder KL-WYD-0001, 2020-01-01 to 2020-01-31 IST, 1 feeder, no data in the period"
    )
    assert out.exists()
    assert annex.exists()
