"""Reader votes: "Was this information useful?" (POST /wiki/<Title>/vote/)."""

import threading

import pytest
from django.contrib.sessions.backends.base import SessionBase
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.clients import browser_client
from wiki.models import Vote
from wiki.services import record_vote, save_page, voter_key_for
from wiki.views import feedback

VOTE_URL = "/wiki/Interleukin-2/vote/"


def test_same_session_voting_twice_counts_once(client, make_page):
    page = make_page()
    client.post(VOTE_URL, {"useful": "yes"})
    client.post(VOTE_URL, {"useful": "yes"})
    assert Vote.objects.filter(page=page).count() == 1


def test_changed_answer_updates_the_vote(client, make_page):
    page = make_page()
    client.post(VOTE_URL, {"useful": "yes"})
    first = Vote.objects.get(page=page)
    client.post(VOTE_URL, {"useful": "no"})
    vote = Vote.objects.get(page=page)
    assert vote.pk == first.pk
    assert vote.is_useful is False


def test_two_readers_count_twice(make_page):
    page = make_page()
    browser_client().post(VOTE_URL, {"useful": "yes"})
    browser_client().post(VOTE_URL, {"useful": "no"})
    assert Vote.objects.filter(page=page).count() == 2


def test_anonymous_vote_keeps_a_hash_not_the_session_key(client, make_page):
    make_page()
    client.post(VOTE_URL, {"useful": "yes"})
    session_key = client.session.session_key
    vote = Vote.objects.get()
    assert session_key
    assert vote.voter_key.startswith("session:")
    assert session_key not in vote.voter_key
    assert vote.voter_key == voter_key_for(None, session_key)


def test_logged_in_reader_votes_once_from_two_browsers(make_page, make_user):
    page = make_page()
    user = make_user("patient")
    for _ in range(2):
        browser = browser_client()
        browser.force_login(user)
        browser.post(VOTE_URL, {"useful": "no"})
    vote = Vote.objects.get(page=page)
    assert vote.voter_key == f"user:{user.pk}"


def test_vote_records_the_revision_read(client, make_page):
    page = make_page()
    client.post(VOTE_URL, {"useful": "yes"})
    assert Vote.objects.get().revision_id == page.current_revision_id


def test_vote_redirects_back_with_thanks(client, make_page):
    make_page()
    response = client.post(VOTE_URL, {"useful": "yes"}, follow=True)
    assert response.redirect_chain == [("/wiki/Interleukin-2/#vote", 302)]
    assert "Thank you for your answer" in response.content.decode()


def test_vote_with_javascript_answers_json_with_the_new_count(client, make_page):
    make_page()
    browser_client().post(VOTE_URL, {"useful": "no"})
    response = client.post(
        VOTE_URL, {"useful": "yes"}, headers={"X-Requested-With": "XMLHttpRequest"}
    )
    assert response.status_code == 200
    data = response.json()
    assert data["total"] == 2
    assert data["useful"] == "yes"
    assert "Thank you" in data["message"]


def test_page_shows_vote_box_with_count(client, make_page):
    page = make_page()
    for voter in ("a", "b", "c"):
        record_vote(page, voter != "c", voter_key=voter)
    html = client.get("/wiki/Interleukin-2/").content.decode()
    assert "Was this information useful?" in html
    assert 'action="/wiki/Interleukin-2/vote/"' in html
    assert 'name="useful" value="yes"' in html and 'name="useful" value="no"' in html
    assert "(<span data-vote-total>3</span> votes)" in html
    assert '<script src="/static/js/vote.' in html


def test_count_on_page_changes_after_a_vote(client, make_page):
    make_page()
    assert (
        "<span data-vote-total>0</span> votes"
        in client.get("/wiki/Interleukin-2/").content.decode()
    )
    browser_client().post(VOTE_URL, {"useful": "yes"})
    assert (
        "<span data-vote-total>1</span> vote)"
        in client.get("/wiki/Interleukin-2/").content.decode()
    )


def test_vote_count_keeps_anonymous_page_view_within_four_queries(
    client, make_page, django_assert_max_num_queries
):
    page = make_page(body="See [[Low Dose Interleukin-2]] and [[Proleukin]].")
    record_vote(page, True, voter_key="someone")
    with django_assert_max_num_queries(4):
        response = client.get("/wiki/Interleukin-2/")
    assert response.status_code == 200


def test_vote_count_comes_with_the_page_row(client, make_page):
    page = make_page()
    record_vote(page, True, voter_key="someone")
    with CaptureQueriesContext(connection) as queries:
        client.get("/wiki/Interleukin-2/")
    vote_queries = [query["sql"] for query in queries if "wiki_vote" in query["sql"]]
    assert len(vote_queries) == 1
    assert "wiki_page" in vote_queries[0]


def test_vote_on_a_redirect_counts_for_its_target(client, make_page):
    target = make_page("Interleukin-2")
    redirect_page = make_page("Proleukin", "#REDIRECT [[Interleukin-2]]")
    response = client.post("/wiki/Proleukin/vote/", {"useful": "yes"})
    assert response.status_code == 302
    assert response["Location"] == "/wiki/Interleukin-2/#vote"
    assert Vote.objects.filter(page=target).count() == 1
    assert not Vote.objects.filter(page=redirect_page).exists()


