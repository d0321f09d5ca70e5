"""A bounded load test of the control room over loopback: wall displays and operators at once,
each a signed-in HTTP client POSTing the Dash callbacks its screen would, timed per callback.

A wall display runs each of its screen's periodic callbacks at that callback's own period (as
its dcc.Interval components fire them) and sends back what its browser keeps from one answer to
the next (`Call.carry`: the fleet snapshot's version, so that a wall that holds the feeders is
not sent them again); an operator walks through pages (each a few callbacks in
a row) with a think time between them. Clients run as
threads spread over several processes, so that the load generator's own Python does not queue
the responses it times. Every request is timed from send to the last byte of the answer.
"""

from __future__ import annotations

import json
import multiprocessing
import random
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import orjson
import requests

CALLBACK_PATH: Final = "/_dash-update-component"


@dataclass(frozen=True, slots=True)
class Call:
    """One callback POST: its name in the report and the payloads it may carry (one at random)."""

    name: str
    payloads: tuple[str, ...]  # JSON bodies
    carry: tuple[str, ...] = ()
    """Props ("id.property") a browser keeps from an answer and sends back as the callback's
    State the next time (a wall's snapshot version): the client does the same."""


@dataclass(frozen=True, slots=True)
class Plan:
    """What the clients do and for how long."""

    base: str
    wall_user: tuple[str, str]  # username, password
    operator_user: tuple[str, str]
    wall_calls: tuple[tuple[Call, float], ...]  # each with its period [s]
    operator_pages: tuple[tuple[Call, ...], ...]  # visited in turn
    walls: int = 10
    operators: int = 30
    duration_s: float = 60.0
    think_s: tuple[float, float] = (5.0, 15.0)
    processes: int = 4
    seed: int = 1


@dataclass(slots=True)
class _Samples:
    ms: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)


Cookies = dict[str, str]
"""A signed-in client's session cookies."""


def _sign_in(base: str, user: tuple[str, str]) -> Cookies:
    session = requests.Session()
    answer = session.post(
        base + "/login",
        data={"username": user[0], "password": user[1]},
        headers={"Origin": base},
        allow_redirects=False,
        timeout=60,
    )
    if answer.status_code != 302:
        raise RuntimeError(f"sign-in as {user[0]} answered {answer.status_code}")
    return {k: v for k, v in session.cookies.get_dict().items() if v is not None}


def _session(base: str, cookies: Cookies) -> requests.Session:
    """Return an HTTP session with a sign-in's cookies, posting JSON from the site's origin."""
    session = requests.Session()
    session.cookies.update(cookies)
    session.headers.update({"Origin": base, "Content-Type": "application/json"})
    return session


def with_state(body: str, held: Mapping[str, Any]) -> str:
    """Return a callback body with the State values a client holds put in."""
    if not held:
        return body
    payload = orjson.loads(body)
    for item in payload.get("state", []):
        key = f"{item['id']}.{item['property']}"
        if key in held:
            item["value"] = held[key]
    return orjson.dumps(payload).decode()


def remember(answer: bytes, carry: Sequence[str], held: dict[str, Any]) -> None:
    """Keep the values of the `carry` props an answer set, as the browser's components do."""
    response = orjson.loads(answer).get("response", {}) if answer else {}
    for key in carry:
        component, prop = key.rsplit(".", 1)
        if prop in response.get(component, {}):
            held[key] = response[component][prop]


def _post(
    session: requests.Session,
    plan: Plan,
    call: Call,
    rng: random.Random,
    out: _Samples,
    held: dict[str, Any] | None = None,
) -> None:
    body = rng.choice(call.payloads)
    if call.carry and held is not None:
        body = with_state(body, held)
    answer = None
    start = time.perf_counter()
    ok = False
    for attempt in range(2):  # a kept-alive connection the server closed: reopen, as a browser
        try:
            answer = session.post(plan.base + CALLBACK_PATH, data=body, timeout=60)
            _ = answer.content
            ok = answer.status_code in (200, 204)
            break
        except requests.ConnectionError:
            if attempt:
                break
        except requests.RequestException:
            break
    ms = (time.perf_counter() - start) * 1000
    out.ms.setdefault(call.name, []).append(ms)
    if not ok:
        out.errors[call.name] = out.errors.get(call.name, 0) + 1
    elif call.carry and held is not None and answer is not None and answer.status_code == 200:
        remember(answer.content, call.carry, held)


