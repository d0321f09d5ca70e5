"""The scripts under mp/ are MicroPython programs run by test_on_micropython.py, not pytest's."""

collect_ignore = ["mp"]
