"""Every table of a report, built from the model in the report's language (pure).

The PDF shows each table (the long ones cut to their first `pdf_rows` rows, with a note that
the rest is in the annex) and the CSV annex writes every row of every table, so the two always
hold the same numbers. Cells are text, numbers (formatted by the column's decimals in the PDF,
written in full in the CSV) or None (not known).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from grid.feeder_states import NEUTRAL_LIMIT_SHARE
from grid.timezones import IST
from reports.data import CommandRow, LockoutRow, RunRow, SwitchRow
from reports.figures import LOADING_SHARES
from reports.model import FeederFigures, NodeUptime, Report

Cell = str | float | int | None

WORST_N: Final = 10
"""Transformers in each worst-N table of the PDF."""

NODES_N: Final = 20
"""Least available nodes in the PDF."""

LIST_N: Final = 25
"""Rows of an event list (runs, commands, ...) in the PDF."""


@dataclass(frozen=True, slots=True)
class Column:
    """A column: its heading and, for numbers, the decimals shown in the PDF."""

    label: str
    decimals: int | None = None  # None: text


@dataclass(frozen=True, slots=True)
class Table:
    """A table of the report."""

    key: str  # stable name, e.g. "savings"; the CSV annex's section name
    title: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Cell, ...], ...]
    pdf_rows: int | None = None  # None: every row in the PDF; 0: only in the CSV annex
    row_decimals: tuple[int, ...] | None = None  # per row, instead of the columns' decimals

    @property
    def hidden_rows(self) -> int:
        """Return the rows the PDF leaves to the annex."""
        if self.pdf_rows is None:
            return 0
        return max(0, len(self.rows) - self.pdf_rows)

    @property
    def shown(self) -> tuple[tuple[Cell, ...], ...]:
        """Return the rows the PDF shows."""
        return self.rows if self.pdf_rows is None else self.rows[: self.pdf_rows]

    def pdf_cells(self) -> list[list[str]]:
        """Return the rows the PDF shows, each cell as text."""
        out = []
        for k, row in enumerate(self.shown):
            decimals = None if self.row_decimals is None else self.row_decimals[k]
            out.append(
                [
                    cell_text(
                        v, c if decimals is None or c.decimals is None else Column("", decimals)
                    )
                    for v, c in zip(row, self.columns, strict=True)
                ]
            )
        return out


def number(value: float | None, decimals: int = 1) -> str:
    """Return a number for reading: "1,234.5"; "—" for None or NaN."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    return f"{value:,.{decimals}f}"


def cell_text(value: Cell, column: Column) -> str:
    """Return a cell as the PDF shows it: text as it is, a number by the column's decimals."""
    if column.decimals is None or isinstance(value, str):
        return "" if value is None else str(value)
    return number(value, column.decimals)


def ist(t: datetime | None) -> str:
    """Return an instant as "2024-06-01 14:05" in IST ("" for None)."""
    return "" if t is None else t.astimezone(IST).strftime("%Y-%m-%d %H:%M")


def pct(share: float | None) -> float | None:
    """Return a share as per cent."""
    return None if share is None else 100.0 * share


def build_tables(report: Report, t: Mapping[str, str]) -> dict[str, Table]:
    """Return every table of a report by key, labelled in the report's language."""
    code = _codes(t)
    tables = [
        _about(report, t),
        _key_figures(report, t),
        *_savings(report, t),
        _unbalance(report, t),
        _hours(report, t),
        _voltage(report, t),
        _loading(report, t),
        _counted("runs_by_result", t["t_runs_by_result"], t["col_result"], t["col_runs"],
                 [(code("result", k), n) for k, n in sorted(report.actions.runs.items())]),
        _switch_counts(report, t, code),
        _runs(report.runs, t, code),
        _failed(report.switches, t, code),
        _lockouts(report.lockouts, t),
        _commands(report.commands, t, code),
        _counted("operator_actions", t["t_operator_actions"], t["col_action"], t["col_count"],
                 sorted(report.actions.operator_actions.items())),
        _alerts(report, t, code),
        _nodes(report.nodes, t),
        *_worst(report, t),
        _feeders(report, t),
    ]  # fmt: skip
    return {table.key: table for table in tables}


