import threading
import time
from urllib.parse import parse_qs

import httpx
import pytest

from crmsync.adapters.crm.errors import classify, is_token_rejected
from crmsync.adapters.http import RetryPolicy, VendorHttp
from crmsync.adapters.inventory import errors as inventory_errors
from crmsync.adapters.oauth import TokenSource, ZohoAuth
from crmsync.ports.errors import AuthorizationExpired, RateLimited, Unavailable
from crmsync.ports.secrets import OAuthCredentials

CREDENTIALS = OAuthCredentials(client_id="cid", client_secret="csecret", refresh_token="rtoken")
TOKEN_URL = "https://accounts.test/oauth/v2/token"


class FakeZoho:
    """Accounts server and API in one mock: issues token-1, token-2, ...; the API accepts `valid`."""

    def __init__(
        self, expires_in: int = 3600, token_delay: float = 0.0, token_reply: httpx.Response | None = None
    ):
        self.expires_in = expires_in
        self.token_delay = token_delay
        self.token_reply = token_reply
        self.token_requests: list[httpx.Request] = []
        self.api_auth_headers: list[str] = []
        self.valid: set[str] = set()
        self.revoked = False
        self.lock = threading.Lock()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/v2/token":
            time.sleep(self.token_delay)
            with self.lock:
                self.token_requests.append(request)
                token = f"token-{len(self.token_requests)}"
                self.valid = {token}
            return self.token_reply or httpx.Response(
                200,
                json={"access_token": token, "api_domain": "https://api.test", "expires_in": self.expires_in},
            )
        with self.lock:
            self.api_auth_headers.append(request.headers["Authorization"])
        if (
            not self.revoked
            and request.headers["Authorization"].removeprefix("Zoho-oauthtoken ") in self.valid
        ):
            return httpx.Response(200, json={"data": [{"id": "1"}]})
        return self.rejection()

    def rejection(self) -> httpx.Response:
        return httpx.Response(
            401, json={"code": "INVALID_TOKEN", "message": "invalid oauth token", "status": "error"}
        )


class FakeInventory(FakeZoho):
    def rejection(self) -> httpx.Response:
        return httpx.Response(
            401, json={"code": 57, "message": "You are not authorized to perform this operation"}
        )


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def tokens_for(zoho: FakeZoho, clock=time.monotonic) -> TokenSource:
    client = httpx.Client(transport=httpx.MockTransport(zoho))
    return TokenSource("crm", CREDENTIALS, TOKEN_URL, "https://default.test", client, clock=clock)


def api_for(
    zoho: FakeZoho, tokens: TokenSource, rejected=is_token_rejected, classifier=classify
) -> VendorHttp:
    client = httpx.Client(transport=httpx.MockTransport(zoho))
    policy = RetryPolicy(max_attempts=3, initial_backoff=0.01, max_backoff=0.02)
    return VendorHttp(
        "crm",
        client,
        classifier,
        lambda: tokens.api_domain + "/crm/v8",
        auth=ZohoAuth(tokens, rejected),
        policy=policy,
    )


def test_refresh_grant_is_posted_as_a_form_when_first_token_is_needed():
    zoho = FakeZoho()

    assert tokens_for(zoho).access_token() == "token-1"

    [request] = zoho.token_requests
    assert request.method == "POST" and str(request.url) == TOKEN_URL
    assert parse_qs(request.content.decode()) == {
        "grant_type": ["refresh_token"],
        "client_id": ["cid"],
        "client_secret": ["csecret"],
        "refresh_token": ["rtoken"],
    }


def test_token_is_reused_until_a_minute_before_it_expires():
    zoho, clock = FakeZoho(expires_in=3600), Clock()
    tokens = tokens_for(zoho, clock)
    tokens.access_token()

    clock.now += 3600 - 61
    assert tokens.access_token() == "token-1"
    clock.now += 2
    assert tokens.access_token() == "token-2"


def test_short_lived_token_is_reused_for_most_of_its_life():
    zoho, clock = FakeZoho(expires_in=10), Clock()
    tokens = tokens_for(zoho, clock)
    tokens.access_token()

    clock.now += 8.9
    assert tokens.access_token() == "token-1"
    clock.now += 0.2
    assert tokens.access_token() == "token-2"


def test_api_host_comes_from_the_token_reply():
    tokens = tokens_for(FakeZoho())

    assert tokens.api_domain == "https://api.test"


def test_one_refresh_serves_every_thread_when_many_need_a_token_at_once():
    zoho = FakeZoho(token_delay=0.05)
    tokens = tokens_for(zoho)
    seen: list[str] = []

    threads = [threading.Thread(target=lambda: seen.append(tokens.access_token())) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(zoho.token_requests) == 1
    assert seen == ["token-1"] * 8


def test_call_is_refreshed_and_replayed_once_when_token_is_rejected():
    zoho = FakeZoho()
    tokens = tokens_for(zoho, Clock())  # the clock never moves: only the API knows the token died
    api = api_for(zoho, tokens)
    api.request("GET", "/Accounts")
    zoho.valid = set()  # the vendor has expired token-1

    response = api.request("GET", "/Accounts")

    assert response.status_code == 200
    assert len(zoho.token_requests) == 2
    assert zoho.api_auth_headers == [
        "Zoho-oauthtoken token-1",
        "Zoho-oauthtoken token-1",
        "Zoho-oauthtoken token-2",
    ]


def test_inventory_code_57_triggers_the_refresh_and_replay():
    zoho = FakeInventory()
    api = api_for(
        zoho, tokens_for(zoho, Clock()), inventory_errors.is_token_rejected, inventory_errors.classify
    )
    api.request("GET", "/items")
    zoho.valid = set()

    assert api.request("GET", "/items").status_code == 200
    assert len(zoho.token_requests) == 2
    assert zoho.api_auth_headers[-1] == "Zoho-oauthtoken token-2"


def test_authorization_expired_when_fresh_token_is_rejected_too():
    zoho = FakeZoho()
    api = api_for(zoho, tokens_for(zoho, Clock()))
    zoho.revoked = True

    with pytest.raises(AuthorizationExpired):
        api.request("GET", "/Accounts")

    assert len(zoho.token_requests) == 2  # the first token, one refresh, no more


def test_threads_share_one_refresh_when_all_see_the_token_rejected():
    zoho = FakeZoho(token_delay=0.05)
    tokens = tokens_for(zoho, Clock())
    tokens.access_token()

    threads = [threading.Thread(target=tokens.refresh, args=("token-1",)) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(zoho.token_requests) == 2


@pytest.mark.parametrize(
    ("reply", "error", "retryable"),
    [
        (httpx.Response(200, json={"error": "invalid_code"}), AuthorizationExpired, False),
        (httpx.Response(400, json={"error": "invalid_client"}), AuthorizationExpired, False),
        (
            httpx.Response(400, json={"error": "Access Denied", "error_description": "too many"}),
            RateLimited,
            True,
        ),
        (httpx.Response(502, text="bad gateway"), Unavailable, True),
    ],
)
def test_refresh_failure_is_typed_when_token_endpoint_refuses(reply, error, retryable):
    tokens = tokens_for(FakeZoho(token_reply=reply))

    with pytest.raises(error) as raised:
        tokens.access_token()

    assert raised.value.retryable is retryable
