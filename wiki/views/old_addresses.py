"""Old MediaWiki addresses of imported pages (``/index.php?title=<Title>``,
``/index.php/<Title>``, with ``action=history``, ``oldid=<n>`` or
``curid=<n>``): a permanent redirect to the page, its history or the
imported revision here, so links that patients and search engines already
hold keep working. Anything unknown is a 404; any other action is the page.
"""

from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponsePermanentRedirect
from django.urls import reverse
from django.views.decorators.http import require_safe

from wiki.models import MediaWikiPage, Page, RevisionInfo
from wiki.titles import page_url, title_to_slug, validate_title
from wiki.views.lookup import page_or_none
from wiki.wikitext import mediawiki_title

# The largest id MediaWiki gives (an unsigned 64-bit column); a longer number
# names nothing and would overflow the query.
MAX_MEDIAWIKI_ID = 2**63 - 1


def _number(value: str | None) -> int | None:
    """A positive id as a URL gives it, or None when it is not one."""
    if value is None or not value.isdigit() or not 0 < int(value) <= MAX_MEDIAWIKI_ID:
        return None
    return int(value)


def _imported_page(title: str) -> Page | None:
    """The page imported under this MediaWiki title (exact, as MediaWiki
    compares titles), else the page with this title by our rules."""
    try:
        # validate_title first: a NUL byte, which PostgreSQL refuses in a
        # query, or any other character no title has, names no page.
        wanted = mediawiki_title(validate_title(title))
    except (ValueError, ValidationError):
        return None
    imported = MediaWikiPage.objects.filter(mediawiki_title=wanted).select_related("page").first()
    return imported.page if imported is not None else page_or_none(wanted)


@require_safe
def old_address(request, title: str = ""):
    """``/index.php`` as MediaWiki answered it: ``oldid`` names a revision,
    ``curid`` a page, ``title`` (or the path) a page; ``action=history`` asks
    for its history. No page named at all is the main page."""
    if "oldid" in request.GET:
        info = RevisionInfo.objects.filter(mediawiki_id=_number(request.GET["oldid"])).first()
        page = Page.objects.filter(pk=info.page_id).first() if info is not None else None
        if page is None:
            raise Http404("No imported revision has this id.")
        url = reverse(
            "wiki:page-revision",
            kwargs={"slug": title_to_slug(page.title), "revision_id": info.revision_id},
        )
        return HttpResponsePermanentRedirect(url)
    if "curid" in request.GET:
        imported = MediaWikiPage.objects.filter(mediawiki_id=_number(request.GET["curid"]))
        page = Page.objects.filter(mediawiki__in=imported).first()
    else:
        title = title or request.GET.get("title", "")
        if not title.strip():
            return HttpResponsePermanentRedirect(reverse("wiki:main-page"))
        page = _imported_page(title)
    if page is None:
        raise Http404("No page has this title.")
    action = "history" if request.GET.get("action") == "history" else ""
    return HttpResponsePermanentRedirect(page_url(page.title, action))
