"""A moderator in a real browser: logs in through the form, edits with a
preview, saves, compares two revisions from the history and reverts one.
Every flow also asserts that the page logged no error (a CSP violation is
one)."""

import pytest
from playwright.sync_api import expect

from tests.browser import load_demo, log_in, requires_browser
from tests.conftest import PASSWORD
from wiki.models import Page, RevisionInfo

pytestmark = [requires_browser, pytest.mark.browser, pytest.mark.usefixtures("plain_static")]

CLOSING_NOTE = "Ask your medical team whether you are fit enough to receive it."


@pytest.fixture
def demo(transactional_db, moderator):
    load_demo()
    return Page.objects.get(title="Interleukin-2")


def revision_ids(page):
    return list(
        RevisionInfo.objects.filter(page_id=page.pk)
        .order_by("revision_id")
        .values_list("revision_id", flat=True)
    )


def test_moderator_logs_in_through_the_login_form(page, live_server, demo, console_errors):
    page.goto(f"{live_server.url}/wiki/Interleukin-2/")
    assert page.get_by_role("link", name="Edit this page").count() == 0
    page.get_by_role("link", name="Log in").click()
    page.get_by_label("Username").fill("moderator")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/wiki/Interleukin-2/")
    assert (
        "Signed in as moderator"
        in page.get_by_role("navigation", name="Personal tools").inner_text()
    )
    expect(page.get_by_role("link", name="Edit this page")).to_be_visible()
    assert console_errors == []


def test_wrong_password_shows_a_message_on_the_form(page, live_server, demo, console_errors):
    log_in(page, live_server.url, "moderator", "not-the-password")
    assert page.get_by_role("alert").inner_text() == (
        "Your username and password did not match. Please try again."
    )
    assert page.get_by_role("link", name="Edit this page").count() == 0
    assert console_errors == []


def test_moderator_edits_with_preview_then_saves(page, live_server, demo, console_errors):
    log_in(page, live_server.url, "moderator", PASSWORD)
    page.goto(f"{live_server.url}/wiki/Interleukin-2/")
    page.get_by_role("link", name="Edit this page").click()
    body = page.get_by_label("Page text (markdown)")
    body.fill(body.input_value() + "\n## Paying for it\n\nAsk the hospital about **cost**.\n")
    page.get_by_label("Edit summary").fill("Add a section on cost")
    page.get_by_role("button", name="Show preview").click()

    preview = page.get_by_role("region", name="Preview")
    expect(preview.get_by_role("heading", name="Paying for it")).to_be_visible()
    expect(preview.locator("strong", has_text="cost")).to_be_visible()
    assert "Paying for it" not in Page.objects.get(pk=demo.pk).body
    page.get_by_role("button", name="Save page").click()

    page.wait_for_url("**/wiki/Interleukin-2/")
    expect(page.locator(".page-body h2", has_text="Paying for it")).to_be_visible()
    saved = Page.objects.get(pk=demo.pk)
    assert "## Paying for it" in saved.body
    assert saved.current_revision.comment == "Add a section on cost"
    assert saved.current_revision.user.username == "moderator"
    assert console_errors == []


def test_moderator_compares_two_revisions_from_the_history(page, live_server, demo, console_errors):
    first, second = revision_ids(demo)
    log_in(page, live_server.url, "moderator", PASSWORD)
    page.goto(f"{live_server.url}/wiki/Interleukin-2/")
    page.get_by_role("link", name="History").click()
    page.wait_for_url("**/wiki/Interleukin-2/history/")
    page.get_by_label(f"Compare from revision {first}").check()
    page.get_by_label(f"Compare to revision {second}").check()
    page.get_by_role("button", name="Compare selected revisions").click()

    page.wait_for_url(f"**/wiki/Interleukin-2/diff/{first}/{second}/")
    inserted = " ".join(page.locator("table.diff ins").all_inner_texts())
    assert CLOSING_NOTE in inserted
    assert console_errors == []


def test_moderator_reverts_an_old_revision_after_confirming(
    page, live_server, demo, console_errors
):
    first, second = revision_ids(demo)
    log_in(page, live_server.url, "moderator", PASSWORD)
    page.goto(f"{live_server.url}/wiki/Interleukin-2/history/")
    page.locator(f'a[href="/wiki/Interleukin-2/revert/{first}/"]').click()

    page.wait_for_url(f"**/wiki/Interleukin-2/revert/{first}/")
    assert page.locator("h1").inner_text() == "Revert Interleukin-2"
    assert revision_ids(demo) == [first, second]  # looking changes nothing
    with page.expect_request(lambda request: request.method == "POST"):
        page.get_by_role("button", name=f"Revert to revision {first}").click()

    page.wait_for_url("**/wiki/Interleukin-2/history/")
    message = page.locator("ul.messages[role=status]").inner_text()
    assert message == f"The page is back to revision {first}."
    ids = revision_ids(demo)
    assert ids[:2] == [first, second] and len(ids) == 3
    assert CLOSING_NOTE not in Page.objects.get(pk=demo.pk).body
    assert page.locator("table.history tbody tr").count() == 3
    assert console_errors == []
