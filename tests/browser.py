"""Headless Chromium helpers for browser tests (Debian's /usr/bin/chromium driven by Playwright).

Tests using them are marked ``@pytest.mark.browser`` and skip, with the reason,
when the browser is absent (``.ci/run`` installs it).

>>> with chromium_page() as page:                      # doctest: +SKIP
...     report = load_and_check(page, Path("define.html"))
"""
from __future__ import annotations

import contextlib
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def skip_without_chromium() -> None:
    """Skip the calling test when Debian's chromium or Playwright is missing.

    In CI (``CI`` set) a missing browser is a failure: ``.ci/run`` installs it,
    so a skip there would hide a broken install step.
    """
    if os.environ.get("CI") and not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing in CI: .ci/run should have installed it")
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install -y chromium; .ci/run installs it)")
    if shutil.which(str(CHROMIUM)) is None:
        pytest.skip(f"{CHROMIUM} is not executable")
    pytest.importorskip("playwright.sync_api", reason="playwright is not installed in the venv")


@contextlib.contextmanager
def chromium_browser() -> Iterator["object"]:
    """A headless Chromium (Playwright Browser), closed afterwards; share it across a module's tests."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@contextlib.contextmanager
def new_page(browser) -> Iterator["object"]:
    """A fresh page in its own context (no shared state between tests)."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        yield context.new_page()
    finally:
        context.close()


@contextlib.contextmanager
def chromium_page() -> Iterator["object"]:
    """A fresh page of a headless Chromium that is closed afterwards (one-off use)."""
    with chromium_browser() as browser, new_page(browser) as page:
        yield page


@dataclass
class PageCheck:
    """What a loaded page reported: console errors, uncaught page errors, failed requests, broken anchors."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    external_requests: list[str] = field(default_factory=list)
    broken_links: list[str] = field(default_factory=list)
    internal_links: int = 0
    title: str = ""


# Every a[href^="#"] must name an element id in the page.
_BROKEN_LINKS_JS = """
() => {
  const links = Array.from(document.querySelectorAll('a[href^="#"]'));
  const broken = links.map(a => a.getAttribute('href'))
    .filter(h => !document.getElementById(decodeURIComponent(h.slice(1))));
  return [links.length, broken];
}
"""


def load_and_check(page, html_file: Path) -> PageCheck:
    """Open ``html_file`` and collect errors and internal links that have no target."""
    check = PageCheck()
    page.on("console", lambda msg: check.console_errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: check.page_errors.append(str(exc)))
    page.on("requestfailed", lambda req: check.failed_requests.append(req.url))

    def on_request(req) -> None:
        if not req.url.startswith("file://"):
            check.external_requests.append(req.url)

    page.on("request", on_request)
    page.goto(html_file.resolve().as_uri(), wait_until="load")
    count, broken = page.evaluate(_BROKEN_LINKS_JS)
    check.internal_links = count
    check.broken_links = broken
    check.title = page.title()
    return check
