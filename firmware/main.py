"""Start the house node on the ESP32: Wi-Fi, NTP, then the service loop under a watchdog.

Copied to the board with the other modules and site_config.py (see README.md).
"""

import ssl

import clock
import config
import hardware
import machine
import mqtt
import network
import ntptime
import service

WDT_TIMEOUT_MS = 120000  # above Wi-Fi join + NTP + a TLS connect timing out
WIFI_WAIT_MS = 20000


def ensure_network(cfg, clk):
    """Join the Wi-Fi if not joined and set the clock from NTP; raise OSError on failure."""
    wlan = network.WLAN(network.STA_IF)
    wlan.active(True)
    if not wlan.isconnected():
        wlan.connect(cfg.wifi_ssid, cfg.wifi_password)
        start = clk.ticks_ms()
        while not wlan.isconnected():
            if clk.ticks_diff(clk.ticks_ms(), start) > WIFI_WAIT_MS:
                raise OSError("Wi-Fi not joined")
            clk.sleep_ms(200)
    ntptime.host = cfg.ntp_host
    ntptime.settime()


def tls_context(cfg):
    """Return the TLS context that trusts the broker's CA, or None without TLS."""
    if not cfg.mqtt_tls:
        return None
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.verify_mode = ssl.CERT_REQUIRED
    with open(cfg.mqtt_ca_file, "rb") as f:
        ctx.load_verify_locations(cadata=f.read())
    return ctx


def main():
    """Build the node from site_config and run it forever."""
    cfg = config.load()
    clk = clock.Clock()
    wdt = machine.WDT(timeout=WDT_TIMEOUT_MS)
    meter, relays, zero_cross = hardware.build(cfg, clk)
    house = service.make_node(cfg, clk, relays, zero_cross)
    ctx = tls_context(cfg)

    def client():
        return mqtt.MQTTClient(
            cfg.house_id,
            cfg.mqtt_host,
            cfg.mqtt_port,
            cfg.mqtt_user,
            cfg.mqtt_password,
            cfg.keepalive_s,
            ssl=ctx,
        )

    svc = service.NodeService(
        house,
        meter,
        client,
        clk,
        cfg.tele_period_s,
        cfg.keepalive_s,
        on_reconnect=lambda: ensure_network(cfg, clk),
    )
    svc.run(wdt=wdt)


main()
