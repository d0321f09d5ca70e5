"""The control room's user-facing words, in one place: the shell and its navigation, the login
page, headings, buttons, field labels and table headings of the pages.

`EN` holds every string under a key; `ML` its Malayalam translation, for every key but the few
that read the same in every language (SAME_IN_EVERY_LANGUAGE; a key missing from a translation
reads in English). Strings with figures are `str.format` templates with named fields, the same
in every language. `text(key, lang, **fields)` returns a string in `lang`, by default the
interface language of the app serving the request (SP_UI_LANG); code that builds text outside a
request (the fleet snapshot's wall lists) passes the app's language. `html_lang()` is the
language for `<html lang>`. Technical terms that KSEB staff use in English (kVA, PV, IST, CSV,
PDF, R/Y/B, auto/manual) stay in Latin script in a translation; feeder, neutral, phase are
written as staff say them. The reports keep their own strings (reports/strings).
"""

from __future__ import annotations

import string
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Final

import flask

from components import runtime
from store.commands import ERRORS as COMMAND_ERRORS
from store.moves import ERRORS as MOVE_ERRORS

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
        # feeder states (grid.feeder_states), as the wall's badges say them
        "state_balanced": "Balanced",
        "state_unbalanced": "Unbalanced",
        "state_overloaded": "Overloaded",
        "state_manual": "Manual",
        "state_offline": "Offline",
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
        "feeder_measure_current": "Current",
        "feeder_measure_power": "Power",
        "feeder_measure_voltage": "Voltage",
        "feeder_range_span": "{start} – {end} IST",
        "feeder_range_enter": "enter a date and time (IST)",
        "feeder_range_bad": "{value!r} is not a date and time like 2026-01-31 18:30",
        "feeder_range_order": "must be after From",
        "feeder_range_too_long": "the range may span at most a year",
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
        "feeder_lock_no_relay": "no relay",
        "feeder_lock_locked": "locked",
        "feeder_lock_since": "since {at}",
        "feeder_lock_until": "until {at} IST",
        "feeder_lock_until_operator": "until an operator unlocks it",
        "feeder_online_yes": "yes",
        "feeder_online_no": "no",
        "feeder_manual_move": "Manual move",
        "feeder_move_house": "House",
        "feeder_move_to_phase": "To phase",
        "feeder_move_reason": "Reason",
        "feeder_dry_run": "Dry run",
        "feeder_confirm_move": "Confirm move",
        "feeder_choose_house": "choose a house",
        "feeder_dry_run_first": "run a dry run first",
        "feeder_move_option": "{house} (on {phase})",
        "feeder_bad_mode": "{mode!r} is not auto or manual",
        "feeder_no_command_path": "the command path is not configured on this server",
        "feeder_command_mode": "Mode change",
        "feeder_command_unlock": "Unlock {house}",
        "feeder_dry_phase_currents": "Phase currents: ",
        "feeder_dry_neutral": "Neutral current: ",
        "feeder_dry_unbalance": "Unbalance: ",
        "feeder_preview_effect": "(load {load}) {verdict}.",
        "feeder_verdict_improves": "improves the feeder",
        "feeder_verdict_would_improve": "would improve the feeder",
        "feeder_verdict_overloads": "would overload {phases}",
        "feeder_verdict_worsens": "makes it worse",
        "feeder_verdict_would_worsen": "would make it worse",
        "feeder_blocked": "Blocked by the {blocker}: {detail}.",
        "feeder_blocker_not_switchable": "no phase-selector relay",
        "feeder_blocker_offline": "offline",
        "feeder_blocker_locked": "locked out",
        "feeder_blocker_unverified": "a move under way",
        "feeder_blocker_min_dwell": "minimum dwell",
        "feeder_blocker_daily_cap": "daily cap",
        "feeder_block_last": "its last switch",
        "feeder_block_last_result": "its last switch ({result})",
        "feeder_block_dwell": (
            "{last} was at {at} IST; a house stays {minutes} min on a phase after a switch, "
            "so it may move again from {when}"
        ),
        "feeder_block_cap": (
            "it has {count} switches today (a move and its rollback count 2) of at most "
            "{limit}; it may move again from {when}"
        ),
        "feeder_block_locked_until": (
            "the controller locked it out{why} until {when}; unlock it first"
        ),
        "feeder_block_locked_operator": (
            "the controller locked it out{why} until an operator unlocks it; unlock it first"
        ),
        "feeder_block_offline": "it has sent no reading for {minutes} minutes",
        "feeder_block_unverified": "a move of this house was sent and has no result yet",
        "feeder_block_not_switchable": "it has no phase-selector relay",
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
        "feeder_trigger_operator": "operator",
        "feeder_trigger_controller": "controller",
        "feeder_run_no_moves": "This run moved no house ({result}).",
        "feeder_run_basis_decided": (
            "Load, PV and the predicted neutral come from the readings stored at {at} IST, "
            "when the run was decided; each move is predicted after the ones before it."
        ),
        "feeder_run_basis_ended": (
            "Load, PV and the predicted neutral come from the readings stored at {at} IST, "
            "when the run ended (its controller did not record when it decided); each move is "
            "predicted after the ones before it."
        ),
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
        # feeder page charts (components/feeder_charts)
        "chart_no_readings": "No readings in this range",
        "chart_time_axis": "Time (IST)",
        "chart_neutral": "Neutral",
        "chart_currents_title": "Phase and neutral current",
        "chart_power_title": "Net active power per phase",
        "chart_rating": "Phase rating {rating} A",
        "chart_runs": "Balancing runs",
        "chart_switches": "Switches",
        "chart_moves_one": "{count} move",
        "chart_moves_many": "{count} moves",
        "chart_run_hover": "Balancing run {at} IST: {result}, {moves}",
        "chart_run_hover_neutral": "Balancing run {at} IST: {result}, {moves}; neutral {change}",
        "chart_switch_hover": "{at} IST: {house} {move} {result}{reason}, by the {who}",
        "chart_run_title": "Balancing run of {at}, {result}",
        "chart_run_title_neutral": "Balancing run of {at}, {result}: neutral {change}",
        "chart_measured_decided": "measured {at} IST, when the run was decided",
        "chart_measured_decided_unknown": "measured when the run was decided",
        "chart_measured_ended": "measured {at} IST, when the run ended",
        "chart_before": "Before ({measured})",
        "chart_after": "After ({measured})",
        "chart_after_rolled_back": "After: moves rolled back ({measured})",
        "chart_after_partial": "After: some moves held ({measured})",
        "chart_effect_title": "Predicted effect",
        "chart_effect_now": "Now",
        "chart_effect_after": "Predicted after the move",
        # how a balancing run, and one move of it (or one switch), ended
        "run_result_improved": "improved",
        "run_result_partial": "partly held",
        "run_result_rolled_back": "rolled back",
        "run_result_no_gain": "nothing worth moving",
        "move_result_applied": "held",
        "move_result_rolled_back": "rolled back",
        "move_result_failed": "failed",
        "move_result_rejected": "refused",
        # why a command or a move is refused (store.commands.ERRORS, store.moves.ERRORS)
        **COMMAND_ERRORS,
        **MOVE_ERRORS,
        # map page (/)
        "map_title": "Kerala feeders",
        "map_legend": "Feeder state",
        "map_search": "Search",
        "map_search_hint": "Feeder id or name",
        "map_all_districts": "All districts",
        "map_hint": "Click a feeder to open it; click a cluster to zoom in.",
        "map_credit": "District boundaries: DataMeet (CC BY 2.5 IN) via udit-001/india-maps-data.",
        "map_credit_short": "Districts: DataMeet (CC BY 2.5 IN), udit-001/india-maps-data",
        "map_tiles_credit": "Map tiles: configured provider",
        "map_shown_all": "All {total} feeders shown",
        "map_shown_some": "{shown} of {total} feeders shown",
        "map_no_match": " — no feeder matches \u201c{query}\u201d",
        "map_tip_neutral": "Neutral {current} A ({share} % of rated)",
        "map_tip_unbalance": "unbalance {pct} %",
        "map_tip_alerts_one": "{count} active alert",
        "map_tip_alerts_many": "{count} active alerts",
        "map_legend_rule": (
            "Unbalanced means the neutral current is at least {limit} of the transformer's "
            "rated phase current ({limit_a} A at {kva} kVA): an unbalance counts when it loads "
            "the transformer. {unbalance} unbalance reaches it only above {loading} loading; a "
            "lightly loaded feeder stays balanced."
        ),
        "state_meaning_balanced": "neutral under {limit} of rated current, no phase above it",
        "state_meaning_unbalanced": "neutral current ≥ {limit} of the rated phase current",
        "state_meaning_overloaded": "a phase above the rated phase current",
        "state_meaning_manual": "operator control, no balancing",
        "state_meaning_offline": "no summary for {seconds} s",
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
        "wall_kerala": "Kerala",
        "wall_more": "+{count} more",
        "wall_server_lost": (
            "NO CONNECTION TO THE SERVER since {at} — figures below are not current"
        ),
        "wall_no_data": "NO DATA RECEIVED FROM ANY FEEDER",
        "wall_stale": "STALE DATA: nothing received for {minutes} min (last {at})",
        "wall_phase_current": "Phase {phase} {current} A",
        "wall_neutral_current": "Neutral {current} A",
        "wall_never_reported": "Never reported",
        "wall_offline_since": "Since {at}",
        "wall_no_figures": "No figures received",
        "wall_age_minutes": "{minutes} min",
        "wall_age_hours": "{hours} h {minutes} min",
        "wall_age_days": "{days} days",
        "wall_hq": "HQ",
        "wall_severity_critical": "CRITICAL",
        "wall_severity_warning": "WARNING",
        "wall_severity_info": "INFO",
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

