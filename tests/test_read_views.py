"""The read view and the URL contract around it."""

import pytest

from wiki.models import Page


@pytest.fixture
def il2(make_page):
    return make_page(
        "Interleukin-2", "Interleukin-2 is an **immune** messenger.\n\n## Uses\n\nText."
    )


def test_page_shows_title_and_rendered_body(client, il2):
    response = client.get("/wiki/Interleukin-2/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Interleukin-2</h1>" in html
    assert "<strong>immune</strong>" in html
    assert '<h2 id="uses">Uses</h2>' in html


def test_title_with_spaces_uses_underscores(client, make_page):
    make_page("High Dose Interleukin-2", "Given in hospital.")
    assert client.get("/wiki/High_Dose_Interleukin-2/").status_code == 200


@pytest.mark.parametrize(
    ("url", "location"),
    [
        ("/wiki/interleukin-2/", "/wiki/Interleukin-2/"),
        ("/wiki/INTERLEUKIN-2/", "/wiki/Interleukin-2/"),
        ("/wiki/Interleukin-2", "/wiki/Interleukin-2/"),
        ("/wiki/interleukin-2", "/wiki/Interleukin-2/"),
        ("/wiki/high_dose_interleukin-2/", "/wiki/High_Dose_Interleukin-2/"),
        ("/wiki/High%20Dose%20Interleukin-2/", "/wiki/High_Dose_Interleukin-2/"),
        ("/wiki/interleukin-2/source/", "/wiki/Interleukin-2/source/"),
    ],
)
def test_non_canonical_urls_redirect_permanently(client, make_page, url, location):
    make_page("Interleukin-2", "Text.")
    make_page("High Dose Interleukin-2", "Text.")
    response = client.get(url)
    assert response.status_code == 301
    assert response["Location"] == location


def test_canonical_redirect_keeps_query_string(client, il2):
    response = client.get("/wiki/interleukin-2/?redirect=no")
    assert response.status_code == 301
    assert response["Location"] == "/wiki/Interleukin-2/?redirect=no"


def test_page_has_canonical_link(client, il2):
    html = client.get("/wiki/Interleukin-2/").content.decode()
    assert '<link rel="canonical" href="http://testserver/wiki/Interleukin-2/">' in html


def test_main_page_is_served_at_root(client, make_page):
    make_page("Main Page", "Welcome, readers.")
    response = client.get("/")
    assert response.status_code == 200
    assert "Welcome, readers." in response.content.decode()


def test_root_without_main_page_still_answers(client, db):
    response = client.get("/")
    assert response.status_code == 200
    assert "Welcome to KCR Wiki" in response.content.decode()


def test_root_without_main_page_offers_moderators_to_write_it(moderator_client):
    html = moderator_client.get("/").content.decode()
    assert 'href="/wiki/Main_Page/edit/"' in html


def test_moderator_has_a_link_to_their_contributions(moderator_client, il2):
    html = moderator_client.get("/wiki/Interleukin-2/").content.decode()
    assert '<a href="/contributions/moderator/">My contributions</a>' in html


def test_moderator_whose_name_no_url_can_carry_still_reads_pages(client, make_user, il2):
    client.force_login(make_user("Dr A/B", moderator=True))
    response = client.get("/wiki/Interleukin-2/")
    assert response.status_code == 200
    assert "My contributions" not in response.content.decode()


def test_missing_page_is_a_friendly_404(client, db):
    response = client.get("/wiki/Not_Written_Yet/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Not Written Yet" in html
    assert 'action="/search/"' in html
    assert "Create the page" not in html


def test_missing_page_offers_creation_to_moderators(moderator_client):
    response = moderator_client.get("/wiki/Not_Written_Yet/")
    assert response.status_code == 404
    assert 'href="/wiki/Not_Written_Yet/edit/"' in response.content.decode()


# Every URL under /wiki/<Title>/ that needs the page, for a title no page
# has: the same missing-page 404 as the page itself. The moderator-only ones
# (info, move, revert) ask an anonymous reader to log in first; edit offers
# to create the page and links lists what links to the title, so they are
# not here.
MISSING_PAGE_URLS = [
    "/wiki/Nowhere/",
    "/wiki/Nowhere",
    "/wiki/Nowhere/source/",
    "/wiki/Nowhere/history/",
    "/wiki/Nowhere/pdf/",
    "/wiki/Nowhere/revisions/1/",
    "/wiki/Nowhere/revisions/1/pdf/",
    "/wiki/Nowhere/diff/1/2/",
]
MODERATOR_MISSING_PAGE_URLS = [
    "/wiki/Nowhere/info/",
    "/wiki/Nowhere/move/",
    "/wiki/Nowhere/revert/1/",
]


def _assert_missing_page(response, *, offers_creation):
    assert response.status_code == 404
    assert [template.name for template in response.templates][0] == "wiki/page_missing.html"
    html = response.content.decode()
    assert "<h1>Nowhere</h1>" in html
    assert 'name="q" value="Nowhere"' in html
    assert ('href="/wiki/Nowhere/edit/"' in html) == offers_creation
    assert 'href="/wiki/Nowhere/links/"' in html


@pytest.mark.parametrize("url", MISSING_PAGE_URLS)
def test_every_page_url_of_a_missing_page_is_the_missing_page_404(client, db, url):
    _assert_missing_page(client.get(url), offers_creation=False)


@pytest.mark.parametrize("url", MISSING_PAGE_URLS + MODERATOR_MISSING_PAGE_URLS)
def test_moderator_gets_the_missing_page_404_with_the_offer_to_create(moderator_client, url):
    _assert_missing_page(moderator_client.get(url), offers_creation=True)


def test_link_list_of_an_impossible_title_is_the_missing_page_404(client, db):
    response = client.get("/wiki/a%3Cb%3E/links/")
    assert response.status_code == 404
    assert [template.name for template in response.templates][0] == "wiki/page_missing.html"


def test_missing_page_offers_no_creation_to_logged_in_readers(reader_client):
    response = reader_client.get("/wiki/Not_Written_Yet/")
    assert "Create the page" not in response.content.decode()


def test_unknown_url_is_a_friendly_404(client, db):
    response = client.get("/no/such/place/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


@pytest.mark.parametrize("url", ["/wiki/Bad%3CTitle/", "/wiki/%00/", "/wiki/x%7Cy/"])
def test_invalid_title_in_url_is_a_404_not_a_500(client, db, url):
    assert client.get(url).status_code == 404


def test_post_to_read_view_is_refused(client, il2):
    assert client.post("/wiki/Interleukin-2/").status_code == 405


def test_source_is_plain_text(client, il2):
    response = client.get("/wiki/Interleukin-2/source/")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode().startswith("Interleukin-2 is an **immune** messenger.")


def test_script_in_body_never_reaches_the_page(client, make_page):
    make_page("Risky", 'Hello <script>alert("x")</script><img src="/x" onerror="alert(1)">')
    html = client.get("/wiki/Risky/").content.decode()
    assert "alert(" not in html
    assert "onerror" not in html


def test_missing_link_is_marked_on_the_page(client, make_page):
    make_page("Interleukin-2", "See [[IL-21]].")
    html = client.get("/wiki/Interleukin-2/").content.decode()
    assert 'class="wikilink new"' in html
    assert "IL-21 (page does not exist)" in html


def test_link_state_follows_creation_of_the_target(client, make_page):
    make_page("Interleukin-2", "See [[IL-21]].")
    assert 'class="wikilink new"' in client.get("/wiki/Interleukin-2/").content.decode()
    make_page("IL-21", "A related messenger.")
    html = client.get("/wiki/Interleukin-2/").content.decode()
    assert 'class="wikilink new"' not in html
    assert '<a class="wikilink" href="/wiki/IL-21/">IL-21</a>' in html


def test_redirect_page_shows_target_with_note(client, make_page):
    make_page("Interleukin-2", "The real page.")
    make_page("Proleukin", "#REDIRECT [[Interleukin-2]]")
    response = client.get("/wiki/Proleukin/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "The real page." in html
    assert '(Redirected from <a href="/wiki/Proleukin/?redirect=no">Proleukin</a>)' in html
    assert '<link rel="canonical" href="http://testserver/wiki/Interleukin-2/">' in html


def test_healthz_reports_ok(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_anonymous_page_view_query_budget_cold_cache(client, il2, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):
        assert client.get("/wiki/Interleukin-2/").status_code == 200


def test_anonymous_page_view_query_budget_with_links(
    client, make_page, django_assert_max_num_queries
):
    make_page("Interleukin-2", "See [[IL-21]] and [[High Dose Interleukin-2]].")
    make_page("IL-21", "Text.")
    with django_assert_max_num_queries(4):
        assert client.get("/wiki/Interleukin-2/").status_code == 200
    with django_assert_max_num_queries(4):
        assert client.get("/wiki/Interleukin-2/").status_code == 200


def test_page_key_is_unique_regardless_of_case(make_page):
    make_page("Interleukin-2", "one")
    make_page("INTERLEUKIN-2", "two")
    assert Page.objects.count() == 1
    assert Page.objects.get().body == "two"


def test_invalid_title_is_not_offered_for_creation(moderator_client):
    response = moderator_client.get("/wiki/Bad%3CTitle/")
    assert response.status_code == 404
    assert "/edit/" not in response.content.decode()


def test_favicon_ico_leads_to_the_site_icon(client, settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"] == "/static/img/favicon.svg"
