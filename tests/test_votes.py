"""Reader votes: "Was this information useful?" (POST /wiki/<Title>/vote/)."""

import datetime
import functools
import os
import sqlite3
import subprocess
import sys
import threading

import pytest
from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.contrib.sessions.models import Session
from django.db import connection
from django.http import HttpRequest
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.clients import browser_client
from tests.conftest import PASSWORD
from tests.test_two_servers import BASE_DIR, Browser, Server
from wiki.feedback import VOTER_COOKIE, VOTER_COOKIE_SALT, VOTER_COOKIE_SECONDS
from wiki.models import Vote, VoteAllowance
from wiki.services import reader_voter_key, record_vote, save_page, voter_key_for
from wiki.views import feedback

VOTE_URL = "/wiki/Interleukin-2/vote/"


def cookie_token(response) -> str:
    """The token in the vote cookie a response set, read as the site reads it."""
    request = HttpRequest()
    request.COOKIES[VOTER_COOKIE] = response.cookies[VOTER_COOKIE].value
    return request.get_signed_cookie(
        VOTER_COOKIE, salt=VOTER_COOKIE_SALT, max_age=VOTER_COOKIE_SECONDS
    )


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


def test_anonymous_vote_keeps_a_hash_not_the_cookie_token(client, make_page):
    make_page()
    response = client.post(VOTE_URL, {"useful": "yes"})
    token = cookie_token(response)
    vote = Vote.objects.get()
    assert vote.voter_key.startswith("reader:")
    assert token not in vote.voter_key
    assert vote.voter_key == reader_voter_key(token)


def test_reader_with_a_session_votes_as_that_session(make_page):
    make_page()
    reader = browser_client()
    session = reader.session  # saved: a session that existed before the vote
    reader.post(VOTE_URL, {"useful": "yes"})
    assert Vote.objects.get().voter_key == voter_key_for(None, session.session_key)


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


def test_reader_flood_gets_429_with_retry_after_and_changes_nothing(client, make_page):
    page = make_page()
    assert client.post(VOTE_URL, {"useful": "yes"}).status_code == 302  # a new reader
    most, seconds = feedback.VOTES_PER_READER
    for _ in range(most):
        assert client.post(VOTE_URL, {"useful": "yes"}).status_code == 302
    response = client.post(VOTE_URL, {"useful": "no"})
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= seconds + 1
    vote = Vote.objects.get(page=page)
    assert vote.is_useful is True


def test_reader_flood_answers_json_429_to_scripts(client, make_page, monkeypatch):
    make_page()
    monkeypatch.setattr(feedback, "VOTES_PER_READER", (1, 600))
    client.post(VOTE_URL, {"useful": "yes"})
    client.post(VOTE_URL, {"useful": "yes"})
    response = client.post(VOTE_URL, {"useful": "no"}, headers={"Accept": "application/json"})
    assert response.status_code == 429
    assert "Too many" in response.json()["error"]
    assert Vote.objects.get().is_useful is True


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


# Trust: what one address, one script or one log-in can do to the counts.

SCRIPT_ADDRESS = "81.2.69.160"
HOSPITAL_ADDRESS = "81.2.69.170"


@pytest.fixture
def cookie_less_vote():
    """Send one vote the way a script does: from an address, with no cookie.
    One client for all of a test's requests: a new Client loads every
    middleware again (WhiteNoise's file scan costs ~0.35 s each)."""
    script = browser_client()

    def vote(address: str, answer: str = "no", url: str = VOTE_URL):
        script.cookies.clear()
        return script.post(url, {"useful": answer}, REMOTE_ADDR=address)

    return vote


def test_thousand_cookie_less_votes_from_one_address_count_at_most_ten(cookie_less_vote, make_page):
    page = make_page()
    statuses = [cookie_less_vote(SCRIPT_ADDRESS).status_code for _ in range(1000)]
    counted = Vote.objects.filter(page=page).count()
    assert 1 <= counted <= feedback.NEW_READERS_PER_NETWORK
    assert statuses.count(302) == counted
    assert statuses.count(429) == 1000 - counted


def test_network_full_is_429_with_retry_after_until_tomorrow(cookie_less_vote, make_page):
    make_page()
    for _ in range(feedback.NEW_READERS_PER_NETWORK):
        cookie_less_vote(SCRIPT_ADDRESS)
    response = browser_client(REMOTE_ADDR=SCRIPT_ADDRESS).post(
        VOTE_URL, {"useful": "no"}, headers={"Accept": "application/json"}
    )
    assert response.status_code == 429
    assert "from your network today" in response.json()["error"]
    assert 0 < int(response["Retry-After"]) <= 24 * 60 * 60 + 1
    assert VOTER_COOKIE not in response.cookies


