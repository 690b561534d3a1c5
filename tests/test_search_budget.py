"""A page of search results costs a fixed number of SQL queries, however
many pages match and whether or not a redirect's title matches."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

# Titles and redirect targets, ranked ids, the pages shown. On PostgreSQL the
# titles, the redirect targets and whether the query names a page are one
# round trip, and the ranking, the rows of the pages shown and the titles for
# "Did you mean" another; SQLite asks for the title hits and then for the
# matching redirects, their links and targets, and for the pages shown apart.
POSTGRESQL = connection.vendor == "postgresql"
BUDGET = 2 if POSTGRESQL else 6


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
    # No title matches or comes close, so "Did you mean" asks once more (on
    # PostgreSQL in the same message as the ranking).
    with django_assert_max_num_queries(BUDGET if POSTGRESQL else BUDGET + 1):
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
    # for both, which PostgreSQL sends with the title hits.
    searched = _queries_of(client, "/search/?q=mentions+once&fulltext=1")
    expected = searched if POSTGRESQL else searched + 1
    assert _queries_of(client, "/search/?q=mentions+once") == expected


def test_a_later_page_of_results_within_budget(client, pages, django_assert_max_num_queries):
    with django_assert_max_num_queries(BUDGET):
        response = client.get("/search/?q=proleukin&fulltext=1&page=2")
    assert response.text.count('class="search-result"') == 12
    assert '<ol class="search-results" start="21">' in response.text


@pytest.mark.parametrize("number", ["99", "0", "two", "-3"])
def test_a_page_number_the_paginator_corrects_still_shows_its_results(client, pages, number):
    # The rows read with the ranking are for the page asked for; when the
    # paginator shows another (the last, or the first), it reads that one's.
    response = client.get(f"/search/?q=proleukin&fulltext=1&page={number}")
    shown = 20 if number == "two" else 12  # the first page, else the last
    assert response.text.count('class="search-result"') == shown
    assert response.text.count("<mark>") >= shown
