"""A report on a feeder provisioned twenty minutes ago: no hour of its house readings is in the
hourly rollup yet, so the savings come from the raw readings; completeness counts minutes.

Everything expected is worked out here from the rows the test writes, without the reports code.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Final

import pytest
from pypdf import PdfReader
from sqlalchemy import Engine, func, insert, select, update

from reports import Report, Scope, build_report, parse_period
from reports.render import write_csv, write_pdf
from settings import Settings
from store import schema as db
from store.rollups import refresh
from tests.reports.fleet import UNIT
from tests.store.seed import add_feeder, add_house, summary

IST: Final = timezone(timedelta(hours=5, minutes=30))
SETTINGS_OHM: Final = (0.04, 0.06)
NOW: Final = datetime(2024, 6, 5, 10, 5, tzinfo=IST)
"""When the report is made: five minutes into an IST hour."""
FROM: Final = NOW - timedelta(minutes=20)
"""When the feeder and its houses were provisioned and began to report (09:45 IST)."""
F: Final = "KL-EKM-0001"
BUILT: Final = "RRRRYB"
MOVED: Final = {"H001": "Y", "H002": "B"}
"""Houses the controller had moved before their first reading."""
SWITCHED_AT: Final = FROM + timedelta(minutes=12)
"""H003 moves R→Y at 09:57 IST, inside the first hour."""
GAP: Final = (NOW - timedelta(minutes=5), NOW)
"""H006 sends nothing in the last five minutes."""
SUMMARIES_FROM: Final = FROM + timedelta(minutes=5)
"""The controller's first summary: fifteen of the twenty minutes have one."""


@dataclass(frozen=True)
class Reading:
    """A house reading as the test writes it."""

    ts: datetime
    house: str
    built: str
    phase: str
    p: float
    q: float


def house_ids() -> list[str]:
    """Return the houses' short names, H001..H006."""
    return [f"H{k:03d}" for k in range(1, len(BUILT) + 1)]


def readings() -> list[Reading]:
    """Return every reading: one a minute, H004 one every 30 s, H006 silent in the gap."""
    rows = []
    for k, (house, built) in enumerate(zip(house_ids(), BUILT, strict=True)):
        step_s = 30 if house == "H004" else 60
        t = FROM + timedelta(seconds=7)
        while t < NOW:
            if not (house == "H006" and GAP[0] <= t < GAP[1]):
                phase = MOVED.get(house, built)
                if house == "H003" and t >= SWITCHED_AT:
                    phase = "Y"
                minute = (t - FROM).total_seconds() / 60
                p = 4000.0 + 600.0 * k + 40.0 * minute
                rows.append(Reading(t, house, built, phase, p, 0.3 * p))
            t += timedelta(seconds=step_s)
    return rows


