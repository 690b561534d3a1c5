"""Imported pages read as MediaWiki showed them: each main-namespace page of
the fixture dumps (tests/fixtures/mediawiki, schemas 0.10 and 0.11), imported
and shown here, compared with MediaWiki's own HTML of it (rendered/): the same
link targets (existing and missing alike), headings, tables and their rows,
and categories; the same history; and a diff that shows what changed."""

import datetime
import io
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from django.core.management import call_command

from wiki.models import Page, RevisionInfo
from wiki.titles import page_url, slug_to_title, title_key

FIXTURES = Path(__file__).parent / "fixtures" / "mediawiki"
RENDERED = FIXTURES / "rendered"
DUMPS = ["kcr-full-0.11.xml", "kcr-full-0.10.xml"]

# The main-namespace pages that are articles, and those that are redirects
# (with the target MediaWiki's "Redirect to:" box names).
ARTICLES = [
    "Main Page",
    "Interleukin-2",
    "Treatment options",
    "Patient's guide to IL-2",
    "IL-2 dose",
    "IL-2 Dose",
]
REDIRECTS = ["IL-2", "Aldesleukin", "High-dose IL-2"]
# MediaWiki keeps "IL-2 dose" and "IL-2 Dose" apart; here the second one
# imported is kept under a new title (the report names it).
TITLE_HERE = {"IL-2 Dose": "IL-2 Dose (2)"}
# Links MediaWiki made into namespaces that are not imported (its help pages,
# a template missing from the dump): here their text is shown unlinked, and
# the report names them.
NOT_IMPORTED = ("help:", "template:")
# MediaWiki's heading levels: "==" is <h2> there and here.
HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}


def _anchor(fragment: str) -> str:
    """A section fragment, compared without letter case, spaces, underscores
    or hyphens (MediaWiki writes "How_it_is_given", we "how-it-is-given")."""
    return re.sub(r"[\s_\-]+", "", unquote(fragment)).casefold()


class Outline(HTMLParser):
    """What is compared in one page's HTML, read inside the element
    ``root`` (a tag and class): its links, headings, tables (caption and
    number of rows) and categories. ``skip`` elements (MediaWiki's table of
    contents, footnote markers and lists) are left out."""

    def __init__(self, root: tuple[str, str], skip: set[tuple[str, str]]):
        super().__init__(convert_charrefs=True)
        self.root, self.skip = root, skip
        self.depth = 0  # elements open inside the root (0: outside it)
        self.skipping = 0  # elements open inside a skipped one
        self.links: list[tuple[str, str]] = []
        self.headings: list[tuple[str, str]] = []
        self.tables: list[dict] = []
        self._heading: list[str] | None = None
        self._caption: list[str] | None = None
        # Markdown tables have no <caption>: the converter writes the caption
        # as a paragraph of bold text right above the table.
        self._paragraph: list | None = None
        self._bold_line = ""

    def _matches(self, tag, attrs, wanted) -> bool:
        classes = (dict(attrs).get("class") or "").split()
        ids = dict(attrs).get("id") or ""
        return tag == wanted[0] and (wanted[1] in classes or wanted[1] == ids)

    def handle_starttag(self, tag, attrs):
        if tag in ("br", "img", "hr", "input", "meta", "link", "wbr"):
            return
        if self.depth == 0:
            if self._matches(tag, attrs, self.root):
                self.depth = 1
            return
        self.depth += 1
        if self.skipping:
            self.skipping += 1
            return
        if any(self._matches(tag, attrs, wanted) for wanted in self.skip):
            self.skipping = 1
            return
        attributes = dict(attrs)
        if tag == "p":
            self._paragraph = []
        elif self._paragraph is not None:
            self._paragraph.append(tag)
        elif tag != "table" and "table-scroll" not in (attributes.get("class") or ""):
            # (our own scrolling region around a table is no block between)
            self._bold_line = ""
        if tag == "a" and attributes.get("href"):
            self.links.append((attributes["href"], attributes.get("class") or ""))
        elif tag in HEADINGS:
            self._heading = [tag]
        elif tag == "table":
            self.tables.append({"caption": self._bold_line, "rows": 0})
            self._bold_line = ""
        elif tag == "caption":
            self._caption = []
        elif tag == "tr" and self.tables:
            self.tables[-1]["rows"] += 1

    def handle_endtag(self, tag):
        if tag in ("br", "img", "hr", "input", "meta", "link", "wbr") or self.depth == 0:
            return
        self.depth -= 1
        if self.skipping:
            self.skipping -= 1
            return
        if tag == "p" and self._paragraph is not None:
            text = "".join(item for item in self._paragraph if item.startswith(" "))
            tags = [item for item in self._paragraph if not item.startswith(" ")]
            self._bold_line = " ".join(text.split()) if tags == ["strong"] else ""
            self._paragraph = None
        if tag in HEADINGS and self._heading is not None:
            self.headings.append((self._heading[0], " ".join("".join(self._heading[1:]).split())))
            self._heading = None
        elif tag == "caption" and self._caption is not None:
            self.tables[-1]["caption"] = " ".join("".join(self._caption).split())
            self._caption = None

    def handle_data(self, data):
        if self.depth == 0 or self.skipping:
            return
        if self._heading is not None:
            self._heading.append(data)
        if self._caption is not None:
            self._caption.append(data)
        if self._paragraph is not None:
            self._paragraph.append(" " + data)


