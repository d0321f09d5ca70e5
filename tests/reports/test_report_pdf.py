"""Reports read back: the PDF's text (pypdf) against figures worked out from the store's rows,
its pages as images (pdftoppm), the CSV annex, and a period without data."""

from __future__ import annotations

import csv
import re
import shutil
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from pypdf import PdfReader
from sqlalchemy import Engine

from reports import Report, Scope, build_report, parse_period
from reports.render import write_csv, write_pdf
from reports.strings import strings
from settings import Settings
from tests.reports.fleet import (
    FEEDERS,
    hours_unbalanced,
    house_minutes_share,
    measured_neutral_mean,
    saved_kwh,
)

WAYANAD = ("KL-WYD-0001", "KL-WYD-0002")
SETTINGS = Settings(lv_phase_ohm=0.04, lv_neutral_ohm=0.06, tariff_inr_per_kwh=7.5)
NOW = datetime(2024, 6, 3, 6, tzinfo=UTC)


@dataclass(frozen=True)
class Rendered:
    """A report, its PDF's text per page, and its files."""

    report: Report
    pdf: Path
    annex: Path
    pages: list[str]

    @property
    def text(self) -> str:
        """Return every page's text, lines joined by spaces."""
        return " ".join(" ".join(p.split()) for p in self.pages)


def render(
    engine: Engine, folder: Path, scope: Scope, first: str, last: str, lang: str
) -> Rendered:
    """Build, write and read back a report."""
    report = build_report(
        engine, scope, parse_period(first, last), lang, settings=SETTINGS, now=NOW
    )
    pdf = folder / f"{scope.slug}-{lang}-{first}.pdf"
    pages = write_pdf(report, pdf)
    annex = pdf.with_suffix(".csv")
    write_csv(report, annex)
    text = [page.extract_text() for page in PdfReader(pdf).pages]
    assert len(text) == pages
    return Rendered(report, pdf, annex, text)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pdf")


@pytest.fixture(scope="module")
def district(sqlite_store: Engine, folder: Path) -> Rendered:
    return render(
        sqlite_store, folder, Scope("district", "Wayanad"), "2024-06-01", "2024-06-02", "en"
    )


@pytest.fixture(scope="module")
def feeder_ml(sqlite_store: Engine, folder: Path) -> Rendered:
    scope = Scope("feeder", "KL-WYD-0001")
    return render(sqlite_store, folder, scope, "2024-06-01", "2024-06-02", "ml")


def key_figure(text: str, label: str, unit: str = "") -> list[str]:
    """Return the cells after a key figure's label and unit in the PDF's text: this period,
    the previous one, the change and the change in per cent."""
    found = re.search(re.escape(f"{label} {unit}".strip()) + r" ((?:[-\d,.—]+ ?){4})", text)
    assert found, label
    return found.group(1).split()


def test_key_figures_match_the_store(district: Rendered) -> None:
    t = strings("en")
    neutral = measured_neutral_mean(WAYANAD)
    assert key_figure(district.text, t["kf_neutral"], "A")[0] == f"{neutral:.1f}"
    expected_h = sum(hours_unbalanced(f) for f in WAYANAD)
    assert key_figure(district.text, t["kf_hours_unbalanced"], "h")[0] == f"{expected_h:,.1f}"
    saved = saved_kwh(WAYANAD, SETTINGS.lv_phase_ohm, SETTINGS.lv_neutral_ohm)
    assert saved > 0.5  # the moves did save energy in this fleet
    assert key_figure(district.text, t["kf_saved_kwh"], "kWh")[0] == f"{saved:,.1f}"
    assert key_figure(district.text, t["kf_saved_inr"], "₹")[0] == f"{saved * 7.5:,.0f}"
    # switches made: this period's three applied, the previous period's one was refused
    assert key_figure(district.text, t["kf_switches"])[:3] == ["3", "0", "3"]
    # alerts: two raised in Wayanad in the period, one in the previous period
    assert key_figure(district.text, t["kf_alerts"])[:3] == ["2", "1", "1"]
    assert (
        f"Energy saved: {saved:,.1f} kWh, worth ₹{saved * 7.5:,.0f} at ₹7.50/kWh" in district.text
    )


def test_the_district_leaves_other_districts_out(district: Rendered) -> None:
    assert [f.feeder_id for f in district.report.feeders] == list(WAYANAD)
    assert "KL-IDK-0001" not in district.text
    assert district.report.map_district == "Wayanad"


def test_a_silent_feeder_shows_in_availability_and_completeness(district: Rendered) -> None:
    r = district.report
    silent = next(f for f in r.feeders if f.feeder_id == "KL-WYD-0002")
    assert silent.offline_hours == pytest.approx(6.0)
    assert silent.uptime == pytest.approx(1 - 6 / 48)
    assert r.summaries_share == pytest.approx(1 - 6 / 96)
    # a reading every five minutes, and the six houses of the silent feeder sent nothing for
    # six hours
    assert r.readings_share == pytest.approx(house_minutes_share(WAYANAD))
    assert r.readings_share == pytest.approx(0.2 * (1 - 6 * 6 / (15 * 48)))
    worst = r.nodes[0]
    assert (worst.kind, worst.node_id) == ("controller", "KL-WYD-0002")
    assert "KL-WYD-0002 KL-WYD-0002 87.5 6.0" in district.text


