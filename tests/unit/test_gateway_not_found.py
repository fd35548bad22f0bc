"""The local gateway answers an unknown route as the deployed API does: 404 in the API's error shape
(issue 12 point 3), from the template's gateway response for MISSING_AUTHENTICATION_TOKEN."""

from __future__ import annotations

from types import SimpleNamespace

import httpx
import pytest

from local.gateway import Gateway
from local.sandboxes.common import run_in_thread
from local.template import Template


class NoFunctions:
    """An invoker that must not be reached: an unknown route never calls a function."""

    region = "us-east-1"
    account = "123456789012"

    def invoke(self, function, event):
        raise AssertionError(f"{function} was invoked for an unknown route")


@pytest.fixture(scope="module")
def client():
    gateway = Gateway(Template(), NoFunctions(), scheduler=SimpleNamespace(rates={}))
    server = run_in_thread(gateway.app)
    try:
        with httpx.Client(base_url=server.base_url, timeout=10) as http:
            yield http
    finally:
        server.stop()


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/no-such-route"),
        ("DELETE", "/no-such-route"),
        ("GET", "/integrations/abc/no/such/thing"),
        ("PATCH", "/integrations"),  # a known path, a method it does not have
    ],
)
def test_unknown_route_answers_404_not_found_in_the_error_shape(client, method, path):
    reply = client.request(method, path, headers={"Authorization": "Bearer csk_whatever"})

    assert reply.status_code == 404, reply.text
    assert reply.json() == {
        "error": {"code": "not_found", "message": "No such route: check the method and the path.", "details": {}}
    }
    assert reply.headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"


def test_unknown_route_answers_404_when_no_key_is_sent(client):
    reply = client.get("/nothing/here")

    assert reply.status_code == 404
    assert reply.json()["error"]["code"] == "not_found"
