"""The glossary in a real browser: a term's popover opened by mouse, keyboard
and touch, a plain link to the glossary without JavaScript, and axe-core
clean on /glossary/ and on a page with terms, on a 320 px phone and a
desktop. Saves test-results/glossary-popover.png."""

import os

import pytest
from playwright.sync_api import expect

from tests.browser import (
    AXE_RULES,
    VIEWPORTS,
    axe_violations,
    has_horizontal_overflow,
    load_demo,
    log_in,
    requires_browser,
)
from tests.conftest import PASSWORD

pytestmark = [requires_browser, pytest.mark.browser, pytest.mark.usefixtures("plain_static")]

PAGE = "/wiki/Temsirolimus/"
MTOR = "a.glossary-term[href='/glossary/#mtor']"
POPOVER = "#glossary-popover"


@pytest.fixture
def demo(transactional_db):
    load_demo()


def test_popover_opens_on_mouse_hover_and_click(page, live_server, demo, console_errors):
    page.goto(f"{live_server.url}{PAGE}")
    term = page.locator(MTOR)
    popover = page.locator(POPOVER)
    term.hover()
    popover.wait_for(state="visible")
    assert "switch for growth" in popover.inner_text()
    page.mouse.move(0, 0)
    popover.wait_for(state="hidden")
    term.click()
    popover.wait_for(state="visible")
    assert page.url == f"{live_server.url}{PAGE}"  # the click did not leave the page
    assert term.get_attribute("aria-expanded") == "true"
    page.mouse.move(0, 0)
    page.wait_for_timeout(500)
    expect(popover).to_be_visible()  # opened by a click: it stays until closed
    page.locator("h1").click()
    popover.wait_for(state="hidden")
    assert console_errors == []


def test_popover_opens_by_keyboard_and_escape_closes_it(page, live_server, demo):
    page.goto(f"{live_server.url}{PAGE}")
    term = page.locator(MTOR)
    term.focus()
    page.keyboard.press("Enter")
    popover = page.locator(POPOVER)
    popover.wait_for(state="visible")
    assert term.get_attribute("aria-expanded") == "true"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "glossary-popover-more"
    page.keyboard.press("Escape")
    popover.wait_for(state="hidden")
    assert page.evaluate("document.activeElement.getAttribute('href')") == "/glossary/#mtor"
    page.keyboard.press(" ")
    popover.wait_for(state="visible")
    page.keyboard.press("Escape")
    popover.wait_for(state="hidden")


def test_popover_opens_on_a_tap_and_fits_a_phone(browser, live_server, demo):
    context = browser.new_context(viewport=VIEWPORTS["phone-320"], has_touch=True, is_mobile=True)
    page = context.new_page()
    page.goto(f"{live_server.url}{PAGE}")
    term = page.locator(MTOR)
    term.scroll_into_view_if_needed()
    term.tap()
    popover = page.locator(POPOVER)
    popover.wait_for(state="visible")
    box = popover.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 320
    assert not has_horizontal_overflow(page)
    os.makedirs("test-results", exist_ok=True)
    page.screenshot(path="test-results/glossary-popover.png")
    term.tap()  # a second tap closes it
    popover.wait_for(state="hidden")
    context.close()


def test_screen_readers_hear_the_definition(page, live_server, demo):
    page.goto(f"{live_server.url}{PAGE}")
    description = page.evaluate(
        """() => {
            const term = document.querySelector("a.glossary-term[href='/glossary/#mtor']");
            return document.getElementById(term.getAttribute("aria-describedby")).textContent;
        }"""
    )
    assert "switch for growth" in description
    snapshot = page.locator(MTOR).evaluate("node => node.getAttribute('aria-describedby')")
    assert snapshot == "glossary-definition-mtor"


def test_every_link_the_script_adds_leads_somewhere(page, live_server, demo):
    # A link without an href is not crawlable (Lighthouse's crawlable-anchors).
    page.goto(f"{live_server.url}{PAGE}")
    page.locator("#glossary-popover").wait_for(state="attached")
    assert page.evaluate("() => document.querySelectorAll('a:not([href])').length") == 0
    assert page.locator(".glossary-popover-more").get_attribute("href") == "/glossary/"


def test_without_javascript_a_term_leads_to_its_glossary_entry(browser, live_server, demo):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server.url}{PAGE}")
    page.locator(MTOR).click()
    page.wait_for_url(f"{live_server.url}/glossary/#mtor")
    assert page.locator("dt#mtor").inner_text() == "mTOR"
    context.close()


@pytest.mark.parametrize("viewport_name", VIEWPORTS)
def test_glossary_and_a_page_with_terms_have_no_axe_violations(
    browser, live_server, demo, viewport_name
):
    context = browser.new_context(viewport=VIEWPORTS[viewport_name])
    page = context.new_page()
    found = {}
    for path in ["/glossary/", PAGE, "/wiki/Interleukin-2/"]:
        page.goto(f"{live_server.url}{path}")
        found[path] = axe_violations(page, AXE_RULES)
        assert not has_horizontal_overflow(page), path
    page.goto(f"{live_server.url}{PAGE}")
    page.locator(MTOR).click()
    page.locator(POPOVER).wait_for(state="visible")
    found["open popover"] = axe_violations(page, AXE_RULES)
    context.close()
    assert found == {"/glossary/": [], PAGE: [], "/wiki/Interleukin-2/": [], "open popover": []}


def test_moderator_glossary_pages_have_no_axe_violations(page, live_server, demo, make_user):
    make_user("moderator", moderator=True)
    log_in(page, live_server.url, "moderator", PASSWORD)
    found = {}
    for path in ["/glossary/", "/glossary/new/", "/glossary/mtor/edit/", "/glossary/mtor/history/"]:
        page.goto(f"{live_server.url}{path}")
        found[path] = axe_violations(page, AXE_RULES)
    assert all(violations == [] for violations in found.values()), found
