"""The ESP32's ADC and GPIO behind the small interfaces of sampler.py and relay.py.

Only this module and main.py import `machine`; the rest runs unchanged on the unix port.
"""

import relay
import sampler
from machine import ADC, Pin


class AdcChannel:
    """One ADC1 input at 11 dB attenuation (0..~3.1 V); `read()` returns 0..65535."""

    def __init__(self, pin):
        self.adc = ADC(Pin(pin), atten=ADC.ATTN_11DB)
        self.read = self.adc.read_u16


def build(cfg, clock):
    """Return (meter, relays, zero_cross) wired to the pins of `cfg`, a config.Config."""
    v_adc = AdcChannel(cfg.pin_v)
    i_adc = AdcChannel(cfg.pin_i)
    pv_adc = AdcChannel(cfg.pin_pv) if cfg.pv_fitted else None
    meter = sampler.Meter(clock, v_adc, i_adc, cfg, pv_adc)
    pull = Pin.PULL_UP if cfg.feedback_active_low else None
    relays = relay.PhaseRelays(
        clock,
        [Pin(n, Pin.OUT, value=0) for n in cfg.pin_set],
        [Pin(n, Pin.OUT, value=0) for n in cfg.pin_reset],
        [Pin(n, Pin.IN, pull) for n in cfg.pin_feedback],
        cfg.pulse_ms,
        cfg.feedback_active_low,
    )
    zero_cross = sampler.ZeroCross(
        clock, v_adc, meter.rate_hz, lambda: meter.v_offset, cfg.zc_hysteresis
    )
    return meter, relays, zero_cross
