"""Browser tests: Debian's Chromium, driven by Playwright (pytest-playwright), against the local stack.

- The browser is Debian's `chromium` package (`make browser-setup` installs it); Playwright's own
  browser downloads are never used (`browser_type_launch_args`).
- `stack`: the local stack, one per test file, on free ports, DynamoDB Local in memory (as the e2e
  tests' `stack`).
- Playwright's driver and the browser also live per test file here, not per session as
  pytest-playwright makes them: between its calls Playwright's sync API leaves its event loop marked
  as running in the main thread, which other tests of the same pytest worker must not inherit.
- `page` is pytest-playwright's page, watched (`PageWatch`): a console error, an uncaught page error
  or a request to an origin other than the stack's API and the sandboxes' (their consent pages) fails
  the test.
- `shot(page, name)` saves a screenshot to `.local/screenshots/<name>.png` (git-ignored).
- `expect(...)` waits up to 10 s (Playwright's default is 5 s): other test workers share the cores.

Every test in this folder is marked `browser` (`-m browser` / `-m "not browser"`).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import (
    Browser,
    BrowserType,
    ConsoleMessage,
    Page,
    Playwright,
    Request,
    expect,
    sync_playwright,
)

from local.stack import LocalStack
from local.template import ROOT

HERE = Path(__file__).resolve().parent
SCREENSHOTS = ROOT / ".local" / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Schemes that load nothing from the network (inline images, blobs, the empty page).
LOCAL_SCHEMES = {"data", "blob", "about"}
# `expect(...)` waits up to 5 s by default. `make test` runs a worker per core beside these tests, and
# a function's first call cold-starts its execution environment, so a page waiting on the API gets more time.
expect.set_options(timeout=10_000)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.browser)


# ------------------------------------------------------------------ the browser
@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    if not Path(CHROMIUM).exists():
        pytest.fail(
            "the browser tests need Chromium: `make browser-setup` installs the apt package "
            "'chromium' (or: sudo apt-get install -y chromium)",
            pytrace=False,
        )
    # The machine has no network: no background connections, no QUIC probes.
    args = ["--disable-background-networking", "--disable-component-update", "--disable-quic"]
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": args}


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as running:
        yield running


@pytest.fixture(scope="module")
def browser_type(playwright: Playwright) -> BrowserType:
    return playwright.chromium  # Debian's chromium is the only browser here


@pytest.fixture(scope="module")
def browser(browser_type: BrowserType, browser_type_launch_args: dict) -> Iterator[Browser]:
    launched = browser_type.launch(**browser_type_launch_args)
    yield launched
    launched.close()


@pytest.fixture(scope="module")
def browser_context_args() -> dict:
    return {"viewport": {"width": 1280, "height": 900}}


# ------------------------------------------------------------------ the stack
@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    if shutil.which("java") is None:
        pytest.skip("DynamoDB Local needs Java")
    with LocalStack(free_ports=True, in_memory=True) as running:
        yield running


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


# ------------------------------------------------------------------ what the page must not do
@dataclass
class PageWatch:
    """Collects what a page must never do: console errors, uncaught errors, requests to other origins."""

    allowed_origins: set[str]
    problems: list[str] = field(default_factory=list)
    expected_refusals: list[tuple[int, str]] = field(default_factory=list)

    def expect_refusal(self, status: int, path: str) -> None:
        """Chromium logs every 4xx answer as a console error; a refusal the test provokes on purpose
        (`status` from a URL containing `path`) is not one."""
        self.expected_refusals.append((status, path))

    def attach(self, page: Page) -> None:
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        page.on("request", self._request)

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            where = message.location.get("url", "")
            if any(f"status of {status} " in message.text and path in where for status, path in self.expected_refusals):
                return
            self.problems.append(f"console error: {message.text}" + (f" ({where})" if where else ""))

    def _request(self, request: Request) -> None:
        if urlsplit(request.url).scheme in LOCAL_SCHEMES:
            return
        if origin(request.url) not in self.allowed_origins:
            self.problems.append(f"request to another origin: {request.method} {request.url}")

    def assert_clean(self) -> None:
        if self.problems:
            pytest.fail("the page misbehaved:\n  " + "\n  ".join(self.problems), pytrace=False)


@pytest.fixture
def page_watch(stack: LocalStack) -> PageWatch:
    sandboxes = [stack.endpoints[name] for name in ("crm", "inventory") if name in stack.endpoints]
    return PageWatch({origin(stack.api_url), *(origin(url) for url in sandboxes)})


@pytest.fixture
def page(page: Page, page_watch: PageWatch) -> Page:
    """pytest-playwright's page, watched from its first request."""
    page_watch.attach(page)
    return page


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    """A test that passed still fails if its page misbehaved, also after its last assertion."""
    result = yield
    funcargs = getattr(item, "funcargs", {})
    watch, page = funcargs.get("page_watch"), funcargs.get("page")
    if watch is not None:
        if page is not None and not page.is_closed():
            page.wait_for_timeout(100)  # events of the last action still on their way
        watch.assert_clean()
    return result


# ------------------------------------------------------------------ screenshots
def save_screenshot(page: Page, name: str) -> Path:
    """The page as a PNG in .local/screenshots/ (git-ignored), to look at after a run."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=path, full_page=True)
    return path


@pytest.fixture
def shot() -> Callable[[Page, str], Path]:
    """`shot(page, name)`: see `save_screenshot`."""
    return save_screenshot
