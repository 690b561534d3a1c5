"""A page of search results costs a fixed number of SQL queries, however
many pages match and whether or not a redirect's title matches."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

# Titles and redirect targets, ranked ids, the pages shown. On PostgreSQL the
# titles and the redirect targets are one round trip; SQLite asks for the
# title hits and then for the matching redirects, their links and targets.
BUDGET = 3 if connection.vendor == "postgresql" else 6


@pytest.fixture
def pages(client, make_page):
    make_page("Interleukin-2", "Interleukin-2 is an immune messenger, sold as Proleukin.")
    make_page("Proleukin", "#REDIRECT [[Interleukin-2]]")
    make_page("Aldesleukin", "#REDIRECT [[Interleukin-2]]")
    make_page("Proleukin Dosing", "How a dose of Proleukin is given in hospital.")
    for number in range(30):
        make_page(f"Leaflet {number}", f"Leaflet {number} mentions Proleukin once.")
    # What every page reads once and then caches (the disclaimer) is not
    # search's.
    client.get("/search/")


def test_search_through_a_redirect_title_within_budget(
    client, pages, django_assert_max_num_queries
):
    with django_assert_max_num_queries(BUDGET):
        response = client.get("/search/?q=proleukin&fulltext=1")
    assert "(redirect from Proleukin)" in response.text
    assert "More than" not in response.text
    assert "32 pages found" in response.text


def test_search_for_text_only_words_within_budget(client, pages, django_assert_max_num_queries):
    # No title matches or comes close, so "Did you mean" asks once more.
    with django_assert_max_num_queries(BUDGET + 1):
        response = client.get("/search/?q=mentions+once&fulltext=1")
    assert "30 pages found" in response.text


def test_misspelt_search_offers_a_close_title_within_budget(
    client, pages, django_assert_max_num_queries
):
    # Nothing matches; the close titles come with whether their page exists.
    with django_assert_max_num_queries(BUDGET):
        response = client.get("/search/?q=proleukn&fulltext=1")
    assert "No pages found" in response.text
    assert 'Did you mean <a href="/wiki/Proleukin/">Proleukin</a>' in response.text


def _queries_of(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert "30 pages found" in response.text
    return len(queries.captured_queries)


def test_search_asks_once_whether_the_query_names_a_page(client, pages):
    # Without ``fulltext`` the view first asks whether the query is a page's
    # title in any spelling, or the one title with its match key: one query
    # for both.
    searched = _queries_of(client, "/search/?q=mentions+once&fulltext=1")
    assert _queries_of(client, "/search/?q=mentions+once") == searched + 1
