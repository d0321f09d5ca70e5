"""What the command lines share: a bad argument or bad input is one line on stderr, exit 2.

`ArgumentParser` reports an argument it cannot take as one line, `error: argument --role:
invalid choice: 'x' (choose from viewer, operator, admin)`, instead of argparse's usage block,
and exits with status 2; its sub-command parsers do the same. `fail` prints any other error
the same way (a message that spans lines, as a database driver's may, is joined into one).
"""

from __future__ import annotations

import argparse
import sys
from typing import Final, NoReturn, TextIO

BAD_INPUT: Final = 2
"""Exit status of a bad argument, a bad file or a change the store refuses."""

UNAVAILABLE: Final = 1
"""Exit status when the store (or another service) cannot be reached."""


class ArgumentParser(argparse.ArgumentParser):
    """An argparse parser whose errors are one line naming the argument, with exit status 2."""

    def error(self, message: str) -> NoReturn:
        """Print "error: <message> (python -m ... --help)" and exit with status 2."""
        self.exit(BAD_INPUT, f"error: {one_line(message)} (see {self.prog} --help)\n")


def one_line(text: object) -> str:
    """Return `text` as one line: its lines joined by "; ", runs of blanks made one space."""
    lines = (" ".join(line.split()) for line in str(text).splitlines())
    return "; ".join(line for line in lines if line)


def fail(message: object, status: int = BAD_INPUT, *, stream: TextIO | None = None) -> int:
    """Print "error: <message>" as one line on stderr; return `status`."""
    print(f"error: {one_line(message)}", file=sys.stderr if stream is None else stream)
    return status
