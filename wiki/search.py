"""Full-text search over page titles and text: the one module that knows how.

What is indexed is the title and the *rendered* text of each page
(``wiki.plaintext``): the words a reader sees, never markdown or markup. A
redirect page is indexed by its title only; a query that matches a redirect's
title finds the redirect's target, so "Proleukin" finds Interleukin-2.

- PostgreSQL: ``Page.search_vector`` (title at weight A, text at weight B, the
  ``english`` configuration) with a GIN index, queried with
  ``plainto_tsquery`` and ranked with ``ts_rank``: only the first
  ``MAX_RESULTS`` text matches by id and the pages found by a title are
  ranked, never every match.
- SQLite: an FTS5 table ``wiki_page_fts(title, body, redirect_title)`` whose
  rowid is the page id, with the porter stemmer, ranked with ``bm25`` (a title
  word weighs ten text words), every match. Django has no API for FTS5: its
  raw SQL lives here only.

Either way one query gives the ranked ids, at most ``MAX_RESULTS`` of them
(and one more, to tell "more than ``MAX_RESULTS``" from exactly that many):
no count of every match, and snippets only for the page of results shown.

Both indexes are written by ``index_page`` on every save (``save_page`` calls
it inside its transaction), emptied by ``remove_page`` when a page is deleted,
and rebuilt by ``manage.py rebuildsearch``.

Ranking, in four tiers, then relevance within each:

0. a title equal to the query, ignoring letter case, spaces, hyphens and
   punctuation ("interleukin 2" is "Interleukin-2", "IL2" is "IL-2");
1. a title that starts with the query's words ("Interleukin-2" for
   "interleukin");
2. any other title holding every query word ("High Dose Interleukin-2");
3. pages whose text holds every query word.

A redirect's title counts as its target's title in every tier. A query is
reduced to its words before it reaches either engine, so quotes, SQL
metacharacters and search operators are only ever searched for as text. A
word mixing letters and digits also matches them apart ("IL2" finds "IL-2").

Titles also live in ``SearchTitle`` (one row per page, redirects included),
keyed for tiers 0 and 1 and for titles *close* to a misspelt query ("proleukn"
is close to "Proleukin"): ``close_titles`` offers them as "Did you mean ...?",
and ``suggest_titles`` (the header box) tolerates one typo. Closeness is
pg_trgm's trigram similarity on both databases, computed here in Python over
a bounded set of candidates that each engine's trigram index finds:

- PostgreSQL: the ``pg_trgm`` extension, a GIN ``gin_trgm_ops`` index on
  ``SearchTitle.match_key`` and its ``%`` operator, ordered by
  ``similarity()``.
- SQLite: a table ``wiki_searchtitle_trigram(trigram, page_id)`` of the same
  trigrams, and the titles that share most of them with the query.
"""

from __future__ import annotations

import datetime
import json
import re
import unicodedata
from dataclasses import dataclass