def _codes(t: Mapping[str, str]) -> Callable[[str, str], str]:
    def label(prefix: str, value: str) -> str:
        return t.get(f"{prefix}_{value}", value)

    return label


def _about(report: Report, t: Mapping[str, str]) -> Table:
    p = report.period
    rows: list[tuple[Cell, ...]] = [
        (t[f"scope_{report.scope.kind}"], report.scope_title),
        (t["period"], t["period_value"].format(first=p.first_day, last=p.last_day, days=p.days)),
        (t["generated"], ist(report.generated_at) + " IST"),
        (t["version"], report.version),
        (t["transformers"], len(report.feeders)),
        (t["houses"], report.houses),
        (t["kf_completeness"] + " [%]", pct(report.summaries_share)),
        (t["completeness"] + " (" + t["houses"] + ") [%]", pct(report.readings_share)),
        ("SP_TARIFF_INR_PER_KWH [₹/kWh]", report.tariff_inr_per_kwh),
        ("SP_LV_PHASE_OHM [Ω]", report.r_phase_ohm),
        ("SP_LV_NEUTRAL_OHM [Ω]", report.r_neutral_ohm),
    ]
    return Table("about", t["t_about"], (Column(t["col_key"]), Column(t["col_value"])),
                 tuple(rows), pdf_rows=0)  # fmt: skip


def _key_figures(report: Report, t: Mapping[str, str]) -> Table:
    rows = tuple(
        (t[k.key], k.unit, k.value, k.previous, k.change, k.change_pct) for k in report.key_figures
    )
    return Table(
        "key_figures",
        t["sec_key"],
        (
            Column(t["col_figure"]),
            Column(t["col_unit"]),
            Column(t["col_this"], 1),
            Column(t["col_previous"], 1),
            Column(t["col_change"], 1),
            Column(t["col_change_pct"], 0),
        ),
        rows,
        row_decimals=tuple(k.decimals for k in report.key_figures),
    )


def _savings(report: Report, t: Mapping[str, str]) -> list[Table]:
    s = report.savings
    if s is None:
        return []

    def row(label: str, unit: str, with_: float | None, without: float | None) -> tuple[Cell, ...]:
        diff = None if with_ is None or without is None else with_ - without
        return (label, unit, with_, without, diff)

    phase_max = t["sv_phase_max"]
    rows = [
        row(t["sv_neutral_mean"], "A", s.neutral_with.mean, s.neutral_without.mean),
        row(t["sv_neutral_p95"], "A", s.neutral_with.p95, s.neutral_without.p95),
        row(t["sv_neutral_max"], "A", s.neutral_with.max, s.neutral_without.max),
        *(
            row(phase_max.format(phase=ph), "A", s.phase_max_with[k], s.phase_max_without[k])
            for k, ph in enumerate("RYB")
        ),
        row(t["sv_losses"], "kWh", s.loss_with_kwh, s.loss_without_kwh),
        row(t["sv_overload"], "h", s.overload_hours_with, s.overload_hours_without),
        row(t["sv_unbalanced"], "h", s.unbalanced_hours_with, s.unbalanced_hours_without),
    ]
    return [
        Table(
            "savings",
            t["sec_savings"],
            (
                Column(t["col_quantity"]),
                Column(t["col_unit"]),
                Column(t["col_with"], 1),
                Column(t["col_without"], 1),
                Column(t["col_difference"], 1),
            ),
            tuple(rows),
        )
    ]


