"""Reusable layout pieces, ids, access control and per-app runtime of the control room."""
