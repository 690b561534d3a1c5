"""The sanitizer proven end to end: every vector of tests/xss_vectors.py is
saved through the real edit form by a moderator, then every view that shows
moderator text is fetched and parsed. No view may carry script, an event
handler, a style, a frame or plugin, ``<base>``, a meta refresh, or a
script URL (after the browser's URL clean-up) in any URL attribute.

Each body family is one page; each vector is one revision of it (a vector
alone, so no neighbour can open or close a context for it). Each vector is
also that revision's summary, cross-link label and source name.
"""

import itertools
import re
from html.parser import HTMLParser
from urllib.parse import quote, urlencode, urljoin, urlsplit
from xml.etree import ElementTree

import pytest
from django.test import Client

from tests.edit_data import edit_data
from tests.html_checks import browser_url, dangers, page_dangers
from tests.xss_vectors import (
    BODY_FAMILIES,
    LABEL_VECTORS,
    OTHER_SITE_URLS,
    REFUSED_SOURCE_URLS,
    SOURCE_NAME_VECTORS,
    SOURCE_URL_VECTORS,
    SUMMARY_VECTORS,
    TITLE_VECTORS,
    all_vectors,
)
from wiki.models import Page
from wiki.rendering import render_markdown
from wiki.titles import title_key, title_to_slug

ATOM = "{http://www.w3.org/2005/Atom}"
LINK_TARGET = "Xss Link Target"


def path_of(title: str) -> str:
    return "/wiki/" + quote(title_to_slug(title), safe="") + "/"


def fetch(client, url: str) -> str:
    response = client.get(url, follow=True)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


def assert_page_clean(client, url: str) -> str:
    html = fetch(client, url)
    assert page_dangers(html) == [], url
    return html


def assert_feed_clean(client) -> None:
    response = client.get("/recent-changes/feed/")
    assert response.status_code == 200
    feed = response.content.decode()
    assert page_dangers(feed) == []
    # A feed reader renders type="html" text as HTML: check it as such.
    for element in ElementTree.fromstring(feed).iter():  # noqa: S314 (the site's own feed)
        if element.get("type") == "html" and element.text:
            assert dangers(element.text) == [], element.text
        if element.tag == f"{ATOM}link":
            assert element.get("href", "").startswith("http://testserver/")


def form_errors(response) -> list[str]:
    return re.findall(r'class="errorlist[^>]*>(.*?)</ul>', response.content.decode(), re.S)


def current_revision_id(title: str) -> int:
    return Page.objects.get(key=title_key(title)).current_revision_id


def save(client, title: str, body: str, **fields):
    """POST the edit form as the moderator; return the response."""
    page = Page.objects.filter(key=title_key(title)).first()
    data = edit_data(body, page.current_revision_id if page else None, **fields)
    return client.post(path_of(title) + "edit/", data)


def test_corpus_has_at_least_150_vectors():
    assert len(set(all_vectors())) >= 150


@pytest.mark.parametrize("vector", all_vectors())
def test_rendered_vector_is_harmless(vector):
    assert dangers(render_markdown(vector).html) == []


