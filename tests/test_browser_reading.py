"""A reader in a real browser: redirects, skip links, accessibility, phones."""

import pytest

from tests.browser import axe_violations, has_horizontal_overflow, requires_browser
from wiki.demo import PAGES
from wiki.services import save_page

pytestmark = [requires_browser, pytest.mark.browser, pytest.mark.usefixtures("plain_static")]


@pytest.fixture
def demo(transactional_db):
    for title, body in PAGES:
        save_page(title, body, summary="Demo content")


def test_reader_lands_through_a_redirect(page, live_server, demo, console_errors):
    page.goto(f"{live_server.url}/wiki/Proleukin/")
    assert page.locator("h1").inner_text() == "Interleukin-2"
    note = page.locator(".redirected-from a")
    assert note.inner_text() == "Proleukin"
    note.click()
    assert page.url.endswith("/wiki/Proleukin/?redirect=no")
    assert console_errors == []


def test_reader_follows_a_wiki_link(page, live_server, demo):
    page.goto(f"{live_server.url}/wiki/Interleukin-2/")
    page.get_by_role("link", name="High Dose Interleukin-2").first.click()
    assert page.locator("h1").inner_text() == "High Dose Interleukin-2"


def test_skip_links_move_focus_by_keyboard(page, live_server, demo):
    page.goto(f"{live_server.url}/wiki/Interleukin-2/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "navigation"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "search"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "search-input"


def test_focus_is_visible(page, live_server, demo):
    page.goto(f"{live_server.url}/wiki/Interleukin-2/")
    page.keyboard.press("Tab")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"


@pytest.mark.parametrize(
    "path",
    ["/", "/wiki/Interleukin-2/", "/wiki/Proleukin/", "/wiki/No_Such_Page/", "/accounts/login/"],
)
def test_main_pages_have_no_wcag_violations(page, live_server, demo, path):
    page.goto(f"{live_server.url}{path}")
    assert axe_violations(page) == []


@pytest.mark.parametrize("path", ["/wiki/Interleukin-2/", "/wiki/No_Such_Page/"])
def test_no_horizontal_overflow_on_a_320px_phone(page, live_server, demo, path):
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto(f"{live_server.url}{path}")
    assert not has_horizontal_overflow(page)


def test_no_horizontal_overflow_at_200_percent_zoom(page, live_server, demo):
    # 200% zoom on a 640 px wide window lays out like a 320 CSS px viewport
    # with doubled device pixels.
    context = page.context.browser.new_context(
        viewport={"width": 320, "height": 480}, device_scale_factor=2
    )
    zoomed = context.new_page()
    zoomed.goto(f"{live_server.url}/wiki/Interleukin-2/")
    assert not has_horizontal_overflow(zoomed)
    context.close()
