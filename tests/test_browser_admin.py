"""An admin in a real browser: logs in and reviews reader feedback, down to a
page's detail view with its SVG charts. The flow also asserts that the pages
logged no error (a CSP violation is one)."""

import pytest

from tests.browser import load_demo, requires_browser
from tests.conftest import PASSWORD
from wiki.models import Page
from wiki.services import record_vote

pytestmark = [requires_browser, pytest.mark.browser, pytest.mark.usefixtures("plain_static")]


@pytest.fixture
def demo(transactional_db, make_user):
    make_user("admin", superuser=True)
    load_demo()
    page = Page.objects.get(title="Interleukin-2")
    for number, is_useful in enumerate([True, True, False]):
        record_vote(page, is_useful, voter_key=f"reader-{number}")
    return page


def test_admin_logs_in_and_reviews_page_feedback(page, live_server, demo, console_errors):
    page.goto(f"{live_server.url}/admin/")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/admin/")

    page.get_by_role("link", name="Page feedback").first.click()
    page.wait_for_url("**/admin/wiki/pagefeedback/")
    page.locator("#result_list").get_by_role("link", name="Interleukin-2", exact=True).click()

    page.wait_for_url(f"**/admin/wiki/pagefeedback/{demo.pk}/change/")
    assert page.locator('[data-stat="yes"]').inner_text() == "2"
    assert page.locator('[data-stat="no"]').inner_text() == "1"
    charts = page.locator("figure.bar-chart svg[role=img]")
    assert charts.count() >= 1
    assert charts.first.is_visible()
    assert charts.first.bounding_box()["width"] > 100
    assert console_errors == []