SAME_IN_EVERY_LANGUAGE: Final = frozenset(
    {
        "brand",
        "page_title",
        "alerts_col_select",
        "alerts_col_action",
        "feeder_locks_col_action",
        "feeder_range_format",
        "feeder_range_span",
        "log_date_format",
    }
)
"""The keys a translation leaves out on purpose: the product's name, empty column headings,
date formats and templates of figures alone; they read as EN in every language."""

ML: Final[Mapping[str, str]] = MappingProxyType(
    {
        # shell: header and navigation
        "nav_map": "ഭൂപടം",
        "nav_alerts": "അലർട്ടുകൾ",
        "nav_notifications": "അറിയിപ്പുകൾ",
        "nav_log": "ലോഗ്",
        "nav_reports": "റിപ്പോർട്ടുകൾ",
        "nav_wall": "ചുമർ സ്ക്രീൻ",
        "nav_users": "ഉപയോക്താക്കൾ",
        "nav_label": "പേജുകൾ",
        "account_title": "നിങ്ങളുടെ അക്കൗണ്ട്: രണ്ടു-ഘട്ട സൈൻ ഇൻ",
        "logout": "ലോഗ് ഔട്ട്",
        "alerts_na": "അലർട്ടുകൾ: ലഭ്യമല്ല",
        "alerts_open_one": "{count} തുറന്ന അലർട്ട്",
        "alerts_open_many": "{count} തുറന്ന അലർട്ടുകൾ",
        "alerts_badge_title": "ഒരു ഓപ്പറേറ്ററും ഇതുവരെ അംഗീകരിക്കാത്ത തുറന്ന അലർട്ടുകൾ",
        "denied": "ഈ പേജിന് {role} റോൾ ആവശ്യമാണ്.",
        # sign-in page
        "login_title": "സൈൻ ഇൻ",
        "login_heading": "SmartPhase കൺട്രോൾ റൂം",
        "login_username": "ഉപയോക്തൃനാമം",
        "login_password": "പാസ്‌വേഡ്",
        "login_submit": "സൈൻ ഇൻ ചെയ്യുക",
        "login_wrong": "ഉപയോക്തൃനാമമോ പാസ്‌വേഡോ തെറ്റാണ്.",
        # shared by the pages
        "any": "ഏതും",
        "all": "എല്ലാം",
        "field_feeder": "ഫീഡർ",
        "field_district": "ജില്ല",
        "field_severity": "ഗൗരവം",
        "field_state": "നില",
        # feeder states
        "state_balanced": "സന്തുലിതം",
        "state_unbalanced": "അസന്തുലിതം",
        "state_overloaded": "ഓവർലോഡ്",
        "state_manual": "മാനുവൽ",
        "state_offline": "ഓഫ്‌ലൈൻ",
        # alerts page (/alerts)
        "alerts_title": "അലർട്ടുകൾ",
        "alerts_state_active": "സജീവം (തുറന്നതോ അംഗീകരിച്ചതോ)",
        "alerts_include_rolled_up": " കൂട്ടിച്ചേർത്ത അലർട്ടുകളും ഉൾപ്പെടുത്തുക",
        "alerts_ack_selected": "തിരഞ്ഞെടുത്തവ അംഗീകരിക്കുക",
        "alerts_ack_all": "ഫിൽട്ടറിനു ചേരുന്നവയെല്ലാം അംഗീകരിക്കുക…",
        "alerts_newer": "‹ പുതിയവ",
        "alerts_older": "പഴയവ ›",
        "alerts_col_severity": "ഗൗരവം",
        "alerts_col_raised": "ഉണ്ടായ സമയം (IST)",
        "alerts_col_state": "നില",
        "alerts_col_feeder": "ഫീഡർ",
        "alerts_col_house": "വീട്",
        "alerts_col_kind": "തരം",
        "alerts_col_message": "സന്ദേശം",
        "alerts_col_acked": "അംഗീകരിച്ചത് (IST)",
        "alerts_col_cleared": "പരിഹരിച്ചത് (IST)",
        "alerts_ack": "അംഗീകരിക്കുക",
        "alerts_acked_by": "{user}, {at}-ന്",
        "alerts_rolled_up": "കൂട്ടിച്ചേർത്തത്",
        "alerts_with": "കൂടെ: ",
        "alerts_held": "ഉൾപ്പെട്ടിരുന്നത്: ",
        "alerts_select_page": "ഈ പേജിലെ എല്ലാ തുറന്ന അലർട്ടുകളും തിരഞ്ഞെടുക്കുക",
        "alerts_select_one": "അലർട്ട് {alert} തിരഞ്ഞെടുക്കുക",
        "alerts_none": "ചേരുന്ന അലർട്ടുകളില്ല.",
        "alerts_pager": "അലർട്ടുകൾ {first}–{last} / {total} · പേജ് {page} / {pages}",
        "alerts_in_state": "{state} നിലയിലുള്ള അലർട്ടുകൾ",
        "alerts_in_any_state": "ഏതു നിലയിലുമുള്ള അലർട്ടുകൾ",
        "alerts_of": " — പരിധി: ",
        "alerts_of_feeder": "ഫീഡർ {value}",
        "alerts_of_district": "ജില്ല {value}",
        "alerts_of_severity": "ഗൗരവം {value}",
        "alerts_confirm_one": (
            "{count} തുറന്ന അലർട്ട് ({scope}; അതിനു കീഴിൽ കൂട്ടിച്ചേർത്ത അലർട്ടുകളും) "
            "അംഗീകരിക്കണോ? {as_of} IST-നു ശേഷം ഉണ്ടായതോ മാറിയതോ ആയ അലർട്ടുകൾ "
            "മാറ്റമില്ലാതെ തുടരും."
        ),
        "alerts_confirm_many": (
            "{count} തുറന്ന അലർട്ടുകൾ ({scope}; അവയ്ക്കു കീഴിൽ കൂട്ടിച്ചേർത്ത അലർട്ടുകളും) "
            "അംഗീകരിക്കണോ? {as_of} IST-നു ശേഷം ഉണ്ടായതോ മാറിയതോ ആയ അലർട്ടുകൾ "
            "മാറ്റമില്ലാതെ തുടരും."
        ),
        "alerts_acked_one": "{count} അലർട്ട് {user} അംഗീകരിച്ചു",
        "alerts_acked_many": "{count} അലർട്ടുകൾ {user} അംഗീകരിച്ചു",
        "alerts_acked_rolled_up": ", അവയ്ക്കു കീഴിൽ കൂട്ടിച്ചേർത്ത {count} എണ്ണവും",
        "alerts_acked_skipped": "; {count} എണ്ണം ഇപ്പോൾ തുറന്ന നിലയിലല്ല",
        "alerts_acked_alert": "അലർട്ട് {alert} {user} അംഗീകരിച്ചു.",
        "alerts_not_acked": "അംഗീകരിച്ചില്ല: {error}.",
        "alerts_bad_filter": "സാധുവായ ഫിൽട്ടർ അല്ല: {error}.",
        "alerts_nothing_to_ack": "ഫിൽട്ടറിനു ചേരുന്ന തുറന്ന അലർട്ടുകളില്ല: അംഗീകരിക്കാൻ ഒന്നുമില്ല.",
        # feeder page (/feeder/<id>)
        "feeder_title": "ഫീഡർ",
        "feeder_not_found": "ഫീഡർ കണ്ടെത്തിയില്ല",
        "feeder_not_found_text": "{feeder!r} എന്ന ഐഡിയിൽ പ്രൊവിഷൻ ചെയ്ത ഫീഡർ ഇല്ല.",
        "feeder_subtitle": "{district} ജില്ല · {kva} kVA",
        "feeder_mode": "മോഡ്: ",
        "feeder_switch_mode": "മോഡ് മാറ്റുക",
        "feeder_switch_to": "{mode} മോഡിലേക്ക് മാറ്റുക",
        "feeder_read_only": ("കാണാൻ മാത്രം: മോഡ് മാറ്റുന്നതും വീടുകൾ മാറ്റുന്നതും അൺലോക്ക് ചെയ്യുന്നതും ഓപ്പറേറ്ററാണ്."),
        "feeder_confirm_mode": "{feeder} {mode} മോഡിലേക്ക് മാറ്റണോ? {effect}",
        "feeder_effect_manual": "ഓപ്പറേറ്റർ നൽകുന്ന മാറ്റങ്ങൾ മാത്രമേ കൺട്രോളർ നടപ്പാക്കൂ.",
        "feeder_effect_auto": "കൺട്രോളർ സ്വയം ഫീഡർ സന്തുലിതമാക്കും.",
        "feeder_range_fit": "എല്ലാ ഡാറ്റയും",
        "feeder_range_custom": "ഇഷ്ടാനുസൃതം",
        "feeder_range_from": "മുതൽ (IST)",
        "feeder_range_to": "വരെ (IST)",
        "feeder_range_choose": "ഒരു സമയപരിധി തിരഞ്ഞെടുക്കുക",
        "feeder_range_shown": "{range} · {resolution}, {points} പോയിന്റുകൾ",
        "feeder_resolution_raw": "10 സെക്കൻഡ് റീഡിങ്ങുകൾ",
        "feeder_resolution_1m": "1 മിനിറ്റ് ശരാശരി",
        "feeder_resolution_15m": "15 മിനിറ്റ് ശരാശരി",
        "feeder_resolution_1h": "1 മണിക്കൂർ ശരാശരി",
        "feeder_no_summary": "ഈ ഫീഡറിൽ നിന്ന് ഇതുവരെ സംഗ്രഹം ലഭിച്ചിട്ടില്ല.",
        "feeder_measure_current": "കറന്റ്",
        "feeder_measure_power": "പവർ",
        "feeder_measure_voltage": "വോൾട്ടേജ്",
        "feeder_range_enter": "തീയതിയും സമയവും നൽകുക (IST)",
        "feeder_range_bad": "{value!r} 2026-01-31 18:30 പോലെയുള്ള തീയതിയും സമയവും അല്ല",
        "feeder_range_order": "'മുതൽ' എന്നതിനു ശേഷമായിരിക്കണം",
        "feeder_range_too_long": "സമയപരിധി പരമാവധി ഒരു വർഷം ആകാം",
        "feeder_card_neutral": "ന്യൂട്രൽ കറന്റ്",
        "feeder_card_unbalance": "കറന്റ് അസന്തുലിതാവസ്ഥ",
        "feeder_card_spread": "വോൾട്ടേജ് വ്യത്യാസം",
        "feeder_card_rated": "റേറ്റഡ് ഫേസ് കറന്റ്",
        "feeder_card_houses_online": "ഓൺലൈനിലുള്ള വീടുകൾ",
        "feeder_locked_out": "ലോക്ക് ചെയ്യപ്പെട്ട വീടുകൾ",
        "feeder_locked_out_hint": (
            "സ്വിച്ച് പരാജയപ്പെടുകയോ റോൾബാക്ക് ചെയ്യപ്പെടുകയോ ചെയ്ത വീട്, കൂൾ-ഡൗൺ "
            "തീരുന്നതുവരെയോ ഓപ്പറേറ്റർ അൺലോക്ക് ചെയ്യുന്നതുവരെയോ ബാലൻസിങ്ങിൽ നിന്ന് "
            "പുറത്തായിരിക്കും."
        ),
        "feeder_locks_none": "ഒരു വീടും ലോക്ക് ചെയ്യപ്പെട്ടിട്ടില്ല.",
        "feeder_locks_col_house": "വീട്",
        "feeder_locks_col_phase": "ഫേസ്",
        "feeder_locks_col_why": "കാരണം",
        "feeder_locks_col_since": "മുതൽ",
        "feeder_locks_col_until": "വരെ",
        "feeder_locks_until_unlocked": "അൺലോക്ക് ചെയ്യുന്നതുവരെ",
        "feeder_locks_operator": "ഓപ്പറേറ്റർ അൺലോക്ക് ചെയ്യണം",
        "feeder_unlock": "അൺലോക്ക്",
        "feeder_unlock_title": "ഈ വീടിനെ ഇപ്പോൾത്തന്നെ ബാലൻസിങ്ങിലേക്ക് തിരികെ ചേർക്കുക",
        "feeder_lock_no_relay": "റിലേ ഇല്ല",
        "feeder_lock_locked": "ലോക്ക് ചെയ്തു",
        "feeder_lock_since": "{at} മുതൽ",
        "feeder_lock_until": "{at} IST വരെ",
        "feeder_lock_until_operator": "ഓപ്പറേറ്റർ അൺലോക്ക് ചെയ്യുന്നതുവരെ",
        "feeder_online_yes": "ഉണ്ട്",
        "feeder_online_no": "ഇല്ല",
        "feeder_manual_move": "മാനുവൽ മാറ്റം",
        "feeder_move_house": "വീട്",
        "feeder_move_to_phase": "പുതിയ ഫേസ്",
        "feeder_move_reason": "കാരണം",
        "feeder_dry_run": "ഡ്രൈ റൺ",
        "feeder_confirm_move": "മാറ്റം സ്ഥിരീകരിക്കുക",
        "feeder_choose_house": "ഒരു വീട് തിരഞ്ഞെടുക്കുക",
        "feeder_dry_run_first": "ആദ്യം ഡ്രൈ റൺ നടത്തുക",
        "feeder_move_option": "{house} ({phase} ഫേസിൽ)",
        "feeder_bad_mode": "{mode!r} auto-യോ manual-ഓ അല്ല",
        "feeder_no_command_path": "ഈ സെർവറിൽ കമാൻഡ് പാത ക്രമീകരിച്ചിട്ടില്ല",
        "feeder_command_mode": "മോഡ് മാറ്റം",
        "feeder_command_unlock": "{house} അൺലോക്ക്",
        "feeder_dry_phase_currents": "ഫേസ് കറന്റുകൾ: ",
        "feeder_dry_neutral": "ന്യൂട്രൽ കറന്റ്: ",
        "feeder_dry_unbalance": "അസന്തുലിതാവസ്ഥ: ",
        "feeder_preview_effect": "(ലോഡ് {load}) {verdict}.",
        "feeder_verdict_improves": "ഫീഡറിനെ മെച്ചപ്പെടുത്തുന്നു",
        "feeder_verdict_would_improve": "ഫീഡറിനെ മെച്ചപ്പെടുത്തുമായിരുന്നു",
        "feeder_verdict_overloads": "{phases} ഓവർലോഡ് ആക്കും",
        "feeder_verdict_worsens": "നില മോശമാക്കുന്നു",
        "feeder_verdict_would_worsen": "നില മോശമാക്കുമായിരുന്നു",
        "feeder_blocked": "{blocker} കാരണം തടഞ്ഞു: {detail}.",
        "feeder_blocker_not_switchable": "ഫേസ്-സെലക്ടർ റിലേ ഇല്ലാത്തത്",
        "feeder_blocker_offline": "ഓഫ്‌ലൈൻ ആയത്",
        "feeder_blocker_locked": "ലോക്ക്ഔട്ട്",
        "feeder_blocker_unverified": "ഒരു മാറ്റം നടന്നുകൊണ്ടിരിക്കുന്നത്",
        "feeder_blocker_min_dwell": "കുറഞ്ഞ ഇടവേള",
        "feeder_blocker_daily_cap": "ദൈനംദിന പരിധി",
        "feeder_block_last": "അവസാന സ്വിച്ച്",
        "feeder_block_last_result": "അവസാന സ്വിച്ച് ({result})",
        "feeder_block_dwell": (
            "{last} {at} IST-ന് ആയിരുന്നു; ഒരു സ്വിച്ചിനു ശേഷം വീട് {minutes} മിനിറ്റ് "
            "ഒരേ ഫേസിൽ തുടരണം, അതിനാൽ {when} മുതൽ വീണ്ടും മാറ്റാം"
        ),
        "feeder_block_cap": (
            "ഇന്ന് {count} സ്വിച്ചുകൾ കഴിഞ്ഞു (ഒരു മാറ്റവും അതിന്റെ റോൾബാക്കും 2 ആയി "
            "കണക്കാക്കും), പരമാവധി {limit}; {when} മുതൽ വീണ്ടും മാറ്റാം"
        ),
        "feeder_block_locked_until": (
            "കൺട്രോളർ ഇതിനെ {when} വരെ ലോക്ക് ചെയ്തിരിക്കുന്നു{why}; ആദ്യം അൺലോക്ക് ചെയ്യുക"
        ),
        "feeder_block_locked_operator": (
            "കൺട്രോളർ ഇതിനെ ഓപ്പറേറ്റർ അൺലോക്ക് ചെയ്യുന്നതുവരെ ലോക്ക് ചെയ്തിരിക്കുന്നു{why}; ആദ്യം അൺലോക്ക് ചെയ്യുക"
        ),
        "feeder_block_offline": "{minutes} മിനിറ്റായി ഒരു റീഡിങ്ങും അയച്ചിട്ടില്ല",
        "feeder_block_unverified": "ഈ വീടിന്റെ ഒരു മാറ്റം അയച്ചിട്ടുണ്ട്, ഫലം ഇതുവരെ ലഭിച്ചിട്ടില്ല",
        "feeder_block_not_switchable": "ഇതിന് ഫേസ്-സെലക്ടർ റിലേ ഇല്ല",
        "feeder_houses": "വീടുകൾ",
        "feeder_houses_search": "വീടുകൾ തിരയുക: ഐഡി, ഫേസ്, ലോക്ക്, …",
        "feeder_col_house": "വീട്",
        "feeder_col_phase": "ഫേസ്",
        "feeder_col_p_kw": "പവർ [kW]",
        "feeder_col_pv_kw": "സോളാർ [kW]",
        "feeder_col_online": "ഓൺലൈൻ",
        "feeder_col_switches_today": "ഇന്നത്തെ സ്വിച്ചുകൾ",
        "feeder_col_lock": "ലോക്ക്",
        "feeder_history": "ബാലൻസിങ് ചരിത്രം",
        "feeder_no_runs": "ഇതുവരെ ബാലൻസിങ് നടന്നിട്ടില്ല",
        "feeder_trigger_operator": "ഓപ്പറേറ്റർ",
        "feeder_trigger_controller": "കൺട്രോളർ",
        "feeder_run_no_moves": "ഈ റൺ ഒരു വീടും മാറ്റിയില്ല ({result}).",
        "feeder_run_basis_decided": (
            "ലോഡ്, PV, പ്രവചിച്ച ന്യൂട്രൽ എന്നിവ റൺ തീരുമാനിച്ച {at} IST-ലെ സംഭരിച്ച "
            "റീഡിങ്ങുകളിൽ നിന്നാണ്; ഓരോ മാറ്റവും അതിനു മുമ്പുള്ളവയ്ക്കു ശേഷമാണ് പ്രവചിക്കുന്നത്."
        ),
        "feeder_run_basis_ended": (
            "ലോഡ്, PV, പ്രവചിച്ച ന്യൂട്രൽ എന്നിവ റൺ അവസാനിച്ച {at} IST-ലെ സംഭരിച്ച "
            "റീഡിങ്ങുകളിൽ നിന്നാണ് (തീരുമാനിച്ച സമയം കൺട്രോളർ രേഖപ്പെടുത്തിയില്ല); ഓരോ "
            "മാറ്റവും അതിനു മുമ്പുള്ളവയ്ക്കു ശേഷമാണ് പ്രവചിക്കുന്നത്."
        ),
        "feeder_runs_col_ts": "സമയം",
        "feeder_runs_col_trigger": "തുടങ്ങിയത്",
        "feeder_runs_col_result": "ഫലം",
        "feeder_runs_col_moves": "മാറ്റങ്ങൾ",
        "feeder_runs_col_neutral": "ന്യൂട്രൽ മുമ്പ് → ശേഷം",
        "feeder_moves_col_house": "വീട്",
        "feeder_moves_col_move": "മാറ്റം",
        "feeder_moves_col_outcome": "ഫലം",
        "feeder_moves_col_load": "ലോഡ് [kW]",
        "feeder_moves_col_pv": "സോളാർ [kW]",
        "feeder_moves_col_net": "നെറ്റ് [kW]",
        "feeder_moves_col_stays": "ന്യൂട്രൽ, വീട് തുടർന്നാൽ [A]",
        "feeder_moves_col_moved": "ന്യൂട്രൽ, വീട് മാറ്റിയാൽ [A]",
        "feeder_export_pdf": "PDF എക്സ്പോർട്ട്",
        "feeder_field_feeder": "ഫീഡർ",
        "feeder_field_mode": "മോഡ്",
        "feeder_field_from": "മുതൽ",
        "feeder_field_to": "വരെ",
        # feeder page charts
        "chart_no_readings": "ഈ സമയപരിധിയിൽ റീഡിങ്ങുകളില്ല",
        "chart_time_axis": "സമയം (IST)",
        "chart_neutral": "ന്യൂട്രൽ",
        "chart_currents_title": "ഫേസ് കറന്റും ന്യൂട്രൽ കറന്റും",
        "chart_power_title": "ഓരോ ഫേസിലെയും നെറ്റ് ആക്ടീവ് പവർ",
        "chart_rating": "ഫേസ് റേറ്റിങ് {rating} A",
        "chart_runs": "ബാലൻസിങ് റണ്ണുകൾ",
        "chart_switches": "സ്വിച്ചുകൾ",
        "chart_moves_one": "{count} മാറ്റം",
        "chart_moves_many": "{count} മാറ്റങ്ങൾ",
        "chart_run_hover": "ബാലൻസിങ് റൺ {at} IST: {result}, {moves}",
        "chart_run_hover_neutral": "ബാലൻസിങ് റൺ {at} IST: {result}, {moves}; ന്യൂട്രൽ {change}",
        "chart_switch_hover": "{at} IST: {house} {move} {result}{reason}, {who} വഴി",
        "chart_run_title": "{at}-ലെ ബാലൻസിങ് റൺ, {result}",
        "chart_run_title_neutral": "{at}-ലെ ബാലൻസിങ് റൺ, {result}: ന്യൂട്രൽ {change}",
        "chart_measured_decided": "റൺ തീരുമാനിച്ചപ്പോൾ, {at} IST-ന് അളന്നത്",
        "chart_measured_decided_unknown": "റൺ തീരുമാനിച്ചപ്പോൾ അളന്നത്",
        "chart_measured_ended": "റൺ അവസാനിച്ചപ്പോൾ, {at} IST-ന് അളന്നത്",
        "chart_before": "മുമ്പ് ({measured})",
        "chart_after": "ശേഷം ({measured})",
        "chart_after_rolled_back": "ശേഷം: മാറ്റങ്ങൾ റോൾബാക്ക് ചെയ്തു ({measured})",
        "chart_after_partial": "ശേഷം: ചില മാറ്റങ്ങൾ നിലനിന്നു ({measured})",
        "chart_effect_title": "പ്രവചിച്ച ഫലം",
        "chart_effect_now": "ഇപ്പോൾ",
        "chart_effect_after": "മാറ്റത്തിനു ശേഷം (പ്രവചനം)",
        "run_result_improved": "മെച്ചപ്പെട്ടു",
        "run_result_partial": "ഭാഗികമായി നിലനിന്നു",
        "run_result_rolled_back": "റോൾബാക്ക് ചെയ്തു",
        "run_result_no_gain": "മാറ്റാൻ തക്കതൊന്നുമില്ല",
        "move_result_applied": "നിലനിന്നു",
        "move_result_rolled_back": "റോൾബാക്ക് ചെയ്തു",
        "move_result_failed": "പരാജയപ്പെട്ടു",
        "move_result_rejected": "നിരസിച്ചു",
        # why a command or a move is refused
        "error_not_feeder": "{feeder!r} പ്രൊവിഷൻ ചെയ്ത ഫീഡർ അല്ല",
        "error_house_required_move": "ഒരു മാറ്റത്തിന് ആവശ്യമാണ്",
        "error_house_required_unlock": "അൺലോക്ക് ചെയ്യാൻ ആവശ്യമാണ്",
        "error_not_house_id": "{house!r} {feeder}-ലെ ഒരു വീടിന്റെ ഐഡി അല്ല",
        "error_not_house": "{house} {feeder}-ലെ വീട് അല്ല",
        "error_no_relay": "{house}-ന് ഫേസ്-സെലക്ടർ റിലേ ഇല്ല",
        "error_phase_required": "ഒരു മാറ്റത്തിന് ആവശ്യമാണ്",
        "error_already_on": "{house} ഇപ്പോൾത്തന്നെ {phase} ഫേസിലാണ്",
        "error_mode_required": "ആവശ്യമാണ് (auto അല്ലെങ്കിൽ manual)",
        "error_config_empty": "കുറഞ്ഞത് ഒരു ക്രമീകരണമെങ്കിലും വേണം",
        "error_why_too_long": "{limit} അക്ഷരങ്ങളിൽ കൂടുതലാണ്",
        "error_ttl_not_positive": "പൂജ്യത്തിനു മുകളിലായിരിക്കണം",
        "error_not_phase": "{value!r} ഒരു ഫേസ് അല്ല (R, Y അല്ലെങ്കിൽ B)",
        "error_no_summary": "കഴിഞ്ഞ {minutes} മിനിറ്റിൽ {feeder}-ൽ നിന്ന് സംഗ്രഹം ലഭിച്ചിട്ടില്ല",
        # map page (/)
        "map_title": "കേരളത്തിലെ ഫീഡറുകൾ",
        "map_legend": "ഫീഡർ നില",
        "map_search": "തിരയുക",
        "map_search_hint": "ഫീഡർ ഐഡി അല്ലെങ്കിൽ പേര്",
        "map_all_districts": "എല്ലാ ജില്ലകളും",
        "map_hint": ("തുറക്കാൻ ഒരു ഫീഡറിൽ ക്ലിക്ക് ചെയ്യുക; സൂം ചെയ്യാൻ ഒരു ക്ലസ്റ്ററിൽ ക്ലിക്ക് ചെയ്യുക."),
        "map_credit": "ജില്ലാ അതിരുകൾ: DataMeet (CC BY 2.5 IN), udit-001/india-maps-data വഴി.",
        "map_credit_short": "ജില്ലകൾ: DataMeet (CC BY 2.5 IN), udit-001/india-maps-data",
        "map_tiles_credit": "മാപ്പ് ടൈലുകൾ: ക്രമീകരിച്ച ദാതാവ്",
        "map_shown_all": "എല്ലാ {total} ഫീഡറുകളും കാണിക്കുന്നു",
        "map_shown_some": "{total} ഫീഡറുകളിൽ {shown} എണ്ണം കാണിക്കുന്നു",
        "map_no_match": " — \u201c{query}\u201d എന്നതിനു ചേരുന്ന ഫീഡറില്ല",
        "map_tip_neutral": "ന്യൂട്രൽ {current} A (റേറ്റഡ് കറന്റിന്റെ {share} %)",
        "map_tip_unbalance": "അസന്തുലിതാവസ്ഥ {pct} %",
        "map_tip_alerts_one": "{count} സജീവ അലർട്ട്",
        "map_tip_alerts_many": "{count} സജീവ അലർട്ടുകൾ",
        "map_legend_rule": (
            "ന്യൂട്രൽ കറന്റ് ട്രാൻസ്ഫോർമറിന്റെ റേറ്റഡ് ഫേസ് കറന്റിന്റെ {limit} എങ്കിലും "
            "ആകുമ്പോഴാണ് ഫീഡർ അസന്തുലിതം ({kva} kVA-യിൽ {limit_a} A): ട്രാൻസ്ഫോർമറിനു "
            "ഭാരമാകുമ്പോഴാണ് അസന്തുലിതാവസ്ഥ കണക്കിലെടുക്കുന്നത്. {unbalance} അസന്തുലിതാവസ്ഥ "
            "ഈ പരിധിയിലെത്തുന്നത് {loading} ലോഡിങ്ങിനു മുകളിൽ മാത്രം; കുറഞ്ഞ ലോഡുള്ള ഫീഡർ "
            "സന്തുലിതമായി തുടരും."
        ),
        "state_meaning_balanced": (
            "ന്യൂട്രൽ റേറ്റഡ് കറന്റിന്റെ {limit}-ൽ താഴെ, ഒരു ഫേസും റേറ്റഡ് കറന്റിനു മുകളിലല്ല"
        ),
        "state_meaning_unbalanced": "ന്യൂട്രൽ കറന്റ് റേറ്റഡ് ഫേസ് കറന്റിന്റെ {limit} അല്ലെങ്കിൽ അതിലധികം",
        "state_meaning_overloaded": "ഒരു ഫേസ് റേറ്റഡ് ഫേസ് കറന്റിനു മുകളിൽ",
        "state_meaning_manual": "ഓപ്പറേറ്ററുടെ നിയന്ത്രണം, ബാലൻസിങ് ഇല്ല",
        "state_meaning_offline": "{seconds} സെക്കൻഡായി സംഗ്രഹം ലഭിച്ചിട്ടില്ല",
        "map_districts": "ജില്ലകൾ",
        "map_col_district": "ജില്ല",
        "map_col_feeders": "ഫീഡറുകൾ",
        "map_col_online": "ഓൺലൈൻ",
        "map_col_active_alerts": "സജീവ അലർട്ടുകൾ",
        "map_col_avg_unbalance_pct": "ശരാശരി അസന്തുലിതാവസ്ഥ [%]",
        "map_col_switches_today": "ഇന്നത്തെ സ്വിച്ചുകൾ",
        # wall (/wall)
        "wall_brand": "SmartPhase · കേരളത്തിലെ LV ഫീഡറുകൾ",
        "wall_all_kerala": "കേരളം മുഴുവൻ",
        "wall_attention": "ശ്രദ്ധ വേണ്ടവ",
        "wall_alerts": "സജീവ അലർട്ടുകൾ",
        "wall_fine": "{region}: എല്ലാ ഫീഡറുകളും സാധാരണ നിലയിൽ.",
        "wall_no_alerts": "{region}: സജീവ അലർട്ടുകളില്ല.",
        "wall_kerala": "കേരളം",
        "wall_more": "+{count} എണ്ണം കൂടി",
        "wall_server_lost": "സെർവറുമായി ബന്ധമില്ല — {at} മുതൽ; താഴെയുള്ള കണക്കുകൾ പുതിയതല്ല",
        "wall_no_data": "ഒരു ഫീഡറിൽ നിന്നും ഡാറ്റ ലഭിച്ചിട്ടില്ല",
        "wall_stale": "പഴയ ഡാറ്റ: {minutes} മിനിറ്റായി ഒന്നും ലഭിച്ചിട്ടില്ല (അവസാനം {at})",
        "wall_phase_current": "ഫേസ് {phase} {current} A",
        "wall_neutral_current": "ന്യൂട്രൽ {current} A",
        "wall_never_reported": "ഒരിക്കലും റിപ്പോർട്ട് ചെയ്തിട്ടില്ല",
        "wall_offline_since": "{at} മുതൽ",
        "wall_no_figures": "കണക്കുകൾ ലഭിച്ചിട്ടില്ല",
        "wall_age_minutes": "{minutes} മിനിറ്റ്",
        "wall_age_hours": "{hours} മണിക്കൂർ {minutes} മിനിറ്റ്",
        "wall_age_days": "{days} ദിവസം",
        "wall_hq": "ആസ്ഥാനം",
        "wall_severity_critical": "ഗുരുതരം",
        "wall_severity_warning": "മുന്നറിയിപ്പ്",
        "wall_severity_info": "വിവരം",
        # log page (/log) and its CSV export
        "log_title": "ലോഗ്",
        "log_kind": "തരം",
        "log_who": "ആര്",
        "log_who_hint": "ഉപയോക്താവ് അല്ലെങ്കിൽ auto",
        "log_result": "ഫലം",
        "log_from": "മുതൽ",
        "log_to": "വരെ",
        "log_export": "CSV എക്സ്പോർട്ട്",
        "log_col_ts": "സമയം (IST)",
        "log_col_kind": "തരം",
        "log_col_who": "ആര്",
        "log_col_action": "പ്രവൃത്തി",
        "log_col_target": "ലക്ഷ്യം",
        "log_col_feeder": "ഫീഡർ",
        "log_col_district": "ജില്ല",
        "log_col_why": "എന്തിന്",
        "log_col_result": "ഫലം",
        "log_col_reason": "കാരണം",
        "log_none": "ചേരുന്ന എൻട്രികളില്ല.",
        "log_count": "എൻട്രികൾ {first}–{last} / {total} (പേജ് {page} / {pages})",
        "log_bad_filter": "ഫിൽട്ടർ പ്രയോഗിച്ചില്ല: {error}",
        "log_sign_in_first": "ആദ്യം സൈൻ ഇൻ ചെയ്യുക",
    }
)
"""The Malayalam translations, by the keys of EN: every key but SAME_IN_EVERY_LANGUAGE.
Technical terms KSEB staff say in English (kVA, PV, IST, CSV, PDF, auto, manual) stay in
Latin script."""

_ALL: Final[Mapping[str, Mapping[str, str]]] = {"en": EN, "ml": ML}


CLOCKS: Final[Mapping[str, tuple[str, str]]] = MappingProxyType(
    {"en": ("en-IN", "h12"), "ml": ("ml-IN", "h23")}
)
"""How each language writes a time of day in the browser: its Intl locale and hour cycle
(Malayalam in 24 hours: its locale's am and pm are written in Latin letters)."""


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


def clock_format(lang: str | None = None) -> tuple[str, str]:
    """Return how `lang` (default: the interface language) writes a time of day in the
    browser: its Intl locale and hour cycle ("ml-IN", "h23")."""
    return CLOCKS.get(html_lang() if lang is None else lang, CLOCKS["en"])


def page_title(key: str) -> Callable[..., str]:
    """Return a page's browser-tab title ("SmartPhase · Alerts") for `dash.register_page`,
    read in the interface language when the page is shown."""

    def title(**_path_variables: str) -> str:
        return text("page_title", page=text(key))

    return title
