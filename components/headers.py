"""The security headers of every response: a Content-Security-Policy, no sniffing, no framing,
referrers kept on this site.

The policy allows scripts from this server only, plus the inline scripts Dash writes into each
page (its renderer's start and the clientside callbacks), each by its SHA-256 hash: an injected
inline script or event handler (`onerror=...`) does not run.
Dash's `<script id="_dash-config" type="application/json">` is data, not a script, and needs
nothing. Styles may be inline (Dash, Plotly and Leaflet set them), images may be data: and blob:
URIs (the enrolment QR code, Leaflet's icons, Plotly's "download plot as PNG") and come from the
map tiles' host when SP_MAP_TILES_URL is set.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final
from urllib.parse import urlsplit

import dash
import flask
from dash import _callback as dash_callbacks
from werkzeug.wrappers import Response

FIXED_HEADERS: Final = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}
"""Headers every response carries, with the policy below."""

EXTENSION: Final = "smartphase_csp"
"""Where the app's policy is kept in `flask.Flask.extensions`."""


def content_security_policy(script_hashes: Sequence[str], tiles_url: str | None = None) -> str:
    """Return the Content-Security-Policy of the control room.

    `script_hashes` are CSP source expressions ("'sha256-...'") of the inline scripts the
    pages may run; `tiles_url` is a map tiles template such as
    `https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png`, whose host may serve images.
    """
    images = ["'self'", "data:", "blob:"]
    if tiles_url:
        images.append(tiles_source(tiles_url))
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'", *script_hashes],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": images,
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


def tiles_source(tiles_url: str) -> str:
    """Return the CSP source of a tiles URL template: its scheme and host, with a leading
    placeholder label ("{s}.tile.example.org") as a wildcard; the scheme alone otherwise."""
    parts = urlsplit(tiles_url)
    scheme = parts.scheme or "https"
    labels = parts.netloc.split(".")
    if labels and "{" in labels[0] and len(labels) > 2:
        labels[0] = "*"
    host = ".".join(labels)
    if not host or "{" in host or "}" in host:
        return f"{scheme}:"
    return f"{scheme}://{host}"


class PagePolicy:
    """The policy of one app, hashed again whenever Dash has added an inline script.

    Dash registers one clientside callback of its pages router at the first request, after the
    app is built, so the hashes are taken from the app itself, not once at start-up.
    """

    def __init__(self, dash_app: dash.Dash, tiles_url: str | None) -> None:
        self.dash_app = dash_app
        self.tiles_url = tiles_url
        self._scripts = -1
        self._policy = ""

    def current(self) -> str:
        """Return the policy for the inline scripts the app has now."""
        scripts = len(self.dash_app._inline_scripts) + len(dash_callbacks.GLOBAL_INLINE_SCRIPTS)
        if scripts != self._scripts:
            self._policy = content_security_policy(
                self.dash_app.csp_hashes("sha256"), self.tiles_url
            )
            self._scripts = len(self.dash_app._inline_scripts)
        return self._policy


def install(server: flask.Flask, dash_app: dash.Dash, tiles_url: str | None) -> PagePolicy:
    """Send the app's policy and the other headers with every response of `server`."""
    policy = PagePolicy(dash_app, tiles_url)
    server.extensions[EXTENSION] = policy
    server.after_request(add_headers)
    return policy


def add_headers(response: Response) -> Response:
    """Add the security headers to a response (a header it already has is kept)."""
    for name, value in FIXED_HEADERS.items():
        response.headers.setdefault(name, value)
    policy = flask.current_app.extensions.get(EXTENSION)
    if isinstance(policy, PagePolicy):
        response.headers.setdefault("Content-Security-Policy", policy.current())
    return response
