"""The "field: reason" error base and the errors built on it."""

from __future__ import annotations

import pytest

from grid.errors import FieldError
from notify.routes import RouteError
from store.users import UserError


def test_field_error_names_the_field_and_the_reason() -> None:
    err = FieldError("rows[3][3]", "812.0 is above 480 V")
    assert (err.field, err.reason) == ("rows[3][3]", "812.0 is above 480 V")
    assert str(err) == "rows[3][3]: 812.0 is above 480 V"
    assert isinstance(err, ValueError)


def test_field_error_without_a_field_is_its_reason() -> None:
    assert str(FieldError("", "not JSON")) == "not JSON"


@pytest.mark.parametrize("cls", [UserError, RouteError])
def test_user_and_route_errors_are_field_errors(cls: type[FieldError]) -> None:
    err = cls("username", "already taken")
    assert isinstance(err, FieldError)
    assert str(err) == "username: already taken"
    with pytest.raises(cls, match=r"^username: already taken$"):
        raise err
