"""Every absolute URL and every cache key comes from the site's address
(settings.SITE_URL, DJANGO_SITE_URL), never from the Host header a visitor
sends. Django accepts any letter case, a trailing dot and any port in Host,
so "LOCALHOST", "localhost." and "127.0.0.1:1" must all be served exactly as
the site's own address is. (The start-up side, the derived default and the
deploy check, is in test_settings.py.)"""

import csv
import io
import re
from xml.etree import ElementTree

import pytest
from django.core.cache import cache
from django.test import Client

from wiki import page_views
from wiki.models import Page

# Hosts Django's ALLOWED_HOSTS check lets through for the default
# localhost / 127.0.0.1 entries and the test client's own "testserver".
MADE_UP_HOSTS = ["LOCALHOST", "localhost.", "127.0.0.1:1", "TestServer"]
SITE = "https://kcr.example.org"
CANONICAL_RE = re.compile(r'<link rel="canonical" href="([^"]*)">')
ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP_LOC = "{http://www.sitemaps.org/schemas/sitemap/0.9}loc"


def host_client(host: str) -> Client:
    return Client(HTTP_HOST=host)


def cache_keys() -> set[str]:
    """Every key in the cache the tests use: Redis (django-redis's keys())
    or the local-memory cache, which has no public way to list its keys.
    Without the page-view counts, which a thread pushes to Redis when it
    will (they count views, whatever the host)."""
    keys = set(cache.keys("*")) if hasattr(cache, "keys") else set(cache._cache)
    return {key for key in keys if not key.startswith(page_views.PENDING_KEY)}


def canonical(html: str) -> str:
    return CANONICAL_RE.search(html).group(1)


def feed_links(client) -> list[str]:
    root = ElementTree.fromstring(client.get("/recent-changes/feed/").content)  # noqa: S314
    links = [element.get("href") for element in root.iter(f"{ATOM}link")]
    return links + [element.text for element in root.iter(f"{ATOM}id")]


def sitemap_locations(client) -> list[str]:
    root = ElementTree.fromstring(client.get("/sitemap.xml").content)  # noqa: S314
    return [element.text for element in root.iter(SITEMAP_LOC)]


def robots_sitemap_line(client) -> str:
    lines = client.get("/robots.txt").text.splitlines()
    return next(line for line in lines if line.startswith("Sitemap:"))


@pytest.fixture
def pages(make_page):
    make_page("Main Page", "Welcome.")
    make_page("Interleukin-2", "An immune messenger. See [[IL-21]].")
    make_page("Interleukin-2", "An immune messenger, edited.", summary="second")
    make_page("Proleukin", "#REDIRECT [[Interleukin-2]]")


@pytest.mark.parametrize("host", MADE_UP_HOSTS)
def test_canonical_link_ignores_the_host_header(pages, host):
    response = host_client(host).get("/wiki/Interleukin-2/")
    assert response.status_code == 200
    assert canonical(response.text) == "http://testserver/wiki/Interleukin-2/"
    response = host_client(host).get("/wiki/Proleukin/")
    assert canonical(response.text) == "http://testserver/wiki/Interleukin-2/"
    assert canonical(host_client(host).get("/").text) == "http://testserver/"


@pytest.mark.parametrize("host", MADE_UP_HOSTS)
def test_feed_sitemap_and_robots_urls_ignore_the_host_header(pages, host):
    plain, other = Client(), host_client(host)
    assert feed_links(other) == feed_links(plain)
    assert sitemap_locations(other) == sitemap_locations(plain)
    assert robots_sitemap_line(other) == robots_sitemap_line(plain)
    urls = feed_links(other) + sitemap_locations(other)
    assert all(url.startswith("http://testserver/") for url in urls), urls
    assert robots_sitemap_line(other) == "Sitemap: http://testserver/sitemap.xml"


def test_made_up_hosts_share_one_cached_page_and_etag(pages):
    first = Client().get("/wiki/Interleukin-2/")
    keys = cache_keys()
    for host in MADE_UP_HOSTS:
        response = host_client(host).get("/wiki/Interleukin-2/")
        assert response.status_code == 200
        assert response["ETag"] == first["ETag"]
        assert response.content == first.content
        assert (
            host_client(host)
            .get("/wiki/Interleukin-2/", headers={"If-None-Match": first["ETag"]})
            .status_code
            == 304
        )
    assert cache_keys() == keys


def test_made_up_hosts_share_one_cached_pdf(pages):
    first = Client().get("/wiki/Interleukin-2/pdf/")
    assert first.status_code == 200
    keys = cache_keys()
    for host in MADE_UP_HOSTS:
        response = host_client(host).get("/wiki/Interleukin-2/pdf/")
        assert response.status_code == 200
        assert response.content == first.content
    assert cache_keys() == keys


def test_every_absolute_url_uses_the_site_url(settings, pages, admin_client):
    settings.SITE_URL = SITE
    client = host_client("localhost")
    assert canonical(client.get("/wiki/Interleukin-2/").text) == SITE + "/wiki/Interleukin-2/"
    assert canonical(client.get("/").text) == SITE + "/"
    urls = feed_links(client) + sitemap_locations(client)
    assert urls and all(url.startswith(SITE + "/") for url in urls), urls
    assert SITE + "/recent-changes/feed/" in urls
    assert SITE + "/wiki/Interleukin-2/" in urls
    assert robots_sitemap_line(client) == f"Sitemap: {SITE}/sitemap.xml"
    page = Page.objects.get(title="Interleukin-2")
    response = admin_client.post(
        "/admin/wiki/pagefeedback/",
        {"action": "export_csv", "_selected_action": [page.pk]},
        HTTP_HOST="LOCALHOST",
    )
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[1][:2] == ["Interleukin-2", SITE + "/wiki/Interleukin-2/"]


def test_votes_must_come_from_the_site_urls_origin(settings, pages):
    settings.SITE_URL = SITE
    url = "/wiki/Interleukin-2/vote/"
    # The Host the request names is not the site: its origin is refused.
    response = Client(headers={"Origin": "http://LOCALHOST"}, HTTP_HOST="LOCALHOST").post(
        url, {"useful": "yes"}
    )
    assert response.status_code == 403
    assert not Page.objects.get(title="Interleukin-2").votes.exists()
    response = Client(headers={"Origin": SITE}, HTTP_HOST="localhost").post(url, {"useful": "yes"})
    assert response.status_code == 302
    assert Page.objects.get(title="Interleukin-2").votes.count() == 1