from django.contrib.postgres.search import (
    SearchQuery,
    SearchVector,
)
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import (
    Case,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from wiki.models import SEARCH_CONFIG, Link, Page, SearchTitle
from wiki.plaintext import plain_text, plain_texts
from wiki.titles import MAX_TITLE_LENGTH, page_url, title_key, validate_title

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
# The pieces of a title key: runs of digits, runs of letters ("IL-2" and
# "IL2" are both "il", "2").
_KEY_PIECE = re.compile(r"\d+|[^\W\d_]+")

# Tiers of the ranking (see the module docstring).
TIER_EQUAL_TITLE = 0
TIER_TITLE_START = 1
TIER_TITLE_WORDS = 2
TIER_TEXT = 3
# Titles that equal or start with the query: more than any real query has.
MAX_TITLE_HITS = 100
# A misspelt query is compared by its first characters only: no title a
# reader mistypes is longer, and it bounds the trigrams a query looks up (a
# 32-character key has 34).
MAX_CLOSE_KEY_LENGTH = 32
# Shorter keys are too short to guess at: "il" is close to too many titles.
MIN_CLOSE_KEY_LENGTH = 4
# How many titles each engine's trigram index hands over for comparison, and
# how close one must be: pg_trgm's own default threshold for ``%`` to be
# offered as "Did you mean", less for the header box, where the typo must
# also be a single one ("sutnet" is 0.27 from "sutent": a swap of two
# letters changes three of a short word's trigrams).
CLOSE_CANDIDATES = 50
MIN_SIMILARITY = 0.3
MIN_SUGGEST_SIMILARITY = 0.2
DID_YOU_MEAN = 3
# At most this many results are ranked and listed (25 pages of 20); when more
# pages match, the count says "more than 500" and the first 500 are listed.
# Ranking every match is what made a common word slow: see
# ``_ranked_postgres``.
MAX_RESULTS = 500


# What a result shows of its page, and the body its snippet comes from (every
# column of twenty pages took 0.8 ms to read, these 0.4 ms).
HIT_PAGE_FIELDS = ("id", "title", "body", "article_date")


@dataclass
class Hit:
    """One search result: its page's title, URL and article date (or None),
    a highlighted snippet of its text, and the title of the redirect through
    which it matched ("" if none)."""

    title: str
    url: str
    article_date: datetime.date | None
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


def _key_pieces(text: str) -> list[str]:
    # Accents go (NFKD, then the combining marks), so "Sorafénib" is
    # "sorafenib"; casefold, so "ß" is "ss".
    decomposed = unicodedata.normalize("NFKD", text[: 2 * MAX_TITLE_LENGTH])
    folded = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return _KEY_PIECE.findall(folded)


def match_key(text: str) -> str:
    """Return the key under which a title matches a query: lower case, no
    accents, letters and digits only ("Interleukin-2", "interleukin 2" and
    "INTERLEUKIN2" are all "interleukin2"; "IL-2" and "IL2" are "il2")."""
    return "".join(_key_pieces(text))


def words_key(text: str) -> str:
    """Return the words of a title as ``match_key`` sees them, one space
    apart, letters and digits apart ("IL-2" and "IL2" are "il 2"), so that
    "starts with" can mean whole words ("il 2" does not start "il 21")."""
    return " ".join(_key_pieces(text))


def _split_term(term: str) -> str:
    # "il2" -> "il 2": a word that mixes letters and digits, as its pieces.
    pieces = _KEY_PIECE.findall(term)
    return " ".join(pieces) if len(pieces) > 1 and "".join(pieces) == term else ""


def trigrams(key: str) -> set[str]:
    """Return the trigrams of a ``match_key`` as pg_trgm makes them for one
    word: padded with two spaces before and one after ("il2" gives "  i",
    " il", "il2", "l2 ")."""
    if not key:
        return set()
    padded = f"  {key} "
    return {padded[index : index + 3] for index in range(len(padded) - 2)}


def similarity(first: str, second: str) -> float:
    """pg_trgm's ``similarity()`` of two match keys: shared trigrams over all
    trigrams of either, from 0 (none shared) to 1 (the same)."""
    first_trigrams, second_trigrams = trigrams(first), trigrams(second)
    if not first_trigrams or not second_trigrams:
        return 0.0
    shared = len(first_trigrams & second_trigrams)
    return shared / (len(first_trigrams) + len(second_trigrams) - shared)


def is_one_edit_apart(first: str, second: str) -> bool:
    """Whether ``second`` is ``first`` with at most one character inserted,
    deleted or changed, or two neighbours swapped (an edit distance of at
    most one). Linear in the length: it runs on every candidate title."""
    if first == second:
        return True
    if abs(len(first) - len(second)) > 1:
        return False
    same = 0
    while same < min(len(first), len(second)) and first[same] == second[same]:
        same += 1
    if len(first) > len(second):
        return first[same + 1 :] == second[same:]
    if len(first) < len(second):
        return first[same:] == second[same + 1 :]
    swapped = (
        same + 1 < len(first)
        and first[same] == second[same + 1]
        and first[same + 1] == second[same]
        and first[same + 2 :] == second[same + 2 :]
    )
    return swapped or first[same + 1 :] == second[same + 1 :]


def is_one_typo_from_start(typed: str, key: str) -> bool:
    """Whether ``typed`` (a match key) is at most one typo away from the
    start of ``key``, or from all of it ("proleukn" and "prolekin" are one
    typo from "proleukin"; "prolo" is one from its start "prole")."""
    return any(
        is_one_edit_apart(typed, key[:length])
        for length in range(max(1, len(typed) - 1), len(typed) + 2)
    )


# Indexing ------------------------------------------------------------------


def _indexed_text(page: Page) -> str:
    if page.is_redirect:
        return ""
    return plain_text(page.body)[:MAX_INDEXED_CHARACTERS]


def title_row(page) -> SearchTitle:
    """The ``SearchTitle`` row of ``page`` (not saved): its title's keys, and
    the key of the content page the title counts for."""
    target = page.redirect_to if page.redirect_to else page.title
    return SearchTitle(
        page_id=page.pk,
        title=page.title,
        match_key=match_key(page.title),
        words_key=words_key(page.title),
        target_key=title_key(target),
    )


_SQLITE_TRIGRAMS_DELETE = "DELETE FROM wiki_searchtitle_trigram WHERE page_id = %s"
_SQLITE_TRIGRAMS_INSERT = "INSERT INTO wiki_searchtitle_trigram (trigram, page_id) VALUES (%s, %s)"


def _index_title(page: Page, is_new: bool) -> None:
    row = title_row(page)
    if is_new:
        row.save(force_insert=True)
    else:
        SearchTitle.objects.update_or_create(
            page_id=page.pk,
            defaults={
                "title": row.title,
                "match_key": row.match_key,
                "words_key": row.words_key,
                "target_key": row.target_key,
            },
        )
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_SQLITE_TRIGRAMS_DELETE, [page.pk])
            cursor.executemany(
                _SQLITE_TRIGRAMS_INSERT,
                [(trigram, page.pk) for trigram in sorted(trigrams(row.match_key))],
            )


def index_page(page: Page, *, is_new: bool = False) -> None:
    """Write ``page``'s title and rendered text to the search index (a
    redirect: its title only), and its title to ``SearchTitle`` (with its
    trigrams on SQLite). Call after every save of the page. ``is_new``: the
    page was created in the caller's transaction, so it has no
    ``SearchTitle`` yet. (The rows of SQLite's own tables are deleted
    anyway: they have no foreign key, and a flushed database gives a new
    page an old page's id.)"""
    _index_title(page, is_new)
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
    SearchTitle.objects.filter(page_id=page_id).delete()
    if connection.vendor == "postgresql":
        Page.objects.filter(pk=page_id).update(search_vector=None)
    else:
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM wiki_page_fts WHERE rowid = %s", [page_id])
            cursor.execute(_SQLITE_TRIGRAMS_DELETE, [page_id])


def rebuild() -> int:
    """Index every page afresh (after an import that bypassed ``save_page``,
    or a change to what is indexed). Returns how many pages were indexed."""
    count = 0
    with transaction.atomic():
        SearchTitle.objects.all().delete()
        if connection.vendor != "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("DELETE FROM wiki_page_fts")
                cursor.execute("DELETE FROM wiki_searchtitle_trigram")
        pages = Page.objects.only("pk", "title", "body", "redirect_to").order_by("pk")
        for page in pages.iterator(chunk_size=500):
            index_page(page)
            count += 1
    return count


# Matching ------------------------------------------------------------------