@pytest.mark.parametrize("family", list(BODY_FAMILIES))
def test_body_vectors_harmless_in_every_view(moderator_client, make_page, family):
    make_page("Interleukin-2", "Exists, so some wiki links are not marked missing.")
    title = f"Xss {family}"
    word = f"Canary{family}"
    anonymous = Client()
    titles = itertools.cycle(TITLE_VECTORS)
    source_urls = itertools.cycle(SOURCE_URL_VECTORS)
    revisions = []
    for vector in BODY_FAMILIES[family]:
        fields = {
            "summary": vector[:500],
            "article_date": "2009-05-01",
            "source_name": vector[:255],
            "source_url": next(source_urls),
            "crosslinks": [
                {"kind": "related", "target_title": next(titles), "label": vector[:255]}
            ],
        }
        response = save(moderator_client, title, f"{word} text.\n\n{vector}\n", **fields)
        if "\x00" in vector:
            # Django's form fields refuse NUL characters: nothing is saved.
            assert response.status_code == 400
            assert page_dangers(response.content.decode()) == []
            continue
        assert response.status_code == 302, (vector, form_errors(response))
        revisions.append(current_revision_id(title))
        page_url = path_of(title)
        assert_page_clean(moderator_client, page_url)
        assert_page_clean(anonymous, page_url)
        assert_page_clean(moderator_client, f"{page_url}revisions/{revisions[-1]}/")
        if len(revisions) > 1:
            assert_page_clean(moderator_client, f"{page_url}diff/{revisions[-2]}/{revisions[-1]}/")
        assert_page_clean(anonymous, "/search/?" + urlencode({"q": word, "fulltext": 1}))
        assert_page_clean(anonymous, "/search/?" + urlencode({"q": vector}))
        assert_page_clean(anonymous, "/search/?" + urlencode({"q": vector, "fulltext": 1}))
        assert_feed_clean(anonymous)
    assert revisions, "no vector of the family was saved"
    page_url = path_of(title)
    assert_page_clean(moderator_client, f"{page_url}history/")
    assert_page_clean(moderator_client, f"{page_url}diff/{revisions[0]}/{revisions[-1]}/")
    assert_page_clean(moderator_client, f"{page_url}info/")
    assert_page_clean(moderator_client, f"{page_url}edit/")
    assert_page_clean(moderator_client, "/recent-changes/?days=1&limit=500")
    assert_page_clean(moderator_client, "/contributions/moderator/")
    assert_page_clean(anonymous, "/articles/2009/")
    for target in TITLE_VECTORS:
        assert_page_clean(anonymous, path_of(target) + "links/")
    assert_page_clean(anonymous, "/wiki/Interleukin-2/links/")
    assert_page_clean(moderator_client, "/maintenance/wanted-pages/")


def test_title_and_metadata_vectors_harmless_in_every_view(moderator_client):
    anonymous = Client()
    summaries, labels = itertools.cycle(SUMMARY_VECTORS), itertools.cycle(LABEL_VECTORS)
    names, urls = itertools.cycle(SOURCE_NAME_VECTORS), itertools.cycle(SOURCE_URL_VECTORS)
    for index, title in enumerate(TITLE_VECTORS):
        neighbour = TITLE_VECTORS[(index + 1) % len(TITLE_VECTORS)]
        for revision in range(2):
            fields = {
                "summary": next(summaries),
                "article_date": f"2008-03-0{revision + 1}",
                "source_name": next(names),
                "source_url": next(urls),
                "crosslinks": [
                    {"kind": "related", "target_title": neighbour, "label": next(labels)},
                    {"kind": "see", "target_title": LINK_TARGET, "note_date": "2007-10-23"},
                ],
            }
            body = f"Revision {revision}: [[{neighbour}]], [[{LINK_TARGET}]], [[{title}|self]]."
            response = save(moderator_client, title, body, **fields)
            assert response.status_code == 302, (title, form_errors(response))
        response = save(moderator_client, f"Xss Redirect {index}", f"#REDIRECT [[{title}]]")
        assert response.status_code == 302
    for index, title in enumerate(TITLE_VECTORS):
        page = Page.objects.get(key=title_key(title))
        assert page.title == title
        page_url = path_of(title)
        first, second = page.revision_infos.order_by("revision_id").values_list(
            "revision_id", flat=True
        )
        for url in (
            page_url,
            f"{page_url}?redirect=no",
            f"/wiki/Xss_Redirect_{index}/",
            f"/wiki/Xss_Redirect_{index}/?redirect=no",
            f"{page_url}links/",
            "/search/?" + urlencode({"q": title}),
            "/search/?" + urlencode({"q": title, "fulltext": 1}),
            "/search/?" + urlencode({"q": "Revision"}),
        ):
            assert_page_clean(anonymous, url)
        for url in (
            f"{page_url}history/",
            f"{page_url}revisions/{first}/",
            f"{page_url}diff/{first}/{second}/",
            f"{page_url}info/",
            f"{page_url}edit/",
            f"{page_url}move/",
            f"{page_url}revert/{first}/",
        ):
            assert_page_clean(moderator_client, url)
    for url in (
        "/pages/",
        "/articles/2008/",
        "/recent-changes/?days=1&limit=500",
        "/contributions/moderator/",
        path_of(LINK_TARGET) + "links/",
        "/maintenance/wanted-pages/",
        "/maintenance/orphaned-pages/",
        "/maintenance/broken-redirects/",
        "/maintenance/double-redirects/",
    ):
        assert_page_clean(moderator_client, url)
    assert_feed_clean(anonymous)


