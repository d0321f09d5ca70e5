"""Finding 4: request bodies are capped, an anonymous request's body is never parsed (an
anonymous 100 MB POST used to be read whole to audit its denial), and a flood of refused
requests folds into one audit row per source instead of one row per request."""

from __future__ import annotations

import io
import json
from collections.abc import Callable

import dash
import pytest

from components.auth import ANONYMOUS_MAX_BYTES, MAX_REQUEST_BYTES, PEEK_BYTES
from store.db import make_engine
from store.denials import record_denial
from tests.dashboard.conftest import ORIGIN, callback_key, callback_payload, signed_in
from tests.security.conftest import audit_rows, engine_of

HUNDRED_MB = 100 * 1024 * 1024


class CountingBody(io.RawIOBase):
    """A request body of `size` bytes (`head`, then spaces) that counts what the server read."""

    def __init__(self, head: bytes, size: int) -> None:
        self.head = head
        self.size = size
        self.position = 0
        self.read_bytes = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.position, io.SEEK_END: self.size}[whence]
        self.position = base + offset
        return self.position

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        n = max(0, min(len(buffer), self.size - self.position))
        data = self.head[self.position : self.position + n]
        buffer[:n] = data + b" " * (n - len(data))
        self.position += n
        self.read_bytes += n
        return n


def test_an_anonymous_100_mb_callback_post_is_refused_unread(shared_app: dash.Dash) -> None:
    key = callback_key(shared_app, "feeder.set_mode")
    head = json.dumps(callback_payload(shared_app, key)).encode()
    body = CountingBody(head, HUNDRED_MB)
    response = shared_app.server.test_client().post(
        "/_dash-update-component",
        input_stream=body,
        content_type="application/json",
        headers={"Origin": ORIGIN},
    )
    assert response.status_code == 401
    assert body.read_bytes == 0  # too large even to peek at
    small = CountingBody(head, len(head))
    response = shared_app.server.test_client().post(
        "/_dash-update-component",
        input_stream=small,
        content_type="application/json",
        headers={"Origin": ORIGIN},
    )
    assert response.status_code == 401
    assert small.read_bytes <= PEEK_BYTES
    denied = audit_rows(engine_of(shared_app), "feeder.set_mode", "denied")
    assert denied
    assert denied[-1].username is None


def test_an_anonymous_sign_in_form_is_capped(shared_app: dash.Dash) -> None:
    response = shared_app.server.test_client().post(
        "/login",
        data={"username": "vera", "password": "x" * (ANONYMOUS_MAX_BYTES + 1)},
        headers={"Origin": ORIGIN},
    )
    assert response.status_code == 413


def test_a_signed_in_request_is_capped(shared_app: dash.Dash) -> None:
    client = signed_in(shared_app, "viewer")
    key = callback_key(shared_app, "feeder.set_mode")
    payload = callback_payload(shared_app, key)
    payload["padding"] = "x" * MAX_REQUEST_BYTES
    response = client.post("/_dash-update-component", json=payload, headers={"Origin": ORIGIN})
    assert response.status_code == 413


def test_a_flood_of_anonymous_posts_writes_one_audit_row(shared_app: dash.Dash) -> None:
    engine = engine_of(shared_app)
    key = callback_key(shared_app, "user.add")
    before = len(audit_rows(engine, "user.add", "denied"))
    client = shared_app.server.test_client()
    flood = 200
    for n in range(flood):
        payload = callback_payload(shared_app, key, {"sp-users-new-name.value": f"evil{n}"})
        response = client.post(
            "/_dash-update-component",
            json=payload,
            headers={"Origin": ORIGIN},
            environ_base={"REMOTE_ADDR": "198.51.100.9"},
        )
        assert response.status_code == 401
    rows = audit_rows(engine, "user.add", "denied")
    assert len(rows) == before + 1
    detail = rows[-1].detail if isinstance(rows[-1].detail, dict) else json.loads(rows[-1].detail)
    assert detail["count"] == flood
    assert rows[-1].address == "198.51.100.9"


@pytest.mark.parametrize("actor", [None, "vera"])
def test_denials_fold_only_when_they_repeat(store_url: str, actor: str | None) -> None:
    engine = make_engine(store_url)
    try:
        with engine.begin() as conn:

            def deny(target: str, detail: dict[str, str], address: str = "10.1.1.1") -> bool:
                return record_denial(
                    conn,
                    actor=actor,
                    action="probe",
                    target=target,
                    detail=detail,
                    address=address,
                )

            assert deny("a", {"why": "x"}) is True
            assert deny("a", {"why": "x"}) is False
            assert deny("a", {"why": "x"}, "10.1.1.2") is True  # another source
            # a signed-in caller's other target or detail is another denial; an anonymous
            # caller's is the same flood
            assert deny("b", {"why": "x"}) is (actor is not None)
            assert deny("a", {"why": "y"}) is (actor is not None)
        rows = audit_rows(engine, "probe", "denied")
        first = rows[0].detail if isinstance(rows[0].detail, dict) else json.loads(rows[0].detail)
        assert first["count"] == (2 if actor is not None else 4)
        assert first["why"] == "x"
    finally:
        engine.dispose()


def test_a_cross_origin_flood_folds_too(build_app: Callable[..., dash.Dash]) -> None:
    app = build_app()
    client = app.server.test_client()
    for n in range(50):
        response = client.post(
            "/_dash-update-component", json={}, headers={"Origin": f"https://evil{n}.example"}
        )
        assert response.status_code == 403
    assert len(audit_rows(engine_of(app), "http.cross_origin", "denied")) == 1