def _fts5_phrase(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _fts5_term(term: str) -> str:
    split = _split_term(term)
    return f"({_fts5_phrase(term)} OR {_fts5_phrase(split)})" if split else _fts5_phrase(term)


def _fts5_expression(terms: list[str], columns: str) -> str:
    # Every term becomes a quoted FTS5 string, in which nothing is an operator
    # (a double quote inside is written twice), or two when it mixes letters
    # and digits ("il2" OR "il 2"); the terms are ANDed, within the given
    # columns only.
    phrases = " AND ".join(_fts5_term(term) for term in terms)
    return f"{columns} : ({phrases})"


def _postgres_query(terms: list[str]) -> SearchQuery:
    # The plain words in one plainto_tsquery; a word that mixes letters and
    # digits as itself or as the phrase of its pieces ("il2" | "il" <-> "2").
    plain = [term for term in terms if not _split_term(term)]
    query = SearchQuery(" ".join(plain), config=POSTGRES_CONFIG) if plain else None
    for term in terms:
        if split := _split_term(term):
            either = SearchQuery(term, config=POSTGRES_CONFIG) | SearchQuery(
                _postgres_phrase(split), search_type="raw", config=POSTGRES_CONFIG
            )
            query = either if query is None else query & either
    return query


def _postgres_phrase(split: str) -> str:
    # PostgreSQL's parser reads "IL-2" as "il" followed by the number "-2":
    # a digit piece after the first is either. The pieces are letters or
    # digits only (``_split_term``), so nothing in them is an operator.
    pieces = split.split()
    alternatives = [pieces[0]] + [
        f"({piece} | -{piece})" if piece.isdigit() else piece for piece in pieces[1:]
    ]
    return " <-> ".join(alternatives)


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


def _title_hits(query: str) -> dict[int, tuple[int, str]]:
    """Return ``{content page id: (tier, redirect title or "")}`` for the
    pages whose own title, or a redirect's, equals ``query`` (tier
    ``TIER_EQUAL_TITLE``) or starts with its words (``TIER_TITLE_START``):
    each page's best tier, its own title before a redirect's. One query."""
    exact = match_key(query)
    if not exact:
        return {}
    tier = Case(
        When(match_key=exact, then=Value(TIER_EQUAL_TITLE)),
        default=Value(TIER_TITLE_START),
        output_field=IntegerField(),
    )
    target = Page.objects.content_pages().filter(key=OuterRef("target_key")).values("pk")[:1]
    rows = (
        SearchTitle.objects.filter(
            Q(match_key=exact) | _starts_with("words_key", words_key(query) + " ")
        )
        .annotate(tier=tier, target_id=Subquery(target))
        .order_by("tier", "words_key")
        .values_list("target_id", "tier", "title", "target_key")[:MAX_TITLE_HITS]
    )
    return _best_title_hits(rows)


def _best_title_hits(rows) -> dict[int, tuple[int, str]]:
    # ``rows`` are ``(target id, tier, title, target key)``, best tier first.
    hits: dict[int, tuple[int, str]] = {}
    for target_id, tier, title, target_key in rows:
        if target_id is None:
            continue  # a redirect to a missing page, or to another redirect
        redirect_title = "" if title_key(title) == target_key else title
        best = hits.get(target_id)
        if best is None or (tier, bool(redirect_title)) < (best[0], bool(best[1])):
            hits[target_id] = (tier, redirect_title)
    return hits


def _starts_with(field: str, prefix: str) -> Q:
    """Rows whose ``field`` (a lower-case key) starts with ``prefix``, by the
    field's index on either database: PostgreSQL's LIKE uses the
    ``varchar_pattern_ops`` index Django makes; SQLite's LIKE reads every row
    (it ignores letter case), so there it is the range of keys from
    ``prefix`` up to ``prefix`` followed by the last code point, which no
    key holds."""
    if connection.vendor == "postgresql":
        return Q(**{f"{field}__startswith": prefix})
    return Q(**{f"{field}__gte": prefix, f"{field}__lt": prefix + chr(0x10FFFF)})


def _ids_in_tier(title_hits: dict[int, tuple[int, str]], tier: int) -> list[int]:
    return sorted(page_id for page_id, (hit_tier, _) in title_hits.items() if hit_tier == tier)


# PostgreSQL's searches are raw SQL, written once here: building the same
# statements through the ORM took longer than running them (at 10,000 pages,
# a rare word's title hits, redirect targets and ranking spent 3.5 ms in
# Python making SQL, 1 ms in the database). The title vector is the
# expression of the GIN index wiki_page_title_search_gin, so that finding the
# few pages whose title matches never reads the text vectors.
_POSTGRES_TITLE_VECTOR = f"to_tsvector('{POSTGRES_CONFIG}'::regconfig, COALESCE(title, ''))"


def _postgres_tsquery(terms: list[str]) -> tuple[str, dict[str, str]]:
    """The SQL of ``_postgres_query(terms)``, with named parameters."""
    plain = [term for term in terms if not _split_term(term)]
    config = f"'{POSTGRES_CONFIG}'::regconfig"
    parts: list[str] = []
    params: dict[str, str] = {}
    if plain:
        parts.append(f"plainto_tsquery({config}, %(plain)s)")
        params["plain"] = " ".join(plain)
    for number, term in enumerate(terms):
        if split := _split_term(term):
            parts.append(
                f"(plainto_tsquery({config}, %(term{number})s)"
                f" || to_tsquery({config}, %(phrase{number})s))"
            )
            params[f"term{number}"] = term
            params[f"phrase{number}"] = _postgres_phrase(split)
    return " && ".join(parts), params


_POSTGRES_TITLE_HITS_SQL = """
SELECT (
    SELECT target.id FROM wiki_page AS target
    WHERE target.redirect_to = '' AND target.key = search_title.target_key
) AS target_id,
CASE WHEN search_title.match_key = %(exact)s THEN %(equal_tier)s ELSE %(start_tier)s END AS tier,
search_title.title, search_title.target_key
FROM wiki_searchtitle AS search_title
WHERE search_title.match_key = %(exact)s OR search_title.words_key LIKE %(words)s
ORDER BY tier, search_title.words_key LIMIT %(title_hits)s;
"""

# A redirect's target is its own link (the link table row whose title is the
# redirect's target), then the content page of that link's key.
_POSTGRES_REDIRECT_TARGETS_SQL = """
SELECT target.id, redirect.title FROM (
    SELECT id, title, key, redirect_to FROM wiki_page
    WHERE redirect_to <> '' AND {title_vector} @@ ({tsquery})
    ORDER BY key LIMIT %(redirects)s
) AS redirect
JOIN wiki_link AS link ON link.source_id = redirect.id AND link.target_title = redirect.redirect_to
JOIN wiki_page AS target ON target.key = link.target_key AND target.redirect_to = ''
ORDER BY redirect.key;
"""


def _postgres_titles(
    terms: list[str], go_to_query: str | None = None
) -> tuple[dict[int, tuple[int, str]], dict[int, str], str | None]:
    # ``_title_hits`` and ``_redirect_targets`` of ``terms``, and, when
    # ``go_to_query`` is given, ``title_to_go_to`` of it: one message to the
    # database (up to three statements, each its own result). Asking whether
    # the query names a page on its own cost a round trip, a tenth of a rare
    # word's search at 10,000 pages.
    statements: list[str] = []
    params: dict[str, object] = {}
    go_to = _go_to_params(go_to_query) if go_to_query is not None else None
    if go_to is not None:
        statements.append(_GO_TO_SQL)
        params.update(go_to)
    exact = match_key(" ".join(terms)) if terms else ""
    if exact:
        query = " ".join(terms)
        statements.append(_POSTGRES_TITLE_HITS_SQL)
        params["exact"] = exact
        params["words"] = connection.ops.prep_for_like_query(words_key(query) + " ") + "%"
        params["title_hits"] = MAX_TITLE_HITS
        params["equal_tier"] = TIER_EQUAL_TITLE
        params["start_tier"] = TIER_TITLE_START
    if terms:
        tsquery, tsquery_params = _postgres_tsquery(terms)
        statements.append(
            _POSTGRES_REDIRECT_TARGETS_SQL.format(
                title_vector=_POSTGRES_TITLE_VECTOR, tsquery=tsquery
            )
        )
        params.update(tsquery_params, redirects=MAX_REDIRECT_TARGETS)
    if not statements:
        return {}, {}, None
    with connection.cursor() as cursor:
        cursor.execute("".join(statements), params)
        results = [cursor.fetchall()]
        while cursor.nextset():
            results.append(cursor.fetchall())
    go_to_title = _go_to_title(results.pop(0)) if go_to is not None else None
    title_rows = results.pop(0) if exact else []
    targets: dict[int, str] = {}
    for target_id, redirect_title in results.pop(0) if terms else []:
        targets.setdefault(target_id, redirect_title)
    return _best_title_hits(title_rows), targets, go_to_title


# The candidates are the first ``limit`` text matches by id, the first
# ``limit`` pages whose own title matches, and the pages found by a title
# (their own or a redirect's); only they are ranked, so ts_rank reads at most
# about twice ``limit`` vectors. At 10,000 pages "treatment" (6,000 matches)
# took 17 ms to rank every match and 20 ms more to count them; ranking 500
# candidates takes 1.5 ms. A union (an OR of three conditions scanned
# the whole table: 4.7 ms), and the lowest ids rather than whatever a scan
# meets first, so that every page of results ranks the same candidates (a
# synchronised sequential scan may start anywhere in the table). Each is
# ranked as it is read (joining the candidates back to their rows to rank
# them cost "treatment" 0.6 ms more). The rows of the results shown (title,
# text, date) come with the ranking, read for those twenty only: asking for
# them apart was a round trip more.
_POSTGRES_RANKED_SQL = """
WITH candidates AS (
    (
        SELECT id, key, {rank} AS rank FROM wiki_page
        WHERE redirect_to = '' AND search_vector @@ ({tsquery})
        ORDER BY id LIMIT %(limit)s
    ) UNION (
        SELECT id, key, {rank} FROM wiki_page
        WHERE redirect_to = '' AND {title_vector} @@ ({tsquery})
        ORDER BY id LIMIT %(limit)s
    ) UNION (
        SELECT id, key, {rank} FROM wiki_page
        WHERE redirect_to = '' AND id = ANY(%(extra_ids)s)
    )
),
ranked AS (
    SELECT id, key, rank, CASE
        WHEN id = ANY(%(equal_ids)s) THEN {equal}
        WHEN id = ANY(%(start_ids)s) THEN {start}
        WHEN id = ANY(%(extra_ids)s) OR id IN (
            SELECT id FROM wiki_page WHERE {title_vector} @@ ({tsquery})
        ) THEN {words}
        ELSE {text}
    END AS tier
    FROM candidates
    ORDER BY tier, rank DESC, key
    LIMIT %(limit)s
),
numbered AS (
    SELECT id, tier, row_number() OVER (ORDER BY tier, rank DESC, key) - 1 AS position
    FROM ranked
)
SELECT numbered.id, numbered.tier, shown.title, shown.body, shown.article_date
FROM numbered LEFT JOIN LATERAL (
    SELECT title, body, article_date FROM wiki_page
    WHERE wiki_page.id = numbered.id
    AND numbered.position >= %(shown_start)s AND numbered.position < %(shown_stop)s
) AS shown ON true
ORDER BY numbered.position;
"""


@dataclass
class _Ranking:
    # What one ranking query hands back: ``(page id, tier)`` of the best
    # candidates, best first; ``{position: (id, title, body, article date)}``
    # of the shown ones that were read with it; and, when asked for, the
    # close-title candidates (see ``_close_candidates``), else None.
    ranked: list[tuple[int, int]]
    shown: dict[int, tuple]
    close: list[tuple[str, str, str, bool | None]] | None = None


def _ranked_postgres(
    terms: list[str],
    title_hits: dict,
    via_ids: list[int],
    limit: int,
    shown: slice,
    close_key: str = "",
) -> _Ranking:
    # The ranking, the rows of the ``shown`` positions, and, for a non-empty
    # ``close_key``, the titles close to it: one message to the database.
    tsquery, params = _postgres_tsquery(terms)
    sql = _POSTGRES_RANKED_SQL.format(
        equal=TIER_EQUAL_TITLE,
        start=TIER_TITLE_START,
        words=TIER_TITLE_WORDS,
        text=TIER_TEXT,
        title_vector=_POSTGRES_TITLE_VECTOR,
        tsquery=tsquery,
        rank=f"ts_rank(search_vector, {tsquery})",
    )
    params.update(
        equal_ids=_ids_in_tier(title_hits, TIER_EQUAL_TITLE),
        start_ids=_ids_in_tier(title_hits, TIER_TITLE_START),
        extra_ids=via_ids,
        limit=limit,
        shown_start=shown.start,
        shown_stop=shown.stop,
    )
    if close_key:
        close_sql, close_params = _postgres_close_statement(close_key, MIN_SIMILARITY, True)
        sql += close_sql
        params.update(close_params)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
        close = None
        if close_key:
            cursor.nextset()  # the settings
            cursor.nextset()
            close = [tuple(row) for row in cursor.fetchall()]
    shown_rows = {
        position: (page_id, title, body, article_date)
        for position, (page_id, _, title, body, article_date) in enumerate(rows)
        if title is not None
    }
    return _Ranking([(row[0], row[1]) for row in rows], shown_rows, close)


# Everything is read from the FTS5 table alone (reading wiki_page, or the
# table's own text, for thousands of matches would cost more than the search).
# Candidates are the text matches, with their bm25 score (lower is better),
# and the pages found by a title (their own or a redirect's) that do not match
# by text (score 0); they sort by tier (see the module docstring), then score.
# Unlike PostgreSQL's, every match is ranked: FTS5 scores 6,000 matches and
# keeps the best 500 in 6.5 ms (the first 500 by id, scored on their own,
# took longer: 9.4 ms).
_FTS5_RANKED_SQL = """
WITH matches (id, score) AS (
    SELECT rowid, bm25(wiki_page_fts, 10.0, 1.0, 0.0) FROM wiki_page_fts
    WHERE wiki_page_fts MATCH %s
),
extra (id) AS (SELECT value FROM json_each(%s)),
equal_titles (id) AS (SELECT value FROM json_each(%s)),
title_starts (id) AS (SELECT value FROM json_each(%s)),
title_matches (id) AS (
    SELECT rowid FROM wiki_page_fts WHERE wiki_page_fts MATCH %s
    UNION ALL
    SELECT id FROM extra
)
SELECT id, CASE
    WHEN id IN (SELECT id FROM equal_titles) THEN 0
    WHEN id IN (SELECT id FROM title_starts) THEN 1
    WHEN id IN (SELECT id FROM title_matches) THEN 2
    ELSE 3
END AS tier FROM (
    SELECT id, score FROM matches
    UNION ALL
    SELECT id, 0.0 FROM extra WHERE id NOT IN (SELECT id FROM matches)
)
ORDER BY tier, score, id
LIMIT %s
"""


def _ranked_sqlite(terms: list[str], title_hits: dict, via_ids: list[int], limit: int) -> _Ranking:
    params = [
        _fts5_expression(terms, CONTENT_COLUMNS),
        json.dumps(via_ids),
        json.dumps(_ids_in_tier(title_hits, TIER_EQUAL_TITLE)),
        json.dumps(_ids_in_tier(title_hits, TIER_TITLE_START)),
        _fts5_expression(terms, "title"),
        limit,
    ]
    with connection.cursor() as cursor:
        cursor.execute(_FTS5_RANKED_SQL, params)
        return _Ranking([(page_id, tier) for page_id, tier in cursor.fetchall()], {})


# Close titles --------------------------------------------------------------


@dataclass(frozen=True)
class CloseTitle:
    """A title close to a query: the title (a page's or a redirect's), its
    page's URL, and its ``similarity`` to the query."""

    title: str
    url: str
    closeness: float


# SQLite's candidates are the titles sharing most of the query's uncommon
# trigrams. A trigram in COMMON_TRIGRAM_TITLES titles or more ("  b", "ben"
# in 10,000 "Bench page ..." titles) is left out, as a stop word is: counting
# it is stopped there, so the whole lookup reads at most that many index
# entries a trigram (34 a query).
_SQLITE_CLOSE_SQL = """
WITH query (trigram) AS (SELECT value FROM json_each(%s)),
uncommon (trigram) AS (
    SELECT trigram FROM query WHERE (
        SELECT count(*) FROM (
            SELECT 1 FROM wiki_searchtitle_trigram AS posting
            WHERE posting.trigram = query.trigram LIMIT %s
        )
    ) < %s
)
SELECT page_id FROM wiki_searchtitle_trigram
WHERE trigram IN (SELECT trigram FROM uncommon)
GROUP BY page_id ORDER BY count(*) DESC, page_id LIMIT %s
"""
COMMON_TRIGRAM_TITLES = 500
# Sharing most trigrams can favour long titles over close ones: SQLite hands
# over more candidates than PostgreSQL, which orders them by similarity.
SQLITE_CANDIDATE_FACTOR = 4


# Two statements in one message, which PostgreSQL runs as one transaction:
# the first sets, for that transaction only, the threshold of the ``%``
# operator and the trigram index, never a scan, for the second. The planner
# scans a table of 10,000 short titles instead, computing every similarity
# (22 ms for a 31-character query, 0.1 ms by the index). One message rather
# than BEGIN, the settings, the query and COMMIT: three round trips fewer, a
# third of a rare word's search. (Django's psycopg cursors bind parameters on
# the client, which is what lets one execute() hold two statements.)
_POSTGRES_CLOSE_SQL = """
SELECT set_config('pg_trgm.similarity_threshold', %(close_threshold)s, true),
    set_config('enable_seqscan', 'off', true);
SELECT title, match_key, target_key, {has_target} FROM wiki_searchtitle
WHERE match_key %% %(close_key)s
ORDER BY similarity(match_key, %(close_key)s) DESC, match_key LIMIT %(close_limit)s;
"""
# Whether a title's page (the redirect's target) is a content page, asked in
# the same statement: one round trip fewer for "Did you mean".
_POSTGRES_HAS_TARGET = """EXISTS (
    SELECT 1 FROM wiki_page
    WHERE wiki_page.key = wiki_searchtitle.target_key AND wiki_page.redirect_to = ''
)"""


def _postgres_close_statement(
    key: str, threshold: float, check_targets: bool
) -> tuple[str, dict[str, object]]:
    # The two statements of _POSTGRES_CLOSE_SQL and their parameters: sent
    # alone, or after a search's ranking (which they must follow: their
    # settings hold until the end of the message).
    has_target = _POSTGRES_HAS_TARGET if check_targets else "NULL"
    params = {"close_threshold": str(threshold), "close_key": key, "close_limit": CLOSE_CANDIDATES}
    return _POSTGRES_CLOSE_SQL.format(has_target=has_target), params


def _close_candidates(
    key: str, threshold: float, check_targets: bool
) -> list[tuple[str, str, str, bool | None]]:
    """``(title, match_key, target_key, whether the target is a content
    page)`` of at most a bounded number of titles that may be at least
    ``threshold`` close to the match key ``key``, found by the trigram index
    (never by reading every title). The last is None unless
    ``check_targets``, and always on SQLite (see ``close_titles``)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(*_postgres_close_statement(key, threshold, check_targets))
            cursor.nextset()
            return [tuple(row) for row in cursor.fetchall()]
    params = [
        json.dumps(sorted(trigrams(key))),
        COMMON_TRIGRAM_TITLES,
        COMMON_TRIGRAM_TITLES,
        CLOSE_CANDIDATES * SQLITE_CANDIDATE_FACTOR,
    ]
    with connection.cursor() as cursor:
        cursor.execute(_SQLITE_CLOSE_SQL, params)
        page_ids = [row[0] for row in cursor.fetchall()]
    rows = SearchTitle.objects.filter(page_id__in=page_ids).values_list(
        "title", "match_key", "target_key"
    )
    return [(*row, None) for row in rows]


def _closest(
    key: str, threshold: float, check_targets: bool = False, candidates=None
) -> list[tuple[float, str, str, str, bool | None]]:
    # (similarity, title, match key, target key, whether the target is a
    # content page or None), closest first, at least ``threshold``, a page's
    # own title before a redirect's of the same key: the same order on both
    # databases. ``candidates``, when given, were already read (by a
    # search's ranking) and are not asked for again.
    if candidates is None:
        candidates = _close_candidates(key, threshold, check_targets)
    scored = (
        (similarity(key, candidate_key), title, candidate_key, target_key, has_target)
        for title, candidate_key, target_key, has_target in candidates
    )
    close = [row for row in scored if row[0] >= threshold]
    close.sort(key=lambda row: (-row[0], row[2], title_key(row[1]) != row[3], row[1]))
    return close[:CLOSE_CANDIDATES]


def _close_key(query: str) -> str:
    key = match_key(query)[:MAX_CLOSE_KEY_LENGTH]
    return key if len(key) >= MIN_CLOSE_KEY_LENGTH else ""


def close_titles(query: str, candidates=None) -> list[CloseTitle]:
    """Return the titles close to ``query`` (trigram similarity of their
    match keys at least ``MIN_SIMILARITY``), closest first, one for each
    content page (a redirect's title stands for its target; a redirect to a
    missing page is left out). Empty for a query shorter than
    ``MIN_CLOSE_KEY_LENGTH`` letters and digits. One query (at most three on
    SQLite); none on PostgreSQL when ``candidates`` come with a search's
    ranking."""
    key = _close_key(query)
    if not key:
        return []
    close = _closest(key, MIN_SIMILARITY, check_targets=True, candidates=candidates)
    if connection.vendor != "postgresql":
        # SQLite hands over four times as many candidates: their targets are
        # looked up for the close ones only.
        target_keys = {row[3] for row in close}
        existing = set(
            Page.objects.content_pages().filter(key__in=target_keys).values_list("key", flat=True)
        )
        close = [(*row[:4], row[3] in existing) for row in close]
    found: list[CloseTitle] = []
    seen: set[str] = set()
    for closeness, title, _, target_key, has_target in close:
        if has_target and target_key not in seen:
            seen.add(target_key)
            found.append(CloseTitle(title=title, url=page_url(title), closeness=closeness))
    return found


def suggest_titles(query: str, limit: int) -> list[str]:
    """Return up to ``limit`` titles (of pages and redirects) for the header
    box: those that start with ``query`` in any letter case, then those
    whose match key starts with its own ("il2" suggests "IL-2"), then those
    one typo from their start ("proleukn", "prolek" suggest "Proleukin"),
    closest first."""
    titles: list[str] = []
    if prefix := title_key(query):
        pages = Page.objects.filter(_starts_with("key", prefix)).order_by("key")
        titles = list(pages.values_list("title", flat=True)[:limit])
    key = match_key(query)
    if len(titles) < limit and key:
        titles += (
            SearchTitle.objects.filter(_starts_with("match_key", key))
            .exclude(title__in=titles)
            .order_by("match_key", "title")
            .values_list("title", flat=True)[: limit - len(titles)]
        )
    close_key = _close_key(query)
    if len(titles) < limit and close_key:
        for _, title, candidate_key, _, _ in _closest(close_key, MIN_SUGGEST_SIMILARITY):
            if title not in titles and is_one_typo_from_start(close_key, candidate_key):
                titles.append(title)
    return titles[:limit]


# The page whose title is the query in any spelling, then the titles (of
# pages and redirects) whose match key is the query's: one round trip.
_GO_TO_SQL = """
SELECT 0 AS choice, title FROM (
    SELECT title FROM wiki_page WHERE key = %(go_to_key)s LIMIT 1
) AS same_title
UNION ALL
SELECT 1, title FROM (
    SELECT title FROM wiki_searchtitle WHERE match_key = %(go_to_match_key)s LIMIT 2
) AS same_key
ORDER BY choice;
"""


def _go_to_params(query: str) -> dict[str, str] | None:
    # The parameters of _GO_TO_SQL for ``query``, or None when no title can
    # be the one it names.
    try:
        key = title_key(validate_title(query))
    except ValidationError:
        key = ""  # no page has this title, or any title
    close_key = match_key(query)
    if not key and not close_key:
        return None
    return {"go_to_key": key, "go_to_match_key": close_key}


def _go_to_title(rows) -> str | None:
    if rows and rows[0][0] == 0:
        return rows[0][1]
    return rows[0][1] if len(rows) == 1 else None


def title_to_go_to(query: str) -> str | None:
    """Return the title that ``query`` names, for going straight to its page:
    the page's whose title it is in any spelling ("interleukin-2"), else the
    one title whose match key equals the query's ("interleukin 2" gives
    "Interleukin-2", "IL2" gives "IL-2"). None when there is none, or more
    than one title with that match key. One query."""
    params = _go_to_params(query)
    if params is None:
        return None
    with connection.cursor() as cursor:
        cursor.execute(_GO_TO_SQL, params)
        return _go_to_title(cursor.fetchall())


class SearchResults:
    """The ranked hits of one query as a sequence for ``Paginator``: at most
    ``MAX_RESULTS`` of them, ``count()`` and slicing; ``has_more_results``
    when more pages matched than are listed; ``did_you_mean``, the titles
    close to a query that no title matches; and, when made with ``go_to``,
    ``title_to_go_to``, the title the query names, if any.

    The ranked ids come from one query, run when first asked for, which also
    reads the rows of the ``shown`` positions (the page of results the view
    expects to show); any other slice reads only its own pages. On
    PostgreSQL the title the query names comes with the title hits, and the
    close titles with the ranking, so that a search is two round trips and
    its results' rows, three at most."""

    def __init__(self, query: str, *, go_to: bool = False, shown: slice = slice(0, 0)):
        self.query = query
        self.terms = query_terms(query)
        self.go_to = go_to
        self.shown = shown
        self._via: dict[int, str] | None = None
        self._title_hits: dict[int, tuple[int, str]] | None = None
        self._redirect_targets: dict[int, str] = {}
        self._go_to_title: str | None = None
        self._ranking: _Ranking | None = None
        self._did_you_mean: list[CloseTitle] | None = None

    @property
    def title_to_go_to(self) -> str | None:
        """The title the query names (see ``title_to_go_to``), or None; always
        None unless made with ``go_to``."""
        self._titles()
        return self._go_to_title

    @property
    def via_redirect(self) -> dict[int, str]:
        """``{page id: redirect title}`` for the pages found through a
        redirect's title (holding every term, or equal to or starting with
        the query)."""
        if self._via is None:
            via = dict(self._titles()[1])
            for page_id, (_, redirect_title) in self.title_hits.items():
                if redirect_title:
                    via.setdefault(page_id, redirect_title)
                else:
                    via.pop(page_id, None)
            self._via = via
        return self._via

    @property
    def title_hits(self) -> dict[int, tuple[int, str]]:
        return self._titles()[0]

    def _titles(self) -> tuple[dict[int, tuple[int, str]], dict[int, str]]:
        # The title hits and the redirect targets, found together (on
        # PostgreSQL in one round trip, with the title to go to).
        if self._title_hits is None:
            go_to_query = self.query if self.go_to and self.query else None
            if connection.vendor == "postgresql":
                self._title_hits, self._redirect_targets, self._go_to_title = _postgres_titles(
                    self.terms, go_to_query
                )
            else:
                if go_to_query is not None:
                    self._go_to_title = title_to_go_to(go_to_query)
                self._title_hits, self._redirect_targets = {}, {}
                if self.terms:
                    self._title_hits = _title_hits(" ".join(self.terms))
                    self._redirect_targets = _redirect_targets(self.terms)
        return self._title_hits, self._redirect_targets

    def _extra_ids(self) -> list[int]:
        return sorted(set(self.via_redirect) | set(self.title_hits))

    def _ranked(self) -> _Ranking:
        if self._ranking is None:
            if not self.terms:
                self._ranking = _Ranking([], {})
            elif connection.vendor == "postgresql":
                # With no title hit and no redirect, "Did you mean" may be
                # wanted: its titles are read in the same message.
                wants_close = not self.via_redirect and not self.title_hits
                self._ranking = _ranked_postgres(
                    self.terms,
                    self.title_hits,
                    self._extra_ids(),
                    MAX_RESULTS + 1,
                    self.shown,
                    close_key=_close_key(" ".join(self.terms)) if wants_close else "",
                )
            else:
                self._ranking = _ranked_sqlite(
                    self.terms, self.title_hits, self._extra_ids(), MAX_RESULTS + 1
                )
        return self._ranking

    @property
    def ranked(self) -> list[tuple[int, int]]:
        """``(page id, tier)`` of the matching content pages, best first: at
        most ``MAX_RESULTS`` and one more, which only says that there are
        more. One query, the first time it is asked for."""
        return self._ranked().ranked

    @property
    def has_more_results(self) -> bool:
        """Whether more than ``MAX_RESULTS`` pages match (only that many are
        listed, and the count says "more than")."""
        return len(self.ranked) > MAX_RESULTS

    def count(self) -> int:
        return min(len(self.ranked), MAX_RESULTS)

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, item: slice) -> list[Hit]:
        if not isinstance(item, slice):
            raise TypeError("SearchResults supports slices only")
        positions = range(self.count())[item]
        if not positions:
            return []
        ranking = self._ranked()
        if all(position in ranking.shown for position in positions):
            rows = [ranking.shown[position] for position in positions]
        else:
            ids = [ranking.ranked[position][0] for position in positions]
            found = {
                row[0]: row for row in Page.objects.filter(pk__in=ids).values_list(*HIT_PAGE_FIELDS)
            }
            rows = [found[page_id] for page_id in ids if page_id in found]
        texts = plain_texts([body for _, _, body, _ in rows])
        return [
            Hit(
                title=title,
                url=page_url(title),
                article_date=article_date,
                snippet=snippet(text, self.terms),
                redirect_title=self.via_redirect.get(page_id, ""),
            )
            for (page_id, title, _, article_date), text in zip(rows, texts, strict=True)
        ]

    @property
    def did_you_mean(self) -> list[CloseTitle]:
        """Up to ``DID_YOU_MEAN`` titles close to the query, closest first,
        when no title matches it (not even one of a redirect): empty for a
        query that finds a page by its title."""
        if self._did_you_mean is None:
            self._did_you_mean = []
            if self.terms and not self.via_redirect and not self.title_hits:
                # With no title hit and no redirect, the title tier holds
                # exactly the pages whose own title holds every term, and it
                # sorts first, so one is in the ranked rows if any exists.
                if any(tier == TIER_TITLE_WORDS for _, tier in self.ranked):
                    return self._did_you_mean
                self._did_you_mean = close_titles(" ".join(self.terms), self._ranked().close)[
                    :DID_YOU_MEAN
                ]
        return self._did_you_mean


