"""Full-text search, the "Go" jump and title suggestions (both backends)."""

import json
import re

import pytest
from django.core.management import call_command
from django.db import connection

from wiki import search
from wiki.models import Page

IL2_BODY = (
    "Interleukin-2 is an immune messenger. The medicine is sold as Proleukin.\n\n"
    "High doses are given in hospital for kidney cancer."
)


def result_titles(response):
    return re.findall(r'class="search-result-title" href="[^"]*">([^<]*)</a>', response.text)


@pytest.fixture
def pages(make_page):
    make_page("Interleukin-2", IL2_BODY)
    make_page("Proleukin", "#REDIRECT [[Interleukin-2]]")
    make_page("Aldesleukin", "#REDIRECT [[Interleukin-2]]")
    make_page("Kidney Cancer", "An overview of the disease and of its treatment.")
    make_page("Nephrectomy", "Surgery to remove a kidney with cancer in it. Kidney surgery.")
    make_page("Diet", "Eating well during treatment helps many patients feel stronger.")


def test_search_finds_words_in_body(client, pages):
    response = client.get("/search/?q=eating+well")
    assert response.status_code == 200
    assert result_titles(response) == ["Diet"]


def test_search_ranks_title_matches_first(client, pages):
    response = client.get("/search/?q=kidney&fulltext=1")
    titles = result_titles(response)
    assert titles[0] == "Kidney Cancer"
    assert set(titles) == {"Kidney Cancer", "Nephrectomy", "Interleukin-2"}


def test_search_ranks_by_relevance_after_title_matches(client, make_page):
    make_page("Sunitinib", "A pill. Side effects include tiredness.")
    make_page(
        "Tiredness", "Tiredness is common. Tiredness from treatment. Tiredness and rest help."
    )
    make_page("Rest", "Rest helps. Tiredness, tiredness and more tiredness can follow treatment.")
    titles = result_titles(client.get("/search/?q=tiredness&fulltext=1"))
    assert titles == ["Tiredness", "Rest", "Sunitinib"]


def test_search_matches_word_forms(client, pages):
    # "treatments" finds "treatment" (and the other way round).
    titles = result_titles(client.get("/search/?q=treatments"))
    assert "Diet" in titles
    assert "Kidney Cancer" in titles
    assert "Diet" in result_titles(client.get("/search/?q=treatment"))


def test_search_for_redirect_title_finds_target(client, make_page):
    make_page("Interleukin-2", "An immune messenger given in hospital.")
    make_page("Proleukin", "#REDIRECT [[Interleukin-2]]")
    response = client.get("/search/?q=proleukin&fulltext=1")
    assert result_titles(response) == ["Interleukin-2"]
    assert "(redirect from Proleukin)" in response.text


def test_redirect_pages_are_never_results(client, pages):
    titles = result_titles(client.get("/search/?q=aldesleukin&fulltext=1"))
    assert titles == ["Interleukin-2"]


def test_exact_title_goes_straight_to_page(client, pages):
    response = client.get("/search/?q=nephrectomy")
    assert response.status_code == 302
    assert response["Location"] == "/wiki/Nephrectomy/"


def test_exact_redirect_title_goes_to_redirect(client, pages):
    response = client.get("/search/?q=Proleukin")
    assert response.status_code == 302
    assert response["Location"] == "/wiki/Proleukin/"
    page = client.get(response["Location"])
    assert "Redirected from" in page.text
    assert "Interleukin-2" in page.text


def test_fulltext_parameter_skips_the_jump(client, pages):
    response = client.get("/search/?q=Diet&fulltext=1")
    assert response.status_code == 200
    assert result_titles(response) == ["Diet"]


def test_snippet_highlights_words(client, pages):
    response = client.get("/search/?q=hospital")
    assert "<mark>hospital</mark>" in response.text


def test_snippet_escapes_markup_from_body(client, make_page):
    make_page("Trap", "Watch out: `<img src=x onerror=alert(1)>` and <b>bold</b> hospital text.")
    response = client.get("/search/?q=hospital&fulltext=1")
    snippet = re.search(r'<p class="search-snippet">(.*?)</p>', response.text, re.S).group(1)
    assert "<img" not in snippet
    assert "&lt;img src=x onerror=alert(1)&gt;" in snippet
    assert "<b>" not in snippet
    assert "<mark>hospital</mark>" in snippet


def test_snippet_function_never_passes_markup():
    html = search.snippet('<script>alert("x")</script> kidney & <b>', ["kidney"])
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert "<mark>kidney</mark> &amp; &lt;b&gt;" in html


def test_snippet_starts_near_a_late_match():
    text = "word " * 200 + "nephrectomy is surgery " + "word " * 50
    html = search.snippet(text, ["nephrectomy"])
    assert html.startswith("… ")
    assert "<mark>nephrectomy</mark>" in html
    assert len(html) < 400


