"""Full-text search over page titles and text: the one module that knows how.

What is indexed is the title and the *rendered* text of each page
(``wiki.plaintext``): the words a reader sees, never markdown or markup. A
redirect page is indexed by its title only; a query that matches a redirect's
title finds the redirect's target, so "Proleukin" finds Interleukin-2.

- PostgreSQL: ``Page.search_vector`` (title at weight A, text at weight B, the
  ``english`` configuration) with a GIN index, queried with
  ``plainto_tsquery`` and ranked with ``ts_rank``.
- SQLite: an FTS5 table ``wiki_page_fts(title, body, redirect_title)`` whose
  rowid is the page id, with the porter stemmer, ranked with ``bm25`` (a title
  word weighs ten text words). Django has no API for FTS5: its raw SQL lives
  here only.

Both indexes are written by ``index_page`` on every save (``save_page`` calls
it inside its transaction), emptied by ``remove_page`` when a page is deleted,
and rebuilt by ``manage.py rebuildsearch``.

Ranking: title matches first (every query word is in the page's title, or in
the title of a redirect to it), then relevance. A query is reduced
to its words before it reaches either engine, so quotes, SQL metacharacters
and search operators are only ever searched for as text.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection, transaction
from django.db.models import (
    BooleanField,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
    Value,
)
from django.db.models.expressions import RawSQL
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from wiki.models import SEARCH_CONFIG, Link, Page
from wiki.plaintext import plain_text

# A query is cut to this many words, each to this many characters: enough for
# any real question, and it bounds the work a 2 KB query can cause.
MAX_TERMS = 12
MAX_TERM_LENGTH = 60
SNIPPET_LENGTH = 220
# PostgreSQL refuses a tsvector over 1 MB; no real page comes near this much
# text, and the first part of a page is what people search for.
MAX_INDEXED_CHARACTERS = 300_000
# How many redirect targets one query may bring in (titles are short: this is
# far more than any real query matches).
MAX_REDIRECT_TARGETS = 100
POSTGRES_CONFIG = SEARCH_CONFIG
# The FTS5 columns a content page's words are in (a redirect's title is in
# its own column, redirect_title).
CONTENT_COLUMNS = "{title body}"

# A word: letters and digits, joined by hyphens, apostrophes or dots
# ("IL-2", "don't", "3.5").
_WORD = re.compile(r"\w+(?:[-'’.]\w+)*")


@dataclass
class Hit:
    """One search result: the page, a highlighted snippet of its text, and
    the title of the redirect through which it matched ("" if none)."""

    page: Page
    snippet: SafeString
    redirect_title: str = ""


def query_terms(query: str) -> list[str]:
    """Return the words of ``query`` (lower case, without repeats, at most
    ``MAX_TERMS``), dropping everything else: quotes, operators, punctuation."""
    terms: list[str] = []
    for word in _WORD.findall(query or ""):
        term = word.casefold()[:MAX_TERM_LENGTH]
        if term not in terms:
            terms.append(term)
        if len(terms) == MAX_TERMS:
            break
    return terms


# Indexing ------------------------------------------------------------------


def _indexed_text(page: Page) -> str:
    if page.is_redirect:
        return ""
    return plain_text(page.body)[:MAX_INDEXED_CHARACTERS]


def index_page(page: Page) -> None:
    """Write ``page``'s title and rendered text to the search index (a
    redirect: its title only). Call after every save of the page."""
    text = _indexed_text(page)
    if connection.vendor == "postgresql":
        Page.objects.filter(pk=page.pk).update(
            search_vector=SearchVector(Value(page.title), weight="A", config=POSTGRES_CONFIG)
            + SearchVector(Value(text), weight="B", config=POSTGRES_CONFIG)
        )
        return
    # A redirect's title goes in its own column, so that a query over title
    # and body never sees a redirect and no query needs to read wiki_page.
    title, redirect_title = ("", page.title) if page.is_redirect else (page.title, "")
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM wiki_page_fts WHERE rowid = %s", [page.pk])
        cursor.execute(
            "INSERT INTO wiki_page_fts (rowid, title, body, redirect_title) "
            "VALUES (%s, %s, %s, %s)",
            [page.pk, title, text, redirect_title],
        )


def remove_page(page_id: int) -> None:
    """Take the page with id ``page_id`` out of the search index. Call when a
    page is deleted (on PostgreSQL the index goes with the row anyway)."""
    if connection.vendor == "postgresql":
        Page.objects.filter(pk=page_id).update(search_vector=None)
    else:
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM wiki_page_fts WHERE rowid = %s", [page_id])


def rebuild() -> int:
    """Index every page afresh (after an import that bypassed ``save_page``,
    or a change to what is indexed). Returns how many pages were indexed."""
    count = 0
    with transaction.atomic():
        if connection.vendor != "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("DELETE FROM wiki_page_fts")
        pages = Page.objects.only("pk", "title", "body", "redirect_to").order_by("pk")
        for page in pages.iterator(chunk_size=500):
            index_page(page)
            count += 1
    return count


# Matching ------------------------------------------------------------------


def _fts5_expression(terms: list[str], columns: str) -> str:
    # Every term becomes a quoted FTS5 string, in which nothing is an operator
    # (a double quote inside is written twice); the terms are ANDed, within
    # the given columns only.
    phrases = " ".join('"' + term.replace('"', '""') + '"' for term in terms)
    return f"{columns} : ({phrases})"


def _postgres_query(terms: list[str]) -> SearchQuery:
    return SearchQuery(" ".join(terms), search_type="plain", config=POSTGRES_CONFIG)


def _fts5_match(expression: str) -> Q:
    return Q(
        pk__in=RawSQL("SELECT rowid FROM wiki_page_fts WHERE wiki_page_fts MATCH %s", [expression])
    )


def _text_match(terms: list[str]) -> Q:
    """Content pages whose indexed title or text holds every term."""
    if connection.vendor == "postgresql":
        return Q(search_vector=_postgres_query(terms))
    return _fts5_match(_fts5_expression(terms, CONTENT_COLUMNS))


def _postgres_title_matches(terms: list[str], queryset: QuerySet | None = None) -> QuerySet:
    # The same expression as the GIN index wiki_page_title_search_gin, so that
    # finding the few pages whose title matches never reads the text vectors.
    queryset = Page.objects.all() if queryset is None else queryset
    return queryset.annotate(title_vector=SearchVector("title", config=POSTGRES_CONFIG)).filter(
        title_vector=_postgres_query(terms)
    )


def _matching_redirects(terms: list[str]) -> QuerySet:
    """Redirect pages whose title holds every term."""
    if connection.vendor == "postgresql":
        return _postgres_title_matches(terms, Page.objects.redirects())
    return Page.objects.redirects().filter(_fts5_match(_fts5_expression(terms, "redirect_title")))


def _redirect_targets(terms: list[str]) -> dict[int, str]:
    """Return ``{target page id: redirect title}`` for the redirects whose
    title holds every term. A redirect's target is its own link (the link
    table row whose title is the redirect's target). One query when no
    redirect matches, which is the common case."""
    redirects = dict(
        _matching_redirects(terms).order_by("key").values_list("pk", "title")[:MAX_REDIRECT_TARGETS]
    )
    if not redirects:
        return {}
    links = (
        Link.objects.filter(source_id__in=redirects, target_title=F("source__redirect_to"))
        .order_by("source__key")
        .values_list("source_id", "target_key")
    )
    redirect_title_by_key: dict[str, str] = {}
    for source_id, target_key in links:
        redirect_title_by_key.setdefault(target_key, redirects[source_id])
    targets = Page.objects.content_pages().filter(key__in=redirect_title_by_key)
    return {pk: redirect_title_by_key[key] for pk, key in targets.values_list("pk", "key")}


def _matching(queryset: QuerySet, terms: list[str], via_ids: list[int]) -> QuerySet:
    condition = _text_match(terms)
    if via_ids:
        condition |= Q(pk__in=via_ids)
    return queryset.content_pages().filter(condition)


def matching_pages(queryset: QuerySet, query: str) -> QuerySet:
    """Filter ``queryset`` to the content pages matching ``query``: its words
    are all in the title or text, or all in the title of a redirect to the
    page. Unranked; an empty query matches nothing."""
    terms = query_terms(query)
    if not terms:
        return queryset.none()
    return _matching(queryset, terms, list(_redirect_targets(terms)))


# Ranking -------------------------------------------------------------------


def _ranked_ids_postgres(terms: list[str], via_ids: list[int], offset: int, limit: int):
    query = _postgres_query(terms)
    title_match = Q(pk__in=_postgres_title_matches(terms).values("pk"))
    if via_ids:
        title_match |= Q(pk__in=via_ids)
    ranked = (
        _matching(Page.objects.all(), terms, via_ids)
        .annotate(rank=SearchRank(F("search_vector"), query))
        .annotate(is_title_match=ExpressionWrapper(title_match, output_field=BooleanField()))
        .order_by("-is_title_match", "-rank", "key")
        .values_list("pk", flat=True)
    )
    return list(ranked[offset : offset + limit])


# Everything is read from the FTS5 table alone (reading wiki_page, or the
# table's own text, for thousands of matches would cost more than the search).
# Candidates are the text matches, with their bm25 score (lower is better),
# and the redirect targets that do not match by text (score 0); title matches,
# including redirect targets, sort first.
_FTS5_RANKED_SQL = """
WITH matches (id, score) AS (
    SELECT rowid, bm25(wiki_page_fts, 10.0, 1.0, 0.0) FROM wiki_page_fts
    WHERE wiki_page_fts MATCH %s
),
extra (id) AS (SELECT value FROM json_each(%s)),
title_matches (id) AS (
    SELECT rowid FROM wiki_page_fts WHERE wiki_page_fts MATCH %s
    UNION ALL
    SELECT id FROM extra
)
SELECT id FROM (
    SELECT id, score FROM matches
    UNION ALL
    SELECT id, 0.0 FROM extra WHERE id NOT IN (SELECT id FROM matches)
)
ORDER BY id IN (SELECT id FROM title_matches) DESC, score, id
LIMIT %s OFFSET %s
"""
_FTS5_COUNT_SQL = """
SELECT count(*) FROM (
    SELECT rowid FROM wiki_page_fts WHERE wiki_page_fts MATCH %s
    UNION
    SELECT value FROM json_each(%s)
)
"""


def _ranked_ids_sqlite(terms: list[str], via_ids: list[int], offset: int, limit: int):
    via_json = json.dumps(via_ids)
    params = [
        _fts5_expression(terms, CONTENT_COLUMNS),
        via_json,
        _fts5_expression(terms, "title"),
        limit,
        offset,
    ]
    with connection.cursor() as cursor:
        cursor.execute(_FTS5_RANKED_SQL, params)
        return [row[0] for row in cursor.fetchall()]


def _count_sqlite(terms: list[str], via_ids: list[int]) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            _FTS5_COUNT_SQL, [_fts5_expression(terms, CONTENT_COLUMNS), json.dumps(via_ids)]
        )
        return cursor.fetchone()[0]


def _count_postgres(terms: list[str], via_ids: list[int]) -> int:
    return _matching(Page.objects.all(), terms, via_ids).count()


class SearchResults:
    """The ranked hits of one query as a sequence for ``Paginator``:
    ``count()`` and slicing, each running its query only when asked."""

    def __init__(self, query: str):
        self.query = query
        self.terms = query_terms(query)
        self._via: dict[int, str] | None = None
        self._count: int | None = None

    @property
    def via_redirect(self) -> dict[int, str]:
        if self._via is None:
            self._via = _redirect_targets(self.terms) if self.terms else {}
        return self._via

    def count(self) -> int:
        if self._count is None:
            if not self.terms:
                self._count = 0
            else:
                count = _count_postgres if connection.vendor == "postgresql" else _count_sqlite
                self._count = count(self.terms, list(self.via_redirect))
        return self._count

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, item: slice) -> list[Hit]:
        if not isinstance(item, slice):
            raise TypeError("SearchResults supports slices only")
        offset = item.start or 0
        limit = (item.stop if item.stop is not None else self.count()) - offset
        if not self.terms or limit <= 0:
            return []
        rank = _ranked_ids_postgres if connection.vendor == "postgresql" else _ranked_ids_sqlite
        ids = rank(self.terms, list(self.via_redirect), offset, limit)
        pages = Page.objects.defer("search_vector").in_bulk(ids)
        return [
            Hit(
                page=pages[page_id],
                snippet=snippet(plain_text(pages[page_id].body), self.terms),
                redirect_title=self.via_redirect.get(page_id, ""),
            )
            for page_id in ids
            if page_id in pages
        ]


def search(query: str) -> SearchResults:
    """Return the ranked results of ``query`` (lazy; see ``SearchResults``).
    Never raises for any text: an unusable query has no results."""
    return SearchResults(query)


# Snippets ------------------------------------------------------------------


def _highlight_pattern(terms: list[str]) -> re.Pattern | None:
    # The engines stem words ("treatments" finds "treatment"); highlighting
    # every word that starts like a query word shows most of those matches.
    stems = sorted({term if len(term) <= 4 else term[: max(4, len(term) - 3)] for term in terms})
    if not stems:
        return None
    alternatives = "|".join(re.escape(stem) for stem in sorted(stems, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})\w*", re.IGNORECASE)


def snippet(text: str, terms: list[str], length: int = SNIPPET_LENGTH) -> SafeString:
    """Return about ``length`` characters of plain ``text`` around the first
    match of ``terms``, escaped, with each matching word wrapped in
    ``<mark>``. Markup in ``text`` is shown as text, never as markup."""
    text = " ".join(text.split())
    pattern = _highlight_pattern(terms)
    first = pattern.search(text) if pattern else None
    start = 0
    if first is not None and first.start() > length // 3:
        start = text.rfind(" ", 0, first.start() - length // 3) + 1
    end = min(len(text), start + length)
    if end < len(text) and text.rfind(" ", start, end) > start:
        end = text.rfind(" ", start, end)
    window = text[start:end]
    pieces: list[str] = ["… "] if start > 0 else []
    position = 0
    for match in pattern.finditer(window) if pattern else ():
        pieces.append(window[position : match.start()])
        pieces.append(format_html("<mark>{}</mark>", match.group(0)))
        position = match.end()
    pieces.append(window[position:])
    if end < len(text):
        pieces.append(" …")
    return format_html_join("", "{}", ((piece,) for piece in pieces))