def search(query: str, *, go_to: bool = False, shown: slice = slice(0, 0)) -> SearchResults:
    """Return the ranked results of ``query`` (lazy; see ``SearchResults``).
    Never raises for any text: an unusable query has no results."""
    return SearchResults(query, go_to=go_to, shown=shown)


# Snippets ------------------------------------------------------------------


def _highlight_stems(terms: list[str]) -> list[str]:
    # The engines stem words ("treatments" finds "treatment"); highlighting
    # every word that starts like a query word shows most of those matches.
    stems = {term if len(term) <= 4 else term[: max(4, len(term) - 3)] for term in terms}
    return sorted(stems, key=lambda stem: (-len(stem), stem))


def _highlight_pattern(stems: list[str]) -> re.Pattern | None:
    if not stems:
        return None
    alternatives = "|".join(re.escape(stem) for stem in stems)
    return re.compile(rf"(?<!\w)(?:{alternatives})\w*", re.IGNORECASE)


def _first_match(text: str, stems: list[str], pattern: re.Pattern) -> int | None:
    # Where the first highlighted word starts. The pattern, which must look
    # behind at every character, took 0.7 ms to reach a word at the end of
    # 26,000 characters; finding each stem in the lowered text and checking
    # the pattern only there takes 0.03. Where lowering changes the text's
    # length (a few letters do), or finds nothing, the pattern searches.
    lowered = text.lower()
    if len(lowered) == len(text):
        first = None
        for stem in stems:
            position = lowered.find(stem.lower())
            while position != -1 and (first is None or position < first):
                if pattern.match(text, position):
                    first = position
                    break
                position = lowered.find(stem.lower(), position + 1)
        if first is not None:
            return first
    found = pattern.search(text)
    return found.start() if found else None


