"""Function views: parse the request, load, call a queryset or service, render."""

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import (
    HttpResponse,
    HttpResponseNotFound,
    HttpResponsePermanentRedirect,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.cache import get_conditional_response
from django.utils.http import http_date, urlencode
from django.views.decorators.http import require_GET, require_safe

from wiki import page_memo, readiness
from wiki.caching import (
    date_if_past,
    make_etag,
    mark_canonical_redirect,
    mark_public,
    state_cache_key,
    state_date,
)
from wiki.disclaimers import disclaimer_numbered, request_disclaimer, use_disclaimer
from wiki.display import page_display, shown_categories
from wiki.feedback import vote_counts
from wiki.glossary import glossary_version
from wiki.models import Page
from wiki.page_views import VIEW_BEACON_GIF, count_page_view
from wiki.rendering import section_anchor, wiki_href
from wiki.reviews import ReviewStatus, today, viewed_review_status
from wiki.titles import MAIN_PAGE_TITLE, slug_to_title, title_key, title_to_slug, validate_title
from wiki.views.lookup import canonical_redirect, missing_page, page_for_slug

# How long a rendered anonymous page is kept under its ETag. Any change
# makes a new ETag, so this bounds only the memory old copies take.
SHARED_PAGE_SECONDS = 60 * 60
# The page view's one query: what ``Page.objects.with_key_or_its_target(key)
# .with_vote_counts()`` asks, written out because building and compiling that
# queryset took ~1.4 ms a view, ten times as long as running it. Plain SQL
# that SQLite and PostgreSQL both run; the two parameters are the title key.
# Every Page column but search_vector, which no page view reads; the current
# revision's date and the latest clinical review (wiki.reviews.ReviewStatus)
# come in the same query, over the (page, date) index of reviews, and so does
# the glossary's version (wiki.glossary), over the primary key of its revisions,
# and the current disclaimer's number (its text is then in this process's
# memory: wiki.disclaimers.disclaimer_numbered), over its unique index.
PAGE_VIEW_SQL = """
SELECT page.id, page.title, page."key", page.body, page.redirect_to, page.redirect_fragment,
       page.article_date, page.source_url, page.source_name, page.created_at, page.updated_at,
       page.current_revision_id, page.link_version,
       (SELECT COUNT(*) FROM wiki_vote vote
         WHERE vote.page_id = page.id AND vote.is_useful) AS yes_votes,
       (SELECT COUNT(*) FROM wiki_vote vote
         WHERE vote.page_id = page.id AND NOT vote.is_useful) AS no_votes,
       revision.date_created AS current_revision_date,
       review.id AS review_id, review.reviewer AS review_reviewer,
       review.reviewed_on AS review_reviewed_on, review.next_review_due AS review_next_review_due,
       review.revision_id AS review_revision_id,
       (SELECT MAX(glossary.id) FROM wiki_glossaryrevision glossary) AS glossary_version,
       disclaimer.number AS disclaimer_number, disclaimer.created_at AS disclaimer_created_at
  FROM wiki_page page
  LEFT JOIN reversion_revision revision ON revision.id = page.current_revision_id
  LEFT JOIN wiki_disclaimerversion disclaimer ON disclaimer.number = (
       SELECT MAX(newest.number) FROM wiki_disclaimerversion newest
       )
  LEFT JOIN wiki_pagereview review ON review.id = (
       SELECT latest.id FROM wiki_pagereview latest WHERE latest.page_id = page.id
        ORDER BY latest.reviewed_on DESC, latest.id DESC LIMIT 1
       )
 WHERE page."key" IN (
       SELECT own."key" FROM wiki_page own WHERE own."key" = %s
        UNION ALL
       SELECT link.target_key FROM wiki_link link
         JOIN wiki_page source ON link.source_id = source.id
        WHERE source."key" = %s AND source.redirect_to <> ''
       )
"""


def _pages_for_view(title: str) -> dict[str, Page]:
    """The page titled ``title`` and, when it is a redirect, its target (with
    vote counts), by key, in one query (``PAGE_VIEW_SQL``)."""
    try:
        key = title_key(validate_title(title))
    except ValidationError:
        return {}
    # Logged queries (DEBUG, or a test counting them) go the plain way: a
    # prepared statement's log entry would have no SQL to show.
    if (
        connection.vendor == "postgresql"
        and _prepares_statements()
        and not connection.queries_logged
    ):
        pages = _prepared_pages(key)
    else:
        pages = Page.objects.raw(PAGE_VIEW_SQL, [key, key])
    return {page.key: page for page in pages}


def _prepares_statements() -> bool:
    return connection.settings_dict["OPTIONS"].get("prepare_threshold") is not None


_PAGE_COLUMNS = tuple(field.attname for field in Page._meta.concrete_fields)


def _prepared_pages(key: str) -> list[Page]:
    """``PAGE_VIEW_SQL``'s pages on PostgreSQL, through a server-side binding
    cursor, which psycopg prepares on the connection after its first
    executions: the query is planned once a connection, not once a view (a
    third of its time). Wrapped as Django wraps its own cursors, so execute
    wrappers see it."""
    import psycopg

    # As Django's own cursors do: a connection the database dropped (it
    # restarted) is replaced here, not used for one failed view.
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    raw = psycopg.Cursor(connection.connection)
    cursor = connection.make_cursor(raw)
    with cursor:
        cursor.execute(PAGE_VIEW_SQL, [key, key])
        names = [column.name for column in cursor.description]
        rows = cursor.fetchall()
    loaded = [name for name in _PAGE_COLUMNS if name in names]
    pages = []
    for row in rows:
        values = dict(zip(names, row, strict=True))
        page = Page.from_db(connection.alias, loaded, [values[name] for name in loaded])
        for name, value in values.items():
            if name not in _PAGE_COLUMNS:
                setattr(page, name, value)
        pages.append(page)
    return pages


def _glossary_version(page: Page) -> int:
    """The glossary version ``PAGE_VIEW_SQL`` read with the page, else (a page
    loaded another way) read now, once, and kept on the page."""
    if not hasattr(page, "glossary_version"):
        page.glossary_version = glossary_version()
    return page.glossary_version or 0


def _validators(
    request, shown: Page, redirected_from, redirect_target_exists, review: ReviewStatus | None
):
    """``(content, etag)`` of an anonymous reader's view of ``shown`` (the
    digest of what it shows, and the ETag of this URL's view of it), or None
    when the view is personal (a logged-in user, a message to show).

    The ETag covers everything the page shows that can change: the current
    revisions (body, metadata, cross-links, titles), ``link_version`` (which
    links are missing), the vote counts, whether a redirect's target exists,
    the disclaimer, the site's address (the canonical link holds it; never
    the Host header, so made-up Hosts share one cache entry), the URL (the
    login link holds it), the clinical review line (a new review, or its
    due date passing overnight), the glossary's version (the definitions
    shown), whether the page carries the view beacon (with purged proxies
    only) and the code."""
    if request.user.is_authenticated or len(messages.get_messages(request)):
        return None
    content = make_etag(
        settings.SITE_URL,
        *(
            (page.pk, page.title, page.current_revision_id, page.link_version, page.updated_at)
            for page in (shown, redirected_from)
            if page is not None
        ),
        vote_counts(shown),
        redirect_target_exists,
        request_disclaimer(request).number,
        review.etag_part() if review is not None else None,
        _glossary_version(shown),
        bool(settings.PURGE_URLS),
    )
    return content, make_etag(content, request.get_full_path())


def _with_validators(response, etag, last_modified, page_ids):
    response["ETag"] = etag
    if last_modified is not None:
        response["Last-Modified"] = http_date(last_modified.timestamp())
    mark_public(response, page_ids)
    return response


def _render_page(
    request,
    page: Page,
    *,
    redirected_from: Page | None = None,
    status=200,
    redirect_target_exists: bool | None = None,
    memo: page_memo.Lookup | None = None,
):
    shown = page
    if hasattr(shown, "disclaimer_number"):  # read with the page: no cache call
        use_disclaimer(
            request, disclaimer_numbered(shown.disclaimer_number, shown.disclaimer_created_at)
        )
    if shown.is_redirect and redirect_target_exists is None:
        redirect_target_exists = Page.objects.with_title(shown.redirect_to).exists()
    # A redirect page is never reviewed and shows no review line.
    review = None if shown.is_redirect else viewed_review_status(shown, on=today())
    validators = _validators(request, shown, redirected_from, redirect_target_exists, review)
    # A page the purged proxies may keep is served to most readers without
    # reaching the app, so it is counted by each reader's browser fetching
    # the view beacon it carries (``page_seen``), never here.
    beacon_url = None
    if validators is not None and settings.PURGE_URLS:
        beacon_url = reverse("wiki:page-seen", kwargs={"slug": shown.slug})
    else:
        count_page_view(request, shown)
    page_args = (
        request,
        shown,
        redirected_from,
        redirect_target_exists,
        status,
        review,
        beacon_url,
    )
    if validators is None:
        return _page_response(*page_args)
    content, etag = validators
    # One round trip to the cache: the state's date and the shared copy.
    # Dated per page URL, not per query string, so made-up query strings
    # cannot fill the cache with dates; and only the page's plain URLs are
    # kept as copies, for the same reason.
    scope = request.path + ("?redirect=no" if request.GET.get("redirect") == "no" else "")
    state_key = state_cache_key(scope)
    is_plain_url = request.META.get("QUERY_STRING", "") in {"", "redirect=no"}
    copy_key = "wiki:page-view:" + etag.strip('"')
    found = cache.get_many([state_key, copy_key] if is_plain_url else [state_key])
    dated = state_date(state_key, content, found.get(state_key))
    last_modified = date_if_past(dated)
    timestamp = None if last_modified is None else int(last_modified.timestamp())
    response = get_conditional_response(request, etag=etag, last_modified=timestamp)
    if response is None:
        response = _shared_page_response(
            found.get(copy_key),
            copy_key if is_plain_url else None,
            lambda: _page_response(*page_args),
        )
    shown_ids = (shown.pk, None if redirected_from is None else redirected_from.pk)
    page_memo.keep(
        memo,
        [page_id for page_id in shown_ids if page_id is not None],
        shown.pk,
        response,
        etag,
        dated,
    )
    return _with_validators(response, etag, last_modified, shown_ids)


def _remembered_page(request, entry: page_memo.Entry):
    """An anonymous reader's page from this process's memo (``entry``, which
    ``page_memo`` found current): counted and validated as ``_render_page``
    does, with neither a query nor a render."""
    if not settings.PURGE_URLS:  # with purged proxies the beacon counts it
        count_page_view(request, Page(pk=entry.counted_id))
    last_modified = date_if_past(entry.dated)
    timestamp = None if last_modified is None else int(last_modified.timestamp())
    response = get_conditional_response(request, etag=entry.etag, last_modified=timestamp)
    if response is None:
        response = HttpResponse(entry.content, content_type="text/html; charset=utf-8")
    return _with_validators(response, entry.etag, last_modified, entry.page_ids)


def _shared_page_response(content: bytes | None, cache_key: str | None, make_response):
    """An anonymous reader's page: ``content``, the bytes any app server
    rendered for this ETag (which covers all they show), else
    ``make_response()``, kept under ``cache_key`` (None: not kept) for the
    next reader."""
    if content is not None:
        return HttpResponse(content, content_type="text/html; charset=utf-8")
    response = make_response()
    if cache_key is not None and response.status_code == 200:
        cache.set(cache_key, response.content, SHARED_PAGE_SECONDS)
    return response


def _page_response(
    request, shown: Page, redirected_from, redirect_target_exists, status, review, beacon_url=None
):
    # A redirect page shows where it points, never its "#REDIRECT" line.
    display = page_display(
        shown, with_body=not shown.is_redirect, glossary_version=_glossary_version(shown)
    )
    context = {
        "page": shown,
        "content": display.html,
        "glossary_terms": display.glossary_terms,
        "crosslinks": display.crosslinks,
        "redirected_from": redirected_from,
        "is_main_page": shown.key == title_key(MAIN_PAGE_TITLE),
        "vote_counts": vote_counts(shown),
        "review": review,
        "categories": [] if shown.is_redirect else shown_categories(shown.body),
        "view_beacon_url": beacon_url,
    }
    if shown.is_redirect:
        context["redirect_target_exists"] = redirect_target_exists
        context["redirect_target_url"] = wiki_href(shown.redirect_to, shown.redirect_fragment)
    elif redirected_from is not None and redirected_from.redirect_fragment:
        context["redirect_anchor"] = section_anchor(redirected_from.redirect_fragment)
    return render(request, "wiki/page_detail.html", context, status=status)


@require_safe
def main_page(request):
    """The main page: the page titled "Main Page", served at /."""
    memo = page_memo.look_up(page_memo.memo_key(request))
    if memo is not None and memo.is_current:
        return _remembered_page(request, memo.entry)
    page = _pages_for_view(MAIN_PAGE_TITLE).get(title_key(MAIN_PAGE_TITLE))
    if page is None:
        context = {"main_page_slug": title_to_slug(MAIN_PAGE_TITLE)}
        return render(request, "wiki/main_page_empty.html", context)
    return _render_page(request, page, memo=memo)


@require_safe
def page_detail(request, slug):
    """Read a page's current revision, following a redirect one hop. The
    page and a redirect's target come in one query; a page this process
    has rendered for anonymous readers comes from its memo (``page_memo``)
    with no query at all while it is current."""
    memo = page_memo.look_up(page_memo.memo_key(request))
    if memo is not None and memo.is_current:
        return _remembered_page(request, memo.entry)
    wanted = slug_to_title(slug)
    pages = _pages_for_view(wanted)
    page = pages.get(title_key(wanted))
    if page is None:
        # Answered here, not by raising MissingPage: with DEBUG on, Django
        # would show its own 404 instead of the "Create the page" offer.
        return missing_page(request, wanted)
    if redirect := canonical_redirect(request, page, slug):
        return redirect
    if not page.is_redirect or request.GET.get("redirect") == "no":
        return _render_page(request, page, memo=memo)
    # One hop only: a redirect to a redirect shows the second redirect
    # page, flagged, so a chain or a loop can never hang a request. The
    # target is not among ``pages`` only when the link table lacks it
    # (never true after save_page).
    target = pages.get(title_key(page.redirect_to)) or page.redirect_target()
    if target is not None:
        return _render_page(request, target, redirected_from=page, memo=memo)
    return _render_page(request, page, redirect_target_exists=False, memo=memo)


@require_GET
def page_seen(request, slug):
    """The view beacon (``/wiki/<Title>/seen.gif``): a page the purged proxies
    may keep carries it as a hidden image, so every reader's browser fetches
    it, through the proxy, which never keeps it (``no-store``), and each
    fetch counts one view of the page, as a page view does without proxies.
    One indexed lookup (the title's key); without proxies no page carries it
    and it counts nothing."""
    try:
        key = title_key(validate_title(slug_to_title(slug)))
    except ValidationError:
        key = None
    page_id = Page.objects.filter(key=key).values_list("pk", flat=True).first() if key else None
    if page_id is None:
        return HttpResponseNotFound("No such page.", content_type="text/plain; charset=utf-8")
    if settings.PURGE_URLS:
        count_page_view(request, Page(pk=page_id))
    response = HttpResponse(VIEW_BEACON_GIF, content_type="image/gif")
    response["Cache-Control"] = "no-store, private"
    return response


@require_safe
def page_without_slash(request, slug):
    """``/wiki/Title`` (no trailing slash): one permanent redirect to the
    canonical URL (query string kept, kept by browsers for minutes), or the
    missing-page answer."""
    url = page_for_slug(slug).get_absolute_url()
    if request.GET:
        url += "?" + urlencode(request.GET, doseq=True)
    response = HttpResponsePermanentRedirect(url)
    mark_canonical_redirect(response)
    return response


@require_safe
def page_source(request, slug):
    """The current markdown source as text/plain."""
    page = page_for_slug(slug)
    if redirect := canonical_redirect(request, page, slug):
        return redirect
    return HttpResponse(page.body, content_type="text/plain; charset=utf-8")


@require_GET
def healthz(request):
    """Liveness: the process answers and reaches its database. With
    ``?ready=1``, readiness part by part (``wiki.readiness``), answering 503
    only when readers cannot be served."""
    if request.GET.get("ready"):
        report, status = readiness.readiness()
    else:
        state = readiness.database_state()
        report = {"status": "ok" if state == readiness.OK else "unavailable"}
        status = 200 if state == readiness.OK else 503
    response = JsonResponse(report, status=status)
    response["Cache-Control"] = "no-store"
    return response


@require_safe
def favicon(request):
    """Browsers ask for /favicon.ico wherever a document names no icon (a
    PDF, a feed): send them to the site's icon instead of a 404."""
    return HttpResponseRedirect(static("img/favicon.svg"))
