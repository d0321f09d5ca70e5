"""Shared fixtures: real PostgreSQL and Mosquitto where they run, SQLite always.

A test that needs a service skips with the reason on a machine without it, and fails when
CI=true (DESIGN §9). SP_TEST_PG_URL and SP_TEST_MQTT_URL point at other servers.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.pool import NullPool

from store.db import make_engine, sqlalchemy_url
from store.migrate import upgrade

PG_URL = os.environ.get("SP_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
MQTT_URL = os.environ.get("SP_TEST_MQTT_URL", "mqtt://127.0.0.1:1883")


def service_missing(reason: str) -> None:
    """Skip the test, or fail it under CI=true where every service must be running."""
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"CI=true but {reason}")
    pytest.skip(reason)


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def pg_admin_url() -> str:
    """Return the URL of the PostgreSQL server the tests may create databases on."""
    parts = urlsplit(PG_URL)
    if not _reachable(parts.hostname or "127.0.0.1", parts.port or 5432):
        service_missing(f"PostgreSQL is not reachable at {PG_URL}")
    return PG_URL


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return parts._replace(path="/" + name).geturl()


@pytest.fixture
def pg_url(pg_admin_url: str) -> Iterator[str]:
    """Return the URL of a fresh, empty PostgreSQL database, dropped afterwards."""
    name = f"sp_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(
        sqlalchemy_url(pg_admin_url), isolation_level="AUTOCOMMIT", poolclass=NullPool
    )
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield _with_database(pg_admin_url, name)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path: object) -> str:
    """Return the URL of a fresh SQLite file."""
    return f"sqlite:///{tmp_path}/store.db"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)])
def db_url(request: pytest.FixtureRequest) -> str:
    """Return a fresh database URL: once SQLite, once PostgreSQL."""
    if request.param == "sqlite":
        return str(request.getfixturevalue("sqlite_url"))
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """Return an engine on a fresh database migrated to the newest revision."""
    eng = make_engine(db_url)
    upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture(scope="session")
def mqtt_url() -> str:
    """Return the URL of a running MQTT broker."""
    parts = urlsplit(MQTT_URL)
    if not _reachable(parts.hostname or "127.0.0.1", parts.port or 1883):
        service_missing(f"no MQTT broker is reachable at {MQTT_URL}")
    return MQTT_URL
