"""Maintenance lists for moderators: broken and double redirects, wanted
pages and orphaned pages."""

from django.core.paginator import Paginator
from django.db.models import Count, Min
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_safe

from wiki.models import Link, Page
from wiki.titles import MAIN_PAGE_TITLE, title_key, title_to_slug
from wiki.views.access import moderator_required

ROWS_PER_PAGE = 100
# Keys looked up per query: well under every database's parameter limit.
KEYS_PER_QUERY = 500

LISTS = [
    ("broken-redirects", "Broken redirects", "Redirects to pages that do not exist."),
    (
        "double-redirects",
        "Double redirects",
        "Redirects to pages that are themselves redirects. Readers stop at the second "
        "redirect: point the first straight at the final page.",
    ),
    ("wanted-pages", "Wanted pages", "Titles that pages link to but that do not exist yet."),
    ("orphaned-pages", "Orphaned pages", "Pages that no other page links to."),
    ("reports", "Problem reports", "What readers reported as wrong with a page: close each one."),
    (
        "reviews",
        "Clinical reviews due",
        "Pages overdue for review, due within 30 days, never reviewed or changed since "
        "their last review, with a CSV export and a feed to subscribe to.",
    ),
]


def _render_list(request, slug: str, rows, decorate=None):
    heading, description = next((name, text) for key, name, text in LISTS if key == slug)
    listing = Paginator(rows, ROWS_PER_PAGE).get_page(request.GET.get("page"))
    if decorate is not None:
        listing.object_list = [decorate(row) for row in listing.object_list]
    context = {
        "list_slug": slug,
        "heading": heading,
        "description": description,
        "rows": listing,
    }
    return render(request, "wiki/maintenance.html", context)


def _redirects_with_targets() -> list[tuple[Page, Page | None]]:
    """Every redirect page and the page it points to (None when missing)."""
    redirects = list(
        Page.objects.redirects().only("title", "key", "redirect_to", "redirect_fragment")
    )
    keys = sorted({title_key(redirect.redirect_to) for redirect in redirects})
    targets: dict[str, Page] = {}
    for start in range(0, len(keys), KEYS_PER_QUERY):
        chunk = keys[start : start + KEYS_PER_QUERY]
        found = Page.objects.filter(key__in=chunk).only("title", "key", "redirect_to")
        targets.update((target.key, target) for target in found)
    return [(redirect, targets.get(title_key(redirect.redirect_to))) for redirect in redirects]


@require_safe
@moderator_required
def maintenance_index(request):
    """The list of maintenance lists."""
    lists = [(reverse(f"wiki:maintenance-{key}"), name, text) for key, name, text in LISTS]
    return render(request, "wiki/maintenance.html", {"heading": "Maintenance", "lists": lists})


@require_safe
@moderator_required
def broken_redirects(request):
    """Redirect pages whose target does not exist."""
    rows = [redirect for redirect, target in _redirects_with_targets() if target is None]
    return _render_list(request, "broken-redirects", rows)


@require_safe
@moderator_required
def double_redirects(request):
    """Redirect pages whose target is itself a redirect."""
    rows = [
        (redirect, target)
        for redirect, target in _redirects_with_targets()
        if target is not None and target.is_redirect
    ]
    return _render_list(request, "double-redirects", rows)


@require_safe
@moderator_required
def wanted_pages(request):
    """Missing titles that pages link to, most linked first."""
    rows = (
        Link.objects.exclude(target_key__in=Page.objects.values("key"))
        .values("target_key")
        .annotate(title=Min("target_title"), link_count=Count("id"))
        .order_by("-link_count", "target_key")
    )
    return _render_list(
        request, "wanted-pages", rows, lambda row: {**row, "slug": title_to_slug(row["title"])}
    )


@require_safe
@moderator_required
def orphaned_pages(request):
    """Content pages nothing links to (the main page is reached from /)."""
    rows = Page.objects.orphaned().exclude(key=title_key(MAIN_PAGE_TITLE)).only("title")
    return _render_list(request, "orphaned-pages", rows.order_by("title"))
