"""Daily profiles of the house currents and the rule of no new phase peak (grid.dayprofiles)."""

from __future__ import annotations

import numpy as np
import pytest

from grid.dayprofiles import DailyProfiles, ProfileConfig, as_built_peak_a, peak_safe, slot_of

IST_S = 19800.0
MIDNIGHT_S = 1773599400.0  # 2026-03-16 00:00 IST


def test_profiles_keep_slot_means_of_each_past_day() -> None:
    profiles = DailyProfiles(2, ProfileConfig(slot_s=3600.0), IST_S)
    for minute in range(2 * 1440 + 1):
        ts = MIDNIGHT_S + 60.0 * minute
        hour = (minute // 60) % 24
        day = minute // 1440
        profiles.observe(ts, np.array([hour + 0j, 10.0 * (day + 1) + 0j]))
    assert profiles.full_days == 2
    first, second = profiles.days
    assert first[5, 0] == pytest.approx(5.0)
    assert first[5, 1] == pytest.approx(10.0)
    assert second[5, 1] == pytest.approx(20.0)
    m, w, order = profiles.rows(MIDNIGHT_S + 2 * 86400.0 + 3 * 3600.0)
    assert order[0] == 3  # the rows start at the present slot
    assert m.shape == (3, 24, 2)
    assert m[0, 0, 0] == pytest.approx(3.0)
    np.testing.assert_allclose(w.sum(axis=0), 1.0)
    assert w[1, 0] > w[0, 0]  # the later day counts more
    assert w[2, 0] > w[2, 12]  # the recent row fades with the lead time


def test_a_house_that_did_not_report_keeps_the_slot_of_the_day_before() -> None:
    profiles = DailyProfiles(1, ProfileConfig(slot_s=3600.0), IST_S)
    for minute in range(3 * 1440 + 1):
        day = minute // 1440
        silent = day == 1 and minute % 1440 < 60
        value = np.nan if silent else 5.0 * (day + 1)
        profiles.observe(MIDNIGHT_S + 60.0 * minute, np.array([complex(value)]))
    assert profiles.days[1][0, 0] == pytest.approx(5.0)  # the first day's value for slot 0
    assert profiles.days[1][1, 0] == pytest.approx(10.0)


def test_slot_of_uses_local_time() -> None:
    assert slot_of(MIDNIGHT_S, IST_S, 1800.0) == 0
    assert slot_of(MIDNIGHT_S + 86400.0 - 1.0, IST_S, 1800.0) == 47


def test_peak_safe_refuses_moves_that_create_a_new_peak() -> None:
    m = np.array([[[30.0, 20.0, 20.0, 5.0]]], dtype=np.complex128)  # one row, one slot
    phase = np.array([0, 1, 1, 2], dtype=np.intp)
    assert peak_safe(m, phase, [(1, 2)], cap_a=30.0) == [True]  # B: 25 A
    assert peak_safe(m, phase, [(1, 0)], cap_a=30.0) == [False]  # R: 50 A
    # In order: once house 1 is on B, house 2 may not follow it there (45 A).
    assert peak_safe(m, phase, [(1, 2), (2, 2)], cap_a=30.0) == [True, False]


def test_peak_safe_checks_every_slot_and_the_rating() -> None:
    # Two slots: house 1 is small at night and large in the evening.
    m = np.array([[[10.0, 2.0, 0.0], [10.0, 25.0, 0.0]]], dtype=np.complex128)
    phase = np.array([0, 1, 2], dtype=np.intp)
    assert peak_safe(m, phase, [(1, 0)], cap_a=30.0) == [False]  # 35 A on R in the evening
    assert peak_safe(m, phase, [(1, 2)], cap_a=30.0) == [True]
    rating = np.array([100.0, 100.0, 20.0])
    assert peak_safe(m, phase, [(1, 2)], cap_a=30.0, rating_a=rating) == [False]
    # A phase already above the cap may take a house that lowers it (export).
    export = np.array([[[40.0, -8.0, 0.0]]], dtype=np.complex128)
    assert peak_safe(export, phase, [(1, 0)], cap_a=30.0) == [True]


def test_as_built_peak() -> None:
    m = np.array([[[30.0, 20.0, 0.2]]], dtype=np.complex128)
    assert as_built_peak_a(m, 1, np.array([0, 0, 1])) == pytest.approx(50.0)
