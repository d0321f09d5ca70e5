"""Tests of the pure 1-minute load and PV generators."""

from __future__ import annotations

import numpy as np
import pytest

from sim import profiles as pr


def _rng(seed: int = 7) -> np.random.Generator:
    return np.random.default_rng(seed)


def test_household_load_is_deterministic_per_seed() -> None:
    a = pr.kerala_household_load(_rng(3), 20)
    b = pr.kerala_household_load(_rng(3), 20)
    c = pr.kerala_household_load(_rng(4), 20)
    np.testing.assert_array_equal(a.p_w, b.p_w)
    np.testing.assert_array_equal(a.q_var, b.q_var)
    assert not np.array_equal(a.p_w, c.p_w)


def test_household_load_shape_and_ranges() -> None:
    load = pr.kerala_household_load(_rng(), 60)
    assert load.p_w.shape == load.q_var.shape == (pr.MINUTES_PER_DAY, 60)
    assert np.isfinite(load.p_w).all()
    assert np.isfinite(load.q_var).all()
    assert load.p_w.min() >= 0.0
    assert load.q_var.min() >= 0.0  # all appliances are resistive or inductive
    kwh = load.energy_kwh()
    assert kwh.min() >= 3.0
    assert kwh.max() <= 16.0
    assert 4.5 <= float(np.median(kwh)) <= 9.0
    assert load.p_w.max() <= 6000.0


def test_kerala_daily_shape_has_morning_and_evening_peaks() -> None:
    total_kw = pr.kerala_household_load(_rng(), 60).p_w.sum(axis=1) / 1000.0
    hourly = total_kw.reshape(24, 60).mean(axis=1)
    midday = hourly[10:16].mean()
    evening = total_kw[18 * 60 : 22 * 60 + 30].max()
    assert evening > 2.5 * midday
    assert hourly[6:9].max() > 1.5 * midday
    assert int(np.argmax(hourly)) in range(18, 23)


def test_appliance_power_factors_give_realistic_q() -> None:
    fridge = pr.appliance_load(_rng(), 40, pr.FRIDGE)
    on = fridge.p_w > 0
    ratio = fridge.q_var[on] / fridge.p_w[on]
    assert ratio.min() >= pr.tan_phi(0.85) - 1e-9
    assert ratio.max() <= pr.tan_phi(0.75) + 1e-9
    assert 80.0 * 0.99 <= fridge.p_w.max() <= 200.0
    kettle = pr.appliance_load(_rng(), 40, pr.KETTLE)
    assert kettle.p_w.max() <= 2200.0
    assert (kettle.q_var <= 0.26 * kettle.p_w + 1e-9).all()  # power factor ≥ 0.97


def test_air_conditioner_runs_at_night_in_about_a_third_of_houses() -> None:
    ac = pr.appliance_load(_rng(), 400, pr.AIR_CONDITIONER)
    users = (ac.p_w.max(axis=0) > 0).mean()
    assert 0.28 <= users <= 0.42
    day = ac.p_w[9 * 60 : 19 * 60]
    assert day.sum() == 0.0
    assert ac.p_w[23 * 60].sum() > 0.0


def test_iron_cycles_on_its_thermostat() -> None:
    iron = pr.appliance_load(_rng(), 50, pr.IRON)
    used = iron.p_w[:, iron.p_w.max(axis=0) > 0]
    levels = used[used > 0] / used.max(axis=0)[np.nonzero(used > 0)[1]]
    assert levels.min() < 0.9  # partial minutes from the on/off cycle


def test_active_mask_wraps_past_midnight() -> None:
    mask = pr.active_mask(
        2, np.array([0, 1]), np.array([1430, 100]), np.array([20, 10], dtype=np.intp)
    )
    assert mask[1430:, 0].all()
    assert mask[:10, 0].all()
    assert not mask[10:1430, 0].any()
    assert mask[100:110, 1].all()
    assert mask[:, 1].sum() == 10