def test_ten_readers_behind_one_address_each_count(cookie_less_vote, make_page):
    page = make_page()
    for _ in range(10):
        assert cookie_less_vote(HOSPITAL_ADDRESS, "yes").status_code == 302
    assert Vote.objects.filter(page=page).count() == 10


def test_other_addresses_and_pages_are_not_affected_by_a_flood(cookie_less_vote, make_page):
    page = make_page()
    other_page = make_page("IL-21")
    for _ in range(50):
        cookie_less_vote(SCRIPT_ADDRESS)
    assert cookie_less_vote("81.2.69.161").status_code == 302
    assert cookie_less_vote(SCRIPT_ADDRESS, url="/wiki/IL-21/vote/").status_code == 302
    assert Vote.objects.filter(page=page).count() == feedback.NEW_READERS_PER_NETWORK + 1
    assert Vote.objects.filter(page=other_page).count() == 1


def test_five_readers_with_their_own_sessions_behind_a_flooded_address_all_count(
    cookie_less_vote, make_page
):
    page = make_page()
    for _ in range(700):
        cookie_less_vote(HOSPITAL_ADDRESS)
    flooded = Vote.objects.filter(page=page).count()
    readers = [browser_client(REMOTE_ADDR=HOSPITAL_ADDRESS) for _ in range(5)]
    for reader in readers:
        reader.session.save()  # a session the reader had before answering
    statuses = [reader.post(VOTE_URL, {"useful": "yes"}).status_code for reader in readers]
    assert statuses == [302] * 5
    assert Vote.objects.filter(page=page).count() == flooded + 5
    assert Vote.objects.filter(page=page, is_useful=True).count() == 5


def test_readers_who_answered_on_another_page_count_behind_a_flooded_address(
    cookie_less_vote, make_page
):
    page = make_page()
    make_page("IL-21")
    readers = [browser_client(REMOTE_ADDR=HOSPITAL_ADDRESS) for _ in range(5)]
    for reader in readers:
        assert reader.post("/wiki/IL-21/vote/", {"useful": "yes"}).status_code == 302
    for _ in range(700):
        cookie_less_vote(HOSPITAL_ADDRESS)
    for reader in readers:
        assert reader.post(VOTE_URL, {"useful": "yes"}).status_code == 302
    assert Vote.objects.filter(page=page, is_useful=True).count() == 5


def test_returning_readers_from_one_address_are_capped_too(make_page):
    # A vote cookie costs a script one counted answer on some page, so the
    # returning readers of one address have a daily lane of their own.
    page = make_page()
    most = feedback.RETURNING_READERS_PER_NETWORK
    readers = [browser_client(REMOTE_ADDR=SCRIPT_ADDRESS) for _ in range(most + 3)]
    for reader in readers:
        reader.session.save()
    statuses = [reader.post(VOTE_URL, {"useful": "no"}).status_code for reader in readers]
    assert statuses == [302] * most + [429] * 3
    assert Vote.objects.filter(page=page).count() == most


def test_made_up_cookies_are_new_readers(make_page):
    page = make_page()
    script = browser_client(REMOTE_ADDR=SCRIPT_ADDRESS)
    for number in range(100):
        script.cookies.clear()
        script.cookies["sessionid"] = f"madeupsessionkey{number:016d}"
        script.cookies[VOTER_COOKIE] = f"token{number}:1xYoIi:notasignature"
        script.post(VOTE_URL, {"useful": "no"})
    assert Vote.objects.filter(page=page).count() == feedback.NEW_READERS_PER_NETWORK


def test_ipv6_script_rotating_addresses_inside_one_64_is_capped(cookie_less_vote, make_page):
    page = make_page()
    for number in range(300):
        cookie_less_vote(f"2001:db8:1:2:{number:x}:{number:x}:0:1")
    assert 1 <= Vote.objects.filter(page=page).count() <= feedback.NEW_READERS_PER_NETWORK
    assert cookie_less_vote("2001:db8:1:3::1").status_code == 302  # the next /64


def test_ipv4_mapped_address_counts_as_its_ipv4_address(cookie_less_vote, make_page):
    page = make_page()
    for _ in range(feedback.NEW_READERS_PER_NETWORK):
        cookie_less_vote(SCRIPT_ADDRESS)
    assert cookie_less_vote(f"::ffff:{SCRIPT_ADDRESS}").status_code == 429
    assert Vote.objects.filter(page=page).count() == feedback.NEW_READERS_PER_NETWORK


