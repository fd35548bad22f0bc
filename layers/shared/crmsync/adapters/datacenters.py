"""Zoho data centres: the API domain and accounts (OAuth) server of each (zoho-api.md §1.2, §2.1)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class DataCenter(StrEnum):
    COM = "com"
    EU = "eu"
    IN = "in"
    COM_AU = "com.au"
    JP = "jp"
    CA = "ca"
    SA = "sa"
    COM_CN = "com.cn"


class Endpoints(BaseModel):
    """Where to get tokens and where to send API calls (both without a trailing slash)."""

    model_config = ConfigDict(frozen=True)

    api_domain: str
    accounts_server: str

    @property
    def token_url(self) -> str:
        return f"{self.accounts_server}/oauth/v2/token"


_ACCOUNTS_EXCEPTIONS = {DataCenter.CA: "https://accounts.zohocloud.ca"}

DATA_CENTERS: dict[DataCenter, Endpoints] = {
    dc: Endpoints(
        api_domain=f"https://www.zohoapis.{dc.value}",
        accounts_server=_ACCOUNTS_EXCEPTIONS.get(dc, f"https://accounts.zoho.{dc.value}"),
    )
    for dc in DataCenter
}


def resolve_endpoints(data_center: str = "com", base_url: str | None = None) -> Endpoints:
    """The endpoints of `data_center`, or `base_url` for both when given (the local sandboxes)."""
    if base_url:
        root = base_url.rstrip("/")
        return Endpoints(api_domain=root, accounts_server=root)
    try:
        return DATA_CENTERS[DataCenter(data_center)]
    except ValueError:
        raise ValueError(f"unknown Zoho data centre {data_center!r}") from None
