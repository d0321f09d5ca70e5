"""The texts of a message: an e-mail's subject and body, and an SMS of at most 160 characters
(pure).

One message tells one recipient of a batch of alerts, worst first. It names at most LIST_MAX of
them and counts the rest, so that a storm of 500 alerts is one readable message; an alert that
holds others (a silent feeder's houses, every silent feeder under `fleet_silent`) says how many.
Times are IST. SMS texts are plain ASCII (one GSM-7 segment), cut to fit their template.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final
from urllib.parse import quote

from grid.alert_kinds import counted
from notify.config import SMS_MAX_CHARS
from notify.model import LEVEL_TITLES, Batch, Notice, recipient_label
from store.schema import ALERT_SEVERITIES
from store.watchdog import ist_text

LIST_MAX: Final = 10
"""Alerts a message names one by one; the rest are counted by severity."""

SUBJECT_PREFIX: Final = "[SmartPhase]"


@dataclass(frozen=True, slots=True)
class Composed:
    """A message's texts."""

    subject: str
    body: str
    short: str
    """The SMS: the template filled in, ASCII, at most SMS_MAX_CHARS characters."""
    link: str


def alerts_link(public_url: str, feeder_id: str | None = None) -> str:
    """Return the control room's alerts page, filtered to one feeder when given."""
    base = public_url.rstrip("/") + "/alerts"
    return f"{base}?feeder={quote(feeder_id)}" if feeder_id else base


def compose_alerts(batch: Batch, public_url: str, sms_template: str) -> Composed:
    """Return the texts of one alert message."""
    notices = batch.notices
    feeders = {n.alert.feeder_id for n in notices}
    link = alerts_link(public_url, feeders.pop() if len(feeders) == 1 else None)
    held = dict(batch.held)
    worst = notices[0]
    if len(notices) == 1:
        subject = f"{SUBJECT_PREFIX} {_headline(worst)}{_reason_tag(worst)}"
    else:
        subject = (
            f"{SUBJECT_PREFIX} {len(notices)} alerts ({_severity_counts(notices)}): "
            f"{_headline(worst)} and {len(notices) - 1} more"
        )
    lines = [f"SmartPhase: {_count_text(len(notices))} for {recipient_label(batch.recipient)}."]
    escalated = [n for n in notices if n.reason == "escalated"]
    if escalated:
        lines.append(
            f"{_count_text(len(escalated))} escalated to you at level {batch.level} "
            f"({LEVEL_TITLES.get(batch.level, batch.level)}): nobody acknowledged "
            f"{'it' if len(escalated) == 1 else 'them'} in time."
        )
    lines.append("")
    for k, n in enumerate(notices[:LIST_MAX], start=1):
        lines += _alert_lines(k, n, held.get(n.alert.alert_id, ()), public_url)
    rest = notices[LIST_MAX:]
    if rest:
        lines.append(f"... and {len(rest)} more: {_severity_counts(rest)}.")
        lines.append("")
    lines.append(f"Open alerts: {alerts_link(public_url)}")
    lines.append("Acknowledge them there to stop reminders and escalation.")
    short_text = (
        _headline(worst)
        if len(notices) == 1
        else (f"{len(notices)} alerts, worst {_headline(worst)}")
    )
    if escalated:
        short_text = f"ESCALATED L{batch.level}: {short_text}"
    short = sms_text(
        sms_template,
        text=short_text,
        link=link,
        count=len(notices),
        severity=batch.severity.upper(),
    )
    return Composed(subject, "\n".join(lines), short, link)


def compose_report(title: str, summary: str, link: str | None, attached: str | None) -> Composed:
    """Return the texts of a report's e-mail: the PDF attached (its file name) or linked."""
    lines = [summary, ""]
    if attached:
        lines.append(f"The report is attached ({attached}).")
    if link:
        lines.append(f"{'Also in' if attached else 'Download it from'} the control room: {link}")
    return Composed(
        f"{SUBJECT_PREFIX} {title}", "\n".join(lines), _ascii(title)[:SMS_MAX_CHARS], link or ""
    )


def sms_text(template: str, *, text: str, link: str, count: int, severity: str) -> str:
    """Return the SMS: `template` filled in, in ASCII, `text` shortened so that the whole fits
    SMS_MAX_CHARS (the rest is cut if the template alone is too long)."""
    fields = {"link": _ascii(link), "count": str(count), "severity": _ascii(severity)}
    room = SMS_MAX_CHARS - len(template.format(text="", **fields))
    body = _ascii(text)
    if len(body) > room:
        body = body[: max(0, room - 3)].rstrip() + "..." if room >= 3 else body[: max(room, 0)]
    return " ".join(template.format(text=body, **fields).split())[:SMS_MAX_CHARS]


def _headline(n: Notice) -> str:
    a = n.alert
    where = a.house_id or a.feeder_id or "HQ"
    name = f" {a.feeder_name}" if a.feeder_name and not a.house_id else ""
    return f"{a.severity.upper()} {a.kind} {where}{name}"


def _reason_tag(n: Notice) -> str:
    if n.reason == "escalated":
        return f" (escalated, level {n.level})"
    if n.reason == "repeat":
        return " (still open)"
    return ""


def _alert_lines(
    k: int, n: Notice, held: tuple[tuple[str, int], ...], public_url: str
) -> list[str]:
    a = n.alert
    place = ", ".join(p for p in (a.feeder_name, a.district) if p)
    lines = [f"{k}. {_headline(n)}" + (f" ({place})" if place else "")]
    when = f"   Raised {ist_text(a.raised_at)}"
    if n.reason == "escalated":
        when += (
            f"; escalated to level {n.level} ({LEVEL_TITLES.get(n.level, n.level)}) after "
            f"{round(n.waited_s / 60)} min without acknowledgement"
        )
    elif n.reason == "repeat":
        when += "; still open and not acknowledged"
    lines.append(when + ".")
    lines.append(f"   {a.message}")
    if held:
        lines.append("   With " + ", ".join(counted(kind, count) for kind, count in held) + ".")
    if a.feeder_id:
        lines.append(f"   {alerts_link(public_url, a.feeder_id)}")
    lines.append("")
    return lines


def _severity_counts(notices: tuple[Notice, ...] | list[Notice]) -> str:
    counts: Mapping[str, int] = Counter(n.alert.severity for n in notices)
    order = [s for s in ALERT_SEVERITIES if s in counts] + sorted(
        s for s in counts if s not in ALERT_SEVERITIES
    )
    return ", ".join(f"{counts[s]} {s}" for s in order)


def _count_text(n: int) -> str:
    return f"{n} alert" + ("" if n == 1 else "s")


def _ascii(text: str) -> str:
    """Return `text` in plain ASCII (an SMS in GSM-7), accents dropped, dashes as '-'."""
    text = text.replace("—", "-").replace("–", "-").replace("·", "-").replace("→", "->")
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
