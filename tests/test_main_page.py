"""The main page of the demo: the site's name and purpose, four sections, and
every content page within two clicks, so no demo page is an orphan."""

import io
import re
from html.parser import HTMLParser

import pytest
from django.core.management import call_command

from wiki.demo import ARTICLE_PAGES, PAGES
from wiki.models import Page
from wiki.rendering import parse_redirect

SECTIONS = ["Treatments", "Side effects", "Tests", "Living with cancer"]


@pytest.fixture
def demo(db):
    call_command("loaddemo", stdout=io.StringIO())


class _MainContentLinks(HTMLParser):
    """The page links inside ``<main>`` (not the menus, which list every
    page and would make any page two clicks away), and the ``<h1>``."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.heading = ""
        self._in_main = self._in_heading = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "main":
            self._in_main = True
        elif tag == "h1":
            self._in_heading = True
        elif tag == "a" and self._in_main:
            href = (attributes.get("href") or "").split("#")[0].split("?")[0]
            if href.startswith("/wiki/"):
                self.links.append(href)

    def handle_endtag(self, tag):
        if tag == "main":
            self._in_main = False
        elif tag == "h1":
            self._in_heading = False

    def handle_data(self, data):
        if self._in_heading:
            self.heading += data


def read(client, path):
    response = client.get(path, follow=True)
    assert response.status_code == 200, path
    parser = _MainContentLinks()
    parser.feed(response.content.decode())
    return parser.heading.strip(), parser.links


def test_every_demo_content_page_is_within_two_clicks_of_the_main_page(client, demo):
    reached = set()
    _, first_links = read(client, "/")
    for first in dict.fromkeys(first_links):
        heading, second_links = read(client, first)
        reached.add(heading)
        for second in dict.fromkeys(second_links):
            reached.add(read(client, second)[0])
    content_titles = set(Page.objects.content_pages().values_list("title", flat=True))
    assert content_titles - {"Main Page"} - reached == set()
    demo_titles = {title for title, body in PAGES + ARTICLE_PAGES if not parse_redirect(body)}
    assert content_titles == demo_titles


def test_demo_has_no_orphaned_pages(moderator_client, demo):
    html = moderator_client.get("/maintenance/orphaned-pages/").content.decode()
    listing = re.search(r'<ol class="maintenance-list"[^>]*>(.*?)</ol>', html, re.S)
    assert listing is None or re.findall(r"<li>", listing.group(1)) == []
    assert "Orphaned pages" in html


def test_main_page_leads_to_treatments_side_effects_tests_and_living_with_cancer(client, demo):
    html = client.get("/").content.decode()
    headings = re.findall(r'<h2 id="[^"]*">([^<]+)</h2>', html)
    assert headings[: len(SECTIONS)] == SECTIONS
    assert 'class="wikilink new"' not in html


@pytest.mark.parametrize("section", SECTIONS)
def test_each_main_page_section_has_pages(client, demo, section):
    html = client.get("/").content.decode()
    after = html.split(f">{section}</h2>", 1)[1].split("<h2", 1)[0]
    assert len(re.findall(r'<a class="wikilink" href="/wiki/', after)) >= 2


@pytest.mark.parametrize("path", ["/", "/wiki/Interleukin-2/", "/search/?q=scan"])
def test_header_spells_out_the_site_name_and_its_purpose(client, demo, path):
    html = client.get(path).content.decode()
    header = html.split('<header class="site-header">', 1)[1].split("</header>", 1)[0]
    assert "KCR Wiki" in header
    assert "Kidney Cancer Resource" in header
    assert "information about kidney cancer and its treatment" in header
    assert "patients" in header


def test_main_page_body_names_the_site_and_its_readers(client, demo):
    body = client.get("/").content.decode().split('<div class="page-body">', 1)[1]
    assert "Kidney Cancer Resource" in body.split("</p>", 1)[0]
    assert "patients" in body.split("</p>", 1)[0]
