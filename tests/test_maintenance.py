"""Maintenance lists for moderators: broken redirects, double redirects,
wanted pages and orphaned pages."""

import re

import pytest

from wiki.models import Page

LIST_URLS = [
    "/maintenance/",
    "/maintenance/broken-redirects/",
    "/maintenance/double-redirects/",
    "/maintenance/wanted-pages/",
    "/maintenance/orphaned-pages/",
]


def _list_items(html):
    listing = re.search(r'<ol class="maintenance-list"[^>]*>(.*?)</ol>', html, re.S)
    return re.findall(r"<li>(.*?)</li>", listing.group(1), re.S) if listing else []


@pytest.mark.parametrize("url", LIST_URLS)
def test_anonymous_reader_is_sent_to_log_in(client, db, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.parametrize("url", LIST_URLS)
def test_logged_in_reader_without_permission_gets_403(reader_client, url):
    assert reader_client.get(url).status_code == 403


@pytest.mark.parametrize("url", LIST_URLS)
def test_moderator_sees_the_list(moderator_client, url):
    assert moderator_client.get(url).status_code == 200


@pytest.mark.parametrize("url", LIST_URLS)
def test_admin_sees_the_list(admin_client, url):
    assert admin_client.get(url).status_code == 200


def test_lists_refuse_post(moderator_client):
    assert moderator_client.post("/maintenance/wanted-pages/").status_code == 405


def test_broken_redirects_lists_redirects_to_missing_pages(moderator_client, make_page):
    make_page("Interleukin-2", "Text.")
    make_page("Proleukin", "#REDIRECT [[Interleukin-2]]\n")
    make_page("Old name", "#REDIRECT [[Nowhere]]\n")
    items = _list_items(moderator_client.get("/maintenance/broken-redirects/").content.decode())
    assert len(items) == 1
    assert 'href="/wiki/Old_name/?redirect=no">Old name</a>' in items[0]
    assert 'class="wikilink new" href="/wiki/Nowhere/"' in items[0]


def test_double_redirects_lists_redirects_to_redirects(moderator_client, make_page):
    make_page("Interleukin-2", "Text.")
    make_page("Aldesleukin", "#REDIRECT [[Interleukin-2]]\n")
    make_page("Proleukin", "#REDIRECT [[aldesleukin]]\n")
    items = _list_items(moderator_client.get("/maintenance/double-redirects/").content.decode())
    assert len(items) == 1
    assert ">Proleukin</a> → <a" in items[0]
    assert ">Aldesleukin</a> → <a" in items[0]
    assert ">Interleukin-2</a>" in items[0]


def test_wanted_pages_are_ordered_by_number_of_links(moderator_client, make_page):
    make_page("IL-2", "[[Rare]] and [[Common]] and [[Existing]].")
    make_page("IL-21", "[[Common]] again.")
    make_page("IL-15", "[[common]] a third time, [[Often]].")
    make_page("IL-7", "[[Often]] twice.")
    make_page("Existing", "Text.")
    items = _list_items(moderator_client.get("/maintenance/wanted-pages/").content.decode())
    assert [re.search(r'title="([^"]*) \(page', item).group(1) for item in items] == [
        "Common",
        "Often",
        "Rare",
    ]
    assert "(3 links," in items[0]
    assert "(1 link," in items[2]


def test_orphaned_pages_lists_pages_nothing_links_to(moderator_client, make_page):
    make_page("Main Page", "Start at [[Interleukin-2]].")
    make_page("Interleukin-2", "Text.")
    make_page("Lonely", "Nothing links here; it links to [[Lonely]] itself.")
    make_page("Linked from a cross-link", "Text.")
    make_page(
        "Notes", "Text.", crosslinks=[{"kind": "see", "target_title": "Linked from a cross-link"}]
    )
    make_page("Proleukin", "#REDIRECT [[Notes]]\n")
    items = _list_items(moderator_client.get("/maintenance/orphaned-pages/").content.decode())
    titles = [re.search(r">([^<]+)</a>", item).group(1) for item in items]
    assert titles == ["Lonely"]


def test_lists_page_through_long_results(moderator_client, make_page):
    for number in range(105):
        Page.objects.create(title=f"Orphan {number:03d}", body="Text.")
    first = moderator_client.get("/maintenance/orphaned-pages/").content.decode()
    second = moderator_client.get("/maintenance/orphaned-pages/?page=2").content.decode()
    assert len(_list_items(first)) == 100
    assert len(_list_items(second)) == 5
    assert 'href="?page=2"' in first
    assert moderator_client.get("/maintenance/orphaned-pages/?page=junk").status_code == 200
