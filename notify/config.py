"""What notifications are configured with: channels and timings from the settings (pure).

E-mail (`SP_SMTP_URL`, `SP_SMTP_FROM`) and SMS (`SP_SMS_URL`, `SP_SMS_TEMPLATE`) reach users at
their own address and number; every other channel comes from `SP_NOTIFY_URLS` as an apprise URL
(`tgram://bot-token/chat-id`, `json://host/path`, ...) with a name that routes use: the part
before "=" when given as `name=URL`, else the URL's scheme (`tgram`, `json`; `json-2` for a
second one). Nothing here opens a connection; credentials never leave the settings object.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final
from urllib.parse import parse_qsl, urlsplit

from store.contacts import QuietHours, parse_quiet_hours
from store.schema import ALERT_SEVERITIES

if TYPE_CHECKING:
    from settings import Settings

EMAIL: Final = "email"
SMS: Final = "sms"
USER_CHANNELS: Final = (EMAIL, SMS)
"""Channels that reach a user at their own address or number; the names are reserved."""

SMS_MAX_CHARS: Final = 160
"""Longest SMS body: one GSM-7 segment [characters]."""

SMS_FIELDS: Final = frozenset({"text", "link", "count", "severity"})
"""What an SMS template may contain."""

CHANNEL_NAME: Final = re.compile(r"[a-z][a-z0-9_-]{0,39}")
_NAMED: Final = re.compile(r"([a-z][a-z0-9_-]{0,39})=(.+)", re.IGNORECASE)
SMTP_MODES: Final = ("starttls", "ssl", "insecure")
"""apprise's e-mail security modes: STARTTLS, TLS from the start, none."""


@dataclass(frozen=True, slots=True)
class NotifyPolicy:
    """The timings of grouping, repeats and quiet hours [s]."""

    group_wait_s: float = 2.0
    group_interval_s: float = 300.0
    repeat_interval_s: float = 14400.0
    quiet_hours: QuietHours | None = None
    """The default quiet hours (IST) of a user who set none."""


@dataclass(frozen=True, slots=True)
class SmtpServer:
    """Where e-mail leaves: host, port, apprise security mode and the login, if any."""

    host: str
    port: int
    mode: str
    user: str | None
    password: str | None


class NotifySettingsError(ValueError):
    """A notification setting that cannot work; the message names the variable."""


def policy_of(settings: Settings) -> NotifyPolicy:
    """Return the grouping, repeat and quiet-hours policy of the settings."""
    return NotifyPolicy(
        group_wait_s=float(settings.notify_group_wait_s),
        group_interval_s=float(settings.notify_group_interval_s),
        repeat_interval_s=float(settings.notify_repeat_interval_s),
        quiet_hours=parse_quiet_hours(settings.notify_quiet_hours),
    )


def smtp_server(url: str) -> SmtpServer:
    """Return the SMTP server of `smtp://[user:password@]host:port` or `smtps://...`.

    Plain `smtp://` uses STARTTLS on port 587 and no TLS elsewhere (a relay on the local
    network, or a test sink); `?mode=starttls|ssl|insecure` says otherwise.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise NotifySettingsError("SP_SMTP_URL: expected smtp://[user:password@]host:port")
    try:
        port = parts.port or (465 if parts.scheme == "smtps" else 25)
    except ValueError:
        raise NotifySettingsError("SP_SMTP_URL: the port is not a number") from None
    query = dict(parse_qsl(parts.query))
    mode = query.get("mode") or (
        "ssl" if parts.scheme == "smtps" else "starttls" if port == 587 else "insecure"
    )
    if mode not in SMTP_MODES:
        raise NotifySettingsError(f"SP_SMTP_URL: mode must be one of {', '.join(SMTP_MODES)}")
    return SmtpServer(parts.hostname, port, mode, parts.username, parts.password)


def url_channels(notify_urls: str) -> dict[str, str]:
    """Return name → apprise URL of `SP_NOTIFY_URLS`, in order; NotifySettingsError names a
    bad entry by its position (never by its text, which may hold a token)."""
    found: dict[str, str] = {}
    for k, entry in enumerate(re.split(r"[\s,]+", notify_urls.strip()), start=1):
        if not entry:
            continue
        named = _NAMED.fullmatch(entry)
        if named is not None and "://" not in named.group(1):
            name, url = named.group(1).lower(), named.group(2)
        else:
            name, url = "", entry
        scheme = urlsplit(url).scheme.lower()
        if "://" not in url or not scheme:
            raise NotifySettingsError(f"SP_NOTIFY_URLS: entry {k} is not a URL")
        if not name:
            name, n = scheme, 2
            while name in found:
                name, n = f"{scheme}-{n}", n + 1
        if CHANNEL_NAME.fullmatch(name) is None or name in USER_CHANNELS:
            raise NotifySettingsError(
                f"SP_NOTIFY_URLS: entry {k}: {name!r} is not a channel name (a-z, 0-9, '_', '-';"
                " not email or sms)"
            )
        if name in found:
            raise NotifySettingsError(f"SP_NOTIFY_URLS: entry {k}: {name!r} is named twice")
        found[name] = url
    return found


def channel_names(settings: Settings) -> tuple[str, ...]:
    """Return the names of the configured channels: email, sms, then SP_NOTIFY_URLS'."""
    names = [EMAIL] if settings.smtp_url else []
    names += [SMS] if settings.sms_url else []
    return (*names, *url_channels(settings.notify_urls))


