"""CSV that a spreadsheet opens as data: every exported cell goes through `defuse_cell`.

A spreadsheet reads a cell that begins with "=", "+", "-" or "@" as a formula, and one that
begins with a tab or a carriage return after trimming it, so a feeder name, an alert message or
an audit target from the wire or a CSV could run a formula on the machine of whoever opens an
export (OWASP "CSV injection"). Such a cell gets a leading apostrophe, which spreadsheets show as
text and do not display. A plain number ("-12.5", "-3e2") stays a number.

An instant (an aware datetime) is written in India Standard Time, ISO 8601 to the second with
its offset ("2024-06-01T10:30:00+05:30"), whatever zone it came in: exports read as the
operators' clock. A naive datetime is refused, as the store refuses it.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Final

from grid.timezones import to_ist

FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet read a cell as a formula."""

_NUMBER: Final = re.compile(r"-?[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?")


def cell_text(value: Any) -> str:
    """Return a cell's text: "" for None, an instant in IST to the second, else str()."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return to_ist(value).isoformat(timespec="seconds")
    return str(value)


def defuse_cell(value: Any) -> str:
    """Return a cell's text, with a leading apostrophe if a spreadsheet would run it."""
    cell = cell_text(value)
    if cell.startswith(FORMULA_STARTS) and _NUMBER.fullmatch(cell) is None:
        return "'" + cell
    return cell


def csv_text(columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> str:
    """Return rows as CSV (RFC 4180) under a header of `columns`, every cell defused."""
    out = io.StringIO()
    writer = csv.writer(out)  # CRLF rows (RFC 4180): a CR or LF inside a cell is quoted
    writer.writerow([defuse_cell(name) for name in columns])
    for row in rows:
        writer.writerow([defuse_cell(row.get(name)) for name in columns])
    return out.getvalue()
