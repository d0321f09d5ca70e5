"""Transformer meter inputs over Modbus (RS-485 RTU or TCP) with pymodbus.

Two kinds of meter are read:

``pzem3``: three PZEM-004T v3.0-class single-phase meters on one RS-485 line, one per phase
(unit ids for R, Y, B, default 1, 2, 3). Each is read with function 0x04 (input registers),
ten registers from 0x0000, 32-bit values low word first:

=======  ===================  ===========
address  quantity             resolution
=======  ===================  ===========
0x0000   voltage              0.1 V
0x0001   current (low, high)  0.001 A
0x0003   power (low, high)    0.1 W
0x0005   energy (low, high)   1 Wh
0x0007   frequency            0.1 Hz
0x0008   power factor         0.01
0x0009   alarm                0xFFFF = on
=======  ===================  ===========

A PZEM reports neither the direction of power nor Q: P is taken as imported and
Q = √((V·I)² − P²) as inductive, and the neutral current is estimated from these phasors.

``sdm630``: a three-phase meter with the Eastron SDM630 input-register layout (function 0x04,
IEEE-754 float32, high word first, one unit id, default 1). The subset read:

=======  ===============================  ====
address  quantity                         unit
=======  ===============================  ====
0x0000   voltage L1, L2, L3 (to neutral)  V
0x0006   current L1, L2, L3               A
0x000C   active power L1, L2, L3          W
0x0018   reactive power L1, L2, L3        var
0x0046   frequency                        Hz
0x00E0   neutral current                  A
=======  ===============================  ====

Each quantity takes two registers; L1, L2, L3 are consecutive (e.g. 0x0000, 0x0002, 0x0004).
L1, L2, L3 are wired to R, Y, B. Power is signed: negative is reverse flow (PV export).
"""

from __future__ import annotations

import logging
import math
import struct
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final
from urllib.parse import parse_qs, urlsplit

from pymodbus import FramerType
from pymodbus.client import ModbusSerialClient, ModbusTcpClient
from pymodbus.exceptions import ModbusException

from edge.meter import LatestReading, MeterReading

log = logging.getLogger("edge.modbus")

PZEM_REGISTERS: Final = 10
"""Input registers of a PZEM-004T reading, from 0x0000."""
PZEM_ALARM_ON: Final = 0xFFFF

SDM_BLOCK: Final = (0x0000, 0x48)
"""(first register, count) of the SDM630 block read first: voltages … frequency."""
SDM_NEUTRAL: Final = (0x00E0, 2)
"""(first register, count) of the SDM630 neutral current."""
SDM_VOLTAGE: Final = 0x0000
SDM_CURRENT: Final = 0x0006
SDM_POWER: Final = 0x000C
SDM_REACTIVE: Final = 0x0018
SDM_FREQUENCY: Final = 0x0046
SDM_NEUTRAL_CURRENT: Final = 0x00E0


class MeterError(RuntimeError):
    """The meter could not be read; the message says which unit and why."""


@dataclass(frozen=True, slots=True)
class PzemReading:
    """One PZEM-004T measurement."""

    v_v: float
    """Voltage [V]."""
    i_a: float
    """Current [A]."""
    p_w: float
    """Active power [W] (never negative)."""
    energy_wh: int
    """Energy counter [Wh]."""
    f_hz: float
    """Frequency [Hz]."""
    pf: float
    """Power factor."""
    alarm: bool = False

    @property
    def q_var(self) -> float:
        """Return the reactive power, taken as inductive: √((V·I)² − P²) [var]."""
        s = self.v_v * self.i_a
        return math.sqrt(max(s * s - self.p_w * self.p_w, 0.0))


def _u32_low_first(low: int, high: int) -> int:
    return (high << 16) | low


def decode_pzem(registers: Sequence[int]) -> PzemReading:
    """Return the reading of ten PZEM-004T input registers."""
    if len(registers) < PZEM_REGISTERS:
        raise ValueError(f"a PZEM reading has {PZEM_REGISTERS} registers, not {len(registers)}")
    r = registers
    return PzemReading(
        v_v=r[0] / 10.0,
        i_a=_u32_low_first(r[1], r[2]) / 1000.0,
        p_w=_u32_low_first(r[3], r[4]) / 10.0,
        energy_wh=_u32_low_first(r[5], r[6]),
        f_hz=r[7] / 10.0,
        pf=r[8] / 100.0,
        alarm=r[9] == PZEM_ALARM_ON,
    )


