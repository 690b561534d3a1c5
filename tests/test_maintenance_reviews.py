"""/maintenance/reviews/: the pages due for clinical review, as a page, CSV
and an Atom feed, and the overdue count on the admin index."""

import csv
import datetime
import io
import re
import xml.etree.ElementTree as ET

import pytest
from django.test import Client

from wiki.models import PageReview
from wiki.reviews import feed_token, feed_user, today
from wiki.services import record_review, save_page

LIST_URL = "/maintenance/reviews/"
FEED_URL = "/maintenance/reviews/feed/"
ATOM = "{http://www.w3.org/2005/Atom}"


def days(number):
    return today() + datetime.timedelta(days=number)


@pytest.fixture
def pages(make_page):
    """One page in each state, and one that needs nothing."""
    overdue = make_page("Sunitinib", "Text.")
    record_review(overdue, reviewer="Dr Overdue", reviewed_on=days(-1200), next_review_due=days(-3))
    soon = make_page("Sorafenib", "Text.")
    record_review(soon, reviewer="Dr Soon", reviewed_on=days(-1000), next_review_due=days(10))
    make_page("Pazopanib", "Never reviewed.")
    changed = make_page("Temsirolimus", "Text.")
    record_review(changed, reviewer="Dr Changed", reviewed_on=days(-100), next_review_due=days(900))
    save_page("Temsirolimus", "New text.")
    current = make_page("Everolimus", "Text.")
    record_review(current, reviewer="Dr Current", reviewed_on=days(-100), next_review_due=days(900))
    make_page("Proleukin", "#REDIRECT [[Sunitinib]]")
    return {"overdue": overdue, "soon": soon, "changed": changed, "current": current}


def titles_in(html: str, candidates=("Sunitinib", "Sorafenib", "Pazopanib", "Temsirolimus")):
    found = [
        (html.index(f">{title}</a>"), title) for title in candidates if f">{title}</a>" in html
    ]
    return [title for _, title in sorted(found)]


def table_of(response) -> str:
    html = response.content.decode()
    return html[html.index('<table class="data-table reviews-due">') :]


# Permissions -------------------------------------------------------------------------


@pytest.mark.parametrize("url", [LIST_URL, LIST_URL + "?format=csv", FEED_URL])
def test_anonymous_is_sent_to_log_in(client, pages, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("url", [LIST_URL, LIST_URL + "?format=csv", FEED_URL])
def test_plain_user_is_refused_403(reader_client, pages, url):
    before = list(PageReview.objects.values_list())
    assert reader_client.get(url).status_code == 403
    assert list(PageReview.objects.values_list()) == before


@pytest.mark.parametrize("url", [LIST_URL, LIST_URL + "?format=csv", FEED_URL])
def test_moderator_and_admin_may_read(moderator_client, make_user, pages, url):
    assert moderator_client.get(url).status_code == 200
    admin = Client()
    admin.force_login(make_user("admin", superuser=True))
    assert admin.get(url).status_code == 200


def test_list_refuses_post(moderator_client, pages):
    assert moderator_client.post(LIST_URL).status_code == 405


# The list ---------------------------------------------------------------------------------


def test_list_shows_overdue_due_soon_never_and_changed_but_not_current(moderator_client, pages):
    table = table_of(moderator_client.get(LIST_URL))
    assert set(titles_in(table)) == {"Sunitinib", "Sorafenib", "Pazopanib", "Temsirolimus"}
    assert "Everolimus" not in table
    assert "Proleukin" not in table
    row = table[table.index(">Sunitinib</a>") :]
    assert row[: row.index("</tr>")].count("overdue") == 1


def test_list_links_the_diff_since_the_review(moderator_client, pages):
    changed = pages["changed"]
    changed.refresh_from_db()
    reviewed = PageReview.objects.get(page=changed).revision_id
    html = moderator_client.get(LIST_URL).content.decode()
    assert f"/wiki/Temsirolimus/diff/{reviewed}/{changed.current_revision_id}/" in html


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ("overdue", ["Sunitinib"]),
        ("due-soon", ["Sorafenib"]),
        ("never", ["Pazopanib"]),
        ("changed", ["Temsirolimus"]),
    ],
)
def test_list_shows_one_state(moderator_client, pages, state, expected):
    response = moderator_client.get(f"{LIST_URL}?state={state}")
    assert titles_in(table_of(response)) == expected


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("due", ["Pazopanib", "Sunitinib", "Sorafenib", "Temsirolimus"]),
        ("-due", ["Temsirolimus", "Sorafenib", "Sunitinib", "Pazopanib"]),
        ("title", ["Pazopanib", "Sorafenib", "Sunitinib", "Temsirolimus"]),
        ("-title", ["Temsirolimus", "Sunitinib", "Sorafenib", "Pazopanib"]),
        ("reviewed", ["Pazopanib", "Sunitinib", "Sorafenib", "Temsirolimus"]),
        ("-reviewed", ["Temsirolimus", "Sorafenib", "Sunitinib", "Pazopanib"]),
        ("nonsense", ["Pazopanib", "Sunitinib", "Sorafenib", "Temsirolimus"]),
    ],
)
def test_list_sorts_both_ways(moderator_client, pages, sort, expected):
    response = moderator_client.get(f"{LIST_URL}?sort={sort}")
    assert response.status_code == 200
    assert titles_in(table_of(response)) == expected


