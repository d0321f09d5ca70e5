"""Sign-in and the HTTP guards of the control room, installed on the Flask server by app.py.

- `/login`: a plain HTML form POST of `username` and `password` (no Dash). A user with a second
  factor then gives a code at `/login/code`, and an operator or admin without one, when
  SP_MFA_REQUIRED, enrols at `/account` before the sign-in completes (components/mfa.py).
  `/logout` (POST) ends every session of the user.
- Sessions (components/access.py): HttpOnly, SameSite=Lax, Secure when `cookie_secure`; a
  session carries its user's session epoch and its start, and ends with the epoch (logout,
  disabling, role or password change) or SP_SESSION_LIFETIME_S after the sign-in.
- After a sign-in, only a path on this site is followed (`safe_next`): no scheme, no host, no
  control or whitespace character, however a browser would normalise it.
- Every other path needs a signed-in user: a page GET is redirected to /login, anything else
  (the /_dash-* XHRs, POSTs) is answered 401, and an anonymous callback POST is audited as a
  denial from at most its first 4 KiB, never parsed. Denials repeated within a minute are
  counted on one audit row (store/denials.py).
- Every POST must carry an Origin (or, lacking it, a Referer) of this server or of
  SP_ALLOWED_ORIGINS; a cross-origin POST is refused with 403 and audited.
- Request bodies are capped: MAX_REQUEST_BYTES signed in, ANONYMOUS_MAX_BYTES otherwise (HTTP
  413 beyond).
- Sign-in attempts are limited per address and per account (store/logins.py): an address past
  the limit gets 429 for the rest of the window, an account is slowed down, never locked.
- Behind SP_TRUSTED_PROXIES reverse proxies, the client address, scheme and host are the
  forwarded ones (werkzeug's ProxyFix); with none, forwarded headers are ignored.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import time
import unicodedata
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlencode, urlsplit

import flask
import flask_login
from werkzeug.exceptions import ClientDisconnected, RequestEntityTooLarge
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Response

from components import access, runtime
from components.strings import html_lang, strings, text
from settings import Settings, SettingsError
from store.audit import audit
from store.denials import record_denial
from store.logins import (
    LOGIN_ACTION,
    LOGOUT_ACTION,
    LoginLimits,
    Refusal,
    account_key,
    address_key,
    admit,
    settle,
)
from store.users import SessionUser, bump_session_epoch, session_user, verify_password

log = logging.getLogger("dashboard.auth")

LOGIN_PATH: Final = "/login"
CODE_PATH: Final = "/login/code"
ACCOUNT_PATH: Final = "/account"
LOGOUT_PATH: Final = "/logout"
PUBLIC_PATHS: Final = frozenset({LOGIN_PATH, CODE_PATH, ACCOUNT_PATH, "/_favicon.ico"})
"""Paths the guard lets anyone reach; /login/code and /account check the session themselves."""
PUBLIC_PREFIXES: Final = ("/assets/",)
SAFE_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS"})
SESSION_COOKIE: Final = "sp_session"
DEMO_SECRET_FILE: Final = "secret_key"
"""File next to the demo's SQLite store that keeps its generated session key."""

MAX_REQUEST_BYTES: Final = 1024 * 1024
"""Largest request body of a signed-in user [bytes]; a callback POST is a few KiB."""
ANONYMOUS_MAX_BYTES: Final = 16 * 1024
"""Largest request body before sign-in [bytes]: the sign-in forms."""
PEEK_BYTES: Final = 4096
"""What is read of an anonymous callback POST to name the callback in the audit row [bytes]."""

PENDING: Final = "sp_pending"
"""Session key of a sign-in whose password was right and whose second step is to come."""
PENDING_S: Final = 300
"""How long the second step may take [s]."""
PENDING_TRIES: Final = 5
"""Codes one pending sign-in may try before it starts again at the password."""

_CALLBACK_OUTPUT: Final = re.compile(rb'"output"\s*:\s*("(?:[^"\\]|\\.){0,1000}")')
"""The `output` key of a callback POST (the renderer writes it first)."""

