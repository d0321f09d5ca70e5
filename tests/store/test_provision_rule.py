"""HQ's import refuses the same bad houses.csv rows as the edge (tests/vectors/houses_csv.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from store.provision import ProvisionError, import_feeders, import_houses, parse_houses
from store.schema import houses
from tests.vectors.houses_csv import BAD_LINE, BAD_ROWS, GOOD_ROWS, HEADER, bad_file

FEEDERS = (
    "feeder_id,name,district,lat,lon,kva\nKL-TVM-0042,Pettah,Thiruvananthapuram,8.49,76.95,250\n"
)


@pytest.mark.parametrize(("row", "field", "reason"), BAD_ROWS.values(), ids=BAD_ROWS.keys())
def test_a_bad_row_is_refused_naming_its_line_and_field(
    engine: Engine, tmp_path: Path, row: str, field: str, reason: str
) -> None:
    feeders_csv = tmp_path / "feeders.csv"
    feeders_csv.write_text(FEEDERS, encoding="utf-8")
    with engine.begin() as conn:
        import_feeders(conn, feeders_csv)
    path = tmp_path / "houses.csv"
    path.write_text(bad_file(row), encoding="utf-8")
    with pytest.raises(ProvisionError) as caught, engine.begin() as conn:
        import_houses(conn, path)
    assert (caught.value.line, caught.value.field) == (BAD_LINE, field)
    assert str(caught.value).startswith(f"{path} line {BAD_LINE}, field {field}: ")
    assert reason in caught.value.reason
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(houses)).scalar_one() == 0
    assert len(parse_houses((HEADER + GOOD_ROWS).splitlines(keepends=True), "houses.csv")) == 3
