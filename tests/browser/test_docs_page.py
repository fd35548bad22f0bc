"""The API's Swagger UI (`<api>/docs` on the local stack) in a real browser: it renders the operations
from our own files alone: no console error, no request to another origin (the `page` fixture)."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from local.stack import LocalStack


def test_swagger_ui_renders_the_operations_offline(page: Page, stack: LocalStack, shot):
    page.goto(f"{stack.api_url}/docs")

    summary = page.locator(".opblock-summary-description", has_text="List the tenant's integrations")
    expect(summary).to_be_visible()
    expect(page.locator(".opblock-summary-path", has_text="/integrations/{integration_id}").first).to_be_visible()
    shot(page, "docs-swagger-ui")
