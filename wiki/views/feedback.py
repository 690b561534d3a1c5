"""Reader votes ("Was this information useful?") and the moderators' page
info view."""

import datetime
from dataclasses import dataclass

from django.contrib import messages
from django.db import transaction
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST, require_safe

from wiki.feedback import (
    ASK_REASON_TAG,
    VOTER_COOKIE,
    VOTER_COOKIE_SALT,
    VOTER_COOKIE_SECONDS,
    VOTER_SESSION_FIELD,
    cookie_voter_key,
    new_voter_token,
    next_utc_midnight,
    page_statistics,
    session_voter_key,
    take_allowance,
    take_network_allowance,
    vote_counts,
)
from wiki.models import Page, ProblemReason, RevisionInfo
from wiki.security import is_cross_site
from wiki.services import adopt_votes, reader_voter_key, record_vote, voter_key_for
from wiki.titles import page_url
from wiki.views.access import moderator_required
from wiki.views.lookup import canonical_redirect, page_for_slug, page_or_none

ANSWERS = {"yes": True, "no": False}
# (answers, seconds): one reader rarely answers more than a few times a visit.
VOTE_WINDOW_SECONDS = 10 * 60
VOTES_PER_READER = (20, VOTE_WINDOW_SECONDS)
# New answers one network (an IPv4 address, an IPv6 /64) may add to one page
# in one day (UTC), in each of two lanes. "New readers": answers from a
# browser with no vote cookie or session yet, which a script can send
# without end; ten caps what it can do to a page. "Returning readers":
# answers from a browser whose cookie or session existed before this answer,
# so a script flooding from a hospital's address cannot shut its readers out.
# A cookie costs a script only one counted answer, so the returning lane is
# capped too: together, one network adds at most twenty answers to a page a
# day, however it goes about it.
NEW_READERS_PER_NETWORK = 10
RETURNING_READERS_PER_NETWORK = 10
TOO_MANY = "Too many answers in a short time. Please try again in a few minutes."
NETWORK_FULL = (
    "We have counted as many answers about this page from your network today as we can. "
    "Please try again tomorrow."
)
THANKS = "Thank you for your answer. It helps us decide which pages to improve first."
THANKS_ASK_REASON = (
    "Thank you for your answer. If you can, tell us below what was wrong, "
    "so that we can put it right."
)
THANKS_FOR_REASON = "Thank you for telling us what was wrong. It helps us put it right."
BAD_REASON = 'Please choose one of the reasons listed (a reason goes with a "no" answer only).'


@dataclass(frozen=True)
class Voter:
    """Who is answering: ``key`` names their vote; ``new_token`` is the vote
    cookie to give a reader who had none (only once their answer counts)."""

    key: str
    new_token: str = ""
    remember_in_session: bool = False
    forget_cookie: bool = False


def _wants_json(request) -> bool:
    return request.headers.get(
        "X-Requested-With"
    ) == "XMLHttpRequest" or "application/json" in request.headers.get("Accept", "")


def _refuse(request, message: str, status: int, *, retry_after: int | None = None):
    if _wants_json(request):
        response = JsonResponse({"error": message}, status=status)
    else:
        response = HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return response


def _vote_target(page: Page) -> Page:
    """A vote on a redirect page counts for the page it leads to."""
    return page.redirect_target() or page


def _identify(request) -> Voter:
    """The voter behind the request: a logged-in user (who takes over the
    votes of a vote cookie they still carry, as at log-in), a returning
    reader (vote cookie, then an existing session), or a new reader, who is
    given a token. No session is ever made for a vote."""
    cookie_key = cookie_voter_key(request)
    if request.user.is_authenticated:
        if cookie_key:
            adopt_votes(cookie_key, request.user)
        return Voter(key=voter_key_for(request.user, None), forget_cookie=bool(cookie_key))
    if cookie_key:
        return Voter(key=cookie_key)
    if session_key := session_voter_key(request):
        return Voter(key=session_key, remember_in_session=True)
    token = new_voter_token()
    return Voter(key=reader_voter_key(token), new_token=token)


def _seconds_to(moment: datetime.datetime) -> int:
    return max(1, int((moment - timezone.now()).total_seconds()) + 1)


def _reader_limit(voter: Voter) -> tuple[str, int] | None:
    """Count a returning reader's (or user's) answer against their own limit:
    None while under it, else the message and seconds for the 429. A new
    reader has no history to count; the network's lane stands for them."""
    if voter.new_token:
        return None
    most, seconds = VOTES_PER_READER
    window = int(timezone.now().timestamp()) // seconds
    window_end = datetime.datetime.fromtimestamp((window + 1) * seconds, tz=datetime.UTC)
    if take_allowance(f"reader:{window}:{voter.key}", most, window_end):
        return None
    return TOO_MANY, _seconds_to(window_end)