def _unbalance(report: Report, t: Mapping[str, str]) -> Table:
    n, u = report.neutral, report.unbalance
    return Table(
        "unbalance",
        t["sec_unbalance"],
        (
            Column(t["col_quantity"]),
            Column(t["col_unit"]),
            Column(t["col_mean"], 1),
            Column(t["col_p95"], 1),
            Column(t["col_max"], 1),
        ),
        (
            (t["ub_neutral"], "A", n.mean, n.p95, n.max),
            (t["ub_current"], "%", u.mean, u.p95, u.max),
        ),
    )


def _hours(report: Report, t: Mapping[str, str]) -> Table:
    share = f"{NEUTRAL_LIMIT_SHARE * 100:.0f} %"
    return Table(
        "unbalance_hours",
        t["col_hours"],
        (Column(t["col_quantity"]), Column(t["col_hours"], 1)),
        (
            (t["ub_hours_unbalanced"].format(share=share), report.hours_unbalanced),
            (t["ub_hours_overloaded"], report.hours_overloaded),
        ),
    )


def _voltage(report: Report, t: Mapping[str, str]) -> Table:
    return Table(
        "voltage_weeks",
        t["sec_voltage"],
        (
            Column(t["col_week"]),
            Column(t["col_days"], 0),
            Column(t["col_pvur_p95"], 2),
            Column(t["col_coverage"], 0),
            Column(t["col_assessed"]),
        ),
        tuple(
            (w.first_day, w.days, w.p95_pct, pct(w.coverage), t[f"week_{which(w.partial)}"])
            for w in report.voltage_weeks
        ),
    )


def which(partial: bool) -> str:
    """Return how a voltage week was assessed, as the key of its label."""
    return "partial" if partial else "full"


def _loading(report: Report, t: Mapping[str, str]) -> Table:
    low, high = LOADING_SHARES
    return Table(
        "loading",
        t["sec_loading"],
        (
            Column(t["col_phase"]),
            Column(t["col_peak_a"], 1),
            Column(t["col_peak_pct"], 0),
            Column(t["col_above_80"].replace("80", f"{low * 100:.0f}"), 2),
            Column(t["col_above_100"].replace("100", f"{high * 100:.0f}"), 2),
        ),
        tuple(
            (p.phase, p.peak_a, p.peak_pct, p.hours_above_80, p.hours_above_100)
            for p in report.phases
        ),
    )


def _counted(
    key: str, title: str, what: str, count: str, items: Sequence[tuple[str, int]]
) -> Table:
    return Table(key, title, (Column(what), Column(count, 0)), tuple(items))


def _switch_counts(report: Report, t: Mapping[str, str], code: Callable[[str, str], str]) -> Table:
    rows = tuple(
        (code("origin", origin), code("result", result), n)
        for (origin, result), n in sorted(report.actions.switches.items())
    )
    return Table(
        "switches",
        t["t_switches"],
        (Column(t["col_origin"]), Column(t["col_result"]), Column(t["col_count"], 0)),
        rows,
    )


def _runs(runs: Sequence[RunRow], t: Mapping[str, str], code: Callable[[str, str], str]) -> Table:
    return Table(
        "runs",
        t["t_runs"],
        (
            Column(t["col_time"]),
            Column(t["col_feeder"]),
            Column(t["col_trigger"]),
            Column(t["col_result"]),
            Column(t["col_moves"], 0),
            Column(t["col_n_before"], 1),
            Column(t["col_n_after"], 1),
            Column(t["col_u_before"], 0),
            Column(t["col_u_after"], 0),
        ),
        tuple(
            (
                ist(r.ts),
                r.feeder_id,
                code("trigger", r.trigger),
                code("result", r.result),
                r.moves,
                r.before[3],
                r.after[3],
                r.before[4],
                r.after[4],
            )
            for r in runs
        ),
        pdf_rows=LIST_N,
    )


