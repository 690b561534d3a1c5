"""Error pages that need more than Django's defaults."""

from django.core.exceptions import RequestDataTooBig
from django.shortcuts import render


def bad_request(request, exception=None):
    """400, except a request body over DATA_UPLOAD_MAX_MEMORY_SIZE, which is
    413 with a page that says what happened."""
    if isinstance(exception, RequestDataTooBig):
        return render(request, "413.html", status=413)
    return render(request, "400.html", status=400)
