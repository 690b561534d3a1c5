"""Problem reports: "Report a problem with this page" (GET, POST
/wiki/<Title>/report/) and the moderators' list (GET, POST /maintenance/reports/)."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from tests.clients import BROWSER_HEADERS, browser_client
from tests.test_votes import database_text
from wiki.models import ProblemReport, VoteAllowance
from wiki.services import report_problem, save_page
from wiki.views import reports

REPORT_URL = "/wiki/Interleukin-2/report/"
LIST_URL = "/maintenance/reports/"
GOOD_REPORT = {"reason": "outdated", "details": "The dose table is from 2009.", "contact": ""}


@pytest.fixture
def il2(make_page):
    return make_page("Interleukin-2", "Interleukin-2 is a treatment.")


def reader_from(address: str) -> Client:
    return browser_client(REMOTE_ADDR=address)


def report_rows():
    return list(
        ProblemReport.objects.order_by("pk").values_list(
            "pk", "page_id", "reason", "details", "status", "closed_by_id", "close_note"
        )
    )


# Reporting, as any reader


def test_every_page_links_to_report_a_problem(client, il2):
    html = client.get("/wiki/Interleukin-2/").content.decode()
    assert '<a href="/wiki/Interleukin-2/report/">Report a problem with this page</a>' in html


def test_report_link_is_in_the_shared_copy_of_the_page(client, il2):
    first = client.get("/wiki/Interleukin-2/")
    second = browser_client().get("/wiki/Interleukin-2/")
    assert "public" in first["Cache-Control"]
    assert first["ETag"] == second["ETag"]
    assert "/wiki/Interleukin-2/report/" in second.content.decode()


def test_report_form_works_without_javascript(client, il2):
    response = client.get(REPORT_URL)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'method="post" action="/wiki/Interleukin-2/report/"' in html
    for reason in ["outdated", "incorrect", "broken-link", "unclear", "other"]:
        assert f'type="radio" name="reason" value="{reason}"' in html
    assert '<textarea name="details"' in html and 'maxlength="1000"' in html
    assert 'type="email" name="contact"' in html
    assert "<legend>What is wrong with this page?</legend>" in html
    assert '<label for="id_reason_0">It is out of date</label>' in html


def test_report_form_is_the_same_for_every_reader(client, il2):
    response = client.get(REPORT_URL)
    assert "csrfmiddlewaretoken" not in response.content.decode()
    assert not response.cookies


def test_report_is_stored_against_the_revision_read(client, il2):
    response = client.post(REPORT_URL, {**GOOD_REPORT, "contact": "carer@example.org"})
    assert response.status_code == 200
    assert "Thank you for your report" in response.content.decode()
    report = ProblemReport.objects.get()
    assert report.page == il2
    assert report.revision_id == il2.current_revision_id
    assert (report.reason, report.details, report.contact) == (
        "outdated",
        "The dose table is from 2009.",
        "carer@example.org",
    )
    assert report.is_open and report.closed_by is None and report.closed_at is None


def test_report_with_only_a_reason_is_stored(client, il2):
    assert client.post(REPORT_URL, {"reason": "unclear"}).status_code == 200
    assert ProblemReport.objects.get().details == ""


def test_report_stores_no_address_or_user_agent(il2):
    reader = browser_client(REMOTE_ADDR="203.0.113.77", HTTP_USER_AGENT="UniqueAgent/9.9")
    assert reader.post(REPORT_URL, GOOD_REPORT).status_code == 200
    stored = database_text()
    assert "203.0.113.77" not in stored
    assert "UniqueAgent" not in stored
    fields = {field.name for field in ProblemReport._meta.get_fields()}
    assert not fields & {"address", "ip", "ip_address", "user_agent", "network"}


def test_report_counted_under_a_digest_not_the_address(il2):
    reader_from("203.0.113.77").post(REPORT_URL, GOOD_REPORT)
    (allowance,) = VoteAllowance.objects.all()
    assert allowance.name.startswith(f"report:{il2.pk}:")
    assert "203.0.113" not in allowance.name


def test_details_line_breaks_count_once_against_the_limit(client, il2):
    details = "line\r\n" * 200  # 1,000 characters as a browser counts them
    response = client.post(REPORT_URL, {"reason": "other", "details": details})
    assert response.status_code == 200
    # Stripped at its ends, as every text field of a form is.
    assert ProblemReport.objects.get().details == ("line\n" * 200).strip()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Please choose what is wrong with the page."),
        ({"reason": "maybe"}, "Please choose one of the reasons listed."),
        ({"reason": "OUTDATED"}, "Please choose one of the reasons listed."),
        ({"reason": "outdated", "details": "x" * 1001}, "please keep them to 1,000 or fewer"),
        ({"reason": "outdated", "contact": "not-an-address"}, "Please enter a full e-mail"),
        ({"reason": "outdated", "contact": "a@"}, "Please enter a full e-mail"),
        ({"reason": "outdated", "contact": "a" * 250 + "@example.org"}, "at most 254"),
        ({"reason": "outdated", "details": "bad\x00byte"}, "Null characters are not allowed."),
    ],
    ids=["no-reason", "unknown", "wrong-case", "long", "email", "half-email", "huge-email", "nul"],
)
def test_bad_report_is_400_with_a_message_and_nothing_stored(client, il2, data, message):
    response = client.post(REPORT_URL, data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not ProblemReport.objects.exists()
    assert not VoteAllowance.objects.exists()


def test_bad_report_keeps_what_the_reader_wrote(client, il2):
    response = client.post(REPORT_URL, {"reason": "incorrect", "details": "The dose is wrong."})
    assert response.status_code == 200
    response = client.post(REPORT_URL, {"details": "The dose is wrong.", "contact": "x"})
    assert response.status_code == 400
    assert "The dose is wrong.</textarea>" in response.content.decode()


def test_report_from_another_site_is_refused(il2):
    other_site = Client(headers={"Origin": "https://elsewhere.example"})
    response = other_site.post(REPORT_URL, GOOD_REPORT)
    assert response.status_code == 403
    assert "from this site's pages only" in response.content.decode()
    assert not ProblemReport.objects.exists()


def test_report_naming_no_origin_at_all_is_refused(il2):
    assert Client().post(REPORT_URL, GOOD_REPORT).status_code == 403
    assert not ProblemReport.objects.exists()


def test_report_from_the_site_itself_needs_no_csrf_token(il2):
    browser = Client(enforce_csrf_checks=True, headers=BROWSER_HEADERS)
    assert browser.post(REPORT_URL, GOOD_REPORT).status_code == 200
    assert ProblemReport.objects.count() == 1


def test_sixth_report_from_one_network_is_429_and_not_stored(il2):
    statuses = [
        reader_from("198.51.100.7").post(REPORT_URL, GOOD_REPORT).status_code for _ in range(6)
    ]
    assert statuses == [200] * reports.REPORTS_PER_NETWORK + [429]
    assert ProblemReport.objects.count() == reports.REPORTS_PER_NETWORK


def test_network_full_is_429_with_retry_after_and_keeps_the_text(il2):
    for _ in range(reports.REPORTS_PER_NETWORK):
        reader_from("198.51.100.7").post(REPORT_URL, GOOD_REPORT)
    response = reader_from("198.51.100.7").post(
        REPORT_URL, {"reason": "unclear", "details": "Too many long words."}
    )
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 24 * 60 * 60 + 1
    html = response.content.decode()
    assert "Please try again tomorrow." in html
    assert "Too many long words.</textarea>" in html


def test_a_full_network_does_not_stop_other_networks_or_pages(il2, make_page):
    other = make_page("IL-21")
    for _ in range(reports.REPORTS_PER_NETWORK + 1):
        reader_from("198.51.100.7").post(REPORT_URL, GOOD_REPORT)
    assert reader_from("198.51.100.8").post(REPORT_URL, GOOD_REPORT).status_code == 200
    response = reader_from("198.51.100.7").post("/wiki/IL-21/report/", GOOD_REPORT)
    assert response.status_code == 200
    assert ProblemReport.objects.filter(page=other).count() == 1


def test_ipv6_addresses_in_one_64_share_one_allowance(il2):
    for host in range(reports.REPORTS_PER_NETWORK):
        reader_from(f"2001:db8:1:2::{host + 1}").post(REPORT_URL, GOOD_REPORT)
    assert reader_from("2001:db8:1:2::ff").post(REPORT_URL, GOOD_REPORT).status_code == 429


def test_report_on_a_redirect_goes_to_its_target(client, il2, make_page):
    redirect_page = make_page("Proleukin", "#REDIRECT [[Interleukin-2]]")
    response = client.get("/wiki/Proleukin/report/")
    assert response.status_code == 302
    assert response["Location"] == REPORT_URL
    assert client.post("/wiki/Proleukin/report/", GOOD_REPORT).status_code == 200
    assert ProblemReport.objects.get().page == il2
    assert not ProblemReport.objects.filter(page=redirect_page).exists()


def test_report_on_a_broken_redirect_is_about_the_redirect(client, make_page):
    broken = make_page("Proleukin", "#REDIRECT [[Nowhere]]")
    assert client.get("/wiki/Proleukin/report/").status_code == 200
    assert client.post("/wiki/Proleukin/report/", GOOD_REPORT).status_code == 200
    assert ProblemReport.objects.get().page == broken


def test_report_on_a_missing_page_is_404(client, db):
    assert client.get("/wiki/No_Such_Page/report/").status_code == 404
    assert client.post("/wiki/No_Such_Page/report/", GOOD_REPORT).status_code == 404
    assert not ProblemReport.objects.exists()


def test_report_url_in_other_letter_case_redirects_to_canonical(client, il2):
    response = client.get("/wiki/interleukin-2/report/")
    assert response.status_code == 301
    assert response["Location"] == REPORT_URL


def test_report_url_refuses_other_methods(client, il2):
    assert client.put(REPORT_URL, GOOD_REPORT).status_code == 405
    assert client.delete(REPORT_URL).status_code == 405
    assert not ProblemReport.objects.exists()


def test_deleting_a_page_deletes_its_reports(il2):
    report_problem(il2, "outdated")
    il2.delete()
    assert not ProblemReport.objects.exists()


# The moderators' list


@pytest.fixture
def two_reports(il2):
    first = report_problem(il2, "outdated", details="Old numbers.")
    second = report_problem(il2, "unclear", details="Hard words.")
    return first, second


@pytest.fixture
def staff_user(make_user):
    return make_user("admin", superuser=True)


def client_for(role, make_user):
    """A browser of each role: anonymous, reader (no permission), moderator, admin."""
    browser = browser_client()
    if role == "reader":
        browser.force_login(make_user("reader"))
    elif role == "moderator":
        browser.force_login(make_user("moderator", moderator=True))
    elif role == "admin":
        browser.force_login(make_user("admin", superuser=True))
    return browser


@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_is_sent_to_log_in_and_nothing_changes(two_reports, make_user, method):
    before = report_rows()
    response = getattr(client_for("anonymous", make_user), method)(
        LIST_URL, {"report": two_reports[0].pk, "note": "Done"} if method == "post" else None
    )
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/maintenance/reports/")
    assert report_rows() == before


@pytest.mark.parametrize("method", ["get", "post"])
def test_reader_without_permission_gets_403_and_nothing_changes(two_reports, make_user, method):
    before = report_rows()
    response = getattr(client_for("reader", make_user), method)(
        LIST_URL, {"report": two_reports[0].pk, "note": "Done"} if method == "post" else None
    )
    assert response.status_code == 403
    assert "Old numbers." not in response.content.decode()
    assert report_rows() == before


@pytest.mark.parametrize("role", ["moderator", "admin"])
def test_moderators_and_admins_see_and_close_reports(two_reports, make_user, role):
    browser = client_for(role, make_user)
    html = browser.get(LIST_URL).content.decode()
    assert "Old numbers." in html and "Hard words." in html
    response = browser.post(LIST_URL, {"report": two_reports[0].pk, "note": "Table updated."})
    assert response.status_code == 302
    assert response["Location"] == LIST_URL
    report = ProblemReport.objects.get(pk=two_reports[0].pk)
    assert report.status == ProblemReport.CLOSED
    assert report.closed_by.get_username() == role
    assert report.closed_at is not None
    assert report.close_note == "Table updated."
    assert ProblemReport.objects.get(pk=two_reports[1].pk).is_open


def test_closing_says_so_and_keeps_the_page_of_the_list(moderator_client, two_reports):
    response = moderator_client.post(
        LIST_URL + "?page=1", {"report": two_reports[1].pk, "note": ""}, follow=True
    )
    assert response.redirect_chain == [(LIST_URL + "?page=1", 302)]
    assert "The report is closed." in response.content.decode()


def test_list_shows_open_reports_first_then_closed_newest_first(moderator_client, il2, moderator):
    from wiki.services import close_report

    oldest = report_problem(il2, "outdated")
    closed = report_problem(il2, "incorrect")
    newest = report_problem(il2, "other")
    close_report(closed.pk, user=moderator, note="Fixed.")
    listed = list(moderator_client.get(LIST_URL).context["reports"])
    assert [report.pk for report in listed] == [newest.pk, oldest.pk, closed.pk]


def test_list_is_paginated(moderator_client, il2):
    for _ in range(reports.REPORTS_PER_PAGE + 1):
        report_problem(il2, "other")
    first = moderator_client.get(LIST_URL)
    second = moderator_client.get(LIST_URL + "?page=2")
    assert len(first.context["reports"]) == reports.REPORTS_PER_PAGE
    assert len(second.context["reports"]) == 1
    assert 'href="?page=2"' in first.content.decode()


def test_closing_twice_is_409_and_changes_nothing(moderator_client, two_reports):
    moderator_client.post(LIST_URL, {"report": two_reports[0].pk, "note": "First."})
    before = report_rows()
    response = moderator_client.post(LIST_URL, {"report": two_reports[0].pk, "note": "Second."})
    assert response.status_code == 409
    assert "already closed" in response.content.decode()
    assert report_rows() == before


@pytest.mark.parametrize(
    ("data", "status"),
    [
        ({"report": "999999", "note": "x"}, 404),
        ({"report": "abc", "note": "x"}, 400),
        ({"report": str(2**64), "note": "x"}, 400),
        ({"note": "x"}, 400),
        ({"report": "1", "note": "y" * 1001}, 400),
    ],
    ids=["unknown", "not-a-number", "huge", "missing", "long-note"],
)
def test_bad_close_request_is_refused_and_changes_nothing(
    moderator_client, two_reports, data, status
):
    if data.get("report") == "1":
        data = {**data, "report": str(two_reports[0].pk)}
    before = report_rows()
    response = moderator_client.post(LIST_URL, data)
    assert response.status_code == status
    assert 'class="form-errors" role="alert"' in response.content.decode()
    assert report_rows() == before


def test_refused_close_keeps_the_note_in_its_form(moderator_client, two_reports):
    pk = two_reports[0].pk
    response = moderator_client.post(LIST_URL, {"report": pk, "note": "z" * 1001})
    assert f'id="note-{pk}" name="note"' in response.content.decode()
    assert "z" * 1001 + "</textarea>" in response.content.decode()


def test_close_needs_a_csrf_token(two_reports, make_user):
    browser = Client(enforce_csrf_checks=True, headers=BROWSER_HEADERS)
    browser.force_login(make_user("moderator", moderator=True))
    before = report_rows()
    response = browser.post(LIST_URL, {"report": two_reports[0].pk, "note": "x"})
    assert response.status_code == 403
    assert report_rows() == before
    assert "csrfmiddlewaretoken" in browser.get(LIST_URL).content.decode()


XSS_DETAILS = [
    "<script>alert('report')</script>",
    '<img src=x onerror="alert(1)">',
    "**bold** and [[Interleukin-2]] and [click](javascript:alert(1))",
    "# Heading\n\n* item",
]


@pytest.mark.parametrize("details", XSS_DETAILS)
def test_details_and_notes_are_shown_escaped_never_as_markup(
    moderator_client, il2, moderator, details
):
    from wiki.services import close_report

    report_problem(il2, "other", details=details)
    closed = report_problem(il2, "other", details="fine")
    close_report(closed.pk, user=moderator, note=details)
    html = moderator_client.get(LIST_URL).content.decode()
    assert "<script>alert" not in html
    assert "<img src=x" not in html
    assert "<strong>bold" not in html and 'href="javascript:' not in html
    assert '<a class="wikilink" href="/wiki/Interleukin-2/">' not in html
    assert "<h1>Heading" not in html
    escaped = details.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    escaped = escaped.replace('"', "&quot;").replace("'", "&#x27;")
    assert html.count(escaped) == 2


def test_contact_address_is_shown_to_moderators(moderator_client, il2):
    report_problem(il2, "other", contact="carer@example.org")
    html = moderator_client.get(LIST_URL).content.decode()
    assert '<a href="mailto:carer@example.org">carer@example.org</a>' in html


def test_report_links_to_the_revision_read_and_the_changes_since(moderator_client, il2):
    report = report_problem(il2, "outdated")
    newer = save_page("Interleukin-2", "Updated text.").page
    html = moderator_client.get(LIST_URL).content.decode()
    old, new = report.revision_id, newer.current_revision_id
    assert f'href="/wiki/Interleukin-2/revisions/{old}/"' in html
    assert f'href="/wiki/Interleukin-2/diff/{old}/{new}/"' in html


def test_maintenance_index_links_to_reports(moderator_client, db):
    html = moderator_client.get("/maintenance/").content.decode()
    assert 'href="/maintenance/reports/"' in html


def test_page_info_shows_the_count_of_open_reports(moderator_client, two_reports, moderator):
    from wiki.services import close_report

    close_report(two_reports[0].pk, user=moderator)
    html = moderator_client.get("/wiki/Interleukin-2/info/").content.decode()
    assert '<dd data-stat="open-reports">1 (' in html


def test_admin_index_shows_the_count_of_open_reports(admin_client, two_reports):
    html = admin_client.get("/admin/").content.decode()
    assert "Problem reports from readers" in html
    assert '<a href="/maintenance/reports/">2 open reports</a>' in html


def test_reports_are_never_shown_to_readers(client, two_reports):
    for path in ["/wiki/Interleukin-2/", REPORT_URL, "/wiki/Interleukin-2/history/"]:
        assert "Old numbers." not in client.get(path).content.decode()
    assert get_user_model().objects.count() == 0
