"""The view beacon in a real browser: with caching proxies (settings.PURGE_URLS)
a reader's browser fetches the hidden beacon of the page it shows, within the
CSP, invisible and out of the accessibility tree, and that counts the view."""

import pytest

from tests.browser import AXE_RULES, axe_violations, load_demo, requires_browser
from tests.proxies import PurgeRecorder
from wiki.models import Page, PageViewDay
from wiki.page_views import flush_page_views

pytestmark = [requires_browser, pytest.mark.browser, pytest.mark.usefixtures("plain_static")]


@pytest.fixture
def demo_behind_proxies(transactional_db, settings):
    recorder = PurgeRecorder()
    settings.PURGE_URLS = [recorder.url]
    try:
        load_demo()
        yield Page.objects.get(title="Interleukin-2")
    finally:
        recorder.stop()


def test_browser_fetches_the_hidden_beacon_and_the_view_is_counted(
    page, live_server, demo_behind_proxies, console_errors
):
    flush_page_views()  # anything load_demo counted
    before = sum(PageViewDay.objects.values_list("views", flat=True))
    with page.expect_response(lambda response: response.url.endswith("/seen.gif")) as beacon:
        page.goto(f"{live_server.url}/wiki/Proleukin/")
    assert beacon.value.status == 200
    assert beacon.value.url == f"{live_server.url}/wiki/Interleukin-2/seen.gif"
    image = page.locator('img[src$="/seen.gif"]')
    assert image.evaluate("img => img.complete && img.naturalWidth") == 1
    assert image.evaluate("img => getComputedStyle(img).display") == "none"
    assert image.evaluate("img => img.getBoundingClientRect().height") == 0
    # Out of the accessibility tree: no image in what a screen reader reads.
    assert "img" not in page.locator("body").aria_snapshot()
    assert axe_violations(page, AXE_RULES) == []
    assert console_errors == []
    flush_page_views()
    views = PageViewDay.objects.filter(page=demo_behind_proxies).values_list("views", flat=True)
    assert sum(views) == 1
    assert sum(PageViewDay.objects.values_list("views", flat=True)) == before + 1
