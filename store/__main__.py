"""Store administration: `python -m store upgrade | feeders import F | houses import F | users ...`.

The database is SP_DATABASE_URL. A bad argument or bad input (a CSV, a user change, a setting, a
change the store refuses) exits with status 2 and one line "error: ..." on stderr naming the
argument or field; a database that cannot be reached exits with status 1, also in one line;
success prints a one-line summary on stdout. A new user's password
is read from stdin: typed twice on a terminal, else the first line. `users reset-mfa NAME`
removes a user's second factor and recovery codes (a lost phone; they enrol again at their next
sign-in), and `users sign-out NAME` ends every session of a user (a stolen cookie).
`users add NAME --role R --email E --phone P` and `users set-contact NAME [--email E]
[--phone P] [--quiet HH:MM-HH:MM|off|default]` give how notifications reach a user ("" clears).
"""

from __future__ import annotations

import argparse
import getpass
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

from sqlalchemy import Connection, Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError

from cli import UNAVAILABLE, ArgumentParser, fail
from settings import Settings, SettingsError
from store.contacts import Contact, check_email, check_phone, list_contacts, set_contact
from store.db import StoreError, make_engine
from store.mfa import reset as reset_mfa
from store.migrate import current_revision, head_revision, upgrade
from store.provision import ImportCounts, ProvisionError, import_feeders, import_houses
from store.schema import ROLES
from store.users import (
    UserError,
    add_user,
    end_sessions,
    list_users,
    set_disabled,
    set_password,
    set_role,
)

log = logging.getLogger("store")

