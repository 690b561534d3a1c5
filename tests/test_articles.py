"""Article metadata on the page, and the year indexes."""

import datetime
import re

import pytest
from django.core.management import call_command

from wiki.models import Page


def article(make_page, title, date, body=None, **metadata):
    body = body or f"{title} is a treatment. It has a second sentence."
    return make_page(title, body, metadata={"article_date": date, **metadata})


@pytest.fixture
def articles(make_page):
    article(make_page, "Interleukin-2", datetime.date(2009, 5, 14))
    article(make_page, "Everolimus", datetime.date(2009, 4, 6))
    article(make_page, "Pazopanib", datetime.date(2009, 10, 19))
    article(make_page, "Sunitinib", datetime.date(2007, 2, 12))
    article(make_page, "Sorafenib", datetime.date(2008, 3, 10))
    make_page("Undated", "Not an article.")
    make_page(
        "Proleukin",
        "#REDIRECT [[Interleukin-2]]",
        metadata={"article_date": datetime.date(2009, 1, 1)},
    )


def test_article_page_links_its_source(client, make_page):
    article(
        make_page,
        "Interleukin-2",
        datetime.date(2009, 5, 14),
        source_url="https://www.cancer.gov/about-cancer/treatment/drugs/aldesleukin",
        source_name="National Cancer Institute: Aldesleukin",
    )
    response = client.get("/wiki/Interleukin-2/")
    assert "To view the original of this article:" in response.text
    assert (
        '<a href="https://www.cancer.gov/about-cancer/treatment/drugs/aldesleukin" '
        'rel="nofollow noopener">National Cancer Institute: Aldesleukin</a>'
    ) in response.text


def test_article_page_links_its_year(client, make_page):
    article(make_page, "Interleukin-2", datetime.date(2009, 5, 14))
    response = client.get("/wiki/Interleukin-2/")
    assert '<a href="/articles/2009/">All 2009 articles</a>' in response.text


def test_page_without_date_shows_no_article_links(client, make_page):
    make_page("Diet", "Eat well.")
    response = client.get("/wiki/Diet/")
    assert "All " not in response.text.split('class="page-body"')[1].split("</article>")[0]
    assert "To view the original" not in response.text


def test_unsafe_source_url_is_not_linked(client, make_page):
    article(
        make_page,
        "Trap",
        datetime.date(2009, 5, 14),
        source_url="javascript:alert(1)",
        source_name="Click me",
    )
    response = client.get("/wiki/Trap/")
    assert "javascript:" not in response.text
    assert "Source: Click me" in response.text


def test_article_page_view_stays_within_query_budget(
    client, make_page, django_assert_max_num_queries
):
    article(
        make_page,
        "Interleukin-2",
        datetime.date(2009, 5, 14),
        source_url="https://example.org/il2",
        source_name="Example",
    )
    client.get("/wiki/Interleukin-2/")
    with django_assert_max_num_queries(4):
        response = client.get("/wiki/Interleukin-2/")
    assert response.status_code == 200


def test_year_index_lists_years_newest_first_with_counts(client, articles):
    response = client.get("/articles/")
    assert response.status_code == 200
    years = re.findall(r'<a href="/articles/(\d{4})/">\d{4}</a> \((\d+) articles?\)', response.text)
    assert years == [("2009", "3"), ("2008", "1"), ("2007", "1")]


def test_year_index_never_counts_redirects(client, make_page):
    make_page("Proleukin", "#REDIRECT [[X]]", metadata={"article_date": datetime.date(2011, 1, 1)})
    response = client.get("/articles/")
    assert "2011" not in response.text


def test_year_lists_articles_by_date(client, articles):
    response = client.get("/articles/2009/")
    assert response.status_code == 200
    titles = re.findall(r'<a href="/wiki/[^"]+/">([^<]+)</a>', response.text.split("<h1>")[1])
    assert titles == ["Everolimus", "Interleukin-2", "Pazopanib"]


def test_year_groups_articles_by_month(client, articles):
    response = client.get("/articles/2009/")
    months = re.findall(r"<h2>(\w+ \d{4})</h2>", response.text)
    assert months == ["April 2009", "May 2009", "October 2009"]


def test_year_shows_date_and_first_sentence(client, articles):
    response = client.get("/articles/2009/")
    assert '<time datetime="2009-05-14">14 May 2009</time>' in response.text
    assert '<p class="article-summary">Interleukin-2 is a treatment.</p>' in response.text
    assert "second sentence" not in response.text


def test_first_sentence_is_plain_escaped_text(client, make_page):
    article(
        make_page,
        "Trap",
        datetime.date(2009, 1, 2),
        body="**Bold** <script>alert(1)</script> words & [[Link|more]]. Second.",
    )
    response = client.get("/articles/2009/")
    summary = re.search(r'<p class="article-summary">(.*?)</p>', response.text).group(1)
    assert summary == "Bold words &amp; more."


def test_year_never_lists_redirects(client, articles):
    response = client.get("/articles/2009/")
    assert "Proleukin" not in response.text


@pytest.mark.parametrize("url", ["/articles/2011/", "/articles/0/", "/articles/99999999999/"])
def test_year_without_articles_is_404(client, articles, url):
    assert client.get(url).status_code == 404


def test_year_without_slash_redirects(client, articles):
    response = client.get("/articles/2009")
    assert response.status_code == 301
    assert response["Location"] == "/articles/2009/"


def test_loaddemo_makes_dated_articles(db, client):
    call_command("loaddemo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    call_command("loaddemo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    page = Page.objects.get(title="Interleukin-2")
    assert page.article_date.year == 2009
    assert page.source_url.startswith("https://")
    assert page.source_name
    years = {page.article_date.year for page in Page.objects.articles()}
    assert {2007, 2008, 2009, 2010} <= years
    assert client.get("/articles/2009/").status_code == 200