@pytest.mark.parametrize("source_url", REFUSED_SOURCE_URLS)
def test_script_source_address_is_refused(moderator_client, source_url):
    response = save(
        moderator_client,
        "Xss Source",
        "Text.",
        article_date="2009-01-01",
        source_url=source_url,
        source_name="Source",
    )
    assert response.status_code == 400
    assert page_dangers(response.content.decode()) == []
    assert not Page.objects.filter(key=title_key("Xss Source")).exists()


@pytest.mark.parametrize("vector", [v for family in BODY_FAMILIES.values() for v in family])
def test_preview_of_vector_is_harmless(moderator_client, vector):
    data = edit_data(vector, summary="preview", preview="Preview")
    response = moderator_client.post("/wiki/Xss_Preview/edit/", data)
    assert response.status_code == (400 if "\x00" in vector else 200)
    assert page_dangers(response.content.decode()) == []


REFLECTED = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "' onmouseover='alert(1)",
    "javascript:alert(1)",
    "<svg onload=alert(1)>",
]


@pytest.mark.parametrize("vector", REFLECTED)
def test_markup_in_urls_is_never_reflected(moderator_client, make_page, vector):
    """Whatever a link a reader is tricked into following carries in its path
    or query string comes back escaped, whatever the status."""
    make_page("Interleukin-2", "Text.")
    anonymous = Client()
    slug, query = quote(vector, safe=""), urlencode({"q": vector})
    for client, url in [
        (anonymous, f"/wiki/{slug}/"),
        (anonymous, f"/wiki/{slug}"),
        (anonymous, f"/wiki/{slug}/links/"),
        (anonymous, f"/wiki/{slug}/history/"),
        (anonymous, f"/no/such/{slug}/"),
        (anonymous, f"/contributions/{slug}/"),
        (anonymous, f"/search/?{query}&fulltext=1"),
        (anonymous, f"/search/suggest/?{query}"),
        (anonymous, f"/recent-changes/?days={slug}"),
        (anonymous, f"/accounts/login/?next={slug}"),
        (moderator_client, f"/wiki/{slug}/edit/"),
        (moderator_client, f"/wiki/{slug}/info/"),
        (moderator_client, f"/wiki/Interleukin-2/history/?page={slug}"),
    ]:
        response = client.get(url)
        assert response.status_code < 500, url
        if response["Content-Type"].startswith("application/json"):
            # JSON is data, never a page: the browser may not sniff it as HTML.
            assert response["X-Content-Type-Options"] == "nosniff"
            continue
        assert page_dangers(response.content.decode()) == [], url


SITE_PAGE = "https://testserver/wiki/Some_Page/"


def browser_host(url: str) -> str | None:
    """The host a browser on ``SITE_PAGE`` goes to for ``url`` (an attribute
    value as the page holds it), or None for a non-web URL (mailto:)."""
    cleaned = browser_url(url).replace("\\", "/")  # http(s): a backslash is a slash
    parts = urlsplit(urljoin(SITE_PAGE, cleaned))
    if parts.scheme not in {"http", "https"}:
        return None
    # "http:host" on an https page is http://host/ to a browser.
    return parts.hostname or cleaned.split(":", 1)[1].lstrip("/").split("/")[0]


class _UrlCollector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.images, self.links = [], []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "img" and "src" in attributes:
            self.images.append(attributes["src"])
        if tag == "a" and "href" in attributes:
            self.links.append((attributes["href"], attributes.get("rel")))


def other_site_urls(html: str) -> list[str]:
    """Pictures from another host, and links to one without our rel."""
    collector = _UrlCollector()
    collector.feed(html)
    found = [f"img {src!r}" for src in collector.images if browser_host(src) != "testserver"]
    for href, rel in collector.links:
        host = browser_host(href)
        if host not in {None, "testserver"} and rel != "nofollow noopener":
            found.append(f"a {href!r} rel={rel!r}")
    return found


@pytest.mark.parametrize("vector", OTHER_SITE_URLS)
def test_other_site_urls_are_refused_as_pictures_and_marked_as_links(vector):
    html = render_markdown(vector).html
    assert other_site_urls(html) == [], html


def test_other_site_urls_in_a_saved_page_are_refused_or_marked(moderator_client, db):
    body = "\n\n".join(OTHER_SITE_URLS)
    response = save(moderator_client, "Other Sites", body, summary="other sites")
    assert response.status_code == 302, form_errors(response)
    html = fetch(Client(), path_of("Other Sites"))
    article = html.split('<div class="page-body', 1)[-1]
    assert other_site_urls(article) == []
    assert article.count('rel="nofollow noopener"') >= 13
