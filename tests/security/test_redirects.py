"""Finding 3: after sign-in the control room follows only a path on its own site, whatever a
browser would make of the `next` parameter (a tab, a newline or a backslash that it drops or
rewrites would otherwise turn "/\\t/host/x" into "//host/x", another site)."""

from __future__ import annotations

from urllib.parse import quote

import dash
import pytest

from components.auth import safe_next
from tests.dashboard.conftest import ORIGIN, PASSWORD, signed_in

OFF_SITE = [
    "/\t/evil.example/x",  # sent as /login?next=/%09/evil.example/x, the request
    "/\n/evil.example/x",
    "/\r\n/evil.example",
    "/\\evil.example/x",
    "\\\\evil.example/x",
    "//evil.example/x",
    "///evil.example/x",
    "https://evil.example/x",
    "https:/evil.example",
    "javascript:alert(1)",
    " /evil.example",
    "/\x00/evil.example",
    "/\u200b/evil.example",  # zero-width space (format character)
    "/\u3000/evil.example",  # ideographic space
    "evil.example/x",
    "/login",
    "/login/code?next=//evil.example",
]
ON_SITE = ["/", "/log", "/feeder/KL-TVM-0001", "/alerts?state=open&district=Ernakulam", "/log#top"]


@pytest.mark.parametrize("next_path", OFF_SITE)
def test_sign_in_never_redirects_off_site(shared_app: dash.Dash, next_path: str) -> None:
    app = shared_app
    client = app.server.test_client()
    response = client.post(
        f"/login?next={quote(next_path, safe='')}",
        data={"username": "vera", "password": PASSWORD},
        headers={"Origin": ORIGIN},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    # and a signed-in user sent to /login with it goes home too
    again = signed_in(app, "viewer").get(f"/login?next={quote(next_path, safe='')}")
    assert again.headers["Location"] == "/"


@pytest.mark.parametrize("next_path", ON_SITE)
def test_sign_in_returns_to_a_page_of_the_site(shared_app: dash.Dash, next_path: str) -> None:
    client = shared_app.server.test_client()
    response = client.post(
        "/login",
        data={"username": "vera", "password": PASSWORD, "next": next_path},
        headers={"Origin": ORIGIN},
    )
    assert response.headers["Location"] == next_path


@pytest.mark.parametrize("next_path", OFF_SITE)
def test_safe_next_refuses_every_off_site_form(next_path: str) -> None:
    assert safe_next(next_path) == "/"


def test_a_percent_escape_stays_a_path_of_this_site() -> None:
    assert safe_next("/%09/evil.example/x") == "/%09/evil.example/x"  # a browser keeps it as is