PAGE_HEAD: Final = """<!doctype html>
<html lang="{{ lang }}"><head><meta charset="utf-8"><title>SmartPhase · {{ title }}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font-family:system-ui,sans-serif;background:#10202e;color:#e8eef3;display:flex;
min-height:100vh;margin:0}
body>form,body>section{margin:auto;background:#1b3043;padding:2rem 2.5rem;border-radius:8px;
width:22rem}
h1{margin:0 0 1.2rem;font-size:1.4rem}label{display:block;margin:.8rem 0 .3rem}
input{width:100%;box-sizing:border-box;padding:.5rem;font-size:1rem;border-radius:4px;border:0}
button{margin-top:1.4rem;width:100%;padding:.6rem;font-size:1rem;background:#2f80c2;
color:#fff;border:0;border-radius:4px;cursor:pointer}
a{color:#9fd0ff}.error{background:#7a2630;padding:.5rem .7rem;border-radius:4px}
.note{color:#b8c7d3;font-size:.9rem}.qr{background:#fff;padding:.6rem;border-radius:4px;
display:block;margin:.6rem auto;width:220px;height:220px}
code{font-size:1.05rem;letter-spacing:.05em}ul.codes{columns:2;padding-left:1.2rem}
@media (min-width:2400px){html{font-size:150%}}@media (min-width:3400px){html{font-size:200%}}
body>form,body>section{max-width:calc(100vw - 2rem);box-sizing:border-box}
</style></head><body>
"""

LOGIN_PAGE: Final = (
    PAGE_HEAD
    + """<form method="post" action="/login" id="login-form">
<h1>{{ s.login_heading }}</h1>
{% if error %}<p class="error" id="login-error">{{ error }}</p>{% endif %}
<input type="hidden" name="next" value="{{ next }}">
<label for="username">{{ s.login_username }}</label>
<input id="username" name="username" autocomplete="username" required value="{{ username }}">
<label for="password">{{ s.login_password }}</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit" id="login-submit">{{ s.login_submit }}</button>
</form></body></html>
"""
)


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
    """Configure sessions and request caps, add the login routes and the request guard."""
    server.config.update(
        SECRET_KEY=session_secret(settings),
        SESSION_COOKIE_NAME=SESSION_COOKIE,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.cookie_secure,
        PERMANENT_SESSION_LIFETIME=timedelta(seconds=settings.session_lifetime_s),
        SESSION_REFRESH_EACH_REQUEST=False,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SECURE=settings.cookie_secure,
        REMEMBER_COOKIE_SAMESITE="Lax",
        MAX_CONTENT_LENGTH=MAX_REQUEST_BYTES,
        DEBUG=False,
    )
    server.debug = False
    if settings.trusted_proxies:
        n = settings.trusted_proxies
        server.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            server.wsgi_app, x_for=n, x_proto=n, x_host=n, x_port=n
        )
    manager = flask_login.LoginManager()
    manager.session_protection = "strong"
    manager.user_loader(access.load_user)
    manager.init_app(server)
    # First in line: the origin and sign-in checks run before Dash's own request hooks.
    server.before_request_funcs.setdefault(None, []).insert(0, guard_request)
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
    """Refuse cross-origin POSTs (403) and anonymous requests (redirect or 401), cap bodies."""
    request = flask.request
    if request.method not in SAFE_METHODS:
        origin = request_origin()
        if origin is None or origin not in allowed_origins():
            _audit_denied("http.cross_origin", request.path, {"origin": (origin or "none")[:200]})
            return Response("cross-origin request refused", status=403, mimetype="text/plain")
    identity = access.current_user()
    if identity is None:
        request.max_content_length = ANONYMOUS_MAX_BYTES
    if request.path in PUBLIC_PATHS or request.path.startswith(PUBLIC_PREFIXES):
        return None
    if request.path.startswith("/_") and _only_page_route():
        # /_* belongs to the framework: no page lives there (e.g. the off MCP endpoint /_mcp).
        return Response("not found", status=404, mimetype="text/plain")
    if identity is not None:
        if access.needs_second_factor(identity):
            return _enrol_first(request.method, request.path)
        return None
    if request.method in SAFE_METHODS and not request.path.startswith("/_"):
        return flask.redirect(f"{LOGIN_PATH}?{urlencode({'next': safe_next(request.full_path)})}")
    if request.path == "/_dash-update-component":
        _audit_anonymous_callback()
    return Response(text("log_sign_in_first"), status=401, mimetype="text/plain")


