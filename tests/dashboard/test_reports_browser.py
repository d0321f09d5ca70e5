"""Reports in headless Chromium against the live control room and a real report worker: a
viewer exports a feeder's report from /reports, follows its progress, and the PDF downloads by
itself; the feeder page's Export PDF does the same for its feeder. The PDFs are read back."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import select

from store.schema import audit_log
from tests.dashboard.conftest import ROOT, LiveServer, screenshot, texts, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.slow]

Browser = Callable[[str], Any]
RENDER_TIMEOUT_S = 120.0
"""Most a report may take to render on a busy 2-core machine, queue and child start included."""


@pytest.fixture(scope="module")
def report_worker(
    live_server: LiveServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Path]:
    """Run `python -m reports.worker` on the live server's store; return its reports folder."""
    folder = tmp_path_factory.mktemp("reports")
    log = (folder / "worker.log").open("wb")
    env = {
        **os.environ,
        "SP_DATABASE_URL": live_server.database_url,
        "SP_REPORTS_DIR": str(folder / "files"),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "reports.worker"], cwd=ROOT, env=env, stdout=log, stderr=log
    )
    yield folder
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    log.close()


def downloading_to(driver: Any, folder: Path) -> Path:
    """Let the browser save downloads into `folder`, without asking."""
    folder.mkdir(parents=True, exist_ok=True)
    driver.execute_cdp_cmd(
        "Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(folder)}
    )
    return folder


def downloaded_pdf(folder: Path, timeout_s: float = 60.0) -> Path:
    """Return the one PDF the browser finished saving into `folder`."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        done = [p for p in folder.iterdir() if p.suffix == ".pdf"]
        if done and not any(p.suffix == ".crdownload" for p in folder.iterdir()):
            assert len(done) == 1, done
            return done[0]
        time.sleep(0.2)
    raise AssertionError(f"no PDF arrived in {folder}: {list(folder.iterdir())}")


def choose(driver: Any, dropdown_id: str, label: str) -> None:
    """Pick an option of a dcc.Dropdown by its label."""
    driver.find_element(By.ID, dropdown_id).click()
    WebDriverWait(driver, 10, ignored_exceptions=[StaleElementReferenceException]).until(
        lambda d: next(
            (o for o in d.find_elements(By.CSS_SELECTOR, "[role='option']") if o.text == label),
            False,
        )
    ).click()
    wait_for(driver, f"#{dropdown_id}", label)


def export_and_follow(driver: Any, name: str) -> None:
    """Press Export PDF, see the run queued or rendering with a progress bar, then ready."""
    button = driver.find_element(By.ID, "sp-reports-export")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", button)
    button.click()
    wait_for(driver, "progress.sp-report-progress", timeout=60)
    WebDriverWait(driver, RENDER_TIMEOUT_S).until(
        lambda d: any(("Rendering" in t or "Ready" in t) for t in texts(d, ".sp-report-state"))
    )
    screenshot(driver, f"{name}-progress")
    wait_for(driver, ".sp-report-state", "Ready", timeout=RENDER_TIMEOUT_S)
    screenshot(driver, f"{name}-ready")


def test_a_viewer_exports_a_feeder_report_from_the_reports_page(
    live_server: LiveServer, report_worker: Path, browser: Browser, tmp_path: Path
) -> None:
    driver = browser("viewer")
    folder = downloading_to(driver, tmp_path / "downloads")
    driver.get(live_server.base + "/reports")
    wait_for(driver, "#sp-header-nav", "Reports")
    wait_for(driver, "#sp-reports-period-text", "The report covers")
    choose(driver, "sp-reports-scope-name", "KL-TVM-0001 · Feeder KL-TVM-0001")
    driver.find_element(By.CSS_SELECTOR, "#sp-reports-period input[value='day']").click()
    wait_for(driver, "#sp-reports-period-text", "(1 day)")
    export_and_follow(driver, "reports-page")

    pdf = downloaded_pdf(folder)
    assert pdf.name.startswith("report-")
    assert "feeder-KL-TVM-0001" in pdf.name
    reader = PdfReader(pdf)
    assert len(reader.pages) >= 1
    assert "KL-TVM-0001" in reader.pages[0].extract_text()
    wait_for(driver, "#sp-reports-list", "done")  # the list follows the run's end at once
    assert "Feeder KL-TVM-0001" in driver.find_element(By.ID, "sp-reports-list").text
    engine = live_server.engine()
    try:
        with engine.connect() as conn:
            who = conn.execute(
                select(audit_log.c.username, audit_log.c.action).where(
                    audit_log.c.action.in_(("report.export", "report.download"))
                )
            ).all()
    finally:
        engine.dispose()
    assert ("vera", "report.export") in [tuple(w) for w in who]
    assert ("vera", "report.download") in [tuple(w) for w in who]


def test_the_feeder_page_exports_its_feeder(
    live_server: LiveServer, report_worker: Path, browser: Browser, tmp_path: Path
) -> None:
    driver = browser("viewer")
    folder = downloading_to(driver, tmp_path / "downloads")
    driver.get(live_server.base + "/feeder/KL-EKM-0002")
    wait_for(driver, ".sp-report-export h2", "Export PDF")
    wait_for(driver, "#sp-reports-period-text", "The report covers")
    export_and_follow(driver, "feeder-page")
    pdf = downloaded_pdf(folder)
    assert "feeder-KL-EKM-0002" in pdf.name
    assert "KL-EKM-0002" in PdfReader(pdf).pages[0].extract_text()
