"""One typed settings object, read once from `SP_`-prefixed environment variables.

The defaults give the embedded demo: a SQLite file under var/ and the in-process broker on
127.0.0.1:18830 (never a system broker's 1883). Production sets a PostgreSQL/TimescaleDB URL
and a TLS broker (`mqtts://`).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

PREFIX = "SP_"
DEFAULT_DATABASE_URL = "sqlite:///var/smartphase.db"
DEFAULT_MQTT_URL = "mqtt://127.0.0.1:18830"


class SettingsError(ValueError):
    """A setting that cannot be used; the message names the variable."""


INGEST_MAX_AHEAD_S: Final = 120.0
"""Default of Settings.ingest_max_ahead_s [s]."""


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything a SmartPhase process is configured with."""

    database_url: str = DEFAULT_DATABASE_URL
    """`postgresql://user@host:port/db` or `sqlite:///path` (SP_DATABASE_URL)."""
    mqtt_url: str = dataclasses.field(default=DEFAULT_MQTT_URL, repr=False)
    """`mqtt://[user:password@]host:port` or `mqtts://...` for TLS (SP_MQTT_URL). Never
    logged: transport.Broker.url shows it without the password."""
    mqtt_ca_file: str | None = None
    """CA bundle for a TLS broker; the system store when unset (SP_MQTT_CA_FILE)."""
    mqtt_cert_file: str | None = None
    """Client certificate (PEM) for a TLS broker that asks for one (SP_MQTT_CERT_FILE)."""
    mqtt_key_file: str | None = None
    """Private key of that certificate, if not in the same file (SP_MQTT_KEY_FILE)."""
    port: int = 8050
    """Dashboard HTTP port (SP_PORT)."""
    secret_key: str | None = None
    """Flask session key (SP_SECRET_KEY); required with PostgreSQL, generated for the demo."""
    host: str = "127.0.0.1"
    """Address the dashboard listens on with `python app.py` (SP_HOST)."""
    cookie_secure: bool = False
    """Mark the session cookie Secure: set it when the dashboard is served over TLS."""
    allowed_origins: str = ""
    """Comma-separated extra origins accepted on POSTs, e.g. a TLS proxy's (SP_ALLOWED_ORIGINS)."""
    login_max_failures: int = 10
    """Failed logins for one user or one address before HTTP 429 (SP_LOGIN_MAX_FAILURES)."""
    login_window_s: int = 900
    """... counted over this window, which is also how long an address stays blocked [s]."""
    login_account_delay_s: int = 5
    """Past its failure limit, an account takes one sign-in attempt per this delay [s]
    (SP_LOGIN_ACCOUNT_DELAY_S): a delay, never a lock that anyone could impose."""
    session_lifetime_s: int = 43200
    """Absolute lifetime of a sign-in, however active (SP_SESSION_LIFETIME_S) [s]."""
    mfa_required: bool = False
    """Operators and admins must sign in with a TOTP second factor (SP_MFA_REQUIRED)."""
    trusted_proxies: int = 0
    """Reverse proxies in front of the control room whose X-Forwarded-For, -Proto, -Host and
    -Port are believed (SP_TRUSTED_PROXIES); 0 trusts none."""
    keys_dir: str = "var/keys"
    """Directory of the feeder and house signing keys (SP_KEYS_DIR)."""
    ui_lang: str = "en"
    """The control room's language, `en` or `ml`: its `<html lang>` and the strings of
    components/strings.py that have a translation (SP_UI_LANG)."""
    map_tiles_url: str | None = None
    """Online map tiles, e.g. `https://tile.openstreetmap.org/{z}/{x}/{y}.png`; unset, the map
    shows only the offline district polygons (SP_MAP_TILES_URL)."""
    ingest_client_id: str = "sp-ingest-1"
    """Fixed MQTT client id of this ingest worker: its persistent session (SP_INGEST_CLIENT_ID)."""
    ingest_shared: bool = True
    """Subscribe through `$share/ingest/...` so that several workers split the load."""
    ingest_batch_rows: int = 5000
    """The writer commits once this many rows are queued (SP_INGEST_BATCH_ROWS)."""
    ingest_flush_ms: int = 250
    """... and at least this often while anything is queued [ms] (SP_INGEST_FLUSH_MS)."""
    ingest_queue_max: int = 2000
    """Most messages waiting for the writer; beyond it the worker stops reading."""
    ingest_metrics_port: int = 9108
    """Prometheus metrics port of the ingest worker; 0 turns the endpoint off."""
    ingest_max_ahead_s: float = INGEST_MAX_AHEAD_S
    """Furthest a message's time may be ahead of HQ's clock at its arrival [s]; beyond, it is a
    dead letter (SP_INGEST_MAX_AHEAD_S). Edge clocks are kept by NTP; only a simulated fleet on
    accelerated time needs more."""
    tariff_inr_per_kwh: float = 6.0
    """What a kWh of avoided loss is worth in the reports' savings [₹/kWh]: set it to the
    utility's cost of supply (SP_TARIFF_INR_PER_KWH)."""
    lv_phase_ohm: float = 0.05
    """Resistance of each phase conductor of an LV feeder, transformer to load centre, for the
    reports' I²R losses [Ω] (SP_LV_PHASE_OHM). The default is a feeder of three 600 m branches
    of 50 mm² ACSR (0.54 Ω/km) with the load spread along them; the replay uses the same."""
    lv_neutral_ohm: float = 0.05
    """Resistance of the LV feeder's neutral conductor, transformer to load centre, for the
    reports' I²R losses [Ω] (SP_LV_NEUTRAL_OHM)."""
    smtp_url: str | None = dataclasses.field(default=None, repr=False)
    """E-mail leaves through this SMTP server: `smtp://[user:password@]host:port` (STARTTLS on
    port 587, plain elsewhere) or `smtps://...` (TLS from the start); `?mode=starttls|ssl|
    insecure` overrides (SP_SMTP_URL). Unset: no e-mail. Never logged."""
    smtp_from: str = "SmartPhase <smartphase@localhost>"
    """The sender of every e-mail (SP_SMTP_FROM)."""
    sms_url: str | None = dataclasses.field(default=None, repr=False)
    """The SMS gateway as an apprise URL in which `{to}` stands for the phone number's digits
    with the country code, e.g. `forms://api.example.in/send?method=GET&:key=K&:to={to}&:message=
    text` (SP_SMS_URL). Unset: no SMS. Never logged."""
    sms_template: str = "SmartPhase {text} {link}"
    """Every SMS as the gateway registered it (DLT): `{text}`, `{link}`, `{count}` and
    `{severity}` are filled in and the result cut to 160 characters (SP_SMS_TEMPLATE)."""
    sms_min_severity: str = "critical"
    """Alerts of this severity or worse are also sent by SMS (SP_SMS_MIN_SEVERITY)."""
    notify_urls: str = dataclasses.field(default="", repr=False)
    """More channels as apprise URLs, e.g. Telegram `tgram://bot-token/chat-id` or a webhook
    `json://host/path`, separated by spaces or commas, each optionally `name=URL`; routes name
    them (SP_NOTIFY_URLS). Never logged."""
    public_url: str = "http://127.0.0.1:8050"
    """Where people reach the control room: the links in messages (SP_PUBLIC_URL)."""
    notify_group_wait_s: int = 2
    """A recipient's first message waits this long for more alerts to join it [s]."""
    notify_group_interval_s: int = 300
    """Fewest seconds between two alert messages to one recipient [s]
    (SP_NOTIFY_GROUP_INTERVAL_S)."""
    notify_repeat_interval_s: int = 14400
    """An alert still open and unacknowledged is told again after this long [s]."""
    notify_quiet_hours: str = "22:00-06:00"
    """IST hours in which alerts other than critical ones wait (`HH:MM-HH:MM`, or `off`); a
    user's own quiet hours replace them (SP_NOTIFY_QUIET_HOURS)."""
    notify_attach_max_kb: int = 5120
    """A report's PDF larger than this goes by link, not attached [KiB]."""
    notify_give_up_s: int = 86400
    """A message not delivered this long after it was queued is given up [s]."""
    notify_lease_s: int = 120
    """How long a worker holds a delivery it is sending [s]; one still held after that (its
    worker died mid-send) is given up as of unknown outcome, never sent twice."""
    reports_dir: str = "var/reports"
    """Where the report worker keeps each report's PDF and CSV annex (SP_REPORTS_DIR)."""
    report_timeout_s: int = 900
    """A report not rendered within this time is stopped and tried again [s]
    (SP_REPORT_TIMEOUT_S)."""
    report_attempts: int = 3
    """Tries of one report before it is marked failed (SP_REPORT_ATTEMPTS)."""
    report_retry_s: int = 60
    """Wait before a failed report is tried again, doubled at each further try [s]
    (SP_REPORT_RETRY_S)."""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Return the settings from `SP_*` variables of `environ` (default os.environ)."""
        settings = cls(**env_values(cls, PREFIX, environ))
        settings.validate()
        return settings

    def validate(self) -> None:
        """Raise SettingsError for a value that cannot work."""
        db = urlsplit(self.database_url)
        if db.scheme not in ("postgresql", "postgres", "sqlite"):
            raise SettingsError(
                f"SP_DATABASE_URL: scheme {db.scheme!r} is not postgresql:// or sqlite:///"
            )
        self._validate_broker()
        for name in ("port", "ingest_metrics_port"):
            value = getattr(self, name)
            if not 0 <= value <= 65535:
                raise SettingsError(f"SP_{name.upper()}: {value} is not a TCP port")
        for name in (
            "ingest_batch_rows",
            "ingest_flush_ms",
            "ingest_queue_max",
            "ingest_max_ahead_s",
            "login_max_failures",
            "login_window_s",
            "login_account_delay_s",
            "session_lifetime_s",
            "report_timeout_s",
            "report_attempts",
            "report_retry_s",
        ):
            if getattr(self, name) <= 0:
                raise SettingsError(f"SP_{name.upper()}: must be positive")
        if self.ui_lang not in ("en", "ml"):
            raise SettingsError(f"SP_UI_LANG: {self.ui_lang!r} is not en or ml")
        if not 0 <= self.trusted_proxies <= 5:
            raise SettingsError("SP_TRUSTED_PROXIES: must be 0 to 5")
        for name in ("tariff_inr_per_kwh", "lv_phase_ohm", "lv_neutral_ohm"):
            value = getattr(self, name)
            if not 0 <= value < float("inf"):
                raise SettingsError(f"SP_{name.upper()}: {value!r} is not a number at or above 0")
        self._validate_notify()

    def _validate_broker(self) -> None:
        """Raise SettingsError for a broker URL that cannot be used (never showing a password)."""
        from transport.broker import BrokerError, broker_from_settings  # noqa: PLC0415

        try:
            broker_from_settings(self)
        except BrokerError as exc:
            raise SettingsError(str(exc)) from None
        if self.mqtt_key_file and not self.mqtt_cert_file:
            raise SettingsError("SP_MQTT_KEY_FILE is set without SP_MQTT_CERT_FILE")

    def _validate_notify(self) -> None:
        """Raise SettingsError for a notification setting that cannot work."""
        from notify.config import check_notify_settings  # noqa: PLC0415

        check_notify_settings(self)

    def with_overrides(self, **changes: Any) -> Settings:
        """Return a copy with some fields changed (and validated)."""
        settings = dataclasses.replace(self, **changes)
        settings.validate()
        return settings

    @property
    def sqlite_path(self) -> Path | None:
        """Return the file of a `sqlite:///` URL, or None for another database."""
        if not self.database_url.startswith("sqlite:///"):
            return None
        return Path(self.database_url.removeprefix("sqlite:///"))


def env_values(
    cls: type[Any],
    prefix: str,
    environ: Mapping[str, str] | None = None,
    error: type[ValueError] = SettingsError,
) -> dict[str, Any]:
    """Return the fields of a settings dataclass found as `prefix + NAME` variables, converted."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for f in fields(cls):
        name = prefix + f.name.upper()
        if name in env:
            values[f.name] = _convert(name, env[name], f, error)
    return values


def _convert(name: str, raw: str, f: dataclasses.Field[Any], error: type[ValueError]) -> Any:
    kind = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", "")
    if kind in ("int", "float"):
        try:
            return int(raw) if kind == "int" else float(raw)
        except ValueError:
            what = "an integer" if kind == "int" else "a number"
            raise error(f"{name}: {raw!r} is not {what}") from None
    if kind == "bool":
        lowered = raw.strip().lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off"):
            return False
        raise error(f"{name}: {raw!r} is not true or false")
    return raw or None if "None" in kind else raw