def seed(engine: Engine) -> None:
    """Provision the feeder and its houses at FROM and write their rows; roll up at NOW."""
    with engine.begin() as conn:
        add_feeder(conn, F, name="Aluva", district="Ernakulam")
        for house, built in zip(house_ids(), BUILT, strict=True):
            now_on = "Y" if house == "H003" else MOVED.get(house, built)
            add_house(conn, f"{F}-{house}", F, now_on)
            conn.execute(
                update(db.houses)
                .where(db.houses.c.house_id == f"{F}-{house}")
                .values(built_phase=built, created_at=FROM)
            )
        conn.execute(update(db.feeders).values(created_at=FROM))
        conn.execute(
            insert(db.house_readings),
            [
                {"ts": r.ts, "feeder_id": F, "house_id": f"{F}-{r.house}", "phase": r.phase,
                 "v": 230.0, "i": abs(complex(r.p, r.q)) / 230.0, "p": r.p, "q": r.q, "pv": 0.0}
                for r in readings()
            ],
        )  # fmt: skip
        minutes = int((NOW - SUMMARIES_FROM).total_seconds() // 60)
        conn.execute(
            insert(db.feeder_readings),
            [summary(SUMMARIES_FROM + timedelta(minutes=m), F) for m in range(minutes)],
        )
    refresh(engine, now=NOW)


def expected_savings() -> tuple[float, float]:
    """Return (energy saved [kWh], hours counted) worked out from the rows: per IST hour, each
    house's mean load placed on the phases its readings were taken on and on its as-built
    phase, I = conj(S / V) at 230 V, I²R in the phases and the neutral, for the part of the
    hour between provisioning and NOW."""
    r_phase, r_neutral = SETTINGS_OHM
    saved = 0.0
    counted = 0.0
    for hour in (NOW.replace(hour=9, minute=0), NOW.replace(minute=0)):
        rows = [r for r in readings() if hour <= r.ts < hour + timedelta(hours=1)]
        sums = {True: [0j, 0j, 0j], False: [0j, 0j, 0j]}
        for house in house_ids():
            own = [r for r in rows if r.house == house]
            for as_built in (True, False):
                for r in own:
                    k = "RYB".index(r.built if as_built else r.phase)
                    current = (complex(r.p, r.q) / (230.0 * UNIT[k])).conjugate()
                    sums[as_built][k] += current / len(own)
        length_h = (min(hour + timedelta(hours=1), NOW) - max(hour, FROM)).total_seconds() / 3600
        losses = {
            as_built: r_phase * sum(abs(x) ** 2 for x in i) + r_neutral * abs(sum(i)) ** 2
            for as_built, i in sums.items()
        }
        saved += (losses[True] - losses[False]) * length_h / 1000.0
        counted += length_h
    return saved, counted


def house_minutes() -> int:
    """Return the houses' minutes with at least one reading."""
    return len({(r.house, int(r.ts.timestamp() // 60)) for r in readings()})


@pytest.fixture
def young(engine: Engine) -> Engine:
    seed(engine)
    return engine


def build(engine: Engine) -> Report:
    """Return the feeder's report for today, made at NOW."""
    settings = Settings(
        lv_phase_ohm=SETTINGS_OHM[0], lv_neutral_ohm=SETTINGS_OHM[1], tariff_inr_per_kwh=7.5
    )
    day = NOW.date().isoformat()
    return build_report(
        engine, Scope("feeder", F), parse_period(day, day), settings=settings, now=NOW
    )


def test_no_hour_of_the_young_feeder_is_in_the_house_rollup(young: Engine) -> None:
    with young.connect() as conn:
        assert conn.execute(select(func.count()).select_from(db.feeder_house_loads)).scalar() == 0
        assert conn.execute(select(func.count()).select_from(db.house_readings)).scalar() == len(
            readings()
        )


def test_the_savings_come_from_the_raw_readings_of_the_last_twenty_minutes(
    young: Engine, tmp_path: Path
) -> None:
    report = build(young)
    saved, counted = expected_savings()
    assert saved > 0.05  # the moves did save energy
    s = report.savings
    assert s is not None
    assert s.saved_kwh == pytest.approx(saved, rel=1e-9)
    assert s.hours == pytest.approx(counted)
    assert counted == pytest.approx(20 / 60)
    pdf = tmp_path / "young.pdf"
    write_pdf(report, pdf)
    text = " ".join(" ".join(page.extract_text().split()) for page in PdfReader(pdf).pages)
    assert f"Energy saved: {saved:,.1f} kWh, worth ₹{saved * 7.5:,.0f} at ₹7.50/kWh" in text
    assert "No house readings arrived" not in text
    assert f"the savings cover {counted:.1f} hours" in text


def test_completeness_counts_the_minutes_since_provisioning(young: Engine, tmp_path: Path) -> None:
    report = build(young)
    expected_house_minutes = len(BUILT) * 20
    got = house_minutes()
    assert got == expected_house_minutes - 5  # H004's two readings a minute count once
    assert report.summaries_share == pytest.approx(15 / 20)
    assert report.readings_share == pytest.approx(got / expected_house_minutes)
    (feeder,) = report.feeders
    uptime = next(k for k in report.key_figures if k.key == "kf_uptime")
    assert (uptime.value, uptime.previous) == (75.0, None)  # not provisioned the day before
    assert (feeder.minutes_reported, feeder.minutes_expected) == (15, 20)
    assert (feeder.house_minutes, feeder.expected_house_minutes) == (got, expected_house_minutes)
    pdf = tmp_path / "young.pdf"
    write_pdf(report, pdf)
    text = " ".join(" ".join(page.extract_text().split()) for page in PdfReader(pdf).pages)
    share = 100 * got / expected_house_minutes
    assert f"controller summaries 75.0 % of the minutes; house readings {share:.1f} % " in text
    assert f"of the house-minutes of the period ({got} of {expected_house_minutes})" in text
    annex = tmp_path / "young.csv"
    write_csv(report, annex)
    with annex.open(encoding="utf-8") as file:
        rows = list(csv.reader(file))
    k = next(n for n, row in enumerate(rows) if row and row[0] == "# feeders")
    header, detail = rows[k + 1], rows[k + 2]
    cells = dict(zip(header, detail, strict=True))
    assert (int(cells["minutes_reported"]), int(cells["minutes_expected"])) == (15, 20)
    assert (int(cells["house_minutes"]), int(cells["house_minutes_expected"])) == (got, 120)
    assert float(cells["house_minutes_share_pct"]) == pytest.approx(share)


def test_the_rolled_up_hours_give_what_the_raw_readings_gave(young: Engine) -> None:
    raw = build(young)
    refresh(young, now=NOW + timedelta(hours=2))  # both hours settle into the rollup
    with young.connect() as conn:
        rows = conn.execute(select(func.count()).select_from(db.feeder_house_loads)).scalar_one()
    assert rows > 0
    rolled = build(young)
    assert raw.savings is not None
    assert rolled.savings is not None
    assert rolled.savings.saved_kwh == pytest.approx(raw.savings.saved_kwh, rel=1e-9)
    assert rolled.savings.house_minutes == raw.savings.house_minutes == house_minutes()
    assert rolled.readings_share == pytest.approx(raw.readings_share)
