"""The anonymous read path stays within 4 SQL queries, warm cache or cold,
for every kind of page a reader can land on."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from wiki import page_views
from wiki.models import Page, PageViewDay
from wiki.views.reading import PAGE_VIEW_SQL

BUDGET = 4


@pytest.fixture
def articles(make_page):
    make_page("IL-21", "Text about [[Interleukin-2]].")
    make_page(
        "Interleukin-2",
        "# Interleukin-2\n\nSee [[IL-21]], [[High Dose Interleukin-2]] and [[Missing page]].",
        crosslinks=[
            {"kind": "related", "target_title": "High Dose Interleukin-2"},
            {"kind": "see", "target_title": "IL-21"},
        ],
    )
    make_page("High Dose Interleukin-2", "Dose text.")
    make_page("Proleukin", "#REDIRECT [[Interleukin-2]]")
    make_page("Aldesleukin", "#REDIRECT [[Proleukin]]")
    make_page("Lost", "#REDIRECT [[Nowhere]]")
    make_page("Main Page", "Welcome. Read [[Interleukin-2]].")


def view(client, url, budget_check, *, cold):
    if cold:
        cache.clear()
    with budget_check(BUDGET):
        response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("cold", [True, False], ids=["cold", "warm"])
def test_page_view_within_budget(client, articles, django_assert_max_num_queries, cold):
    client.get("/wiki/Interleukin-2/")
    html = view(client, "/wiki/Interleukin-2/", django_assert_max_num_queries, cold=cold)
    assert "wikilink new" in html  # the missing page is marked
    assert "High Dose Interleukin-2" in html


@pytest.mark.parametrize("cold", [True, False], ids=["cold", "warm"])
def test_redirect_view_within_budget(client, articles, django_assert_max_num_queries, cold):
    client.get("/wiki/Proleukin/")
    html = view(client, "/wiki/Proleukin/", django_assert_max_num_queries, cold=cold)
    assert "Redirected from" in html
    assert "See " in html


@pytest.mark.parametrize("cold", [True, False], ids=["cold", "warm"])
def test_redirect_to_missing_page_within_budget(
    client, articles, django_assert_max_num_queries, cold
):
    client.get("/wiki/Lost/")
    html = view(client, "/wiki/Lost/", django_assert_max_num_queries, cold=cold)
    assert "does not exist" in html


@pytest.mark.parametrize("cold", [True, False], ids=["cold", "warm"])
def test_double_redirect_within_budget(client, articles, django_assert_max_num_queries, cold):
    client.get("/wiki/Aldesleukin/")
    html = view(client, "/wiki/Aldesleukin/", django_assert_max_num_queries, cold=cold)
    assert "which is itself a redirect" in html


@pytest.mark.parametrize("cold", [True, False], ids=["cold", "warm"])
def test_main_page_within_budget(client, articles, django_assert_max_num_queries, cold):
    client.get("/")
    html = view(client, "/", django_assert_max_num_queries, cold=cold)
    assert "Welcome." in html


def test_redirect_to_a_page_the_link_table_lacks_is_still_followed(client, make_page):
    """The link table is the fast path; a page written around the services
    (no link row) is still found, with one query more."""
    from wiki.models import Link, Page

    make_page("Interleukin-2", "The real page.")
    make_page("Proleukin", "#REDIRECT [[Interleukin-2]]")
    Link.objects.filter(source=Page.objects.get(title="Proleukin")).delete()
    html = client.get("/wiki/Proleukin/").content.decode()
    assert "The real page." in html


@pytest.mark.redis
def test_page_view_goes_to_redis_not_the_database(client, articles):
    page_views._redis().delete(cache.make_key(page_views.PENDING_KEY))
    client.get("/wiki/Interleukin-2/")
    with CaptureQueriesContext(connection) as queries:
        for _ in range(3):
            client.get("/wiki/Interleukin-2/")
    writes = [
        query["sql"]
        for query in queries
        if query["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]
    assert writes == []
    page_views.push_local_views()
    pending = page_views._redis().hgetall(cache.make_key(page_views.PENDING_KEY))
    assert sum(int(views) for views in pending.values()) == 4
    assert not PageViewDay.objects.exists()


def shared_copy(response):
    return cache.get("wiki:page-view:" + response["ETag"].strip('"'))


def test_page_rendered_for_one_reader_is_kept_for_the_next_in_the_shared_cache(
    client, articles, django_assert_num_queries
):
    first = client.get("/wiki/Proleukin/")
    assert shared_copy(first) == first.content
    with django_assert_num_queries(1):
        again = Client().get("/wiki/Proleukin/")
    assert again.content == first.content


def test_page_under_a_made_up_query_string_is_not_kept(client, articles):
    response = client.get("/wiki/Interleukin-2/?utm_source=x1")
    assert response.status_code == 200
    assert shared_copy(response) is None
    assert shared_copy(client.get("/wiki/Proleukin/?redirect=no")) is not None


def test_page_view_query_loads_every_field_a_page_shows(make_page):
    # The page view's SQL is written out: a field added to Page but not to
    # that SQL would be fetched by one more query on every view.
    make_page("Interleukin-2", "Text.")
    (page,) = Page.objects.raw(PAGE_VIEW_SQL, ["interleukin-2", "interleukin-2"])
    assert page.get_deferred_fields() == {"search_vector"}


@pytest.mark.postgres
def test_page_view_query_is_prepared_on_postgresql(client, articles):
    for _ in range(4):
        assert client.get("/wiki/Interleukin-2/").status_code == 200
        cache.clear()  # each view asks the database again
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [statement for (statement,) in cursor.fetchall()]
    assert any("FROM wiki_page page" in statement for statement in prepared)
