"""Settings of the edge controller, read once from `SP_EDGE_*` environment variables.

The broker URLs and the keys directory come from the shared `settings.Settings`; this object
holds what only the transformer controller needs. Every field is a visible knob.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from settings import SettingsError, env_values

PREFIX = "SP_EDGE_"
MAY_BE_ZERO = (
    "phase_rating_a",
    "help_window_s",
    "help_noise_z",
    "verify_noise_k",
    "lockout_cooldown_s",
)
"""Numeric settings for which 0 means something (unrated; judge at once; the floor alone;
no cool-down)."""


class EdgeSettingsError(SettingsError):
    """A setting that cannot be used; the message names the variable."""


@dataclass(frozen=True, slots=True)
class EdgeSettings:
    """What one transformer controller is configured with."""

    houses_file: str = "var/houses.csv"
    """Provisioning CSV `house_id,feeder_id,phase,pv_kw,switchable` (SP_EDGE_HOUSES_FILE)."""
    store_dir: str = "var/edge"
    """Directory of the per-feeder outbox and state databases (SP_EDGE_STORE_DIR)."""
    local_mqtt_url: str = dataclasses.field(default="", repr=False)
    """The Pi's house broker; empty means SP_MQTT_URL (SP_EDGE_LOCAL_MQTT_URL). Never logged."""
    hq_mqtt_url: str = dataclasses.field(default="", repr=False)
    """HQ's broker; empty means SP_MQTT_URL (SP_EDGE_HQ_MQTT_URL). Never logged."""
    meter_url: str = ""
    """Modbus meter, e.g. `tcp://10.0.0.5:502?kind=sdm630&unit=1` or
    `rtu:///dev/ttyUSB0?kind=pzem3&units=1,2,3`; empty for none (SP_EDGE_METER_URL)."""
    meter_poll_s: float = 2.0
    """Meter polling period [s]."""
    meter_stale_s: float = 10.0
    """A meter reading older than this is not used [s]."""
    control_period_s: float = 60.0
    """Period of the balancing decision in auto mode [s]."""
    summary_period_s: float = 10.0
    """Period of the feeder summary and of the planner's samples [s]."""
    readings_period_s: float = 10.0
    """Period of the house readings batches [s]."""
    stale_after_s: float = 45.0
    """A house whose last telemetry is older than this counts as offline [s]."""
    ack_timeout_s: float = 10.0
    """How long a house has to acknowledge a command [s]."""
    verify_timeout_s: float = 60.0
    """How long telemetry has to confirm a switch after its ack [s]."""
    command_ttl_s: int = 30
    """Lifetime of a signed house command (its `exp`) [s]."""
    verify_tol_w: float = 300.0
    """Least tolerance of the totals check [W]: a switch is confirmed when the phase totals, set
    against the same moment's house reports, moved as the house did within the tolerance."""
    verify_noise_k: float = 3.0
    """The totals check's tolerance is at least this many times the measured noise: the RMS
    change, from one sample to the next, of what the totals hold beyond the house reports."""
    help_tol_a: float = 1.0
    """Least rise of the neutral RMS over the window, with the house moved against the same
    moments unmoved, for which a planner move did not help [A]."""
    help_noise_z: float = 2.0
    """A planner move did not help only when that rise also exceeds this many standard errors
    of the move's effect, measured on the minutes before it (`help_lookback_s`)."""
    help_lookback_s: float = 600.0
    """Minutes of samples on which the noise of a move's effect is measured [s]."""
    help_window_s: float = 60.0
    """How long a confirmed planner move is watched before it is judged: the neutral RMS over
    the window with the house moved, against the same moments unmoved; 0 judges the first
    sample. Keep it well inside the nodes' undo window (UNDO_WINDOW_S, 600 s) [s]."""
    lockout_cooldown_s: float = 21600.0
    """How long a house whose switch failed or was rolled back stays out of balancing; each
    further lockout in a row doubles it; 0 keeps it out until an operator's `unlock` [s]."""
    lockout_max_cooldown_s: float = 7 * 86400.0
    """Longest cool-down of a house locked out again and again [s]."""
    phase_rating_a: float = 0.0
    """Current rating of each phase [A]; 0 means unrated (SP_EDGE_PHASE_RATING_A)."""
    resend_after_s: float = 30.0
    """An uplink message not confirmed by `committed` for this long is sent again [s]."""
    outbox_max_bytes: int = 64 * 1024 * 1024
    """Bound of the outbox: it refuses new readings at 70 %, summaries at 90 %, events and
    alerts at 100 % of it (edge.outbox.ADMIT_SHARE) [bytes]."""
    hq_unreachable_after_s: float = 60.0
    """HQ down for this long raises the `hq_unreachable` alert [s]."""
    default_mode: str = "auto"
    """Mode of a feeder that has never been set (auto or manual)."""

    @property
    def phase_rating(self) -> tuple[float, float, float]:
        """Return the R, Y, B ratings [A] (infinite when unrated)."""
        rating = self.phase_rating_a if self.phase_rating_a > 0 else math.inf
        return (rating, rating, rating)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> EdgeSettings:
        """Return the settings from `SP_EDGE_*` variables of `environ` (default os.environ)."""
        settings = cls(**env_values(cls, PREFIX, environ, EdgeSettingsError))
        settings.validate()
        return settings

    def validate(self) -> None:
        """Raise EdgeSettingsError for a value that cannot work."""
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, int | float) and f.name not in MAY_BE_ZERO and value <= 0:
                raise EdgeSettingsError(f"{PREFIX}{f.name.upper()}: must be positive")
        for name in MAY_BE_ZERO:
            if getattr(self, name) < 0:
                raise EdgeSettingsError(f"{PREFIX}{name.upper()}: must not be negative")
        if self.default_mode not in ("auto", "manual"):
            raise EdgeSettingsError(
                f"{PREFIX}DEFAULT_MODE: {self.default_mode!r} is not auto/manual"
            )

    def with_overrides(self, **changes: Any) -> EdgeSettings:
        """Return a copy with some fields changed (and validated)."""
        settings = dataclasses.replace(self, **changes)
        settings.validate()
        return settings
