"""Reader votes ("Was this information useful?") and the moderators' page
info view."""

from django.contrib import messages
from django.core.cache import cache
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST, require_safe

from wiki.feedback import address_digest, client_address, page_statistics, vote_counts
from wiki.models import Page, RevisionInfo
from wiki.security import is_cross_site
from wiki.services import record_vote, voter_key_for
from wiki.titles import page_url
from wiki.views.access import moderator_required
from wiki.views.lookup import canonical_redirect, page_for_slug, page_or_none

ANSWERS = {"yes": True, "no": False}
# (requests, seconds). One reader rarely votes more than a few times a visit;
# a hospital or library can put hundreds of readers behind one address.
VOTE_WINDOW_SECONDS = 10 * 60
VOTES_PER_READER = (20, VOTE_WINDOW_SECONDS)
VOTES_PER_ADDRESS = (600, VOTE_WINDOW_SECONDS)
TOO_MANY = "Too many answers in a short time. Please try again in a few minutes."
THANKS = "Thank you for your answer. It helps us decide which pages to improve first."


def _wants_json(request) -> bool:
    return request.headers.get(
        "X-Requested-With"
    ) == "XMLHttpRequest" or "application/json" in request.headers.get("Accept", "")


def _refuse(request, message: str, status: int):
    if _wants_json(request):
        return JsonResponse({"error": message}, status=status)
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


def _over_limit(name: str, limit: tuple[int, int]) -> bool:
    """Count one request against ``name`` in the shared cache (a fixed
    window); True when it goes past the limit."""
    most, seconds = limit
    key = f"wiki:vote-rate:{name}"
    cache.add(key, 0, seconds)
    try:
        count = cache.incr(key)
    except ValueError:  # the window ended between add and incr
        cache.set(key, 1, seconds)
        count = 1
    return count > most


def _vote_target(page: Page) -> Page:
    """A vote on a redirect page counts for the page it leads to."""
    return page.redirect_target() or page


def _limited_voter_key(request) -> str | None:
    """The reader's voter key (a new reader's session is saved to make one),
    or None when the reader or their address has answered too often lately."""
    if _over_limit("address:" + address_digest(client_address(request)), VOTES_PER_ADDRESS):
        return None
    if request.session.session_key is None and not request.user.is_authenticated:
        request.session.save()  # a new reader: the session names their vote
    voter_key = voter_key_for(request.user, request.session.session_key)
    if _over_limit("reader:" + voter_key, VOTES_PER_READER):
        return None
    return voter_key


# No CSRF token: the vote form is on pages every anonymous reader shares
# (and proxies cache), so a browser's Origin/Referer is checked instead.
@csrf_exempt
@require_POST
def page_vote(request, slug):
    """Record the reader's answer (``useful`` = yes/no) for the page, once
    per reader; answer JSON to scripts, else redirect back with thanks.
    A vote another site's page sends is refused (403)."""
    if is_cross_site(request):
        return _refuse(request, "Votes are accepted from this site's pages only.", 403)
    page = page_or_none(slug)
    if page is None:
        return _refuse(request, "There is no page with this title.", 404)
    voter_key = _limited_voter_key(request)
    if voter_key is None:
        return _refuse(request, TOO_MANY, 429)
    answer = request.POST.get("useful", "")
    if answer not in ANSWERS:
        return _refuse(request, 'Please answer "yes" or "no".', 400)
    page = _vote_target(page)
    record_vote(page, ANSWERS[answer], voter_key=voter_key)
    if _wants_json(request):
        counts = vote_counts(page)
        return JsonResponse({"message": THANKS, "total": counts.total, "useful": answer})
    messages.success(request, THANKS)
    return redirect(page_url(page.title, fragment="vote"))


@require_safe
@moderator_required
def page_info(request, slug):
    """Moderators: a page's views, votes, revisions and the pages linking here."""
    page = page_for_slug(slug)
    if response := canonical_redirect(request, page, slug):
        return response
    context = {
        "page": page,
        "statistics": page_statistics(page),
        "revision_count": RevisionInfo.objects.filter(page_id=page.pk).count(),
        "links_here": Page.objects.linking_to_title(page.title),
    }
    return render(request, "wiki/page_info.html", context)
