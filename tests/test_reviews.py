"""Clinical reviews: /wiki/<Title>/review/, the review line every page shows
(and its PDF), and what reviews do to the page's ETag and shared copy."""

import datetime
import io
import json

import pypdf
import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from reversion.models import Revision, Version

from wiki.models import Page, PageReview, RevisionInfo, SiteSettings
from wiki.reviews import ReviewStatus, add_months, today
from wiki.services import delete_page, record_review, recover_page, save_page

REVIEW_URL = "/wiki/Interleukin-2/review/"
PAGE_URL = "/wiki/Interleukin-2/"
REVIEWER = "Dr A. Patel, consultant oncologist"


@pytest.fixture
def article(make_page):
    return make_page("Interleukin-2", "Interleukin-2 is a messenger protein.")


def days(number):
    return today() + datetime.timedelta(days=number)


def review(article, *, reviewed_on=None, next_review_due=None, reviewer=REVIEWER, note=""):
    return record_review(
        article,
        reviewer=reviewer,
        reviewed_on=reviewed_on,
        next_review_due=next_review_due,
        note=note,
    )


def form(**fields):
    data = {"reviewer": REVIEWER, "reviewed_on": today().isoformat(), "note": ""}
    data.update(fields)
    return data


def snapshot():
    return (
        list(PageReview.objects.order_by("pk").values_list()),
        Revision.objects.count(),
        Version.objects.count(),
        list(Page.objects.values_list("pk", "current_revision_id")),
    )


# Permissions -------------------------------------------------------------------


def test_anonymous_review_form_get_is_sent_to_log_in(client, article):
    before = snapshot()
    response = client.get(REVIEW_URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/wiki/Interleukin-2/review/")
    assert snapshot() == before


def test_anonymous_review_post_is_sent_to_log_in_and_records_nothing(client, article):
    before = snapshot()
    response = client.post(REVIEW_URL, form())
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
    assert snapshot() == before


@pytest.mark.parametrize("method", ["get", "post"])
def test_plain_user_is_refused_review_403_and_nothing_changes(reader_client, article, method):
    before = snapshot()
    response = getattr(reader_client, method)(REVIEW_URL, form() if method == "post" else None)
    assert response.status_code == 403
    assert snapshot() == before


def test_moderator_records_a_review_of_the_current_revision(moderator_client, moderator, article):
    response = moderator_client.post(REVIEW_URL, form(note="Checked doses against the label."))
    assert response.status_code == 302
    assert response["Location"] == REVIEW_URL
    saved = PageReview.objects.get()
    assert saved.page_id == article.pk
    assert saved.revision_id == article.current_revision_id
    assert saved.reviewer == REVIEWER
    assert saved.reviewed_on == today()
    assert saved.recorded_by == moderator
    assert saved.note == "Checked doses against the label."


def test_admin_records_a_review(client, make_user, article):
    client.force_login(make_user("admin", superuser=True))
    response = client.post(REVIEW_URL, form())
    assert response.status_code == 302
    assert PageReview.objects.filter(page=article).count() == 1


def test_review_post_without_csrf_token_is_refused(moderator, article):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(moderator)
    before = snapshot()
    response = browser.post(REVIEW_URL, form())
    assert response.status_code == 403
    assert snapshot() == before


def test_review_of_a_missing_page_is_404(moderator_client, db):
    response = moderator_client.get("/wiki/No_Such_Page/review/")
    assert response.status_code == 404
    assert moderator_client.post("/wiki/No_Such_Page/review/", form()).status_code == 404
    assert not PageReview.objects.exists()


def test_review_url_in_another_letter_case_redirects_to_the_canonical_one(
    moderator_client, article
):
    response = moderator_client.get("/wiki/interleukin-2/review/")
    assert response.status_code == 301
    assert response["Location"] == REVIEW_URL


# The form --------------------------------------------------------------------------


def test_review_form_defaults_to_today_and_the_site_interval(moderator_client, article):
    response = moderator_client.get(REVIEW_URL)
    assert response.status_code == 200
    assert response.context["form"]["reviewed_on"].value() == today()
    assert response.context["form"]["next_review_due"].value() == add_months(today(), 36)


def test_next_review_left_empty_is_due_after_the_admins_interval(moderator_client, article):
    SiteSettings.objects.update(review_interval_months=12)
    reviewed_on = datetime.date(2026, 1, 31)
    if reviewed_on > today():
        reviewed_on = today()
    moderator_client.post(REVIEW_URL, form(reviewed_on=reviewed_on.isoformat()))
    assert PageReview.objects.get().next_review_due == add_months(reviewed_on, 12)


def test_add_months_keeps_the_day_or_takes_the_last_of_a_short_month():
    assert add_months(datetime.date(2026, 1, 31), 1) == datetime.date(2026, 2, 28)
    assert add_months(datetime.date(2024, 2, 29), 36) == datetime.date(2027, 2, 28)
    assert add_months(datetime.date(2026, 3, 15), -6) == datetime.date(2025, 9, 15)


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"reviewed_on": days(1).isoformat()}, "reviewed_on", "cannot be in the future"),
        (
            {"next_review_due": days(-1).isoformat()},
            "next_review_due",
            "must be due after the review date",
        ),
        (
            {"next_review_due": today().isoformat()},
            "next_review_due",
            "must be due after the review date",
        ),
        ({"reviewer": "  "}, "reviewer", "Say who reviewed the page"),
        ({"reviewer": "x" * 201}, "reviewer", "at most 200 characters"),
        ({"reviewed_on": "yesterday"}, "reviewed_on", "as a date"),
        ({"reviewed_on": ""}, "reviewed_on", "Give the date of the review"),
        ({"next_review_due": "31/02/2030"}, "next_review_due", "as a date"),
        ({"note": "n" * 2001}, "note", "at most 2000 characters"),
    ],
    ids=[
        "future",
        "due-before",
        "due-same-day",
        "no-reviewer",
        "long-reviewer",
        "bad-date",
        "no-date",
        "bad-due",
        "long-note",
    ],
)
def test_bad_review_field_answers_400_with_a_message(
    moderator_client, article, fields, field, message
):
    before = snapshot()
    response = moderator_client.post(REVIEW_URL, form(**fields))
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors[field])
    assert message in response.content.decode()
    assert snapshot() == before


