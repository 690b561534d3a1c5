"""What showing content needs from the database and the caches: a page's HTML
with current link state, its cross-links with their targets' state, and any
other body (a preview, an old revision). ``wiki.rendering`` itself is pure.
Callers take ``cached_render`` from here too (it lives in
``wiki.render_cache`` only so that ``wiki.plaintext`` can read it).

Every cache-key family in the project (all go through Django's cache, under
its ``KEY_PREFIX``; "never stale" means the key changes with what it holds):

``wiki:render:<RENDER_VERSION>:<sha256 of body>`` (``wiki.render_cache``)
    Stage 1 of a body: sanitized HTML, link targets, link titles.
    ``RENDER_CACHE_SECONDS`` (a week). Never stale; ``RENDER_VERSION`` is
    bumped when the pipeline's output changes.
``wiki:render-too-slow:<RENDER_VERSION>:<sha256 of body>`` (``wiki.render_cache``)
    A body whose conversion passed ``WIKI_RENDER_TIME_LIMIT``: refused, and
    shown as "cannot be shown", without converting it again.
    ``RENDER_TOO_SLOW_SECONDS`` (an hour). Expires; never invalidated.
``wiki:plaintext:<RENDER_VERSION>:<sha256 of body>`` (``wiki.plaintext``)
    A body's words and first paragraph (search, descriptions, year lists).
    ``PLAINTEXT_CACHE_SECONDS`` (a week). Never stale, as ``wiki:render``.
``wiki:html:<RENDER_VERSION>:<page id>:<link_version>:<glossary version>:<sha256 of body>`` (here)
    A page's body HTML with glossary terms and missing links marked, and the
    glossary entries it uses. ``DISPLAY_CACHE_SECONDS`` (a week). A new body
    changes the hash; ``services.bump_link_versions`` (save, move, delete,
    recover of a page this one links to) the link version; any glossary
    change (``services.save_glossary_term``) the glossary version.
``wiki:glossary:<GLOSSARY_FORMAT>:<glossary version>`` (``wiki.glossary``)
    Every glossary entry of that version, as ``GlossaryEntry``.
    ``GLOSSARY_CACHE_SECONDS`` (a week). Never stale: a change makes a new
    version. Each process also keeps the last version it used in memory.
``wiki:crosslinks:<RENDER_VERSION>:<page id>:<revision id>:<link_version>`` (here)
    A page's cross-links as ``ShownCrossLink``. ``DISPLAY_CACHE_SECONDS``. A
    new revision or a bump of ``link_version`` (the link table holds
    cross-link targets too).
``wiki:page-view:<ETag>`` (``wiki.views.reading``)
    The bytes of an anonymous reader's page. ``SHARED_PAGE_SECONDS`` (an
    hour). Never stale: the ETag covers all the page shows (the clinical
    review line too: a new review, and the day its due date passes).
``wiki:page-state:<sha256 of URL path>`` (``wiki.caching``)
    ``(ETag, first served)`` for Last-Modified. ``STATE_CACHE_SECONDS`` (a
    week). Replaced when the URL's ETag changes; a lost entry only makes the
    date later.
``wiki:disclaimer:v2`` (``wiki.disclaimers``)
    The current ``DisclaimerVersion`` (number, text, short form, date).
    ``DISCLAIMER_CACHE_SECONDS`` (a minute). Deleted by
    ``forget_disclaimer()`` when an admin adds a version; other servers'
    local-memory caches see the change when it expires. Versions never
    change, so ETags and PDF keys hold only the version's number.
``wiki:pdf-current:<page id>:<sha256 of what may change it>`` (``wiki.pdf``)
    The current revision's PDF, answered without building its HTML; the hash
    covers the revision, ``link_version``, the disclaimer's version, the URLs,
    the stylesheet and the review line (``wiki.reviews.ReviewStatus.etag_part``).
    ``PDF_CACHE_SECONDS`` (a week). Never stale.
``wiki:pdf:<PDF_VERSION>:<revision id>:<sha256 of document, stylesheet, base URL>`` (``wiki.pdf``)
    The PDF of one document. ``PDF_CACHE_SECONDS``. Never stale;
    ``PDF_VERSION`` is bumped when the template or the way a PDF is made changes.
``wiki:diff:<DIFF_VERSION>:<from revision id>:<to revision id>`` (``wiki.views.history``)
    What the diff page shows of two revisions (``RevisionChanges``: the
    bounded text diff and the metadata changes). ``DIFF_CACHE_SECONDS`` (a
    week). Never stale: revisions never change; ``DIFF_VERSION`` is bumped
    when the diff's output changes.
``wiki:views:pending``, ``wiki:views:batch:<uuid>`` (``wiki.page_views``, Redis only)
    Redis hashes of page views not yet in ``PageViewDay``, written with the
    Redis client under the cache's key prefix (``cache.make_key``). No expiry:
    ``flush_page_views`` renames the pending hash to a batch and deletes each
    batch once written.
``axes-<digest>`` (django-axes, with Redis only)
    Failed logins of one username from one address. ``AXES_COOLOFF_TIME``. A
    successful login from that address; ``manage.py unlockuser``.
``axes-username-<digest>`` (``wiki.logins``, with Redis only)
    A Redis set: the ``axes-<digest>`` keys of one username, so that
    ``unlockuser`` can find them. ``AXES_COOLOFF_TIME`` from the last failure.

``wiki:memo:site``, ``wiki:memo:page:<page id>`` (``wiki.page_memo``)
    The page memo's stamps. ``LONG_CACHE_SECONDS``. Replaced by every change
    a reader would see (``wiki.purge``).

``wiki.search`` keeps nothing in the cache: its index lives in the database,
and so do sessions. A cache call that fails (Redis down) is a miss
(``wiki.redis_breaker``); the entries whose loss is not just a miss (the
memo's stamps, the login counts) are written through the ``checked`` alias,
whose callers are told of the failure.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, replace

from django.core.cache import cache
from django.utils.html import format_html
from django.utils.safestring import SafeString

from wiki import glossary
from wiki.caching import LONG_CACHE_SECONDS
from wiki.models import Page
from wiki.render_cache import body_digest, cached_render
from wiki.rendering import (
    RENDER_VERSION,
    GlossaryEntry,
    MarkupTooComplex,
    Rendered,
    mark_glossary_terms,
    mark_missing_links,
    wiki_href,
)
from wiki.titles import category_url, title_key

DISPLAY_CACHE_SECONDS = LONG_CACHE_SECONDS

UNRENDERABLE_HTML = format_html(
    "<p><strong>{}</strong></p>",
    "This text cannot be shown: its markup is beyond what the wiki can turn into a page "
    "(lists nested too deeply, too many brackets, headings or footnotes, or too slow to "
    "convert). A moderator needs to simplify it.",
)


@dataclass(frozen=True)
class ShownCrossLink:
    """A cross-link as a page shows it, with its target's state."""

    kind: str
    target_title: str
    label: str
    note_date: datetime.date | None
    target_url: str
    is_missing: bool


