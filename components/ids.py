"""Every component id of the control room, as constants (STYLE.md 4).

Ids are strings with the prefix "sp-" and the page's name; a pattern-matching id is a dict whose
"type" is one of the `*_TYPE` constants below. Each page keeps its ids in its own block.
"""

from __future__ import annotations

from typing import Final

# ---------------------------------------------------------------------------------------------
# Shell: header, navigation, the alert count on every page (components/layout.py)

HEADER: Final = "sp-header"
HEADER_NAV: Final = "sp-header-nav"
HEADER_ALERT_COUNT: Final = "sp-header-alert-count"
"""The active-alert badge in the header; refreshed by HEADER_INTERVAL."""
HEADER_INTERVAL: Final = "sp-header-interval"
HEADER_USER: Final = "sp-header-user"
HEADER_LOGOUT: Final = "sp-header-logout"
PAGE_BODY: Final = "sp-page-body"

# ---------------------------------------------------------------------------------------------
# Alerts page (/alerts)

ALERTS_FEEDER: Final = "sp-alerts-feeder"
ALERTS_DISTRICT: Final = "sp-alerts-district"
ALERTS_SEVERITY: Final = "sp-alerts-severity"
ALERTS_STATE: Final = "sp-alerts-state"
ALERTS_TABLE: Final = "sp-alerts-table"
ALERTS_MESSAGE: Final = "sp-alerts-message"
ALERTS_CHANGED: Final = "sp-alerts-changed"
"""A dcc.Store bumped after an acknowledgement so that the table reads again."""
ALERTS_INTERVAL: Final = "sp-alerts-interval"
ALERT_ACK_TYPE: Final = "sp-alert-ack"
"""Pattern-matching type of the per-row button: {"type": ALERT_ACK_TYPE, "alert": alert_id}."""

# ---------------------------------------------------------------------------------------------
# Log page (/log)

LOG_KIND: Final = "sp-log-kind"
LOG_FEEDER: Final = "sp-log-feeder"
LOG_USER: Final = "sp-log-user"
LOG_OUTCOME: Final = "sp-log-outcome"
LOG_FROM: Final = "sp-log-from"
LOG_TO: Final = "sp-log-to"
LOG_TABLE: Final = "sp-log-table"
LOG_COUNT: Final = "sp-log-count"
LOG_EXPORT: Final = "sp-log-export"
"""The CSV export link; its href carries the filters to the /log.csv route."""

# ---------------------------------------------------------------------------------------------
# Users page (/users, admin only)

USERS_TABLE: Final = "sp-users-table"
USERS_NEW_NAME: Final = "sp-users-new-name"
USERS_NEW_PASSWORD: Final = "sp-users-new-password"
USERS_NEW_ROLE: Final = "sp-users-new-role"
USERS_ADD: Final = "sp-users-add"
USERS_TARGET: Final = "sp-users-target"
USERS_ROLE: Final = "sp-users-role"
USERS_SET_ROLE: Final = "sp-users-set-role"
USERS_DISABLE: Final = "sp-users-disable"
USERS_ENABLE: Final = "sp-users-enable"
USERS_MESSAGE: Final = "sp-users-message"
USERS_CHANGED: Final = "sp-users-changed"
"""A dcc.Store bumped after every change so that the table and the user list read again."""

# ---------------------------------------------------------------------------------------------
# Map (/), feeder (/feeder/<id>) and wall (/wall) pages: their ids go below this line.

# --- grid pages: map (/), feeder (/feeder/<id>), wall (/wall) ----------------------------------

MAP: Final = "sp-map-map"
MAP_FEEDERS: Final = "sp-map-feeders"
"""The clustered GeoJSON layer of every feeder, coloured by state."""
MAP_DISTRICTS: Final = "sp-map-districts"
MAP_LEGEND: Final = "sp-map-legend"
MAP_SUMMARY: Final = "sp-map-summary"
"""The district summary table."""
MAP_COUNTS: Final = "sp-map-counts"
MAP_INTERVAL: Final = "sp-map-interval"
MAP_LOCATION: Final = "sp-map-location"
"""Set to /feeder/<id> when a feeder marker is clicked."""
MAP_ALL: Final = "sp-map-all"
"""A dcc.Store with every feeder's GeoJSON; the layer shows the ones the filters let through."""
MAP_SEARCH: Final = "sp-map-search"
"""Search box: part of a feeder's id or name."""
MAP_DISTRICT_FILTER: Final = "sp-map-district-filter"
MAP_STATE_FILTER: Final = "sp-map-state-filter"
MAP_MATCHES: Final = "sp-map-matches"
"""How many feeders the filters let through, and the search's first matches as links."""
MAP_DISTRICT_BOUNDS: Final = "sp-map-district-bounds"
"""A dcc.Store with each district polygon's bounds, which a district filter fits."""

