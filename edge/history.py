"""The feeder's last minutes of samples, to judge a switch against the noise measured on them.

Every summary period the controller keeps the phase totals it measures, the totals summed from
the house reports, and each house's reported phase, P and Q. Two noises come from them:

- of the totals check: how much what the totals hold beyond the house reports (unreported
  loads, losses, the timing of meter and reports) changes from one sample to the next [W];
- of a move's effect: on each recent sample, how much the neutral current would have changed
  with the house on its target phase; the spread of that over the minutes is how much one
  window's verdict on the move can owe to what the other houses happened to draw [A].
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from edge.totals import PhaseTotals, move_effect_a, unreported_w
from grid.phasors import FloatArray, Phase


@dataclass(frozen=True, slots=True)
class FeederSample:
    """What the controller knew of the feeder at one sample."""

    totals: PhaseTotals
    """The phase totals it measured (the meter's, or summed from the houses)."""
    reported: PhaseTotals
    """The phase totals summed from the house reports."""
    phases: tuple[Phase | None, ...]
    """Each house's reported phase, None where it had no fresh report."""
    p_w: FloatArray
    """Each house's net active power [W], NaN where it had no fresh report."""
    q_var: FloatArray
    """Each house's reactive power [var], NaN where it had no fresh report."""


class SampleHistory:
    """The samples of the last `lookback_s` seconds, oldest first."""

    def __init__(self, house_ids: Sequence[str], lookback_s: float) -> None:
        self.lookback_s = lookback_s
        self._index = {house_id: k for k, house_id in enumerate(house_ids)}
        self._samples: deque[FeederSample] = deque()

    def __len__(self) -> int:
        """Return the number of samples kept."""
        return len(self._samples)

    def add(self, sample: FeederSample) -> None:
        """Keep a sample; forget those older than the look-back."""
        self._samples.append(sample)
        oldest = sample.totals.ts_s - self.lookback_s
        while self._samples and self._samples[0].totals.ts_s < oldest:
            self._samples.popleft()

    def unreported_noise_w(self) -> float:
        """Return the RMS change, from one sample to the next, of what the phase totals hold
        beyond the house reports [W] (0 with fewer than two samples)."""
        residuals = np.array([unreported_w(s.totals, s.reported) for s in self._samples])
        if len(residuals) < 2:
            return 0.0
        return float(np.sqrt(np.mean(np.diff(residuals, axis=0) ** 2)))

    def effect_noise_a(self, house_id: str, at: Phase, to: Phase) -> float:
        """Return the standard deviation, over the samples with the house reporting phase `at`,
        of the change of the neutral current its move to `to` would have made [A]."""
        k = self._index[house_id]
        effects = [
            move_effect_a(s.totals, float(s.p_w[k]), float(s.q_var[k]), at, to)
            for s in self._samples
            if s.phases[k] == at and math.isfinite(s.p_w[k]) and math.isfinite(s.q_var[k])
        ]
        return float(np.std(effects, ddof=1)) if len(effects) >= 2 else 0.0
