"""The lifecycle of an operator command as the pages show it (DESIGN §7).

requested → sent → acknowledged → applied | rejected | failed | rolled_back; the page polls
until the state is final, then stops.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from dash import html

from components.strings import reason_words, text
from grid.events import CommandState
from store.commands import command_expiry
from store.queries import IST, Command

STEPS: Final = ("requested", "sent", "acknowledged")
"""The steps before the final state."""


def is_final(cmd: Command | None) -> bool:
    """Return whether nothing more will happen to the command (or there is none)."""
    return cmd is None or CommandState(cmd.state).final


def describe(cmd: Command, now: datetime) -> str:
    """Return one line on where a command stands, with the reason and a passed expiry."""
    final = CommandState(cmd.state).final
    line = text(f"command_final_{cmd.state}") if final else text(f"command_step_{cmd.state}")
    if cmd.reason:
        line += f" ({reason_words(cmd.reason)})"
    expiry = command_expiry(cmd)
    if not final and expiry is not None and now > expiry:
        line += text("command_expired", time=f"{expiry.astimezone(IST):%H:%M:%S}")
    return line


def build_status(cmd: Command | None, now: datetime, *, title: str) -> html.Div:
    """Return the lifecycle strip of a command: each step, the current one marked."""
    if cmd is None:
        return html.Div()
    rank = CommandState(cmd.state).rank
    steps = []
    for k, step in enumerate(STEPS):
        done = rank > k or cmd.state == step
        steps.append(
            html.Li(
                text(f"command_step_{step}"),
                className="sp-step sp-step-done" if done else "sp-step",
            )
        )
    final = is_final(cmd)
    steps.append(
        html.Li(
            text(f"command_state_{cmd.state}") if final else text("command_step_pending"),
            className=f"sp-step sp-step-final sp-final-{cmd.state}" if final else "sp-step",
        )
    )
    return html.Div(
        [
            html.Strong(f"{title}: "),
            html.Span(describe(cmd, now), className="sp-command-text"),
            html.Ol(steps, className="sp-steps"),
            html.Small(
                text(
                    "command_line",
                    cmd=cmd.cmd_id,
                    user=cmd.requested_by,
                    time=f"{cmd.requested_at.astimezone(IST):%H:%M:%S}",
                )
            ),
        ],
        className=f"sp-command sp-command-{cmd.state}",
    )