def test_actions_say_who_moved_what_and_why(district: Rendered) -> None:
    text = district.text
    assert "asha" in text
    assert "consumer complaint" in text
    assert "did_not_help" in text  # the rolled-back move and the lockout
    assert "Balancing runs: 1. Switches made: 3 (2 by the controllers, 1 by operators)" in text
    assert "42.0 A when a run was decided and 14.0 A after it" in text


def test_alert_times_to_acknowledge_and_clear(district: Rendered) -> None:
    stats = {a.kind: a for a in district.report.alerts}
    assert stats["sustained_unbalance"].ack_median_min == pytest.approx(10.0)
    assert stats["sustained_unbalance"].clear_median_min == pytest.approx(80.0)
    assert stats["feeder_offline"].clear_median_min == pytest.approx(359.0)
    assert "sustained unbalance warning 1 1 1 0 10.0 10.0 80.0 80.0" in district.text


def test_worst_tables_rank_the_district(district: Rendered) -> None:
    means = {f: measured_neutral_mean((f,)) for f in WAYANAD}
    worst, other = sorted(WAYANAD, key=lambda f: -means[f])
    expected = f"{worst} {worst_name(worst)} Wayanad {means[worst]:.1f} {other}"
    assert "By neutral current (mean) [A] Transformer Name District Value " + expected in (
        district.text
    )


def worst_name(feeder_id: str) -> str:
    """Return a test feeder's name."""
    return FEEDERS[feeder_id][0]


def test_the_pages_render_and_are_not_blank(district: Rendered, tmp_path: Path) -> None:
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    subprocess.run(
        ["pdftoppm", "-r", "30", "-gray", str(district.pdf), str(tmp_path / "page")], check=True
    )
    images = sorted(tmp_path.glob("page-*.pgm"))
    assert len(images) == len(district.pages)
    for image in images:
        pixels = np.frombuffer(image.read_bytes().split(b"\n", 3)[3], dtype=np.uint8)
        assert (pixels < 250).mean() > 0.005, image.name  # something drawn on every page


def annex_sections(path: Path) -> dict[str, tuple[list[str], list[list[str]]]]:
    """Return each section of a CSV annex: its column headings and its rows."""
    with path.open(encoding="utf-8") as file:
        rows = list(csv.reader(file))
    out = {}
    k = 0
    while k < len(rows):
        if rows[k] and rows[k][0].startswith("# "):
            end = rows.index([], k)
            out[rows[k][0][2:]] = (rows[k + 1], rows[k + 2 : end])
            k = end
        k += 1
    return out


def test_the_annex_holds_every_table_and_the_detail_per_feeder(district: Rendered) -> None:
    sections = annex_sections(district.annex)
    assert {"about", "key_figures", "savings", "feeders", "nodes", "commands"} <= set(sections)
    header, detail = sections["feeders"]
    assert [row[0] for row in detail] == list(WAYANAD)
    saved = sum(float(row[header.index("saved_kwh")]) for row in detail)
    expected = saved_kwh(WAYANAD, SETTINGS.lv_phase_ohm, SETTINGS.lv_neutral_ohm)
    assert saved == pytest.approx(expected, rel=1e-5)
    _, nodes = sections["nodes"]
    assert len(nodes) == 2 + 15  # every controller and house node, not only the PDF's 20
    _, commands = sections["commands"]
    assert [row[1] for row in commands] == ["asha"]


def test_the_malayalam_report_is_in_malayalam(feeder_ml: Rendered) -> None:
    text = feeder_ml.text
    assert "ദിവസം" in text
    assert sum(1 for ch in text if "\u0d00" <= ch <= "\u0d7f") > 2000
    assert "Savings" not in text
    fonts = {
        str(font.get("/BaseFont"))
        for page in PdfReader(feeder_ml.pdf).pages
        for font in (page.get("/Resources", {}).get("/Font", {}) or {}).values()
        for font in [font.get_object()]
    }
    assert any("Malayalam" in name for name in fonts), fonts
    assert f"{feeder_ml.report.savings.saved_kwh:,.1f} kWh" in text  # type: ignore[union-attr]


def test_a_period_without_data_says_so(sqlite_store: Engine, folder: Path) -> None:
    empty = render(sqlite_store, folder, Scope("district", "Wayanad"), "2023-01-01", "2023-01-07",
                   "en")  # fmt: skip
    assert not empty.report.has_data
    assert empty.report.savings is None
    assert " ".join(strings("en")["no_data"].split()[:8]) in empty.text
    assert " ".join(strings("en")["savings_none"].split()[:8]) in empty.text
