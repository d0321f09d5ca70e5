"""How a user is reached by notifications: an e-mail address, a phone number and quiet hours.

Every value is checked before it is stored and a bad one is refused with the field named
(`ContactError`, a UserError: "phone: ..."). Phone numbers are kept in E.164 ("+919876543210");
a ten-digit Indian mobile number is taken as +91. Quiet hours are IST wall-clock windows
("22:00-06:00", "off"); none stored means the default (SP_NOTIFY_QUIET_HOURS). Each change is
one audit row on the caller's connection; the audit row names the fields changed, not their
values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from sqlalchemy import Connection, select

from store.audit import CLI_ACTOR, audit
from store.schema import user_contacts, users
from store.users import UserError

EMAIL_MAX: Final = 254
"""Longest e-mail address [characters] (RFC 5321)."""

_EMAIL: Final = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")
_PHONE_DROP: Final = re.compile(r"[\s().-]")
_E164: Final = re.compile(r"\+[1-9]\d{7,14}")
_INDIAN_MOBILE: Final = re.compile(r"[6-9]\d{9}")
_WINDOW: Final = re.compile(r"([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)")

CONTACT_ACTION: Final = "user.set_contact"
"""The audit action of a change to a user's contact."""
QUIET_OFF: Final = "off"
"""The quiet hours of someone who takes every alert at any hour."""


class ContactError(UserError):
    """A contact detail that cannot be stored; `field` names it."""


@dataclass(frozen=True, slots=True)
class QuietHours:
    """A daily window of IST wall-clock time [minutes after midnight], start included, end not;
    it may wrap midnight."""

    start_min: int
    end_min: int

    def __str__(self) -> str:
        """Return "22:00-06:00"."""
        return f"{_hhmm(self.start_min)}-{_hhmm(self.end_min)}"


@dataclass(frozen=True, slots=True)
class Contact:
    """How one user is reached."""

    username: str
    email: str | None
    phone: str | None
    quiet_hours: str | None
    """As stored: "22:00-06:00", "off", or None for the default."""


def check_email(value: str | None) -> str | None:
    """Return the address (None for none given), or raise ContactError("email", ...)."""
    text = (value or "").strip()
    if not text:
        return None
    if len(text) > EMAIL_MAX or _EMAIL.fullmatch(text) is None:
        raise ContactError("email", f"{text!r} is not an e-mail address like name@kseb.in")
    local, _, domain = text.rpartition("@")
    return f"{local}@{domain.lower()}"


def check_phone(value: str | None) -> str | None:
    """Return the number in E.164 (None for none given), or raise ContactError("phone", ...).

    "+91 98470 12345", "098470 12345" and "9847012345" all give "+919847012345".
    """
    text = _PHONE_DROP.sub("", (value or "").strip())
    if not text:
        return None
    if text.startswith("00"):
        text = "+" + text[2:]
    elif text.startswith("0") and _INDIAN_MOBILE.fullmatch(text[1:]):
        text = "+91" + text[1:]
    elif _INDIAN_MOBILE.fullmatch(text):
        text = "+91" + text
    if _E164.fullmatch(text) is None:
        raise ContactError(
            "phone",
            f"{value!r} is not a phone number: give +country code and number, or a "
            "ten-digit Indian mobile number",
        )
    return text


def parse_quiet_hours(text: str) -> QuietHours | None:
    """Return the window "HH:MM-HH:MM" describes, None for "off"; ValueError names the form."""
    cleaned = text.strip().lower()
    if cleaned in (QUIET_OFF, ""):
        return None
    found = _WINDOW.fullmatch(cleaned)
    if found is None:
        raise ValueError(f"{text!r} is not HH:MM-HH:MM (IST) or off")
    h1, m1, h2, m2 = (int(g) for g in found.groups())
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if start == end:
        raise ValueError(f"{text!r} is an empty window; say off for none")
    return QuietHours(start, end)


def check_quiet_hours(value: str | None) -> str | None:
    """Return the quiet hours as stored ("22:00-06:00", "off"; None: the default), or raise
    ContactError("quiet_hours", ...)."""
    text = (value or "").strip().lower()
    if not text or text == "default":
        return None
    try:
        window = parse_quiet_hours(text)
    except ValueError as err:
        raise ContactError("quiet_hours", str(err)) from None
    return QUIET_OFF if window is None else str(window)


_UNSET: Final = object()


def set_contact(
    conn: Connection,
    username: str,
    *,
    email: str | object | None = _UNSET,
    phone: str | object | None = _UNSET,
    quiet_hours: str | object | None = _UNSET,
    actor: str | None = None,
    address: str | None = None,
    now: datetime | None = None,
) -> Contact:
    """Set some of a user's contact details (an omitted one stays; "" or None clears it) and
    audit it; return them as they are now. ContactError names a bad field or unknown user."""
    exists = conn.execute(select(users.c.username).where(users.c.username == username)).first()
    if exists is None:
        raise ContactError("username", f"no user {username!r}")
    current = get_contact(conn, username)
    changes: dict[str, str | None] = {}
    if email is not _UNSET:
        changes["email"] = check_email(email if isinstance(email, str) else None)
    if phone is not _UNSET:
        changes["phone"] = check_phone(phone if isinstance(phone, str) else None)
    if quiet_hours is not _UNSET:
        changes["quiet_hours"] = check_quiet_hours(
            quiet_hours if isinstance(quiet_hours, str) else None
        )
    changed = sorted(k for k, v in changes.items() if getattr(current, k) != v)
    if not changed:
        return current
    now = now or datetime.now(UTC)
    values = {k: changes[k] for k in changed}
    if _stored(conn, username):
        conn.execute(
            user_contacts.update()
            .where(user_contacts.c.username == username)
            .values(updated_at=now, **values)
        )
    else:
        conn.execute(user_contacts.insert().values(username=username, updated_at=now, **values))
    audit(
        conn,
        actor=actor or CLI_ACTOR,
        action=CONTACT_ACTION,
        target=username,
        outcome="ok",
        detail={"changed": changed},
        address=address,
        ts=now,
    )
    return get_contact(conn, username)


def get_contact(conn: Connection, username: str) -> Contact:
    """Return a user's contact details (all None when none were given)."""
    c = user_contacts.c
    row = conn.execute(
        select(c.email, c.phone, c.quiet_hours).where(c.username == username)
    ).first()
    if row is None:
        return Contact(username, None, None, None)
    return Contact(username, row.email, row.phone, row.quiet_hours)


def list_contacts(conn: Connection) -> dict[str, Contact]:
    """Return the contact details of every user who has any, by username."""
    c = user_contacts.c
    rows = conn.execute(select(c.username, c.email, c.phone, c.quiet_hours))
    return {r.username: Contact(r.username, r.email, r.phone, r.quiet_hours) for r in rows}


def mask_email(address: str) -> str:
    """Return "a***@kseb.in" for "asha@kseb.in": enough to recognise, not to harvest."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}" if domain else "***"


def mask_phone(number: str) -> str:
    """Return "+91******2345" for "+919847012345"."""
    return number[:3] + "*" * max(0, len(number) - 7) + number[-4:] if len(number) > 7 else "***"


def _stored(conn: Connection, username: str) -> bool:
    c = user_contacts.c
    return conn.execute(select(c.username).where(c.username == username)).first() is not None


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"
