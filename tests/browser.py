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


# axe-core's own advice beyond WCAG: landmarks, heading order, one h1...
BEST_PRACTICE_TAGS = ["best-practice"]
AXE_RULES = WCAG_TAGS + BEST_PRACTICE_TAGS
# The two sizes the accessibility checks of each page run at.
VIEWPORTS = {"phone-320": {"width": 320, "height": 640}, "desktop": {"width": 1280, "height": 900}}


def focused(page, expression: str):
    """``document.activeElement.<expression>`` in ``page``."""
    return page.evaluate(f"document.activeElement.{expression}")


def tab_until(page, expression: str, value, limit: int = 120):
    """Press Tab until the focused element's ``expression`` equals ``value``."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if focused(page, expression) == value:
            return
    raise AssertionError(f"Tab never reached an element whose {expression} is {value!r}")


def tab_to(page, text: str, limit: int = 120):
    """Press Tab until the focused element reads ``text``."""
    tab_until(page, "textContent.trim()", text, limit)


def axe_violations(page, tags=WCAG_TAGS):
    """Run axe-core in the page; return its violations of the rules with
    these tags (by default WCAG 2.1 A and AA)."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": tags}})
    return [
        {"id": violation["id"], "nodes": [node["target"] for node in violation["nodes"]]}
        for violation in results.response["violations"]
    ]


def has_horizontal_overflow(page) -> bool:
    return page.evaluate(
        "() => document.documentElement.scrollWidth > document.documentElement.clientWidth"
    )


def load_demo():
    """The demo pages, as `manage.py loaddemo` makes them, plus a second
    revision of Interleukin-2 so that its history has two rows to compare."""
    from django.core.management import call_command

    from wiki import search
    from wiki.models import Page
    from wiki.services import save_page

    call_command("loaddemo", verbosity=0)
    # A live-server test's database is emptied by DELETE between tests, which
    # leaves SQLite's FTS5 table (no model of Django's) full of old rows whose
    # ids no longer exist: index these pages afresh, and only these.
    search.rebuild()
    page = Page.objects.get(title="Interleukin-2")
    save_page(
        page.title,
        page.body + "\nAsk your medical team whether you are fit enough to receive it.\n",
        summary="Add a closing note",
        base_revision_id=page.current_revision_id,
    )


def log_in(page, base_url: str, username: str, password: str):
    """Log in through the login form, as a person would."""
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