@pytest.mark.parametrize("data", [{}, {"useful": ""}, {"useful": "maybe"}, {"useful": "YES"}])
def test_bad_answer_is_400_and_changes_nothing(client, make_page, data):
    page = make_page()
    record_vote(page, True, voter_key="someone")
    response = client.post(VOTE_URL, data)
    assert response.status_code == 400
    assert list(Vote.objects.values_list("voter_key", "is_useful")) == [("someone", True)]


def test_vote_on_missing_page_is_404(client, db):
    response = client.post("/wiki/No_Such_Page/vote/", {"useful": "yes"})
    assert response.status_code == 404
    assert not Vote.objects.exists()


def test_get_on_vote_url_is_405(client, make_page):
    make_page()
    assert client.get(VOTE_URL).status_code == 405
    assert not Vote.objects.exists()


def test_vote_from_another_site_is_refused(make_page):
    make_page()
    browser = Client(enforce_csrf_checks=True)
    response = browser.post(
        VOTE_URL, {"useful": "yes"}, headers={"Origin": "https://elsewhere.example"}
    )
    assert response.status_code == 403
    response = browser.post(VOTE_URL, {"useful": "yes"}, headers={"Origin": "null"})
    assert response.status_code == 403
    response = browser.post(
        VOTE_URL, {"useful": "yes"}, headers={"Referer": "https://elsewhere.example/page/"}
    )
    assert response.status_code == 403
    response = browser.post(VOTE_URL, {"useful": "yes"}, headers={"Sec-Fetch-Site": "cross-site"})
    assert response.status_code == 403
    assert not Vote.objects.exists()


def test_vote_naming_no_origin_at_all_is_refused(make_page):
    # Neither Origin nor Referer: what an old browser sends from another
    # site's no-referrer form. Our own pages always let the browser send one.
    make_page()
    response = Client(enforce_csrf_checks=True).post(VOTE_URL, {"useful": "yes"})
    assert response.status_code == 403
    assert not Vote.objects.exists()


def test_vote_from_the_page_itself_needs_no_csrf_token(make_page):
    make_page()
    browser = Client(enforce_csrf_checks=True)
    page_response = browser.get("/wiki/Interleukin-2/")
    assert "csrftoken" not in page_response.cookies
    response = browser.post(VOTE_URL, {"useful": "yes"}, headers={"Origin": "http://testserver"})
    assert response.status_code == 302
    assert Vote.objects.count() == 1


def test_reader_flood_gets_429_and_changes_nothing(client, make_page):
    page = make_page()
    most, _seconds = feedback.VOTES_PER_READER
    for _ in range(most):
        assert client.post(VOTE_URL, {"useful": "yes"}).status_code == 302
    response = client.post(VOTE_URL, {"useful": "no"})
    assert response.status_code == 429
    vote = Vote.objects.get(page=page)
    assert vote.is_useful is True


def test_reader_flood_answers_json_429_to_scripts(client, make_page, monkeypatch):
    make_page()
    monkeypatch.setattr(feedback, "VOTES_PER_READER", (1, 600))
    client.post(VOTE_URL, {"useful": "yes"})
    response = client.post(VOTE_URL, {"useful": "no"}, headers={"Accept": "application/json"})
    assert response.status_code == 429
    assert "Too many" in response.json()["error"]
    assert Vote.objects.get().is_useful is True


def test_address_cap_gets_429_across_sessions_and_changes_nothing(make_page, monkeypatch):
    page = make_page()
    monkeypatch.setattr(feedback, "VOTES_PER_ADDRESS", (3, 600))
    statuses = [
        browser_client(REMOTE_ADDR="81.2.69.160").post(VOTE_URL, {"useful": "yes"}).status_code
        for _ in range(4)
    ]
    assert statuses == [302, 302, 302, 429]
    assert Vote.objects.filter(page=page).count() == 3
    # Another address is not affected.
    assert (
        browser_client(REMOTE_ADDR="81.2.69.161").post(VOTE_URL, {"useful": "no"}).status_code
        == 302
    )


def test_address_cap_is_generous_enough_for_a_shared_address():
    most, seconds = feedback.VOTES_PER_ADDRESS
    assert most / seconds >= 0.5  # at least 30 answers a minute from one hospital


def test_record_vote_returns_created_then_updated(make_page):
    page = make_page()
    vote, created = record_vote(page, True, voter_key="someone")
    again, created_again = record_vote(page, False, voter_key="someone")
    assert (created, created_again) == (True, False)
    assert again.pk == vote.pk


def test_voter_key_needs_a_user_or_a_session():
    with pytest.raises(ValueError):
        voter_key_for(None, None)


def test_deleting_a_page_deletes_its_votes(make_page):
    page = make_page()
    record_vote(page, True, voter_key="someone")
    page.delete()
    assert not Vote.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_thirty_concurrent_votes_from_one_reader_count_once(monkeypatch):
    save_page("Interleukin-2", "Some text.")
    monkeypatch.setattr(feedback, "VOTES_PER_READER", (100, 600))
    session = browser_client().session
    assert isinstance(session, SessionBase)
    session.save()
    session_key = session.session_key
    barrier = threading.Barrier(30)
    statuses = []

    def vote(answer):
        browser = browser_client()
        browser.cookies["sessionid"] = session_key
        try:
            barrier.wait()
            statuses.append(browser.post(VOTE_URL, {"useful": answer}).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=vote, args=("yes" if n % 2 else "no",)) for n in range(30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [302] * 30
    assert Vote.objects.count() == 1
    assert Vote.objects.get().voter_key == voter_key_for(None, session_key)
