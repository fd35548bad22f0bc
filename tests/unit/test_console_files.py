"""The console's page and files (console issue, point 3): served from the layer by a function with no
AWS permission, under a Content-Security-Policy that allows nothing from another origin."""

from __future__ import annotations

import re

import pytest

from crmsync.api.routers.console import ASSET_DIR
from local.template import Template
from tests.conftest import FakeContext, load_handler, proxy_event, sample_event

IMPORT = re.compile(r'^import .* from "\./([a-z0-9-]+\.js)";$', re.MULTILINE)


@pytest.fixture(scope="module")
def console():
    handler = load_handler("console")

    def get(path: str) -> dict:
        event = proxy_event("GET", path, tenant_id=None)
        reply = handler(event, FakeContext())
        reply["headers"] = {k: v[0] for k, v in (reply.get("multiValueHeaders") or {}).items()} | reply.get("headers", {})
        return reply

    return get


def test_the_page_names_its_files_under_the_stage_and_forbids_other_origins(console):
    reply = console("/console")
    assert reply["statusCode"] == 200 and reply["headers"]["Content-Type"].startswith("text/html")
    assert '<script type="module" src="/dev/console/app.js">' in reply["body"]
    assert '<meta name="api-base" content="/dev">' in reply["body"]
    policy = reply["headers"]["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "script-src 'self'" in policy and "connect-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy and "http" not in policy


def test_the_sample_event_renders_at_its_stage(console):
    reply = load_handler("console")(sample_event("console", "page"), FakeContext())
    assert reply["statusCode"] == 200 and 'src="/Prod/console/app.js"' in reply["body"]


def test_every_module_a_script_imports_is_served_as_javascript(console):
    pending, seen = ["app.js"], set()
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        reply = console(f"/console/{name}")
        assert reply["statusCode"] == 200, name
        assert reply["headers"]["Content-Type"].startswith("text/javascript")
        pending += IMPORT.findall(reply["body"])
    shipped = {p.name for p in ASSET_DIR.glob("*.js")}
    assert seen == shipped  # no script is left unused, none is missing


def test_no_file_refers_to_another_origin():
    for path in ASSET_DIR.iterdir():
        text = path.read_text()
        assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", text.replace("http://www.w3.org/2000/svg", "")), path.name


@pytest.mark.parametrize("name", ["missing.js", "..%2Fapi%2Fapp.py", "index.html", "app.py"])
def test_anything_else_is_not_found(console, name):
    reply = console(f"/console/{name}")
    assert reply["statusCode"] == 404 and '"not_found"' in reply["body"]


def test_the_console_function_is_public_and_has_no_permission():
    template = Template()
    routes = {(r.method, r.path): r for r in template.routes if r.path.startswith("/console")}
    assert set(routes) == {("GET", "/console"), ("GET", "/console/{asset}")}
    assert not any(r.authorized for r in routes.values())
    resource = template.resources["ConsoleFunction"]["Properties"]
    assert "Policies" not in resource and "Role" not in resource
