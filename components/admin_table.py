"""An admin table: a form that changes a list, the list drawn again after every change, and a
button on each row (the users, the notification routes, the report schedules).

Each table has a message line that says what became of the last change, a change counter (a
dcc.Store) that every successful change moves on and that the table's own callback listens to,
and the table itself. A page names the three ids once in an `AdminTable` and builds its
callbacks' outputs, inputs and results from it:

    ROUTES = AdminTable(ids.NOTIFY_MESSAGE, ids.NOTIFY_ROUTES_CHANGED, ids.NOTIFY_ROUTES)

    @callback(*ROUTES.outputs(), Input({"type": ..., "route": ALL}, "n_clicks"),
              ROUTES.counter_state(), prevent_initial_call=True)
    @access.state_changing("admin", ROUTE_REMOVE)
    def remove(user, _clicks, changed):
        route = clicked_row("route")
        return ROUTES.change(lambda: ..., changed, failed="Route not removed", errors=RouteError)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from dash import Input, Output, State, ctx, dcc, html
from dash.exceptions import PreventUpdate


@dataclass(frozen=True, slots=True)
class AdminTable:
    """The ids of one admin table: its message line, its change counter and its table."""

    message: str
    counter: str
    table: str

    def message_line(self) -> html.P:
        """Return the line that says what became of the last change."""
        return html.P(id=self.message, className="sp-message", role="status")

    def parts(self) -> list[Any]:
        """Return the table's place and its change counter."""
        return [html.Div(id=self.table), dcc.Store(id=self.counter, data=0)]

    def outputs(self, *, duplicate: bool = False) -> tuple[Output, Output]:
        """Return the outputs of a change: the message and the counter (`duplicate`: a second
        callback writing them)."""
        extra = {"allow_duplicate": True} if duplicate else {}
        return Output(self.message, "children", **extra), Output(self.counter, "data", **extra)

    def counter_state(self) -> State:
        """Return the counter as a change callback reads it."""
        return State(self.counter, "data")

    def redrawn(self) -> Input:
        """Return the input that draws the table again after a change."""
        return Input(self.counter, "data")

    def drawn(self) -> Output:
        """Return the table's output."""
        return Output(self.table, "children")

    @staticmethod
    def change(
        apply: Callable[[], str],
        counter: int | None,
        *,
        failed: str,
        errors: type[Exception] | tuple[type[Exception], ...],
        on_error: Callable[[Exception], None] | None = None,
    ) -> tuple[str, int]:
        """Apply a change; return its message and the counter, moved on only if it was made.

        `apply` returns what to say; one of `errors` is handed to `on_error` (to audit it), said
        as "{failed}: {error}." and changes nothing.
        """
        try:
            said = apply()
        except errors as err:
            if on_error is not None:
                on_error(err)
            return f"{failed}: {err}.", counter or 0
        return said, (counter or 0) + 1


def field(label: str, control: Any, **kwargs: Any) -> html.Label:
    """Return a labelled form field."""
    return html.Label([html.Span(label), control], className="sp-field", **kwargs)


def form(*controls: Any, hidden: bool = False) -> html.Div:
    """Return a form's fields and buttons on one wrapping row."""
    return html.Div(list(controls), className="sp-filters", hidden=hidden)


def row_button(label: str, kind: str, key: str, value: str | int) -> html.Button:
    """Return a row's button, its id {"type": kind, key: value} (see `clicked_row`)."""
    return html.Button(label, id={"type": kind, key: value}, className="sp-button sp-button-quiet")


def clicked_row(key: str) -> Any:
    """Return the `key` of the row whose button was clicked in this callback.

    Raises PreventUpdate when no button was clicked (the buttons were drawn again).
    """
    trigger = ctx.triggered_id
    if not ctx.triggered or not ctx.triggered[0].get("value") or not isinstance(trigger, dict):
        raise PreventUpdate
    return trigger.get(key)
