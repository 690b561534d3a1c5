"""Each app process's memo of anonymous page views (wiki.page_memo): a
repeated view reads no page from the database, and every change a reader
would see is on the next view. The suite runs with the memo on (conftest);
here each view is warmed until it comes from the memo before the change."""

import datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.edit_data import edit_data
from wiki import page_memo
from wiki.disclaimers import add_disclaimer_version
from wiki.models import Page
from wiki.page_views import flush_page_views
from wiki.reviews import today
from wiki.services import record_review, save_glossary_term, save_page

URL = "/wiki/Interleukin-2/"
ORIGIN = {"Origin": "http://testserver"}


@pytest.fixture
def commits(django_capture_on_commit_callbacks):
    """Run what a change queued for after its commit (the test itself holds
    a transaction that never commits)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def page_queries(queries) -> list[str]:
    return [query["sql"] for query in queries if "wiki_page" in query["sql"]]


def remembered(url, reader=None):
    """``url`` viewed until this process serves it from its memo (the third
    view: the first notes its pages, the second is kept); that view."""
    reader = reader or Client()
    for _ in range(2):
        assert reader.get(url).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        response = reader.get(url)
    assert response.status_code == 200
    assert page_queries(queries) == [], "the view was not served from the memo"
    return response


def text(response) -> str:
    return response.content.decode()


@pytest.fixture
def il2(make_page):
    return make_page("Interleukin-2", "First text.")


def test_third_anonymous_view_reads_no_page_from_the_database(client, il2):
    for _ in range(2):
        client.get(URL)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(URL)
    assert response.status_code == 200
    assert "First text." in text(response)
    assert page_queries(queries) == []


def test_remembered_view_is_the_page_with_the_same_validators(il2):
    reader = Client()
    second = [reader.get(URL) for _ in range(2)][-1]
    third = remembered(URL, reader)
    assert third.content == second.content
    for header in ("ETag", "Last-Modified", "Cache-Control", "Vary"):
        assert third.get(header) == second.get(header)
    revalidated = reader.get(URL, headers={"If-None-Match": third["ETag"]})
    assert revalidated.status_code == 304
    assert revalidated["ETag"] == third["ETag"]


def test_remembered_view_is_still_counted(il2):
    flush_page_views()
    remembered(URL)
    flush_page_views()
    from wiki.models import PageViewDay

    assert sum(PageViewDay.objects.filter(page=il2).values_list("views", flat=True)) == 3


def test_edit_is_on_the_next_view(moderator_client, il2, commits):
    remembered(URL)
    with commits():
        data = edit_data("Second text.", il2.current_revision_id, summary="edit", save="1")
        assert moderator_client.post(URL + "edit/", data).status_code == 302
    assert "Second text." in text(Client().get(URL))


def test_edit_of_a_redirects_target_is_on_the_next_view_through_the_redirect(
    il2, make_page, commits
):
    make_page("Proleukin", "#REDIRECT [[Interleukin-2]]")
    remembered("/wiki/Proleukin/")
    with commits():
        save_page("Interleukin-2", "Target edited.", summary="edit")
    assert "Target edited." in text(Client().get("/wiki/Proleukin/"))


def test_revert_is_on_the_next_view(moderator_client, il2, commits):
    first = il2.current_revision_id
    save_page("Interleukin-2", "Second text.", summary="edit")
    assert "Second text." in text(remembered(URL))
    with commits():
        assert moderator_client.post(f"{URL}revert/{first}/").status_code == 302
    assert "First text." in text(Client().get(URL))


def test_move_is_on_the_next_view_of_both_titles(moderator_client, il2, commits):
    remembered(URL)
    with commits():
        response = moderator_client.post(URL + "move/", {"new_title": "Aldesleukin"})
    assert response.status_code == 302
    response = Client().get(URL)
    assert "Aldesleukin" in text(response)
    assert Page.objects.get(title="Interleukin-2").is_redirect


def test_link_turning_blue_is_on_the_next_view(make_page, commits):
    make_page("Kidney Cancer", "See [[Interleukin-2]].")
    assert "wikilink new" in text(remembered("/wiki/Kidney_Cancer/"))
    with commits():
        make_page("Interleukin-2", "Now written.")
    assert "wikilink new" not in text(Client().get("/wiki/Kidney_Cancer/"))


def test_delete_is_on_the_next_view(admin_client, il2, commits):
    remembered(URL)
    with commits():
        response = admin_client.post(f"/admin/wiki/page/{il2.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert Client().get(URL).status_code == 404


def test_vote_is_on_the_next_view(il2, commits):
    remembered(URL)
    with commits():
        voter = Client(enforce_csrf_checks=False)
        assert voter.post(URL + "vote/", {"useful": "yes"}, headers=ORIGIN).status_code == 302
    assert "(<span data-vote-total>1</span> vote)" in text(Client().get(URL))


def test_review_is_on_the_next_view(il2, commits):
    remembered(URL)
    with commits():
        record_review(il2, reviewer="Dr A. Patel, oncologist", reviewed_on=today())
    assert "Dr A. Patel, oncologist" in text(Client().get(URL))


def test_new_disclaimer_version_is_on_the_next_view(il2, commits):
    remembered(URL)
    with commits():
        add_disclaimer_version("A new standing disclaimer.", "A newer short notice.")
    assert "A new standing disclaimer." in text(Client().get(URL))


def test_new_glossary_term_is_on_the_next_view(make_page, commits):
    make_page("Interleukin-2", "Given as an infusion.")
    assert "glossary-term" not in text(remembered(URL))
    with commits():
        save_glossary_term(None, term="infusion", definition="Medicine given into a vein.")
    assert 'class="glossary-term"' in text(Client().get(URL))


def test_logged_in_view_never_comes_from_the_memo(moderator_client, il2):
    remembered(URL)
    response = moderator_client.get(URL)
    assert "private" in response["Cache-Control"]
    assert URL + "edit/" in text(response)


def test_view_with_a_query_string_is_never_remembered(client, il2):
    for _ in range(3):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(URL + "?utm_source=leaflet").status_code == 200
        assert page_queries(queries)


def test_without_a_shared_cache_there_is_no_memo(settings, client, il2):
    settings.PAGE_MEMO = False
    for _ in range(3):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(URL).status_code == 200
        assert page_queries(queries)


def test_memo_is_on_exactly_when_the_cache_is_shared():
    from tests.test_settings import run_django

    code = "from django.conf import settings; print(settings.PAGE_MEMO)"
    assert run_django(code, DJANGO_DEBUG="1").stdout.strip() == "False"
    shared = run_django(code, DJANGO_DEBUG="1", REDIS_URL="redis://127.0.0.1:6379/0")
    assert shared.stdout.strip() == "True"


def test_change_committed_while_a_view_was_rendered_is_never_hidden(il2):
    """The stamps kept with a view are those read before its page was
    loaded: a change in between leaves the entry stale, never served."""
    Client().get(URL)  # notes the URL's page
    key = URL
    lookup = page_memo.look_up(key)
    assert lookup.entry is not None and not lookup.is_current
    page_memo.forget_pages([il2.pk])  # a change commits while the page renders
    response = Client().get(URL)
    page_memo.keep(lookup, [il2.pk], il2.pk, response, response["ETag"], datetime.datetime.now())
    assert not page_memo.look_up(key).is_current


def test_a_flushed_cache_is_never_taken_for_unchanged_pages(il2):
    from django.core.cache import cache

    remembered(URL)
    assert page_memo.look_up(URL).is_current
    cache.clear()
    assert not page_memo.look_up(URL).is_current


def test_memo_keeps_at_most_its_bytes(monkeypatch, make_page):
    page_size = len(Client().get(make_page("Page 0", "Text.").get_absolute_url()).content)
    monkeypatch.setattr(page_memo, "MAX_MEMO_BYTES", 3 * page_size + page_size // 2)
    for number in range(1, 8):
        url = make_page(f"Page {number}", "Text.").get_absolute_url()
        for _ in range(3):
            Client().get(url)
    assert page_memo.kept_bytes() <= page_memo.MAX_MEMO_BYTES
    assert page_memo.look_up("/wiki/Page_7/").is_current
    assert not page_memo.look_up("/wiki/Page_1/").is_current