def test_redirect_page_cannot_be_reviewed(moderator_client, article, make_page):
    make_page("Proleukin", "#REDIRECT [[Interleukin-2]]")
    before = snapshot()
    response = moderator_client.get("/wiki/Proleukin/review/")
    assert response.status_code == 400
    assert "is a redirect" in response.content.decode()
    assert REVIEW_URL in response.content.decode()
    response = moderator_client.post("/wiki/Proleukin/review/", form())
    assert response.status_code == 400
    assert snapshot() == before


def test_record_review_refuses_a_redirect_page(article, make_page):
    redirect = make_page("Proleukin", "#REDIRECT [[Interleukin-2]]")
    with pytest.raises(ValidationError) as error:
        review(redirect)
    assert error.value.code == "redirect"
    assert not PageReview.objects.exists()


def test_record_review_checks_dates_itself(article):
    with pytest.raises(ValidationError):
        review(article, reviewed_on=days(1))
    with pytest.raises(ValidationError):
        review(article, reviewed_on=days(-10), next_review_due=days(-10))
    assert not PageReview.objects.exists()


def test_reviews_are_listed_newest_first(moderator_client, article):
    review(article, reviewed_on=days(-400), reviewer="Dr First")
    review(article, reviewed_on=days(-3), reviewer="Dr Third")
    review(article, reviewed_on=days(-200), reviewer="Dr Second")
    html = moderator_client.get(REVIEW_URL).content.decode()
    assert html.index("Dr Third") < html.index("Dr Second") < html.index("Dr First")


def test_review_note_is_shown_escaped(moderator_client, article):
    review(article, note="<script>alert(1)</script>")
    html = moderator_client.get(REVIEW_URL).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html


# The review line on the page --------------------------------------------------------------


def review_line(client, url=PAGE_URL):
    html = client.get(url).content.decode()
    start = html.index('id="page-review"')
    return html[start : html.index("</div>", start)]


