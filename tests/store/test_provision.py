"""Provisioning from CSV: validation names file, line and field; a bad file writes nothing."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from grid.phasors import Phase
from store.provision import (
    ImportCounts,
    ProvisionError,
    import_feeders,
    import_houses,
    parse_feeders,
    parse_houses,
)
from store.schema import audit_log, feeders, houses

FEEDERS = """\
feeder_id,name,district,lat,lon,kva
KL-TVM-0042,Pettah,Thiruvananthapuram,8.4875,76.9486,250
KL-EKM-0007,"Kakkanad, Infopark",Ernakulam,10.0159,76.3419,160
"""

HOUSES = """\
house_id,feeder_id,phase,pv_kw,switchable
KL-TVM-0042-H001,KL-TVM-0042,R,3.5,1
KL-TVM-0042-H002,KL-TVM-0042,Y,0,0
KL-TVM-0042-H003,KL-TVM-0042,B,2,true
KL-EKM-0007-H001,KL-EKM-0007,R,0,FALSE
"""

T0 = datetime(2024, 6, 1, 6, 30, tzinfo=UTC)


def write(tmp_path: Path, name: str, text: str) -> Path:
    """Write a CSV file under tmp_path and return its path."""
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Return every row of the provisioning tables and the audit log."""
    with engine.connect() as conn:
        return {
            table.name: [tuple(row) for row in conn.execute(select(table).order_by(*table.c))]
            for table in (feeders, houses, audit_log)
        }


def provision(engine: Engine, tmp_path: Path) -> None:
    """Import the two sample files."""
    with engine.begin() as conn:
        import_feeders(conn, write(tmp_path, "feeders.csv", FEEDERS), now=T0)
        import_houses(conn, write(tmp_path, "houses.csv", HOUSES), now=T0)


# --- parsing ---------------------------------------------------------------------------------


def test_parse_feeders_reads_every_field() -> None:
    rows = parse_feeders(FEEDERS.splitlines(keepends=True), "feeders.csv")
    assert [row.feeder_id for row in rows] == ["KL-TVM-0042", "KL-EKM-0007"]
    assert rows[1].name == "Kakkanad, Infopark"
    assert rows[0].lat == 8.4875
    assert rows[0].lon == 76.9486
    assert rows[0].kva == 250.0
    assert [row.line for row in rows] == [2, 3]


def test_parse_houses_reads_every_field() -> None:
    rows = parse_houses(HOUSES.splitlines(keepends=True), "houses.csv")
    assert [row.phase for row in rows] == [Phase.R, Phase.Y, Phase.B, Phase.R]
    assert [row.switchable for row in rows] == [True, False, True, False]
    assert rows[0].pv_kw == 3.5


def test_parse_strips_cells_skips_blank_lines_and_counts_lines() -> None:
    text = (
        "house_id , feeder_id,phase,pv_kw,switchable\n"
        "\n"
        " KL-A-1-H1 ,KL-A-1, Y ,1.5, 0\n"
        "\n"
        "KL-A-1-H2,KL-A-1,Q,0,0\n"
    )
    with pytest.raises(ProvisionError) as caught:
        parse_houses(text.splitlines(keepends=True), "h.csv")
    assert str(caught.value) == "h.csv line 5, field phase: 'Q' is not R, Y or B"
    rows = parse_houses(text.splitlines(keepends=True)[:3], "h.csv")
    assert rows[0].house_id == "KL-A-1-H1"
    assert rows[0].phase is Phase.Y
    assert rows[0].line == 3


