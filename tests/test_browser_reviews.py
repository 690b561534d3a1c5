"""Clinical reviews in a real browser: a moderator records a review by
keyboard alone; axe-core finds nothing on the review pages and on a page
overdue for review, on a 320 px phone and on a desktop."""

import pytest

from tests.browser import (
    AXE_RULES,
    VIEWPORTS,
    axe_violations,
    has_horizontal_overflow,
    load_demo,
    log_in,
    requires_browser,
    tab_until,
)
from tests.conftest import PASSWORD
from wiki.models import Page, PageReview

pytestmark = [requires_browser, pytest.mark.browser, pytest.mark.usefixtures("plain_static")]


@pytest.fixture
def demo(transactional_db):
    load_demo()


def test_moderator_records_a_review_by_keyboard_alone(
    page, live_server, demo, moderator, console_errors
):
    log_in(page, live_server.url, "moderator", PASSWORD)
    page.goto(f"{live_server.url}/wiki/Sorafenib/review/")
    tab_until(page, "id", "id_reviewer")
    page.keyboard.type("Dr K. Osei, consultant urologist")
    tab_until(page, "id", "id_note")
    page.keyboard.type("Checked the side effects list.")
    # Enter in a text field submits its form, as a keyboard user would.
    tab_until(page, "id", "id_reviewer")
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    assert "The review is recorded" in page.locator(".messages").inner_text()
    review = PageReview.objects.filter(page=Page.objects.get(title="Sorafenib")).newest_first()
    assert review.first().reviewer == "Dr K. Osei, consultant urologist"
    assert review.first().note == "Checked the side effects list."
    page.goto(f"{live_server.url}/wiki/Sorafenib/")
    assert "by Dr K. Osei, consultant urologist" in page.locator("#page-review").inner_text()
    assert console_errors == []


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_page_overdue_for_review_has_no_axe_violations(page, live_server, demo, viewport):
    page.set_viewport_size(VIEWPORTS[viewport])
    page.goto(f"{live_server.url}/wiki/Sunitinib/")
    assert "overdue for review" in page.locator("#page-review").inner_text()
    assert axe_violations(page, AXE_RULES) == []
    assert not has_horizontal_overflow(page)


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_review_pages_have_no_axe_violations(page, live_server, demo, moderator, viewport):
    page.set_viewport_size(VIEWPORTS[viewport])
    log_in(page, live_server.url, "moderator", PASSWORD)
    found = {}
    for path in [
        "/wiki/Temsirolimus/review/",
        "/maintenance/reviews/",
        "/maintenance/reviews/?state=overdue&sort=-title",
        "/wiki/Temsirolimus/",
        "/wiki/Proleukin/review/",
    ]:
        page.goto(f"{live_server.url}{path}")
        found[path] = (axe_violations(page, AXE_RULES), has_horizontal_overflow(page))
    page.goto(f"{live_server.url}/wiki/Temsirolimus/review/")
    page.get_by_label("Reviewer").fill("Dr Y")
    page.get_by_label("Date of review").fill("2999-01-01")
    page.get_by_role("button", name="Record review").click()
    found["errors"] = (axe_violations(page, AXE_RULES), has_horizontal_overflow(page))
    assert {path: result for path, result in found.items() if result != ([], False)} == {}
