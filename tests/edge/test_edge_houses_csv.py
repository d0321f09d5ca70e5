"""The edge reads houses.csv by HQ's rule: the rows HQ's import refuses, the edge refuses too."""

from __future__ import annotations

from pathlib import Path

import pytest

from edge.config import ConfigError, HouseConfig, load_fleet_houses, load_houses, parse_houses
from grid.phasors import Phase
from tests.vectors.houses_csv import BAD_LINE, BAD_ROWS, FEEDER, GOOD_ROWS, HEADER, bad_file


def test_the_good_rows_are_read_in_file_order(tmp_path: Path) -> None:
    path = tmp_path / "houses.csv"
    path.write_text(HEADER + GOOD_ROWS, encoding="utf-8")
    assert load_houses(path, FEEDER) == [
        HouseConfig("KL-TVM-0042-H001", Phase.R, 3.5, True),
        HouseConfig("KL-TVM-0042-H002", Phase.Y, 0.0, False),
        HouseConfig("KL-TVM-0042-H003", Phase.B, 0.0, True),
    ]


@pytest.mark.parametrize(("row", "field", "reason"), BAD_ROWS.values(), ids=BAD_ROWS.keys())
def test_a_bad_row_is_refused_naming_its_line_and_field(
    tmp_path: Path, row: str, field: str, reason: str
) -> None:
    path = tmp_path / "houses.csv"
    path.write_text(bad_file(row), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_houses(path, FEEDER)
    assert str(caught.value).startswith(f"{path} line {BAD_LINE}, field {field}: ")
    assert reason in str(caught.value)
    with pytest.raises(ConfigError, match=f"line {BAD_LINE}, field {field}: "):
        parse_houses(bad_file(row).splitlines(keepends=True), FEEDER)


def test_a_bad_row_of_another_feeder_is_refused_too(tmp_path: Path) -> None:
    path = tmp_path / "houses.csv"
    path.write_text(bad_file("KL-EKM-0007-H001,KL-EKM-0007,b,0,1\n"), encoding="utf-8")
    with pytest.raises(ConfigError, match=f"line {BAD_LINE}, field phase: 'b' is not R, Y or B"):
        load_houses(path, FEEDER)


def test_a_byte_order_mark_is_dropped_and_a_file_without_rows_refused(tmp_path: Path) -> None:
    path = tmp_path / "houses.csv"
    path.write_text("\ufeff" + HEADER + GOOD_ROWS, encoding="utf-8")
    assert len(load_fleet_houses(path)[FEEDER]) == 3
    path.write_text(HEADER, encoding="utf-8")
    with pytest.raises(ConfigError, match="no rows after the header"):
        load_fleet_houses(path)