def test_byte_order_mark_is_dropped(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "feeders.csv"
    path.write_text(FEEDERS, encoding="utf-8-sig")
    with engine.begin() as conn:
        assert import_feeders(conn, path) == ImportCounts(2, 0, 0)


# --- import ----------------------------------------------------------------------------------


def test_import_writes_rows_with_aware_created_at(engine: Engine, tmp_path: Path) -> None:
    with engine.begin() as conn:
        counts = import_feeders(conn, write(tmp_path, "feeders.csv", FEEDERS), now=T0)
        assert counts == ImportCounts(inserted=2, updated=0, unchanged=0)
        counts = import_houses(conn, write(tmp_path, "houses.csv", HOUSES), now=T0)
        assert counts == ImportCounts(inserted=4, updated=0, unchanged=0)
    with engine.connect() as conn:
        feeder = conn.execute(select(feeders).where(feeders.c.feeder_id == "KL-EKM-0007")).one()
        house = conn.execute(select(houses).where(houses.c.house_id == "KL-TVM-0042-H003")).one()
    assert (feeder.name, feeder.district, feeder.lat, feeder.lon, feeder.kva) == (
        "Kakkanad, Infopark",
        "Ernakulam",
        10.0159,
        76.3419,
        160.0,
    )
    assert feeder.mode == "auto"
    assert feeder.online is False
    assert feeder.created_at == T0
    assert feeder.created_at.tzinfo is not None
    assert (house.feeder_id, house.phase, house.pv_kw, house.switchable, house.locked) == (
        "KL-TVM-0042",
        "B",
        2.0,
        True,
        False,
    )


def test_reimport_is_idempotent(engine: Engine, tmp_path: Path) -> None:
    provision(engine, tmp_path)
    before = snapshot(engine)
    with engine.begin() as conn:
        again = import_feeders(conn, tmp_path / "feeders.csv")
        assert again == ImportCounts(inserted=0, updated=0, unchanged=2)
        assert import_houses(conn, tmp_path / "houses.csv") == ImportCounts(0, 0, 4)
    after = snapshot(engine)
    assert after["feeders"] == before["feeders"]
    assert after["houses"] == before["houses"]


def test_reimport_updates_changed_rows_and_keeps_created_at(engine: Engine, tmp_path: Path) -> None:
    provision(engine, tmp_path)
    changed_feeders = FEEDERS.replace(
        "Pettah,Thiruvananthapuram,8.4875,76.9486,250", "Pettah Jn,TVM,8.5,77.0,315"
    )
    changed_houses = HOUSES.replace("KL-TVM-0042,Y,0,0", "KL-TVM-0042,B,1.2,1") + (
        "KL-TVM-0042-H004,KL-TVM-0042,Y,0,1\n"
    )
    later = datetime(2024, 7, 1, tzinfo=UTC)
    with engine.begin() as conn:
        counts = import_feeders(conn, write(tmp_path, "f2.csv", changed_feeders), now=later)
        assert counts == ImportCounts(inserted=0, updated=1, unchanged=1)
        counts = import_houses(conn, write(tmp_path, "h2.csv", changed_houses), now=later)
        assert counts == ImportCounts(inserted=1, updated=1, unchanged=3)
    with engine.connect() as conn:
        feeder = conn.execute(select(feeders).where(feeders.c.feeder_id == "KL-TVM-0042")).one()
        moved = conn.execute(select(houses).where(houses.c.house_id == "KL-TVM-0042-H002")).one()
        new = conn.execute(select(houses).where(houses.c.house_id == "KL-TVM-0042-H004")).one()
    assert (feeder.name, feeder.district, feeder.lat, feeder.lon, feeder.kva) == (
        "Pettah Jn",
        "TVM",
        8.5,
        77.0,
        315.0,
    )
    assert feeder.created_at == T0
    # the live phase of a provisioned house is the controllers' business: a re-import keeps it
    assert (moved.phase, moved.pv_kw, moved.switchable, moved.created_at) == ("Y", 1.2, True, T0)
    assert new.created_at == later


def test_import_is_audited(engine: Engine, tmp_path: Path) -> None:
    provision(engine, tmp_path)
    with engine.connect() as conn:
        rows = conn.execute(select(audit_log).order_by(audit_log.c.entry_id)).all()
    assert [(row.username, row.action, row.target, row.outcome) for row in rows] == [
        ("cli", "feeders.import", "feeders.csv", "ok"),
        ("cli", "houses.import", "houses.csv", "ok"),
    ]
    assert rows[1].detail == {
        "file": str(tmp_path / "houses.csv"),
        "inserted": 4,
        "updated": 0,
        "unchanged": 0,
    }
    assert rows[0].ts == T0


# --- errors: each names file, line and field, and leaves every table as it was -----------------

GOOD_FEEDER = "KL-TVM-0042,Pettah New Name,Thiruvananthapuram,8.4875,76.9486,250\n"
FEEDER_HEADER = "feeder_id,name,district,lat,lon,kva\n"

FEEDER_ERRORS = {
    "missing column": (
        "feeder_id,name,district,lat,lon\nKL-X-1,a,b,1,2\n",
        "line 1, field header: missing kva (expected feeder_id,name,district,lat,lon,kva)",
    ),
    "extra column": (
        "feeder_id,name,district,lat,lon,kva,colour\nKL-X-1,a,b,1,2,3,red\n",
        "line 1, field header: unexpected 'colour'",
    ),
    "repeated column": (
        "feeder_id,name,district,lat,lon,kva,kva\n",
        "line 1, field header: repeated kva",
    ),
    "empty file": ("", "line 1, field header: the file is empty"),
    "header only": (FEEDER_HEADER, ": no rows after the header"),
    "bad id": (
        FEEDER_HEADER + GOOD_FEEDER + "KL_TVM_1,a,b,1,2,3\n",
        "line 3, field feeder_id: 'KL_TVM_1' is not a feeder id",
    ),
    "empty name": (
        FEEDER_HEADER + GOOD_FEEDER + "KL-X-1,,b,1,2,3\n",
        "line 3, field name: is empty",
    ),
    "control character": (
        FEEDER_HEADER + GOOD_FEEDER + "KL-X-1,a\x1bb,b,1,2,3\n",
        "line 3, field name: 'a\\x1bb' contains control",
    ),
    "lat not a number": (
        FEEDER_HEADER + GOOD_FEEDER + "KL-X-1,a,b,8°29',76.9,3\n",
        'line 3, field lat: "8°29\'" is not a number',
    ),
    "lat out of range": (
        FEEDER_HEADER + GOOD_FEEDER + "KL-X-1,a,b,91,76.9,3\n",
        "line 3, field lat: '91' is not a latitude [°] between -90 and 90",
    ),
    "lon not finite": (
        FEEDER_HEADER + GOOD_FEEDER + "KL-X-1,a,b,8.5,nan,3\n",
        "line 3, field lon: 'nan' is not a finite number",
    ),
    "kva zero": (
        FEEDER_HEADER + GOOD_FEEDER + "KL-X-1,a,b,8.5,76,0\n",
        "line 3, field kva: '0' is not above 0",
    ),
    "kva decimal comma": (
        FEEDER_HEADER + GOOD_FEEDER + 'KL-X-1,a,b,8.5,76,"2,5"\n',
        "line 3, field kva: '2,5' is not a number",
    ),
    "duplicate id": (
        FEEDER_HEADER + GOOD_FEEDER + "KL-X-1,a,b,1,2,3\nKL-TVM-0042,c,d,1,2,3\n",
        "line 4, field feeder_id: 'KL-TVM-0042' is repeated (first on line 2)",
    ),
    "short row": (
        FEEDER_HEADER + GOOD_FEEDER + "KL-X-1,a,b,1,2\n",
        "line 3: 5 fields, the header has 6",
    ),
    "bad quoting": (FEEDER_HEADER + GOOD_FEEDER + 'KL-X-1,"a"b,c,1,2,3\n', "line 3: not valid CSV"),
}


@pytest.mark.parametrize(("text", "message"), FEEDER_ERRORS.values(), ids=FEEDER_ERRORS.keys())
def test_bad_feeders_file_names_line_and_field_and_writes_nothing(
    engine: Engine, tmp_path: Path, text: str, message: str
) -> None:
    provision(engine, tmp_path)
    before = snapshot(engine)
    path = write(tmp_path, "bad.csv", text)
    with pytest.raises(ProvisionError) as caught, engine.begin() as conn:
        import_feeders(conn, path)
    assert str(caught.value).startswith(f"{path}")
    assert message in str(caught.value)
    assert snapshot(engine) == before


HOUSE_HEADER = "house_id,feeder_id,phase,pv_kw,switchable\n"
GOOD_HOUSES = (
    "KL-TVM-0042-H001,KL-TVM-0042,B,3.5,1\n"  # would change the stored phase R → B
    "KL-TVM-0042-H010,KL-TVM-0042,R,0,0\n"
    "KL-TVM-0042-H011,KL-TVM-0042,Y,0,0\n"
    "KL-TVM-0042-H012,KL-TVM-0042,B,0,0\n"
    "KL-TVM-0042-H013,KL-TVM-0042,R,0,0\n"
)
HOUSE_ERRORS = {
    "bad phase": (
        HOUSE_HEADER + GOOD_HOUSES + "KL-TVM-0042-H014,KL-TVM-0042,X,0,0\n",
        "line 7, field phase: 'X' is not R, Y or B",
    ),
    "lower-case phase": (
        HOUSE_HEADER + GOOD_HOUSES + "KL-TVM-0042-H014,KL-TVM-0042,r,0,0\n",
        "line 7, field phase: 'r' is not R, Y or B",
    ),
    "pv not a number": (
        HOUSE_HEADER + GOOD_HOUSES + "KL-TVM-0042-H014,KL-TVM-0042,R,3kW,0\n",
        "line 7, field pv_kw: '3kW' is not a number",
    ),
    "pv negative": (
        HOUSE_HEADER + GOOD_HOUSES + "KL-TVM-0042-H014,KL-TVM-0042,R,-1,0\n",
        "line 7, field pv_kw: '-1' is below 0",
    ),
    "pv infinite": (
        HOUSE_HEADER + GOOD_HOUSES + "KL-TVM-0042-H014,KL-TVM-0042,R,inf,0\n",
        "line 7, field pv_kw: 'inf' is not a finite number",
    ),
    "switchable yes": (
        HOUSE_HEADER + GOOD_HOUSES + "KL-TVM-0042-H014,KL-TVM-0042,R,0,yes\n",
        "line 7, field switchable: 'yes' is not 0, 1, true or false",
    ),
    "unknown feeder": (
        HOUSE_HEADER + GOOD_HOUSES + "KL-KKD-0001-H001,KL-KKD-0001,R,0,0\n",
        "line 7, field feeder_id: feeder 'KL-KKD-0001' is not provisioned",
    ),
    "house of another feeder": (
        HOUSE_HEADER + GOOD_HOUSES + "KL-EKM-0007-H002,KL-TVM-0042,R,0,0\n",
        "line 7, field house_id: 'KL-EKM-0007-H002' is not a house of feeder 'KL-TVM-0042'",
    ),
    "bad house id": (
        HOUSE_HEADER + GOOD_HOUSES + "KL-TVM-0042--H1,KL-TVM-0042,R,0,0\n",
        "line 7, field house_id: 'KL-TVM-0042--H1' is not a house id",
    ),
    "bad feeder id": (
        HOUSE_HEADER + GOOD_HOUSES + "KL-TVM-0042-H014,KL TVM,R,0,0\n",
        "line 7, field feeder_id: 'KL TVM' is not a feeder id",
    ),
    "duplicate id": (
        HOUSE_HEADER + GOOD_HOUSES + "KL-TVM-0042-H010,KL-TVM-0042,Y,0,0\n",
        "line 7, field house_id: 'KL-TVM-0042-H010' is repeated (first on line 3)",
    ),
    "long row": (
        HOUSE_HEADER + GOOD_HOUSES + "KL-TVM-0042-H014,KL-TVM-0042,R,0,0,1\n",
        "line 7: 6 fields, the header has 5",
    ),
    "feeder columns": (FEEDERS, "line 1, field header: missing house_id, phase, pv_kw, switchable"),
    "empty file": ("", "line 1, field header: the file is empty"),
    "blank lines only": ("\n\n", "line 1, field header: missing house_id"),
}


@pytest.mark.parametrize(("text", "message"), HOUSE_ERRORS.values(), ids=HOUSE_ERRORS.keys())
def test_bad_houses_file_names_line_and_field_and_writes_nothing(
    engine: Engine, tmp_path: Path, text: str, message: str
) -> None:
    provision(engine, tmp_path)
    before = snapshot(engine)
    path = write(tmp_path, "houses.csv", text)
    with pytest.raises(ProvisionError) as caught, engine.begin() as conn:
        import_houses(conn, path)
    assert str(caught.value).startswith(f"{path}")
    assert message in str(caught.value)
    assert snapshot(engine) == before


def test_error_message_has_the_documented_shape() -> None:
    lines = (HOUSE_HEADER + GOOD_HOUSES + "KL-TVM-0042-H014,KL-TVM-0042,X,0,0\n").splitlines()
    with pytest.raises(ProvisionError) as caught:
        parse_houses(lines, "houses.csv")
    assert str(caught.value) == "houses.csv line 7, field phase: 'X' is not R, Y or B"
    assert (caught.value.source, caught.value.line, caught.value.field) == (
        "houses.csv",
        7,
        "phase",
    )


def test_missing_file_is_a_provision_error(engine: Engine, tmp_path: Path) -> None:
    with pytest.raises(ProvisionError, match=r"nope\.csv: cannot be read"), engine.begin() as conn:
        import_feeders(conn, tmp_path / "nope.csv")


def test_non_utf8_file_is_a_provision_error(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes((FEEDER_HEADER + "KL-X-1,Pett\xe1h,b,1,2,3\n").encode("latin-1"))
    with (
        pytest.raises(ProvisionError, match=r"latin1\.csv: not UTF-8 text"),
        engine.begin() as conn,
    ):
        import_feeders(conn, path)
    assert snapshot(engine)["feeders"] == []