def _wall(plan: Plan, k: int, cookies: Cookies, until: float, out: _Samples) -> None:
    rng = random.Random(plan.seed * 1000 + k)
    session = _session(plan.base, cookies)
    now = time.monotonic()
    due = [now + rng.uniform(0, period) for _, period in plan.wall_calls]  # opened apart
    held: dict[str, Any] = {}  # what the wall's browser holds between its callbacks
    while plan.wall_calls:
        k = min(range(len(due)), key=due.__getitem__)
        time.sleep(max(0.0, due[k] - time.monotonic()))
        if time.monotonic() >= until:
            return
        call, period = plan.wall_calls[k]
        _post(session, plan, call, rng, out, held)
        due[k] += period


def _operator(plan: Plan, k: int, cookies: Cookies, until: float, out: _Samples) -> None:
    rng = random.Random(plan.seed * 1000 + 500 + k)
    session = _session(plan.base, cookies)
    turn = rng.randrange(len(plan.operator_pages))
    time.sleep(rng.uniform(0, plan.think_s[1]))
    while time.monotonic() < until:
        for call in plan.operator_pages[turn % len(plan.operator_pages)]:
            _post(session, plan, call, rng, out)
        turn += 1
        time.sleep(rng.uniform(*plan.think_s))


Clients = list[tuple[int, Cookies]]
"""Some wall displays or operators: each one's number and sign-in."""


def _run_clients(plan: Plan, walls: Clients, operators: Clients, start_at: float) -> _Samples:
    """Run some of the clients as threads in this process until the plan's end."""
    out = _Samples()
    wait = start_at - time.time()
    if wait > 0:
        time.sleep(wait)
    until = time.monotonic() + plan.duration_s
    threads = [threading.Thread(target=_wall, args=(plan, k, c, until, out)) for k, c in walls]
    threads += [
        threading.Thread(target=_operator, args=(plan, k, c, until, out)) for k, c in operators
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def _process_main(
    args: tuple[Plan, Clients, Clients, float],
) -> tuple[dict[str, list[float]], dict[str, int]]:
    plan, walls, operators, start_at = args
    samples = _run_clients(plan, walls, operators, start_at)
    return samples.ms, samples.errors


def run_load(plan: Plan) -> dict[str, Any]:
    """Run the plan; return per-callback p50/p95/max [ms], calls and errors, and the overall p95.

    Every client signs in first, one after another (as people arrive; a sign-in hashes a
    password and is not a callback), so that the timed window holds only callbacks.
    """
    n = max(1, min(plan.processes, plan.walls + plan.operators))
    walls = [(k, _sign_in(plan.base, plan.wall_user)) for k in range(plan.walls)]
    operators = [(k, _sign_in(plan.base, plan.operator_user)) for k in range(plan.operators)]
    shares = [(walls[p::n], operators[p::n]) for p in range(n)]
    start_at = time.time() + 2.0 + 0.5 * n  # every process started and waiting
    context = multiprocessing.get_context("spawn")
    with context.Pool(n) as pool:
        parts = pool.map(_process_main, [(plan, w, o, start_at) for w, o in shares])
    ms: dict[str, list[float]] = {}
    errors: dict[str, int] = {}
    for part_ms, part_errors in parts:
        for name, values in part_ms.items():
            ms.setdefault(name, []).extend(values)
        for name, count in part_errors.items():
            errors[name] = errors.get(name, 0) + count
    return summarize(ms, errors, plan)


def summarize(
    ms: Mapping[str, list[float]], errors: Mapping[str, int], plan: Plan
) -> dict[str, Any]:
    """Return the load test's figures from the timings of each callback [ms]."""
    per = {
        name: {
            "calls": len(values),
            "p50": round(float(np.percentile(values, 50)), 1),
            "p95": round(float(np.percentile(values, 95)), 1),
            "max": round(float(max(values)), 1),
            "errors": errors.get(name, 0),
        }
        for name, values in sorted(ms.items())
        if values
    }
    every = [v for values in ms.values() for v in values]
    return {
        "walls": plan.walls,
        "operators": plan.operators,
        "duration_s": plan.duration_s,
        "wall_periods_s": [[call.name, period] for call, period in plan.wall_calls],
        "think_s": list(plan.think_s),
        "calls": len(every),
        "calls_per_s": round(len(every) / plan.duration_s, 1),
        "errors": sum(errors.values()),
        "p95_ms": round(float(np.percentile(every, 95)), 1) if every else None,
        "per_callback": per,
        "worst_p95_ms": max((p["p95"] for p in per.values()), default=None),
    }


def payload_json(payload: Mapping[str, Any]) -> str:
    """Return a callback payload as the JSON body the load test sends."""
    return json.dumps(payload, separators=(",", ":"))
