"""The control room's user-facing words, in one place: the shell and its navigation, the login
page, headings, buttons, field labels and table headings of the pages.

`EN` holds every string under a key; `ML` holds the Malayalam translations there are (a key
missing from it reads in English). Strings with figures are `str.format` templates with named
fields. `text(key, **fields)` returns a string in the app's interface language (SP_UI_LANG),
`html_lang()` the language for `<html lang>`. Technical terms that KSEB staff use in English
(feeder, neutral, kVA, R/Y/B) stay in English in a translation too. The reports keep their own
strings (reports/strings).
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

import flask

from components import runtime

LANGUAGES: Final = ("en", "ml")
"""The interface languages (ISO 639-1), English first: what a missing translation falls back to."""

EN: Final[Mapping[str, str]] = MappingProxyType(
    {
        # shell: header and navigation
        "brand": "SmartPhase",
        "nav_map": "Map",
        "nav_alerts": "Alerts",
        "nav_notifications": "Notifications",
        "nav_log": "Log",
        "nav_reports": "Reports",
        "nav_wall": "Wall",
        "nav_users": "Users",
        "nav_label": "Pages",
        "account_title": "Your account: two-factor sign-in",
        "logout": "Log out",
        "alerts_na": "alerts: n/a",
        "alerts_open_one": "{count} open alert",
        "alerts_open_many": "{count} open alerts",
        "alerts_badge_title": "open alerts no operator has acknowledged yet",
        "denied": "This page needs the {role} role.",
        # sign-in page
        "login_title": "Sign in",
        "login_heading": "SmartPhase control room",
        "login_username": "Username",
        "login_password": "Password",
        "login_submit": "Sign in",
        "login_wrong": "Wrong username or password.",
    }
)
"""Every string of the control room in English, by key."""

ML: Final[Mapping[str, str]] = MappingProxyType({})
"""The Malayalam translations there are, by the keys of EN."""

_ALL: Final[Mapping[str, Mapping[str, str]]] = {"en": EN, "ml": ML}


def strings(lang: str) -> Mapping[str, str]:
    """Return every string in `lang`, English where there is no translation."""
    try:
        own = _ALL[lang]
    except KeyError:
        raise ValueError(f"lang: {lang!r} is not one of {', '.join(LANGUAGES)}") from None
    return MappingProxyType({**EN, **own})


def fields_of(template: str) -> frozenset[str]:
    """Return the names of the `str.format` fields of a template."""
    return frozenset(name for _, name, _, _ in string.Formatter().parse(template) if name)


def html_lang() -> str:
    """Return the interface language of the app serving this request ("en" outside one)."""
    if not flask.has_app_context():
        return "en"
    try:
        return runtime.settings().ui_lang
    except RuntimeError:
        return "en"


def text(key: str, lang: str | None = None, **fields: object) -> str:
    """Return the string `key` in `lang` (default: the interface language), filled in."""
    chosen = html_lang() if lang is None else lang
    template = _ALL.get(chosen, EN).get(key)
    if template is None:
        template = EN[key]
    return template.format(**fields) if fields else template
