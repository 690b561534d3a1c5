"""The one page-URL builder (wiki.titles.page_url) and the permanent
redirect from a non-canonical spelling, which rebuilds the URL it was asked
for under the canonical slug."""

import pytest
from django.urls import NoReverseMatch, resolve

from wiki.services import save_page
from wiki.titles import page_url
from wiki.urls import PAGE_ACTIONS


@pytest.mark.parametrize(
    ("arguments", "url"),
    [
        (("High Dose Interleukin-2",), "/wiki/High_Dose_Interleukin-2/"),
        (("high_dose  interleukin-2",), "/wiki/high_dose_interleukin-2/"),
        (("Interleukin-2", "history"), "/wiki/Interleukin-2/history/"),
        (("Interleukin-2", "edit"), "/wiki/Interleukin-2/edit/"),
        (("Am\u00e9lie",), "/wiki/Am%C3%A9lie/"),
        (("50% off",), "/wiki/50%25_off/"),
    ],
)
def test_page_url_is_the_slug_path_of_a_page_or_its_action(arguments, url):
    assert page_url(*arguments) == url


def test_page_url_appends_a_fragment():
    assert page_url("Interleukin-2", fragment="vote") == "/wiki/Interleukin-2/#vote"
    assert page_url("IL 2", "links", fragment="top") == "/wiki/IL_2/links/#top"


@pytest.mark.parametrize("action", list(PAGE_ACTIONS))
def test_page_url_of_every_action_resolves_to_its_view(action):
    match = resolve(page_url("Interleukin-2", action))
    assert match.func is PAGE_ACTIONS[action]
    assert match.kwargs == {"slug": "Interleukin-2"}


def test_page_url_of_an_unknown_action_raises():
    with pytest.raises(NoReverseMatch):
        page_url("Interleukin-2", "explode")


@pytest.fixture
def revisions(make_page):
    make_page("Interleukin-2", "One.")
    page = save_page("Interleukin-2", "Two.").page
    return sorted(page.revision_infos.values_list("revision_id", flat=True))


@pytest.mark.parametrize(
    "path",
    [
        "history/",
        "source/",
        "links/",
        "revisions/{first}/",
        "diff/{first}/{second}/",
        "revisions/{first}/pdf/",
    ],
)
def test_non_canonical_slug_redirects_to_the_same_url_and_query(client, revisions, path):
    first, second = revisions
    path = path.format(first=first, second=second)
    response = client.get(f"/wiki/INTERLEUKIN-2/{path}?page=2")
    assert response.status_code == 301
    assert response["Location"] == f"/wiki/Interleukin-2/{path}?page=2"
