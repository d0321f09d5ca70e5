"""Finding 5: the sign-in limit counts atomically in the store (a burst of concurrent guesses
used to get 22 through a limit of 10), per address and per account separately, so that nobody
can lock another out: an account attacked from many addresses is slowed down, not locked; and
the client address is the one a configured trusted proxy forwarded, never a spoofed one."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import dash
import pytest
import requests
from flask.testing import FlaskClient
from sqlalchemy import Engine, text

from store.db import make_engine
from store.logins import account_key, count_attempt, take_turn
from store.migrate import upgrade
from store.schema import login_limits
from tests.dashboard.conftest import (
    ORIGIN,
    PASSWORD,
    LiveServer,
    free_port,
    seed_dashboard,
)
from tests.security.conftest import audit_rows, engine_of

WRONG = "not the password at all"


def attempt(client: FlaskClient, username: str, password: str, **environ: str) -> int:
    response = client.post(
        "/login",
        data={"username": username, "password": password},
        headers={"Origin": ORIGIN},
        environ_base=environ,
    )
    return response.status_code


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("limits")
    url = f"sqlite:///{folder}/store.db"
    engine = make_engine(url)
    upgrade(engine)
    seed_dashboard(engine)
    engine.dispose()
    server = LiveServer(
        url,
        free_port(),
        folder / "server.log",
        env={"SP_LOGIN_MAX_FAILURES": "10", "SP_MQTT_URL": "mqtt://127.0.0.1:9"},
    )
    yield server
    server.stop()


@pytest.mark.slow
def test_a_burst_of_concurrent_guesses_is_counted_in_full(live: LiveServer) -> None:
    def guess(n: int) -> int:
        response = requests.post(
            live.base + "/login",
            data={"username": "otto", "password": f"{WRONG} {n}"},
            headers={"Origin": live.base},
            allow_redirects=False,
            timeout=120,
        )
        return response.status_code

    with ThreadPoolExecutor(max_workers=30) as pool:
        answers = Counter(pool.map(guess, range(30)))
    assert set(answers) <= {401, 429}, answers
    assert 1 <= answers[401] <= 10, answers  # at most the limit reached the password check
    assert answers[401] + answers[429] == 30


def test_an_account_attacked_from_many_addresses_is_slowed_not_locked(
    build_app: Callable[..., dash.Dash],
) -> None:
    app = build_app(login_max_failures=10, login_window_s=900, login_account_delay_s=5)
    client = app.server.test_client()
    for n in range(10):
        assert attempt(client, "ada", WRONG, REMOTE_ADDR=f"192.0.2.{n + 1}") == 401
    response = client.post(
        "/login",
        data={"username": "ada", "password": PASSWORD},
        headers={"Origin": ORIGIN},
        environ_base={"REMOTE_ADDR": "203.0.113.77"},
    )
    assert response.status_code == 429
    assert 1 <= int(response.headers["Retry-After"]) <= 5  # a delay, not the 15-minute window
    assert "account" in response.get_data(as_text=True)
    with engine_of(app).begin() as conn:  # the delay passes
        past = datetime.now(UTC) - timedelta(seconds=1)
        conn.execute(
            login_limits.update()
            .where(login_limits.c.key == account_key("ada"))
            .values(next_at=past)
        )
    assert attempt(client, "ada", PASSWORD, REMOTE_ADDR="203.0.113.77") == 302
    assert attempt(client, "vera", PASSWORD, REMOTE_ADDR="192.0.2.1") == 302  # others unaffected
    denied = audit_rows(engine_of(app), "auth.login", "denied")
    assert denied
    assert "account" in str(denied[-1].detail)


def test_an_address_past_the_limit_is_blocked_for_the_window(
    build_app: Callable[..., dash.Dash],
) -> None:
    app = build_app(login_max_failures=10, login_window_s=900)
    client = app.server.test_client()
    for n in range(10):
        assert attempt(client, f"guess{n}", WRONG, REMOTE_ADDR="198.51.100.4") == 401
    response = client.post(
        "/login",
        data={"username": "vera", "password": PASSWORD},
        headers={"Origin": ORIGIN},
        environ_base={"REMOTE_ADDR": "198.51.100.4"},
    )
    assert response.status_code == 429
    assert 800 <= int(response.headers["Retry-After"]) <= 900
    assert attempt(client, "vera", PASSWORD, REMOTE_ADDR="198.51.100.5") == 302


def test_a_trusted_proxy_gives_the_client_address(build_app: Callable[..., dash.Dash]) -> None:
    app = build_app(trusted_proxies=1, login_max_failures=3)
    client = app.server.test_client()

    def via_proxy(client_address: str, password: str) -> int:
        response = client.post(
            "/login",
            data={"username": "vera", "password": password},
            headers={"Origin": ORIGIN, "X-Forwarded-For": client_address},
            environ_base={"REMOTE_ADDR": "10.0.0.1"},  # the proxy
        )
        return response.status_code

    for _ in range(3):
        assert via_proxy("203.0.113.5", WRONG) == 401
    assert via_proxy("203.0.113.5", PASSWORD) == 429  # that client is blocked ...
    engine = engine_of(app)
    with engine.begin() as conn:  # (the account's own delay is not what this test is about)
        conn.execute(login_limits.delete().where(login_limits.c.key == account_key("vera")))
    assert via_proxy("203.0.113.6", PASSWORD) == 302  # ... not everyone behind the proxy
    addresses = {row.address for row in audit_rows(engine, "auth.login")}
    assert {"203.0.113.5", "203.0.113.6"} <= addresses
    assert "10.0.0.1" not in addresses


def test_forwarded_addresses_are_ignored_without_a_trusted_proxy(
    build_app: Callable[..., dash.Dash],
) -> None:
    app = build_app(trusted_proxies=0, login_max_failures=3)
    client = app.server.test_client()
    for n in range(4):
        status = client.post(
            "/login",
            data={"username": f"guess{n}", "password": WRONG},
            headers={"Origin": ORIGIN, "X-Forwarded-For": f"203.0.113.{n}"},
            environ_base={"REMOTE_ADDR": "198.51.100.7"},
        ).status_code
        assert status == (401 if n < 3 else 429)  # a spoofed header does not reset the count


@pytest.fixture
def limits_engine(store_url: str) -> Iterator[Engine]:
    engine = make_engine(store_url)
    yield engine
    engine.dispose()


def test_counters_start_a_new_window_and_hand_out_turns(limits_engine: Engine) -> None:
    t0 = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
    with limits_engine.begin() as conn:
        counts = [count_attempt(conn, "account:x", t0 + timedelta(seconds=s), 60) for s in (0, 10)]
        assert [c for c, _ in counts] == [1, 2]
        assert counts[1][1] == t0  # the window began with the first attempt
        assert count_attempt(conn, "account:x", t0 + timedelta(seconds=60), 60) == (
            1,
            t0 + timedelta(seconds=60),
        )
        assert take_turn(conn, "account:x", t0 + timedelta(seconds=61), 5) is None
        assert take_turn(conn, "account:x", t0 + timedelta(seconds=62), 5) == 4
        assert take_turn(conn, "account:x", t0 + timedelta(seconds=66), 5) is None
    with limits_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM login_limits")).scalar_one() == 1


def test_limit_rows_are_dropped_once_over(build_app: Callable[..., dash.Dash]) -> None:
    app = build_app(login_window_s=60)
    client = app.server.test_client()
    assert attempt(client, "nobody", WRONG, REMOTE_ADDR="192.0.2.200") == 401
    engine = engine_of(app)
    with engine.begin() as conn:
        conn.execute(
            login_limits.update().values(window_start=datetime.now(UTC) - timedelta(minutes=2))
        )
    assert attempt(client, "vera", PASSWORD) == 302
    with engine.connect() as conn:
        keys = set(conn.execute(text("SELECT key FROM login_limits")).scalars())
    assert "address:192.0.2.200" not in keys
    assert "account:nobody" not in keys
