"""Pieces of the wall display: its rotation, the region each turn fits, the feeders that need
attention and the active alerts, most severe first. Pure over store rows (no I/O).

The wall renders more rows than fit and assets/wall.js hides those that overflow the screen,
saying "+N more" for them and for the rows it was never sent (`data-total` on each list; the
words come with the list, `data-template` on its "+N more" line).

The lists are built once per fleet read for every screen, outside any request: each builder
takes the interface language `lang` (None: the language of the app serving the request).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Final

from dash import html

from components.feeder_map import KERALA_BOUNDS, Bounds, state_label
from components.html_attrs import attrs
from components.strings import EN, text
from grid.feeder_states import NEEDS_ATTENTION, SEVERITY, STATE_LOOKS
from grid.phasors import PHASES
from store.alerting import SEVERITIES
from store.queries import IST, Alert, FeederMapRow

MIN_SPAN_DEG: Final = 0.3
"""Smallest region a wall fits around feeders without a district polygon [°]."""
BANNER: Final = {
    "data-lost": "wall_server_lost",
    "data-none": "wall_no_data",
    "data-stale": "wall_stale",
}
"""The stale banner's sentences (pages/wall.py): the attribute that carries each template to the
browser, and its string; the browser fills in `{at}` and `{minutes}`."""

_STATE_RANK: Final = {state: k for k, state in enumerate(SEVERITY)}
_ALERT_RANK: Final = {severity: k for k, severity in enumerate(SEVERITIES)}


def district_cycle(rows: Sequence[FeederMapRow]) -> list[str | None]:
    """Return the wall's rotation: all of Kerala (None), then each district with feeders."""
    return [None, *sorted({r.district for r in rows})]


def region_bounds(
    district: str | None, rows: Sequence[FeederMapRow], districts: Mapping[str, Bounds]
) -> Bounds:
    """Return what a turn of the wall fits: Kerala, or the district's polygon.

    A district without a polygon (a name the map does not know) gets its feeders' bounds, at
    least MIN_SPAN_DEG on each side, so that one feeder never fills the screen.
    """
    if district is None:
        return KERALA_BOUNDS
    if district in districts:
        return districts[district]
    members = [r for r in rows if r.district == district]
    if not members:
        return KERALA_BOUNDS
    lats = [r.lat for r in members]
    lons = [r.lon for r in members]
    mid_lat, mid_lon = (min(lats) + max(lats)) / 2, (min(lons) + max(lons)) / 2
    half_lat = max(max(lats) - min(lats), MIN_SPAN_DEG) / 2
    half_lon = max(max(lons) - min(lons), MIN_SPAN_DEG) / 2
    return ((mid_lat - half_lat, mid_lon - half_lon), (mid_lat + half_lat, mid_lon + half_lon))


def needing_attention(rows: Sequence[FeederMapRow]) -> list[FeederMapRow]:
    """Return the feeders whose state needs attention, the worst first.

    By state (SEVERITY), then by how hard the feeder is pressed: its heaviest phase or its
    neutral against the rated phase current; offline feeders the longest silent first.
    """

    def pressure(r: FeederMapRow) -> float:
        if r.state == "overloaded":
            return max((i or 0.0 for i in (r.i_r, r.i_y, r.i_b)), default=0.0) / r.rated_a
        if r.state == "unbalanced":
            return (r.i_n or 0.0) / r.rated_a
        return -r.last_seen.timestamp() if r.last_seen is not None else float("inf")

    chosen = [r for r in rows if r.state in NEEDS_ATTENTION]
    return sorted(chosen, key=lambda r: (_STATE_RANK[r.state], -pressure(r), r.feeder_id))


def by_severity(alerts: Sequence[Alert]) -> list[Alert]:
    """Return alerts by severity (critical first), then newest first."""
    return sorted(
        alerts,
        key=lambda a: (
            _ALERT_RANK.get(a.severity, len(_ALERT_RANK)),
            -a.raised_at.timestamp(),
            a.alert_id,
        ),
    )


def attention_detail(row: FeederMapRow, lang: str | None = None) -> str:
    """Return what makes a feeder need attention, in words a wall can show."""
    if row.state == "overloaded":
        phases = zip(PHASES, (row.i_r, row.i_y, row.i_b), strict=True)
        currents = [(ph, i) for ph, i in phases if i is not None]
        if currents:
            phase, current = max(currents, key=lambda c: c[1])
            return text("wall_phase_current", lang, phase=phase, current=f"{current:.0f}")
    if row.state == "unbalanced" and row.i_n is not None:
        return text("wall_neutral_current", lang, current=f"{row.i_n:.0f}")
    if row.state == "offline":
        if row.last_seen is None:
            return text("wall_never_reported", lang)
        return text("wall_offline_since", lang, at=f"{row.last_seen.astimezone(IST):%H:%M}")
    return text("wall_no_figures", lang)


