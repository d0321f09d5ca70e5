"""Log (/log): every command, switch and balancing run with who, why and result, every user action
and every denial, one row each; filtered, sorted and paged on the server, with a CSV export of
what is shown.

The table holds one page (PAGE_SIZE rows); its pager (first, previous, next, last) and its column
sorts (time, feeder, district, who, kind) ask the server for another page, so a million-row log
draws as fast as a short one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

import dash
from dash import Input, Output, callback, ctx, dcc, html
from dash.dash_table.DataTable import DataTable

from components import access, ids, runtime
from components.activity_log import (
    PAGE_SIZE,
    SORT_COLUMNS,
    FilterError,
    export_href,
    order_of_table,
    parse_filter,
    parse_order,
)
from components.layout import build_page
from components.strings import page_title, text
from components.tables import fmt_time
from store.queries import districts
from store.queries.log import LOG_KINDS, LOG_RESULTS, LogPage, log_page

dash.register_page(__name__, path="/log", title=page_title("log_title"), name="Log")

COLUMNS: Final = (
    "ts", "kind", "who", "action", "target", "feeder", "district", "why", "result", "reason",
)  # fmt: skip
"""The table's columns; each heading is the string `log_col_<column>` (components/strings)."""
UNSORTABLE_CSS: Final = [
    DataTable.Css(
        selector=f'th[data-dash-column="{key}"] .column-header--sort', rule="display: none"
    )
    for key in COLUMNS
    if key not in SORT_COLUMNS
]
"""No sort arrows on the columns the log does not sort by."""
FILTERS: Final = (
    (ids.LOG_KIND, "kind"),
    (ids.LOG_FEEDER, "feeder"),
    (ids.LOG_DISTRICT, "district"),
    (ids.LOG_USER, "user"),
    (ids.LOG_OUTCOME, "result"),
    (ids.LOG_FROM, "from"),
    (ids.LOG_TO, "to"),
)
"""Each filter control and the query parameter it fills."""


def layout(**_query: str) -> html.Main:
    """Return the page: filters, the count and export link, and one page of the log."""
    with runtime.engine().connect() as conn:
        district_names = districts(conn)
    day = text("log_date_format")
    return build_page(
        text("log_title"),
        html.Div(
            [
                _field(
                    text("log_kind"),
                    dcc.Dropdown(list(LOG_KINDS), id=ids.LOG_KIND, placeholder=text("all")),
                ),
                _field(text("field_feeder"), dcc.Input(id=ids.LOG_FEEDER, debounce=True)),
                _field(
                    text("field_district"),
                    dcc.Dropdown(district_names, id=ids.LOG_DISTRICT, placeholder=text("any")),
                ),
                _field(
                    text("log_who"),
                    dcc.Input(id=ids.LOG_USER, debounce=True, placeholder=text("log_who_hint")),
                ),
                _field(
                    text("log_result"),
                    dcc.Dropdown(list(LOG_RESULTS), id=ids.LOG_OUTCOME, placeholder=text("any")),
                ),
                _field(
                    text("log_from"), dcc.Input(id=ids.LOG_FROM, placeholder=day, debounce=True)
                ),
                _field(text("log_to"), dcc.Input(id=ids.LOG_TO, placeholder=day, debounce=True)),
            ],
            className="sp-filters",
        ),
        html.Div(
            [
                html.Span(id=ids.LOG_COUNT, className="sp-message", role="status"),
                html.A(
                    text("log_export"), id=ids.LOG_EXPORT, href="/log.csv", className="sp-button"
                ),
            ],
            className="sp-toolbar",
        ),
        DataTable(
            id=ids.LOG_TABLE,
            columns=[{"id": key, "name": text(f"log_col_{key}")} for key in COLUMNS],
            data=[],
            page_action="custom",
            page_current=0,
            page_size=PAGE_SIZE,
            page_count=1,
            sort_action="custom",
            sort_mode="single",
            sort_by=[],
            style_as_list_view=True,
            style_table={"overflowX": "auto"},
            style_cell={
                "padding": "5px 8px",
                "fontFamily": "inherit",
                "textAlign": "left",
                "whiteSpace": "normal",
                "height": "auto",
            },
            style_header={"fontWeight": "bold"},
            style_data_conditional=[
                {"if": {"filter_query": '{result} = "denied"'}, "backgroundColor": "#fff1e6"},
                {"if": {"column_id": "ts"}, "whiteSpace": "nowrap"},
            ],
            css=UNSORTABLE_CSS,
        ),
        class_name="sp-log-page",
    )


def _field(label: str, control: Any) -> html.Label:
    return html.Label([html.Span(label), control], className="sp-field")


def page_rows(page: LogPage) -> list[dict[str, str]]:
    """Return the table rows of a page (times in IST, to the second)."""
    return [{**e.as_row(), "ts": fmt_time(e.ts)} for e in page.entries]


def count_text(page: LogPage) -> str:
    """Return the line above the table: which rows of how many are shown."""
    if page.total == 0:
        return text("log_none")
    first = page.page * page.size + 1
    last = first + len(page.entries) - 1
    return text(
        "log_count",
        first=f"{first:,}",
        last=f"{last:,}",
        total=f"{page.total:,}",
        page=f"{page.page + 1:,}",
        pages=f"{page.pages:,}",
    )


@callback(
    Output(ids.LOG_TABLE, "data"),
    Output(ids.LOG_TABLE, "page_count"),
    Output(ids.LOG_TABLE, "page_current"),
    Output(ids.LOG_COUNT, "children"),
    Output(ids.LOG_EXPORT, "href"),
    *(Input(component, "value") for component, _ in FILTERS),
    Input(ids.LOG_TABLE, "page_current"),
    Input(ids.LOG_TABLE, "sort_by"),
)
@access.read_only
def show_log(*args: Any) -> tuple[list[dict[str, str]], int, int, str, str]:
    """Return one page of the filtered, sorted log, the count line and the export link.

    A new filter or sort starts again at the first page.
    """
    *filters, page_current, sort_by = args
    values = {name: value for (_, name), value in zip(FILTERS, filters, strict=True)}
    values |= order_of_table(sort_by)
    paging = ctx.triggered_id == ids.LOG_TABLE and _only_paged(ctx.triggered_prop_ids)
    page = int(page_current or 0) if paging else 0
    try:
        log_filter, order = parse_filter(values), parse_order(values)
    except FilterError as err:
        return [], 1, 0, text("log_bad_filter", error=err), export_href({})
    with runtime.engine().connect() as conn:
        found = log_page(conn, log_filter, order, page=page, size=PAGE_SIZE)
    return page_rows(found), found.pages, found.page, count_text(found), export_href(values)


def _only_paged(triggered: Mapping[str, Any] | Sequence[str]) -> bool:
    """Return whether only the table's page changed (not a filter, not the sort)."""
    return all(str(prop).endswith(".page_current") for prop in triggered)
