import pytest

from crmsync.adapters.datacenters import DATA_CENTERS, DataCenter, resolve_endpoints


@pytest.mark.parametrize(
    ("dc", "api", "accounts"),
    [
        ("com", "https://www.zohoapis.com", "https://accounts.zoho.com"),
        ("eu", "https://www.zohoapis.eu", "https://accounts.zoho.eu"),
        ("in", "https://www.zohoapis.in", "https://accounts.zoho.in"),
        ("com.au", "https://www.zohoapis.com.au", "https://accounts.zoho.com.au"),
        ("jp", "https://www.zohoapis.jp", "https://accounts.zoho.jp"),
        ("ca", "https://www.zohoapis.ca", "https://accounts.zohocloud.ca"),
        ("sa", "https://www.zohoapis.sa", "https://accounts.zoho.sa"),
        ("com.cn", "https://www.zohoapis.com.cn", "https://accounts.zoho.com.cn"),
    ],
)
def test_each_data_centre_has_its_hosts(dc, api, accounts):
    endpoints = resolve_endpoints(dc)

    assert (endpoints.api_domain, endpoints.accounts_server) == (api, accounts)
    assert endpoints.token_url == f"{accounts}/oauth/v2/token"


def test_table_covers_every_data_centre():
    assert set(DATA_CENTERS) == set(DataCenter)


def test_base_url_serves_both_tokens_and_api_when_given():
    endpoints = resolve_endpoints("eu", "http://127.0.0.1:8081/")

    assert endpoints.api_domain == endpoints.accounts_server == "http://127.0.0.1:8081"
    assert endpoints.token_url == "http://127.0.0.1:8081/oauth/v2/token"


def test_unknown_data_centre_is_refused():
    with pytest.raises(ValueError, match="uk"):
        resolve_endpoints("uk")
