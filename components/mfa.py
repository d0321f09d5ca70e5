"""The second factor in the control room: the code step of a sign-in and the account page.

- `/login/code`: after a right password, a user with a second factor gives a 6-digit code from
  their authenticator app or one of their recovery codes. Five wrong codes send them back to the
  password; wrong codes also count against the address and the account (store/logins.py).
- `/account`: a signed-in user sees whether their sign-in has a second factor and how many
  recovery codes are left, enrols (a QR code of the otpauth URI, drawn as SVG by the qrcode
  library and shown as a data: image, which the Content-Security-Policy allows), gets new
  recovery codes or turns the factor off (not when SP_MFA_REQUIRED asks it of their role). An
  operator or admin whom SP_MFA_REQUIRED makes enrol lands here between password and session.

The pages are plain HTML forms like /login; their POSTs pass the same Origin check.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any, Final
from urllib.parse import urlencode

import flask
import qrcode  # type: ignore[import-untyped]
import qrcode.image.svg  # type: ignore[import-untyped]
from sqlalchemy import Connection
from werkzeug.wrappers import Response

from components import access, auth, runtime
from components.strings import text
from store.audit import audit
from store.logins import SECOND_FACTOR_ACTION, account_key, address_key, admit, settle
from store.mfa import (
    begin_enrolment,
    check_second_factor,
    confirm_enrolment,
    new_recovery_codes,
    pending_secret,
    provisioning_uri,
    recovery_codes_left,
    turn_off,
)
from store.users import SessionUser, UserError, session_user

CODE_PAGE: Final = (
    auth.PAGE_HEAD
    + """<form method="post" action="/login/code" id="code-form">
<h1>{{ s.mfa_code_title }}</h1>
{% if error %}<p class="error" id="code-error">{{ error }}</p>{% endif %}
<p class="note">{{ s.mfa_code_note }}</p>
<input type="hidden" name="next" value="{{ next }}">
<label for="code">{{ s.mfa_code }}</label>
<input id="code" name="code" autocomplete="one-time-code" inputmode="text" required autofocus>
<button type="submit" id="code-submit">{{ s.login_submit }}</button>
</form></body></html>
"""
)

ENROL_PAGE: Final = (
    auth.PAGE_HEAD
    + """<section id="enrol">
<h1>{{ s.mfa_enrol_title }}</h1>
{% if required %}<p class="note">{{ s.mfa_required }}</p>{% endif %}
{% if error %}<p class="error" id="enrol-error">{{ error }}</p>{% endif %}
<p>{{ s.mfa_scan }}</p>
<img class="qr" id="enrol-qr" alt="{{ s.mfa_qr_alt }}" src="{{ qr }}">
<p class="note">{{ s.mfa_or_type }} <code id="enrol-secret">{{ secret }}</code></p>
<form method="post" action="/account" id="enrol-form">
<input type="hidden" name="action" value="confirm"><input type="hidden" name="next"
value="{{ next }}">
<label for="code">{{ s.mfa_code_now }}</label>
<input id="code" name="code" autocomplete="one-time-code" inputmode="numeric" required>
<button type="submit" id="enrol-submit">{{ s.mfa_turn_on }}</button>
</form>
<form method="post" action="/account"><input type="hidden" name="action" value="restart">
<input type="hidden" name="next" value="{{ next }}">
<button type="submit" id="enrol-restart">{{ s.mfa_new_key }}</button></form>
</section></body></html>
"""
)

CODES_PAGE: Final = (
    auth.PAGE_HEAD
    + """<section id="recovery">
<h1>{{ s.mfa_codes_title }}</h1>
<p>{{ s.mfa_codes_note }}</p>
<ul class="codes" id="recovery-codes">{% for code in codes %}<li><code>{{ code }}</code></li>
{% endfor %}</ul>
<p><a href="{{ next }}" id="recovery-continue">{{ s.mfa_continue }}</a></p>
</section></body></html>
"""
)

STATUS_PAGE: Final = (
    auth.PAGE_HEAD
    + """<section id="account">