def test_on_fraction_averages_to_the_duty() -> None:
    frac = pr.on_fraction(np.array([3.0, 40.0]), np.array([0.5, 0.3]), np.array([0.7, 11.0]))
    assert frac.min() >= 0.0
    assert frac.max() <= 1.0 + 1e-12
    np.testing.assert_allclose(frac.mean(axis=0), [0.5, 0.3], atol=0.01)


def test_fit_block_means_keeps_every_block_mean() -> None:
    rng = _rng()
    events = pr.appliance_load(rng, 30, pr.KETTLE).p_w + pr.appliance_load(rng, 30, pr.IRON).p_w
    targets = rng.uniform(0.0, 900.0, (48, 30))
    targets[5, :] = 0.0
    base = pr.interpolate_blocks(np.maximum(targets, 5.0), 30)
    fit = pr.fit_block_means(events, base, targets, 30)
    np.testing.assert_allclose(pr.block_means(fit.p_w, 30), targets, rtol=1e-9, atol=1e-9)
    assert fit.p_w.min() >= 0.0
    assert (fit.event_gain <= 1.0).all()
    np.testing.assert_allclose(fit.p_w, fit.event_gain * events + fit.base_w)


def test_resample_preserving_means() -> None:
    values = np.array([[0.0, 0.0, 0.1, 0.4, 0.6, 0.3, 0.0]]).T
    out = pr.resample_preserving_means(values, 15)
    assert out.shape == (105, 1)
    np.testing.assert_allclose(pr.block_means(out, 15), values, atol=1e-12)
    assert out.min() >= 0.0
    inside = out[30:90, 0]  # blocks with daylight: smooth, no 15-minute steps
    assert np.abs(np.diff(inside)).max() < 0.03


def test_delay_columns_round_trip() -> None:
    x = _rng().random((pr.MINUTES_PER_DAY, 4))
    shift = np.array([-30, 0, 7, 30], dtype=np.intp)
    delayed = pr.delay_columns(x, shift)
    assert delayed[37, 2] == x[30, 2]
    np.testing.assert_array_equal(pr.delay_columns(delayed, -shift), x)


def test_kerala_sun_in_march() -> None:
    sunrise, sunset = pr.sun_times_min(75, 8.52, 76.94, 5.5)  # 16 March, Thiruvananthapuram
    assert 6 * 60 + 15 <= sunrise <= 6 * 60 + 40
    assert 18 * 60 + 20 <= sunset <= 18 * 60 + 45
    ghi = pr.clear_sky_ghi_w_m2(pr.cos_zenith(75, 8.52, 76.94, 5.5))
    assert 950.0 <= ghi.max() <= 1100.0
    assert 12 * 60 + 10 <= int(np.argmax(ghi)) <= 12 * 60 + 40
    assert ghi[: int(sunrise) - 5].max() == 0.0
    assert ghi[int(sunset) + 5 :].max() == 0.0


def test_cloud_process_is_shared_shape_with_ramps() -> None:
    sky = pr.markov_clear_sky_index(_rng(), 0.2, 0.6)
    assert sky.shape == (pr.MINUTES_PER_DAY,)
    assert sky.min() >= 0.0
    assert sky.max() <= 1.05
    afternoon, morning = sky[13 * 60 : 17 * 60].mean(), sky[8 * 60 : 11 * 60].mean()
    assert afternoon < morning
    np.testing.assert_array_equal(sky, pr.markov_clear_sky_index(_rng(), 0.2, 0.6))
    clear = pr.markov_clear_sky_index(_rng(), 0.0, 0.0)
    assert clear.min() > 0.9


def test_warp_daylight_moves_the_trace_to_the_local_sun() -> None:
    trace = np.zeros(pr.MINUTES_PER_DAY)
    trace[360:1080] = np.sin(np.linspace(0.0, np.pi, 720)) + 0.01
    out = pr.warp_daylight(trace, 390.0, 1114.0)
    lit = np.flatnonzero(out > 0)
    assert abs(lit[0] - 390) <= 1
    assert abs(lit[-1] - 1113) <= 1
    assert abs(out.max() - trace.max()) < 0.01