def encode_pzem(reading: PzemReading) -> list[int]:
    """Return the ten input registers a PZEM-004T shows for `reading` (for simulators)."""

    def u32(value: int) -> list[int]:
        return [value & 0xFFFF, (value >> 16) & 0xFFFF]

    return [
        round(reading.v_v * 10.0),
        *u32(round(reading.i_a * 1000.0)),
        *u32(round(reading.p_w * 10.0)),
        *u32(reading.energy_wh),
        round(reading.f_hz * 10.0),
        round(reading.pf * 100.0),
        PZEM_ALARM_ON if reading.alarm else 0,
    ]


def _float(registers: Sequence[int], offset: int) -> float:
    """Return the float32 in two registers, high word first."""
    raw = struct.pack(">HH", registers[offset], registers[offset + 1])
    return float(struct.unpack(">f", raw)[0])


def float_registers(value: float) -> list[int]:
    """Return the two registers (high word first) of a float32."""
    high, low = struct.unpack(">HH", struct.pack(">f", value))
    return [high, low]


def _triple(block: Sequence[int], address: int) -> tuple[float, float, float]:
    base = address - SDM_BLOCK[0]
    return (_float(block, base), _float(block, base + 2), _float(block, base + 4))


def decode_sdm630(block: Sequence[int], neutral: Sequence[int], ts_s: float) -> MeterReading:
    """Return the reading of the SDM630 main block (0x0000, 0x48 registers) and neutral block."""
    if len(block) < SDM_BLOCK[1] or len(neutral) < SDM_NEUTRAL[1]:
        raise ValueError("the SDM630 blocks are too short")
    return MeterReading(
        ts_s=ts_s,
        v_v=_triple(block, SDM_VOLTAGE),
        i_a=_triple(block, SDM_CURRENT),
        p_w=_triple(block, SDM_POWER),
        q_var=_triple(block, SDM_REACTIVE),
        i_n_a=_float(neutral, 0),
        f_hz=_float(block, SDM_FREQUENCY - SDM_BLOCK[0]),
    )


def sdm630_registers(reading: MeterReading) -> dict[int, int]:
    """Return {address: value} of the SDM630 registers showing `reading` (for simulators)."""
    registers: dict[int, int] = {}

    def put(address: int, values: Sequence[float]) -> None:
        for k, value in enumerate(values):
            high, low = float_registers(value)
            registers[address + 2 * k] = high
            registers[address + 2 * k + 1] = low

    put(SDM_VOLTAGE, reading.v_v)
    put(SDM_CURRENT, reading.i_a)
    put(SDM_POWER, reading.p_w)
    put(SDM_REACTIVE, reading.q_var)
    put(SDM_FREQUENCY, [reading.f_hz or 50.0])
    put(SDM_NEUTRAL_CURRENT, [reading.i_n_a or 0.0])
    return registers


def pzem_phases(readings: Sequence[PzemReading], ts_s: float) -> MeterReading:
    """Return the transformer reading of three PZEM meters on R, Y and B."""
    if len(readings) != 3:
        raise ValueError("three PZEM readings (R, Y, B) are needed")
    r, y, b = readings
    return MeterReading(
        ts_s=ts_s,
        v_v=(r.v_v, y.v_v, b.v_v),
        i_a=(r.i_a, y.i_a, b.i_a),
        p_w=(r.p_w, y.p_w, b.p_w),
        q_var=(r.q_var, y.q_var, b.q_var),
        i_n_a=None,
        f_hz=r.f_hz,
    )


ModbusClient = ModbusTcpClient | ModbusSerialClient


