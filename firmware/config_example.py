"""Template of site_config.py, the node's own settings: copy, fill in, copy to the board.

site_config.py holds the house key and the Wi-Fi and broker passwords: never commit it.
Any name of config.FIELDS may be set here; the rest keep their defaults.
"""

HOUSE_ID = "KL-TVM-0042-H017"
FEEDER_ID = "KL-TVM-0042"
KEY_HEX = "<64 hex digits: this house's key, as provisioned at HQ>"

WIFI_SSID = "<ssid>"
WIFI_PASSWORD = "<password>"

MQTT_HOST = "<the feeder's edge controller>"
MQTT_PORT = 8883
MQTT_TLS = True
MQTT_CA_FILE = "ca.der"
MQTT_USER = "KL-TVM-0042-H017"
MQTT_PASSWORD = "<this device's broker password>"

# calibration (README.md, "Calibration")
V_GAIN = 0.0217  # [V/count]
I_GAIN = 0.00142  # [A/count]
I_LAG = 0.5  # [samples]
PV_FITTED = False
