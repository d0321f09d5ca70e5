"""Finding 7: an exported CSV cell that a spreadsheet would run (= + - @, and a leading TAB or
CR) is defused; a key path built from an operator's feeder id is checked first (`../` told
whether a file exists, and a non-hex key gave HTTP 500); world-writable and all-zero keys are
refused; a newly provisioned key is used without a restart."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dash
import pytest

from keys import KeyFileError, KeysDir
from store.audit import audit
from store.csv_export import csv_text, defuse_cell
from tests.dashboard.conftest import callback_key, post_callback, signed_in
from tests.security.conftest import engine_of

FORMULAS = ["=1+1", "+1+1", "-1+1", "@SUM(A1)", "\t=1+1", "\r=1+1", '=HYPERLINK("http://x")']


@pytest.mark.parametrize("cell", FORMULAS)
def test_a_formula_cell_is_defused(cell: str) -> None:
    assert defuse_cell(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["-12.5", "-3e2", "42", "", "Kochi", "KL-TVM-0001", " =x"])
def test_data_cells_stay_as_they_are(cell: str) -> None:
    assert defuse_cell(cell) == cell


def test_every_cell_of_a_csv_is_defused() -> None:
    rows = list(csv.reader(io.StringIO(csv_text(["=a", "b"], [{"=a": "\t=x", "b": -5}]))))
    assert rows == [["'=a", "b"], ["'\t=x", "-5"]]


def test_the_log_export_defuses_what_an_attacker_put_in_the_log(shared_app: dash.Dash) -> None:
    with engine_of(shared_app).begin() as conn:
        for n, target in enumerate(FORMULAS):
            audit(
                conn,
                actor=None,
                action="auth.login",
                target=target,
                outcome="failed",
                detail={"probe": n},
                ts=datetime.now(UTC),
            )
    response = signed_in(shared_app, "viewer").get("/log.csv?kind=audit")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    targets = {row["target"] for row in rows}
    for formula in FORMULAS:
        assert "'" + formula in targets
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "@", "\t", "\r")), row
            assert not value.startswith("-") or value.lstrip("-")[:1].isdigit(), row


# --- keys -------------------------------------------------------------------------------------


def set_mode(app: dash.Dash, feeder_id: str) -> tuple[int, Any]:
    """POST an operator's mode change for `feeder_id`; return the status and the result."""
    key = callback_key(app, "feeder.set_mode")
    values = {"sp-feeder-id.data": feeder_id, "sp-feeder-mode-target.data": "manual"}
    response = post_callback(signed_in(app, "operator"), app, key, values)
    if response.status_code != 200:
        return response.status_code, response.get_data(as_text=True)
    return 200, json.loads(response.get_data())["response"]["sp-feeder-mode-command"]["data"]


@pytest.fixture
def keys_dir(tmp_path: Path) -> Path:
    """A keys directory beside a file `probe.key` outside it (what `../` would reach)."""
    directory = tmp_path / "keys"
    directory.mkdir()
    (tmp_path / "probe.key").write_text("this file exists\n")
    return directory


def test_a_feeder_id_cannot_probe_files_outside_the_keys(
    build_app: Callable[..., dash.Dash], keys_dir: Path
) -> None:
    app = build_app(keys_dir=str(keys_dir))
    existing = set_mode(app, "../probe")
    missing = set_mode(app, "../absent")
    assert existing[0] == missing[0] == 200
    assert existing[1]["error"][0] == missing[1]["error"][0] == "feeder"
    assert "not a feeder or house id" in existing[1]["error"][1]
    assert existing[1]["error"][1].replace("probe", "X") == missing[1]["error"][1].replace(
        "absent", "X"
    )


def test_a_bad_key_file_is_a_clear_error_not_a_500(
    build_app: Callable[..., dash.Dash], keys_dir: Path
) -> None:
    app = build_app(keys_dir=str(keys_dir))
    (keys_dir / "KL-TVM-0001.key").write_text("not hex at all\n")
    status, result = set_mode(app, "KL-TVM-0001")
    assert status == 200
    assert result["error"][0] == "feeder"
    assert "is not hex" in result["error"][1]


def test_a_newly_provisioned_key_is_used_without_a_restart(
    build_app: Callable[..., dash.Dash], keys_dir: Path
) -> None:
    app = build_app(keys_dir=str(keys_dir))
    status, result = set_mode(app, "KL-TVM-0001")
    assert "has no signing key" in result["error"][1]
    (keys_dir / "KL-TVM-0001.key").write_text("5a" * 32)
    status, result = set_mode(app, "KL-TVM-0001")
    assert status == 200
    assert "cmd_id" in result, result  # signed (the broker is absent)


@pytest.mark.parametrize(
    ("content", "mode", "why"),
    [
        ("00" * 32, 0o600, "all zeros"),
        ("5a" * 32, 0o666, "world-writable"),
        ("5a" * 8, 0o600, "at least 16 bytes"),
        ("zz" * 32, 0o600, "not hex"),
    ],
)
def test_unusable_key_files_are_refused(tmp_path: Path, content: str, mode: int, why: str) -> None:
    path = tmp_path / "KL-TVM-0001.key"
    path.write_text(content)
    path.chmod(mode)
    with pytest.raises(KeyFileError, match=why):
        KeysDir(tmp_path).key("KL-TVM-0001")


def test_a_replaced_key_is_read_again(tmp_path: Path) -> None:
    keys = KeysDir(tmp_path)
    path = tmp_path / "KL-TVM-0001-H001.key"
    path.write_text("11" * 16)
    assert keys.key("KL-TVM-0001-H001") == b"\x11" * 16
    replacement = tmp_path / "new.tmp"
    replacement.write_text("22" * 16)
    replacement.replace(path)  # a rotation writes a new file and moves it into place
    assert keys.key("KL-TVM-0001-H001") == b"\x22" * 16
    path.unlink()
    assert keys.key("KL-TVM-0001-H001") is None


@pytest.mark.parametrize("device", ["../x", "KL/../../etc/passwd", "", "a" * 200, "KL-TVM-0001\n"])
def test_a_device_id_never_becomes_a_path_outside_the_keys(tmp_path: Path, device: str) -> None:
    with pytest.raises(KeyFileError, match="not a feeder or house id"):
        KeysDir(tmp_path / "keys").key(device)
