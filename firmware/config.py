"""Node settings: every name and its default here; the site's values in site_config.py.

site_config.py is the node's own file (identity, key, network, calibration): it is copied to
the board and never committed; config_example.py is its template. `load()` reads it once
into one Config object and refuses names it does not know, so a typo cannot go unnoticed.
"""

# (name in site_config.py, default); the Config attribute is the name in lower case
FIELDS = (
    # identity and network
    ("HOUSE_ID", ""),  # e.g. "KL-TVM-0042-H017"
    ("FEEDER_ID", ""),  # e.g. "KL-TVM-0042"
    ("KEY_HEX", ""),  # the house key, 32 bytes as 64 hex digits (at least 16 bytes)
    ("WIFI_SSID", ""),
    ("WIFI_PASSWORD", ""),
    ("MQTT_HOST", ""),
    ("MQTT_PORT", 8883),
    ("MQTT_TLS", True),
    ("MQTT_CA_FILE", "ca.der"),  # the broker's CA certificate (DER) on the node's flash
    ("MQTT_USER", None),
    ("MQTT_PASSWORD", None),
    ("KEEPALIVE_S", 60),  # [s]
    ("TELE_PERIOD_S", 10),  # [s]
    ("NTP_HOST", "pool.ntp.org"),
    ("STATE_DIR", "/state"),  # the persisted counter, switch history and lockout
    # measurement: quantity = (raw − offset) × gain, raw from ADC.read_u16() (0..65535)
    ("MAINS_HZ", 50),  # [Hz]
    ("SPC", 40),  # samples per mains cycle, a multiple of 4 (2000 samples/s at 50 Hz)
    ("CYCLES", 10),  # mains cycles per measurement window
    ("V_GAIN", 0.0217),  # ZMPT101B [V/count]
    ("V_OFFSET", None),  # [counts]; None removes the window mean
    ("I_GAIN", 0.00142),  # SCT-013-030, 30 A / 1 V [A/count]; negative flips the CT
    ("I_OFFSET", None),  # [counts]
    ("I_LAG", 0.5),  # delay of the current samples behind the voltage [samples]
    ("I_FLOOR", 0.05),  # current read as no load [A]
    ("PV_FITTED", False),  # a second CT on the PV inverter's output
    ("PV_GAIN", 0.00142),  # [A/count]
    ("PV_OFFSET", None),  # [counts]
    ("PV_LAG", 1.0),  # [samples]
    ("ZC_HYSTERESIS", 500),  # depth below zero that arms the zero-crossing detector [counts]
    # pins (ESP32 GPIO numbers; the ADC pins are on ADC1, which works while Wi-Fi is on)
    ("PIN_V", 36),
    ("PIN_I", 39),
    ("PIN_PV", 34),
    ("PIN_SET", (25, 27, 32)),  # set coils of R, Y, B (through a driver)
    ("PIN_RESET", (26, 14, 33)),  # reset coils of R, Y, B
    ("PIN_FEEDBACK", (18, 19, 21)),  # auxiliary contacts of R, Y, B
    ("FEEDBACK_ACTIVE_LOW", True),  # contact to ground, internal pull-up
    ("PULSE_MS", 40),  # coil pulse [ms]
    # interlocks (DESIGN §6/§7)
    ("MIN_DWELL_S", 1800),  # [s]
    ("MAX_PER_DAY", 3),
    ("UNDO_WINDOW_S", 600),  # a switch may be undone (a rollback) this long after it [s]
    ("TZ_OFFSET_S", 19800),  # local time − UTC for the daily cap's midnight [s]; IST
    ("DEAD_TIME_MS", 100),  # break → make [ms]
    ("SETTLE_MS", 60),  # make → feedback read [ms]
    ("ZC_TIMEOUT_MS", 100),  # [ms]
    ("LEAD_US", 0),  # the relays' operate time, measured on the bench [µs]
)


class Config:
    """The settings of one node, read once at start."""

    def __init__(self):
        for name, default in FIELDS:
            setattr(self, name.lower(), default)

    @property
    def key(self):
        """Return the house key as bytes."""
        return bytes.fromhex(self.key_hex)

    def check(self):
        """Raise ValueError if the settings contradict each other."""
        if not self.house_id.startswith(self.feeder_id + "-") or not self.feeder_id:
            raise ValueError("HOUSE_ID must start with FEEDER_ID and '-'")
        if len(self.key_hex) < 32 or len(self.key_hex) % 2:
            raise ValueError("KEY_HEX must hold at least 16 bytes as hex digits")
        if self.spc % 4:
            raise ValueError("SPC must be a multiple of 4")
        for name in ("pin_set", "pin_reset", "pin_feedback"):
            if len(getattr(self, name)) != 3:
                raise ValueError(name.upper() + " must list the R, Y and B pins")


def load(site=None):
    """Return the Config of the `site` module (site_config by default), checked."""
    if site is None:
        import site_config  # noqa: PLC0415  (the board's own file, absent from the repo)

        site = site_config
    cfg = Config()
    known = [name for name, _ in FIELDS]
    for name in dir(site):
        if name.isupper():
            if name not in known:
                raise ValueError("unknown setting " + name + " in site_config")
            setattr(cfg, name.lower(), getattr(site, name))
    cfg.check()
    return cfg