def test_page_never_reviewed_says_not_yet_reviewed_and_when_last_edited(client, article):
    line = review_line(client)
    assert "Not yet reviewed." in line
    edited = article.current_revision.date_created.date().isoformat()
    assert f'Last edited <time datetime="{edited}">' in line


def test_reviewed_page_shows_date_reviewer_and_next_due(client, article):
    review(article, reviewed_on=days(-10), next_review_due=days(700))
    line = review_line(client)
    assert f'Last reviewed <time datetime="{days(-10).isoformat()}">' in line
    assert f"by {REVIEWER}" in line
    assert f'Next review due <time datetime="{days(700).isoformat()}">' in line
    assert "overdue" not in line
    assert "changed since" not in line


def test_review_line_comes_before_the_page_text(client, article):
    review(article)
    html = client.get(PAGE_URL).content.decode()
    assert html.index('id="page-review"') < html.index('class="page-body"')


def test_page_past_its_due_date_says_overdue_for_review(client, article):
    review(article, reviewed_on=days(-1500), next_review_due=days(-1))
    assert "overdue for review" in review_line(client)


def test_page_due_today_is_not_yet_overdue(client, article):
    review(article, reviewed_on=days(-1000), next_review_due=today())
    assert "overdue" not in review_line(client)


def test_page_changed_since_review_says_so_and_links_the_diff(client, article):
    review(article)
    reviewed_revision = article.current_revision_id
    save_page("Interleukin-2", "Interleukin-2 is a protein. New dosing advice.")
    article.refresh_from_db()
    line = review_line(client)
    assert "changed since its last review" in line
    diff_url = f"/wiki/Interleukin-2/diff/{reviewed_revision}/{article.current_revision_id}/"
    assert f'href="{diff_url}"' in line
    assert client.get(diff_url).status_code == 200


def test_newest_review_of_the_changed_page_clears_changed_since(client, article):
    review(article, reviewed_on=days(-30))
    save_page("Interleukin-2", "New text.")
    review(article)
    assert "changed since" not in review_line(client)


def test_redirect_page_shows_no_review_line(client, article, make_page):
    make_page("Proleukin", "#REDIRECT [[Interleukin-2]]")
    html = client.get("/wiki/Proleukin/?redirect=no").content.decode()
    assert 'id="page-review"' not in html
    # Followed, the redirect shows the target's review line.
    assert "Not yet reviewed." in client.get("/wiki/Proleukin/").content.decode()


def test_moderator_sees_a_link_to_record_a_review(moderator_client, article):
    assert f'href="{REVIEW_URL}"' in review_line(moderator_client)


def test_reader_sees_no_link_to_record_a_review(client, article):
    assert REVIEW_URL not in client.get(PAGE_URL).content.decode()


# Caching: ETag and the shared copy --------------------------------------------------------


def test_recording_a_review_changes_the_etag(client, article):
    before = client.get(PAGE_URL)["ETag"]
    review(article)
    after = client.get(PAGE_URL)
    assert after["ETag"] != before
    assert client.get(PAGE_URL, headers={"If-None-Match": before}).status_code == 200


def test_shared_anonymous_copy_shows_a_new_review_at_once(client, article):
    first = client.get(PAGE_URL)
    assert cache.get("wiki:page-view:" + first["ETag"].strip('"')) is not None
    review(article)
    html = Client().get(PAGE_URL).content.decode()
    assert "Last reviewed" in html
    assert REVIEWER in html


def test_etag_part_changes_on_the_day_the_due_date_passes(article):
    saved = review(article, reviewed_on=days(-1000), next_review_due=today())

    def part(on):
        status = ReviewStatus.of(saved, current_revision_id=1, last_edited=None, on=on)
        return status.etag_part()

    assert part(today()) == part(today())
    assert part(days(1)) != part(today())
    assert part(days(1)) == part(days(2))


def test_reviewed_page_view_keeps_the_query_budget(client, article, django_assert_max_num_queries):
    review(article, reviewed_on=days(-1500), next_review_due=days(-1))
    save_page("Interleukin-2", "Changed text.")
    client.get(PAGE_URL)
    for cold in (True, False):
        if cold:
            cache.clear()
        with django_assert_max_num_queries(4):
            html = client.get(PAGE_URL).content.decode()
        assert "overdue for review" in html
        assert "changed since its last review" in html


