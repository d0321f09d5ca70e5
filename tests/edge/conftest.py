"""Fixtures of the edge tests: an unbalanced feeder of fake houses on a fake clock."""

from __future__ import annotations

from pathlib import Path

import pytest

from grid.phasors import Phase
from tests.edge.fakes import Scenario

R, Y, B = Phase.R, Phase.Y, Phase.B

UNBALANCED = [
    ("H001", R, 2000.0, False),
    ("H002", R, 2000.0, False),
    ("H007", R, 2000.0, True),
    ("H004", Y, 1000.0, False),
    ("H006", B, 4000.0, False),
]
"""R carries 6 kW, Y 1 kW, B 4 kW; only H007 can move, and R→Y is the move that pays."""


@pytest.fixture
def feeder(tmp_path: Path) -> Scenario:
    """Return the unbalanced feeder in auto mode, houses reporting every 5 s."""
    return Scenario(tmp_path / "edge", UNBALANCED)
