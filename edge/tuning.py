"""The operator's `config` command: which knobs it may turn, and their checks (pure)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import replace
from typing import Final

from edge.settings import EdgeSettings, EdgeSettingsError
from grid.control import ControlConfig

EDGE_KEYS: Final = frozenset(
    {
        "control_period_s",
        "verify_tol_w",
        "verify_noise_k",
        "help_tol_a",
        "help_noise_z",
        "help_window_s",
        "lockout_cooldown_s",
        "phase_rating_a",
    }
)
"""Config keys that set a field of EdgeSettings."""
RETIRED_KEYS: Final = frozenset({"verify_tol_frac"})
"""Config keys that no longer set anything: refused in a new command, dropped from the stored
configuration (the totals check's tolerance now follows the measured noise)."""
CONTROL_KEYS: Final = frozenset(
    {"trigger_a", "release_a", "sustain_s", "target_min_history_s", "target_switch_cost"}
)
"""Config keys that set a field of ControlConfig."""
LIMIT_KEYS: Final = frozenset(
    {"min_dwell_s", "max_per_house_day", "max_moves_per_cycle", "budget_per_day"}
)
"""Config keys that set a field of the planner's SwitchLimits (the last three are integers)."""
CONFIG_KEYS: Final = EDGE_KEYS | CONTROL_KEYS | LIMIT_KEYS


class TuningError(ValueError):
    """A config change that cannot be applied; `reason` is a short snake_case word."""

    def __init__(self, key: str, reason: str) -> None:
        super().__init__(f"{key}: {reason}")
        self.key = key
        self.reason = reason


def apply_config(
    settings: EdgeSettings, control: ControlConfig, changes: Mapping[str, float]
) -> tuple[EdgeSettings, ControlConfig]:
    """Return the settings and control config with `changes` applied, or raise TuningError."""
    for key, value in changes.items():
        if key in RETIRED_KEYS:
            raise TuningError(key, "retired_config_key")
        if key not in CONFIG_KEYS:
            raise TuningError(key, "unknown_config_key")
        if not math.isfinite(value) or value < 0:
            raise TuningError(key, "out_of_range")
    edge_changes = {k: v for k, v in changes.items() if k in EDGE_KEYS}
    try:
        settings = settings.with_overrides(**edge_changes)
    except EdgeSettingsError:
        raise TuningError(next(iter(edge_changes)), "out_of_range") from None
    limits = control.planner.limits
    if "min_dwell_s" in changes:
        limits = replace(limits, min_dwell_s=changes["min_dwell_s"])
    counts = {
        key: _count(key, changes[key]) for key in LIMIT_KEYS - {"min_dwell_s"} & changes.keys()
    }
    limits = replace(
        limits,
        max_per_house_day=counts.get("max_per_house_day", limits.max_per_house_day),
        max_moves_per_cycle=counts.get("max_moves_per_cycle", limits.max_moves_per_cycle),
        budget_per_day=counts.get("budget_per_day", limits.budget_per_day),
    )
    control = replace(
        control,
        planner=replace(control.planner, limits=limits),
        phase_rating_a=settings.phase_rating,
        trigger_a=changes.get("trigger_a", control.trigger_a),
        release_a=changes.get("release_a", control.release_a),
        sustain_s=changes.get("sustain_s", control.sustain_s),
        target_min_history_s=changes.get("target_min_history_s", control.target_min_history_s),
        target_switch_cost=changes.get("target_switch_cost", control.target_switch_cost),
    )
    if control.release_a > control.trigger_a:
        raise TuningError("release_a", "above_trigger_a")
    return settings, control


def without_retired(config: Mapping[str, float]) -> dict[str, float]:
    """Return a stored configuration without the keys that no longer set anything."""
    return {key: value for key, value in config.items() if key not in RETIRED_KEYS}


def _count(key: str, value: float) -> int:
    """Return a config value that must be a positive integer."""
    if value != int(value) or value < 1:
        raise TuningError(key, "not_a_positive_integer")
    return int(value)
