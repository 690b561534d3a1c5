"""Categories: every category with its page count, and the pages of one."""

from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponsePermanentRedirect
from django.shortcuts import render
from django.views.decorators.http import require_safe

from wiki.caching import mark_canonical_redirect
from wiki.display import render_body
from wiki.models import Category
from wiki.titles import slug_to_title, title_key, validate_title

# Pages listed on one page of a category, as MediaWiki lists them.
PAGES_PER_CATEGORY_PAGE = 200


@require_safe
def category_list(request):
    """Every category with its page count, alphabetical."""
    return render(request, "wiki/category_list.html", {"categories": Category.objects.listed()})


@require_safe
def category_detail(request, slug):
    """A category's description and its pages, by sort key then title
    (paginated). Another spelling of its name answers with a permanent
    redirect to the canonical URL; an unknown name is a 404."""
    try:
        key = title_key(validate_title(slug_to_title(slug)))
    except ValidationError:
        raise Http404("No such category.") from None
    category = Category.objects.filter(key=key).first()
    if category is None:
        raise Http404("No such category.")
    if slug != category.slug:
        response = HttpResponsePermanentRedirect(category.get_absolute_url())
        mark_canonical_redirect(response)
        return response
    pages = Paginator(category.pages_in_order(), PAGES_PER_CATEGORY_PAGE)
    context = {
        "category": category,
        "description": render_body(category.description) if category.description else "",
        "page_obj": pages.get_page(request.GET.get("page")),
        "pagination_query": "",
    }
    return render(request, "wiki/category_detail.html", context)
