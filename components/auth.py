"""Sign-in and the HTTP guards of the control room, installed on the Flask server by app.py.

- `/login`: a plain HTML form POST of `username` and `password` (no Dash), `/logout` (POST).
- Every other path needs a signed-in user: a page GET is redirected to /login, anything else
  (the /_dash-* XHRs, POSTs) is answered 401; an anonymous POST to /_dash-update-component is
  audited as a denial.
- Every POST must carry an Origin (or, lacking it, a Referer) of this server or of
  SP_ALLOWED_ORIGINS; a cross-origin POST is refused with 403 and audited.
- After `login_max_failures` failed logins for a username or from an address within
  `login_window_s`, /login answers 429 until the failures age out of the window.
- The session cookie is HttpOnly, SameSite=Lax, Secure when `cookie_secure` (TLS).
"""

from __future__ import annotations

import logging
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Final
from urllib.parse import urlencode, urlsplit

import flask
import flask_login
from werkzeug.wrappers import Response

from components import access, runtime
from settings import Settings, SettingsError
from store.audit import audit
from store.logins import LOGIN_ACTION, LOGOUT_ACTION, login_failures
from store.users import verify_password

log = logging.getLogger("dashboard.auth")

LOGIN_PATH: Final = "/login"
LOGOUT_PATH: Final = "/logout"
PUBLIC_PATHS: Final = frozenset({LOGIN_PATH, "/_favicon.ico"})
PUBLIC_PREFIXES: Final = ("/assets/",)
SAFE_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS"})
SESSION_COOKIE: Final = "sp_session"
SESSION_LIFETIME: Final = timedelta(hours=12)
"""How long a sign-in lasts without activity."""
DEMO_SECRET_FILE: Final = "secret_key"
"""File next to the demo's SQLite store that keeps its generated session key."""

