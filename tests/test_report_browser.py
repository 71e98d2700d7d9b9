"""The HTML report opens in headless Chromium: no errors, every figure loads, every internal link resolves."""
from __future__ import annotations

import pytest

import adam_fixture
from browser import chromium_page, load_and_check, skip_without_chromium
from cdisc_msc.config import load_config
from cdisc_msc.report import write_report

IMAGES_JS = """
() => Array.from(document.images).map(img => [img.alt, img.complete, img.naturalWidth])
"""


@pytest.mark.browser
def test_report_opens_without_errors_and_figures_load(tmp_path):
    skip_without_chromium()
    adam = adam_fixture.write_adam(tmp_path / "adam")
    html = write_report(adam, tmp_path / "report", load_config("specs/study.yaml"))
    with chromium_page() as page:
        check = load_and_check(page, html)
        images = page.evaluate(IMAGES_JS)
        toc_targets = page.evaluate("() => document.querySelectorAll('nav#toc a').length")
    assert check.console_errors == [] and check.page_errors == [] and check.failed_requests == []
    assert [u for u in check.external_requests if not u.startswith("data:")] == []
    assert check.broken_links == [] and check.internal_links >= toc_targets > 10
    assert check.title == "MSC-SLE outcome results"
    assert len(images) >= 3
    assert [alt for alt, complete, width in images if not complete or width <= 0] == []
