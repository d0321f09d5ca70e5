"""Bad rows of a provisioning houses.csv that HQ's import and the edge both refuse.

Each case is one row appended after GOOD_ROWS (so it is on line BAD_LINE), the field the error
must name and the reason it must give (grid.provisioning's rule).
"""

from __future__ import annotations

from typing import Final

HEADER: Final = "house_id,feeder_id,phase,pv_kw,switchable\n"
GOOD_ROWS: Final = (
    "KL-TVM-0042-H001,KL-TVM-0042,R,3.5,1\n"
    "KL-TVM-0042-H002,KL-TVM-0042,Y,0,0\n"
    "KL-TVM-0042-H003,KL-TVM-0042,B,0,true\n"
)
FEEDER: Final = "KL-TVM-0042"
BAD_LINE: Final = 5

BAD_ROWS: Final = {
    "switchable y": ("KL-TVM-0042-H009,KL-TVM-0042,R,0,y\n", "switchable", "'y' is not 0, 1"),
    "switchable no": ("KL-TVM-0042-H009,KL-TVM-0042,R,0,no\n", "switchable", "'no' is not 0, 1"),
    "switchable yes": (
        "KL-TVM-0042-H009,KL-TVM-0042,R,0,yes\n",
        "switchable",
        "'yes' is not 0, 1",
    ),
    "switchable empty": ("KL-TVM-0042-H009,KL-TVM-0042,R,0,\n", "switchable", "'' is not 0, 1"),
    "lower-case phase": ("KL-TVM-0042-H009,KL-TVM-0042,y,0,0\n", "phase", "'y' is not R, Y or B"),
    "neutral phase": ("KL-TVM-0042-H009,KL-TVM-0042,N,0,0\n", "phase", "'N' is not R, Y or B"),
    "pv empty": ("KL-TVM-0042-H009,KL-TVM-0042,R,,1\n", "pv_kw", "'' is not a number"),
    "pv negative": ("KL-TVM-0042-H009,KL-TVM-0042,R,-1,1\n", "pv_kw", "'-1' is below 0"),
    "house of another feeder": (
        "KL-EKM-0007-H001,KL-TVM-0042,R,0,1\n",
        "house_id",
        "is not a house of feeder 'KL-TVM-0042'",
    ),
    "repeated house": (
        "KL-TVM-0042-H002,KL-TVM-0042,R,0,1\n",
        "house_id",
        "'KL-TVM-0042-H002' is repeated (first on line 3)",
    ),
}
"""name → (row, field, reason)."""


def bad_file(row: str) -> str:
    """Return a houses.csv whose line BAD_LINE is `row`."""
    return HEADER + GOOD_ROWS + row
