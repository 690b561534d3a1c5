"""The view beacon: with caching proxies (settings.PURGE_URLS) an anonymous
page the proxies may keep counts no view itself; it carries a hidden 1x1
image, /wiki/<Title>/seen.gif, whose every fetch counts one view. Without
proxies a page counts itself, as always, and carries no beacon."""

import re

import pytest

from tests.proxies import PurgeRecorder
from wiki.models import PageViewDay
from wiki.page_views import VIEW_BEACON_GIF, flush_page_views

BEACON = re.compile(r'<img src="(/wiki/[^"]+/seen\.gif)" alt="" width="1" height="1" hidden>')


def views_of(page):
    return sum(PageViewDay.objects.filter(page=page).values_list("views", flat=True))


@pytest.fixture
def proxies(settings):
    """A purged proxy (a server recording the bans the app sends)."""
    recorder = PurgeRecorder()
    settings.PURGE_URLS = [recorder.url]
    settings.SITE_URL = "https://kcr.example.org"
    yield recorder
    recorder.stop()


def beacon_of(response) -> str:
    found = BEACON.findall(response.content.decode())
    assert len(found) == 1, "the page does not carry exactly one view beacon"
    return found[0]


def test_without_proxies_a_page_counts_itself_and_has_no_beacon(client, make_page):
    page = make_page()
    response = client.get("/wiki/Interleukin-2/")
    assert response.status_code == 200
    assert "seen.gif" not in response.content.decode()
    flush_page_views()
    assert views_of(page) == 1


def test_without_proxies_a_beacon_fetch_counts_nothing(client, make_page):
    page = make_page()
    response = client.get("/wiki/Interleukin-2/seen.gif")
    assert response.status_code == 200
    flush_page_views()
    assert views_of(page) == 0


def test_with_proxies_a_page_counts_nothing_itself_and_carries_the_beacon(
    proxies, client, make_page
):
    page = make_page()
    response = client.get("/wiki/Interleukin-2/")
    assert beacon_of(response) == "/wiki/Interleukin-2/seen.gif"
    flush_page_views()
    assert views_of(page) == 0


def test_with_proxies_each_beacon_fetch_counts_one_view(proxies, client, make_page):
    page = make_page()
    beacon = beacon_of(client.get("/wiki/Interleukin-2/"))
    client.get(beacon)
    client.get(beacon)
    flush_page_views()
    assert views_of(page) == 2
    assert PageViewDay.objects.count() == 1


def test_beacon_is_a_transparent_gif_that_nothing_keeps(proxies, client, make_page):
    make_page()
    response = client.get("/wiki/Interleukin-2/seen.gif")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/gif"
    assert response.content == VIEW_BEACON_GIF
    assert response["Cache-Control"] == "no-store, private"
    for header in ("ETag", "Last-Modified", "Surrogate-Control", "KCR-Pages", "Set-Cookie"):
        assert header not in response, header


def test_beacon_of_a_redirect_counts_the_page_shown(proxies, client, make_page):
    target = make_page("Interleukin-2")
    redirect = make_page("Proleukin", "#REDIRECT [[Interleukin-2]]")
    beacon = beacon_of(client.get("/wiki/Proleukin/"))
    assert beacon == "/wiki/Interleukin-2/seen.gif"
    client.get(beacon)
    flush_page_views()
    assert views_of(target) == 1
    assert views_of(redirect) == 0


def test_beacon_of_the_redirect_page_itself_counts_the_redirect_page(proxies, client, make_page):
    make_page("Interleukin-2")
    redirect = make_page("Proleukin", "#REDIRECT [[Interleukin-2]]")
    client.get(beacon_of(client.get("/wiki/Proleukin/?redirect=no")))
    flush_page_views()
    assert views_of(redirect) == 1


def test_main_page_carries_its_beacon(proxies, client, make_page):
    page = make_page("Main Page")
    client.get(beacon_of(client.get("/")))
    flush_page_views()
    assert views_of(page) == 1


def test_with_proxies_a_logged_in_page_counts_itself_and_has_no_beacon(
    proxies, reader_client, make_page
):
    page = make_page()
    response = reader_client.get("/wiki/Interleukin-2/")
    assert response.status_code == 200
    assert "seen.gif" not in response.content.decode()
    flush_page_views()
    assert views_of(page) == 1


def test_a_revalidated_page_keeps_its_beacon_and_counts_nothing_itself(proxies, client, make_page):
    page = make_page()
    first = client.get("/wiki/Interleukin-2/")
    beacon_of(first)
    again = client.get("/wiki/Interleukin-2/", headers={"If-None-Match": first["ETag"]})
    assert again.status_code == 304
    flush_page_views()
    assert views_of(page) == 0


def test_page_with_and_without_proxies_has_different_etags(settings, client, make_page):
    make_page()
    without = client.get("/wiki/Interleukin-2/")
    recorder = PurgeRecorder()
    try:
        settings.PURGE_URLS = [recorder.url]
        with_proxies = client.get("/wiki/Interleukin-2/")
    finally:
        recorder.stop()
    assert without["ETag"] != with_proxies["ETag"]
    assert "seen.gif" in with_proxies.content.decode()


def test_beacon_of_an_unknown_page_is_a_small_404(proxies, client, db):
    response = client.get("/wiki/No_Such_Page/seen.gif")
    assert response.status_code == 404
    assert len(response.content) < 100
    assert flush_page_views() == 0


@pytest.mark.parametrize("slug", ["..", "%00", "%FF", "a%0Ab", "%20", "x" * 300])
def test_beacon_of_an_impossible_title_is_a_404(proxies, client, db, slug):
    assert client.get(f"/wiki/{slug}/seen.gif").status_code == 404


@pytest.mark.parametrize("method", ["post", "head", "put", "delete"])
def test_beacon_answers_only_get(proxies, client, make_page, method):
    page = make_page()
    response = getattr(client, method)("/wiki/Interleukin-2/seen.gif")
    assert response.status_code == 405
    flush_page_views()
    assert views_of(page) == 0


def test_beacon_looks_the_page_up_in_one_query(
    proxies, client, make_page, django_assert_max_num_queries
):
    make_page()
    with django_assert_max_num_queries(1):
        assert client.get("/wiki/interleukin-2/seen.gif").status_code == 200
