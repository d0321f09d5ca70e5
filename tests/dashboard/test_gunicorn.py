"""The control room under gunicorn as production and the demo serve it (deploy/gunicorn.conf.py):
several workers, a sign-in that every worker honours, pages and callbacks answered."""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from app import create_app
from bench.served import Gunicorn, signed_in_session
from store.db import make_engine
from store.migrate import upgrade
from tests.dashboard.conftest import (
    PASSWORD,
    SECRET,
    USERS,
    callback_entries,
    callback_payload,
    make_settings,
    seed_dashboard,
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Gunicorn, str]]:
    """Return gunicorn with two workers on a seeded SQLite store, and the store's URL."""
    folder: Path = tmp_path_factory.mktemp("gunicorn")
    url = f"sqlite:///{folder}/store.db"
    engine = make_engine(url)
    upgrade(engine)
    seed_dashboard(engine)
    engine.dispose()
    with Gunicorn(url, SECRET, folder / "server.log", workers=2, threads=4) as server:
        yield server, url


def test_two_workers_serve_a_signed_in_user_pages_and_callbacks(
    served: tuple[Gunicorn, str],
) -> None:
    server, url = served
    assert len(server.worker_pids()) == 2
    session = signed_in_session(server.base, USERS["viewer"], PASSWORD)
    page = session.get(server.base + "/log", timeout=30)
    assert page.status_code == 200
    assert page.headers["Server"].startswith("gunicorn")
    engine = make_engine(url)
    app = create_app(make_settings(url), engine=engine)
    (key,) = [k for k, e in callback_entries(app).items() if e["callback"].__name__ == "show_log"]
    payload = callback_payload(app, key, {"sp-log-kind.value": None})
    engine.dispose()
    # Fresh connections land on either worker; the session cookie holds in every one.
    for _ in range(12):
        fresh = session.post(
            server.base + "/_dash-update-component",
            json=payload,
            headers={"Connection": "close"},
            timeout=30,
        )
        assert fresh.status_code == 200, fresh.text[:300]
        body = fresh.json()["response"]
        assert body["sp-log-count"]["children"].startswith("Entries 1–")
        assert any(row["kind"] == "switch" for row in body["sp-log-table"]["data"])
    layout = session.get(server.base + "/_dash-layout", timeout=30)
    assert layout.status_code == 200
    assert "vera" in layout.text  # the header shows the signed-in user


def test_anonymous_is_sent_to_sign_in(served: tuple[Gunicorn, str]) -> None:
    server, _ = served
    answer = requests.get(server.base + "/log", allow_redirects=False, timeout=30)
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith("/login?next=")


def test_a_new_worker_serves_a_burst_of_page_scripts(
    served: tuple[Gunicorn, str], tmp_path: Path
) -> None:
    """A browser fetches a page's scripts at once over several connections, which may be a
    worker's first requests: every one is answered, none while the worker sets itself up."""
    _, url = served
    app = create_app(make_settings(url))
    with app.server.test_request_context("/"):
        shell = app.index()
    scripts = re.findall(r'src="(/_dash-component-suites/[^"]+)"', shell)
    assert scripts
    with Gunicorn(url, SECRET, tmp_path / "fresh.log", workers=3, threads=8) as fresh:
        cookies = signed_in_session(fresh.base, USERS["viewer"], PASSWORD).cookies

        def fetch(path: str) -> int:
            answer = requests.get(
                fresh.base + path, cookies=cookies, headers={"Connection": "close"}, timeout=30
            )
            return answer.status_code

        with ThreadPoolExecutor(max_workers=24) as pool:
            codes = list(pool.map(fetch, scripts * 3))
    failed = [(p, c) for p, c in zip(scripts * 3, codes, strict=True) if c != 200]
    assert failed == []
