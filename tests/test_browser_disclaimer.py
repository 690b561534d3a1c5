"""The disclaimer in a real browser: axe-core finds nothing on the current
and an earlier version, on a 320 px phone and on a desktop, and the notice
"General information, not medical advice" is on the first screen of a page
on a phone."""

import pytest
from playwright.sync_api import expect

from tests.browser import AXE_RULES, VIEWPORTS, axe_violations, load_demo, requires_browser
from wiki.disclaimers import add_disclaimer_version

pytestmark = [requires_browser, pytest.mark.browser, pytest.mark.usefixtures("plain_static")]


@pytest.fixture
def demo(transactional_db):
    """The demo pages, and a second disclaimer version so that version 1 is
    an earlier one."""
    load_demo()
    add_disclaimer_version("A second wording.\nWith a second paragraph.", "A second short form.")


@pytest.mark.parametrize("viewport_name", VIEWPORTS)
def test_disclaimer_pages_have_no_axe_violations(browser, live_server, demo, viewport_name):
    context = browser.new_context(viewport=VIEWPORTS[viewport_name])
    page = context.new_page()
    found = {}
    for path in ["/disclaimer/", "/disclaimer/1/"]:
        page.goto(f"{live_server.url}{path}")
        found[path] = axe_violations(page, AXE_RULES)
    context.close()
    assert found == {"/disclaimer/": [], "/disclaimer/1/": []}


@pytest.mark.parametrize("path", ["/wiki/Interleukin-2/", "/wiki/Proleukin/"])
def test_notice_is_on_the_first_screen_of_a_phone(browser, live_server, demo, path):
    viewport = VIEWPORTS["phone-320"]
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    page.goto(f"{live_server.url}{path}")
    notice = page.get_by_role("link", name="General information, not medical advice")
    expect(notice).to_be_visible()
    box = notice.bounding_box()
    body_top = page.locator(".page-body").bounding_box()["y"]
    context.close()
    assert box["y"] + box["height"] <= viewport["height"]
    assert box["y"] < body_top


def test_notice_leads_to_the_current_disclaimer(page, live_server, demo):
    page.goto(f"{live_server.url}/wiki/Interleukin-2/")
    page.get_by_role("link", name="General information, not medical advice").click()
    page.wait_for_load_state()
    assert page.url == f"{live_server.url}/disclaimer/"
    assert page.get_by_role("heading", level=1).inner_text() == "Medical disclaimer"
    expect(page.get_by_text("A second wording.").first).to_be_visible()
