"""Redirect pages: following one hop, showing where a reader came from, and
refusing redirects that point at themselves or close a loop."""

import re

import pytest
from django.contrib.staticfiles import finders
from django.core.exceptions import ValidationError
from reversion.models import Revision

from wiki.models import Page
from wiki.services import save_page

IL2_BODY = "Interleukin-2 is an immune messenger.\n\n## Side effects\n\nFever and chills.\n"


@pytest.fixture
def interleukin(make_page):
    return make_page("Interleukin-2", IL2_BODY)


def test_redirect_shows_target_content_and_where_the_reader_came_from(
    client, interleukin, make_page
):
    make_page("Proleukin", "#REDIRECT [[Interleukin-2]]\n")
    response = client.get("/wiki/Proleukin/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Interleukin-2 is an immune messenger." in html
    assert "(Redirected from" in html
    assert 'href="/wiki/Proleukin/?redirect=no"' in html
    assert '<link rel="canonical" href="http://testserver/wiki/Interleukin-2/">' in html


def test_redirect_no_shows_the_redirect_page_itself(client, interleukin, make_page):
    make_page("Proleukin", "#REDIRECT [[Interleukin-2]]\n")
    response = client.get("/wiki/Proleukin/?redirect=no")
    assert response.status_code == 200
    html = response.content.decode()
    assert "This page redirects to" in html
    assert 'href="/wiki/Interleukin-2/"' in html
    assert "Interleukin-2 is an immune messenger." not in html
    assert "REDIRECT" not in html
    assert '<link rel="canonical" href="http://testserver/wiki/Proleukin/">' in html


def test_redirect_to_a_section_applies_its_anchor(client, interleukin, make_page):
    make_page("IL-2 side effects", "#REDIRECT [[Interleukin-2#Side effects]]\n")
    response = client.get("/wiki/IL-2_side_effects/")
    html = response.content.decode()
    assert 'id="side-effects"' in html
    assert 'data-redirect-anchor="side-effects"' in html
    assert re.search(r'<script src="/static/js/redirect\.(\w+\.)?js" defer>', html)
    script = finders.find("js/redirect.js")
    assert script is not None
    with open(script, encoding="utf-8") as handle:
        source = handle.read()
    assert "data-redirect-anchor" in source
    assert "replaceState" in source


def test_page_without_redirect_anchor_loads_no_redirect_script(client, interleukin, make_page):
    make_page("Proleukin", "#REDIRECT [[Interleukin-2]]\n")
    html = client.get("/wiki/Proleukin/").content.decode()
    assert "data-redirect-anchor" not in html
    assert "js/redirect" not in html


def test_redirect_to_missing_page_shows_redirect_page_with_note(client, make_page):
    make_page("Old name", "#REDIRECT [[Nowhere]]\n")
    response = client.get("/wiki/Old_name/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Old name</h1>" in html
    assert "does not exist" in html
    assert 'class="wikilink new" href="/wiki/Nowhere/"' in html


def test_redirect_to_a_redirect_is_followed_one_hop_and_flagged(client, make_page):
    make_page("Final", "The final page text.")
    make_page("Middle", "#REDIRECT [[Final]]\n")
    make_page("First", "#REDIRECT [[Middle]]\n")
    response = client.get("/wiki/First/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Middle</h1>" in html
    assert 'href="/wiki/First/?redirect=no"' in html
    assert "itself a redirect" in html
    assert 'href="/wiki/Final/"' in html
    assert "The final page text." not in html


def test_stored_redirect_loop_answers_without_error(client, make_page):
    # A loop can only appear outside save_page (an old import, a race); the
    # read view must still answer.
    make_page("Alpha", "#REDIRECT [[Beta]]\n")
    make_page("Beta", "Beta text.")
    Page.objects.filter(title="Beta").update(body="#REDIRECT [[Alpha]]\n", redirect_to="Alpha")
    response = client.get("/wiki/Alpha/")
    assert response.status_code == 200
    assert "<h1>Beta</h1>" in response.content.decode()


def test_self_redirect_is_refused_and_writes_no_revision(db):
    with pytest.raises(ValidationError, match="cannot redirect to itself"):
        save_page("Proleukin", "#REDIRECT [[proleukin]]\n")
    assert not Page.objects.exists()
    assert Revision.objects.count() == 0


def test_self_redirect_to_a_section_is_refused(make_page):
    page = make_page("Proleukin", "Text.")
    revisions = Revision.objects.count()
    with pytest.raises(ValidationError, match="cannot redirect to itself"):
        save_page("Proleukin", "#REDIRECT [[Proleukin#History]]\n")
    page.refresh_from_db()
    assert page.body == "Text."
    assert not page.is_redirect
    assert Revision.objects.count() == revisions


def test_redirect_closing_a_loop_is_refused_and_writes_no_revision(make_page):
    make_page("Alpha", "#REDIRECT [[Beta]]\n")
    make_page("Beta", "Beta text.")
    revisions = Revision.objects.count()
    with pytest.raises(ValidationError) as error:
        save_page("Beta", "#REDIRECT [[Alpha]]\n")
    assert "loop" in error.value.messages[0]
    assert "Beta → Alpha → Beta" in error.value.messages[0]
    assert Page.objects.get(title="Beta").body == "Beta text."
    assert Revision.objects.count() == revisions


def test_redirect_closing_a_longer_loop_is_refused(make_page):
    make_page("Alpha", "#REDIRECT [[Beta]]\n")
    make_page("Beta", "#REDIRECT [[Gamma]]\n")
    with pytest.raises(ValidationError, match="loop"):
        save_page("Gamma", "#REDIRECT [[alpha]]\n")
    assert not Page.objects.filter(title="Gamma").exists()


def test_redirect_into_a_chain_without_loop_is_saved(make_page):
    make_page("Final", "Text.")
    make_page("Middle", "#REDIRECT [[Final]]\n")
    result = save_page("First", "#REDIRECT [[Middle]]\n")
    assert result.changed
    assert result.page.redirect_to == "Middle"


def test_redirect_into_an_existing_foreign_loop_is_saved(make_page):
    make_page("Alpha", "#REDIRECT [[Beta]]\n")
    make_page("Beta", "Beta text.")
    Page.objects.filter(title="Beta").update(body="#REDIRECT [[Alpha]]\n", redirect_to="Alpha")
    # "First" is not part of the Alpha/Beta loop, so it closes no loop itself.
    result = save_page("First", "#REDIRECT [[Alpha]]\n")
    assert result.changed


def test_view_through_redirect_stays_within_query_budget_on_warm_cache(
    client, interleukin, make_page, django_assert_max_num_queries
):
    make_page("Proleukin", "#REDIRECT [[Interleukin-2]]\n")
    assert client.get("/wiki/Proleukin/").status_code == 200
    with django_assert_max_num_queries(4):
        response = client.get("/wiki/Proleukin/")
    assert response.status_code == 200


def test_page_view_with_links_and_crosslinks_stays_within_budget_when_cold(
    client, make_page, django_assert_max_num_queries
):
    make_page("IL-21", "Text.")
    make_page(
        "Interleukin-2",
        "See [[IL-21]] and [[Missing page]].",
        crosslinks=[{"kind": "related", "target_title": "IL-21"}],
    )
    with django_assert_max_num_queries(4):
        response = client.get("/wiki/Interleukin-2/")
    assert response.status_code == 200
    assert "Related pages" in response.content.decode()


@pytest.mark.parametrize(
    ("url", "location"),
    [
        ("/wiki/interleukin-2/", "/wiki/Interleukin-2/"),
        ("/wiki/INTERLEUKIN-2/history/", "/wiki/Interleukin-2/history/"),
        ("/wiki/interleukin-2/source/?x=1", "/wiki/Interleukin-2/source/?x=1"),
        ("/wiki/Interleukin-2", "/wiki/Interleukin-2/"),
    ],
)
def test_canonical_redirect_is_kept_for_minutes_not_for_ever(client, interleukin, url, location):
    # A 301 without a lifetime is cached for ever: after a move that changes
    # only letter case, and one back, a browser would loop between the two.
    response = client.get(url)
    assert response.status_code == 301
    assert response["Location"] == location
    cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
    assert "max-age=300" in cache_control
    assert "public" in cache_control


def test_canonical_redirect_for_a_moderator_is_not_stored(moderator_client, interleukin):
    response = moderator_client.get("/wiki/interleukin-2/")
    assert response.status_code == 301
    assert "no-store" in response["Cache-Control"]
    assert "public" not in response["Cache-Control"]