def _read(html: str, root, skip) -> Outline:
    outline = Outline(root, skip)
    outline.feed(html)
    outline.close()
    return outline


def mediawiki_outline(title: str) -> Outline:
    html = (RENDERED / (title.replace(" ", "_") + ".html")).read_text(encoding="utf-8")
    return _read(
        html,
        ("div", "mw-parser-output"),
        {("div", "toc"), ("sup", "reference"), ("div", "mw-references-wrap")},
    )


def mediawiki_categories(title: str) -> list[str]:
    html = (RENDERED / (title.replace(" ", "_") + ".html")).read_text(encoding="utf-8")
    outline = _read(html, ("div", "catlinks"), set())
    return [
        _mediawiki_target(href)[1][len("Category:") :]
        for href, _ in outline.links
        if "Special:Categories" not in href
    ]


def _mediawiki_target(href: str) -> tuple[str, str, str, bool]:
    """(kind, title, fragment, missing) of a link in MediaWiki's HTML."""
    parts = urlsplit(href)
    if parts.scheme in ("http", "https"):
        return ("external", href, "", False)
    if parts.path == "/index.php" and parts.query:
        query = parse_qs(parts.query)
        return ("wiki", query["title"][0].replace("_", " "), "", "redlink" in query)
    if parts.path.startswith("/index.php/"):
        title = unquote(parts.path[len("/index.php/") :]).replace("_", " ")
        return ("wiki", title, parts.fragment, False)
    return ("section", "", parts.fragment, False)


def _our_target(href: str, classes: str) -> tuple[str, str, str, bool]:
    parts = urlsplit(href)
    if parts.scheme in ("http", "https"):
        return ("external", href, "", False)
    if parts.path.startswith("/categories/"):
        name = slug_to_title(unquote(parts.path[len("/categories/") :].strip("/")))
        return ("wiki", f"Category:{name}", "", False)
    if parts.path.startswith("/wiki/"):
        title = slug_to_title(unquote(parts.path[len("/wiki/") :].strip("/")))
        return ("wiki", title, parts.fragment, "new" in classes.split())
    return ("section", "", parts.fragment, False)


def _comparable(kind, title, fragment, missing):
    title = TITLE_HERE.get(title, title)
    return (kind, title_key(title) if kind == "wiki" else title, _anchor(fragment), missing)


def mediawiki_links(title: str) -> list[tuple]:
    links = [_comparable(*_mediawiki_target(href)) for href, _ in mediawiki_outline(title).links]
    return [link for link in links if not link[1].startswith(NOT_IMPORTED)]


def our_outline(client, title: str) -> Outline:
    response = client.get(page_url(TITLE_HERE.get(title, title)))
    assert response.status_code == 200
    return _read(
        response.content.decode(),
        ("div", "page-body"),
        {("sup", "footnote-ref"), ("div", "footnote"), ("nav", "toc"), ("div", "toc")},
    )


def our_links(outline: Outline) -> list[tuple]:
    return [
        _comparable(*_our_target(href, classes))
        for href, classes in outline.links
        if not urlsplit(href).fragment.startswith(("fn:", "fnref:"))
    ]


@pytest.fixture(params=DUMPS)
def imported(request, db):
    out = io.StringIO()
    call_command("importmediawiki", str(FIXTURES / request.param), stdout=out)
    return out.getvalue()


@pytest.mark.parametrize("title", ARTICLES)
def test_imported_page_links_to_what_mediawiki_linked_to(client, imported, title):
    assert our_links(our_outline(client, title)) == mediawiki_links(title)


def test_links_not_imported_are_named_in_the_report(imported):
    assert "link to namespace Help" in imported
    assert "Citation needed" in imported


@pytest.mark.parametrize("title", ARTICLES)
def test_imported_page_has_mediawikis_headings(client, imported, title):
    assert our_outline(client, title).headings == mediawiki_outline(title).headings


@pytest.mark.parametrize("title", ARTICLES)
def test_imported_tables_are_tables_with_mediawikis_rows_and_caption(client, imported, title):
    ours, theirs = our_outline(client, title).tables, mediawiki_outline(title).tables
    assert ours == theirs


def test_the_table_page_really_has_its_table(client, imported):
    tables = our_outline(client, "Treatment options").tables
    assert tables == [{"caption": "Main treatments at a glance", "rows": 5}]


