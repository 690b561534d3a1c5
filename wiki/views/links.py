"""What links here: the pages and redirects that point to a title."""

from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_safe

from wiki.models import Link, Page
from wiki.titles import slug_to_title, title_key, title_to_slug, validate_title
from wiki.views.lookup import canonical_redirect

LINKS_PER_PAGE = 100


@require_safe
def page_links(request, title):
    """Pages linking to ``title`` (which need not exist), redirects to it
    marked, with the pages that link through each redirect beneath it."""
    wanted = slug_to_title(title)
    page = Page.objects.with_title(wanted).first()
    if page is not None and (response := canonical_redirect(request, page, title)):
        return response
    if page is None:
        try:
            validate_title(wanted)
        except ValidationError as error:
            raise Http404(error.messages[0]) from error
    key = title_key(wanted)
    linking = Page.objects.linking_to_title(wanted).only("title", "key", "redirect_to")
    listing = Paginator(linking, LINKS_PER_PAGE).get_page(request.GET.get("page"))
    redirects = [
        item for item in listing if item.is_redirect and title_key(item.redirect_to) == key
    ]
    through = _linking_through(redirects)
    context = {
        "page": page,
        "target_title": page.title if page else wanted,
        "target_slug": title_to_slug(page.title if page else wanted),
        "listing": listing,
        "entries": [(item, item in redirects, through.get(item.key, [])) for item in listing],
    }
    return render(request, "wiki/page_links.html", context)


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
