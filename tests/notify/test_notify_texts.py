"""Messages, contact details, quiet hours and the channel settings: pure functions, with every
bad value refused under its own name."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest

from notify.channels import RedactingFilter, redact
from notify.compose import LIST_MAX, compose_alerts, sms_text
from notify.config import (
    NotifySettingsError,
    channel_names,
    policy_of,
    secrets_of,
    smtp_server,
    url_channels,
)
from notify.model import AlertFacts, Batch, Notice, user_key
from notify.quiet import quiet_end
from settings import Settings, SettingsError
from store.contacts import (
    ContactError,
    check_email,
    check_phone,
    check_quiet_hours,
    mask_email,
    mask_phone,
    parse_quiet_hours,
)

T0 = datetime(2026, 3, 2, 4, 32, 11, tzinfo=UTC)  # 10:02:11 IST
URL = "https://sp.kseb.in"


def notice(k: int, severity: str = "critical", reason: str = "new", level: int = 1) -> Notice:
    alert = AlertFacts(
        alert_id=f"A{k}",
        kind="phase_overload",
        severity=severity,
        state="open",
        message="R carries 180 A, above its rating of 145 A.",
        raised_at=T0 + timedelta(seconds=k),
        feeder_id=f"KL-KTM-{k:04d}",
        district="Kottayam",
        feeder_name=f"Kottayam {k}",
    )
    return Notice(
        alert,
        user_key("asha"),
        level,
        reason,
        alert.raised_at,
        900.0 if reason == "escalated" else 0.0,
    )  # type: ignore[arg-type]


# --- messages --------------------------------------------------------------------------------


def test_one_alert_names_it_in_ist_with_a_link_to_its_feeder() -> None:
    held = (("A1", (("house_offline", 12),)),)
    text = compose_alerts(
        Batch(user_key("asha"), (notice(1),), held), URL, "SmartPhase {text} {link}"
    )
    assert text.subject == "[SmartPhase] CRITICAL phase_overload KL-KTM-0001 Kottayam 1"
    assert "Raised 2026-03-02 10:02:12 IST" in text.body
    assert "With 12 houses silent." in text.body
    assert text.link == "https://sp.kseb.in/alerts?feeder=KL-KTM-0001"
    assert (
        text.short
        == "SmartPhase CRITICAL phase_overload KL-KTM-0001 Kottayam 1 https://sp.kseb.in/alerts?feeder=KL-KTM-0001"
    )


def test_an_escalation_says_so_and_for_how_long_nobody_acknowledged() -> None:
    text = compose_alerts(
        Batch(user_key("biju"), (notice(1, reason="escalated", level=2),)), URL, "{text}"
    )
    assert text.subject.endswith("(escalated, level 2)")
    assert (
        "escalated to level 2 (Sub-division (AEE)) after 15 min without acknowledgement"
        in text.body
    )
    assert text.short.startswith("ESCALATED L2: ")


def test_a_storm_lists_the_worst_and_counts_the_rest() -> None:
    notices = tuple(
        [notice(k, "critical") for k in range(3)] + [notice(k, "warning") for k in range(3, 500)]
    )
    text = compose_alerts(
        Batch(user_key("asha"), notices), URL, "SmartPhase {count} alerts: {text} {link}"
    )
    assert text.subject.startswith("[SmartPhase] 500 alerts (3 critical, 497 warning): CRITICAL")
    assert text.body.count("Raised ") == LIST_MAX
    assert f"... and {500 - LIST_MAX} more: 490 warning." in text.body
    assert text.short.startswith("SmartPhase 500 alerts: 500 alerts, worst CRITICAL")
    assert len(text.short) <= 160


def test_an_sms_is_ascii_and_at_most_160_characters_whatever_it_says() -> None:
    long = "Ñeutral — " + "x" * 300
    short = sms_text(
        "KSEB alert: {text} ({severity}) {link} -KSEB",
        text=long,
        link="https://sp.kseb.in/alerts",
        count=1,
        severity="CRITICAL",
    )
    assert len(short) == 160
    assert short.isascii()
    assert short.startswith("KSEB alert: Neutral - xxx")
    assert short.endswith("... (CRITICAL) https://sp.kseb.in/alerts -KSEB")


# --- contacts and quiet hours ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "stored"),
    [("+91 98470 12345", "+919847012345"), ("098470-12345", "+919847012345"),
     ("9847012345", "+919847012345"), ("0044 20 7946 0018", "+442079460018"), ("", None)],
)  # fmt: skip
def test_phone_numbers_are_kept_in_e164(given: str, stored: str | None) -> None:
    assert check_phone(given) == stored


@pytest.mark.parametrize("bad", ["12345", "+0 123 456 789", "phone", "98470 1234"])
def test_a_bad_phone_number_is_named(bad: str) -> None:
    with pytest.raises(ContactError) as err:
        check_phone(bad)
    assert err.value.field == "phone"
    assert str(err.value).startswith("phone: ")


def test_e_mail_addresses_are_checked_and_named() -> None:
    assert check_email(" Asha.K@KSEB.In ") == "Asha.K@kseb.in"
    for bad in ("asha", "asha@", "@kseb.in", "asha@kseb", "a b@kseb.in", "a" * 250 + "@k.in"):
        with pytest.raises(ContactError) as err:
            check_email(bad)
        assert err.value.field == "email"


def test_quiet_hours_are_a_window_or_off() -> None:
    assert check_quiet_hours("22:00-06:00") == "22:00-06:00"
    assert check_quiet_hours("OFF") == "off"
    assert check_quiet_hours("") is None
    for bad in ("22-06", "25:00-06:00", "06:00-06:00"):
        with pytest.raises(ContactError) as err:
            check_quiet_hours(bad)
        assert err.value.field == "quiet_hours"


def test_quiet_hours_end_at_their_ist_end_across_midnight() -> None:
    night = parse_quiet_hours("22:00-06:00")
    ist_2330 = datetime(2026, 3, 2, 18, 0, tzinfo=UTC)
    ist_0300 = datetime(2026, 3, 2, 21, 30, tzinfo=UTC)
    ist_1200 = datetime(2026, 3, 2, 6, 30, tzinfo=UTC)
    six_ist = datetime(2026, 3, 3, 0, 30, tzinfo=UTC)
    assert quiet_end(ist_2330, night) == six_ist
    assert quiet_end(ist_0300, night) == six_ist
    assert quiet_end(ist_1200, night) == ist_1200
    lunch = parse_quiet_hours("13:00-14:00")
    assert quiet_end(datetime(2026, 3, 2, 7, 45, tzinfo=UTC), lunch) == datetime(
        2026, 3, 2, 8, 30, tzinfo=UTC
    )
    assert quiet_end(ist_2330, None) == ist_2330


def test_addresses_are_masked_for_the_control_room() -> None:
    assert mask_email("asha@kseb.in") == "a***@kseb.in"
    assert mask_phone("+919847012345") == "+91******2345"


# --- channel settings ------------------------------------------------------------------------


def test_smtp_urls_pick_the_security_mode() -> None:
    assert smtp_server("smtp://relay.kseb.in:25").mode == "insecure"
    assert smtp_server("smtp://u:p@mail.kseb.in:587").mode == "starttls"
    assert smtp_server("smtps://mail.kseb.in").port == 465
    assert smtp_server("smtp://mail.kseb.in:2525?mode=starttls").mode == "starttls"
    with pytest.raises(NotifySettingsError, match="SP_SMTP_URL"):
        smtp_server("http://mail.kseb.in")


def test_channels_are_named_by_scheme_or_explicitly() -> None:
    found = url_channels(
        "tgram://123:abc/-100200 json://hooks.kseb.in/sp, ops=json://ops.kseb.in/x json://b"
    )
    assert list(found) == ["tgram", "json", "ops", "json-2"]
    for bad in ("email=json://x", "not-a-url", "ops=json://a ops=json://b"):
        with pytest.raises(NotifySettingsError, match="SP_NOTIFY_URLS: entry"):
            url_channels(bad)


def test_settings_name_the_bad_notification_variable() -> None:
    env = {
        "SP_SMTP_URL": "smtp://u:secret-pw@mail:587",
        "SP_NOTIFY_URLS": "tgram://BOT-TOKEN-123/42",
    }
    settings = Settings.from_env(env)
    assert channel_names(settings) == ("email", "tgram")
    assert "secret-pw" not in repr(settings)
    assert "BOT-TOKEN" not in repr(settings)
    assert policy_of(settings).quiet_hours == parse_quiet_hours("22:00-06:00")
    for name, value in (
        ("SP_SMTP_URL", "mail.kseb.in"),
        ("SP_SMS_URL", "forms://gw.example.in/send"),
        ("SP_SMS_TEMPLATE", "Alert {body}"),
        ("SP_SMS_MIN_SEVERITY", "urgent"),
        ("SP_NOTIFY_QUIET_HOURS", "night"),
        ("SP_PUBLIC_URL", "sp.kseb.in"),
        ("SP_NOTIFY_GROUP_INTERVAL_S", "0"),
    ):
        with pytest.raises(SettingsError, match=name):
            Settings.from_env({name: value})


def test_credentials_are_redacted_from_errors_and_apprise_logs() -> None:
    settings = Settings(
        smtp_url="smtp://mailer:s3cret-pass@mail.kseb.in:587",
        sms_url="forms://gw.example.in/send?method=GET&:apikey=GW-KEY-9876&:to={to}",
        notify_urls="tgram://123456:BOT-token-abc/-1001",
    )
    secrets = secrets_of(settings)
    text = "login s3cret-pass failed; GET /send?apikey=GW-KEY-9876; tgram 123456:BOT-token-abc"
    cleaned = redact(text, secrets)
    assert "s3cret" not in cleaned
    assert "GW-KEY" not in cleaned
    assert "BOT-token" not in cleaned
    record = logging.LogRecord(
        "apprise", logging.WARNING, __file__, 1, "key %s", ("GW-KEY-9876",), None
    )
    RedactingFilter(secrets).filter(record)
    assert record.getMessage() == "key ***"