def test_houses_pv_follow_the_feeder_sky_within_their_rating() -> None:
    per_kwp = pr.pv_per_kwp(pr.cos_zenith(75, 10.0, 76.3, 5.5), np.ones(pr.MINUTES_PER_DAY))
    kwp = np.array([1.0, 2.5, 5.0])
    pv = pr.houses_pv_w(_rng(), per_kwp, kwp)
    assert pv.min() >= 0.0
    assert (pv.max(axis=0) <= kwp * 1000.0).all()
    assert (pv[: 6 * 60] == 0.0).all()
    assert (pv[19 * 60 :] == 0.0).all()
    noon = pv[12 * 60 + 30]
    np.testing.assert_allclose(noon / kwp, 800.0, rtol=0.12)
    assert np.corrcoef(pv[:, 0], pv[:, 2])[0, 1] > 0.99


def test_pv_sizes_are_mostly_2_to_3_kwp() -> None:
    kwp = pr.draw_pv_kwp(_rng(), 2000)
    assert kwp.min() >= 1.0
    assert kwp.max() <= 5.0
    assert 0.55 <= ((kwp >= 2.0) & (kwp <= 3.0)).mean() <= 0.75


@pytest.mark.parametrize("block", [15, 30])
def test_block_means_rejects_ragged_input(block: int) -> None:
    with pytest.raises(ValueError, match="blocks"):
        pr.block_means(np.zeros((block + 1, 2)), block)


def test_houses_pv_cover_several_days() -> None:
    day = pr.pv_per_kwp(pr.cos_zenith(75, 10.0, 76.3, 5.5), np.ones(pr.MINUTES_PER_DAY))
    week = np.concatenate([day, 0.3 * day])
    pv = pr.houses_pv_w(_rng(), week, np.array([2.0, 3.0]))
    assert pv.shape == (2 * pr.MINUTES_PER_DAY, 2)
    first, second = pv[: pr.MINUTES_PER_DAY].sum(), pv[pr.MINUTES_PER_DAY :].sum()
    assert second == pytest.approx(0.3 * first, rel=0.02)


def test_trace_clear_sky_index_and_retiming() -> None:
    cos_z = pr.cos_zenith(75, 8.52, 76.94, 5.5)
    clear = pr.pv_per_kwp(cos_z, np.ones(pr.MINUTES_PER_DAY))
    trace = clear / clear.max()
    trace[700:760] *= 0.3  # a cloud at noon
    index = pr.trace_clear_sky_index(trace, clear)
    np.testing.assert_allclose(index[700:760], 0.3, rtol=1e-9)
    np.testing.assert_allclose(index[600:700], 1.0, rtol=1e-9)
    assert index[:300].min() == 1.0  # night
    sunrise, sunset = pr.sun_times_min(75, 8.52, 76.94, 5.5)
    moved = pr.retime_daylight(index, sunrise, sunset, offset_min=120.0, stretch=1.0)
    np.testing.assert_allclose(moved[580:640], 0.3, rtol=1e-6)  # two hours earlier
    assert moved[700:760].min() > 0.99
    assert (moved[: int(sunrise)] == 1.0).all()


def test_overcast_sky_index_is_slow_around_its_level() -> None:
    sky = pr.overcast_sky_index(_rng(), 0.3)
    assert sky.mean() == pytest.approx(0.3)
    assert 0.09 <= sky.min() <= sky.max() <= 0.51
    assert np.abs(np.diff(sky)).max() < 0.05  # no cloud edges (those change it by 0.3–0.8)


def test_daily_kwh_draw() -> None:
    kwh = pr.draw_daily_kwh(_rng(), 5000, median_kwh=5.5)
    assert kwh.min() >= 3.0
    assert kwh.max() <= 12.0
    assert np.median(kwh) == pytest.approx(5.5, rel=0.05)
