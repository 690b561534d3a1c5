"""Pages on a phone, in a real browser: nothing hidden or scrolling sideways
at 320 and 375 px, wide tables in a scrolling region reached by Tab and
labelled, the search box's placeholder in view, touch targets of 44 px, and
axe-core clean. Saves test-results/phone-page.png (Interleukin-2 at 375 px)."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser import (
    BEST_PRACTICE_TAGS,
    WCAG_TAGS,
    axe_violations,
    load_demo,
    log_in,
    requires_browser,
)
from tests.conftest import PASSWORD
from wiki.demo import ARTICLE_PAGES, PAGES
from wiki.models import Page, RevisionInfo
from wiki.titles import page_url

pytestmark = [requires_browser, pytest.mark.browser, pytest.mark.usefixtures("plain_static")]

PHONE_WIDTHS = [320, 375]
AXE_RULES = WCAG_TAGS + BEST_PRACTICE_TAGS
DEMO_URLS = [page_url(title) for title, _ in PAGES + ARTICLE_PAGES]
SCREENSHOT = Path("test-results/phone-page.png")
# Everything a reader taps that is not a link inside running text (WCAG
# 2.5.5's inline exception): header, skip links, menus, page tools, votes.
TOUCH_TARGETS = ", ".join(
    [
        ".skip-links a",
        ".site-header a",
        ".site-header input",
        ".site-header button",
        ".sidebar a",
        ".sidebar button",
        ".vote-box button",
        ".crosslinks-related a",
        ".report-problem a",
        ".disclaimer-version a",
        ".disclaimer-notice a",
    ]
)
MIN_TARGET = 44


@pytest.fixture
def demo(transactional_db):
    load_demo()
    return Page.objects.get(title="Interleukin-2")


def phone(browser, width, **options):
    context = browser.new_context(viewport={"width": width, "height": 700}, **options)
    return context, context.new_page()


def scrolls_sideways(page) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth > window.innerWidth")


def revision_ids(page):
    return list(
        RevisionInfo.objects.filter(page_id=page.pk)
        .order_by("revision_id")
        .values_list("revision_id", flat=True)
    )


def small_targets(page) -> list[str]:
    """The visible touch targets smaller than 44 x 44 CSS px."""
    return page.evaluate(
        """([selector, minimum]) => Array.from(document.querySelectorAll(selector))
            .filter((element) => element.getClientRects().length > 0)
            .map((element) => [element, element.getBoundingClientRect()])
            .filter(([, box]) => box.width < minimum - 0.5 || box.height < minimum - 0.5)
            .map(([element, box]) => [element.tagName,
                (element.textContent || element.placeholder || '').trim(),
                Math.round(box.width), Math.round(box.height)])""",
        [TOUCH_TARGETS, MIN_TARGET],
    )


@pytest.mark.parametrize("width", PHONE_WIDTHS)
def test_no_demo_page_scrolls_sideways_on_a_phone(browser, live_server, demo, width):
    context, page = phone(browser, width)
    first, second = revision_ids(demo)
    urls = [
        "/",
        *DEMO_URLS,
        "/search/?q=interleukin",
        "/wiki/Interleukin-2/history/",
        f"/wiki/Interleukin-2/diff/{first}/{second}/",
    ]
    overflowing = []
    for url in urls:
        page.goto(f"{live_server.url}{url}")
        if scrolls_sideways(page):
            overflowing.append(url)
    context.close()
    assert overflowing == []


@pytest.mark.parametrize("width", PHONE_WIDTHS)
def test_edit_page_does_not_scroll_sideways_on_a_phone(
    browser, live_server, demo, moderator, width
):
    context, page = phone(browser, width)
    log_in(page, live_server.url, "moderator", PASSWORD)
    page.goto(f"{live_server.url}/wiki/Interleukin-2/edit/")
    assert not scrolls_sideways(page)
    page.get_by_role("button", name="Show preview").click()
    assert page.locator(".preview .table-scroll[role=region]").count() == 1
    assert not scrolls_sideways(page)
    context.close()


@pytest.mark.parametrize("width", PHONE_WIDTHS)
def test_wide_table_scrolls_inside_its_region_with_a_visible_hint(
    browser, live_server, demo, width
):
    context, page = phone(browser, width)
    page.goto(f"{live_server.url}/wiki/Interleukin-2/")
    region = page.locator(".page-body .table-scroll[role=region]")
    assert region.get_attribute("aria-label") == "Table: Cancer, scrolls sideways"
    sizes = region.evaluate("(element) => [element.scrollWidth, element.clientWidth]")
    assert sizes[0] > sizes[1]
    assert not scrolls_sideways(page)
    hint = page.locator(".table-scroll-hint")
    expect(hint).to_be_visible()
    assert hint.inner_text().startswith("Scroll sideways")
    # The table's last column is there to scroll to: hidden only until then.
    region.evaluate("(element) => { element.scrollLeft = element.scrollWidth; }")
    expect(
        page.get_by_role("columnheader", name="Median length of complete response")
    ).to_be_visible()
    context.close()


def test_table_hint_is_not_shown_where_the_table_fits(page, live_server, demo):
    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto(f"{live_server.url}/wiki/Blood_Tests/")
    assert page.locator(".page-body .table-scroll[role=region]").count() == 1
    page.goto(f"{live_server.url}/wiki/CT_Scan/")
    assert page.locator(".table-scroll-hint").count() == 0


def tab_to_region(page, limit=80) -> dict:
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            """() => ({role: document.activeElement.getAttribute('role'),
                       label: document.activeElement.getAttribute('aria-label'),
                       outline: getComputedStyle(document.activeElement).outlineStyle})"""
        )
        if focused["role"] == "region":
            return focused
    raise AssertionError("Tab never reached the table's region")


def scrolled_sideways(page, tries=50) -> bool:
    """Whether the focused element scrolls away from its left edge within a
    few seconds: keyboard scrolling is animated. Polled from here, since
    with JavaScript off the page runs no polling of its own."""
    for _ in range(tries):
        if page.evaluate("document.activeElement.scrollLeft") > 0:
            return True
        page.wait_for_timeout(100)
    return False


@pytest.mark.parametrize("javascript", [True, False], ids=["with-javascript", "without-javascript"])
def test_table_region_is_reached_by_tab_labelled_and_scrolled_by_keyboard(
    browser, live_server, demo, javascript
):
    context, page = phone(browser, 375, java_script_enabled=javascript)
    page.goto(f"{live_server.url}/wiki/Interleukin-2/")
    focused = tab_to_region(page)
    assert focused == {
        "role": "region",
        "label": "Table: Cancer, scrolls sideways",
        "outline": "solid",
    }
    page.keyboard.press("ArrowRight")
    page.keyboard.press("End")
    assert scrolled_sideways(page)
    assert page.locator(".table-scroll-hint").count() == (1 if javascript else 0)
    context.close()


@pytest.mark.parametrize("width", PHONE_WIDTHS)
def test_search_placeholder_is_visible_in_full(browser, live_server, demo, width):
    context, page = phone(browser, width)
    page.goto(f"{live_server.url}/wiki/Interleukin-2/")
    room, needed = page.evaluate(
        """() => {
            const input = document.getElementById('search-input');
            const style = getComputedStyle(input);
            const context = document.createElement('canvas').getContext('2d');
            context.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
            const padding = parseFloat(style.paddingLeft) + parseFloat(style.paddingRight);
            return [input.clientWidth - padding, context.measureText(input.placeholder).width];
        }"""
    )
    assert page.locator("#search-input").get_attribute("placeholder")
    assert needed <= room
    context.close()


@pytest.mark.parametrize("width", [*PHONE_WIDTHS, 1280])
def test_touch_targets_are_at_least_44px(browser, live_server, demo, width):
    context, page = phone(browser, width)
    page.goto(f"{live_server.url}/wiki/Interleukin-2/")
    assert small_targets(page) == []
    page.goto(f"{live_server.url}/")
    assert small_targets(page) == []
    context.close()


def test_touch_targets_are_at_least_44px_for_a_moderator(browser, live_server, demo, moderator):
    context, page = phone(browser, 375)
    log_in(page, live_server.url, "moderator", PASSWORD)
    page.goto(f"{live_server.url}/wiki/Interleukin-2/")
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    assert small_targets(page) == []
    context.close()


@pytest.mark.parametrize("width", [320, 1280])
def test_changed_pages_have_no_axe_violations(browser, live_server, demo, width):
    context, page = phone(browser, width)
    found = {}
    for url in ["/", *DEMO_URLS]:
        page.goto(f"{live_server.url}{url}")
        found[url] = axe_violations(page, AXE_RULES)
    context.close()
    assert {url: violations for url, violations in found.items() if violations} == {}


def test_screenshot_of_the_interleukin_2_page_on_a_phone(browser, live_server, demo):
    context, page = phone(browser, 375, device_scale_factor=2)
    page.goto(f"{live_server.url}/wiki/Interleukin-2/")
    SCREENSHOT.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)
    context.close()
    assert SCREENSHOT.stat().st_size > 10_000
