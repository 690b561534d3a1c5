"""The medical disclaimer in full: the current version, and any earlier one
as it stood (``wiki.disclaimers``)."""

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import render
from django.utils.cache import get_conditional_response
from django.views.decorators.http import require_safe

from wiki.caching import make_etag, mark_public
from wiki.disclaimers import disclaimer_version, request_disclaimer
from wiki.models import DisclaimerVersion


def _disclaimer_etag(request, shown: DisclaimerVersion) -> str | None:
    """The ETag of an anonymous reader's view of version ``shown``, or None
    when the view is personal (a logged-in user, a message to show).
    Versions never change, so the numbers of the one shown and the current
    one (which the footer, the list of versions and the "replaced" line
    follow) are all that can, besides the site's address, the URL (the
    login link holds it) and the code."""
    if request.user.is_authenticated or len(messages.get_messages(request)):
        return None
    current = request_disclaimer(request)
    return make_etag(settings.SITE_URL, shown.number, current.number, request.get_full_path())


def _disclaimer_response(request, shown: DisclaimerVersion):
    etag = _disclaimer_etag(request, shown)
    response = get_conditional_response(request, etag=etag) if etag else None
    if response is None:
        current = request_disclaimer(request)
        replaced_by = None
        if shown.number != current.number:
            replaced_by = (
                DisclaimerVersion.objects.filter(number__gt=shown.number).order_by("number").first()
            )
        context = {
            "shown": shown,
            "current": current,
            "is_current": replaced_by is None,
            "replaced_by": replaced_by,
            "versions": DisclaimerVersion.objects.only("number", "created_at"),
        }
        response = render(request, "wiki/disclaimer.html", context)
    if etag:
        response["ETag"] = etag
        mark_public(response)
    return response


@require_safe
def disclaimer_current(request):
    """The disclaimer every page carries, in full, with its version and date."""
    return _disclaimer_response(request, request_disclaimer(request))


@require_safe
def disclaimer_by_number(request, number):
    """Version ``number`` of the disclaimer as it stood, marked as no longer
    in use when a newer one has replaced it; 404 for a version never saved."""
    shown = disclaimer_version(number)
    if shown is None:
        raise Http404("There is no such version of the disclaimer.")
    return _disclaimer_response(request, shown)
