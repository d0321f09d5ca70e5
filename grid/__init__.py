"""Pure grid domain of SmartPhase: phasors, unbalance metrics, planner, wire messages, signing.

Nothing in this package performs I/O; see grid/README.md.
"""