def _network_lane(request, page: Page, voter: Voter) -> tuple[str, int] | None:
    """Count a new answer against its network's lane for the page today
    (new or returning readers): None while there is room, else the message
    and the seconds until tomorrow (UTC) for the 429."""
    lane, most = (
        ("new", NEW_READERS_PER_NETWORK)
        if voter.new_token
        else ("returning", RETURNING_READERS_PER_NETWORK)
    )
    if take_network_allowance(request, lane, page.pk, most):
        return None
    return NETWORK_FULL, _seconds_to(next_utc_midnight())


def _count_answer(
    request, page: Page, voter: Voter, is_useful: bool, reason: str
) -> tuple[str, int] | None:
    """Record the answer unless a limit refuses it (then the message and the
    Retry-After seconds, and nothing written). Changing an answer counts
    only against the reader's own limit; a new answer from an anonymous
    reader also against their network's lane. A returning reader's lane is
    taken in the vote's own transaction, once the vote turns out to be new,
    so that a reader's concurrent requests take it once."""
    if refusal := _reader_limit(voter):
        return refusal
    if voter.new_token and (refusal := _network_lane(request, page, voter)):
        return refusal
    with transaction.atomic():
        _vote, created = record_vote(page, is_useful, voter_key=voter.key, reason=reason)
        is_returning_reader = not voter.new_token and not request.user.is_authenticated
        if created and is_returning_reader and (refusal := _network_lane(request, page, voter)):
            transaction.set_rollback(True)
            return refusal
    return None


def _remember(request, response, voter: Voter) -> None:
    """Let the reader change their answer later: a new reader's browser gets
    the vote cookie; a returning reader's session keeps the key for log-in;
    a user's browser loses a vote cookie whose votes are now the user's."""
    if voter.new_token:
        response.set_signed_cookie(
            VOTER_COOKIE,
            voter.new_token,
            salt=VOTER_COOKIE_SALT,
            max_age=VOTER_COOKIE_SECONDS,
            secure=request.is_secure(),
            httponly=True,
            samesite="Lax",
        )
    elif voter.remember_in_session:
        request.session[VOTER_SESSION_FIELD] = voter.key
    elif voter.forget_cookie:
        response.delete_cookie(VOTER_COOKIE, samesite="Lax")


def _thank(request, answer: str, reason: str) -> None:
    if reason:
        messages.success(request, THANKS_FOR_REASON)
    elif answer == "no":
        messages.success(request, THANKS_ASK_REASON, extra_tags=ASK_REASON_TAG)
    else:
        messages.success(request, THANKS)


# No CSRF token: the vote form is on pages every anonymous reader shares
# (and proxies cache), so a browser's Origin/Referer is checked instead.
@csrf_exempt
@require_POST
def page_vote(request, slug):
    """Record the reader's answer (``useful`` = yes/no, and for a "no" an
    optional ``reason``) for the page, once per reader; answer JSON to
    scripts, else redirect back with thanks (after a "no" without a reason,
    offering the reasons). An unknown reason, or one with a "yes", is 400.
    A vote another site's page sends is refused (403); one over a limit is
    429 with Retry-After. Nothing is stored for an answer that does not count."""
    if is_cross_site(request):
        return _refuse(request, "Votes are accepted from this site's pages only.", 403)
    page = page_or_none(slug)
    if page is None:
        return _refuse(request, "There is no page with this title.", 404)
    answer = request.POST.get("useful", "")
    if answer not in ANSWERS:
        return _refuse(request, 'Please answer "yes" or "no".', 400)
    reason = request.POST.get("reason", "")
    if reason and (answer != "no" or reason not in ProblemReason.values):
        return _refuse(request, BAD_REASON, 400)
    page = _vote_target(page)
    voter = _identify(request)
    if refusal := _count_answer(request, page, voter, ANSWERS[answer], reason):
        message, retry_after = refusal
        return _refuse(request, message, 429, retry_after=retry_after)
    if _wants_json(request):
        counts = vote_counts(page)
        ask_reason = answer == "no" and not reason
        message = THANKS_FOR_REASON if reason else THANKS_ASK_REASON if ask_reason else THANKS
        response = JsonResponse(
            {"message": message, "total": counts.total, "useful": answer, "ask_reason": ask_reason}
        )
    else:
        _thank(request, answer, reason)
        response = redirect(page_url(page.title, fragment="vote"))
    _remember(request, response, voter)
    return response


@require_safe
@moderator_required
def page_info(request, slug):
    """Moderators: a page's views, votes, open problem reports, revisions and
    the pages linking here."""
    page = page_for_slug(slug)
    if response := canonical_redirect(request, page, slug):
        return response
    context = {
        "page": page,
        "statistics": page_statistics(page),
        "revision_count": RevisionInfo.objects.filter(page_id=page.pk).count(),
        "links_here": Page.objects.linking_to_title(page.title),
        "open_report_count": page.problem_reports.open().count(),
    }
    return render(request, "wiki/page_info.html", context)
