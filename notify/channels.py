"""The one place notifications leave SmartPhase: apprise, for every channel.

- email: `mailto://` on the SMTP server of SP_SMTP_URL, from SP_SMTP_FROM, to the user's
  address; every e-mail carries an `X-SmartPhase-Delivery` header with its delivery id;
- sms: SP_SMS_URL (an apprise URL, e.g. a `form://` HTTP gateway) with `{to}` replaced by the
  number's digits, sending the message's short text;
- every other name: the apprise URL of SP_NOTIFY_URLS (Telegram, a JSON webhook, ...).

A send returns a `SendOutcome`; a failure carries apprise's reason with every credential of the
settings replaced by "***", so that it can be stored and logged. URLs are never logged.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final
from urllib.parse import quote, urlencode

import apprise
from apprise.attachment.memory import AttachMemory

from notify.config import (
    EMAIL,
    SMS,
    SmtpServer,
    channel_names,
    secrets_of,
    smtp_server,
    url_channels,
)
from notify.model import SEVERITY_RANK
from notify.outbox import Attachment, OutMessage, Target
from store.contacts import Contact

if TYPE_CHECKING:
    from settings import Settings

log = logging.getLogger("notify.channels")

DELIVERY_HEADER: Final = "X-SmartPhase-Delivery"
"""The e-mail header that carries the delivery id."""

_TYPES: Final = {
    "critical": apprise.NotifyType.FAILURE,
    "warning": apprise.NotifyType.WARNING,
}


@dataclass(frozen=True, slots=True)
class SendOutcome:
    """What a channel said: taken, or the reason it was not (credentials redacted)."""

    ok: bool
    error: str | None = None


class RedactingFilter(logging.Filter):
    """Replace every credential in a log record's text by "***" (for apprise's logger)."""

    def __init__(self, secrets: Sequence[str]) -> None:
        super().__init__()
        self.secrets = tuple(secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's message with the secrets redacted; always keep it."""
        text = record.getMessage()
        cleaned = redact(text, self.secrets)
        if cleaned != text:
            record.msg, record.args = cleaned, None
        return True


def redact(text: str, secrets: Sequence[str]) -> str:
    """Return `text` with each of `secrets` (longest first) replaced by "***"."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
            text = text.replace(quote(secret, safe=""), "***")
    return text


class Channels:
    """The configured channels of one settings object, and sending through them."""

    def __init__(self, settings: Settings) -> None:
        self.smtp: SmtpServer | None = smtp_server(settings.smtp_url) if settings.smtp_url else None
        self.smtp_from = settings.smtp_from
        self.sms_url = settings.sms_url
        self.sms_min_severity = settings.sms_min_severity
        self.urls = url_channels(settings.notify_urls)
        self.names = channel_names(settings)
        self.secrets = secrets_of(settings)

    def guard_logs(self) -> None:
        """Redact credentials from apprise's own log records, and keep them at WARNING."""
        logger = logging.getLogger("apprise")
        logger.setLevel(logging.WARNING)
        if not any(isinstance(f, RedactingFilter) for f in logger.filters):
            logger.addFilter(RedactingFilter(self.secrets))

    def user_targets(self, contact: Contact, severity: str | None) -> list[Target]:
        """Return where a user's message goes: e-mail when configured and known; SMS too when
        configured, known and the message is at or above SP_SMS_MIN_SEVERITY."""
        targets = []
        if self.smtp is not None and contact.email:
            targets.append(Target(EMAIL, contact.email))
        worst = SEVERITY_RANK.get(severity or "", len(SEVERITY_RANK))
        if self.sms_url and contact.phone and worst <= SEVERITY_RANK.get(self.sms_min_severity, 0):
            targets.append(Target(SMS, contact.phone))
        return targets

    def channel_targets(self, name: str) -> list[Target]:
        """Return the delivery of a message to a channel of SP_NOTIFY_URLS, if configured."""
        return [Target(name)] if name in self.urls else []

    def send(
        self, delivery_id: int, target: Target, msg: OutMessage, files: Sequence[Attachment]
    ) -> SendOutcome:
        """Send one delivery and return what the channel said."""
        url = self._url(delivery_id, target)
        if url is None:
            return SendOutcome(False, f"channel {target.channel!r} is not configured")
        sender = apprise.Apprise()
        if not sender.add(url):
            return SendOutcome(False, f"channel {target.channel!r}: apprise cannot use its URL")
        body, title = (msg.short, "") if target.channel == SMS else (msg.body, msg.subject)
        attach = None
        if files and target.channel != SMS:
            attach = apprise.AppriseAttachment()
            for f in files:
                attach.add(
                    AttachMemory(  # type: ignore[no-untyped-call]
                        content=f.data, name=f.filename, mimetype=f.content_type
                    )
                )
        try:
            result = sender.notify(
                body=body,
                title=title,
                notify_type=_TYPES.get(msg.severity or "", apprise.NotifyType.INFO),
                body_format=apprise.NotifyFormat.TEXT,
                attach=attach,
            )
        except (OSError, ValueError, RuntimeError) as err:
            return SendOutcome(False, self._clean(f"{target.channel}: {err}"))
        if result:
            return SendOutcome(True)
        reasons = "; ".join(str(getattr(e, "message", e)) for e in result.logs())
        return SendOutcome(False, self._clean(f"{target.channel}: {reasons or 'not accepted'}"))

    def _url(self, delivery_id: int, target: Target) -> str | None:
        if target.channel == EMAIL:
            return self._mailto(delivery_id, target.address)
        if target.channel == SMS:
            if not self.sms_url:
                return None
            return self.sms_url.replace("{to}", quote(target.address.lstrip("+"), safe=""))
        return self.urls.get(target.channel)

    def _mailto(self, delivery_id: int, address: str) -> str | None:
        server = self.smtp
        if server is None:
            return None
        login = ""
        if server.user:
            login = quote(server.user, safe="")
            if server.password:
                login += ":" + quote(server.password, safe="")
            login += "@"
        query = urlencode(
            {
                "smtp": server.host,
                "mode": server.mode,
                "from": self.smtp_from,
                "to": address,
                "+" + DELIVERY_HEADER: str(delivery_id),
            },
            quote_via=quote,  # "%20", not "+": apprise reads a "+" in the sender's name as is
        )
        return f"mailto://{login}{server.host}:{server.port}?{query}"

    def _clean(self, text: str) -> str:
        return redact(" ".join(text.split()), self.secrets)
