"""Meter inputs against a real pymodbus server: PZEM-004T ×3 and an SDM630-layout meter."""

from __future__ import annotations

import asyncio
import functools
import socket
import threading
import time
from collections.abc import Iterator

import pytest
from pymodbus import FramerType
from pymodbus.server import ModbusTcpServer
from pymodbus.simulator import DataType, SimData, SimDevice

from edge.meter import MeterReading
from edge.modbus import (
    MeterConfig,
    MeterError,
    MeterPoller,
    ModbusMeter,
    PzemReading,
    decode_pzem,
    decode_sdm630,
    encode_pzem,
    float_registers,
    sdm630_registers,
)

SDM_UNIT = 10
PZEM_UNITS = (1, 2, 3)
READING = MeterReading(
    ts_s=0.0,
    v_v=(231.5, 228.25, 233.0),
    i_a=(41.5, 12.25, 30.0),
    p_w=(9400.0, -1800.0, 6500.0),
    q_var=(1200.0, 300.0, -450.0),
    i_n_a=25.5,
    f_hz=50.0,  # every value is exact in float32
)
PZEM = (
    PzemReading(231.4, 21.345, 4700.5, 123_456, 50.0, 0.95),
    PzemReading(229.0, 5.0, 1145.0, 70_000, 50.0, 1.0),
    PzemReading(233.1, 12.5, 2500.0, 99, 49.9, 0.86, alarm=True),
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class MeterServer:
    """A pymodbus TCP server in its own thread whose input registers the test sets."""

    def __init__(self, framer: FramerType = FramerType.SOCKET) -> None:
        self.port = free_port()
        self.images: dict[int, dict[int, int]] = {unit: {} for unit in (*PZEM_UNITS, SDM_UNIT)}
        self.reads = 0
        devices = [
            self._device(unit, [SimData(0, count=10, datatype=DataType.REGISTERS)])
            for unit in PZEM_UNITS
        ]
        devices.append(
            self._device(
                SDM_UNIT,
                [
                    SimData(0x0000, count=0x48, datatype=DataType.REGISTERS),
                    SimData(0x00E0, count=2, datatype=DataType.REGISTERS),
                ],
            )
        )
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._server: ModbusTcpServer | None = None
        self._thread = threading.Thread(target=self._run, args=(devices, framer), daemon=True)
        self._thread.start()
        assert self._ready.wait(10), "the Modbus server did not start"

    def _device(self, unit: int, blocks: list[SimData]) -> SimDevice:
        return SimDevice(id=unit, simdata=blocks, action=functools.partial(self._fill, unit))

    async def _fill(
        self,
        unit: int,
        _fc: int,
        start: int,
        _address: int,
        _count: int,
        registers: list[int],
        _values: object,
    ) -> None:
        self.reads += 1
        for address, value in self.images[unit].items():
            if 0 <= address - start < len(registers):
                registers[address - start] = value

    def _run(self, devices: list[SimDevice], framer: FramerType) -> None:
        asyncio.set_event_loop(self._loop)

        async def serve() -> None:
            self._server = ModbusTcpServer(devices, address=("127.0.0.1", self.port), framer=framer)
            await self._server.serve_forever(background=True)
            self._ready.set()
            await self._server.serving

        self._loop.run_until_complete(serve())

    def show(self, reading: MeterReading, pzem: tuple[PzemReading, ...]) -> None:
        """Set the registers the meters show."""
        self.images[SDM_UNIT] = sdm630_registers(reading)
        for unit, value in zip(PZEM_UNITS, pzem, strict=True):
            self.images[unit] = dict(enumerate(encode_pzem(value)))

    def stop(self) -> None:
        assert self._server is not None
        shutdown = self._server.shutdown()  # type: ignore[no-untyped-call]
        asyncio.run_coroutine_threadsafe(shutdown, self._loop).result(10)
        self._thread.join(10)


@pytest.fixture
def server() -> Iterator[MeterServer]:
    s = MeterServer()
    s.show(READING, PZEM)
    yield s
    s.stop()


def meter(url: str) -> ModbusMeter:
    return ModbusMeter(MeterConfig.from_url(url), clock=lambda: 1_773_642_600.0)


def test_pzem_registers_round_trip_with_documented_scaling() -> None:
    regs = encode_pzem(PZEM[0])
    assert regs[0] == 2314  # 0.1 V
    assert (regs[1], regs[2]) == (21_345, 0)  # 1 mA, low word first
    assert (regs[3], regs[4]) == (47_005 & 0xFFFF, 47_005 >> 16)  # 0.1 W
    assert regs[7:] == [500, 95, 0]
    assert decode_pzem(regs) == PZEM[0]
    assert decode_pzem(encode_pzem(PZEM[2])).alarm


def test_sdm630_floats_are_high_word_first() -> None:
    assert float_registers(230.0) == [0x4366, 0x0000]
    regs = sdm630_registers(READING)
    block = [regs.get(a, 0) for a in range(0x48)]
    neutral = [regs[0xE0], regs[0xE1]]
    assert decode_sdm630(block, neutral, 0.0) == READING


def test_sdm630_meter_over_tcp(server: MeterServer) -> None:
    m = meter(f"tcp://127.0.0.1:{server.port}?kind=sdm630&unit={SDM_UNIT}")
    reading = m.read()
    assert reading.v_v == pytest.approx(READING.v_v)
    assert reading.p_w == pytest.approx(READING.p_w)  # reverse flow on Y stays negative
    assert reading.q_var == pytest.approx(READING.q_var)
    assert reading.i_n_a == pytest.approx(25.5)
    assert reading.f_hz == 50.0
    assert reading.ts_s == 1_773_642_600.0
    server.show(
        MeterReading(0.0, (240.0,) * 3, (1.0,) * 3, (100.0,) * 3, (0.0,) * 3, 0.0, 50.0), PZEM
    )
    assert m.read().v_v == pytest.approx((240.0,) * 3)
    m.close()


def test_three_pzem_meters_make_the_transformer_reading(server: MeterServer) -> None:
    m = meter(f"tcp://127.0.0.1:{server.port}?kind=pzem3&units=1,2,3")
    reading = m.read()
    assert reading.v_v == pytest.approx((231.4, 229.0, 233.1))
    assert reading.i_a == pytest.approx((21.345, 5.0, 12.5))
    assert reading.p_w == pytest.approx((4700.5, 1145.0, 2500.0))
    s_r = 231.4 * 21.345
    assert reading.q_var[0] == pytest.approx((s_r**2 - 4700.5**2) ** 0.5)
    assert reading.i_n_a is None
    m.close()


def test_rtu_frames_through_a_tcp_gateway() -> None:
    s = MeterServer(framer=FramerType.RTU)
    try:
        s.show(READING, PZEM)
        m = meter(f"tcp://127.0.0.1:{s.port}?kind=pzem3&units=1,2,3&framer=rtu")
        assert m.read().p_w == pytest.approx((4700.5, 1145.0, 2500.0))
        m.close()
    finally:
        s.stop()


def test_missing_unit_and_dead_server_are_meter_errors(server: MeterServer) -> None:
    m = meter(f"tcp://127.0.0.1:{server.port}?kind=sdm630&unit=42&timeout=0.5")
    with pytest.raises(MeterError, match="unit 42"):
        m.read()
    m.close()
    dead = meter(f"tcp://127.0.0.1:{free_port()}?kind=sdm630&timeout=0.2")
    with pytest.raises(MeterError):
        dead.read()
    dead.close()


def test_poller_keeps_the_newest_reading_and_counts_failures(server: MeterServer) -> None:
    good = MeterPoller(meter(f"tcp://127.0.0.1:{server.port}?kind=sdm630&unit={SDM_UNIT}"), 0.05)
    good.start()
    deadline = time.monotonic() + 5
    while good.latest.latest() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    good.stop()
    latest = good.latest.latest()
    assert latest is not None
    assert latest.p_w == pytest.approx(READING.p_w)
    bad = MeterPoller(meter(f"tcp://127.0.0.1:{free_port()}?kind=sdm630&timeout=0.1"), 0.05)
    bad.start()
    time.sleep(0.3)
    bad.stop()
    assert bad.errors >= 1
    assert bad.latest.latest() is None


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("udp://host:502", "scheme"),
        ("tcp://h?kind=pzem3&units=1,2", "3 unit ids"),
        ("tcp://h?kind=eastron", "kind"),
        ("tcp://?kind=sdm630", "host"),
    ],
)
def test_bad_meter_urls_are_refused(url: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        MeterConfig.from_url(url)


def test_serial_url_builds_an_rs485_client() -> None:
    config = MeterConfig.from_url("rtu:///dev/ttyUSB0?kind=pzem3&baudrate=9600")
    assert (config.transport, config.device, config.units) == ("rtu", "/dev/ttyUSB0", (1, 2, 3))
    client = config.client()
    assert type(client).__name__ == "ModbusSerialClient"
