"""Wire the command path into a control-room app: the publisher and the command service."""

from __future__ import annotations

import atexit

import dash
import flask

from components import runtime
from hq.commands import SERVICE_NAME, CommandService
from hq.publisher import CommandPublisher
from keys import KeysDir
from settings import Settings
from transport import broker_from_settings


def register_command_publisher(app: dash.Dash | flask.Flask, settings: Settings) -> CommandService:
    """Start a command publisher on SP_MQTT_URL and register the command service of `app`.

    The app's runtime must be installed (components.runtime.install) first. Pages reach the
    service with `components.runtime.service(hq.commands.SERVICE_NAME)`.
    """
    server = app.server if isinstance(app, dash.Dash) else app
    publisher = CommandPublisher(broker_from_settings(settings))
    publisher.start()
    atexit.register(publisher.stop)
    service = CommandService(runtime.current(server).engine, KeysDir(settings.keys_dir), publisher)
    runtime.register_service(SERVICE_NAME, service, server)
    return service