Command = Callable[[argparse.Namespace, Settings, TextIO], str]


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of every store command."""
    parser = ArgumentParser(
        prog="python -m store", description="SmartPhase store administration (SP_DATABASE_URL)."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("upgrade", help="create or migrate the schema (idempotent)").set_defaults(
        run=_upgrade
    )

    for kind, run in (("feeders", _import_feeders), ("houses", _import_houses)):
        group = commands.add_parser(kind, help=f"provision {kind} from a CSV file")
        actions = group.add_subparsers(dest="action", required=True, metavar="ACTION")
        importer = actions.add_parser("import", help=f"insert or update {kind} from F.csv")
        importer.add_argument("file", type=Path, metavar="F.csv")
        importer.set_defaults(run=run)

    group = commands.add_parser("users", help="dashboard users")
    actions = group.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = actions.add_parser("add", help="add a user; the password is read from stdin")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--email", help="where notifications are e-mailed")
    add.add_argument("--phone", help="where critical alerts are sent by SMS, e.g. +919847012345")
    add.set_defaults(run=_users_add)
    contact = actions.add_parser("set-contact", help="set how notifications reach a user")
    contact.add_argument("name")
    contact.add_argument("--email", help='an e-mail address ("" clears it)')
    contact.add_argument("--phone", help='a phone number ("" clears it)')
    contact.add_argument("--quiet", help="IST quiet hours HH:MM-HH:MM, off, or default")
    contact.set_defaults(run=_users_set_contact)
    role = actions.add_parser("set-role", help="change the role of a user")
    role.add_argument("name")
    role.add_argument("role", choices=ROLES)
    role.set_defaults(run=_users_set_role)
    password = actions.add_parser("set-password", help="replace a password (read from stdin)")
    password.add_argument("name")
    password.set_defaults(run=_users_set_password)
    for name, disabled in (("disable", True), ("enable", False)):
        toggle = actions.add_parser(name, help=f"{name} a user")
        toggle.add_argument("name")
        toggle.set_defaults(run=_users_toggle, disabled=disabled)
    reset_factor = actions.add_parser(
        "reset-mfa", help="remove a user's second factor and recovery codes; end their sessions"
    )
    reset_factor.add_argument("name")
    reset_factor.set_defaults(run=_users_reset_mfa)
    sign_out = actions.add_parser("sign-out", help="end every session of a user")
    sign_out.add_argument("name")
    sign_out.set_defaults(run=_users_sign_out)
    actions.add_parser("list", help="list the users").set_defaults(run=_users_list)
    return parser


def main(argv: Sequence[str] | None = None, *, stdin: TextIO | None = None) -> int:
    """Run one store command and return the exit status."""
    logging.basicConfig(
        level=logging.INFO, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s"
    )
    args = build_parser().parse_args(argv)
    if args.command != "upgrade":
        logging.getLogger("alembic").setLevel(logging.WARNING)
    run: Command = args.run
    try:
        settings = Settings.from_env()
        summary = run(args, settings, sys.stdin if stdin is None else stdin)
    except (ProvisionError, UserError, SettingsError, StoreError) as exc:
        return fail(exc)
    except OperationalError as exc:
        return fail(f"database unavailable: {exc.orig or exc}", UNAVAILABLE)
    except DBAPIError as exc:
        return fail(f"the store refused the change: {exc.orig or exc}")
    print(summary)
    return 0


def _upgrade(_args: argparse.Namespace, settings: Settings, _stdin: TextIO) -> str:
    engine = make_engine(settings.database_url)
    try:
        before = current_revision(engine)
        backend = upgrade(engine)
        after = current_revision(engine)
    finally:
        engine.dispose()
    where = make_url(settings.database_url).render_as_string(hide_password=True)
    change = "unchanged" if before == after else f"from {before or 'empty'}"
    return f"schema at revision {after} ({change}) on {backend.value}: {where}"


def _import_feeders(args: argparse.Namespace, settings: Settings, _stdin: TextIO) -> str:
    return _import(settings, "feeders", lambda conn: import_feeders(conn, args.file), args.file)


def _import_houses(args: argparse.Namespace, settings: Settings, _stdin: TextIO) -> str:
    return _import(settings, "houses", lambda conn: import_houses(conn, args.file), args.file)


def _import(
    settings: Settings, kind: str, do: Callable[[Connection], ImportCounts], path: Path
) -> str:
    engine = _engine_at_head(settings)
    try:
        with engine.begin() as conn:
            counts = do(conn)
    finally:
        engine.dispose()
    return (
        f"{path}: {counts.total} {kind}, {counts.inserted} inserted, {counts.updated} updated,"
        f" {counts.unchanged} unchanged"
    )


def _users_add(args: argparse.Namespace, settings: Settings, stdin: TextIO) -> str:
    check_email(args.email)
    check_phone(args.phone)
    password = read_password(stdin)
    engine = _engine_at_head(settings)
    try:
        with engine.begin() as conn:
            add_user(conn, args.name, password, args.role)
            if args.email or args.phone:
                set_contact(conn, args.name, email=args.email, phone=args.phone)
    finally:
        engine.dispose()
    return f"user {args.name} added with role {args.role}"


def _users_set_contact(args: argparse.Namespace, settings: Settings, _stdin: TextIO) -> str:
    given = {k: v for k, v in (("email", args.email), ("phone", args.phone)) if v is not None}
    if args.quiet is not None:
        given["quiet_hours"] = args.quiet
    if not given:
        raise UserError("contact", "give --email, --phone or --quiet")
    engine = _engine_at_head(settings)
    try:
        with engine.begin() as conn:
            now = set_contact(conn, args.name, **given)
    finally:
        engine.dispose()
    shown = ", ".join(
        f"{k} {v or 'none'}"
        for k, v in (("email", now.email), ("phone", now.phone), ("quiet", now.quiet_hours))
    )
    return f"user {args.name}: {shown}"


def _users_set_password(args: argparse.Namespace, settings: Settings, stdin: TextIO) -> str:
    password = read_password(stdin)
    engine = _engine_at_head(settings)
    try:
        with engine.begin() as conn:
            set_password(conn, args.name, password)
    finally:
        engine.dispose()
    return f"user {args.name}: password changed"


def _users_set_role(args: argparse.Namespace, settings: Settings, _stdin: TextIO) -> str:
    engine = _engine_at_head(settings)
    try:
        with engine.begin() as conn:
            set_role(conn, args.name, args.role)
    finally:
        engine.dispose()
    return f"user {args.name}: role {args.role}"


def _users_toggle(args: argparse.Namespace, settings: Settings, _stdin: TextIO) -> str:
    engine = _engine_at_head(settings)
    try:
        with engine.begin() as conn:
            set_disabled(conn, args.name, args.disabled)
    finally:
        engine.dispose()
    return f"user {args.name} {'disabled' if args.disabled else 'enabled'}"


def _users_reset_mfa(args: argparse.Namespace, settings: Settings, _stdin: TextIO) -> str:
    engine = _engine_at_head(settings)
    try:
        with engine.begin() as conn:
            reset_mfa(conn, args.name)
    finally:
        engine.dispose()
    return f"user {args.name}: second factor removed, sessions ended; they enrol again"


def _users_sign_out(args: argparse.Namespace, settings: Settings, _stdin: TextIO) -> str:
    engine = _engine_at_head(settings)
    try:
        with engine.begin() as conn:
            end_sessions(conn, args.name)
    finally:
        engine.dispose()
    return f"user {args.name}: every session ended"


def _users_list(_args: argparse.Namespace, settings: Settings, _stdin: TextIO) -> str:
    engine = _engine_at_head(settings)
    try:
        with engine.connect() as conn:
            found = list_users(conn)
            contacts = list_contacts(conn)
    finally:
        engine.dispose()
    if not found:
        return "no users"
    width = max(len(user.username) for user in found)
    return "\n".join(
        f"{user.username:<{width}}  {user.role:<8}  {'disabled' if user.disabled else 'enabled'}"
        + ("  2fa" if user.mfa else "")
        + _contact_text(contacts.get(user.username))
        for user in found
    )


def _contact_text(contact: Contact | None) -> str:
    """Return "  asha@kseb.in  +919847012345" (what is known), or ""."""
    if contact is None:
        return ""
    return "".join(f"  {v}" for v in (contact.email, contact.phone) if v)


def read_password(stdin: TextIO) -> str:
    """Return a password: typed twice without echo on a terminal, else the first line of stdin."""
    if stdin.isatty():
        first = getpass.getpass("Password: ")
        if getpass.getpass("Password again: ") != first:
            raise UserError("password", "the two entries differ")
        return first
    line = stdin.readline()
    return line.removesuffix("\n").removesuffix("\r")


def _engine_at_head(settings: Settings) -> Engine:
    """Return an engine on a database whose schema is at the newest revision, or raise."""
    engine = make_engine(settings.database_url)
    try:
        revision, head = current_revision(engine), head_revision()
    except OperationalError:
        engine.dispose()
        raise
    if revision != head:
        engine.dispose()
        raise StoreError(
            f"the schema is at revision {revision or 'none (empty database)'}, not {head}:"
            " run `python -m store upgrade` first"
        )
    return engine


if __name__ == "__main__":
    sys.exit(main())
