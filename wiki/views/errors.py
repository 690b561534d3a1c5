"""Error pages that need more than Django's defaults."""

from django.core.exceptions import RequestDataTooBig
from django.shortcuts import render

from wiki.views.lookup import MissingPage, missing_page


def bad_request(request, exception=None):
    """400, except a request body over DATA_UPLOAD_MAX_MEMORY_SIZE, which is
    413 with a page that says what happened."""
    if isinstance(exception, RequestDataTooBig):
        return render(request, "413.html", status=413)
    return render(request, "400.html", status=400)


def not_found(request, exception=None):
    """404: the missing-page page for a title no page has (whichever view
    under /wiki/<slug>/ looked it up), else the friendly 404 for any URL,
    which offers search and the main page."""
    if isinstance(exception, MissingPage):
        return missing_page(request, exception.title)
    return render(request, "404.html", status=404)
