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
from wiki.models import Page, RevisionInfo

pytestmark = [requires_browser, pytest.mark.browser, pytest.mark.usefixtures("plain_static")]


@pytest.fixture
def demo(transactional_db):
    load_demo()
    return Page.objects.get(title="Interleukin-2")


# WCAG 2.1 A and AA, plus axe's best practice (landmarks, heading order, one h1).
AXE_RULES = WCAG_TAGS + BEST_PRACTICE_TAGS


def revision_ids(page):
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
def test_reader_pages_have_no_axe_violations(page, live_server, demo, path):
    page.goto(f"{live_server.url}{path}")
    assert axe_violations(page, AXE_RULES) == []


def test_old_revision_and_diff_have_no_axe_violations(page, live_server, demo):
    first, second = revision_ids(demo)
    for path in [
        f"/wiki/Interleukin-2/revisions/{first}/",
        f"/wiki/Interleukin-2/diff/{first}/{second}/",
    ]:
        page.goto(f"{live_server.url}{path}")
        assert (path, axe_violations(page, AXE_RULES)) == (path, [])


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


def test_moderator_pages_have_no_axe_violations(page, live_server, demo, moderator):
    log_in(page, live_server.url, "moderator", PASSWORD)
    found = {}
    for path in MODERATOR_PATHS:
        page.goto(f"{live_server.url}{path}")
        found[path] = axe_violations(page, AXE_RULES)
    first, _second = revision_ids(demo)
    page.goto(f"{live_server.url}/wiki/Interleukin-2/revert/{first}/")
    found["revert"] = axe_violations(page, AXE_RULES)
    page.goto(f"{live_server.url}/wiki/Interleukin-2/edit/")
    page.get_by_role("button", name="Show preview").click()
    found["preview"] = axe_violations(page, AXE_RULES)
    page.get_by_role("button", name="Show changes").click()
    found["changes"] = axe_violations(page, AXE_RULES)
    assert {path: violations for path, violations in found.items() if violations} == {}


# Browser zoom divides the layout width by the zoom factor and multiplies the
# device pixels per CSS pixel by it, so 200% zoom is faithfully a viewport of
# half the window's width with device_scale_factor 2 (media queries, rem and
# wrapping all see what they would see zoomed). 320 CSS px is WCAG's reflow
# width (1280 px at 400%) and a small phone.
VIEWPORTS = {
    "phone-320": ({"width": 320, "height": 640}, 1),
    "zoom-200-of-1280": ({"width": 640, "height": 400}, 2),
    "zoom-200-of-640": ({"width": 320, "height": 400}, 2),
}
LAYOUT_PATHS = {
    "page": "/wiki/Interleukin-2/",
    "redirect": "/wiki/Proleukin/",
    "history": "/wiki/Interleukin-2/history/",
    "search": "/search/?q=interleukin",
    "year-index": "/articles/2009/",
    "articles": "/articles/",
    "login": "/accounts/login/",
    "not-found": "/wiki/No_Such_Page/",
    "recent-changes": "/recent-changes/",
    "all-pages": "/pages/",
}
MODERATOR_LAYOUT_PATHS = {
    "moderator-history": "/wiki/Interleukin-2/history/",
    "edit": "/wiki/Interleukin-2/edit/",
    "page-info": "/wiki/Interleukin-2/info/",
}


def overflowing_pages(page, base_url, paths, viewport_name):
    """Names of the pages that scroll sideways; full-page screenshots of
    each go to test-results/layout/ to look at."""
    overflowing = []
    for name, path in paths.items():
        page.goto(f"{base_url}{path}")
        page.screenshot(path=f"test-results/layout/{viewport_name}-{name}.png", full_page=True)
        if has_horizontal_overflow(page):
            overflowing.append(name)
    return overflowing


@pytest.mark.parametrize("viewport_name", VIEWPORTS)
def test_no_page_scrolls_sideways_on_a_phone_or_zoomed(browser, live_server, demo, viewport_name):
    viewport, scale = VIEWPORTS[viewport_name]
    context = browser.new_context(viewport=viewport, device_scale_factor=scale)
    page = context.new_page()
    first, second = revision_ids(demo)
    paths = {**LAYOUT_PATHS, "diff": f"/wiki/Interleukin-2/diff/{first}/{second}/"}
    overflowing = overflowing_pages(page, live_server.url, paths, viewport_name)
    context.close()
    assert overflowing == []


@pytest.mark.parametrize("viewport_name", VIEWPORTS)
def test_no_moderator_page_scrolls_sideways_on_a_phone_or_zoomed(
    browser, live_server, demo, moderator, viewport_name
):
    viewport, scale = VIEWPORTS[viewport_name]
    context = browser.new_context(viewport=viewport, device_scale_factor=scale)
    page = context.new_page()
    log_in(page, live_server.url, "moderator", PASSWORD)
    first, _second = revision_ids(demo)
    paths = {**MODERATOR_LAYOUT_PATHS, "revert": f"/wiki/Interleukin-2/revert/{first}/"}
    overflowing = overflowing_pages(page, live_server.url, paths, viewport_name)
    context.close()
    assert overflowing == []


def test_every_control_reached_by_tab_shows_a_visible_focus_ring(page, live_server, demo):
    """Walk the whole reading page by Tab: each focused link, button and box
    draws a solid outline at least 2 px wide (WCAG 2.4.7)."""
    page.goto(f"{live_server.url}/wiki/Interleukin-2/")
    seen = []
    for _ in range(60):
        page.keyboard.press("Tab")
        focus = page.evaluate(
            """() => {
                const element = document.activeElement;
                const style = getComputedStyle(element);
                return {
                    name: element.tagName + ' ' + (element.textContent || element.id).trim(),
                    outline: style.outlineStyle,
                    width: parseFloat(style.outlineWidth),
                };
            }"""
        )
        if focus["name"].startswith("BODY") or focus["name"] in [name for name, _, _ in seen[:1]]:
            break
        seen.append((focus["name"], focus["outline"], focus["width"]))
    names = [name for name, _, _ in seen]
    assert "INPUT search-input" in names
    assert "BUTTON Yes" in names
    assert [entry for entry in seen if entry[1] != "solid" or entry[2] < 2] == []
