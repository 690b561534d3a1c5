"""The glossary as pages use it: which words it names, how two names are
known to be the same (``name_key``), its version, and the entries of one
version for marking (``glossary_index``). Marking itself is
``wiki.rendering.mark_glossary_terms``; saving is
``wiki.services.save_glossary_term``.

The version is the id of the newest ``GlossaryRevision``: every saved change
of any entry makes one, in the same transaction, so a page's cached HTML and
its ETag, both keyed by the version, can never show an old definition. The
page view reads the version in its one query (``wiki.views.reading``).

The entries of a version never change, so besides the shared cache
(``wiki:glossary:<version>``) each process keeps the last version it loaded:
rendering a page with a cold shared cache then costs no query for the
glossary (the page view's budget, ``tests/test_read_budget.py``, has no room
for one).
"""

from __future__ import annotations

import re

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db.models import Max
from django.urls import reverse
from django.utils.text import slugify

from wiki.caching import LONG_CACHE_SECONDS
from wiki.models import MAX_GLOSSARY_NAME_LENGTH, GlossaryRevision, GlossaryTerm
from wiki.rendering import GLOSSARY_SLUG_RE, GlossaryEntry, GlossaryIndex, glossary_words

GLOSSARY_CACHE_SECONDS = LONG_CACHE_SECONDS
# Bump when GlossaryEntry's shape changes.
GLOSSARY_FORMAT = 1
MAX_SYNONYMS = 20
# Ids the site's own pages use: an entry's anchor on /glossary/ must not be one.
RESERVED_SLUGS = {"content", "site-nav", "search-input", "disclaimer-heading", "glossary"}
# A term or synonym: letters and digits, with spaces or hyphens between.
_NAME_RE = re.compile(r"\w+(?:[ \-]+\w+)*")

# (version, GlossaryIndex) last used by this process, replaced whole (one
# assignment, so threads never see half of it).
_memo: tuple[int, GlossaryIndex] | None = None


def name_key(name: str) -> str:
    """The key by which two names of the glossary are the same: their words,
    case-folded, one space apart ("Interleukin-2" = "interleukin 2"), as
    ``wiki.rendering`` matches them in text."""
    return " ".join(glossary_words(name))


def check_name(name: str) -> str:
    """Return ``name`` with its spaces tidied, or raise ``ValidationError``
    when it is no name the glossary can find in a page's text."""
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError("A term or synonym cannot be empty.", code="empty")
    if len(name) > MAX_GLOSSARY_NAME_LENGTH:
        raise ValidationError(
            "“%(name)s” is longer than %(limit)s characters.",
            params={"name": name[:40] + "…", "limit": MAX_GLOSSARY_NAME_LENGTH},
            code="too_long",
        )
    if not _NAME_RE.fullmatch(name) or "_" in name:
        raise ValidationError(
            "“%(name)s”: a term or synonym may hold only letters, digits, spaces and "
            "hyphens (write “Hodgkin” rather than “Hodgkin's”).",
            params={"name": name},
            code="bad_characters",
        )
    return name


def split_synonyms(text: str) -> list[str]:
    """The synonyms typed in one field: one a line, or separated by commas
    (which no name may contain)."""
    return [part for part in re.split(r"[\n,]", text or "") if part.strip()]


def unique_slug(term: str) -> str:
    """An anchor for a new entry: its term as a slug, made unique."""
    base = slugify(term) or "term"
    if not GLOSSARY_SLUG_RE.fullmatch(base) or base in RESERVED_SLUGS:
        base = "term-" + "-".join(glossary_words(term)) if glossary_words(term) else "term"
        base = slugify(base) or "term"
    slug, number = base, 1
    while slug in RESERVED_SLUGS or GlossaryTerm.objects.filter(slug=slug).exists():
        number += 1
        slug = f"{base}-{number}"
    return slug


def glossary_version() -> int:
    """The glossary's version: the newest revision's id, 0 for an empty
    glossary (one query)."""
    return GlossaryRevision.objects.aggregate(version=Max("id"))["version"] or 0


def entry_for_rendering(term: GlossaryTerm) -> GlossaryEntry:
    return GlossaryEntry(
        slug=term.slug,
        term=term.term,
        names=(term.term, *term.synonym_list),
        definition=term.definition,
        href=reverse("wiki:glossary") + "#" + term.slug,
    )


def _cache_key(version: int) -> str:
    return f"wiki:glossary:{GLOSSARY_FORMAT}:{version}"


def glossary_index(version: int) -> GlossaryIndex:
    """The entries of glossary ``version`` for marking: from this process's
    memory, else the shared cache, else the database (one query, after which
    both keep it)."""
    global _memo
    memo = _memo
    if memo is not None and memo[0] == version:
        return memo[1]
    entries = cache.get(_cache_key(version)) if version else ()
    if entries is None:
        terms = list(GlossaryTerm.objects.all())
        # What was read may be newer than ``version`` (an edit committed in
        # between): keep it under the version it really is.
        version = max((term.current_revision_id or 0 for term in terms), default=0)
        entries = tuple(entry_for_rendering(term) for term in terms)
        cache.set(_cache_key(version), entries, GLOSSARY_CACHE_SECONDS)
    _memo = (version, GlossaryIndex(entries))
    return _memo[1]


def forget_glossary() -> None:
    """Drop this process's copy of the glossary. Versions are revision ids,
    which a database emptied and used again (a test run) hands out anew."""
    global _memo
    _memo = None
