"""Per-app objects that callbacks and routes reach through Flask's current app.

`app.create_app` calls `install(server, settings, engine)` once; afterwards, inside a request
(a page layout, a callback, a Flask route), `engine()` and `settings()` return what that app was
built with, and `service(name)` returns an object registered with `register_service` (for
example the command publisher under the name "commands"). Nothing lives in module globals, so
several apps (one per test) can exist in one process.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

import dash
import flask
from sqlalchemy import Engine

from settings import Settings

EXTENSION: Final = "smartphase"
"""The key of the Runtime in `flask.Flask.extensions`."""


class ServiceMissingError(LookupError):
    """No service is registered under that name."""


@dataclass(slots=True)
class Runtime:
    """What one control-room app was built with."""

    settings: Settings
    engine: Engine
    services: dict[str, Any] = field(default_factory=dict)
    dash_app: dash.Dash | None = None
    """The Dash app itself, for its callback map (set by `install`)."""


def install(
    server: flask.Flask, settings: Settings, engine: Engine, dash_app: dash.Dash | None = None
) -> Runtime:
    """Attach a Runtime to a Flask server and return it."""
    runtime = Runtime(settings=settings, engine=engine, dash_app=dash_app)
    server.extensions[EXTENSION] = runtime
    return runtime


def current(server: flask.Flask | None = None) -> Runtime:
    """Return the Runtime of `server`, or of the app handling the current request."""
    app = server if server is not None else flask.current_app
    try:
        runtime = app.extensions[EXTENSION]
    except KeyError:
        raise RuntimeError("this Flask app was not built by app.create_app") from None
    assert isinstance(runtime, Runtime)
    return runtime


def engine() -> Engine:
    """Return the store engine of the current app."""
    return current().engine


def settings() -> Settings:
    """Return the settings of the current app."""
    return current().settings


def register_service(name: str, obj: Any, server: flask.Flask | None = None) -> None:
    """Keep `obj` under `name` for the app (`server`, or the current app); replaces any other."""
    current(server).services[name] = obj


def service(name: str, server: flask.Flask | None = None) -> Any:
    """Return the object registered under `name`, or raise ServiceMissingError."""
    try:
        return current(server).services[name]
    except KeyError:
        raise ServiceMissingError(f"no service {name!r} is registered") from None