def test_changing_an_answer_uses_no_network_allowance(make_page):
    page = make_page()
    readers = [browser_client(REMOTE_ADDR=HOSPITAL_ADDRESS) for _ in range(10)]
    for reader in readers:
        reader.post(VOTE_URL, {"useful": "yes"})
    for reader in readers:
        assert reader.post(VOTE_URL, {"useful": "no"}).status_code == 302
    assert list(Vote.objects.filter(page=page).values_list("is_useful", flat=True)) == [False] * 10


def test_cookie_less_vote_makes_no_session_and_can_be_changed(make_page):
    page = make_page()
    reader = browser_client()
    response = reader.post(VOTE_URL, {"useful": "yes"})
    assert response.status_code == 302
    assert settings.SESSION_COOKIE_NAME not in response.cookies
    assert not Session.objects.exists()
    assert VOTER_COOKIE in response.cookies
    assert response.cookies[VOTER_COOKIE]["httponly"]
    reader.post(VOTE_URL, {"useful": "no"})
    assert list(Vote.objects.filter(page=page).values_list("is_useful", flat=True)) == [False]
    assert not Session.objects.exists()


@pytest.mark.parametrize("data", [{}, {"useful": "maybe"}])
def test_invalid_vote_leaves_nothing_behind(make_page, data):
    make_page()
    response = browser_client().post(VOTE_URL, data)
    assert response.status_code == 400
    assert not response.cookies
    assert not Session.objects.exists()
    assert not VoteAllowance.objects.exists()
    assert not Vote.objects.exists()


def test_refused_vote_leaves_nothing_behind(cookie_less_vote, make_page):
    make_page()
    for _ in range(feedback.NEW_READERS_PER_NETWORK):
        cookie_less_vote(SCRIPT_ADDRESS)
    allowances = list(VoteAllowance.objects.values_list("name", "used", "expires_at"))
    response = cookie_less_vote(SCRIPT_ADDRESS)
    assert response.status_code == 429
    assert VOTER_COOKIE not in response.cookies
    assert settings.SESSION_COOKIE_NAME not in response.cookies
    assert not Session.objects.exists()
    assert list(VoteAllowance.objects.values_list("name", "used", "expires_at")) == allowances


def test_vote_then_log_in_leaves_one_vote_the_users(make_page, make_user):
    page = make_page()
    user = make_user("patient")
    browser = browser_client()
    browser.post(VOTE_URL, {"useful": "no"})
    response = browser.post("/accounts/login/", {"username": "patient", "password": PASSWORD})
    assert response.status_code == 302
    assert list(Vote.objects.values_list("page_id", "voter_key", "is_useful")) == [
        (page.pk, f"user:{user.pk}", False)
    ]
    browser.post(VOTE_URL, {"useful": "yes"})
    assert list(Vote.objects.values_list("voter_key", "is_useful")) == [(f"user:{user.pk}", True)]


def test_vote_with_a_session_then_log_in_leaves_one_vote_the_users(make_page, make_user):
    page = make_page()
    user = make_user("patient")
    browser = browser_client()
    browser.session.save()
    browser.post(VOTE_URL, {"useful": "yes"})
    browser.force_login(user)  # a new session key, as at every log-in
    assert list(Vote.objects.values_list("page_id", "voter_key")) == [(page.pk, f"user:{user.pk}")]


def test_vote_then_force_login_then_vote_leaves_one_vote(make_page, make_user):
    page = make_page()
    user = make_user("patient")
    browser = browser_client()
    browser.post(VOTE_URL, {"useful": "yes"})
    browser.force_login(user)
    response = browser.post(VOTE_URL, {"useful": "no"})
    assert list(Vote.objects.filter(page=page).values_list("voter_key", "is_useful")) == [
        (f"user:{user.pk}", False)
    ]
    assert response.cookies[VOTER_COOKIE].value == ""  # the browser forgets it


def test_log_in_keeps_the_latest_answer_when_both_had_voted(make_page, make_user):
    page = make_page()
    other = make_page("IL-21")
    user = make_user("patient")
    record_vote(page, True, voter_key=f"user:{user.pk}")
    record_vote(other, True, voter_key=f"user:{user.pk}")
    browser = browser_client()
    browser.post(VOTE_URL, {"useful": "no"})  # later than the user's own answer
    Vote.objects.filter(page=other, voter_key=f"user:{user.pk}").update(
        updated_at=timezone.now() + datetime.timedelta(minutes=1)
    )
    browser.post("/wiki/IL-21/vote/", {"useful": "no"})  # older than the user's
    browser.post("/accounts/login/", {"username": "patient", "password": PASSWORD})
    assert sorted(Vote.objects.values_list("page__title", "voter_key", "is_useful")) == [
        ("IL-21", f"user:{user.pk}", True),
        ("Interleukin-2", f"user:{user.pk}", False),
    ]