def _enrol_first(method: str, path: str) -> Response:
    """Send a user whom SP_MFA_REQUIRED makes enrol a second factor to /account first."""
    if method in SAFE_METHODS and not path.startswith("/_"):
        query = urlencode({"next": safe_next(flask.request.full_path)})
        return flask.redirect(f"{ACCOUNT_PATH}?{query}")
    return Response(text("auth_enrol_first"), status=403, mimetype="text/plain")


def _audit_anonymous_callback() -> None:
    """Audit an anonymous call of a state-changing (or unknown) callback as a denial.

    The callback is named from the first PEEK_BYTES of the body (the renderer writes `output`
    first); the rest is never read. Calls of read-only callbacks (a tab whose session ran out,
    still polling) are not audited.
    """
    output = _peek_callback_output()
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


def _peek_callback_output() -> str:
    """Return the `output` named at the start of this request's body, or ""."""
    request = flask.request
    if (request.content_length or 0) > ANONYMOUS_MAX_BYTES:
        return ""
    try:
        head = request.stream.read(PEEK_BYTES)
    except (RequestEntityTooLarge, ClientDisconnected):
        return ""
    found = _CALLBACK_OUTPUT.search(head)
    if found is None:
        return ""
    try:
        output = json.loads(found.group(1))
    except ValueError:
        return ""
    return output if isinstance(output, str) else ""


def _only_page_route() -> bool:
    """Return whether the request matched nothing but Dash's catch-all page route."""
    rule = flask.request.url_rule
    return rule is None or rule.rule == "/<path:path>"


def login_limits(settings: Settings) -> LoginLimits:
    """Return the sign-in rate limit of the settings."""
    return LoginLimits(
        max_failures=settings.login_max_failures,
        window_s=settings.login_window_s,
        account_delay_s=settings.login_account_delay_s,
    )


