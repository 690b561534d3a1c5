"""A reader in a real browser: searches, lands through a redirect, follows a
cross-link, votes (by mouse and by keyboard alone) and opens the PDF copy.
Every flow also asserts that the page logged no error (a CSP violation is
one)."""

import pytest

from tests.browser import load_demo, requires_browser
from wiki.models import Vote

pytestmark = [requires_browser, pytest.mark.browser, pytest.mark.usefixtures("plain_static")]


@pytest.fixture
def demo(transactional_db):
    load_demo()


def focused(page, expression: str):
    return page.evaluate(f"document.activeElement.{expression}")


def tab_to(page, text: str, limit: int = 80):
    """Press Tab until the focused element reads ``text``, as a keyboard
    user would; fails if it never gets there."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if focused(page, "textContent.trim()") == text:
            return
    raise AssertionError(f"Tab never reached {text!r}")


def test_reader_searches_from_the_header_box(page, live_server, demo, console_errors):
    page.goto(f"{live_server.url}/")
    page.get_by_label("Search the wiki").fill("interleukin")
    page.get_by_label("Search the wiki").press("Enter")
    page.wait_for_url("**/search/?q=interleukin")
    results = page.locator(".search-result-title")
    assert "Interleukin-2" in results.all_inner_texts()
    page.get_by_role("link", name="Interleukin-2", exact=True).click()
    page.wait_for_url("**/wiki/Interleukin-2/")
    assert page.locator("h1").inner_text() == "Interleukin-2"
    assert console_errors == []


def test_reader_searches_by_keyboard_alone(page, live_server, demo, console_errors):
    page.goto(f"{live_server.url}/wiki/Interleukin-2/")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert focused(page, "textContent") == "search"
    page.keyboard.press("Enter")
    assert focused(page, "id") == "search-input"
    page.keyboard.type("high dose")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search/?q=high+dose")
    tab_to(page, "High Dose Interleukin-2")
    page.keyboard.press("Enter")
    page.wait_for_url("**/wiki/High_Dose_Interleukin-2/")
    assert page.locator("h1").inner_text() == "High Dose Interleukin-2"
    assert console_errors == []


def test_reader_lands_through_a_redirect_and_follows_a_cross_link(
    page, live_server, demo, console_errors
):
    page.goto(f"{live_server.url}/")
    page.get_by_label("Search the wiki").fill("Proleukin")
    page.keyboard.press("Enter")
    page.wait_for_url("**/wiki/Proleukin/")
    assert page.locator("h1").inner_text() == "Interleukin-2"
    assert page.locator(".redirected-from").inner_text() == "(Redirected from Proleukin)"
    canonical = page.locator("link[rel=canonical]").get_attribute("href")
    assert canonical == f"{live_server.url}/wiki/Interleukin-2/"
    related = page.get_by_role("complementary", name="Related pages and notes")
    related.get_by_role("link", name="IL-21").click()
    page.wait_for_url("**/wiki/IL-21/")
    assert page.locator("h1").inner_text() == "IL-21"
    assert console_errors == []


def vote_count_text(page) -> str:
    return page.locator(".vote-count").inner_text()


def test_reader_votes_by_mouse_and_the_count_changes_without_a_reload(
    page, live_server, demo, console_errors
):
    page.goto(f"{live_server.url}/wiki/Interleukin-2/")
    assert vote_count_text(page) == "(0 votes)"
    # A mark on the window: a reload would wipe it.
    page.evaluate("window.kcrNotReloaded = true")
    page.get_by_role("button", name="Yes", exact=True).click()
    status = page.locator("[data-vote-status]")
    status.filter(has_text="Thank you").wait_for()
    assert vote_count_text(page) == "(1 vote)"
    assert page.evaluate("window.kcrNotReloaded") is True
    assert page.url == f"{live_server.url}/wiki/Interleukin-2/"
    assert list(Vote.objects.values_list("page__title", "is_useful")) == [("Interleukin-2", True)]
    assert console_errors == []


def test_reader_votes_by_keyboard_alone(page, live_server, demo, console_errors):
    page.goto(f"{live_server.url}/wiki/Interleukin-2/")
    page.evaluate("window.kcrNotReloaded = true")
    tab_to(page, "No")
    assert focused(page, "closest('form').className") == "vote-form"
    page.keyboard.press("Enter")
    page.locator("[data-vote-status]").filter(has_text="Thank you").wait_for()
    assert vote_count_text(page) == "(1 vote)"
    assert page.evaluate("window.kcrNotReloaded") is True
    assert list(Vote.objects.values_list("is_useful", flat=True)) == [False]
    assert console_errors == []


def test_reader_votes_without_javascript(browser, live_server, demo):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server.url}/wiki/Interleukin-2/")
    page.get_by_role("button", name="Yes", exact=True).click()
    page.wait_for_url("**/wiki/Interleukin-2/#vote")
    assert "Thank you for your answer" in page.locator(".messages").inner_text()
    assert vote_count_text(page) == "(1 vote)"
    context.close()


def test_reader_opens_the_pdf_link(page, live_server, demo, console_errors):
    page.goto(f"{live_server.url}/wiki/Interleukin-2/")
    link = page.get_by_role("link", name="Convert this page to PDF")
    with page.expect_response(lambda response: response.url.endswith("/pdf/")) as answer:
        link.click()
    assert answer.value.status == 200
    assert answer.value.headers["content-type"] == "application/pdf"
    # Chromium shows it in its PDF viewer (whose page replaces the body the
    # browser reports); the same address fetched in the page's context:
    assert page.request.get(answer.value.url).body().startswith(b"%PDF-")
    assert console_errors == []
