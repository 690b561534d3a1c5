"""Views over revisions: history, one old revision, diffs, recent changes,
contributions. They read RevisionInfo rows (never deserialize a list of
versions), so their query count does not grow with the history."""

import datetime

from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.db.models import OuterRef, Subquery
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_safe

from wiki.diff import diff_metadata, diff_texts
from wiki.forms import RecentChangesForm
from wiki.models import CrossLink, RevisionInfo
from wiki.rendering import render_body
from wiki.revisions import MAX_REVISION_ID, revision_contents
from wiki.views.lookup import canonical_redirect, page_for_slug

HISTORY_PER_PAGE = 50


def revision_rows():
    """RevisionInfo rows with their revision, author and the id of the
    page's previous revision (for "prev" diff links), in one query."""
    previous = (
        RevisionInfo.objects.filter(
            page_id=OuterRef("page_id"), revision_id__lt=OuterRef("revision_id")
        )
        .order_by("-revision_id")
        .values("revision_id")[:1]
    )
    return (
        RevisionInfo.objects.select_related("revision", "revision__user")
        .annotate(previous_revision_id=Subquery(previous))
        .order_by("-revision_id")
    )


def _revision_of(page, revision_id) -> RevisionInfo:
    info = None
    if revision_id <= MAX_REVISION_ID:
        info = revision_rows().filter(page_id=page.pk, revision_id=revision_id).first()
    if info is None:
        raise Http404("No such revision of this page.")
    return info


def _int_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@require_safe
def page_history(request, title):
    """A page's revisions, newest first, 50 a page. ``?from=&to=`` (the
    compare form) redirects to the diff of those two revisions."""
    page = page_for_slug(title)
    if response := canonical_redirect(request, page, title):
        return response
    from_id, to_id = _int_or_none(request.GET.get("from")), _int_or_none(request.GET.get("to"))
    if from_id and to_id:
        older, newer = sorted([from_id, to_id])
        return redirect(f"/wiki/{page.slug}/diff/{older}/{newer}/")
    paginator = Paginator(revision_rows().filter(page_id=page.pk), HISTORY_PER_PAGE)
    rows = paginator.get_page(request.GET.get("page"))
    context = {"page": page, "rows": rows, "can_revert": request.user.has_perm("wiki.revert_page")}
    return render(request, "wiki/page_history.html", context)


@require_safe
def page_revision(request, title, revision_id):
    """One old revision, rendered through the same sanitizing pipeline."""
    page = page_for_slug(title)
    info = _revision_of(page, revision_id)
    if response := canonical_redirect(request, page, title):
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
        "crosslinks": [
            CrossLink.from_content(page, link, position=position)
            for position, link in enumerate(content.crosslinks)
        ],
        "next_revision_id": following,
        "is_current": revision_id == page.current_revision_id,
    }
    return render(request, "wiki/page_revision.html", context)


@require_safe
def page_diff(request, title, from_id, to_id):
    """What changed between two revisions of a page: text and metadata."""
    page = page_for_slug(title)
    old_info, new_info = _revision_of(page, from_id), _revision_of(page, to_id)
    if response := canonical_redirect(request, page, title):
        return response
    contents = revision_contents(page, [from_id, to_id])
    old, new = contents[from_id], contents[to_id]
    context = {
        "page": page,
        "old_info": old_info,
        "new_info": new_info,
        "changes": diff_texts(old.body, new.body),
        "metadata_changes": diff_metadata(old, new, titles=(old.title, new.title)),
    }
    return render(request, "wiki/page_diff.html", context)


def recent_revisions(days: int, limit: int):
    """The newest edits of existing pages within ``days``, at most ``limit``."""
    since = timezone.now() - datetime.timedelta(days=days)
    return list(
        revision_rows().select_related("page").filter(revision__date_created__gte=since)[:limit]
    )


@require_safe
def recent_changes(request):
    """All edits, newest first, filtered by days and count."""
    form = RecentChangesForm(request.GET or None)
    days, limit = 30, 50
    if form.is_bound and form.is_valid():
        days, limit = form.cleaned_data["days"], form.cleaned_data["limit"]
    if form.is_bound and not form.is_valid():
        return render(request, "wiki/recent_changes.html", {"form": form, "rows": []}, status=400)
    rows = recent_revisions(days, limit)
    context = {"form": form, "rows": rows, "days": days, "limit": limit}
    return render(request, "wiki/recent_changes.html", context)


@require_safe
def contributions(request, username):
    """One user's edits, newest first, 50 a page."""
    if "\x00" in username:  # no user has one, and PostgreSQL refuses it in a query
        raise Http404("No such user.")
    user = get_object_or_404(get_user_model(), username=username)
    rows = revision_rows().select_related("page").filter(revision__user=user)
    page_of_rows = Paginator(rows, HISTORY_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "wiki/contributions.html", {"contributor": user, "rows": page_of_rows})
