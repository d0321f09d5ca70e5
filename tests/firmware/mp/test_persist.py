"""The two-file state journal on LittleFS in RAM: round trip, rotation, power cuts, wear."""

import os

import persist
from fakes import MOUNT, fresh_flash, remount
from runner import run

DIR = MOUNT + "/state"


def state(ctr, phase="Y", locked=False):
    s = persist.NodeState()
    s.ctr = ctr
    s.last_switch_s = 1767225000 + ctr
    s.day = 20454
    s.switches_today = ctr % 4
    s.locked = locked
    s.phase = phase
    return s


def same(a, b):
    for name in ("ctr", "last_switch_s", "day", "switches_today", "locked", "phase"):
        assert getattr(a, name) == getattr(b, name), name


def size(path):
    try:
        return os.stat(path)[6]
    except OSError:
        return 0


def test_fresh_flash_gives_a_fresh_state():
    fresh_flash()
    s = persist.Journal(DIR).load()
    assert s.ctr == 0
    assert s.phase == ""
    assert not s.locked


def test_round_trip_across_a_reboot():
    dev = fresh_flash()
    journal = persist.Journal(DIR)
    journal.load()
    journal.save(state(41, "B", locked=True))
    journal.save(state(42, "Y"))
    remount(dev)
    same(persist.Journal(DIR).load(), state(42, "Y"))


def test_saves_alternate_between_two_one_record_files():
    dev = fresh_flash()
    journal = persist.Journal(DIR)
    journal.load()
    for ctr in range(1, 8):
        journal.save(state(ctr))
    assert [size(p) for p in journal.paths] == [persist.RECORD_SIZE, persist.RECORD_SIZE]
    remount(dev)
    same(persist.Journal(DIR).load(), state(7))


def test_torn_write_keeps_the_previous_record():
    dev = fresh_flash()
    journal = persist.Journal(DIR)
    journal.load()
    for ctr in range(1, 6):
        journal.save(state(ctr))
    with open(journal.paths[journal.next], "wb") as f:  # a power cut half-way through save 6
        f.write(persist._pack(99, state(6))[:13])
    remount(dev)
    journal = persist.Journal(DIR)
    same(journal.load(), state(5))
    journal.save(state(7))
    remount(dev)
    same(persist.Journal(DIR).load(), state(7))


def test_corrupt_checksum_is_ignored():
    dev = fresh_flash()
    journal = persist.Journal(DIR)
    journal.load()
    journal.save(state(1))
    journal.save(state(2))
    path = journal.paths[1]  # holds record 2
    with open(path, "rb") as f:
        data = bytearray(f.read())
    data[5] ^= 0x40  # flip a bit of its counter
    with open(path, "wb") as f:
        f.write(data)
    remount(dev)
    same(persist.Journal(DIR).load(), state(1))


def _erases(block_size, blocks, write):
    """Return the block erases of `write()` on a fresh LittleFS."""
    dev = fresh_flash(blocks=blocks, block_size=block_size)
    before = sum(dev.erases)
    write()
    return sum(dev.erases) - before, dev


def test_wear_few_erases_per_save():
    n = 3000  # years of commands at a few a day

    def saves():
        journal = persist.Journal(DIR)
        journal.load()
        for ctr in range(1, n + 1):
            journal.save(state(ctr))

    def appended_log():  # the alternative: append records to a file, a new file every 32
        os.mkdir(DIR)
        for ctr in range(1, n + 1):
            path = DIR + "/log_" + str(ctr // 32 % 2)
            with open(path, "ab" if ctr % 32 else "wb") as f:
                f.write(persist._pack(ctr, state(ctr)))

    erases, dev = _erases(4096, 32, saves)
    remount(dev)
    same(persist.Journal(DIR).load(), state(n))
    log_erases, _ = _erases(4096, 32, appended_log)
    print("wear:", n, "saves,", erases, "erases; an appended log:", log_erases)
    assert erases <= n // 20
    assert erases * 10 <= log_erases


run(globals())
