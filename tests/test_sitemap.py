"""sitemap.xml, robots.txt, /pages/ and the meta description."""

import datetime
import re
from xml.etree import ElementTree

import pytest

from wiki.models import Page

NAMESPACE = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}


@pytest.fixture
def pages(make_page):
    make_page("Main Page", "Welcome.")
    make_page(
        "Interleukin-2",
        "An immune messenger.",
        metadata={"article_date": datetime.date(2009, 5, 14)},
    )
    make_page("Diet", "Eat well.")
    make_page("Proleukin", "#REDIRECT [[Interleukin-2]]")


def sitemap_entries(client):
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    root = ElementTree.fromstring(response.content)  # noqa: S314 (our own response)
    return [
        (
            url.find("sm:loc", NAMESPACE).text,
            getattr(url.find("sm:lastmod", NAMESPACE), "text", None),
        )
        for url in root.findall("sm:url", NAMESPACE)
    ]


def test_sitemap_lists_content_pages_in_order(client, pages):
    locations = [location for location, _ in sitemap_entries(client)]
    assert locations[:3] == [
        "http://testserver/wiki/Diet/",
        "http://testserver/wiki/Interleukin-2/",
        "http://testserver/",
    ]


def test_sitemap_excludes_redirects(client, pages):
    locations = [location for location, _ in sitemap_entries(client)]
    assert not any("Proleukin" in location for location in locations)


def test_sitemap_lastmod_is_current_revision_date(client, pages, make_page):
    make_page("Diet", "Eat well, and drink water.")
    revision = Page.objects.select_related("current_revision").get(title="Diet").current_revision
    entries = dict(sitemap_entries(client))
    assert entries["http://testserver/wiki/Diet/"] == revision.date_created.strftime("%Y-%m-%d")


def test_sitemap_lists_article_years(client, pages):
    locations = [location for location, _ in sitemap_entries(client)]
    assert "http://testserver/articles/" in locations
    assert "http://testserver/articles/2009/" in locations


def test_robots_txt_names_sitemap_and_disallows_private_urls(client, db):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    lines = response.text.splitlines()
    assert "Sitemap: http://testserver/sitemap.xml" in lines
    for path in [
        "/wiki/*/edit/",
        "/wiki/*/history/",
        "/wiki/*/diff/",
        "/wiki/*/revisions/",
        "/search/",
    ]:
        assert f"Disallow: {path}" in lines
    assert "Disallow: /" not in lines


def test_all_pages_are_alphabetical(client, make_page):
    for title in ["banana", "Apple", "cherry"]:
        make_page(title, "Fruit.")
    response = client.get("/pages/")
    assert response.status_code == 200
    titles = re.findall(r'<li><a href="/wiki/[^"]+/">([^<]+)</a></li>', response.text)
    assert titles == ["Apple", "banana", "cherry"]


def test_all_pages_marks_redirects(client, pages):
    response = client.get("/pages/")
    assert 'href="/wiki/Proleukin/?redirect=no">Proleukin</a> (redirect to' in response.text


def test_all_pages_is_paginated(client, make_page):
    for number in range(105):
        make_page(f"Page {number:03d}", "Text.")
    first = client.get("/pages/")
    assert "Page 099" in first.text
    assert "Page 100" not in first.text
    second = client.get("/pages/?page=2")
    assert "Page 100" in second.text
    assert client.get("/pages/?page=nonsense").status_code == 200


def test_meta_description_from_first_paragraph(client, make_page):
    make_page(
        "Diet",
        "# Diet\n\nEating **well** helps <em>many</em> patients & carers. " + "More words. " * 30,
    )
    response = client.get("/wiki/Diet/")
    content = re.search(r'<meta name="description" content="([^"]*)">', response.text).group(1)
    assert content.startswith("Eating well helps many patients &amp; carers. More words.")
    assert content.endswith("…")
    assert len(content) <= 170


def test_meta_description_falls_back_for_empty_page(client, make_page):
    make_page("Blank", "")
    response = client.get("/wiki/Blank/")
    assert '<meta name="description" content="Plain-English information' in response.text


def test_page_view_with_description_stays_within_budget(
    client, make_page, django_assert_max_num_queries
):
    make_page("Diet", "Eat well. [[Sleep]] too.")
    client.get("/wiki/Diet/")
    with django_assert_max_num_queries(4):
        response = client.get("/wiki/Diet/")
    assert 'content="Eat well. Sleep too."' in response.text


def test_redirect_page_itself_has_the_site_description(client, pages):
    response = client.get("/wiki/Proleukin/?redirect=no")
    assert 'content="REDIRECT' not in response.text
    assert '<meta name="description" content="Plain-English information' in response.text


def test_followed_redirect_describes_the_target(client, pages):
    response = client.get("/wiki/Proleukin/")
    assert '<meta name="description" content="An immune messenger.">' in response.text
