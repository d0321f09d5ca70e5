"""The admin table shared by the users, notifications and reports pages: a change moves the
counter on only when it was made, a refused one is said and handed on, and a row's button says
which row was clicked."""

from __future__ import annotations

import json
from typing import Any

import pytest
from dash import Input, Output, State
from dash._callback_context import context_value
from dash._utils import AttributeDict
from dash.exceptions import PreventUpdate

from components.admin_table import AdminTable, clicked_row, row_button

TABLE = AdminTable("t-message", "t-counter", "t-table")


class RefusalError(ValueError):
    pass


def test_a_change_moves_the_counter_on() -> None:
    assert TABLE.change(lambda: "Route 4 added.", 2, failed="Not added", errors=RefusalError) == (
        "Route 4 added.",
        3,
    )
    assert TABLE.change(lambda: "done", None, failed="Not added", errors=RefusalError) == (
        "done",
        1,
    )


def test_a_refused_change_is_said_and_handed_on() -> None:
    seen: list[Exception] = []

    def refuse() -> str:
        raise RefusalError("level: 7 is not a level")

    said = TABLE.change(
        refuse, 5, failed="Route not added", errors=RefusalError, on_error=seen.append
    )
    assert said == ("Route not added: level: 7 is not a level.", 5)
    assert [str(e) for e in seen] == ["level: 7 is not a level"]


def test_another_error_is_not_swallowed() -> None:
    def crash() -> str:
        raise KeyError("bug")

    with pytest.raises(KeyError):
        TABLE.change(crash, 0, failed="Not added", errors=RefusalError)


def test_outputs_inputs_and_parts_name_the_three_ids() -> None:
    message, counter = TABLE.outputs(duplicate=True)
    assert (message.component_id, message.component_property) == ("t-message", "children")
    assert (counter.component_id, counter.component_property) == ("t-counter", "data")
    assert message.allow_duplicate
    assert counter.allow_duplicate
    assert not TABLE.outputs()[0].allow_duplicate
    assert TABLE.counter_state() == State("t-counter", "data")
    assert TABLE.redrawn() == Input("t-counter", "data")
    assert TABLE.drawn() == Output("t-table", "children")
    table, store = TABLE.parts()
    assert (table.id, store.id, store.data) == ("t-table", "t-counter", 0)
    assert TABLE.message_line().id == "t-message"


def _clicked(trigger: dict[str, Any] | str, value: Any) -> Any:
    """Return clicked_row("route") as a callback triggered by `trigger` with `value` sees it."""
    key = trigger if isinstance(trigger, str) else json.dumps(trigger, separators=(",", ":"))
    token = context_value.set(
        AttributeDict(triggered_inputs=[{"prop_id": f"{key}.n_clicks", "value": value}])
    )
    try:
        return clicked_row("route")
    finally:
        context_value.reset(token)


def test_the_clicked_row_is_named_by_its_button() -> None:
    button = row_button("Remove", "route-remove", "route", 7)
    assert button.id == {"type": "route-remove", "route": 7}
    assert _clicked(button.id, 1) == 7


@pytest.mark.parametrize(
    ("trigger", "value"),
    [({"type": "route-remove", "route": 7}, None), ("t-counter", 1)],
)
def test_no_click_changes_nothing(trigger: dict[str, Any] | str, value: Any) -> None:
    with pytest.raises(PreventUpdate):
        _clicked(trigger, value)