def test_logged_in_users_are_not_capped_by_their_address(cookie_less_vote, make_page, make_user):
    page = make_page()
    for _ in range(feedback.NEW_READERS_PER_NETWORK):
        cookie_less_vote(SCRIPT_ADDRESS)
    browser = browser_client(REMOTE_ADDR=SCRIPT_ADDRESS)
    browser.force_login(make_user("moderator", moderator=True))
    assert browser.post(VOTE_URL, {"useful": "yes"}).status_code == 302
    assert Vote.objects.filter(page=page).count() == feedback.NEW_READERS_PER_NETWORK + 1


def database_text() -> str:
    """Every value in every table of the database, as one string."""
    values = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            values.extend(str(value) for row in cursor.fetchall() for value in row)
    return "\n".join(values)


def test_no_raw_address_user_agent_or_cookie_token_in_any_table(make_page):
    make_page()
    make_page("IL-21")
    address, user_agent = "81.2.69.142", "KCR-Test-Agent/7.3 (distinctive)"
    tokens = []
    for url in (VOTE_URL, "/wiki/IL-21/vote/"):
        for _ in range(3):
            reader = browser_client(REMOTE_ADDR=address, HTTP_USER_AGENT=user_agent)
            tokens.append(cookie_token(reader.post(url, {"useful": "yes"})))
            reader.post(url, {"useful": "no"})
    ipv6 = "2001:db8:77:1::42"
    browser_client(REMOTE_ADDR=ipv6, HTTP_USER_AGENT=user_agent).post(VOTE_URL, {"useful": "no"})
    assert Vote.objects.count() == 7
    stored = database_text()
    for secret in (address, user_agent, ipv6, "2001:db8:77:1::", *tokens):
        assert secret not in stored


def test_session_key_of_a_voter_is_stored_only_in_the_session_store(make_page):
    make_page()
    reader = browser_client(REMOTE_ADDR="81.2.69.142")
    session = reader.session
    reader.post(VOTE_URL, {"useful": "yes"})
    assert Vote.objects.count() == 1
    Session.objects.all().delete()  # the store itself must hold the key
    assert session.session_key not in database_text()


def test_network_allowance_is_shared_by_two_servers_without_redis(tmp_path):
    # Two gunicorn servers of two workers each, on one machine, over one
    # SQLite file and no Redis: four processes, four local-memory caches.
    environment = {
        key: value for key, value in os.environ.items() if key not in {"REDIS_URL", "DATABASE_URL"}
    }
    database = tmp_path / "wiki.sqlite3"
    environment.update(
        {
            "DATABASE_URL": f"sqlite:///{database}",
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": "votes-two-servers-test-only-secret-0123456789",
            "DJANGO_HTTPS": "0",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            # Both servers behind one proxy at this address: the votes' origin.
            "DJANGO_SITE_URL": "http://wiki.test",
            "DJANGO_LOG_LEVEL": "WARNING",
        }
    )
    manage = [sys.executable, "manage.py"]
    run = functools.partial(
        subprocess.run, cwd=BASE_DIR, env=environment, check=True, timeout=120, capture_output=True
    )
    run([*manage, "migrate", "--noinput"])
    run(
        [
            *manage,
            "shell",
            "-c",
            "from wiki.services import save_page; save_page('Interleukin-2', 'Text.')",
        ]
    )
    servers = [Server(environment, tmp_path / f"server-{name}.log") for name in ("a", "b")]
    try:
        for server in servers:
            server.wait_until_ready()
        statuses = []
        for number in range(40):
            server = servers[number % 2]
            status, headers, _body = Browser().request(
                server.url + VOTE_URL, {"useful": "no"}, headers={"Origin": "http://wiki.test"}
            )
            statuses.append(status)
    finally:
        for server in servers:
            server.stop()
    with sqlite3.connect(database) as stored:
        (counted,) = stored.execute("SELECT COUNT(*) FROM wiki_vote").fetchone()
    assert counted == statuses.count(302) == feedback.NEW_READERS_PER_NETWORK
    assert statuses.count(429) == 40 - counted
