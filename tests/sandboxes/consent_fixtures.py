"""Driving a sandbox's consent page without a browser: read the HTML form, post it back as a browser would."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlencode

import httpx

REDIRECT_URI = "http://127.0.0.1:9/oauth/callback"
BOTH_SCOPES = "ZohoCRM.modules.ALL,ZohoCRM.settings.ALL,ZohoCRM.org.READ,ZohoInventory.FullAccess.all"


@dataclass
class Control:
    tag: str  # input or button
    attrs: dict[str, str]

    @property
    def type(self) -> str:
        return self.attrs.get("type", "submit" if self.tag == "button" else "text")


@dataclass
class ConsentPage:
    """The parts of a consent page a test looks at: the form, its controls and their labels."""

    status: int
    html: str
    action: str = ""
    method: str = ""
    controls: list[Control] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)  # control id -> label text
    list_items: list[str] = field(default_factory=list)
    title: str = ""

    def hidden(self) -> dict[str, str]:
        return {c.attrs["name"]: c.attrs.get("value", "") for c in self.controls if c.type == "hidden"}

    def choices(self) -> list[Control]:
        return [c for c in self.controls if c.type in {"checkbox", "radio"}]

    def buttons(self) -> dict[str, str]:
        """Button value -> its text-less name (`decision`)."""
        return {c.attrs.get("value", ""): c.attrs.get("name", "") for c in self.controls if c.tag == "button"}

    def form_data(self, decision: str, orgs: list[str] | None = None) -> list[tuple[str, str]]:
        """What a browser posts when the user ticks `orgs` (default: as the page ticked them) and presses a button."""
        pairs = list(self.hidden().items())
        for choice in self.choices():
            ticked = choice.attrs.get("value", "") in orgs if orgs is not None else "checked" in choice.attrs
            if ticked:
                pairs.append((choice.attrs["name"], choice.attrs.get("value", "")))
        name = self.buttons()[decision]
        return [*pairs, (name, decision)]


class _Parser(HTMLParser):
    def __init__(self, page: ConsentPage) -> None:
        super().__init__(convert_charrefs=True)
        self.page = page
        self._label_for: str | None = None
        self._in: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.page.action, self.page.method = values.get("action", ""), values.get("method", "get").lower()
        elif tag in {"input", "button"}:
            self.page.controls.append(Control(tag, values))
        elif tag == "br" and self._in:
            self._text.append(" ")
        elif tag in {"label", "li", "title"}:
            self._in, self._text = tag, []
            self._label_for = values.get("for")

    def handle_endtag(self, tag: str) -> None:
        if tag != self._in:
            return
        text = " ".join("".join(self._text).split())
        if tag == "label" and self._label_for:
            self.page.labels[self._label_for] = text
        elif tag == "li":
            self.page.list_items.append(text)
        else:
            self.page.title = text
        self._in = None

    def handle_data(self, data: str) -> None:
        if self._in:
            self._text.append(data)


def auth_params(client_id: str, **overrides: str) -> dict[str, str]:
    return {
        "response_type": "code",
        "client_id": client_id,
        "scope": BOTH_SCOPES,
        "redirect_uri": REDIRECT_URI,
        "access_type": "offline",
        "prompt": "consent",
        "state": "st-42",
    } | overrides


def open_consent(base_url: str, params: dict[str, str]) -> ConsentPage:
    reply = httpx.get(f"{base_url}/oauth/v2/auth", params=params)
    page = ConsentPage(reply.status_code, reply.text)
    _Parser(page).feed(reply.text)
    return page


def post_form(url: str, pairs: list[tuple[str, str]]) -> httpx.Response:
    """A browser's form post (repeated names kept), without following the redirect."""
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    return httpx.post(url, content=urlencode(pairs), headers=headers)


def submit(base_url: str, page: ConsentPage, decision: str, orgs: list[str] | None = None) -> httpx.Response:
    """Post the consent form as the page built it, pressing `decision` (accept or deny)."""
    return post_form(f"{base_url}{page.action}", page.form_data(decision, orgs))


def redirect_params(reply: httpx.Response) -> dict[str, str]:
    assert reply.status_code == 302, reply.text
    location = httpx.URL(reply.headers["location"])
    assert str(location.copy_with(query=None)) == REDIRECT_URI
    return dict(location.params)


def consent(base_url: str, client_id: str, orgs: list[str] | None = None, **overrides: str) -> dict[str, str]:
    """Open the page, press Accept and return the redirect's query (`code`, `state`, ...)."""
    page = open_consent(base_url, auth_params(client_id, **overrides))
    assert page.status == 200, page.html
    return redirect_params(submit(base_url, page, "accept", orgs))


def exchange(
    base_url: str, client: dict[str, Any], code: str, redirect_uri: str = REDIRECT_URI
) -> httpx.Response:
    return httpx.post(
        f"{base_url}/oauth/v2/token",
        data={
            "grant_type": "authorization_code",
            "client_id": client["client_id"],
            "client_secret": client["client_secret"],
            "redirect_uri": redirect_uri,
            "code": code,
        },
    )


def refresh(base_url: str, client: dict[str, Any], refresh_token: str) -> httpx.Response:
    return httpx.post(
        f"{base_url}/oauth/v2/token",
        data={
            "grant_type": "refresh_token",
            "client_id": client["client_id"],
            "client_secret": client["client_secret"],
            "refresh_token": refresh_token,
        },
    )
