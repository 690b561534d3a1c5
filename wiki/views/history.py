"""Views over revisions: history, one old revision, diffs, recent changes,
contributions (the queries themselves are in ``wiki.changes``)."""

from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import get_conditional_response
from django.views.decorators.http import require_safe

from wiki.caching import LONG_CACHE_SECONDS, make_etag, mark_public
from wiki.changes import RECENT_DAYS, RECENT_LIMIT, recent_revisions, revision_rows
from wiki.diff import DIFF_VERSION, TextDiff, diff_metadata, diff_texts
from wiki.disclaimers import request_disclaimer
from wiki.display import render_body, shown_crosslinks
from wiki.forms import RecentChangesForm
from wiki.models import RevisionInfo
from wiki.revisions import revision_contents
from wiki.views.lookup import canonical_redirect, page_for_slug, revision_for_page

HISTORY_PER_PAGE = 50
# Diffs are cached under the revision ids they compare, which never change:
# the lifetime only bounds the memory old pairs take.
DIFF_CACHE_SECONDS = LONG_CACHE_SECONDS


def _int_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@require_safe
def page_history(request, slug):
    """A page's revisions, newest first, 50 a page. ``?from=&to=`` (the
    compare form) redirects to the diff of those two revisions."""
    page = page_for_slug(slug)
    if response := canonical_redirect(request, page, slug):
        return response
    from_id, to_id = _int_or_none(request.GET.get("from")), _int_or_none(request.GET.get("to"))
    if from_id and to_id:
        older, newer = sorted([from_id, to_id])
        return redirect("wiki:page-diff", slug=page.slug, from_id=older, to_id=newer)
    paginator = Paginator(revision_rows().filter(page_id=page.pk), HISTORY_PER_PAGE)
    rows = paginator.get_page(request.GET.get("page"))
    context = {"page": page, "rows": rows, "can_revert": request.user.has_perm("wiki.revert_page")}
    return render(request, "wiki/page_history.html", context)


@require_safe
def page_revision(request, slug, revision_id):
    """One old revision, rendered through the same sanitizing pipeline."""
    page = page_for_slug(slug)
    info = revision_for_page(page, revision_id)
    if response := canonical_redirect(request, page, slug):
        return response
    content = revision_contents(page, [revision_id])[revision_id]
    following = (
        RevisionInfo.objects.filter(page_id=page.pk, revision_id__gt=revision_id)
        .order_by("revision_id")
        .values_list("revision_id", flat=True)
        .first()
    )
    context = {
        "page": page,
        "info": info,
        "content": content,
        "html": render_body(content.body),
        "crosslinks": shown_crosslinks(content.crosslinks),
        "next_revision_id": following,
        "is_current": revision_id == page.current_revision_id,
    }
    return render(request, "wiki/page_revision.html", context)


@dataclass(frozen=True)
class RevisionChanges:
    """What the diff page shows of two revisions: the text diff and the
    metadata changes (``diff_texts`` and ``diff_metadata``)."""

    text: TextDiff
    metadata: list[tuple[str, str, str]]


def diff_cache_key(from_id: int, to_id: int) -> str:
    """The shared-cache key of the changes from revision ``from_id`` to
    ``to_id`` (listed in wiki.display). Revisions never change, so the ids
    and ``DIFF_VERSION`` are all it depends on."""
    return f"wiki:diff:{DIFF_VERSION}:{from_id}:{to_id}"


def _revision_changes(page, from_id: int, to_id: int) -> RevisionChanges:
    """The changes between two revisions of ``page``, made once per pair for
    every app server (the diff is bounded, but still up to a second or two of
    work on large pages)."""
    key = diff_cache_key(from_id, to_id)
    changes = cache.get(key)
    if changes is None:
        contents = revision_contents(page, [from_id, to_id])
        old, new = contents[from_id], contents[to_id]
        changes = RevisionChanges(
            text=diff_texts(old.body, new.body),
            metadata=diff_metadata(old, new, titles=(old.title, new.title)),
        )
        cache.set(key, changes, DIFF_CACHE_SECONDS)
    return changes


def _diff_etag(request, page, infos) -> str | None:
    """The ETag of an anonymous reader's diff page of the revisions
    ``infos``, or None when the page is personal (a logged-in user, a message
    to show). The revisions never change; the page title, the authors' names,
    the disclaimer, the URL and the code may."""
    if request.user.is_authenticated or len(messages.get_messages(request)):
        return None
    return make_etag(
        settings.SITE_URL,  # never the Host header: one ETag whatever Host is sent
        page.title,
        *(
            (info.revision_id, info.revision.user and info.revision.user.get_username())
            for info in infos
        ),
        request_disclaimer(request).number,
        request.get_full_path(),
    )


@require_safe
def page_diff(request, slug, from_id, to_id):
    """What changed between two revisions of a page: text and metadata,
    bounded (see ``diff_texts``) and cached per revision pair. Anonymous
    readers' copies may be kept briefly by proxies, as page views are."""
    page = page_for_slug(slug)
    old_info, new_info = revision_for_page(page, from_id), revision_for_page(page, to_id)
    if response := canonical_redirect(request, page, slug):
        return response
    etag = _diff_etag(request, page, (old_info, new_info))
    response = get_conditional_response(request, etag=etag) if etag else None
    if response is None:
        changes = _revision_changes(page, from_id, to_id)
        context = {
            "page": page,
            "old_info": old_info,
            "new_info": new_info,
            "changes": changes.text,
            "metadata_changes": changes.metadata,
        }
        response = render(request, "wiki/page_diff.html", context)
    if etag:
        response["ETag"] = etag
        mark_public(response, [page.pk])
    return response


@require_safe
def revision_source(request, slug, revision_id):
    """One revision's markdown source as text/plain (linked from a diff too
    large to show in full, to compare elsewhere)."""
    page = page_for_slug(slug)
    revision_for_page(page, revision_id)
    if response := canonical_redirect(request, page, slug):
        return response
    body = revision_contents(page, [revision_id])[revision_id].body
    return HttpResponse(body, content_type="text/plain; charset=utf-8")


@require_safe
def recent_changes(request):
    """All edits, newest first, filtered by days and count."""
    form = RecentChangesForm(request.GET or None)
    days, limit = RECENT_DAYS, RECENT_LIMIT
    if form.is_bound and form.is_valid():
        days, limit = form.cleaned_data["days"], form.cleaned_data["limit"]
    if form.is_bound and not form.is_valid():
        return render(request, "wiki/recent_changes.html", {"form": form, "rows": []}, status=400)
    rows = recent_revisions(days, limit)
    context = {"form": form, "rows": rows, "days": days, "limit": limit}
    return render(request, "wiki/recent_changes.html", context)


@require_safe
def contributions(request, username):
    """One user's edits, newest first, 50 a page. A user without edits
    answers the same 404 as a name nobody has, so that the page cannot tell
    anyone which accounts exist (except to that user, about themselves)."""
    no_such_user = Http404("No such user.")
    if "\x00" in username:  # no user has one, and PostgreSQL refuses it in a query
        raise no_such_user
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        # An imported author with no user here: the name kept with revisions.
        rows = revision_rows().select_related("page").filter(revision__user=None)
        rows = rows.filter(author_name=username)
    else:
        rows = revision_rows().select_related("page").filter(revision__user=user)
    page_of_rows = Paginator(rows, HISTORY_PER_PAGE).get_page(request.GET.get("page"))
    if not page_of_rows.paginator.count and (user is None or request.user != user):
        raise no_such_user
    context = {"contributor_name": username, "rows": page_of_rows}
    return render(request, "wiki/contributions.html", context)