def secrets_of(settings: Settings) -> tuple[str, ...]:
    """Return every piece of the channel settings that may be a credential, longest first, so
    that error texts can be redacted before they are stored or logged."""
    found: set[str] = set()
    urls = [u for u in (settings.smtp_url, settings.sms_url) if u]
    urls += list(url_channels(settings.notify_urls).values())
    for url in urls:
        parts = urlsplit(url.replace("{to}", ""))
        found.update(p for p in (parts.username, parts.password) if p)
        found.update(v for _, v in parse_qsl(parts.query) if len(v) >= 4)
        found.update(seg for seg in parts.path.split("/") if len(seg) >= 6)
        if parts.scheme not in ("smtp", "smtps", "form", "forms", "json", "jsons"):
            found.add(parts.netloc)  # e.g. tgram://BOT-TOKEN/chat: the host is the token
        found.add(url)
    return tuple(sorted((s for s in found if s), key=len, reverse=True))


def check_notify_settings(settings: Settings) -> None:
    """Raise SettingsError naming the first notification setting that cannot work."""
    from settings import SettingsError  # noqa: PLC0415

    try:
        _check(settings)
    except NotifySettingsError as err:
        raise SettingsError(str(err)) from None


def _check(settings: Settings) -> None:
    if settings.smtp_url:
        smtp_server(settings.smtp_url)
    if "@" not in settings.smtp_from:
        raise NotifySettingsError("SP_SMTP_FROM: expected an e-mail address")
    if settings.sms_url and ("{to}" not in settings.sms_url or "://" not in settings.sms_url):
        raise NotifySettingsError("SP_SMS_URL: expected an apprise URL with {to} in it")
    sms_fields(settings.sms_template)
    if settings.sms_min_severity not in ALERT_SEVERITIES:
        raise NotifySettingsError(
            f"SP_SMS_MIN_SEVERITY: must be one of {', '.join(ALERT_SEVERITIES)}"
        )
    url_channels(settings.notify_urls)
    if urlsplit(settings.public_url).scheme not in ("http", "https"):
        raise NotifySettingsError("SP_PUBLIC_URL: expected http://... or https://...")
    try:
        parse_quiet_hours(settings.notify_quiet_hours)
    except ValueError as err:
        raise NotifySettingsError(f"SP_NOTIFY_QUIET_HOURS: {err}") from None
    bounds: Mapping[str, int] = {
        "notify_group_wait_s": 0,
        "notify_group_interval_s": 1,
        "notify_repeat_interval_s": 60,
        "notify_attach_max_kb": 1,
        "notify_give_up_s": 60,
        "notify_lease_s": 1,
    }
    for name, least in bounds.items():
        if getattr(settings, name) < least:
            raise NotifySettingsError(f"SP_{name.upper()}: must be at least {least}")


def sms_fields(template: str) -> frozenset[str]:
    """Return the fields an SMS template uses; NotifySettingsError for an unknown one."""
    try:
        used = {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
    except ValueError as err:
        raise NotifySettingsError(f"SP_SMS_TEMPLATE: {err}") from None
    unknown = used - SMS_FIELDS
    if unknown or "" in used:
        raise NotifySettingsError(
            f"SP_SMS_TEMPLATE: unknown field {sorted(unknown or {''})[0]!r}; use "
            + ", ".join("{" + f + "}" for f in sorted(SMS_FIELDS))
        )
    return frozenset(used)
