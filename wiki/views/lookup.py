"""Finding the page a URL names: the one place every view under
``/wiki/<Title>/`` turns its title segment into a page, a 404 or a
permanent redirect to the canonical spelling."""

from django.core.exceptions import ValidationError
from django.http import HttpResponsePermanentRedirect
from django.shortcuts import get_object_or_404, render

from wiki.models import Page
from wiki.titles import slug_to_title, title_to_slug, validate_title


def page_for_slug(slug: str, queryset=None) -> Page:
    """The page a URL names (any spelling of its title), or 404. A slug that
    cannot be a title (a NUL byte, which PostgreSQL refuses) is a 404 too."""
    queryset = Page.objects.all() if queryset is None else queryset
    return get_object_or_404(queryset.with_title(slug_to_title(slug)))


def canonical_redirect(request, page: Page, slug: str):
    """A permanent redirect to the same URL (query string kept) under the
    page's canonical slug when ``slug`` spells the title differently (letter
    case, spaces), else None. Only for GET and HEAD: a redirected POST would
    lose what the browser sent."""
    if slug == page.slug or request.method not in {"GET", "HEAD"}:
        return None
    url = request.path.replace(f"/wiki/{slug}/", page.get_absolute_url(), 1)
    if request.META.get("QUERY_STRING"):
        url += "?" + request.META["QUERY_STRING"]
    return HttpResponsePermanentRedirect(url)


def missing_page(request, title: str):
    """The friendly 404 for a title with no page: search for it, and (for
    moderators, when it is a valid title) create it."""
    try:
        slug = title_to_slug(validate_title(title))
    except ValidationError:
        slug = ""  # not a title anyone could create
    context = {"missing_title": title, "missing_slug": slug}
    return render(request, "wiki/page_missing.html", context, status=404)