@dataclass(frozen=True)
class PageDisplay:
    """What a page view shows of a page: its body's HTML (None when not
    asked for) and its cross-links, both with current link state, and the
    glossary entries the body marks, in order of first use."""

    html: SafeString | None
    crosslinks: list[ShownCrossLink]
    glossary_terms: tuple[GlossaryEntry, ...] = ()


def existing_keys(keys: Iterable[str]) -> set[str]:
    """Return which of ``keys`` name existing pages (one query; none when
    ``keys`` is empty)."""
    keys = list(keys)
    if not keys:
        return set()
    return set(Page.objects.filter(key__in=keys).values_list("key", flat=True))


def _render_for_reader(body: str) -> Rendered | None:
    """Stage 1 for showing a body: None when it cannot be rendered (a body
    stored before the limits, or imported, or one whose conversion passed its
    deadline), which the reader is told of."""
    try:
        return cached_render(body, for_reader=True)
    except MarkupTooComplex:
        return None


def render_body(body: str) -> SafeString:
    """Render any body (a preview, an old revision) with the current link
    state: one query when the body has wiki links; nothing cached in stage 2.
    A body the renderer refuses shows ``UNRENDERABLE_HTML``."""
    rendered = _render_for_reader(body)
    if rendered is None:
        return UNRENDERABLE_HTML
    return mark_missing_links(rendered, existing_keys(rendered.targets))


