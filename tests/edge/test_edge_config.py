"""Edge settings from SP_EDGE_*, the provisioning CSV and the keys directory."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from edge.config import (
    ConfigError,
    HouseConfig,
    load_feeder_ratings,
    load_fleet_houses,
    load_houses,
    parse_houses,
)
from edge.settings import EdgeSettings, EdgeSettingsError
from edge.tuning import TuningError, apply_config, without_retired
from grid.control import ControlConfig
from grid.phasors import Phase
from keys import KeyFileError, KeysDir

CSV = """house_id,feeder_id,phase,pv_kw,switchable
KL-TVM-0042-H001,KL-TVM-0042,R,3.0,1
KL-TVM-0042-H002,KL-TVM-0042,Y,0,0
KL-EKM-0007-H001,KL-EKM-0007,B,0,1
KL-TVM-0042-H003,KL-TVM-0042,B,0,1
"""


def test_settings_from_env_convert_and_validate() -> None:
    s = EdgeSettings.from_env(
        {
            "SP_EDGE_CONTROL_PERIOD_S": "30",
            "SP_EDGE_COMMAND_TTL_S": "20",
            "SP_EDGE_PHASE_RATING_A": "0",
        }
    )
    assert (s.control_period_s, s.command_ttl_s) == (30.0, 20)
    assert s.phase_rating == (math.inf,) * 3
    with pytest.raises(EdgeSettingsError, match="SP_EDGE_ACK_TIMEOUT_S"):
        EdgeSettings.from_env({"SP_EDGE_ACK_TIMEOUT_S": "soon"})
    with pytest.raises(EdgeSettingsError, match="SP_EDGE_SUMMARY_PERIOD_S: must be positive"):
        EdgeSettings.from_env({"SP_EDGE_SUMMARY_PERIOD_S": "0"})
    with pytest.raises(EdgeSettingsError, match="DEFAULT_MODE"):
        EdgeSettings.from_env({"SP_EDGE_DEFAULT_MODE": "off"})


def test_the_judgement_window_may_be_zero_but_not_negative() -> None:
    assert EdgeSettings().help_window_s == 60.0
    assert EdgeSettings.from_env({"SP_EDGE_HELP_WINDOW_S": "0"}).help_window_s == 0.0
    with pytest.raises(EdgeSettingsError, match="SP_EDGE_HELP_WINDOW_S: must not be negative"):
        EdgeSettings.from_env({"SP_EDGE_HELP_WINDOW_S": "-5"})
    settings, _ = apply_config(EdgeSettings(), ControlConfig(), {"help_window_s": 30})
    assert settings.help_window_s == 30.0
    with pytest.raises(TuningError) as info:
        apply_config(EdgeSettings(), ControlConfig(), {"help_window_s": -1})
    assert (info.value.key, info.value.reason) == ("help_window_s", "out_of_range")


def test_lockout_cool_down_from_env_and_config() -> None:
    assert EdgeSettings().lockout_cooldown_s == 6 * 3600.0
    env = {"SP_EDGE_LOCKOUT_COOLDOWN_S": "600"}
    assert EdgeSettings.from_env(env).lockout_cooldown_s == 600.0
    assert EdgeSettings.from_env({"SP_EDGE_LOCKOUT_COOLDOWN_S": "0"}).lockout_cooldown_s == 0.0
    with pytest.raises(EdgeSettingsError, match="SP_EDGE_LOCKOUT_COOLDOWN_S"):
        EdgeSettings.from_env({"SP_EDGE_LOCKOUT_COOLDOWN_S": "-1"})
    settings, _ = apply_config(EdgeSettings(), ControlConfig(), {"lockout_cooldown_s": 3600})
    assert settings.lockout_cooldown_s == 3600.0


def test_a_retired_knob_is_refused_and_dropped_from_the_stored_config() -> None:
    with pytest.raises(TuningError) as info:
        apply_config(EdgeSettings(), ControlConfig(), {"verify_tol_frac": 0.5})
    assert (info.value.key, info.value.reason) == ("verify_tol_frac", "retired_config_key")
    stored = {"verify_tol_frac": 0.5, "verify_tol_w": 200.0}
    settings, _ = apply_config(EdgeSettings(), ControlConfig(), without_retired(stored))
    assert settings.verify_tol_w == 200.0


def test_houses_of_one_feeder_from_the_provisioning_csv(tmp_path: Path) -> None:
    path = tmp_path / "houses.csv"
    path.write_text(CSV)
    assert load_houses(path, "KL-TVM-0042") == [
        HouseConfig("KL-TVM-0042-H001", Phase.R, 3.0, True),
        HouseConfig("KL-TVM-0042-H002", Phase.Y, 0.0, False),
        HouseConfig("KL-TVM-0042-H003", Phase.B, 0.0, True),
    ]
    with pytest.raises(ConfigError, match="no houses of feeder KL-XXX-0001"):
        load_houses(path, "KL-XXX-0001")
    head = "house_id,feeder_id,phase,pv_kw,switchable\n"
    with pytest.raises(ConfigError, match="line 2, field phase"):
        parse_houses([head, "KL-TVM-0042-H001,KL-TVM-0042,N,0,1\n"], "KL-TVM-0042")
    with pytest.raises(ConfigError, match="not a house of feeder"):
        parse_houses([head, "KL-EKM-0007-H001,KL-TVM-0042,R,0,1\n"], "KL-TVM-0042")


def test_keys_dir_reads_hex_keys(tmp_path: Path) -> None:
    (tmp_path / "KL-TVM-0042.key").write_text("5a" * 32 + "\n")
    (tmp_path / "KL-TVM-0042-H001.key").write_text("abcd")
    (tmp_path / "KL-TVM-0042-H002.key").write_text("not hex at all")
    keys = KeysDir(tmp_path)
    assert keys.key("KL-TVM-0042") == b"\x5a" * 32
    assert keys.key("KL-TVM-0042-H009") is None
    with pytest.raises(KeyFileError, match="at least 16 bytes"):
        keys.key("KL-TVM-0042-H001")
    with pytest.raises(KeyFileError, match="not hex"):
        keys.key("KL-TVM-0042-H002")


def test_config_knobs_are_checked() -> None:
    settings, control = apply_config(
        EdgeSettings(),
        ControlConfig(),
        {"phase_rating_a": 400, "budget_per_day": 20, "trigger_a": 40},
    )
    assert settings.phase_rating == (400.0,) * 3
    assert control.phase_rating_a == (400.0,) * 3
    assert control.planner.limits.budget_per_day == 20
    assert control.trigger_a == 40
    for bad, reason in [
        ({"release_a": 50}, "above_trigger_a"),
        ({"control_period_s": 0}, "out_of_range"),
        ({"max_moves_per_cycle": 0}, "not_a_positive_integer"),
        ({"colour": 1}, "unknown_config_key"),
    ]:
        with pytest.raises(TuningError) as info:
            apply_config(EdgeSettings(), ControlConfig(), bad)
        assert info.value.reason == reason


def test_the_simulated_fleet_is_every_feeder_of_the_file(tmp_path: Path) -> None:
    path = tmp_path / "houses.csv"
    path.write_text(CSV)
    fleet = load_fleet_houses(path)
    assert list(fleet) == ["KL-TVM-0042", "KL-EKM-0007"]
    assert [h.house_id for h in fleet["KL-TVM-0042"]][-1] == "KL-TVM-0042-H003"
    assert len(fleet["KL-EKM-0007"]) == 1
    path.write_text(CSV + "KL-EKM-0007-H002,KL-EKM-0007,Q,0,1\n")
    with pytest.raises(ConfigError, match="line 6"):
        load_fleet_houses(path)


def test_feeder_ratings_from_the_feeders_csv_name_the_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "feeders.csv"
    head = "feeder_id,name,district,lat,lon,kva\n"
    path.write_text(head + "KL-TVM-0042,Kowdiar,Thiruvananthapuram,8.5,76.9,250\n")
    assert load_feeder_ratings(path) == {"KL-TVM-0042": 250.0}
    path.write_text(head + "KL-TVM-0042,K,T,8.5,76.9,250\nKL-EKM-0007,E,E,10,76.3,big\n")
    with pytest.raises(ConfigError, match="line 3, field kva: 'big' is not a number"):
        load_feeder_ratings(path)
    with pytest.raises(ConfigError, match=r"missing\.csv"):
        load_feeder_ratings(tmp_path / "missing.csv")
