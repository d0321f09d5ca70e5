"""HTML attributes whose names Python cannot spell as keywords (aria-*, data-*)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def attrs(named: Mapping[str, str]) -> dict[str, Any]:
    """Return `named` as keyword arguments for a Dash html component, e.g.
    `html.Nav(links, **attrs({"aria-label": "Main"}))`."""
    return dict(named)
