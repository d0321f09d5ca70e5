"""A report's strings in English."""

from __future__ import annotations

from typing import Final

STRINGS: Final[dict[str, str]] = {
    # cover
    "title": "SmartPhase report",
    "subtitle": "Phase balancing of LV feeders",
    "scope_feeder": "Feeder",
    "scope_section": "Section office",
    "scope_district": "District",
    "scope_state": "State",
    "period": "Period",
    "period_value": "{first} to {last} (IST, {days} days)",
    "generated": "Generated",
    "completeness": "Data completeness",
    "completeness_value": (
        "controller summaries {summaries} of the minutes; house readings {readings} of the "
        "house-minutes"
    ),
    "completeness_note": (
        "Data completeness counts the minutes with at least one controller summary or house "
        "reading, out of the minutes from each node's provisioning to the end of the period, or "
        "to when this report was made for a period not over yet."
    ),
    "version": "Software version",
    "transformers": "Transformers",
    "houses": "Houses with nodes",
    "annex": "Every number of the tables, with the detail per transformer, is in the CSV annex.",
    "no_data": (
        "No controller summary and no house reading arrived for this scope in this period: "
        "there is nothing to report. The sections below are empty for that reason."
    ),
    "not_known": "—",
    # key figures
    "sec_key": "Key figures",
    "key_note": "Compared with the previous {days} days, {first} to {last}.",
    "col_figure": "Figure",
    "col_unit": "Unit",
    "col_this": "This period",
    "col_previous": "Previous period",
    "col_change": "Change",
    "col_change_pct": "Change [%]",
    "kf_neutral": "Neutral current, mean (measured)",
    "kf_neutral_cut": "Neutral current cut by SmartPhase",
    "kf_saved_kwh": "Energy saved in the LV conductors",
    "kf_saved_inr": "Value of the energy saved",
    "kf_hours_unbalanced": "Hours unbalanced (transformer-hours)",
    "kf_hours_overloaded": "Hours overloaded (transformer-hours)",
    "kf_switches": "Switches made",
    "kf_alerts": "Alerts raised",
    "kf_completeness": "Controller data completeness",
    "kf_uptime": "Controller availability",
    # savings
    "sec_savings": "Savings: with and without SmartPhase",
    "col_quantity": "Quantity",
    "col_with": "With SmartPhase",
    "col_without": "Without (as-built phases)",
    "col_difference": "Difference (with − without)",
    "sv_neutral_mean": "Neutral current, mean",
    "sv_neutral_p95": "Neutral current, 95th percentile",
    "sv_neutral_max": "Neutral current, highest hour",
    "sv_phase_max": "Phase {phase} current, highest hour",
    "sv_losses": "I²R losses in the LV conductors",
    "sv_overload": "Hours with a phase above its rating",
    "sv_unbalanced": "Hours unbalanced",
    "saved_line": (
        "Energy saved: {kwh} kWh, worth ₹{inr} at ₹{tariff}/kWh; the neutral current was "
        "{cut} lower on average."
    ),
    "resistances": (
        "Conductor resistances used, transformer to load centre: phase {rp} Ω each, neutral "
        "{rn} Ω (SP_LV_PHASE_OHM, SP_LV_NEUTRAL_OHM)."
    ),
    "coverage": (
        "House readings covered {share} of the house-minutes of the period ({got} of "
        "{expected}); the savings cover {hours} hours. A house is left out of both cases in an "
        "hour it did not report, and an hour still running counts only its minutes gone by. "
        "{silent} of {houses} houses sent no reading at all."
    ),
    "method_title": "How this was computed, and what it leaves out",
    "method": (
        "Every house node reports its net active and reactive power. For each hour, each "
        "house's mean load is placed on the phase it was on (with SmartPhase, as operated) and, "
        "separately, on its as-built phase, the phase it was provisioned on before SmartPhase "
        "moved anything. Each phase current is the phasor sum conj(S/V) of its houses' loads at "
        "the nominal 230 V phase voltages, the neutral current is the sum of the three, and the "
        "loss is I²R in the phase conductors and the neutral. Both columns come from the same "
        "readings, so their difference is what re-phasing changed; the energy saved is the "
        "difference of the losses, valued at the configured tariff (SP_TARIFF_INR_PER_KWH). "
        "Left out: hourly means hide the variation within each hour, so both losses are "
        "understated and peaks shorter than an hour do not show; loads without a house node "
        "(street lights, unmetered connections) and the transformer's own losses are not "
        "included; voltages are taken as nominal; the resistances are one equivalent per "
        "feeder, not a network model; hours without a house's readings are never estimated. Hours "
        "not yet in the hourly rollup, such as the one still running, are computed the same way "
        "from the raw readings."
    ),
    "savings_none": (
        "No house readings arrived in this period, so the savings cannot be computed; they "
        "are not estimated."
    ),
    # unbalance
    "sec_unbalance": "Unbalance",
    "col_mean": "Mean",
    "col_p95": "95th percentile",
    "col_max": "Maximum",
    "col_hours": "Hours",
    "ub_neutral": "Neutral current",
    "ub_current": "Current unbalance",
    "ub_hours_unbalanced": "Unbalanced: neutral at least {share} of the rated phase current",
    "ub_hours_overloaded": "Overloaded: a phase above the rated phase current",
    "unbalance_note": (
        "Measured by the transformer controllers. Means are of every summary; the 95th "
        "percentile is of the 15-minute means; the neutral maximum is the highest summary. "
        "Hours count 15-minute means beyond the limit, with the states the control room uses "
        "(grid.feeder_states). Current unbalance is max|I − I_avg| / I_avg, unknown below 5 A."
    ),
    "sec_voltage": "Voltage unbalance (estimate)",
    "voltage_note": (
        "An estimate, not the IEC voltage unbalance factor (VUF) that EN 50160 limits to 2 %: "
        "the summaries carry phase-to-neutral voltage magnitudes only, without angles. Shown is "
        "the PVUR (IEEE: largest deviation of the three phase voltages from their mean, over "
        "the mean) of each 10-minute mean, and its 95th percentile per week, as EN 50160 "
        "assesses a week. A week shorter than seven days or with less than 90 % of its "
        "10-minute values is partial."
    ),
    "voltage_scope": (
        "Shown for the transformer with the highest weekly value ({feeder}); {above} of "
        "{known} transformers were above 2 % in some week."
    ),
    "voltage_none": "No voltages in this period.",
    "col_week": "Week from",
    "col_days": "Days",
    "col_pvur_p95": "PVUR, 95th percentile [%]",
    "col_assessed": "Assessed",
    "week_full": "a full week",
    "week_partial": "partial",
    "col_coverage": "10-minute values [%]",
    # loading
    "sec_loading": "Transformer loading",
    "col_phase": "Phase",
    "col_peak_a": "Peak current [A]",
    "col_peak_pct": "Peak [% of rating]",
    "col_above_80": "Hours above 80 %",
    "col_above_100": "Hours above 100 %",
    "peak_kva": "Peak load (15-minute mean): {kva} kVA of {rating} kVA ({pct})",
    "peak_kva_scope": "Highest peak load of a transformer (15-minute mean): {kva} kVA",
    "loading_note": (
        "Rated phase current = kVA × 1000 / (3 × 230 V). Currents are 15-minute means; "
        "hours count 15-minute means above the share of the rating."
    ),
    "loading_scope_note": (
        "Each phase's peak is the highest of any transformer, against its own rating; hours are "
        "summed over the transformers."
    ),
    # actions
    "sec_actions": "Balancing actions",
    "actions_line": (
        "Balancing runs: {runs}. Switches made: {applied} ({auto} by the controllers, {manual} "
        "by operators); rolled back: {rolled_back}; failed: {failed}. Houses locked out: "
        "{lockouts}."
    ),
    "actions_neutral": (
        "Over the runs with both figures, the neutral current was {before} A when a run was "
        "decided and {after} A after it."
    ),
    "col_result": "Result",
    "col_runs": "Runs",
    "col_origin": "Origin",
    "col_count": "Count",
    "col_time": "Time (IST)",
    "col_feeder": "Transformer",
    "col_trigger": "Trigger",
    "col_moves": "Moves",
    "col_n_before": "Neutral before [A]",
    "col_n_after": "Neutral after [A]",
    "col_u_before": "Unbalance before [%]",
    "col_u_after": "Unbalance after [%]",
    "col_house": "House",
    "col_from": "From",
    "col_to": "To",
    "col_reason": "Reason",
    "col_until": "Until (IST)",
    "col_who": "Who",
    "col_action": "Action",
    "col_detail": "Detail",
    "col_why": "Why",
    "col_outcome": "Outcome",
    "t_runs_by_result": "Balancing runs by result",
    "t_switches": "Switches by origin and result",
    "t_runs": "Balancing runs, newest first",
    "t_failed": "Switches rolled back or failed",
    "t_lockouts": "Houses locked out",
    "t_commands": "Operators' commands: who and why",
    "t_operator_actions": "Operators' actions in the audit log",
    "more_rows": "{n} more rows in the CSV annex.",
    "none": "None in this period.",
    # alerts
    "sec_alerts": "Alerts",
    "col_kind": "Kind",
    "col_severity": "Severity",
    "col_raised": "Raised",
    "col_acked": "Acknowledged",
    "col_cleared": "Cleared",
    "col_open": "Open at the end",
    "col_ack_median": "To acknowledge, median [min]",
    "col_ack_p90": "To acknowledge, 90th pct. [min]",
    "col_clear_median": "To clear, median [min]",
    "col_clear_p90": "To clear, 90th pct. [min]",
    "alerts_note": (
        "Alerts raised in the period. An alert rolled up under a wider one (a silent "
        "transformer's house alerts) is counted with that one."
    ),
    # availability
    "sec_availability": "Node availability",
    "availability_line": (
        "Transformer controllers were available {controllers} of the time on average, house "
        "nodes {houses}."
    ),
    "availability_note": (
        "A controller counts as up in a minute with a summary. A house node's availability is "
        "its readings against what an always-online house of its feeder sends (the 90th "
        "percentile of readings per reporting hour), from the hourly house rollup."
    ),
    "t_nodes": "The least available nodes",
    "col_node_kind": "Node",
    "col_node": "Id",
    "col_uptime": "Available [%]",
    "col_offline_h": "Offline [h]",
    "node_controller": "controller",
    "node_house": "house node",
    # worst-N and map
    "sec_worst": "Transformers that need attention",
    "t_worst_neutral": "By neutral current (mean) [A]",
    "t_worst_unbalanced": "By hours unbalanced [h]",
    "t_worst_overloaded": "By hours overloaded [h]",
    "t_worst_offline": "By time offline [h]",
    "col_name": "Name",
    "col_district": "District",
    "col_value": "Value",
    "sec_map": "Map",
    "map_note": (
        "Each transformer shows the most severe state it was in for at least 5 % of the period "
        "(overloaded, unbalanced, offline), else balanced."
    ),
    "state_balanced": "Balanced",
    "state_unbalanced": "Unbalanced",
    "state_overloaded": "Overloaded",
    "state_manual": "Manual",
    "state_offline": "Offline",
    # charts
    "sec_charts": "Charts",
    "chart_phase_day": "Mean phase current per day (R, Y, B)",
    "chart_phase_hour": "Mean phase current per hour (R, Y, B)",
    "chart_neutral_day": "Neutral current with and without SmartPhase, mean per day",
    "chart_neutral_hour": "Neutral current with and without SmartPhase, mean per hour",
    "chart_heat": "Neutral current by hour of day and day, as % of the unbalance limit",
    "chart_scope_note": "At a district or the state: the mean over the transformers.",
    "axis_current": "Current [A]",
    "axis_hour": "Hour of day (IST)",
    "axis_day": "Day",
    "axis_limit_pct": "% of limit",
    "legend_with": "with SmartPhase (house loads)",
    "legend_without": "without: as-built phases",
    "legend_measured": "measured at the transformer",
    # per-feeder annex
    "t_feeders": "Every transformer",
    "t_about": "About this report",
    "col_key": "Item",
    "col_kva": "Rating [kVA]",
    "col_houses": "Houses",
    "col_state": "State shown",
    "footer": "SmartPhase · {scope} · {period} · page",
    # labels of stored codes
    "result_improved": "improved",
    "result_no_gain": "no gain",
    "result_partial": "partly",
    "result_rolled_back": "rolled back",
    "result_applied": "applied",
    "result_rejected": "rejected",
    "result_failed": "failed",
    "origin_auto": "controller",
    "origin_manual": "operator",
    "trigger_auto": "automatic",
    "trigger_balance_now": "balance now",
    "kind_sustained_unbalance": "sustained unbalance",
    "kind_phase_overload": "phase overload",
    "kind_house_offline": "house offline",
    "kind_houses_offline": "many houses offline",
    "kind_hq_unreachable": "HQ unreachable",
    "kind_uplink_readings_dropped": "readings dropped at the edge",
    "kind_switch_rolled_back": "switch rolled back",
    "kind_switch_failed": "switch failed",
    "kind_feeder_offline": "feeder offline",
    "kind_fleet_silent": "fleet silent",
    "kind_ingest_session_lost": "ingest session lost",
    "severity_critical": "critical",
    "severity_warning": "warning",
    "severity_info": "info",
}