def _failed(
    switches: Sequence[SwitchRow], t: Mapping[str, str], code: Callable[[str, str], str]
) -> Table:
    return Table(
        "failed_switches",
        t["t_failed"],
        (
            Column(t["col_time"]),
            Column(t["col_house"]),
            Column(t["col_from"]),
            Column(t["col_to"]),
            Column(t["col_result"]),
            Column(t["col_origin"]),
            Column(t["col_reason"]),
        ),
        tuple(
            (
                ist(s.ts),
                s.house_id,
                s.from_phase,
                s.to_phase,
                code("result", s.result),
                code("origin", s.origin),
                s.reason,
            )
            for s in switches
        ),
        pdf_rows=LIST_N,
    )


def _lockouts(lockouts: Sequence[LockoutRow], t: Mapping[str, str]) -> Table:
    return Table(
        "lockouts",
        t["t_lockouts"],
        (
            Column(t["col_time"]),
            Column(t["col_house"]),
            Column(t["col_reason"]),
            Column(t["col_until"]),
        ),
        tuple((ist(x.ts), x.house_id, x.reason, ist(x.until)) for x in lockouts),
        pdf_rows=LIST_N,
    )


def _commands(
    commands: Sequence[CommandRow], t: Mapping[str, str], code: Callable[[str, str], str]
) -> Table:
    return Table(
        "commands",
        t["t_commands"],
        (
            Column(t["col_time"]),
            Column(t["col_who"]),
            Column(t["col_feeder"]),
            Column(t["col_house"]),
            Column(t["col_action"]),
            Column(t["col_detail"]),
            Column(t["col_why"]),
            Column(t["col_outcome"]),
        ),
        tuple(
            (
                ist(c.requested_at),
                c.requested_by,
                c.feeder_id,
                c.house_id or "",
                c.action,
                c.detail,
                c.why,
                code("result", c.state) + (f": {c.reason}" if c.reason else ""),
            )
            for c in commands
        ),
        pdf_rows=LIST_N,
    )


def _alerts(report: Report, t: Mapping[str, str], code: Callable[[str, str], str]) -> Table:
    return Table(
        "alerts",
        t["sec_alerts"],
        (
            Column(t["col_kind"]),
            Column(t["col_severity"]),
            Column(t["col_raised"], 0),
            Column(t["col_acked"], 0),
            Column(t["col_cleared"], 0),
            Column(t["col_open"], 0),
            Column(t["col_ack_median"], 1),
            Column(t["col_ack_p90"], 1),
            Column(t["col_clear_median"], 1),
            Column(t["col_clear_p90"], 1),
        ),
        tuple(
            (
                code("kind", a.kind),
                code("severity", a.severity),
                a.raised,
                a.acknowledged,
                a.cleared,
                a.open_at_end,
                a.ack_median_min,
                a.ack_p90_min,
                a.clear_median_min,
                a.clear_p90_min,
            )
            for a in report.alerts
        ),
    )


def _nodes(nodes: Sequence[NodeUptime], t: Mapping[str, str]) -> Table:
    return Table(
        "nodes",
        t["t_nodes"],
        (
            Column(t["col_node_kind"]),
            Column(t["col_node"]),
            Column(t["col_feeder"]),
            Column(t["col_uptime"], 1),
            Column(t["col_offline_h"], 1),
        ),
        tuple(
            (t[f"node_{n.kind}"], n.node_id, n.feeder_id, pct(n.uptime), n.offline_hours)
            for n in nodes
        ),
        pdf_rows=NODES_N,
    )


