"""Problem reports in a real browser: a reader reports a problem by keyboard
alone (and without JavaScript), a "no" vote offers the reasons, a moderator
closes a report by keyboard; axe-core finds nothing on the new pages on a
320 px phone and on a desktop, and neither page scrolls sideways."""

import pytest

from tests.browser import (
    AXE_RULES,
    VIEWPORTS,
    axe_violations,
    focused,
    has_horizontal_overflow,
    load_demo,
    log_in,
    requires_browser,
    tab_to,
    tab_until,
)
from tests.conftest import PASSWORD
from wiki.models import ProblemReport, Vote
from wiki.services import report_problem

pytestmark = [requires_browser, pytest.mark.browser, pytest.mark.usefixtures("plain_static")]


@pytest.fixture
def demo(transactional_db):
    load_demo()


def test_reader_reports_a_problem_by_keyboard_alone(page, live_server, demo, console_errors):
    page.goto(f"{live_server.url}/wiki/Interleukin-2/")
    tab_to(page, "Report a problem with this page")
    page.keyboard.press("Enter")
    page.wait_for_url("**/wiki/Interleukin-2/report/")
    tab_until(page, "name", "reason")
    # Arrow keys move through a radio group and choose as they go.
    page.keyboard.press("ArrowDown")
    assert focused(page, "value") == "incorrect" and focused(page, "checked") is True
    tab_until(page, "name", "details")
    page.keyboard.type("The second dose in the table looks wrong.")
    tab_until(page, "name", "contact")
    page.keyboard.type("carer@example.org")
    tab_to(page, "Send report")
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Thank you for your report").wait_for()
    report = ProblemReport.objects.get()
    assert (report.page.title, report.reason, report.details, report.contact) == (
        "Interleukin-2",
        "incorrect",
        "The second dose in the table looks wrong.",
        "carer@example.org",
    )
    assert console_errors == []


def test_reader_reports_a_problem_without_javascript(browser, live_server, demo):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server.url}/wiki/Interleukin-2/report/")
    page.get_by_label("It is out of date").check()
    page.get_by_role("button", name="Send report").click()
    page.get_by_role("heading", name="Thank you for your report").wait_for()
    assert list(ProblemReport.objects.values_list("reason", flat=True)) == ["outdated"]
    context.close()


def test_no_vote_without_javascript_offers_the_reasons(browser, live_server, demo):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server.url}/wiki/Interleukin-2/")
    assert page.locator("form.vote-reason-form").is_hidden()
    page.get_by_role("button", name="No", exact=True).click()
    page.wait_for_url("**/wiki/Interleukin-2/#vote")
    page.get_by_label("A link does not work").check()
    page.get_by_role("button", name="Send", exact=True).click()
    page.wait_for_url("**/wiki/Interleukin-2/#vote")
    assert "Thank you for telling us" in page.locator(".messages").inner_text()
    assert list(Vote.objects.values_list("is_useful", "reason")) == [(False, "broken-link")]
    context.close()


def test_no_vote_with_javascript_shows_the_reasons(page, live_server, demo, console_errors):
    page.goto(f"{live_server.url}/wiki/Interleukin-2/")
    page.get_by_role("button", name="No", exact=True).click()
    page.locator("form.vote-reason-form").wait_for(state="visible")
    page.get_by_label("Something is incorrect").check()
    page.get_by_role("button", name="Send", exact=True).click()
    page.wait_for_url("**/wiki/Interleukin-2/#vote")
    assert list(Vote.objects.values_list("is_useful", "reason")) == [(False, "incorrect")]
    assert console_errors == []


def test_moderator_closes_a_report_by_keyboard(page, live_server, demo, make_user):
    from wiki.models import Page

    report_problem(Page.objects.get(title="Interleukin-2"), "unclear", details="Long words.")
    make_user("mod", moderator=True)
    log_in(page, live_server.url, "mod", PASSWORD)
    page.goto(f"{live_server.url}/maintenance/reports/")
    tab_until(page, "name", "note")
    page.keyboard.type("Rewrote the first paragraph.")
    tab_to(page, "Close report")
    page.keyboard.press("Enter")
    page.locator(".messages").filter(has_text="The report is closed.").wait_for()
    report = ProblemReport.objects.get()
    assert (report.status, report.close_note) == ("closed", "Rewrote the first paragraph.")


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_report_form_has_no_axe_violations_and_fits(browser, live_server, demo, viewport):
    page = browser.new_page(viewport=VIEWPORTS[viewport])
    page.goto(f"{live_server.url}/wiki/Interleukin-2/report/")
    assert axe_violations(page, AXE_RULES) == []
    assert not has_horizontal_overflow(page)
    # With its error messages too.
    page.get_by_label("Your e-mail address (optional)").fill("not an address")
    page.evaluate("document.querySelector('form.report-form').noValidate = true")
    page.get_by_role("button", name="Send report").click()
    page.locator(".form-errors").wait_for()
    assert axe_violations(page, AXE_RULES) == []
    assert not has_horizontal_overflow(page)
    page.close()


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_reports_list_has_no_axe_violations_and_fits(
    browser, live_server, demo, make_user, viewport
):
    from wiki.models import Page
    from wiki.services import close_report

    il2 = Page.objects.get(title="Interleukin-2")
    moderator = make_user("mod", moderator=True)
    report_problem(il2, "outdated", details="<script>x</script> " + "averyveryverylongword" * 8)
    report_problem(il2, "broken-link", contact="carer@example.org")
    closed = report_problem(il2, "other", details="Fixed already.")
    close_report(closed.pk, user=moderator, note="Done.")
    page = browser.new_page(viewport=VIEWPORTS[viewport])
    log_in(page, live_server.url, "mod", PASSWORD)
    page.goto(f"{live_server.url}/maintenance/reports/")
    assert page.locator("li.report").count() == 3
    assert axe_violations(page, AXE_RULES) == []
    assert not has_horizontal_overflow(page)
    page.close()
