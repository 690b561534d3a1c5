"""An admin in a real browser: logs in and reviews reader feedback, down to a
page's detail view with its SVG charts. The flow also asserts that the pages
logged no error (a CSP violation is one)."""

import datetime
import os

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser import WCAG_TAGS, axe_violations, load_demo, requires_browser
from tests.conftest import PASSWORD
from wiki.models import Page, Vote
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
    expect(charts.first).to_be_visible()
    assert charts.first.bounding_box()["width"] > 100
    assert console_errors == []


DESKTOP = {"width": 1280, "height": 900}

# Every word of every table header and cell that the line breaks inside (a
# header squeezed to one letter a line breaks inside all its words), and every
# table cell or scrolling box whose content is wider than it (a clipped
# column).
LAYOUT_PROBLEMS_JS = """
(selector) => {
  const problems = [];
  for (const table of document.querySelectorAll(selector)) {
    for (const cell of table.querySelectorAll("th, td")) {
      const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        if (node.parentElement.closest(".visually-hidden")) continue;
        for (const match of node.textContent.matchAll(/\\S+/g)) {
          const range = document.createRange();
          range.setStart(node, match.index);
          range.setEnd(node, match.index + match[0].length);
          const lines = new Set([...range.getClientRects()].map((rect) => Math.round(rect.top)));
          if (lines.size > 1) problems.push(`word broken: ${match[0]} in ${cell.tagName}`);
        }
      }
      if (cell.scrollWidth > cell.clientWidth + 1) {
        problems.push(`clipped cell: ${cell.textContent.trim().slice(0, 40)}`);
      }
    }
    for (let box = table.parentElement; box; box = box.parentElement) {
      if (box.scrollWidth > box.clientWidth + 1 && getComputedStyle(box).overflowX !== "visible") {
        problems.push(`clipped table in ${box.className || box.id || box.tagName}`);
      }
    }
    const right = table.getBoundingClientRect().right;
    if (right > document.documentElement.clientWidth) problems.push(`table past the window`);
  }
  return problems;
}
"""


@pytest.fixture
def feedback_demo(demo):
    """The demo with votes on most content pages (over several weeks, some
    "no" votes with a reason) and one page nobody voted on."""
    now = timezone.now()
    content = list(Page.objects.content_pages().exclude(title="Interleukin-2").order_by("title"))
    reasons = ["unclear", "outdated", "", "incorrect"]
    for number, target in enumerate(content[:-1]):
        for voter in range(3 + number % 4):
            vote, _ = record_vote(target, (voter + number) % 3 != 0, voter_key=f"v{number}-{voter}")
            Vote.objects.filter(pk=vote.pk).update(
                updated_at=now - datetime.timedelta(days=7 * voter + number),
                reason="" if vote.is_useful else reasons[voter % len(reasons)],
            )
    return demo


def _admin_page(browser, live_server):
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    page.goto(f"{live_server.url}/admin/login/")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/admin/")
    return context, page


def test_admin_feedback_tables_fit_1280_px_without_broken_words(
    browser, live_server, feedback_demo
):
    context, page = _admin_page(browser, live_server)
    found = {}
    found["index"] = page.evaluate(LAYOUT_PROBLEMS_JS, ".feedback-table")
    assert page.locator("#least-useful tbody tr").count() >= 2
    assert page.locator("#most-useful tbody tr").count() >= 2
    assert page.locator("#no-vote-reasons tbody tr").count() >= 2
    os.makedirs("test-results", exist_ok=True)
    page.screenshot(path="test-results/admin-index.png", full_page=True)
    for name, path in [
        ("feedback list", "/admin/wiki/pagefeedback/"),
        ("feedback list, all pages", "/admin/wiki/pagefeedback/?kind=all&o=-5"),
        ("pages", "/admin/wiki/page/"),
    ]:
        page.goto(f"{live_server.url}{path}")
        found[name] = page.evaluate(LAYOUT_PROBLEMS_JS, "#result_list")
    page.goto(f"{live_server.url}/admin/wiki/pagefeedback/{feedback_demo.pk}/change/")
    found["feedback detail"] = page.evaluate(LAYOUT_PROBLEMS_JS, "#content-main table")
    context.close()
    assert found == {name: [] for name in found}


def test_feedback_list_last_vote_column_is_fully_visible(browser, live_server, feedback_demo):
    context, page = _admin_page(browser, live_server)
    page.goto(f"{live_server.url}/admin/wiki/pagefeedback/")
    results = page.locator("#changelist .results").bounding_box()
    cells = page.locator("#result_list .field-last_vote_column")
    assert cells.count() > 0
    for index in range(cells.count()):
        box = cells.nth(index).bounding_box()
        assert box["x"] + box["width"] <= results["x"] + results["width"] + 1
    header = page.locator("#result_list th.column-last_vote_column").bounding_box()
    context.close()
    assert header["x"] + header["width"] <= results["x"] + results["width"] + 1


def test_admin_feedback_pages_have_no_axe_violations(browser, live_server, feedback_demo):
    context, page = _admin_page(browser, live_server)
    found = {}
    for path in [
        "/admin/",
        "/admin/wiki/pagefeedback/",
        "/admin/wiki/pagefeedback/?kind=all&o=-5",
        f"/admin/wiki/pagefeedback/{feedback_demo.pk}/change/",
        "/admin/wiki/page/",
    ]:
        page.goto(f"{live_server.url}{path}")
        found[path] = axe_violations(page, WCAG_TAGS)
    # The figures behind each chart, opened, are checked too.
    for summary in page.locator("details.chart-figures summary").all():
        summary.click()
    found["charts as tables"] = axe_violations(page, WCAG_TAGS)
    context.close()
    assert found == {path: [] for path in found}


def test_chart_figures_open_by_keyboard(browser, live_server, feedback_demo):
    context, page = _admin_page(browser, live_server)
    page.goto(f"{live_server.url}/admin/wiki/pagefeedback/{feedback_demo.pk}/change/")
    summary = page.get_by_text("% useful a week: the figures as a table")
    summary.focus()
    page.keyboard.press("Enter")
    table = page.locator("details.chart-figures[open] table").first
    expect(table).to_be_visible()
    assert table.locator("th", has_text="% useful").count() == 1
    svg = page.locator("figure.line-chart svg[role=img]")
    assert "% useful a week" in svg.get_attribute("aria-label")
    context.close()
