"""The control room's user-facing words, in one place: the shell and its navigation, the login
page, headings, buttons, field labels and table headings of the pages.

`EN` holds every string under a key; `ML` holds the Malayalam translations there are (a key
missing from it reads in English). Strings with figures are `str.format` templates with named
fields. `text(key, **fields)` returns a string in the app's interface language (SP_UI_LANG),
`html_lang()` the language for `<html lang>`. Technical terms that KSEB staff use in English
(feeder, neutral, kVA, R/Y/B) stay in English in a translation too. The reports keep their own
strings (reports/strings).
"""

from __future__ import annotations

import string
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Final

import flask

from components import runtime

LANGUAGES: Final = ("en", "ml")
"""The interface languages (ISO 639-1), English first: what a missing translation falls back to."""

EN: Final[Mapping[str, str]] = MappingProxyType(
    {
        # shell: header and navigation
        "brand": "SmartPhase",
        "page_title": "SmartPhase · {page}",
        "nav_map": "Map",
        "nav_alerts": "Alerts",
        "nav_notifications": "Notifications",
        "nav_log": "Log",
        "nav_reports": "Reports",
        "nav_wall": "Wall",
        "nav_users": "Users",
        "nav_label": "Pages",
        "account_title": "Your account: two-factor sign-in",
        "logout": "Log out",
        "alerts_na": "alerts: n/a",
        "alerts_open_one": "{count} open alert",
        "alerts_open_many": "{count} open alerts",
        "alerts_badge_title": "open alerts no operator has acknowledged yet",
        "denied": "This page needs the {role} role.",
        # sign-in page
        "login_title": "Sign in",
        "login_heading": "SmartPhase control room",
        "login_username": "Username",
        "login_password": "Password",
        "login_submit": "Sign in",
        "login_wrong": "Wrong username or password.",
        # shared by the pages
        "any": "any",
        "all": "all",
        "field_feeder": "Feeder",
        "field_district": "District",
        "field_severity": "Severity",
        "field_state": "State",
        # alerts page (/alerts)
        "alerts_title": "Alerts",
        "alerts_state_active": "active (open or acknowledged)",
        "alerts_include_rolled_up": " include rolled-up alerts",
        "alerts_ack_selected": "Acknowledge selected",
        "alerts_ack_all": "Acknowledge all that match…",
        "alerts_newer": "‹ Newer",
        "alerts_older": "Older ›",
        "alerts_col_select": "",
        "alerts_col_severity": "Severity",
        "alerts_col_raised": "Raised (IST)",
        "alerts_col_state": "State",
        "alerts_col_feeder": "Feeder",
        "alerts_col_house": "House",
        "alerts_col_kind": "Kind",
        "alerts_col_message": "Message",
        "alerts_col_acked": "Acknowledged (IST)",
        "alerts_col_cleared": "Cleared (IST)",
        "alerts_col_action": "",
        "alerts_ack": "Acknowledge",
        "alerts_acked_by": "{user} at {at}",
        "alerts_rolled_up": "rolled up",
        "alerts_with": "with ",
        "alerts_held": "held ",
        "alerts_select_page": "select every open alert on this page",
        "alerts_select_one": "select alert {alert}",
        "alerts_none": "No alerts match.",
        "alerts_pager": "Alerts {first}–{last} of {total} · page {page} of {pages}",
        "alerts_in_state": "{state} alerts",
        "alerts_in_any_state": "alerts in any state",
        "alerts_of": " of ",
        "alerts_of_feeder": "feeder {value}",
        "alerts_of_district": "district {value}",
        "alerts_of_severity": "severity {value}",
        "alerts_confirm_one": (
            "Acknowledge {count} open alert ({scope}; the alerts rolled up under them too)? "
            "Alerts raised or changed after {as_of} IST are left as they are."
        ),
        "alerts_confirm_many": (
            "Acknowledge {count} open alerts ({scope}; the alerts rolled up under them too)? "
            "Alerts raised or changed after {as_of} IST are left as they are."
        ),
        "alerts_acked_one": "{count} alert acknowledged by {user}",
        "alerts_acked_many": "{count} alerts acknowledged by {user}",
        "alerts_acked_rolled_up": ", with {count} rolled up under them",
        "alerts_acked_skipped": "; {count} no longer open",
        "alerts_acked_alert": "Alert {alert} acknowledged by {user}.",
        "alerts_not_acked": "Not acknowledged: {error}.",
        "alerts_bad_filter": "Not a valid filter: {error}.",
        "alerts_nothing_to_ack": "No open alerts match the filter: nothing to acknowledge.",
        # feeder page (/feeder/<id>)
        "feeder_title": "Feeder",
        "feeder_not_found": "Feeder not found",
        "feeder_not_found_text": "No provisioned feeder has the id {feeder!r}.",
        "feeder_subtitle": "{district} · {kva} kVA",
        "feeder_mode": "Mode: ",
        "feeder_switch_mode": "Switch mode",
        "feeder_switch_to": "Switch to {mode}",
        "feeder_read_only": "Read only: an operator changes the mode, moves and unlocks houses.",
        "feeder_confirm_mode": "Switch {feeder} to {mode} mode? {effect}",
        "feeder_effect_manual": "The controller will only execute operator moves.",
        "feeder_effect_auto": "The controller will balance the feeder by itself.",
        "feeder_range_fit": "All data",
        "feeder_range_custom": "Custom",
        "feeder_range_from": "From (IST)",
        "feeder_range_to": "To (IST)",
        "feeder_range_format": "YYYY-MM-DD HH:MM",
        "feeder_range_choose": "Choose a range",
        "feeder_range_shown": "{range} · {resolution}, {points} points",
        "feeder_resolution_raw": "10-second readings",
        "feeder_resolution_1m": "1-minute means",
        "feeder_resolution_15m": "15-minute means",
        "feeder_resolution_1h": "1-hour means",
        "feeder_no_summary": "No summary received from this feeder yet.",
        "feeder_card_neutral": "Neutral current",
        "feeder_card_unbalance": "Current unbalance",
        "feeder_card_spread": "Voltage spread",
        "feeder_card_rated": "Rated phase current",
        "feeder_card_houses_online": "Houses online",
        "feeder_locked_out": "Locked out",
        "feeder_locked_out_hint": (
            "A house whose switch failed or was rolled back stays out of balancing until its "
            "cool-down ends or an operator unlocks it."
        ),
        "feeder_locks_none": "No house is locked out.",
        "feeder_locks_col_house": "House",
        "feeder_locks_col_phase": "Phase",
        "feeder_locks_col_why": "Why",
        "feeder_locks_col_since": "Since",
        "feeder_locks_col_until": "Until",
        "feeder_locks_col_action": "",
        "feeder_locks_until_unlocked": "until unlocked",
        "feeder_locks_operator": "an operator unlocks it",
        "feeder_unlock": "Unlock",
        "feeder_unlock_title": "Bring this house back into balancing now",
        "feeder_manual_move": "Manual move",
        "feeder_move_house": "House",
        "feeder_move_to_phase": "To phase",
        "feeder_move_reason": "Reason",
        "feeder_dry_run": "Dry run",
        "feeder_confirm_move": "Confirm move",
        "feeder_choose_house": "choose a house",
        "feeder_dry_run_first": "run a dry run first",
        "feeder_command_mode": "Mode change",
        "feeder_command_unlock": "Unlock {house}",
        "feeder_dry_phase_currents": "Phase currents: ",
        "feeder_dry_neutral": "Neutral current: ",
        "feeder_dry_unbalance": "Unbalance: ",
        "feeder_houses": "Houses",
        "feeder_houses_search": "Search houses: id, phase, locked, …",
        "feeder_col_house": "House",
        "feeder_col_phase": "Phase",
        "feeder_col_p_kw": "P [kW]",
        "feeder_col_pv_kw": "PV [kW]",
        "feeder_col_online": "Online",
        "feeder_col_switches_today": "Switches today",
        "feeder_col_lock": "Lock",
        "feeder_history": "Balancing history",
        "feeder_no_runs": "No balancing runs yet",
        "feeder_runs_col_ts": "Time",
        "feeder_runs_col_trigger": "Started by",
        "feeder_runs_col_result": "Result",
        "feeder_runs_col_moves": "Moves",
        "feeder_runs_col_neutral": "Neutral before → after",
        "feeder_moves_col_house": "House",
        "feeder_moves_col_move": "Move",
        "feeder_moves_col_outcome": "Outcome",
        "feeder_moves_col_load": "Load [kW]",
        "feeder_moves_col_pv": "PV [kW]",
        "feeder_moves_col_net": "Net [kW]",
        "feeder_moves_col_stays": "Neutral, house stays [A]",
        "feeder_moves_col_moved": "Neutral, house moved [A]",
        "feeder_export_pdf": "Export PDF",
        "feeder_field_feeder": "Feeder",
        "feeder_field_mode": "Mode",
        "feeder_field_from": "From",
        "feeder_field_to": "To",
        # map page (/)
        "map_title": "Kerala feeders",
        "map_legend": "Feeder state",
        "map_search": "Search",
        "map_search_hint": "Feeder id or name",
        "map_all_districts": "All districts",
        "map_hint": "Click a feeder to open it; click a cluster to zoom in.",
        "map_districts": "Districts",
        "map_col_district": "District",
        "map_col_feeders": "Feeders",
        "map_col_online": "Online",
        "map_col_active_alerts": "Active alerts",
        "map_col_avg_unbalance_pct": "Avg unbalance [%]",
        "map_col_switches_today": "Switches today",
        # wall (/wall)
        "wall_brand": "SmartPhase · Kerala LV feeders",
        "wall_all_kerala": "All Kerala",
        "wall_attention": "Needs attention",
        "wall_alerts": "Active alerts",
        "wall_fine": "Every feeder in {region} is fine.",
        "wall_no_alerts": "No active alerts in {region}.",
        # log page (/log) and its CSV export
        "log_title": "Log",
        "log_kind": "Kind",
        "log_who": "Who",
        "log_who_hint": "user or auto",
        "log_result": "Result",
        "log_from": "From",
        "log_to": "To",
        "log_date_format": "YYYY-MM-DD",
        "log_export": "Export CSV",
        "log_col_ts": "Time (IST)",
        "log_col_kind": "Kind",
        "log_col_who": "Who",
        "log_col_action": "Action",
        "log_col_target": "Target",
        "log_col_feeder": "Feeder",
        "log_col_district": "District",
        "log_col_why": "Why",
        "log_col_result": "Result",
        "log_col_reason": "Reason",
        "log_none": "No entries match.",
        "log_count": "Entries {first}–{last} of {total} (page {page} of {pages})",
        "log_bad_filter": "Filter not applied: {error}",
        "log_sign_in_first": "sign in first",
    }
)
"""Every string of the control room in English, by key."""