<h1>{{ username }}</h1>
{% if error %}<p class="error" id="account-error">{{ error }}</p>{% endif %}
{% if message %}<p class="note" id="account-message">{{ message }}</p>{% endif %}
<p id="account-mfa">{{ (s.mfa_on_one if left == 1 else s.mfa_on_many).format(left=left) }}</p>
{% if stale %}<p class="note">{{ s.mfa_stale }}</p>
<form method="post" action="/logout"><button type="submit">{{ s.mfa_sign_out }}</button></form>
{% else %}
<form method="post" action="/account" id="codes-form">
<input type="hidden" name="action" value="codes">
<label for="codes-code">{{ s.mfa_code_now }}</label>
<input id="codes-code" name="code" autocomplete="one-time-code" inputmode="numeric" required>
<button type="submit">{{ s.mfa_new_codes }}</button></form>
{% if may_turn_off %}
<form method="post" action="/account" id="off-form">
<input type="hidden" name="action" value="off">
<label for="off-code">{{ s.mfa_code_now }}</label>
<input id="off-code" name="code" autocomplete="one-time-code" inputmode="numeric" required>
<button type="submit">{{ s.mfa_turn_off }}</button></form>
{% endif %}
{% endif %}
<p><a href="/">{{ s.mfa_back }}</a></p>
</section></body></html>
"""
)


def install(server: flask.Flask) -> None:
    """Add the code step and the account page to `server`."""
    server.add_url_rule(auth.CODE_PATH, "login_code", code_step, methods=["GET", "POST"])
    server.add_url_rule(auth.ACCOUNT_PATH, "account", account, methods=["GET", "POST"])


def qr_data_uri(uri: str) -> str:
    """Return a QR code of `uri` as an SVG data: URI."""
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    svg = image.to_string(encoding="unicode")
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def code_step() -> Response:
    """Ask a pending sign-in for its second factor, or check the code it posted."""
    pending = auth.pending_sign_in()
    if pending is None or pending.get("enrol"):
        return flask.redirect(auth.LOGIN_PATH)
    next_path = auth.safe_next(str(pending.get("next") or "/"))
    if flask.request.method == "GET":
        return auth.page(CODE_PAGE, title=text("mfa_code_title"), error=None, next=next_path)
    username = str(pending["user"])
    code = flask.request.form.get("code", "")[:64]
    settings = runtime.settings()
    limits = auth.login_limits(settings)
    now = datetime.now(UTC)
    keys = (address_key(access.client_address()), account_key(username, "totp"))
    with runtime.engine().begin() as conn:
        refusal = admit(conn, keys=keys, now=now, limits=limits)
    if refusal is not None:
        return auth.too_many(SECOND_FACTOR_ACTION, username, refusal, now)
    with runtime.engine().begin() as conn:
        user = _current(conn, username, pending)
        factor = check_second_factor(conn, username, code, now=now) if user else None
        settle(conn, keys=keys, ok=factor is not None, now=now, limits=limits)
        if factor is None:
            audit(
                conn,
                actor=None,
                action=SECOND_FACTOR_ACTION,
                target=username,
                outcome="failed",
                detail={},
                address=access.client_address(),
                ts=now,
            )
    if user is None:
        flask.session.clear()
        return flask.redirect(auth.LOGIN_PATH)
    if factor is None:
        tries = int(pending.get("tries", 0)) + 1
        if tries >= auth.PENDING_TRIES:
            flask.session.clear()
            return flask.redirect(f"{auth.LOGIN_PATH}?{urlencode({'next': next_path})}")
        flask.session[auth.PENDING] = {**pending, "tries": tries}
        error = text("mfa_code_wrong")
        title = text("mfa_code_title")
        return auth.page(CODE_PAGE, status=401, title=title, error=error, next=next_path)
    auth.sign_in(user, factor)
    return flask.redirect(next_path)


def account() -> Response:
    """Show and change the second factor of the signed-in (or enrolling) user."""
    identity = access.current_user()
    pending = auth.pending_sign_in() if identity is None else None
    request = flask.request
    if identity is not None:
        username = identity.username
    elif pending is not None and pending.get("enrol"):
        username = str(pending["user"])
    else:
        return flask.redirect(f"{auth.LOGIN_PATH}?{urlencode({'next': auth.ACCOUNT_PATH})}")
    fallback = str(pending.get("next") or "/") if pending is not None else "/"
    next_path = auth.safe_next(request.values.get("next") or fallback)
    with runtime.engine().connect() as conn:
        user = _current(conn, username, pending)
    if user is None:
        flask.session.clear()
        return flask.redirect(auth.LOGIN_PATH)
    required = runtime.settings().mfa_required and access.has_role(
        access.SECOND_FACTOR_ROLE, access.Identity(user.username, user.role)
    )
    view = _AccountView(user, identity, required, next_path)
    if request.method == "POST":
        return view.act(request.form.get("action", ""), request.form.get("code", "")[:64])
    return view.show()


class _AccountView:
    """The account page of one user, for one request."""

    def __init__(
        self,
        user: SessionUser,
        identity: access.Identity | None,
        required: bool,
        next_path: str,
    ) -> None:
        self.user = user
        self.identity = identity
        self.required = required
        self.next_path = next_path

    def show(
        self, error: str | None = None, message: str | None = None, status: int = 200
    ) -> Response:
        """Return the status page of an enrolled user, or the enrolment page."""
        username = self.user.username
        if self.user.mfa:
            with runtime.engine().connect() as conn:
                left = recovery_codes_left(conn, username)
            stale = self.identity is not None and not self.identity.second_factor and self.required
            return auth.page(
                STATUS_PAGE,
                status=status,
                title=text("mfa_account_title"),
                username=username,
                left=left,
                error=error,
                message=message,
                stale=stale,
                may_turn_off=not self.required,
            )
        with runtime.engine().begin() as conn:
            secret = pending_secret(conn, username) or begin_enrolment(conn, username)
        return self._enrolment(secret, error, status)

    def act(self, action: str, code: str) -> Response:
        """Carry out a posted action: confirm, restart, codes or off."""
        username = self.user.username
        try:
            with runtime.engine().begin() as conn:
                if action == "confirm" and not self.user.mfa:
                    codes = confirm_enrolment(conn, username, code)
                elif action == "restart" and not self.user.mfa:
                    begin_enrolment(conn, username)
                    query = urlencode({"next": self.next_path})
                    return flask.redirect(f"{auth.ACCOUNT_PATH}?{query}")
                elif action == "codes" and self.user.mfa and self.identity is not None:
                    codes = new_recovery_codes(conn, username, code)
                elif action == "off" and self.user.mfa and self.identity is not None:
                    if self.required:
                        raise UserError("action", "your role signs in with a second factor")
                    turn_off(conn, username, code)
                    codes = []
                else:
                    raise UserError("action", f"{action[:20]!r} is not possible here")
        except UserError as err:
            return self.show(error=f"{err.field}: {err.reason}", status=400)
        # Enrolling and turning off end every session of the user: this one starts anew.
        with runtime.engine().connect() as conn:
            renewed = session_user(conn, username)
        assert renewed is not None
        if action == "off":
            auth.sign_in(renewed, None)
            return flask.redirect(auth.ACCOUNT_PATH)
        if action == "confirm":
            auth.sign_in(renewed, "totp")
        next_path = self.next_path if action == "confirm" else auth.ACCOUNT_PATH
        return auth.page(CODES_PAGE, title=text("mfa_codes_title"), codes=codes, next=next_path)

    def _enrolment(self, secret: str, error: str | None, status: int) -> Response:
        uri = provisioning_uri(secret, self.user.username)
        shown = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
        return auth.page(
            ENROL_PAGE,
            status=status,
            title=text("mfa_enrol_title"),
            qr=qr_data_uri(uri),
            secret=shown,
            error=error,
            required=self.required,
            next=self.next_path,
        )


def _current(conn: Connection, username: str, pending: dict[str, Any] | None) -> SessionUser | None:
    """Return the enabled user, still in the epoch a pending sign-in began in, or None."""
    user = session_user(conn, username)
    if user is None or user.disabled:
        return None
    if pending is not None and user.session_epoch != pending.get("epoch"):
        return None
    return user