def test_list_csv_holds_every_row_with_its_state(moderator_client, pages):
    response = moderator_client.get(f"{LIST_URL}?format=csv&sort=title")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:3] == ["title", "url", "state"]
    by_title = {row[0]: row for row in rows[1:]}
    assert list(by_title) == ["Pazopanib", "Sorafenib", "Sunitinib", "Temsirolimus"]
    assert by_title["Sunitinib"][2] == "overdue"
    assert by_title["Sunitinib"][3] == days(-1200).isoformat()
    assert by_title["Sunitinib"][4] == "Dr Overdue"
    assert by_title["Sunitinib"][5] == days(-3).isoformat()
    assert by_title["Pazopanib"][2] == "never reviewed"
    assert by_title["Temsirolimus"][2] == "changed since review"
    assert by_title["Sorafenib"][2] == "due soon"
    assert by_title["Sunitinib"][1] == "http://testserver/wiki/Sunitinib/"


def test_csv_cell_that_looks_like_a_formula_is_defused(moderator_client, make_page):
    make_page("=HYPERLINK(1)", "Text.")
    response = moderator_client.get(f"{LIST_URL}?format=csv")
    assert "'=HYPERLINK(1)" in response.content.decode()


def test_maintenance_index_links_the_review_list(moderator_client, db):
    html = moderator_client.get("/maintenance/").content.decode()
    assert f'href="{LIST_URL}"' in html


# The feed ----------------------------------------------------------------------------------


def feed_entries(response):
    root = ET.fromstring(response.content)  # noqa: S314 (our own feed)
    return [entry.find(f"{ATOM}title").text for entry in root.iter(f"{ATOM}entry")]


def test_list_shows_the_moderators_own_feed_address(moderator_client, moderator, pages):
    html = moderator_client.get(LIST_URL).content.decode()
    # The token carries the second it was made in, so compare whom it names.
    tokens = re.findall(re.escape(FEED_URL) + r"\?token=([\w:.-]+)", html)
    assert tokens
    assert {feed_user(token) for token in tokens} == {moderator}


def test_feed_reader_with_the_token_gets_the_feed_without_logging_in(moderator, pages):
    response = Client().get(FEED_URL, {"token": feed_token(moderator)})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    assert "no-store" in response["Cache-Control"]
    titles = feed_entries(response)
    assert "Sunitinib: overdue" in titles
    assert "Pazopanib: never reviewed" in titles
    assert "Temsirolimus: changed since review" in titles
    assert not any(title.startswith("Everolimus") for title in titles)


def test_feed_with_a_forged_token_is_refused(moderator, pages):
    token = feed_token(moderator)
    response = Client().get(FEED_URL, {"token": token[:-2] + "xx"})
    assert response.status_code == 403


def test_feed_token_stops_working_when_the_password_changes(moderator, pages):
    token = feed_token(moderator)
    moderator.set_password("a-new-password-entirely")
    moderator.save()
    assert Client().get(FEED_URL, {"token": token}).status_code == 403


def test_feed_token_of_a_user_who_is_no_moderator_is_refused(make_user, moderator, pages):
    reader = make_user("reader")
    assert Client().get(FEED_URL, {"token": feed_token(reader)}).status_code == 403
    token = feed_token(moderator)
    moderator.groups.clear()
    assert Client().get(FEED_URL, {"token": token}).status_code == 403


def test_feed_entry_is_new_when_the_state_changes(moderator, pages):
    def ids():
        response = Client().get(FEED_URL, {"token": feed_token(moderator)})
        root = ET.fromstring(response.content)  # noqa: S314 (our own feed)
        return {entry.find(f"{ATOM}id").text for entry in root.iter(f"{ATOM}entry")}

    before = ids()
    record_review(pages["overdue"], reviewer="Dr New", next_review_due=days(20))
    after = ids()
    assert before != after


# The admin index ---------------------------------------------------------------------------


def test_admin_index_counts_the_pages_overdue_for_review(make_user, pages, make_page):
    extra = make_page("Everolimus 2", "Text.")
    record_review(extra, reviewer="Dr X", reviewed_on=days(-900), next_review_due=days(-1))
    admin = Client()
    admin.force_login(make_user("admin", superuser=True))
    html = admin.get("/admin/").content.decode()
    assert "2 pages overdue for review" in html
    assert f'href="{LIST_URL}?state=overdue"' in html