def snippet(text: str, terms: list[str], length: int = SNIPPET_LENGTH) -> SafeString:
    """Return about ``length`` characters of plain ``text`` around the first
    match of ``terms``, escaped, with each matching word wrapped in
    ``<mark>``. Markup in ``text`` is shown as text, never as markup."""
    stems = _highlight_stems(terms)
    pattern = _highlight_pattern(stems)
    first = _first_match(text, stems, pattern) if pattern else None
    # Only the stretch around the first match is tidied (its runs of spaces
    # made one) and searched again: a page's text may be 300,000 characters.
    around = 0 if first is None else max(0, first - 2 * length)
    stretch_end = min(len(text), around + (4 if first is not None else 2) * length)
    cut_before, cut_after = around > 0, stretch_end < len(text)
    text = " ".join(text[around:stretch_end].split())
    first = pattern.search(text) if pattern else None
    start = 0
    if first is not None and first.start() > length // 3:
        start = text.rfind(" ", 0, first.start() - length // 3) + 1
    end = min(len(text), start + length)
    if end < len(text) and text.rfind(" ", start, end) > start:
        end = text.rfind(" ", start, end)
    window = text[start:end]
    # Escaped piece by piece with plain str calls: Django's format_html
    # builds lazy wrappers per piece, which was most of a snippet's time.
    pieces: list[str] = ["… "] if start > 0 or cut_before else []
    position = 0
    for match in pattern.finditer(window) if pattern else ():
        pieces.append(escape(window[position : match.start()]))
        pieces.append("<mark>" + escape(match.group(0)) + "</mark>")
        position = match.end()
    pieces.append(escape(window[position:]))
    if end < len(text) or cut_after:
        pieces.append(" …")
    return mark_safe("".join(pieces))  # noqa: S308 (every piece of text is escaped above)
