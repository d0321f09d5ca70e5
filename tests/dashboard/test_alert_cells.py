"""The alerts table's cells: times in IST with the date and the clock each kept whole, and
children the browser can draw (a flat list, never a list inside a list)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from components.alert_list import build_alert_table
from store.alerting import Alert, AlertPage, ListedAlert

RAISED = datetime(2024, 6, 1, 23, 45, 7, tzinfo=UTC)
CLEARED = datetime(2024, 6, 2, 1, 0, 0, tzinfo=UTC)


def _alert(**changes: Any) -> Alert:
    values: dict[str, Any] = {
        "alert_id": "A-1",
        "feeder_id": "KL-TVM-0001",
        "house_id": "KL-TVM-0001-H001",
        "kind": "house_offline",
        "severity": "warning",
        "state": "cleared",
        "message": "house KL-TVM-0001-H001 has not reported",
        "raised_at": RAISED,
        "acked_by": "otto",
        "acked_at": RAISED,
        "cleared_at": CLEARED,
        "updated_at": CLEARED,
    }
    return Alert(**{**values, **changes})


def _cells(table: Any) -> dict[str, Any]:
    row = table.to_plotly_json()["props"]["children"].children[1].children[0]
    return {td.className.removeprefix("sp-col-"): td.children for td in row.children}


def _text(children: Any) -> str:
    if isinstance(children, str):
        return children
    if isinstance(children, list):
        return "".join(_text(c) for c in children)
    return _text(getattr(children, "children", ""))


def _nested(children: Any) -> bool:
    if not isinstance(children, list):
        inner = getattr(children, "children", None)
        return inner is not None and _nested(inner)
    return any(isinstance(c, list) or _nested(c) for c in children)


def test_a_cleared_alert_shows_ist_times_in_flat_cells() -> None:
    page = AlertPage(rows=(ListedAlert(_alert()),), total=1, page=0, page_size=50)
    cells = _cells(build_alert_table(page, can_ack=True, selected=()))
    assert _text(cells["raised"]) == "2024-06-02 05:15:07"
    assert _text(cells["cleared"]) == "Cleared (IST): 2024-06-02 06:30:00"
    assert "otto at 2024-06-02 05:15:07" in _text(cells["acked"])
    assert not any(_nested(c) for c in cells.values()), cells
