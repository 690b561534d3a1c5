"""What links here: the pages and redirects that point to a title."""

from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.http import require_safe

from wiki.models import Link, Page
from wiki.titles import slug_to_title, title_key, title_to_slug, validate_title
from wiki.views.lookup import MissingPage, canonical_redirect, page_or_none

LINKS_PER_PAGE = 100


@require_safe
def page_links(request, slug):
    """Pages linking to the title (which need not exist), redirects to it
    marked, with the pages that link through each redirect beneath it."""
    page = page_or_none(slug)
    if page is not None and (response := canonical_redirect(request, page, slug)):
        return response
    target_title = page.title if page else _creatable_title(slug)
    linking = Page.objects.linking_to_title(target_title).only("title", "key", "redirect_to")
    listing = Paginator(linking, LINKS_PER_PAGE).get_page(request.GET.get("page"))
    key = title_key(target_title)
    redirects = [
        item for item in listing if item.is_redirect and title_key(item.redirect_to) == key
    ]
    through = _linking_through(redirects)
    context = {
        "page": page,
        "target_title": target_title,
        "target_slug": title_to_slug(target_title),
        "listing": listing,
        "entries": [(item, item in redirects, through.get(item.key, [])) for item in listing],
    }
    return render(request, "wiki/page_links.html", context)


def _creatable_title(slug: str) -> str:
    """The title a slug names when no page has it; the missing-page 404 when
    it cannot be a title at all (nothing can link to it)."""
    try:
        return validate_title(slug_to_title(slug))
    except ValidationError as error:
        raise MissingPage(slug_to_title(slug)) from error


def _linking_through(redirects: list[Page]) -> dict[str, list[Page]]:
    """``{redirect key: pages linking to that redirect}``, in one query."""
    if not redirects:
        return {}
    result: dict[str, list[Page]] = {redirect.key: [] for redirect in redirects}
    links = (
        Link.objects.filter(target_key__in=list(result))
        .select_related("source")
        .only("target_key", "source__title", "source__key", "source__redirect_to")
        .order_by("source__title")
    )
    for link in links:
        result[link.target_key].append(link.source)
    return result
