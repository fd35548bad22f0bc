"""Swagger UI on the local gateway renders offline (console issue, point 5): /docs and everything it
loads come from this origin, the swagger-ui-dist files from node_modules, and the page's
Content-Security-Policy lets nothing load from anywhere else."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from html.parser import HTMLParser
from types import SimpleNamespace
from urllib.parse import urlsplit

import httpx
import pytest

from local.gateway import SWAGGER_UI_DIST, Gateway
from local.sandboxes.common import run_in_thread
from local.template import ROOT, Template

CONTENT_TYPES = {".css": "text/css", ".js": "text/javascript", ".png": "image/png", ".json": "application/json"}


class NoFunctions:
    """An invoker that must not be reached: the docs routes never call a function."""

    region = "us-east-1"
    account = "123456789012"

    def invoke(self, function, event):
        raise AssertionError(f"{function} was invoked for a docs route")


@contextmanager
def serve(**options) -> Iterator[httpx.Client]:
    """The gateway on a free port (never the local stack's 3000)."""
    gateway = Gateway(Template(), NoFunctions(), scheduler=SimpleNamespace(rates={}), **options)
    server = run_in_thread(gateway.app)
    try:
        with httpx.Client(base_url=server.base_url, timeout=10) as http:
            yield http
    finally:
        server.stop()


@pytest.fixture(scope="module")
def client():
    if not (SWAGGER_UI_DIST / "swagger-ui-bundle.js").is_file():
        pytest.fail(f"{SWAGGER_UI_DIST} is not installed: run `npm install` (make does it)")
    with serve() as http:
        yield http


class Page(HTMLParser):
    """Every URL-valued attribute of an HTML page, its scripts and its inline event handlers."""

    URL_ATTRIBUTES = {"src", "href", "action", "formaction", "poster", "data", "srcset", "background"}

    def __init__(self, text: str):
        super().__init__()
        self.urls: list[str] = []
        self.scripts: list[dict[str, str | None]] = []
        self.handlers: list[str] = []
        self.script_text: list[str] = []
        self.in_script = False
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in self.URL_ATTRIBUTES and value is not None:
                self.urls.append(value.strip())
            if name.startswith("on"):
                self.handlers.append(f"<{tag} {name}>")
        if tag == "script":
            self.scripts.append(dict(attrs))
            self.in_script = True

    def handle_endtag(self, tag):
        if tag == "script":
            self.in_script = False

    def handle_data(self, data):
        if self.in_script and data.strip():
            self.script_text.append(data)


def csp_directives(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        if part.strip():
            name, *sources = part.split()
            directives[name.lower()] = sources
    return directives


def test_docs_page_references_only_same_origin_urls(client):
    reply = client.get("/docs")

    assert reply.status_code == 200, reply.text
    assert reply.headers["content-type"] == "text/html; charset=utf-8"
    page = Page(reply.text)
    assert page.urls, "the page references no file"
    for url in page.urls:
        parts = urlsplit(url)
        assert not parts.scheme and not parts.netloc, f"{url} is not on this origin"
        assert url.startswith("/") and not url.startswith(("//", "/\\")), f"{url} is not a same-origin path"
    assert not re.search(r"(?i)https?:|//[a-z0-9]", re.sub(r"<!--.*?-->", "", reply.text, flags=re.S))


def test_docs_page_runs_no_inline_script(client):
    page = Page(client.get("/docs").text)

    assert [script.get("src") for script in page.scripts] == [
        "/docs/assets/swagger-ui-bundle.js",
        "/docs/assets/swagger-ui-standalone-preset.js",
        "/docs/swagger-initializer.js",
    ]
    assert page.script_text == []
    assert page.handlers == []


def test_every_file_the_page_references_is_served_with_its_content_type(client):
    urls = Page(client.get("/docs").text).urls

    assert {"/docs/assets/swagger-ui.css", "/docs/assets/favicon-32x32.png"} <= set(urls)
    for url in urls:
        reply = client.get(url)
        assert reply.status_code == 200, f"{url}: {reply.status_code} {reply.text[:200]}"
        suffix = url[url.rindex(".") :]
        assert reply.headers["content-type"].split(";")[0] == CONTENT_TYPES[suffix], url
        assert reply.headers["x-content-type-options"] == "nosniff"
        assert reply.content, f"{url} is empty"
        if suffix == ".png":
            assert reply.content.startswith(b"\x89PNG\r\n\x1a\n"), url
        if suffix == ".js":
            assert reply.headers["content-type"] == "text/javascript; charset=utf-8"


def test_the_assets_are_the_swagger_ui_dist_files(client):
    for name in ("swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "swagger-ui.css"):
        assert client.get(f"/docs/assets/{name}").content == (SWAGGER_UI_DIST / name).read_bytes()
    assert "SwaggerUIBundle" in client.get("/docs/assets/swagger-ui-bundle.js").text
    assert "SwaggerUIStandalonePreset" in client.get("/docs/assets/swagger-ui-standalone-preset.js").text


def test_the_stylesheets_load_nothing_from_another_origin(client):
    for url in ("/docs/assets/swagger-ui.css", "/docs/assets/index.css"):
        css = client.get(url).text
        assert "@import" not in css
        for target in re.findall(r"url\(\s*['\"]?([^'\")]*)", css):
            assert target.startswith("data:"), f"{url} loads {target[:60]}"


def test_initializer_loads_the_committed_openapi_from_this_origin(client):
    reply = client.get("/docs/swagger-initializer.js")

    assert reply.status_code == 200
    assert reply.headers["content-type"] == "text/javascript; charset=utf-8"
    assert 'url: "/openapi.json"' in reply.text
    assert "validatorUrl: null" in reply.text  # no badge image from validator.swagger.io
    assert not re.search(r"(?i)https?:|['\"]//", reply.text)


def test_openapi_json_is_the_committed_file(client):
    reply = client.get("/openapi.json")

    assert reply.status_code == 200
    assert reply.headers["content-type"] == "application/json"
    committed = (ROOT / "openapi.json").read_bytes()
    assert reply.content == committed
    assert reply.json() == json.loads(committed)


@pytest.mark.parametrize("url", ["/docs", "/docs/swagger-initializer.js", "/docs/assets/swagger-ui-bundle.js"])
def test_content_security_policy_forbids_other_origins(client, url):
    directives = csp_directives(client.get(url).headers["content-security-policy"])

    assert directives["default-src"] == ["'none'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["connect-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'", "'unsafe-inline'"]
    assert directives["img-src"] == ["'self'", "data:"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["base-uri"] == ["'none'"]
    allowed = {"'self'", "'none'"}
    for name, sources in directives.items():
        extra = {"style-src": {"'unsafe-inline'"}, "img-src": {"data:"}}.get(name, set())
        assert set(sources) <= allowed | extra, f"{name} allows {sources}"


def test_only_the_listed_swagger_ui_files_are_served(client):
    assert (SWAGGER_UI_DIST / "package.json").is_file()
    assert client.get("/docs/assets/package.json").status_code == 404
    assert client.get("/docs/assets/index.html").status_code == 404
    assert client.get("/docs/assets/..%2Fswagger-ui-dist%2Fpackage.json").status_code == 404
    assert client.get("/docs/assets/../../package.json").status_code == 404


def test_installed_swagger_ui_dist_is_the_pinned_version():
    pinned = json.loads((ROOT / "package.json").read_text())["devDependencies"]["swagger-ui-dist"]
    locked = json.loads((ROOT / "package-lock.json").read_text())["packages"]["node_modules/swagger-ui-dist"]

    assert re.fullmatch(r"\d+\.\d+\.\d+", pinned), f"pin an exact version, not {pinned}"
    assert locked["version"] == pinned
    installed = SWAGGER_UI_DIST / "package.json"
    if installed.is_file():
        assert json.loads(installed.read_text())["version"] == pinned, "run `npm install` (make does it)"


def test_docs_without_swagger_ui_dist_answers_503_saying_what_to_run(tmp_path):
    missing = tmp_path / "node_modules" / "swagger-ui-dist"
    with serve(swagger_ui_dist=missing) as http:
        reply = http.get("/docs")
        asset = http.get("/docs/assets/swagger-ui-bundle.js")
        openapi = http.get("/openapi.json")

    assert reply.status_code == 503
    assert reply.headers["content-type"] == "text/html; charset=utf-8"
    assert "npm install" in reply.text
    assert str(missing) in reply.text
    assert "swagger-ui-bundle.js" in reply.text
    assert "<script" not in reply.text
    assert csp_directives(reply.headers["content-security-policy"])["default-src"] == ["'none'"]
    assert asset.status_code == 503
    assert "npm install" in asset.text
    assert openapi.status_code == 200
