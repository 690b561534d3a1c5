"""Finding pages: articles by year, search, title suggestions, all pages,
robots.txt."""

import datetime
import itertools
import re

from django.core.paginator import Paginator
from django.db.models import Count
from django.db.models.functions import ExtractYear
from django.http import Http404, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_safe

from wiki import search
from wiki.models import Page
from wiki.site import absolute_url
from wiki.titles import MAX_TITLE_LENGTH, page_url

SEARCH_RESULTS_PER_PAGE = 20
PAGES_PER_LIST_PAGE = 100
SUGGESTIONS = 10
# The header box allows 300 characters; anything longer is cut, not refused.
MAX_QUERY_LENGTH = 300

_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")

ROBOTS_DISALLOWED = [
    "/wiki/*/edit/",
    "/wiki/*/move/",
    "/wiki/*/history/",
    "/wiki/*/diff/",
    "/wiki/*/revisions/",
    "/wiki/*/source/",
    "/wiki/*/info/",
    "/wiki/*?redirect=no",
    "/search/",
    "/contributions/",
    "/accounts/",
    "/admin/",
]


def _query_text(request, length: int) -> str:
    # Control characters (a NUL above all, which PostgreSQL refuses in any
    # string) are never part of a title or a word.
    return _CONTROL_CHARACTERS.sub(" ", request.GET.get("q", ""))[:length]


@require_safe
def article_years(request):
    """Every year that has articles, with its count, newest first."""
    years = (
        Page.objects.articles()
        .annotate(year=ExtractYear("article_date"))
        .values("year")
        .annotate(count=Count("pk"))
        .order_by("-year")
    )
    return render(request, "wiki/article_years.html", {"years": list(years)})


@require_safe
def articles_by_year(request, year: int):
    """One year's articles by date, grouped by month; 404 when it has none."""
    if not datetime.MINYEAR <= year <= datetime.MAXYEAR:
        raise Http404("No articles for that year.")
    articles = list(
        Page.objects.by_year(year).defer("search_vector").order_by("article_date", "key")
    )
    if not articles:
        raise Http404(f"No articles for {year}.")
    months = [
        (month, list(pages))
        for month, pages in itertools.groupby(articles, key=lambda page: page.article_date.month)
    ]
    context = {"year": year, "months": months, "count": len(articles)}
    return render(request, "wiki/articles_by_year.html", context)


def _page_number(number: str | None) -> int:
    # The page Paginator.get_page shows for ``number`` if there are enough
    # results: itself if a whole number from 1, else the first.
    try:
        return max(1, int(number))
    except (TypeError, ValueError):
        return 1


@require_safe
def search_pages(request):
    """Full-text search. A query that is a page's (or a redirect's) title,
    also ignoring spaces and hyphens ("interleukin 2"), goes straight to that
    page, unless ``fulltext`` is given."""
    query = _query_text(request, MAX_QUERY_LENGTH).strip()
    number = request.GET.get("page")
    # The results the paginator will show, read with the ranking (a page
    # number it would correct, past the last say, only costs a query more).
    first = (_page_number(number) - 1) * SEARCH_RESULTS_PER_PAGE
    results = search.search(
        query,
        go_to=not request.GET.get("fulltext"),
        shown=slice(first, first + SEARCH_RESULTS_PER_PAGE),
    )
    if results.title_to_go_to is not None:
        return HttpResponseRedirect(page_url(results.title_to_go_to))
    page_obj = Paginator(results, SEARCH_RESULTS_PER_PAGE).get_page(number)
    context = {
        "search_query": query,
        "page_obj": page_obj,
        "has_words": bool(results.terms),
        "did_you_mean": results.did_you_mean,
        "more_results_than": search.MAX_RESULTS if results.has_more_results else None,
        "pagination_query": urlencode({"q": query, "fulltext": 1}) + "&",
    }
    return render(request, "wiki/search.html", context)


@require_safe
def search_suggest(request):
    """Up to ten titles starting with ``q`` (any letter case, spacing or
    hyphens), then titles one typo from it, as JSON."""
    query = _query_text(request, MAX_TITLE_LENGTH)
    titles = search.suggest_titles(query, SUGGESTIONS) if query.strip() else []
    results = [{"title": title, "url": page_url(title)} for title in titles]
    return JsonResponse({"query": query, "results": results})


@require_safe
def all_pages(request):
    """Every page, alphabetical (redirects marked), paginated."""
    pages = Page.objects.only("title", "redirect_to").order_by("key")
    page_obj = Paginator(pages, PAGES_PER_LIST_PAGE).get_page(request.GET.get("page"))
    return render(request, "wiki/all_pages.html", {"page_obj": page_obj, "pagination_query": ""})


@require_safe
def robots_txt(request):
    """Crawlers: the sitemap, and no edit, history, diff or search URLs."""
    lines = ["User-agent: *"]
    lines += [f"Disallow: {path}" for path in ROBOTS_DISALLOWED]
    lines += ["", f"Sitemap: {absolute_url(reverse('wiki:sitemap'))}", ""]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")
