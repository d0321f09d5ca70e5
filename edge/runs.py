"""A balancing run: the moves of one plan, their outcomes and the before/after snapshots."""

from __future__ import annotations

from dataclasses import dataclass, field

from grid.events import (
    BalancingRunData,
    PhaseSnapshot,
    RunMove,
    RunResult,
    RunTrigger,
    SwitchResult,
)

_UNDONE = frozenset({SwitchResult.FAILED, SwitchResult.ROLLED_BACK})
"""Switch results that count against a run: the move was tried and undone or lost."""


@dataclass(slots=True)
class BalancingRun:
    """A run in progress."""

    run_id: str
    trigger: RunTrigger
    before: PhaseSnapshot
    ctl_id: str | None = None
    """The operator's balance_now command, if it started the run."""
    planned_s: float = 0.0
    """When the planner decided the run [epoch s, controller clock]."""
    first_ack_s: float | None = None
    """When the first of its moves was acknowledged by a house [epoch s]."""
    moves: list[RunMove] = field(default_factory=list)

    @property
    def result(self) -> RunResult:
        """Return how the run ended, from its moves' outcomes."""
        applied = sum(m.result is SwitchResult.APPLIED for m in self.moves)
        if applied and applied == len(self.moves):
            return RunResult.IMPROVED
        if applied:
            return RunResult.PARTIAL
        if any(m.result in _UNDONE for m in self.moves):
            return RunResult.ROLLED_BACK
        return RunResult.NO_GAIN

    def data(self, after: PhaseSnapshot | None) -> BalancingRunData:
        """Return the `balancing_run` event data (`before` was measured when it was planned)."""
        return BalancingRunData(
            self.run_id,
            self.trigger,
            self.result,
            self.before,
            after,
            tuple(self.moves),
            decided_s=self.planned_s,
        )