ML: Final[Mapping[str, str]] = MappingProxyType({})
"""The Malayalam translations there are, by the keys of EN."""

_ALL: Final[Mapping[str, Mapping[str, str]]] = {"en": EN, "ml": ML}


def strings(lang: str) -> Mapping[str, str]:
    """Return every string in `lang`, English where there is no translation."""
    try:
        own = _ALL[lang]
    except KeyError:
        raise ValueError(f"lang: {lang!r} is not one of {', '.join(LANGUAGES)}") from None
    return MappingProxyType({**EN, **own})


def fields_of(template: str) -> frozenset[str]:
    """Return the names of the `str.format` fields of a template."""
    return frozenset(name for _, name, _, _ in string.Formatter().parse(template) if name)


def html_lang() -> str:
    """Return the interface language of the app serving this request ("en" outside one)."""
    if not flask.has_app_context():
        return "en"
    try:
        return runtime.settings().ui_lang
    except RuntimeError:
        return "en"


def text(key: str, lang: str | None = None, **fields: object) -> str:
    """Return the string `key` in `lang` (default: the interface language), filled in."""
    chosen = html_lang() if lang is None else lang
    template = _ALL.get(chosen, EN).get(key)
    if template is None:
        template = EN[key]
    return template.format(**fields) if fields else template


def page_title(key: str) -> Callable[..., str]:
    """Return a page's browser-tab title ("SmartPhase · Alerts") for `dash.register_page`,
    read in the interface language when the page is shown."""

    def title(**_path_variables: str) -> str:
        return text("page_title", page=text(key))

    return title
