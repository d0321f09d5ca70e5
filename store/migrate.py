"""Create or migrate the schema to the newest revision (idempotent): `python -m store upgrade`."""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text

from store.db import Backend, detect_backend, timescale_available, timescale_version

log = logging.getLogger("store")
MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config() -> Config:
    """Return the Alembic configuration of the store's migrations."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str:
    """Return the newest revision of the migration scripts."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    """Return the revision the database is at, or None for an empty database."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, *, use_timescale: bool = True) -> Backend:
    """Bring the database to the newest revision and return its backend.

    On PostgreSQL, the TimescaleDB extension is created first when it is available and
    `use_timescale`; the migrations then build hypertables and continuous aggregates instead
    of rollup tables. Running it again on an up-to-date database changes nothing.
    """
    with engine.begin() as conn:
        if (
            use_timescale
            and conn.dialect.name == "postgresql"
            and timescale_version(conn) is None
            and timescale_available(conn)
        ):
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS timescaledb"))
        backend = detect_backend(conn)
        before = MigrationContext.configure(conn).get_current_revision()
        config = alembic_config()
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
        after = MigrationContext.configure(conn).get_current_revision()
    if before == after:
        log.info("schema already at revision %s", after)
    else:
        log.info("schema migrated from %s to %s", before or "empty", after)
    return backend
