"""One seeded store per test module (tests/reports/fleet.py), on SQLite and on PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.pool import NullPool

from store.db import make_engine, sqlalchemy_url
from store.migrate import upgrade
from tests.conftest import PG_URL, _reachable, _with_database, service_missing
from tests.reports.fleet import seed


@pytest.fixture(scope="module")
def sqlite_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """Return an engine on a SQLite store holding the test fleet."""
    path: Path = tmp_path_factory.mktemp("reports") / "store.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    seed(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def pg_store() -> Iterator[Engine]:
    """Return an engine on a fresh PostgreSQL database holding the test fleet (dropped after)."""
    parts = urlsplit(PG_URL)
    if not _reachable(parts.hostname or "127.0.0.1", parts.port or 5432):
        service_missing(f"PostgreSQL is not reachable at {PG_URL}")
    name = f"sp_test_reports_{uuid.uuid4().hex[:10]}"
    admin = create_engine(sqlalchemy_url(PG_URL), isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(_with_database(PG_URL, name))
    try:
        upgrade(engine)
        seed(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
