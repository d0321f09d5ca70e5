"""Solar geometry for a short-horizon PV forecast: clear-sky shape by time of day."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from grid.phasors import FloatArray

KOCHI_LAT_DEG = 9.97
KOCHI_LON_DEG = 76.27


def solar_elevation_sin(
    ts_s: npt.ArrayLike, lat_deg: float = KOCHI_LAT_DEG, lon_deg: float = KOCHI_LON_DEG
) -> FloatArray:
    """Return sin of the solar elevation angle at epoch seconds `ts_s` [−1…1].

    Uses Cooper's declination and a three-term equation of time; accurate to well under a
    degree, which is plenty for the shape of a clear-sky PV curve.
    """
    ts = np.asarray(ts_s, dtype=np.float64)
    days = ts / 86400.0
    day_of_year = np.floor(days - _days_to_year_start(days)) + 1.0
    utc_hour = (days % 1.0) * 24.0
    declination = np.radians(23.45) * np.sin(np.radians(360.0 / 365.0 * (284.0 + day_of_year)))
    b = np.radians(360.0 / 365.0 * (day_of_year - 81.0))
    eot_min = 9.87 * np.sin(2 * b) - 7.53 * np.cos(b) - 1.5 * np.sin(b)
    solar_hour = utc_hour + lon_deg / 15.0 + eot_min / 60.0
    hour_angle = np.radians(15.0 * (solar_hour - 12.0))
    lat = np.radians(lat_deg)
    return np.asarray(
        np.sin(lat) * np.sin(declination) + np.cos(lat) * np.cos(declination) * np.cos(hour_angle),
        dtype=np.float64,
    )


def _days_to_year_start(days_since_epoch: FloatArray) -> FloatArray:
    """Return the epoch day number of 1 January of the year containing each day."""
    d = np.floor(np.asarray(days_since_epoch)).astype("int64")
    years = d.astype("datetime64[D]").astype("datetime64[Y]")
    return np.asarray(years.astype("datetime64[D]").astype("int64"), dtype=np.float64)


def clear_sky_pv_fraction(
    ts_s: npt.ArrayLike, lat_deg: float = KOCHI_LAT_DEG, lon_deg: float = KOCHI_LON_DEG
) -> FloatArray:
    """Return the clear-sky output of a fixed PV array as a fraction of its peak [0…1].

    A plain sin(elevation)^1.2 shape: good for the ratio of output now to output soon.
    """
    s = np.clip(solar_elevation_sin(ts_s, lat_deg, lon_deg), 0.0, None)
    return np.asarray(s**1.2, dtype=np.float64)
