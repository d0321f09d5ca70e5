"""The SmartPhase control room (Plotly Dash): `create_app()`, `python app.py`, `app:server`.

`create_app(settings, engine=...)` builds a fresh app: it migrates the store, imports the pages
under pages/ (each registers itself), installs sign-in, sessions, request caps and the request
guards (components/auth.py), the second factor (components/mfa.py) and the security headers
with a Content-Security-Policy that admits exactly the app's inline scripts
(components/headers.py), and keeps the settings and engine for callbacks (components/runtime.py).
Importing this module does nothing else; `server` builds the app from the environment on first
access. Production and the demo serve it with gunicorn (`gunicorn -c deploy/gunicorn.conf.py
app:server`: several gthread workers, each building its own app; nothing per user lives in a
worker). `python app.py` serves on SP_HOST:SP_PORT with Flask's server and debug off, for
development. The Dash MCP endpoint is off, so /_mcp is 404.
"""

from __future__ import annotations

import gc
import logging
from pathlib import Path
from typing import Any, Final

import dash
import flask
from dash import _callback as dash_callbacks
from sqlalchemy import Engine

from components import auth, headers, layout, mfa, runtime
from components.activity_log import install as install_log_export
from hq.service import register_command_publisher
from settings import Settings
from store.db import make_engine
from store.migrate import upgrade

log = logging.getLogger("dashboard")

HERE: Final = Path(__file__).resolve().parent
PAGES: Final = HERE / "pages"
ASSETS: Final = HERE / "assets"


def create_app(settings: Settings | None = None, *, engine: Engine | None = None) -> dash.Dash:
    """Return a new control-room app on `engine` (default: one for SP_DATABASE_URL)."""
    settings = Settings.from_env() if settings is None else settings
    engine = make_engine(settings.database_url) if engine is None else engine
    upgrade(engine)
    _forget_unclaimed_callbacks()
    app = dash.Dash(
        __name__,
        use_pages=True,
        pages_folder=str(PAGES),
        assets_folder=str(ASSETS),
        title="SmartPhase",
        update_title="",
        suppress_callback_exceptions=True,
        serve_locally=True,
        enable_mcp=False,
        index_string=layout.index_string(settings.ui_lang),
    )
    _claim_page_callbacks(app)
    app.layout = layout.build_shell
    layout.register_callbacks(app)
    server = app.server
    assert isinstance(server, flask.Flask)
    runtime.install(server, settings, engine, app)
    register_command_publisher(app, settings)
    auth.install(server, settings)
    mfa.install(server)
    install_log_export(server)
    headers.install(server, app, settings.map_tiles_url)
    # What start-up built lives as long as the process: keep it out of the cyclic collector's
    # full passes, which otherwise scan it during the map's 5,000-feeder refresh (tens of ms).
    gc.collect()
    gc.freeze()
    return app


def _forget_unclaimed_callbacks() -> None:
    """Drop page callbacks (and their inline scripts) that an earlier app built in this process
    never claimed."""
    dash_callbacks.GLOBAL_CALLBACK_LIST.clear()
    dash_callbacks.GLOBAL_CALLBACK_MAP.clear()
    dash_callbacks.GLOBAL_INLINE_SCRIPTS.clear()


def _claim_page_callbacks(app: dash.Dash) -> None:
    """Move the callbacks the pages just registered with `dash.callback` into this app.

    Dash keeps `dash.callback` registrations in module globals until an app's first request;
    claiming them now makes each app own exactly its own pages' callbacks.
    """
    app.callback_map.update(dash_callbacks.GLOBAL_CALLBACK_MAP)
    app._callback_list.extend(dash_callbacks.GLOBAL_CALLBACK_LIST)
    app._inline_scripts.extend(dash_callbacks.GLOBAL_INLINE_SCRIPTS)
    _forget_unclaimed_callbacks()


def main() -> None:
    """Serve the control room on SP_HOST:SP_PORT with Flask's server, debug off (development)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    settings = Settings.from_env()
    app = create_app(settings)
    log.info("control room on http://%s:%d", settings.host, settings.port)
    app.run(host=settings.host, port=settings.port, debug=False, dev_tools_hot_reload=False)


_server: flask.Flask | None = None


def __getattr__(name: str) -> Any:
    """Build `server` (the Flask app for gunicorn) from the environment on first access."""
    global _server  # noqa: PLW0603
    if name != "server":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    if _server is None:
        server = create_app().server
        assert isinstance(server, flask.Flask)
        _server = server
    return _server


if __name__ == "__main__":
    main()