def banner_templates(lang: str | None = None) -> dict[str, str]:
    """Return the stale banner's `data-*` attributes: each sentence's template in `lang`."""
    return {attribute: text(key, lang) for attribute, key in BANNER.items()}


def _more(lang: str | None) -> html.P:
    """Return the list's "+N more" line, empty until assets/wall.js fills its template."""
    return html.P(className="sp-more", **attrs({"data-template": text("wall_more", lang)}))


def _total(count: int) -> dict[str, Any]:
    """Return the attribute that tells assets/wall.js how many rows a list has in all."""
    return {"data-total": str(count)}


def build_attention(
    rows: Sequence[FeederMapRow], limit: int, region: str, lang: str | None = None
) -> list[Any]:
    """Return the "Needs attention" section: its heading with the count, up to `limit` rows."""
    chosen = needing_attention(rows)
    heading = html.H2(
        [text("wall_attention", lang), html.Span(f" {len(chosen)}", className="sp-count")]
    )
    if not chosen:
        quiet = text("wall_fine", lang, region=region)
        return [heading, html.P(quiet, className="sp-wall-quiet")]
    body = []
    for r in chosen[:limit]:
        look = STATE_LOOKS[r.state]
        body.append(
            html.Tr(
                [
                    html.Td(
                        html.Span(
                            state_label(r.state, lang),
                            className="sp-wall-badge",
                            style={"backgroundColor": look.color, "color": look.ink},
                        )
                    ),
                    html.Td(
                        [html.Strong(r.feeder_id), html.Span(f" {r.name}", className="sp-name")],
                        className="sp-wall-feeder",
                    ),
                    html.Td(attention_detail(r, lang), className="sp-num"),
                ],
                className=f"sp-fit-item sp-state-{r.state}",
            )
        )
    table = html.Table(html.Tbody(body), className="sp-wall-table", **_total(len(chosen)))
    return [heading, table, _more(lang)]


def alert_age(raised_at: datetime, now: datetime, lang: str | None = None) -> str:
    """Return how long an alert has been active: minutes, then hours, then days."""
    minutes = max(0, int((now - raised_at).total_seconds() // 60))
    if minutes < 60:
        return text("wall_age_minutes", lang, minutes=minutes)
    if minutes < 48 * 60:
        return text("wall_age_hours", lang, hours=minutes // 60, minutes=f"{minutes % 60:02d}")
    return text("wall_age_days", lang, days=minutes // 1440)


def build_alerts(
    alerts: Sequence[Alert],
    total: int,
    now: datetime,
    region: str | None = None,
    lang: str | None = None,
) -> list[Any]:
    """Return the "Active alerts" section of a region (None: all Kerala): the alerts given, most
    severe first, of `total` active in the region."""
    shown = region or text("wall_kerala", lang)
    heading = html.H2(
        [text("wall_alerts", lang), html.Span(f" {total}", className="sp-count")],
        **attrs({"data-region": shown}),
    )
    if not alerts:
        quiet = text("wall_no_alerts", lang, region=shown)
        return [heading, html.P(quiet, className="sp-wall-quiet")]
    items = [
        html.Li(
            [
                html.Div(
                    [
                        html.Span(
                            severity_label(a.severity, lang),
                            className=f"sp-sev sp-sev-{a.severity}",
                        ),
                        html.Strong(f" {a.feeder_id or text('wall_hq', lang)}"),
                        html.Span(f" · {alert_age(a.raised_at, now, lang)}", className="sp-age"),
                    ]
                ),
                html.Div(a.message, className="sp-wall-message"),
            ],
            className=f"sp-fit-item sp-alert-{a.severity}",
        )
        for a in by_severity(alerts)
    ]
    return [
        heading,
        html.Ul(items, className="sp-wall-alerts", **_total(total)),
        _more(lang),
    ]


def severity_label(severity: str, lang: str | None = None) -> str:
    """Return an alert's severity as the wall shows it ("CRITICAL"); an unknown one as it is."""
    key = f"wall_severity_{severity}"
    return text(key, lang) if key in EN else severity.upper()
