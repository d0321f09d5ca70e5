"""Every heading, label and sentence of a report, one module per language (en, ml).

Both modules define STRINGS with the same keys (a test holds them to it); sentences with
figures are `str.format` templates with named fields. Technical terms that KSEB staff use in
English (feeder, neutral, kVA, PVUR) stay in English in the Malayalam text too.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from reports.strings import en, ml

_ALL: Mapping[str, Mapping[str, str]] = {"en": en.STRINGS, "ml": ml.STRINGS}


def strings(lang: str) -> Mapping[str, str]:
    """Return the strings of a language ("en" or "ml"), read-only."""
    try:
        return MappingProxyType(_ALL[lang])
    except KeyError:
        raise ValueError(f"lang: {lang!r} is not one of {', '.join(_ALL)}") from None


def languages() -> tuple[str, ...]:
    """Return the languages there are strings for."""
    return tuple(_ALL)