LOGIN_PAGE: Final = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>SmartPhase · Sign in</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font-family:system-ui,sans-serif;background:#10202e;color:#e8eef3;display:flex;
justify-content:center;align-items:center;min-height:100vh;margin:0}
form{background:#1b3043;padding:2rem 2.5rem;border-radius:8px;width:20rem}
h1{margin:0 0 1.2rem;font-size:1.4rem}label{display:block;margin:.8rem 0 .3rem}
input{width:100%;box-sizing:border-box;padding:.5rem;font-size:1rem;border-radius:4px;border:0}
button{margin-top:1.4rem;width:100%;padding:.6rem;font-size:1rem;background:#2f80c2;
color:#fff;border:0;border-radius:4px;cursor:pointer}
.error{background:#7a2630;padding:.5rem .7rem;border-radius:4px}
</style></head><body>
<form method="post" action="/login" id="login-form">
<h1>SmartPhase control room</h1>
{% if error %}<p class="error" id="login-error">{{ error }}</p>{% endif %}
<input type="hidden" name="next" value="{{ next }}">
<label for="username">Username</label>
<input id="username" name="username" autocomplete="username" required value="{{ username }}">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit" id="login-submit">Sign in</button>
</form></body></html>
"""


def session_secret(settings: Settings) -> str:
    """Return the session key: SP_SECRET_KEY, or for the SQLite demo a generated one.

    Production (a PostgreSQL store) must set SP_SECRET_KEY, so that every worker and every
    restart signs sessions with the same key. The embedded demo keeps a random key in a file
    next to its SQLite store (mode 0600), created on first start.
    """
    if settings.secret_key:
        return settings.secret_key
    path = settings.sqlite_path
    if path is None:
        raise SettingsError("SP_SECRET_KEY: required when the store is PostgreSQL (production)")
    key_file = path.parent / DEMO_SECRET_FILE
    if not key_file.exists():
        key_file.parent.mkdir(parents=True, exist_ok=True)
        key_file.touch(mode=0o600)
        key_file.write_text(secrets.token_hex(32))
        log.info("generated the demo session key in %s", key_file)
    return Path(key_file).read_text().strip()


def install(server: flask.Flask, settings: Settings) -> None:
    """Configure sessions and add the login routes and request guards to `server`."""
    server.config.update(
        SECRET_KEY=session_secret(settings),
        SESSION_COOKIE_NAME=SESSION_COOKIE,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.cookie_secure,
        PERMANENT_SESSION_LIFETIME=SESSION_LIFETIME,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SECURE=settings.cookie_secure,
        REMEMBER_COOKIE_SAMESITE="Lax",
        DEBUG=False,
    )
    server.debug = False
    manager = flask_login.LoginManager()
    manager.session_protection = "strong"
    manager.user_loader(access.load_user)
    manager.init_app(server)
    # First in line: the origin and sign-in checks run before Dash's own request hooks.
    server.before_request_funcs.setdefault(None, []).insert(0, guard_request)
    server.after_request(security_headers)
    server.add_url_rule(LOGIN_PATH, "login", login, methods=["GET", "POST"])
    server.add_url_rule(LOGOUT_PATH, "logout", logout, methods=["POST"])


def allowed_origins() -> set[str]:
    """Return the origins accepted on POSTs: this server's and SP_ALLOWED_ORIGINS."""
    own = flask.request.host_url.rstrip("/")
    extra = runtime.settings().allowed_origins
    return {own, *(o.strip().rstrip("/") for o in extra.split(",") if o.strip())}


def request_origin() -> str | None:
    """Return the Origin of this request, or the origin of its Referer, or None."""
    origin = flask.request.headers.get("Origin")
    if origin:
        return origin.rstrip("/")
    referer = flask.request.headers.get("Referer")
    if referer:
        parts = urlsplit(referer)
        if parts.scheme and parts.netloc:
            return f"{parts.scheme}://{parts.netloc}"
    return None


def guard_request() -> Response | None:
    """Refuse cross-origin POSTs (403) and anonymous requests (redirect or 401)."""
    request = flask.request
    if request.method not in SAFE_METHODS:
        origin = request_origin()
        if origin is None or origin not in allowed_origins():
            _audit_denied("http.cross_origin", request.path, {"origin": origin or "none"})
            return Response("cross-origin request refused", status=403, mimetype="text/plain")
    if request.path in PUBLIC_PATHS or request.path.startswith(PUBLIC_PREFIXES):
        return None
    if request.path.startswith("/_") and _only_page_route():
        # /_* belongs to the framework: no page lives there (e.g. the off MCP endpoint /_mcp).
        return Response("not found", status=404, mimetype="text/plain")
    if access.current_user() is not None:
        return None
    if request.method in SAFE_METHODS and not request.path.startswith("/_"):
        return flask.redirect(f"{LOGIN_PATH}?{urlencode({'next': _safe_next(request.full_path)})}")
    if request.path == "/_dash-update-component":
        _audit_anonymous_callback()
    return Response("sign in first", status=401, mimetype="text/plain")


def _audit_anonymous_callback() -> None:
    """Audit an anonymous call of a state-changing (or unknown) callback as a denial.

    Calls of read-only callbacks (a tab whose session ran out, still polling) are not audited.
    """
    body = flask.request.get_json(silent=True)
    output = str(body.get("output", "")) if isinstance(body, dict) else ""
    dash_app = runtime.current().dash_app
    entry = dash_app.callback_map.get(output) if dash_app is not None else None
    guard = access.guard_of(entry["callback"]) if entry and "callback" in entry else None
    if guard is not None and not guard.changes_state:
        return
    action = guard.action if guard is not None and guard.action else "callback"
    detail = {"output": output[:200]}
    if guard is not None and guard.minimum_role is not None:
        detail["required"] = guard.minimum_role
    _audit_denied(action, output[:128], detail)


def _only_page_route() -> bool:
    """Return whether the request matched nothing but Dash's catch-all page route."""
    rule = flask.request.url_rule
    return rule is None or rule.rule == "/<path:path>"


def security_headers(response: Response) -> Response:
    """Forbid framing and content sniffing, keep referrers on this site."""
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Content-Security-Policy", "frame-ancestors 'none'")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


def login() -> Response | str | tuple[str, int]:
    """Show the sign-in form, or check a posted username and password."""
    request = flask.request
    next_path = _safe_next(request.values.get("next", "/"))
    if request.method == "GET":
        if access.current_user() is not None:
            return flask.redirect(next_path)
        return flask.render_template_string(LOGIN_PAGE, error=None, next=next_path, username="")
    username = request.form.get("username", "").strip()
    password = request.form.get("password", "")
    settings = runtime.settings()
    now = datetime.now(UTC)
    address = access.client_address()
    with runtime.engine().begin() as conn:
        failures = login_failures(
            conn,
            username=username,
            address=address,
            since=now - timedelta(seconds=settings.login_window_s),
        )
        if max(failures.by_user, failures.by_address) >= settings.login_max_failures:
            audit(
                conn,
                actor=None,
                action=LOGIN_ACTION,
                target=username[:128],
                outcome="denied",
                detail={"reason": "too many failed logins"},
                address=address,
                ts=now,
            )
            response = Response(
                "Too many failed sign-ins; try again later.", status=429, mimetype="text/plain"
            )
            response.headers["Retry-After"] = str(settings.login_window_s)
            return response
        role = verify_password(conn, username, password)
        audit(
            conn,
            actor=username if role is not None else None,
            action=LOGIN_ACTION,
            target=username[:128],
            outcome="ok" if role is not None else "failed",
            detail={} if role is None else {"role": role},
            address=address,
            ts=now,
        )
    if role is None:
        log.info("failed sign-in for %r from %s", username, address)
        page = flask.render_template_string(
            LOGIN_PAGE, error="Wrong username or password.", next=next_path, username=username
        )
        return page, 401
    flask.session.clear()
    flask.session.permanent = True
    flask_login.login_user(access.LoginUser(access.Identity(username, role)))
    log.info("%s signed in (%s) from %s", username, role, address)
    return flask.redirect(next_path)


def logout() -> Response:
    """Sign out and return to the sign-in form."""
    identity = access.current_user()
    if identity is not None:
        access.audit_action(LOGOUT_ACTION, identity.username)
    flask_login.logout_user()
    flask.session.clear()
    return flask.redirect(LOGIN_PATH)


def _safe_next(path: str) -> str:
    """Return `path` if it is a path on this site, else "/" (no open redirect)."""
    path = path.rstrip("?") or "/"
    if not path.startswith("/") or path.startswith("//") or "\\" in path:
        return "/"
    if path.startswith(LOGIN_PATH):
        return "/"
    return path


def _audit_denied(action: str, target: str, detail: dict[str, str]) -> None:
    identity = access.current_user()
    with runtime.engine().begin() as conn:
        audit(
            conn,
            actor=identity.username if identity else None,
            action=action,
            target=target[:128],
            outcome="denied",
            detail={"role": identity.role if identity else "anonymous", **detail},
            address=access.client_address(),
        )
