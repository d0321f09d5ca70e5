"""Scheduled jobs of HQ (`python -m jobs`): rollup refresh and the silent-feeder watchdog."""
