"""A real browser (Debian's chromium through Playwright) against the app served over HTTP.
Skipped when chromium is missing, unless REQUIRE_BROWSER is set (CI sets it)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest

from simulator.server import serve_in_thread

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not os.path.exists(CHROMIUM):
        if os.environ.get("REQUIRE_BROWSER"):
            pytest.fail("chromium is required (apt-get install -y chromium)")
        pytest.skip("chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.fixture
def live_app(app) -> Iterator[str]:
    app.config["WTF_CSRF_ENABLED"] = True
    handle = serve_in_thread(app)
    yield handle.base_url
    handle.shutdown()


@pytest.fixture
def page(browser) -> Iterator[object]:
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()
