"""The read queries of the control room and the PDF reports: typed rows, no SQL in the pages.

One module per page or concern, the helpers they share in one:

- `fleet`: the map, the wall and the watchdog (every feeder with its map state, districts);
- `feeder`: the feeder page (latest summary, houses, readings at an instant);
- `series`: the feeder page's charts (points over a span at a resolution picked from it);
- `history`: balancing runs, switches, commands and audit entries, newest first;
- `log`: the log page's one timeline of all of these, filtered, sorted and paged in SQL;
- `filters`: aware times, half-open ranges, limits, optional filters, the operators' IST day.

The alerts' queries live with their writes in store.alerting (re-exported here), the users' in
store.users, the notifications' in notify, the reports' in reports.data.

Every function takes a Connection first and returns frozen dataclasses (named tuples for the
map), their states and phases typed with grid's enums. Times are aware UTC datetimes in and out.
Ranges are half-open, `start <= ts < end`; either end may be None for "unbounded". Logs come
newest first and are capped by `limit`. Import from here: `from store.queries import feeder_map`.
"""

from __future__ import annotations

from grid.timezones import IST
from store.alerting import ACTIVE_ALERT_STATES, Alert, active_alert_count
from store.alerting import list_alerts as alerts
from store.queries.feeder import (
    FeederHouse,
    FeederState,
    HouseReading,
    feeder_extent,
    feeder_houses,
    feeder_rated_a,
    house_readings_at,
    latest_feeder_state,
)
from store.queries.filters import DEFAULT_LIMIT, ist_day_start
from store.queries.fleet import (
    STALE_S,
    DistrictSummary,
    FeederMapRow,
    districts,
    feeder,
    feeder_map,
    feeder_status,
    summarize_districts,
)
from store.queries.history import (
    AuditEntry,
    BalancingRun,
    Command,
    SwitchEvent,
    audit_entries,
    balancing_run,
    balancing_runs,
    command,
    commands,
    switch_events,
)
from store.queries.series import (
    RAW_LIMIT,
    RESOLUTION_SPANS,
    SERIES_FIELDS,
    TAIL_MAX_S,
    FeederSeries,
    Resolution,
    SeriesPoint,
    choose_resolution,
    feeder_reading_at,
    feeder_series,
)

__all__ = [
    "ACTIVE_ALERT_STATES",
    "DEFAULT_LIMIT",
    "IST",
    "RAW_LIMIT",
    "RESOLUTION_SPANS",
    "SERIES_FIELDS",
    "STALE_S",
    "TAIL_MAX_S",
    "Alert",
    "AuditEntry",
    "BalancingRun",
    "Command",
    "DistrictSummary",
    "FeederHouse",
    "FeederMapRow",
    "FeederSeries",
    "FeederState",
    "HouseReading",
    "Resolution",
    "SeriesPoint",
    "SwitchEvent",
    "active_alert_count",
    "alerts",
    "audit_entries",
    "balancing_run",
    "balancing_runs",
    "choose_resolution",
    "command",
    "commands",
    "districts",
    "feeder",
    "feeder_extent",
    "feeder_houses",
    "feeder_map",
    "feeder_rated_a",
    "feeder_reading_at",
    "feeder_series",
    "feeder_status",
    "house_readings_at",
    "ist_day_start",
    "latest_feeder_state",
    "summarize_districts",
    "switch_events",
]