def page(template: str, status: int = 200, **context: Any) -> Response:
    """Return a sign-in page in the interface language (`lang`, its strings as `s`), never
    cached (it may hold recovery codes)."""
    lang = html_lang()
    body = flask.render_template_string(template, lang=lang, s=strings(lang), **context)
    response = Response(body, status=status, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    return response


def login() -> Response:
    """Show the sign-in form, or check a posted username and password."""
    request = flask.request
    next_path = safe_next(request.values.get("next", "/"))
    if request.method == "GET":
        if access.current_user() is not None:
            return flask.redirect(next_path)
        return page(LOGIN_PAGE, title=text("login_title"), error=None, next=next_path, username="")
    username = request.form.get("username", "").strip()[:128]
    password = request.form.get("password", "")
    settings = runtime.settings()
    limits = login_limits(settings)
    now = datetime.now(UTC)
    address = access.client_address()
    keys = (address_key(address), account_key(username))
    with runtime.engine().begin() as conn:
        refusal = admit(conn, keys=keys, now=now, limits=limits)
    if refusal is not None:
        return too_many(LOGIN_ACTION, username, refusal, now)
    with runtime.engine().begin() as conn:
        role = verify_password(conn, username, password)
        user = session_user(conn, username) if role is not None else None
        settle(conn, keys=keys, ok=user is not None, now=now, limits=limits)
        if user is None:
            audit(
                conn,
                actor=None,
                action=LOGIN_ACTION,
                target=username,
                outcome="failed",
                detail={},
                address=address,
                ts=now,
            )
    if user is None:
        log.info("failed sign-in for %r from %s", username, address)
        return page(
            LOGIN_PAGE,
            status=401,
            title=text("login_title"),
            error=text("login_wrong"),
            next=next_path,
            username=username,
        )
    if user.mfa:
        begin_pending(user, enrol=False, next_path=next_path)
        return flask.redirect(f"{CODE_PATH}?{urlencode({'next': next_path})}")
    if settings.mfa_required and access.has_role(
        access.SECOND_FACTOR_ROLE, access.Identity(user.username, user.role)
    ):
        begin_pending(user, enrol=True, next_path=next_path)
        return flask.redirect(f"{ACCOUNT_PATH}?{urlencode({'next': next_path})}")
    sign_in(user, None)
    return flask.redirect(next_path)


def too_many(action: str, username: str, refusal: Refusal, now: datetime) -> Response:
    """Answer 429 to an attempt the rate limit refused, and audit the denial."""
    with runtime.engine().begin() as conn:
        record_denial(
            conn,
            actor=None,
            action=action,
            target=username[:128],
            detail={"reason": f"too many failed sign-ins ({refusal.reason})"},
            address=access.client_address(),
            now=now,
        )
    if refusal.reason == "account":
        said = text("auth_too_many_account", seconds=refusal.retry_after_s)
    else:
        said = text("auth_too_many_address")
    response = Response(said, status=429, mimetype="text/plain")
    response.headers["Retry-After"] = str(refusal.retry_after_s)
    return response


def begin_pending(user: SessionUser, *, enrol: bool, next_path: str) -> None:
    """Remember a sign-in whose password was right until its second step (code or enrolment)."""
    flask.session.clear()
    flask.session[PENDING] = {
        "user": user.username,
        "epoch": user.session_epoch,
        "at": int(time.time()),
        "enrol": enrol,
        "tries": 0,
        "next": next_path,
    }


def pending_sign_in(now: float | None = None) -> dict[str, Any] | None:
    """Return this session's pending sign-in if it is recent, else None."""
    found = flask.session.get(PENDING)
    if not isinstance(found, dict) or not isinstance(found.get("at"), int):
        return None
    now = time.time() if now is None else now
    if not found["at"] <= now < found["at"] + PENDING_S:
        return None
    return found


def sign_in(user: SessionUser, second_factor: str | None) -> None:
    """Start a new session for `user` (any pending sign-in ends) and audit the sign-in."""
    flask.session.clear()
    flask.session.permanent = True
    flask.session[access.SESSION_STARTED] = int(time.time())
    flask.session[access.SESSION_SECOND_FACTOR] = second_factor is not None
    identity = access.Identity(
        user.username, user.role, user.session_epoch, second_factor is not None
    )
    flask_login.login_user(access.LoginUser(identity))
    detail = {"role": user.role, "second_factor": second_factor or "none"}
    with runtime.engine().begin() as conn:
        audit(
            conn,
            actor=user.username,
            action=LOGIN_ACTION,
            target=user.username,
            outcome="ok",
            detail=detail,
            address=access.client_address(),
        )
    log.info("%s signed in (%s) from %s", user.username, user.role, access.client_address())


def logout() -> Response:
    """End every session of the signed-in user and return to the sign-in form."""
    identity = access.current_user()
    if identity is not None:
        with runtime.engine().begin() as conn:
            bump_session_epoch(conn, identity.username)
            audit(
                conn,
                actor=identity.username,
                action=LOGOUT_ACTION,
                target=identity.username,
                outcome="ok",
                detail={},
                address=access.client_address(),
            )
    flask_login.logout_user()
    flask.session.clear()
    return flask.redirect(LOGIN_PATH)


def safe_next(path: str | None) -> str:
    """Return `path` if it is a path on this site, else "/" (no open redirect).

    Accepted: a reference that begins with exactly one "/", holds no control, format, whitespace
    or backslash character (a browser drops or rewrites those, so "/\\t/host" would become
    "//host"), has no scheme and no host, and is not one of the sign-in pages.
    """
    if not path or len(path) > 2048:
        return "/"
    path = path.removesuffix("?") or "/"
    if any(ch.isspace() or ch == "\\" or unicodedata.category(ch)[0] == "C" for ch in path):
        return "/"
    if not path.startswith("/") or path.startswith("//"):
        return "/"
    parts = urlsplit(path)
    if parts.scheme or parts.netloc:
        return "/"
    if parts.path in (LOGIN_PATH, CODE_PATH, LOGOUT_PATH):
        return "/"
    return path


def _audit_denied(action: str, target: str, detail: dict[str, str]) -> None:
    identity = access.current_user()
    with runtime.engine().begin() as conn:
        record_denial(
            conn,
            actor=identity.username if identity else None,
            action=action,
            target=target[:128],
            detail={"role": identity.role if identity else "anonymous", **detail},
            address=access.client_address(),
        )
