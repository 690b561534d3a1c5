"""Helpers for the browser tests: Debian's chromium driven by Playwright."""

import os
import shutil

import pytest

CHROMIUM = os.environ.get("KCR_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
HAVE_CHROMIUM = os.path.exists(CHROMIUM)
# `make test` skips browser tests without chromium; .ci/run sets
# KCR_REQUIRE_BROWSER=1 so that a missing browser fails instead.
requires_browser = pytest.mark.skipif(
    not HAVE_CHROMIUM and not os.environ.get("KCR_REQUIRE_BROWSER"),
    reason="chromium is not installed (apt-get install chromium) so browser tests are skipped",
)
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def axe_violations(page):
    """Run axe-core in the page; return its WCAG 2.1 A/AA violations."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
    return [
        {"id": violation["id"], "nodes": [node["target"] for node in violation["nodes"]]}
        for violation in results.response["violations"]
    ]


def has_horizontal_overflow(page) -> bool:
    return page.evaluate(
        "() => document.documentElement.scrollWidth > document.documentElement.clientWidth"
    )