def test_shared_copy_of_a_reviewed_page_is_served_with_one_query(
    client, article, django_assert_num_queries
):
    review(article)
    client.get(PAGE_URL)
    with django_assert_num_queries(1):
        html = Client().get(PAGE_URL).content.decode()
    assert "Last reviewed" in html


# PDF -------------------------------------------------------------------------------------


def pdf_text(response) -> str:
    reader = pypdf.PdfReader(io.BytesIO(response.content))
    return " ".join(" ".join(sheet.extract_text() for sheet in reader.pages).split())


def test_pdf_carries_the_review_line(client, article):
    review(article, reviewed_on=days(-1500), next_review_due=days(-1))
    save_page("Interleukin-2", "Changed text.")
    text = pdf_text(client.get("/wiki/Interleukin-2/pdf/"))
    assert f"Last reviewed {days(-1500):%-d %B %Y} by {REVIEWER}" in text
    assert f"Next review due {days(-1):%-d %B %Y}" in text
    assert "overdue for review" in text
    assert "changed since its last review" in text


def test_pdf_of_a_page_never_reviewed_says_so(client, article):
    assert "Not yet reviewed." in pdf_text(client.get("/wiki/Interleukin-2/pdf/"))


def test_cached_pdf_is_made_again_after_a_review(client, article):
    assert "Not yet reviewed." in pdf_text(client.get("/wiki/Interleukin-2/pdf/"))
    review(article)
    assert "Last reviewed" in pdf_text(client.get("/wiki/Interleukin-2/pdf/"))


# Kept forever ---------------------------------------------------------------------------


def test_deleting_and_recovering_a_page_keeps_its_reviews(client, article):
    saved = review(article)
    page_id = article.pk
    delete_page(article)
    assert PageReview.objects.filter(pk=saved.pk).exists()
    recovered = recover_page(page_id)
    assert list(recovered.reviews.all()) == [saved]
    assert "Last reviewed" in client.get(PAGE_URL).content.decode()


def test_reviewed_revision_cannot_be_deleted(article):
    from django.db.models import ProtectedError

    review(article)
    with pytest.raises(ProtectedError):
        Revision.objects.filter(pk=article.current_revision_id).delete()
    assert RevisionInfo.objects.filter(revision_id=article.current_revision_id).exists()


def test_admin_cannot_delete_or_change_a_review(client, make_user, article):
    client.force_login(make_user("admin", superuser=True))
    saved = review(article)
    assert client.get("/admin/wiki/pagereview/").status_code == 200
    delete_url = f"/admin/wiki/pagereview/{saved.pk}/delete/"
    assert client.post(delete_url, {"post": "yes"}).status_code == 403
    change_url = f"/admin/wiki/pagereview/{saved.pk}/change/"
    client.post(change_url, {"reviewer": "Someone else"})
    assert PageReview.objects.get(pk=saved.pk).reviewer == REVIEWER


@pytest.mark.parametrize(("posted", "months"), [("24", 24), ("", 36)])
def test_admin_sets_the_review_interval(client, make_user, db, posted, months):
    client.force_login(make_user("admin", superuser=True))
    settings_row = SiteSettings.objects.get()
    response = client.post(
        f"/admin/wiki/sitesettings/{settings_row.pk}/change/",
        {
            "review_interval_months": posted,
        },
    )
    assert response.status_code == 302
    assert SiteSettings.objects.get().review_interval_months == months


@pytest.mark.parametrize("posted", ["0", "121", "two"])
def test_admin_refuses_a_review_interval_out_of_range(client, make_user, db, posted):
    client.force_login(make_user("admin", superuser=True))
    settings_row = SiteSettings.objects.get()
    response = client.post(
        f"/admin/wiki/sitesettings/{settings_row.pk}/change/",
        {
            "review_interval_months": posted,
        },
    )
    assert response.status_code == 200
    assert SiteSettings.objects.get().review_interval_months == 36


# Export and import -------------------------------------------------------------------------


