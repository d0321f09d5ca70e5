"""Notification fixtures: one migrated store per module and backend, emptied before each test
(creating a PostgreSQL database per test would cost seconds each)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from sqlalchemy import Engine, create_engine, delete, text
from sqlalchemy.pool import NullPool

from store.db import make_engine, sqlalchemy_url
from store.migrate import upgrade
from store.schema import metadata
from tests.dashboard.conftest import (  # noqa: F401 - the control room's fixtures, for the pages
    browser,
    clients,
    dashboard_app,
    dashboard_url,
    live_server,
)


@pytest.fixture(scope="module")
def pg_url_module(pg_admin_url: str) -> Iterator[str]:
    """Return the URL of a fresh PostgreSQL database for a module, dropped afterwards."""
    name = f"sp_notify_{uuid.uuid4().hex[:12]}"
    admin = create_engine(
        sqlalchemy_url(pg_admin_url), isolation_level="AUTOCOMMIT", poolclass=NullPool
    )
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield urlsplit(pg_admin_url)._replace(path="/" + name).geturl()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)])
def module_store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """Return an engine on a store migrated to the newest revision, for a whole module."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('notify')}/store.db"
    else:
        url = str(request.getfixturevalue("pg_url_module"))
    engine = make_engine(url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def engine(module_store: Engine) -> Engine:
    """Return the module's store with every table emptied."""
    with module_store.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(delete(table))
    return module_store