FEEDER_ID: Final = "sp-feeder-id"
"""A dcc.Store holding the page's feeder id."""
FEEDER_TITLE: Final = "sp-feeder-title"
FEEDER_LIVE: Final = "sp-feeder-live"
"""The live R/Y/B, neutral, unbalance and voltage cards."""
FEEDER_INTERVAL: Final = "sp-feeder-interval"
FEEDER_RANGE: Final = "sp-feeder-range"
FEEDER_RESOLUTION: Final = "sp-feeder-resolution"
FEEDER_CURRENTS_CHART: Final = "sp-feeder-currents-chart"
FEEDER_POWER_CHART: Final = "sp-feeder-power-chart"
FEEDER_HOUSES: Final = "sp-feeder-houses"
FEEDER_RUNS: Final = "sp-feeder-runs"
FEEDER_RUN_CHART: Final = "sp-feeder-run-chart"
FEEDER_MODE: Final = "sp-feeder-mode"
"""The current mode label."""
FEEDER_MODE_TOGGLE: Final = "sp-feeder-mode-toggle"
FEEDER_MODE_CONFIRM: Final = "sp-feeder-mode-confirm"
"""The dcc.ConfirmDialog of the auto/manual toggle."""
FEEDER_MODE_TARGET: Final = "sp-feeder-mode-target"
"""A dcc.Store with the mode the toggle would switch to."""
FEEDER_MODE_COMMAND: Final = "sp-feeder-mode-command"
"""A dcc.Store with the id of the last mode command."""
FEEDER_MODE_STATUS: Final = "sp-feeder-mode-status"
FEEDER_MOVE_HOUSE: Final = "sp-feeder-move-house"
FEEDER_MOVE_PHASE: Final = "sp-feeder-move-phase"
FEEDER_MOVE_WHY: Final = "sp-feeder-move-why"
FEEDER_MOVE_DRY_RUN: Final = "sp-feeder-move-dry-run"
FEEDER_MOVE_PREVIEW: Final = "sp-feeder-move-preview"
FEEDER_MOVE_CONFIRM: Final = "sp-feeder-move-confirm"
FEEDER_MOVE_PLANNED: Final = "sp-feeder-move-planned"
"""A dcc.Store with the previewed move {house, to}; the confirm button sends exactly that."""
FEEDER_MOVE_COMMAND: Final = "sp-feeder-move-command"
FEEDER_MOVE_STATUS: Final = "sp-feeder-move-status"
FEEDER_COMMAND_INTERVAL: Final = "sp-feeder-command-interval"
"""Polls the pending commands' states until the controller confirms them."""
FEEDER_RANGE_FROM: Final = "sp-feeder-range-from"
FEEDER_RANGE_TO: Final = "sp-feeder-range-to"
"""The custom chart range's ends, date and time in IST."""
FEEDER_HOUSE_SEARCH: Final = "sp-feeder-house-search"
FEEDER_LOCKS: Final = "sp-feeder-locks"
"""The locked-out houses, each with its unlock button."""
FEEDER_UNLOCK: Final = "sp-feeder-unlock"
"""The `type` of the pattern-matching id {"type": FEEDER_UNLOCK, "house": ...} of a button."""
FEEDER_UNLOCK_COMMAND: Final = "sp-feeder-unlock-command"
FEEDER_UNLOCK_STATUS: Final = "sp-feeder-unlock-status"
FEEDER_HOUSES_STALE: Final = "sp-feeder-houses-stale"
"""A dcc.Store set when a command ended: the houses and locks are read again at once."""
FEEDER_RUN_DETAIL: Final = "sp-feeder-run-detail"
"""Why each house of the selected run was moved, and how its move ended."""

WALL: Final = "sp-wall"
WALL_MAP: Final = "sp-wall-map"
WALL_FEEDERS: Final = "sp-wall-feeders"
WALL_DISTRICT: Final = "sp-wall-district"
WALL_LEGEND: Final = "sp-wall-legend"
WALL_PIN: Final = "sp-wall-pin"
"""A dcc.Store with the district a wall stays on (`/wall?district=...`), or None to rotate."""
WALL_WORST: Final = "sp-wall-worst"
WALL_ALERTS: Final = "sp-wall-alerts"
WALL_CLOCK: Final = "sp-wall-clock"
WALL_STALE: Final = "sp-wall-stale"
"""The stale-data banner."""
WALL_LAST_DATA: Final = "sp-wall-last-data"
"""A dcc.Store with the newest data time [epoch ms] and when the page last heard the server."""
WALL_INTERVAL: Final = "sp-wall-interval"
WALL_ROTATE: Final = "sp-wall-rotate"
WALL_STALE_CHECK: Final = "sp-wall-stale-check"
