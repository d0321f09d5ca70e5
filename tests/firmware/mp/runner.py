"""A tiny test runner for MicroPython: run a module's test_* functions, one line each.

Each test prints "PASS name" or "FAIL name: error" followed by its traceback; the last line is
"N passed, M failed" and the exit status is 1 when anything failed.
"""

import sys


def raises(exc_type, fn, *args):
    """Return the exception `fn(*args)` raises; fail if it raises nothing or another type."""
    try:
        fn(*args)
    except exc_type as exc:
        return exc
    raise AssertionError("did not raise " + exc_type.__name__)


def run(namespace):
    """Run every test_* function of `namespace` (a module's globals()) in name order."""
    names = sorted(n for n in namespace if n.startswith("test_") and callable(namespace[n]))
    passed = failed = 0
    for name in names:
        try:
            namespace[name]()
        except Exception as exc:  # a test runner reports every failure
            failed += 1
            print("FAIL " + name + ": " + repr(exc))
            sys.print_exception(exc)
        else:
            passed += 1
            print("PASS " + name)
    print(str(passed) + " passed, " + str(failed) + " failed")
    sys.exit(1 if failed else 0)