def test_reviews_survive_export_and_import(tmp_path, article):
    first = article.current_revision_id
    review(article, reviewed_on=days(-900), next_review_due=days(-5), note="First check.")
    save_page("Interleukin-2", "Second text.")
    article.refresh_from_db()
    review(article, reviewed_on=days(-1), reviewer="Dr B. Jones, nephrologist")
    path = tmp_path / "pages.jsonl"
    call_command("exportpages", str(path), stdout=io.StringIO())
    exported = json.loads(path.read_text(encoding="utf-8").splitlines()[0])
    assert exported["reviews"] == [
        {
            "reviewer": REVIEWER,
            "reviewed_on": days(-900).isoformat(),
            "next_review_due": days(-5).isoformat(),
            "note": "First check.",
            "revision": 0,
        },
        {
            "reviewer": "Dr B. Jones, nephrologist",
            "reviewed_on": days(-1).isoformat(),
            "next_review_due": add_months(days(-1), 36).isoformat(),
            "note": "",
            "revision": 1,
        },
    ]
    assert first != article.current_revision_id

    PageReview.objects.all().delete()  # only a test wipes reviews, to import afresh
    Page.objects.all().delete()
    RevisionInfo.objects.all().delete()
    Version.objects.all().delete()
    Revision.objects.all().delete()
    call_command("importpages", str(path), stdout=io.StringIO())
    again = tmp_path / "again.jsonl"
    call_command("exportpages", str(again), stdout=io.StringIO())
    assert again.read_text(encoding="utf-8") == path.read_text(encoding="utf-8")
    imported = Page.objects.get(title="Interleukin-2")
    oldest = RevisionInfo.objects.filter(page=imported).order_by("revision_id").first()
    assert imported.reviews.newest_first().last().revision_id == oldest.revision_id


@pytest.mark.parametrize(
    ("reviews", "message"),
    [
        ([{"reviewed_on": "2020-01-01"}], "reviewer"),
        ([{"reviewer": "Dr X"}], "reviewed_on is required"),
        ([{"reviewer": "Dr X", "reviewed_on": "2999-01-01"}], "cannot be in the future"),
        (
            [{"reviewer": "Dr X", "reviewed_on": "2020-01-01", "next_review_due": "2019-01-01"}],
            "must be due after",
        ),
        ([{"reviewer": "Dr X", "reviewed_on": "2020-01-01", "revision": 5}], "not an index"),
        ("soon", "reviews must be a list"),
    ],
)
def test_import_refuses_a_bad_review_and_imports_nothing(tmp_path, db, reviews, message):
    line = {"title": "Interleukin-2", "revisions": [{"body": "Text."}], "reviews": reviews}
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(line) + "\n", encoding="utf-8")
    errors = io.StringIO()
    with pytest.raises(CommandError):
        call_command("importpages", str(path), stdout=io.StringIO(), stderr=errors)
    assert message in errors.getvalue()
    assert not Page.objects.exists()
    assert not PageReview.objects.exists()


def test_import_of_a_review_without_due_date_uses_the_interval(tmp_path, db):
    line = {
        "title": "Interleukin-2",
        "revisions": [{"body": "Text."}],
        "reviews": [{"reviewer": "Dr X", "reviewed_on": "2024-02-29"}],
    }
    path = tmp_path / "one.jsonl"
    path.write_text(json.dumps(line) + "\n", encoding="utf-8")
    call_command("importpages", str(path), stdout=io.StringIO())
    assert PageReview.objects.get().next_review_due == datetime.date(2027, 2, 28)


# Demo -----------------------------------------------------------------------------------


def test_demo_pages_carry_reviews_one_overdue_one_changed(client, db):
    call_command("loaddemo", stdout=io.StringIO())
    call_command("loaddemo", stdout=io.StringIO())
    assert "overdue for review" in review_line(client, "/wiki/Sunitinib/")
    assert "changed since its last review" in review_line(client, "/wiki/Temsirolimus/")
    current = review_line(client, "/wiki/Sorafenib/")
    assert "Last reviewed" in current
    assert "overdue" not in current
    assert "changed since" not in current
    assert PageReview.objects.count() == 9
