"""The error that names a field and a reason, the base of every input error (pure).

A person reading "phone: not a +91 mobile number" sees which field is wrong and why; a form puts
`reason` next to the input `field` names. Subclasses say where the input came from (the wire,
a user change, an alert route) and add nothing but their own helpers.
"""

from __future__ import annotations


class FieldError(ValueError):
    """Input that cannot be accepted: `field` names the culprit (a path such as `rows[3][3]`,
    or "" when the whole input is at fault) and `reason` says why, in words."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(field, reason)
        self.field = field
        self.reason = reason

    def __str__(self) -> str:
        """Return "field: reason", or the reason alone when no field is named."""
        return f"{self.field}: {self.reason}" if self.field else self.reason