def test_snippet_of_a_long_text_shows_the_first_match_and_its_neighbours():
    text = "kidney\n\n" + "filler text here. " * 6000 + "A Nephrectomy\n\nthen   rest. " * 3
    html = search.snippet(text + "and more. " * 300, ["nephrectomy"])
    assert html.startswith("… filler text here.") and html.endswith(" …")
    assert html.count("<mark>Nephrectomy</mark>") == 3
    assert "then rest." in html
    assert "\n" not in html and "  " not in html
    assert len(html) < 400


def test_snippet_finds_the_first_word_that_starts_with_a_term_not_a_word_inside_another():
    html = search.snippet("prefix nonsurgery then surgery later", ["surgery"])
    assert "non<mark>" not in html
    assert "then <mark>surgery</mark> later" in html


def test_snippet_finds_a_match_when_lowering_changes_the_texts_length():
    # "İ" lowers to two characters, so positions in the lowered text differ.
    text = "İİ " * 1000 + " then the Nephrectomy itself"
    html = search.snippet(text, ["nephrectomy"])
    assert "the <mark>Nephrectomy</mark> itself" in html


def test_search_is_paginated(client, make_page):
    for number in range(25):
        make_page(f"Topic {number:02d}", "Everyone talks about biomarkers here.")
    first = client.get("/search/?q=biomarkers")
    assert len(result_titles(first)) == 20
    assert "Page 1 of 2" in first.text
    second = client.get("/search/?q=biomarkers&fulltext=1&page=2")
    assert len(result_titles(second)) == 5
    assert not set(result_titles(first)) & set(result_titles(second))


def test_search_page_number_out_of_range_shows_last_page(client, pages):
    response = client.get("/search/?q=kidney&fulltext=1&page=99")
    assert response.status_code == 200
    assert result_titles(response)


def test_empty_search_shows_the_form(client, db):
    response = client.get("/search/")
    assert response.status_code == 200
    assert 'name="q"' in response.text


def test_search_with_no_results_says_so(client, pages):
    response = client.get("/search/?q=zebrafish")
    assert response.status_code == 200
    assert "No pages found" in response.text


def test_saving_a_page_updates_the_index(make_page):
    make_page("Scan", "Old words about radiology.")
    assert search.search("radiology").count() == 1
    make_page("Scan", "New words about ultrasound.")
    assert search.search("radiology").count() == 0
    assert search.search("ultrasound").count() == 1


def test_index_holds_rendered_text_not_markup(make_page):
    make_page("Links", "See [[Kidney Cancer|the overview]] and <script>secretword()</script>.")
    assert search.search("overview").count() == 1
    assert search.search("secretword").count() == 0


def test_remove_page_takes_it_out_of_the_index(make_page):
    page = make_page("Scan", "Words about radiology.")
    search.remove_page(page.pk)
    assert search.search("radiology").count() == 0


