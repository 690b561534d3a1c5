"""Function views: parse the request, load, call a queryset or service, render."""

from django.core.exceptions import ValidationError
from django.db import connection
from django.http import (
    HttpResponse,
    HttpResponsePermanentRedirect,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import render
from django.templatetags.static import static
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_safe

from wiki.feedback import vote_counts
from wiki.models import Page
from wiki.page_views import count_page_view
from wiki.rendering import page_display, section_anchor, wiki_href
from wiki.titles import slug_to_title, title_key, title_to_slug, validate_title

MAIN_PAGE_TITLE = "Main Page"


def _canonical_redirect(request, page: Page, slug: str):
    """A permanent redirect to the same URL under the page's canonical title
    when ``slug`` spells it differently (letter case, spaces), else None.
    Works for any URL below ``/wiki/<Title>/``."""
    if slug == page.slug:
        return None
    url = request.path.replace(f"/wiki/{slug}/", page.get_absolute_url(), 1)
    if request.META.get("QUERY_STRING"):
        url += "?" + request.META["QUERY_STRING"]
    return HttpResponsePermanentRedirect(url)


def _render_page(
    request,
    page: Page,
    *,
    redirected_from: Page | None = None,
    status=200,
    redirect_target_exists: bool | None = None,
):
    shown = page
    # A redirect page shows where it points, never its "#REDIRECT" line.
    display = page_display(shown, with_body=not shown.is_redirect)
    context = {
        "page": shown,
        "content": display.html,
        "crosslinks": display.crosslinks,
        "redirected_from": redirected_from,
        "is_main_page": shown.key == title_key(MAIN_PAGE_TITLE),
        "vote_counts": vote_counts(shown),
    }
    if shown.is_redirect:
        if redirect_target_exists is None:
            redirect_target_exists = Page.objects.with_title(shown.redirect_to).exists()
        context["redirect_target_exists"] = redirect_target_exists
        context["redirect_target_url"] = wiki_href(shown.redirect_to, shown.redirect_fragment)
    elif redirected_from is not None and redirected_from.redirect_fragment:
        context["redirect_anchor"] = section_anchor(redirected_from.redirect_fragment)
    count_page_view(request, shown)
    return render(request, "wiki/page_detail.html", context, status=status)


def _missing_page(request, title: str):
    try:
        slug = title_to_slug(validate_title(title))
    except ValidationError:
        slug = ""  # not a title anyone could create
    context = {"missing_title": title, "missing_slug": slug}
    return render(request, "wiki/page_missing.html", context, status=404)


@require_safe
def main_page(request):
    """The main page: the page titled "Main Page", served at /."""
    page = Page.objects.with_title(MAIN_PAGE_TITLE).with_vote_counts().first()
    if page is None:
        return render(request, "wiki/main_page_empty.html")
    return _render_page(request, page)


@require_safe
def page_detail(request, title):
    """Read a page's current revision, following a redirect one hop."""
    wanted = slug_to_title(title)
    page = Page.objects.with_title(wanted).with_vote_counts().first()
    if page is None:
        return _missing_page(request, wanted)
    if redirect := _canonical_redirect(request, page, title):
        return redirect
    if page.is_redirect:
        # One hop only: a redirect to a redirect shows the second redirect
        # page, flagged, so a chain or a loop can never hang a request.
        if request.GET.get("redirect") == "no":
            return _render_page(request, page)
        target = Page.objects.with_title(page.redirect_to).with_vote_counts().first()
        if target is not None:
            return _render_page(request, target, redirected_from=page)
        return _render_page(request, page, redirect_target_exists=False)
    return _render_page(request, page)


@require_safe
def page_without_slash(request, title):
    """``/wiki/Title`` (no trailing slash): one permanent redirect to the
    canonical URL, or the missing-page answer."""
    wanted = slug_to_title(title)
    page = Page.objects.with_title(wanted).first()
    if page is None:
        return _missing_page(request, wanted)
    url = page.get_absolute_url()
    if request.GET:
        url += "?" + urlencode(request.GET, doseq=True)
    return HttpResponsePermanentRedirect(url)


@require_safe
def page_source(request, title):
    """The current markdown source as text/plain."""
    wanted = slug_to_title(title)
    page = Page.objects.with_title(wanted).first()
    if page is None:
        return _missing_page(request, wanted)
    if redirect := _canonical_redirect(request, page, title):
        return redirect
    return HttpResponse(page.body, content_type="text/plain; charset=utf-8")


@require_GET
def healthz(request):
    """Liveness and readiness: the database answers."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:  # any database failure means "not ready"
        return JsonResponse({"status": "unavailable"}, status=503)
    return JsonResponse({"status": "ok"})


def not_found(request, exception=None):
    """The friendly 404 for any URL: offers search and the main page."""
    return render(request, "404.html", status=404)


@require_safe
def favicon(request):
    """Browsers ask for /favicon.ico wherever a document names no icon (a
    PDF, a feed): send them to the site's icon instead of a 404."""
    return HttpResponseRedirect(static("img/favicon.svg"))
