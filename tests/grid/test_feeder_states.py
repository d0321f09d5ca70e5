"""The feeder states: the order they are decided in, the unbalance rule's boundaries, the detector's
thresholds and the legend that says the rule."""

from __future__ import annotations

import cmath
import math
from typing import Any

import pytest

from grid.control import ControlConfig
from grid.feeder_states import (
    DEFAULT_DETECTOR,
    FEEDER_STATUSES,
    NEEDS_ATTENTION,
    NEUTRAL_RELEASE_SHARE,
    REFERENCE_KVA,
    SEVERITY,
    STATE_LOOKS,
    detector_limits,
    feeder_state,
    is_overloaded,
    is_unbalanced,
    loading_to_reach_limit,
    neutral_limit_a,
)
from grid.metrics import rated_current_a

RATED = rated_current_a(100.0)  # 144.9 A


def neutral(i_r: float, i_y: float, i_b: float) -> float:
    """Return |I_R + I_Y + I_B| of in-phase currents on the nominal phasors [A]."""
    a = cmath.exp(-2j * math.pi / 3)
    return abs(i_r + i_y * a + i_b * a.conjugate())


def state(**overrides: Any) -> str:
    args: dict[str, Any] = {
        "online": True,
        "fresh": True,
        "mode": "auto",
        "currents_a": (60.0, 60.0, 60.0),
        "i_n_a": 0.0,
        "rated_a": RATED,
    }
    args.update(overrides)
    return feeder_state(**args)


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({}, "balanced"),
        ({"online": False}, "offline"),
        ({"fresh": False}, "offline"),
        ({"fresh": False, "mode": "manual", "currents_a": (500.0, 0.0, 0.0)}, "offline"),
        ({"mode": "manual", "currents_a": (500.0, 0.0, 0.0), "i_n_a": 500.0}, "manual"),
        ({"currents_a": (RATED + 0.01, 0.0, 0.0), "i_n_a": RATED}, "overloaded"),
        ({"currents_a": (RATED, 60.0, 60.0)}, "balanced"),
        ({"i_n_a": 0.2 * RATED}, "unbalanced"),
        ({"i_n_a": 0.2 * RATED - 1e-6}, "balanced"),
        ({"currents_a": (None, None, None), "i_n_a": None}, "balanced"),
    ],
)
def test_the_first_state_that_applies_wins(overrides: dict[str, Any], expected: str) -> None:
    assert state(**overrides) == expected


def test_the_limit_is_a_share_of_the_rated_phase_current() -> None:
    assert neutral_limit_a(RATED) == pytest.approx(28.99, abs=0.01)
    assert neutral_limit_a(rated_current_a(250.0)) == pytest.approx(72.46, abs=0.01)
    assert is_unbalanced(50.0, rated_current_a(100.0))
    assert not is_unbalanced(50.0, rated_current_a(250.0))  # the same neutral, a larger transformer


@pytest.mark.parametrize("bad", [0.0, -1.0, math.nan])
def test_a_rating_that_is_not_a_positive_current_is_refused(bad: float) -> None:
    with pytest.raises(ValueError, match="rated_a"):
        neutral_limit_a(bad)


@pytest.mark.parametrize(
    ("loading", "unbalance", "expected"),
    [
        (0.20, 0.60, "balanced"),  # the demo's orange feeders: harmless at light load
        (0.25, 0.50, "balanced"),
        (0.25, 0.55, "unbalanced"),
        (0.50, 0.25, "balanced"),
        (0.50, 0.30, "unbalanced"),
        (0.80, 0.15, "balanced"),
        (0.80, 0.20, "unbalanced"),
    ],
)
def test_the_same_unbalance_matters_only_with_loading(
    loading: float, unbalance: float, expected: str
) -> None:
    """One phase heavy: its neutral is 1.5 × unbalance × loading of the rating."""
    avg = loading * RATED
    currents = (avg * (1 + unbalance), avg * (1 - unbalance / 2), avg * (1 - unbalance / 2))
    i_n = neutral(*currents)
    assert i_n == pytest.approx(1.5 * unbalance * loading * RATED)
    assert state(currents_a=currents, i_n_a=i_n) == expected


@pytest.mark.parametrize("unbalance", [0.2, 0.5, 0.9])
def test_the_loading_that_makes_an_unbalance_count(unbalance: float) -> None:
    loading = loading_to_reach_limit(unbalance)
    avg = loading * RATED
    currents = (avg * (1 + unbalance), avg * (1 - unbalance / 2), avg * (1 - unbalance / 2))
    assert neutral(*currents) == pytest.approx(neutral_limit_a(RATED))
    assert loading_to_reach_limit(0.2) == pytest.approx(2 / 3)
    with pytest.raises(ValueError, match="unbalance"):
        loading_to_reach_limit(0.0)


def test_overload_is_strictly_above_the_rating() -> None:
    assert not is_overloaded((RATED, RATED, RATED), RATED)
    assert is_overloaded((None, RATED + 0.001, None), RATED)
    assert not is_overloaded((None, None, None), RATED)


def test_the_detector_triggers_at_the_map_limit_and_releases_below_it() -> None:
    limits = detector_limits(RATED)
    assert limits.trigger_a == neutral_limit_a(RATED)
    assert limits.release_a == pytest.approx(NEUTRAL_RELEASE_SHARE * RATED)
    assert limits.release_a < limits.trigger_a
    reference = detector_limits(rated_current_a(REFERENCE_KVA))
    assert reference == DEFAULT_DETECTOR
    config = ControlConfig()
    assert (config.trigger_a, config.release_a) == (reference.trigger_a, reference.release_a)


def test_every_state_has_one_look_and_one_rank() -> None:
    assert set(STATE_LOOKS) == set(FEEDER_STATUSES) == set(SEVERITY)
    assert len(SEVERITY) == len(FEEDER_STATUSES)
    assert len({look.color for look in STATE_LOOKS.values()}) == len(STATE_LOOKS)
    assert "balanced" not in NEEDS_ATTENTION
    assert "manual" not in NEEDS_ATTENTION
    assert set(SEVERITY[:3]) == NEEDS_ATTENTION
