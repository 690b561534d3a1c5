"""Conditional GET (ETag, Last-Modified), Cache-Control for shared proxies,
and WhiteNoise's far-future caching of hashed static files."""

import time

import pytest
from django.core.management import call_command
from django.templatetags.static import static
from django.utils.http import http_date

from tests.clients import browser_client
from wiki.services import save_page

URL = "/wiki/Interleukin-2/"


@pytest.fixture
def il2(make_page):
    return make_page("Interleukin-2", "IL-2 text. See [[IL-21]].")


def wait_for_last_modified(client, url=URL):
    """A page's date is given once the second it was first seen has passed."""
    for _ in range(30):
        response = client.get(url)
        if response.has_header("Last-Modified"):
            return response
        time.sleep(0.1)
    raise AssertionError("no Last-Modified within 3 seconds")


def test_anonymous_page_is_publicly_cacheable_briefly(client, il2):
    response = client.get(URL)
    assert response.status_code == 200
    cache_control = response["Cache-Control"]
    assert "public" in cache_control
    assert "s-maxage=60" in cache_control  # proxies: a minute
    assert "max-age=0" in cache_control  # browsers: ask again, with the ETag
    assert "Cookie" in response["Vary"]
    assert response.has_header("ETag")
    assert not response.cookies  # nothing tied to this reader


def test_unchanged_page_answers_304_to_if_none_match(client, il2):
    etag = client.get(URL)["ETag"]
    response = client.get(URL, headers={"If-None-Match": etag})
    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == etag
    assert "public" in response["Cache-Control"]


def test_edit_changes_the_etag(client, il2):
    etag = client.get(URL)["ETag"]
    save_page("Interleukin-2", "New IL-2 text.", summary="edit")
    response = client.get(URL, headers={"If-None-Match": etag})
    assert response.status_code == 200
    assert "New IL-2 text." in response.content.decode()
    assert response["ETag"] != etag


def test_new_vote_changes_the_etag(client, il2):
    etag = client.get(URL)["ETag"]
    assert browser_client().post(URL + "vote/", {"useful": "yes"}).status_code == 302
    response = client.get(URL, headers={"If-None-Match": etag})
    assert response.status_code == 200
    assert "(<span data-vote-total>1</span> vote)" in response.content.decode()


def test_created_link_target_changes_the_etag(client, il2, make_page):
    etag = client.get(URL)["ETag"]
    make_page("IL-21", "Now it exists.")
    response = client.get(URL, headers={"If-None-Match": etag})
    assert response.status_code == 200
    assert "wikilink new" not in response.content.decode()


def test_edit_of_the_target_changes_the_etag_of_a_redirect(client, il2, make_page):
    make_page("Proleukin", "#REDIRECT [[Interleukin-2]]")
    etag = client.get("/wiki/Proleukin/")["ETag"]
    assert client.get("/wiki/Proleukin/", headers={"If-None-Match": etag}).status_code == 304
    save_page("Interleukin-2", "Target edited.", summary="edit")
    response = client.get("/wiki/Proleukin/", headers={"If-None-Match": etag})
    assert response.status_code == 200
    assert "Target edited." in response.content.decode()


def test_changed_disclaimer_changes_the_etag(client, il2):
    from wiki.disclaimers import add_disclaimer_version

    etag = client.get(URL)["ETag"]
    add_disclaimer_version("A new standing disclaimer.", "Short.")
    response = client.get(URL, headers={"If-None-Match": etag})
    assert response.status_code == 200
    assert "A new standing disclaimer." in response.content.decode()


def test_unchanged_page_answers_304_to_if_modified_since(client, il2):
    last_modified = wait_for_last_modified(client)["Last-Modified"]
    response = client.get(URL, headers={"If-Modified-Since": last_modified})
    assert response.status_code == 304
    later = http_date(time.time() + 60)
    assert client.get(URL, headers={"If-Modified-Since": later}).status_code == 304


def test_if_modified_since_never_hides_a_change(client, il2):
    last_modified = wait_for_last_modified(client)["Last-Modified"]
    # A change within the same second as the date the client holds.
    assert browser_client().post(URL + "vote/", {"useful": "no"}).status_code == 302
    response = client.get(URL, headers={"If-Modified-Since": last_modified})
    assert response.status_code == 200
    assert "(<span data-vote-total>1</span> vote)" in response.content.decode()
    newer = wait_for_last_modified(client)["Last-Modified"]
    assert newer != last_modified
    assert client.get(URL, headers={"If-Modified-Since": newer}).status_code == 304


def test_304_still_counts_the_view(client, il2):
    from wiki.models import PageViewDay
    from wiki.page_views import flush_page_views

    flush_page_views()
    etag = client.get(URL)["ETag"]
    assert client.get(URL, headers={"If-None-Match": etag}).status_code == 304
    flush_page_views()
    assert sum(PageViewDay.objects.values_list("views", flat=True)) == 2


def test_logged_in_page_is_private_and_never_stored(moderator_client, il2):
    response = moderator_client.get(URL)
    assert response.status_code == 200
    assert "Edit this page" in response.content.decode()
    cache_control = response["Cache-Control"]
    assert "private" in cache_control
    assert "no-store" in cache_control
    assert "public" not in cache_control
    assert "Cookie" in response["Vary"]
    assert not response.has_header("ETag")


def test_logged_in_user_never_gets_the_anonymous_304(client, moderator_client, il2):
    etag = browser_client().get(URL)["ETag"]
    response = moderator_client.get(URL, headers={"If-None-Match": etag})
    assert response.status_code == 200
    assert "Log out" in response.content.decode()


def test_page_showing_a_message_is_private_and_not_a_304(client, il2):
    etag = client.get(URL)["ETag"]
    assert client.post(URL + "vote/", {"useful": "yes"}).status_code == 302
    assert client.post(URL + "vote/", {"useful": "no"}).status_code == 302
    response = client.get(URL, headers={"If-None-Match": etag})
    assert response.status_code == 200
    assert "Thank you for your answer" in response.content.decode()
    assert "public" not in response["Cache-Control"]
    assert "no-store" in response["Cache-Control"]
    assert "Cookie" in response["Vary"]
    # The message was shown once; the next view is shareable again.
    assert "public" in client.get(URL)["Cache-Control"]


def test_missing_page_is_not_publicly_cached(client, db):
    response = client.get("/wiki/No_such_page/")
    assert response.status_code == 404
    assert "public" not in response.get("Cache-Control", "")


@pytest.fixture
def collected_static(tmp_path, settings):
    settings.STATIC_ROOT = tmp_path / "static"
    call_command("collectstatic", interactive=False, verbosity=0)
    return settings.STATIC_ROOT


def test_hashed_static_file_is_cached_for_a_year_and_compressed(collected_static):
    hashed_url = static("css/site.css")
    assert hashed_url != "/static/css/site.css"  # a content hash in the name
    client = browser_client()  # a new handler: WhiteNoise reads the collected files
    response = client.get(hashed_url, headers={"Accept-Encoding": "gzip, br"})
    assert response.status_code == 200
    cache_control = response["Cache-Control"]
    assert "max-age=315360000" in cache_control
    assert "immutable" in cache_control
    assert response["Content-Encoding"] in {"gzip", "br"}
    unhashed = client.get("/static/css/site.css")
    assert unhashed.status_code == 200
    assert "immutable" not in unhashed["Cache-Control"]
