"""A real varnishd with deploy/varnish/default.vcl in front of the live
server, purged by the app (KCR_PURGE_URLS): anonymous readers get pages from
the proxy, and what an edit, a move or a new link target changes is what the
next reader through the proxy sees; logged-in users and POSTs always reach
the app."""

import re
import urllib.parse
import urllib.request
from urllib.parse import urlsplit

import pytest

from tests.edit_data import edit_data
from tests.proxies import REQUEST_SECONDS, Varnish, fetch, requires_varnish
from wiki.models import PageViewDay
from wiki.page_views import VIEW_BEACON_GIF, flush_page_views

pytestmark = [requires_varnish, pytest.mark.usefixtures("plain_static")]


@pytest.fixture
def varnish(live_server, settings, tmp_path):
    proxy = Varnish(tmp_path / "varnish", [("127.0.0.1", urlsplit(live_server.url).port)])
    try:
        proxy.wait_until_ready()
        # The site as readers reach it: through the proxy.
        settings.SITE_URL = proxy.url
        settings.PURGE_URLS = [proxy.url]
        yield proxy
    finally:
        proxy.stop()


def kept(varnish, path):
    """GET ``path`` through the proxy until it comes from the proxy's cache."""
    fetch(varnish.url + path)
    response = fetch(varnish.url + path)
    assert response.status == 200
    assert response.cache == "HIT", f"{path} was not kept: {response.headers}"
    return response


def edit(client, title, body, base_revision=None):
    slug = title.replace(" ", "_")
    data = edit_data(body, base_revision, summary="through the proxy", save="1")
    response = client.post(f"/wiki/{slug}/edit/", data)
    assert response.status_code == 302, "the edit was not saved"


def test_anonymous_page_is_served_from_the_proxy(varnish, make_page):
    make_page("Interleukin-2", "The first text.")
    response = kept(varnish, "/wiki/Interleukin-2/")
    assert "The first text." in response.text
    assert int(response.headers["Age"]) >= 0
    assert "KCR-Pages" not in response.headers
    assert "Surrogate-Control" not in response.headers


def test_edit_is_visible_through_the_proxy_at_once(varnish, make_page, moderator_client):
    page = make_page("Interleukin-2", "The first text.")
    kept(varnish, "/wiki/Interleukin-2/")

    edit(moderator_client, "Interleukin-2", "The second text.", page.current_revision_id)

    after = fetch(varnish.url + "/wiki/Interleukin-2/")
    assert "The second text." in after.text
    assert "The first text." not in after.text
    assert kept(varnish, "/wiki/Interleukin-2/").text == after.text


def test_edit_is_visible_through_a_redirect_to_the_page_at_once(
    varnish, make_page, moderator_client
):
    page = make_page("Interleukin-2", "The first text.")
    make_page("Proleukin", "#REDIRECT [[Interleukin-2]]")
    assert "The first text." in kept(varnish, "/wiki/Proleukin/").text

    edit(moderator_client, "Interleukin-2", "The second text.", page.current_revision_id)

    assert "The second text." in fetch(varnish.url + "/wiki/Proleukin/").text


def test_move_is_visible_through_the_proxy_at_once(varnish, make_page, moderator_client):
    make_page("Old Name", "The moved text.")
    make_page("Kidney Cancer", "See [[Old Name]] and [[New Name]].")
    kept(varnish, "/wiki/Old_Name/")
    linking_before = kept(varnish, "/wiki/Kidney_Cancer/").text
    assert 'class="wikilink new"' in linking_before

    response = moderator_client.post("/wiki/Old_Name/move/", {"new_title": "New Name"})
    assert response.status_code == 302

    old = fetch(varnish.url + "/wiki/Old_Name/")
    assert old.status == 200
    assert "The moved text." in old.text and "Redirected from" in old.text
    assert "The moved text." in fetch(varnish.url + "/wiki/New_Name/").text
    assert 'class="wikilink new"' not in fetch(varnish.url + "/wiki/Kidney_Cancer/").text


def test_new_link_target_turns_the_link_blue_through_the_proxy_at_once(
    varnish, make_page, moderator_client
):
    make_page("Kidney Cancer", "Treatments: [[Interleukin-2]].")
    before = kept(varnish, "/wiki/Kidney_Cancer/")
    assert 'class="wikilink new"' in before.text

    edit(moderator_client, "Interleukin-2", "A new page.")

    after = fetch(varnish.url + "/wiki/Kidney_Cancer/")
    assert 'class="wikilink new"' not in after.text
    assert 'href="/wiki/Interleukin-2/"' in after.text


def test_logged_in_page_is_never_served_from_the_proxy(varnish, make_page, moderator_client):
    make_page("Interleukin-2", "Text.")
    kept(varnish, "/wiki/Interleukin-2/")  # an anonymous copy is there to be wrongly served
    session = moderator_client.cookies["sessionid"].value
    for _ in range(2):
        response = fetch(
            varnish.url + "/wiki/Interleukin-2/", headers={"Cookie": f"sessionid={session}"}
        )
        assert response.status == 200
        assert response.cache == "PASS"
        assert response.headers["Age"] == "0"
        assert "Signed in as <strong>moderator</strong>" in response.text
        assert "private" in response.headers["Cache-Control"]


def test_vote_through_the_proxy_reaches_the_app_and_the_count_is_current(varnish, make_page):
    make_page("Interleukin-2", "Text.")
    kept(varnish, "/wiki/Interleukin-2/")
    response = fetch(
        varnish.url + "/wiki/Interleukin-2/vote/",
        method="POST",
        data=urllib.parse.urlencode({"useful": "yes"}).encode(),
        headers={"Origin": varnish.url, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status == 302
    after = fetch(varnish.url + "/wiki/Interleukin-2/")
    assert re.search(r"<span data-vote-total>1</span> vote\)", after.text)


def test_made_up_query_string_is_not_kept(varnish, make_page):
    make_page("Interleukin-2", "Text.")
    for _ in range(2):
        response = fetch(varnish.url + "/wiki/Interleukin-2/?utm_source=mail")
        assert response.status == 200
        assert response.cache == "PASS"


def test_ban_that_is_not_a_list_of_page_ids_is_refused(varnish):
    response = fetch(varnish.url + "/", method="BAN", headers={"KCR-Ban": "pages 1|.*"})
    assert response.status == 400


def fetch_image(url: str):
    """GET an image (bytes, not text): ``(status, headers, body)``."""
    with urllib.request.urlopen(url, timeout=REQUEST_SECONDS) as response:  # noqa: S310
        return response.status, response.headers, response.read()


def test_views_served_from_the_proxy_are_counted_by_their_beacons(varnish, make_page):
    page = make_page("Interleukin-2", "Text.")
    first = fetch(varnish.url + "/wiki/Interleukin-2/")
    second = fetch(varnish.url + "/wiki/Interleukin-2/")
    assert second.cache == "HIT"
    for response in (first, second):
        beacon = re.search(r'<img src="(/wiki/[^"]+/seen\.gif)"', response.text).group(1)
        status, headers, body = fetch_image(varnish.url + beacon)
        assert status == 200
        assert headers["X-Cache"] == "PASS"
        assert headers["Cache-Control"] == "no-store, private"
        assert body == VIEW_BEACON_GIF
    flush_page_views()
    assert sum(PageViewDay.objects.filter(page=page).values_list("views", flat=True)) == 2
