"""The typed settings objects read from prefixed environment variables."""

from __future__ import annotations

import pytest

from edge.settings import EdgeSettings, EdgeSettingsError
from settings import DEFAULT_DATABASE_URL, DEFAULT_MQTT_URL, Settings, SettingsError


def test_defaults_are_the_embedded_demo() -> None:
    s = Settings.from_env({})
    assert (s.database_url, s.mqtt_url, s.port) == (DEFAULT_DATABASE_URL, DEFAULT_MQTT_URL, 8050)
    assert s.sqlite_path is not None


def test_values_are_converted_by_type() -> None:
    s = Settings.from_env(
        {
            "SP_PORT": "9000",
            "SP_INGEST_SHARED": "off",
            "SP_DATABASE_URL": "postgresql://u@h:5432/db",
            "SP_MQTT_CA_FILE": "",
        }
    )
    assert (s.port, s.ingest_shared, s.sqlite_path, s.mqtt_ca_file) == (9000, False, None, None)
    assert EdgeSettings.from_env({"SP_EDGE_METER_POLL_S": "0.5"}).meter_poll_s == 0.5


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SP_PORT": "80x"}, "SP_PORT: '80x' is not an integer"),
        ({"SP_PORT": "70000"}, "SP_PORT: 70000 is not a TCP port"),
        ({"SP_INGEST_SHARED": "maybe"}, "SP_INGEST_SHARED: 'maybe' is not true or false"),
        ({"SP_DATABASE_URL": "mysql://x/y"}, "SP_DATABASE_URL: scheme 'mysql'"),
        ({"SP_MQTT_URL": "http://broker"}, "SP_MQTT_URL: scheme 'http' is not mqtt://"),
        ({"SP_INGEST_BATCH_ROWS": "0"}, "SP_INGEST_BATCH_ROWS: must be positive"),
    ],
)
def test_bad_values_name_the_variable(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env(env)
    assert message in str(caught.value)


def test_edge_errors_name_the_variable_and_are_settings_errors() -> None:
    with pytest.raises(EdgeSettingsError, match="SP_EDGE_METER_POLL_S: 'fast' is not a number"):
        EdgeSettings.from_env({"SP_EDGE_METER_POLL_S": "fast"})
    with pytest.raises(SettingsError, match="SP_EDGE_DEFAULT_MODE"):
        EdgeSettings.from_env({"SP_EDGE_DEFAULT_MODE": "semi"})
