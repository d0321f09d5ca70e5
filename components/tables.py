"""Plain HTML tables for logs and lists (sortable tables are not needed for a few hundred rows)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from dash import html

from store.queries import IST


def fmt_time(value: datetime | None) -> str:
    """Return an instant as India Standard Time, "2024-06-01 10:30:00", or "" for None."""
    if value is None:
        return ""
    return value.astimezone(IST).strftime("%Y-%m-%d %H:%M:%S")


def build_table(
    columns: Sequence[tuple[str, str]],
    rows: Sequence[Mapping[str, Any]],
    *,
    empty: str = "Nothing to show.",
    row_class: str | None = None,
) -> html.Div:
    """Return a table of `rows` with (key, heading) `columns`; a cell may be a component.

    `row_class` names a key of each row whose value becomes the row's CSS class.
    """
    if not rows:
        return html.Div(html.P(empty, className="sp-empty"))
    head = html.Thead(html.Tr([html.Th(heading) for _, heading in columns]))
    body = html.Tbody(
        [
            html.Tr(
                [html.Td(row.get(key, "")) for key, _ in columns],
                className=str(row.get(row_class, "")) if row_class else None,
            )
            for row in rows
        ]
    )
    return html.Div(html.Table([head, body], className="sp-table"))
