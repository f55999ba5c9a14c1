"""platform.http.check_body at its boundaries: the nesting limit to the level, and the error
a body that is JSON but not an object gets (its own code, not the validation error's)."""

from __future__ import annotations

import json

import pytest

from soundlink.platform.errors import BadRequest
from soundlink.platform.http import MAX_BODY_DEPTH, check_body


def event(body: str) -> dict:
    return {
        "headers": {"content-type": "application/json"},
        "body": body,
        "requestContext": {"http": {"method": "POST"}},
    }


def nested(levels: int, innermost: object) -> object:
    """`innermost` wrapped in `levels - 1` arrays and objects, alternating, the outermost an object:
    `levels` levels in all, the innermost value (an empty object or a scalar) being the last."""
    value = innermost
    for wrap in range(levels - 1):
        value = {"a": value} if (levels - 2 - wrap) % 2 == 0 else [value]
    return value


@pytest.mark.parametrize("levels", [1, 2, MAX_BODY_DEPTH - 1, MAX_BODY_DEPTH])
def test_a_body_nested_up_to_the_limit_passes(levels):
    value = nested(levels, {})
    checked = check_body(event(json.dumps(value)))
    assert json.loads(checked["body"]) == value


@pytest.mark.parametrize("levels", [MAX_BODY_DEPTH + 1, MAX_BODY_DEPTH + 2, 100])
def test_a_body_nested_one_level_more_is_refused(levels):
    with pytest.raises(BadRequest, match=f"nested more than {MAX_BODY_DEPTH} levels"):
        check_body(event(json.dumps(nested(levels, {}))))


def test_a_scalar_counts_as_a_level():
    check_body(event(json.dumps(nested(MAX_BODY_DEPTH, 1))))
    with pytest.raises(BadRequest, match="nested"):
        check_body(event(json.dumps(nested(MAX_BODY_DEPTH + 1, 1))))


def test_the_limit_is_sixteen_levels():
    assert MAX_BODY_DEPTH == 16


@pytest.mark.parametrize("body", ["[]", '[{"name": "x"}]', "1", '"text"', "null", "true"])
def test_json_that_is_not_an_object_is_a_bad_request_of_its_own(body):
    with pytest.raises(BadRequest) as raised:
        check_body(event(body))
    assert raised.value.status == 400 and raised.value.code == "bad_request"
    assert raised.value.message == "the body must be a JSON object"