@pytest.mark.parametrize("title", ARTICLES)
def test_imported_page_shows_mediawikis_categories_once(client, imported, title):
    response = client.get(page_url(TITLE_HERE.get(title, title)))
    shown = _read(response.content.decode(), ("nav", "page-categories"), set())
    names = [_our_target(href, "")[1][len("Category:") :] for href, _ in shown.links]
    assert names == mediawiki_categories(title)
    page = Page.objects.get(title=TITLE_HERE.get(title, title))
    assert page.page_categories.count() == len(names)
    for name in names:
        assert page.body.casefold().count(f"[[category:{name.casefold()}") == 1


@pytest.mark.parametrize("title", REDIRECTS)
def test_imported_redirect_goes_where_mediawikis_did(imported, title):
    (kind, target, fragment, missing), *rest = mediawiki_links(title)
    assert not rest and kind == "wiki" and not missing
    page = Page.objects.get(title=title)
    assert title_key(page.redirect_to) == target
    assert _anchor(page.redirect_fragment) == fragment


def _history(title):
    return [
        (
            info.mediawiki_id,
            info.revision.date_created,
            info.revision.user.get_username() if info.revision.user else info.author_name,
            info.revision.comment,
            info.is_minor,
        )
        for info in RevisionInfo.objects.filter(page__title=title)
        .select_related("revision__user")
        .order_by("revision_id")
    ]


def _at(day, hour=0, minute=0):
    return datetime.datetime(2024, *day, hour, minute, tzinfo=datetime.UTC)


# (MediaWiki id, author, summary, minor) of each revision, oldest first, as
# the fixtures README lists them; dates are checked from source/edits.tsv.
HISTORY = {
    "Interleukin-2": [
        (4, "Alice Editor", "New page:", False),
        (6, "Bob Writer", "Add who can have it;", False),
        (7, "Alice Editor", "Fix typo", True),
        (11, "Bob Writer", "Add references", False),
        (17, "Alice Editor", "Link related pages,", False),
    ],
    "Treatment options": [
        (5, "Bob Writer", "", False),
        (19, "Alice Editor", "Add a table of the main treatments and a category", False),
    ],
    "IL-2 dose": [
        (22, "Alice Editor", "", False),
        (25, "127.0.0.1", "Weight is checked daily", False),
    ],
    "IL-2 Dose (2)": [(23, "Bob Writer", "", False)],
    "High-dose IL-2": [(24, "Alice Editor", "", True)],
    "Aldesleukin": [(9, "Bob Writer", "", False), (18, "Alice Editor", "Merge into", False)],
}


@pytest.mark.parametrize("title", sorted(HISTORY))
def test_imported_history_has_mediawikis_revisions_authors_and_summaries(imported, title):
    history = _history(title)
    expected = HISTORY[title]
    assert [row[0] for row in history] == [row[0] for row in expected]
    assert [row[2] for row in history] == [row[1] for row in expected]
    assert [row[4] for row in history] == [row[3] for row in expected]
    for (_, _, _, summary, _), (_, _, start, _) in zip(history, expected, strict=True):
        assert summary.startswith(start)
    dates = [row[1] for row in history]
    assert dates == sorted(dates)


def test_imported_history_keeps_mediawikis_dates(imported):
    dates = [row[1] for row in _history("Interleukin-2")]
    assert dates[0].date() == datetime.date(2024, 1, 8)
    assert [date.date() for date in dates[1:]] == [
        datetime.date(2024, 1, 15),
        datetime.date(2024, 1, 16),
        datetime.date(2024, 2, 3),
        datetime.date(2024, 2, 21),
    ]
    assert [row[1] for row in _history("Main Page")] == [_at((1, 5), 8), _at((1, 5), 9)]


def test_history_page_lists_every_imported_revision(client, imported):
    response = client.get(page_url("Interleukin-2") + "history/")
    html = response.content.decode()
    assert response.status_code == 200
    for summary in ("Fix typo", "Add references", "Add who can have it"):
        assert summary in html
    assert html.count("Alice Editor") >= 3 and html.count("Bob Writer") >= 2


def test_diff_of_two_imported_revisions_shows_the_change(client, imported):
    page = Page.objects.get(title="Interleukin-2")
    infos = {info.mediawiki_id: info.revision_id for info in RevisionInfo.objects.filter(page=page)}
    # MediaWiki revision 7 ("Fix typo", minor) mended revision 6's "kidny".
    response = client.get(page_url("Interleukin-2") + f"diff/{infos[6]}/{infos[7]}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert re.search(r"<del[^>]*>[^<]*kidny", html) and re.search(r"<ins[^>]*>[^<]*kidney", html)
    # Revision 11 added the references: they show as added, and nothing of
    # the text before them as removed.
    response = client.get(page_url("Interleukin-2") + f"diff/{infos[7]}/{infos[11]}/")
    html = response.content.decode()
    assert "<ins" in html and "Example Cancer Society" in html