def test_rebuildsearch_restores_the_index(make_page):
    page = make_page("Scan", "Words about radiology.")
    search.remove_page(page.pk)
    call_command("rebuildsearch", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert search.search("radiology").count() == 1


def test_matching_pages_filters_a_queryset_to_matching_pages(pages):
    matching = search.matching_pages(Page.objects.all(), "proleukin")
    assert list(matching) == [Page.objects.get(title="Interleukin-2")]
    assert not search.matching_pages(Page.objects.all(), "").exists()


NASTY_QUERIES = [
    '"',
    "'",
    '"unbalanced',
    "it's",
    "O'Brien",
    "'; DROP TABLE wiki_page; --",
    "1 OR 1=1",
    "%",
    "_",
    "%_%",
    "\\",
    "kidney AND cancer",
    "kidney OR",
    "NOT kidney",
    "NEAR(kidney cancer, 2)",
    "kidney*",
    "*",
    "^kidney",
    "title:kidney",
    "body : cancer",
    "{title}: kidney",
    "(kidney",
    "kidney)",
    '( ) " * ^ : + - ~ < > @',
    "!!!",
    "&|!:*",
    "a & b | c",
    "kidney <-> cancer",
    "-kidney",
    "the and or",
    "\x00kidney",
    "caf\u00e9 na\u00efve",
    "\u8179\u764c",
    "\U0001f600",
    "kidney " * 300,
    "x" * 2048,
    "kidney-" * 300,
]


@pytest.mark.parametrize("query", NASTY_QUERIES)
def test_nasty_queries_answer_200(client, pages, query):
    response = client.get("/search/", {"q": query, "fulltext": "1"})
    assert response.status_code == 200


@pytest.mark.parametrize("query", NASTY_QUERIES)
def test_nasty_queries_suggest_answers_200(client, pages, query):
    response = client.get("/search/suggest/", {"q": query})
    assert response.status_code == 200
    assert isinstance(response.json()["results"], list)


def test_operator_words_are_searched_as_words(client, make_page):
    make_page("Choices", "You can choose surgery or watchful waiting, and NOT rush.")
    titles = result_titles(client.get("/search/", {"q": "surgery OR", "fulltext": "1"}))
    assert titles == ["Choices"]


def test_search_runs_on_the_configured_backend(pages):
    # The FTS5 table exists on SQLite; on PostgreSQL the vector is filled.
    if connection.vendor == "postgresql":
        assert Page.objects.filter(search_vector__isnull=False).count() == Page.objects.count()
    else:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM wiki_page_fts")
            assert cursor.fetchone()[0] == Page.objects.count()


def test_suggest_returns_titles_with_prefix(client, pages):
    response = client.get("/search/suggest/?q=INTER")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    data = json.loads(response.content)
    assert data["results"] == [{"title": "Interleukin-2", "url": "/wiki/Interleukin-2/"}]


def test_suggest_includes_redirect_titles(client, pages):
    data = client.get("/search/suggest/?q=pro").json()
    assert [result["title"] for result in data["results"]] == ["Proleukin"]


def test_suggest_returns_at_most_ten_in_order(client, make_page):
    for number in range(12):
        make_page(f"Trial {number:02d}", "A trial.")
    titles = [
        result["title"] for result in client.get("/search/suggest/?q=trial").json()["results"]
    ]
    assert titles == [f"Trial {number:02d}" for number in range(10)]


def test_suggest_treats_like_wildcards_literally(client, pages):
    assert client.get("/search/suggest/?q=%25").json()["results"] == []
    assert client.get("/search/suggest/?q=_").json()["results"] == []


def test_suggest_with_empty_query_is_empty(client, pages):
    assert client.get("/search/suggest/?q=").json()["results"] == []


def test_header_search_box_works_without_script(client, pages):
    response = client.get("/wiki/Diet/")
    assert (
        '<form class="site-search" role="search" action="/search/" method="get">' in response.text
    )
    assert 'id="search-input"' in response.text
    assert re.search(r'<script src="[^"]*suggest[^"]*\.js" defer>', response.text)


def test_demo_proleukin_search_finds_interleukin_2(client, db):
    call_command("loaddemo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    response = client.get("/search/?q=Proleukin&fulltext=1")
    assert result_titles(response)[0] == "Interleukin-2"
    assert client.get("/search/?q=proleukin")["Location"] == "/wiki/Proleukin/"


def make_matching_pages(count: int, word: str) -> list[Page]:
    """``count`` pages that all hold ``word``, indexed as a save indexes
    them (hundreds of revisions would only slow the test down)."""
    pages = Page.objects.bulk_create(
        Page(title=f"Topic {number:04d}", key=f"topic_{number:04d}", body=f"About {word} here.")
        for number in range(count)
    )
    for page in pages:
        search.index_page(page)
    return pages


def test_search_count_is_exact_up_to_the_bound(client, make_page):
    for number in range(25):
        make_page(f"Topic {number:02d}", "Everyone talks about biomarkers here.")
    response = client.get("/search/?q=biomarkers")
    assert "25 pages found for <strong>biomarkers</strong>." in response.text
    assert "More than" not in response.text


def test_search_with_more_matches_than_listed_says_more_than(client, db):
    make_matching_pages(search.MAX_RESULTS + 5, "biomarkers")
    response = client.get("/search/?q=biomarkers")
    assert (
        f"More than {search.MAX_RESULTS} pages found for <strong>biomarkers</strong>; "
        f"the first {search.MAX_RESULTS} are listed."
    ) in response.text
    assert f"Page 1 of {search.MAX_RESULTS // 20}" in response.text


def test_search_pages_through_every_listed_result_without_repeats(client, db):
    make_matching_pages(search.MAX_RESULTS + 5, "biomarkers")
    last_page = search.MAX_RESULTS // 20
    seen = []
    for number in range(1, last_page + 1):
        response = client.get("/search/", {"q": "biomarkers", "fulltext": 1, "page": number})
        titles = result_titles(response)
        assert len(titles) == 20
        seen += titles
    assert len(set(seen)) == search.MAX_RESULTS
    beyond = client.get("/search/", {"q": "biomarkers", "fulltext": 1, "page": last_page + 1})
    assert f"Page {last_page} of {last_page}" in beyond.text
    assert result_titles(beyond) == titles


def test_title_match_ranks_first_among_more_matches_than_are_ranked(client, make_page):
    # The newest pages, past the first matches that are ranked, still come
    # first: pages found by their title are always ranked.
    make_matching_pages(search.MAX_RESULTS + 5, "biomarkers")
    make_page("Biomarkers Explained", "What the tests measure.")
    make_page("Understanding Biomarkers", "Blood and urine tests.")
    make_page("Tumour Markers", "#REDIRECT [[Biomarkers Explained]]")
    titles = result_titles(client.get("/search/?q=biomarkers&fulltext=1"))
    assert titles[:2] == ["Biomarkers Explained", "Understanding Biomarkers"]
    response = client.get("/search/?q=tumour+markers&fulltext=1")
    assert result_titles(response) == ["Biomarkers Explained"]


def test_plain_texts_of_many_bodies_are_each_body_s_plain_text(db):
    from wiki.plaintext import plain_text, plain_texts

    bodies = ["A **bold** start.", "## Side effects\n\n* Fever\n* Chills", "Plain words."]
    plain_text(bodies[1])  # one of them cached already, the others not
    assert plain_texts(bodies) == [plain_text(body) for body in bodies]
    assert plain_texts([]) == []