def shown_crosslinks(crosslinks: Iterable) -> list[ShownCrossLink]:
    """Return ``crosslinks`` (any objects with ``kind``, ``target_title``,
    ``label`` and ``note_date``, in display order) as a page shows them, each
    marked missing when no page has its target title: one query. A
    cross-link without a target (possible in a damaged old version) is left
    out."""
    links = [link for link in crosslinks if link.target_title]
    return _shown(links, existing_keys({title_key(link.target_title) for link in links}))


def _shown(links: list, existing: set[str]) -> list[ShownCrossLink]:
    return [
        ShownCrossLink(
            kind=link.kind,
            target_title=link.target_title,
            label=link.label,
            note_date=link.note_date,
            target_url=wiki_href(link.target_title),
            is_missing=title_key(link.target_title) not in existing,
        )
        for link in links
    ]


@dataclass(frozen=True)
class ShownCategory:
    """A category a page is in, as the foot of the page names it."""

    name: str
    url: str


def shown_categories(body: str) -> list[ShownCategory]:
    """The categories a body's ``[[Category:...]]`` links put its page in, in
    the order written, from the body's cached render (no query: they are a
    function of the text, so a page's ETag, which covers its revision, covers
    them too). None for a body the renderer refuses."""
    rendered = _render_for_reader(body)
    if rendered is None:
        return []
    return [ShownCategory(name=name, url=category_url(name)) for name, _ in rendered.categories]


def _page_html_key(page: Page, glossary_version: int) -> str:
    return (
        f"wiki:html:{RENDER_VERSION}:{page.pk}:{page.link_version}:{glossary_version}:"
        f"{body_digest(page.body)}"
    )


def _crosslinks_key(page: Page) -> str:
    # Cross-links change only with a new revision; their targets' state only
    # with a bump of link_version (the link table holds cross-link targets).
    return (
        f"wiki:crosslinks:{RENDER_VERSION}:{page.pk}:{page.current_revision_id}:{page.link_version}"
    )


def page_display(
    page: Page, *, with_body: bool = True, glossary_version: int | None = None
) -> PageDisplay:
    """Return the HTML of the page's current body (sanitized, with glossary
    terms and current link state marked) and its cross-links with their
    targets' state, each cached under the page's ``link_version`` (the HTML
    also under ``glossary_version``, read with one query when not given).

    On a warm cache this makes no query. On a cold one it reads the
    cross-links (one query) and asks which link targets exist, for body and
    cross-links together (one query); the glossary comes from memory or the
    cache (``wiki.glossary.glossary_index``). The HTML is cached as the
    ``SafeString`` the renderer returned (pickled as itself), so nothing
    here decides what is safe.
    """
    if with_body and glossary_version is None:
        glossary_version = glossary.glossary_version()
    html_key, crosslinks_key = _page_html_key(page, glossary_version), _crosslinks_key(page)
    found = cache.get_many([html_key, crosslinks_key] if with_body else [crosslinks_key])
    html, glossary_terms = found.get(html_key, (None, ()))
    crosslinks = found.get(crosslinks_key)
    rendered = _render_for_reader(page.body) if with_body and html is None else None
    if with_body and html is None and rendered is None:
        html = UNRENDERABLE_HTML  # shown, never cached: it is no render
    if rendered is not None:
        marked_html, glossary_terms = mark_glossary_terms(
            rendered.html, glossary.glossary_index(glossary_version)
        )
        rendered = replace(rendered, html=marked_html)
    links = (
        [link for link in page.crosslinks.all() if link.target_title] if crosslinks is None else []
    )
    wanted = {title_key(link.target_title) for link in links}
    if rendered is not None:
        wanted |= rendered.targets.keys()
    existing = existing_keys(wanted)
    fresh = {}
    if rendered is not None:
        html = mark_missing_links(rendered, existing)
        fresh[html_key] = (html, glossary_terms)
    if crosslinks is None:
        crosslinks = fresh[crosslinks_key] = _shown(links, existing)
    if fresh:
        cache.set_many(fresh, DISPLAY_CACHE_SECONDS)
    return PageDisplay(html=html, crosslinks=crosslinks, glossary_terms=glossary_terms)
