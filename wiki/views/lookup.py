"""Finding the page a URL names: the one place every view under
``/wiki/<slug>/`` (and search's exact-title jump) turns a title into a page,
the missing-page 404 or a permanent redirect to the canonical spelling, and
a revision id into one of that page's revisions."""

from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponsePermanentRedirect
from django.shortcuts import render
from django.urls import reverse

from wiki.caching import mark_canonical_redirect
from wiki.changes import revision_rows
from wiki.models import Page, RevisionInfo
from wiki.revisions import MAX_REVISION_ID
from wiki.titles import slug_to_title, title_to_slug, validate_title


class MissingPage(Http404):
    """No page has this title. The 404 handler answers it with the
    missing-page page (search for it; moderators may create it)."""

    def __init__(self, title: str):
        super().__init__(f"There is no page titled {title!r}.")
        self.title = title


def page_or_none(title: str, queryset=None) -> Page | None:
    """The page with this title (any spelling, spaces or underscores), or
    None. A string that cannot be a title (a NUL byte, which PostgreSQL
    refuses) names no page."""
    queryset = Page.objects.all() if queryset is None else queryset
    return queryset.with_title(slug_to_title(title)).first()


def page_for_slug(slug: str, queryset=None) -> Page:
    """The page a URL names (any spelling of its title); raises
    ``MissingPage`` (a 404) when there is none."""
    page = page_or_none(slug, queryset)
    if page is None:
        raise MissingPage(slug_to_title(slug))
    return page


def revision_for_page(page: Page, revision_id: int) -> RevisionInfo:
    """One revision of ``page`` (a ``revision_rows()`` row), looked up
    through the page so that another page's revision id is a 404 too."""
    info = None
    if revision_id <= MAX_REVISION_ID:
        info = revision_rows().filter(page_id=page.pk, revision_id=revision_id).first()
    if info is None:
        raise Http404("No such revision of this page.")
    return info


def canonical_redirect(request, page: Page, slug: str):
    """A permanent redirect to the same URL (query string kept) under the
    page's canonical slug when ``slug`` spells the title differently (letter
    case, spaces), else None. Only for GET and HEAD: a redirected POST would
    lose what the browser sent. Kept by browsers for minutes, not for ever:
    the canonical spelling can change (``mark_canonical_redirect``)."""
    if slug == page.slug or request.method not in {"GET", "HEAD"}:
        return None
    match = request.resolver_match
    url = reverse(match.view_name, args=match.args, kwargs={**match.kwargs, "slug": page.slug})
    if request.META.get("QUERY_STRING"):
        url += "?" + request.META["QUERY_STRING"]
    response = HttpResponsePermanentRedirect(url)
    mark_canonical_redirect(response)
    return response


def missing_page(request, title: str):
    """The friendly 404 for a title with no page: search for it, and (for
    moderators, when it is a valid title) create it."""
    try:
        slug = title_to_slug(validate_title(title))
    except ValidationError:
        slug = ""  # not a title anyone could create
    context = {"missing_title": title, "missing_slug": slug}
    return render(request, "wiki/page_missing.html", context, status=404)