def _worst(report: Report, t: Mapping[str, str]) -> list[Table]:
    if report.scope.kind == "feeder":
        return []
    measures: tuple[tuple[str, Callable[[FeederFigures], float | None], int], ...] = (
        ("worst_neutral", lambda f: f.neutral.mean, 1),
        ("worst_unbalanced", lambda f: f.hours_unbalanced, 1),
        ("worst_overloaded", lambda f: f.hours_overloaded, 1),
        ("worst_offline", lambda f: f.offline_hours, 1),
    )
    out = []
    for key, value, decimals in measures:
        ranked = sorted(
            (f for f in report.feeders if value(f) is not None),
            key=lambda f: (-(value(f) or 0.0), f.feeder_id),
        )
        out.append(
            Table(
                key,
                t[f"t_{key}"],
                (
                    Column(t["col_feeder"]),
                    Column(t["col_name"]),
                    Column(t["col_district"]),
                    Column(t["col_value"], decimals),
                ),
                tuple((f.feeder_id, f.name, f.district, value(f)) for f in ranked),
                pdf_rows=WORST_N,
            )
        )
    return out


FEEDER_DETAIL: Final[tuple[tuple[str, int | None, Callable[[FeederFigures], Cell]], ...]] = (
    ("feeder_id", None, lambda f: f.feeder_id),
    ("name", None, lambda f: f.name),
    ("district", None, lambda f: f.district),
    ("kva", 0, lambda f: f.kva),
    ("houses", 0, lambda f: f.houses),
    ("state", None, lambda f: f.state),
    ("neutral_mean_a", 1, lambda f: f.neutral.mean),
    ("neutral_p95_a", 1, lambda f: f.neutral.p95),
    ("neutral_max_a", 1, lambda f: f.neutral.max),
    ("unbalance_mean_pct", 1, lambda f: f.unbalance.mean),
    ("unbalance_p95_pct", 1, lambda f: f.unbalance.p95),
    ("hours_with_data", 2, lambda f: f.hours_with_data),
    ("hours_unbalanced", 2, lambda f: f.hours_unbalanced),
    ("hours_overloaded", 2, lambda f: f.hours_overloaded),
    ("peak_kva", 1, lambda f: f.peak_kva),
    ("peak_r_pct", 0, lambda f: f.phases[0].peak_pct),
    ("peak_y_pct", 0, lambda f: f.phases[1].peak_pct),
    ("peak_b_pct", 0, lambda f: f.phases[2].peak_pct),
    ("voltage_pvur_p95_pct", 2, lambda f: f.voltage_p95_pct),
    ("controller_uptime_pct", 1, lambda f: pct(f.uptime)),
    ("offline_hours", 1, lambda f: f.offline_hours),
    ("minutes_reported", 0, lambda f: f.minutes_reported),
    ("minutes_expected", 0, lambda f: f.minutes_expected),
    ("house_minutes", 0, lambda f: f.house_minutes),
    ("house_minutes_expected", 0, lambda f: f.expected_house_minutes),
    ("house_minutes_share_pct", 1, lambda f: pct(f.readings_share)),
    ("neutral_with_mean_a", 1, lambda f: f.savings.neutral_with.mean if f.savings else None),
    ("neutral_without_mean_a", 1, lambda f: f.savings.neutral_without.mean if f.savings else None),
    ("loss_with_kwh", 2, lambda f: f.savings.loss_with_kwh if f.savings else None),
    ("loss_without_kwh", 2, lambda f: f.savings.loss_without_kwh if f.savings else None),
    ("saved_kwh", 2, lambda f: f.savings.saved_kwh if f.savings else None),
    ("runs", 0, lambda f: f.runs),
    ("switches", 0, lambda f: f.switches),
    ("rollbacks", 0, lambda f: f.rollbacks),
    ("lockouts", 0, lambda f: f.lockouts),
    ("manual_moves", 0, lambda f: f.manual_moves),
    ("alerts", 0, lambda f: f.alerts),
)
"""The per-transformer detail of the annex: column name, decimals, value."""


def _feeders(report: Report, t: Mapping[str, str]) -> Table:
    return Table(
        "feeders",
        t["t_feeders"],
        tuple(Column(name, decimals) for name, decimals, _ in FEEDER_DETAIL),
        tuple(tuple(value(f) for _, _, value in FEEDER_DETAIL) for f in report.feeders),
        pdf_rows=0,
    )