@dataclass(frozen=True, slots=True)
class MeterConfig:
    """Which meter to read and how to reach it, parsed from a meter URL."""

    kind: str
    """"pzem3" or "sdm630"."""
    units: tuple[int, ...]
    """Modbus unit ids: R, Y, B for pzem3; one for sdm630."""
    transport: str
    """"tcp" or "rtu"."""
    host: str = ""
    port: int = 502
    device: str = ""
    """Serial device, e.g. /dev/ttyUSB0."""
    baudrate: int = 9600
    timeout_s: float = 1.0
    rtu_over_tcp: bool = False
    """TCP to a transparent RS-485 gateway: RTU frames (with CRC) instead of Modbus TCP."""

    @staticmethod
    def from_url(url: str) -> MeterConfig:
        """Return the config of `tcp://host:port?kind=…&unit=…` or `rtu:///dev/tty…?…`.

        Query keys: kind (sdm630 | pzem3), unit or units (comma-separated R, Y, B for pzem3),
        timeout [s], baudrate (rtu), framer=rtu (tcp to a transparent RS-485 gateway).
        """
        parts = urlsplit(url)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        kind = query.get("kind", "sdm630")
        if kind not in ("pzem3", "sdm630"):
            raise ValueError(f"meter kind {kind!r} is not pzem3 or sdm630")
        default_units = "1,2,3" if kind == "pzem3" else "1"
        units = tuple(
            int(u) for u in query.get("units", query.get("unit", default_units)).split(",")
        )
        if len(units) != (3 if kind == "pzem3" else 1):
            raise ValueError(f"meter kind {kind} needs {3 if kind == 'pzem3' else 1} unit ids")
        timeout_s = float(query.get("timeout", "1.0"))
        if parts.scheme == "tcp":
            if not parts.hostname:
                raise ValueError("a tcp meter URL needs a host")
            return MeterConfig(
                kind,
                units,
                "tcp",
                host=parts.hostname,
                port=parts.port or 502,
                timeout_s=timeout_s,
                rtu_over_tcp=query.get("framer", "socket") == "rtu",
            )
        if parts.scheme == "rtu":
            return MeterConfig(
                kind,
                units,
                "rtu",
                device=parts.path,
                baudrate=int(query.get("baudrate", "9600")),
                timeout_s=timeout_s,
            )
        raise ValueError(f"meter URL scheme {parts.scheme!r} is not tcp or rtu")

    def client(self) -> ModbusClient:
        """Return an unconnected pymodbus client for this meter (8N1 on RS-485)."""
        if self.transport == "tcp":
            framer = FramerType.RTU if self.rtu_over_tcp else FramerType.SOCKET
            return ModbusTcpClient(
                self.host, port=self.port, framer=framer, timeout=self.timeout_s, retries=1
            )
        return ModbusSerialClient(
            self.device,
            baudrate=self.baudrate,
            bytesize=8,
            parity="N",
            stopbits=1,
            timeout=self.timeout_s,
            retries=1,
        )


class ModbusMeter:
    """Reads one transformer meter; translates every Modbus failure into MeterError."""

    def __init__(
        self,
        config: MeterConfig,
        *,
        clock: Callable[[], float] = time.time,
        client: ModbusClient | None = None,
    ) -> None:
        self.config = config
        self.clock = clock
        self.client = client or config.client()

    def _registers(self, unit: int, address: int, count: int) -> list[int]:
        try:
            if not self.client.connected and not self.client.connect():
                raise MeterError(f"unit {unit}: cannot connect")
            response = self.client.read_input_registers(address, count=count, device_id=unit)
        except ModbusException as exc:
            raise MeterError(f"unit {unit}: {exc}") from exc
        if response.isError():
            raise MeterError(f"unit {unit}: exception response {response}")
        return list(response.registers)

    def read(self) -> MeterReading:
        """Return a reading of all three phases now."""
        if self.config.kind == "pzem3":
            readings = [
                decode_pzem(self._registers(unit, 0x0000, PZEM_REGISTERS))
                for unit in self.config.units
            ]
            return pzem_phases(readings, self.clock())
        unit = self.config.units[0]
        block = self._registers(unit, *SDM_BLOCK)
        neutral = self._registers(unit, *SDM_NEUTRAL)
        return decode_sdm630(block, neutral, self.clock())

    def close(self) -> None:
        """Close the connection."""
        self.client.close()  # type: ignore[no-untyped-call]


class MeterPoller:
    """Reads a meter every `period_s` on its own thread and keeps the newest reading."""

    def __init__(self, meter: ModbusMeter, period_s: float) -> None:
        self.meter = meter
        self.period_s = period_s
        self.latest = LatestReading()
        self.errors = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="meter-poller", daemon=True)

    def start(self) -> None:
        """Start polling."""
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.latest.put(self.meter.read())
            except MeterError as exc:
                self.errors += 1
                log.warning("meter read failed: %s", exc)
            self._stop.wait(self.period_s)

    def stop(self) -> None:
        """Stop polling and close the meter."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(5.0)
        self.meter.close()
