"""Accessibility in a real browser: axe-core (WCAG 2.1 A and AA) on every
main page type, for readers and for moderators, and no sideways scrolling on
a 320 px phone or at 200% zoom."""

import pytest

from tests.browser import (
    BEST_PRACTICE_TAGS,
    WCAG_TAGS,
    axe_violations,
    has_horizontal_overflow,
    load_demo,
    log_in,
    requires_browser,
)
from tests.conftest import PASSWORD
from wiki.models import Page

pytestmark = [requires_browser, pytest.mark.browser, pytest.mark.usefixtures("plain_static")]


@pytest.fixture
def demo(transactional_db):
    load_demo()
    return Page.objects.get(title="Interleukin-2")


def revision_ids(page):
    from wiki.models import RevisionInfo

    return list(
        RevisionInfo.objects.filter(page_id=page.pk)
        .order_by("revision_id")
        .values_list("revision_id", flat=True)
    )


READER_PATHS = [
    "/",
    "/wiki/Interleukin-2/",
    "/wiki/Proleukin/",
    "/wiki/Proleukin/?redirect=no",
    "/wiki/Interleukin-2/history/",
    "/wiki/Interleukin-2/links/",
    "/search/?q=interleukin",
    "/search/?q=nothing+like+this",
    "/articles/",
    "/articles/2009/",
    "/accounts/login/",
    "/wiki/No_Such_Page/",
    "/no/such/address/",
    "/recent-changes/",
    "/pages/",
]


@pytest.mark.parametrize("path", READER_PATHS)
def test_reader_pages_have_no_wcag_violations(page, live_server, demo, path):
    page.goto(f"{live_server.url}{path}")
    assert axe_violations(page, WCAG_TAGS + BEST_PRACTICE_TAGS) == []


def test_old_revision_and_diff_have_no_wcag_violations(page, live_server, demo):
    first, second = revision_ids(demo)
    for path in [
        f"/wiki/Interleukin-2/revisions/{first}/",
        f"/wiki/Interleukin-2/diff/{first}/{second}/",
    ]:
        page.goto(f"{live_server.url}{path}")
        assert (path, axe_violations(page, WCAG_TAGS + BEST_PRACTICE_TAGS)) == (path, [])


MODERATOR_PATHS = [
    "/wiki/Interleukin-2/",
    "/wiki/Interleukin-2/edit/",
    "/wiki/New_Page/edit/",
    "/wiki/Interleukin-2/history/",
    "/wiki/Interleukin-2/move/",
    "/wiki/Interleukin-2/info/",
    "/maintenance/",
    "/contributions/moderator/",
]


def test_moderator_pages_have_no_wcag_violations(page, live_server, demo, moderator):
    log_in(page, live_server.url, "moderator", PASSWORD)
    found = {}
    for path in MODERATOR_PATHS:
        page.goto(f"{live_server.url}{path}")
        found[path] = axe_violations(page, WCAG_TAGS + BEST_PRACTICE_TAGS)
    first, _second = revision_ids(demo)
    page.goto(f"{live_server.url}/wiki/Interleukin-2/revert/{first}/")
    found["revert"] = axe_violations(page, WCAG_TAGS + BEST_PRACTICE_TAGS)
    page.goto(f"{live_server.url}/wiki/Interleukin-2/edit/")
    page.get_by_role("button", name="Show preview").click()
    found["preview"] = axe_violations(page, WCAG_TAGS + BEST_PRACTICE_TAGS)
    page.get_by_role("button", name="Show changes").click()
    found["changes"] = axe_violations(page, WCAG_TAGS + BEST_PRACTICE_TAGS)
    assert {path: violations for path, violations in found.items() if violations} == {}
