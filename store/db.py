"""Engines and the one start-up decision of which backend the store runs on.

`make_engine` takes the plain URL forms of SP_DATABASE_URL (`postgresql://user@host:port/db`,
`sqlite:///path`) and picks the drivers; `detect_backend` says, once, whether this is
TimescaleDB, plain PostgreSQL or SQLite, and logs the choice.
"""

from __future__ import annotations

import logging
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import Connection, make_url

log = logging.getLogger("store")


class Backend(StrEnum):
    """Where the store lives, which decides hypertables versus rollup tables."""

    TIMESCALE = "timescale"
    POSTGRESQL = "postgresql"
    SQLITE = "sqlite"

    @property
    def is_postgres(self) -> bool:
        """Return whether the database speaks PostgreSQL (with or without Timescale)."""
        return self is not Backend.SQLITE


class StoreError(RuntimeError):
    """The database cannot be used as configured; the message says why."""


def sqlalchemy_url(url: str) -> str:
    """Return the SQLAlchemy URL of a plain database URL, with the psycopg 3 driver."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    if parsed.drivername == "sqlite":
        return url
    if parsed.drivername.startswith(("postgresql+", "sqlite+")):
        return url
    raise StoreError(f"unsupported database URL scheme {parsed.drivername!r}")


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Return an engine for a plain database URL; SQLite gets WAL and foreign keys.

    PostgreSQL sessions run in UTC: timestamps come back already in UTC, whatever the server's
    default time zone, so reading them costs no conversion.
    """
    full = sqlalchemy_url(url)
    if full.startswith("sqlite"):
        path = make_url(full).database
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(full, connect_args={"timeout": 30}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    connect_args = {"options": "-c timezone=UTC", **kwargs.pop("connect_args", {})}
    return create_engine(full, connect_args=connect_args, **kwargs)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def timescale_version(conn: Connection) -> str | None:
    """Return the installed TimescaleDB extension version, or None."""
    if conn.dialect.name != "postgresql":
        return None
    row = conn.execute(
        text("SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'")
    ).first()
    return None if row is None else str(row[0])


def timescale_available(conn: Connection) -> bool:
    """Return whether the TimescaleDB extension can be created: installed and preloaded."""
    if conn.dialect.name != "postgresql":
        return False
    row = conn.execute(
        text("SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'")
    ).first()
    if row is None:
        return False
    preload = conn.execute(text("SELECT current_setting('shared_preload_libraries')")).scalar()
    return "timescaledb" in str(preload or "")


def detect_backend(conn: Connection, *, announce: bool = True) -> Backend:
    """Return the backend of a connection, and log the choice when `announce`."""
    if conn.dialect.name == "sqlite":
        backend, why = Backend.SQLITE, "SQLite file store (embedded demo)"
    elif (version := timescale_version(conn)) is not None:
        backend = Backend.TIMESCALE
        why = f"TimescaleDB {version}: hypertables, compression, retention, continuous aggregates"
    elif conn.dialect.name == "postgresql":
        backend, why = Backend.POSTGRESQL, "plain PostgreSQL: rollup tables refreshed by a job"
    else:
        raise StoreError(f"unsupported database dialect {conn.dialect.name!r}")
    if announce:
        log.info("store backend: %s", why)
    return backend
