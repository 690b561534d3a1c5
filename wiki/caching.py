"""HTTP caching of page views: validators (ETag, Last-Modified) and the
Cache-Control rules that keep a shared proxy from ever serving one reader's
page to another.

An anonymous page view is the same bytes for every anonymous reader (no CSRF
token, no cookie, no name), so a proxy may keep it for ``PUBLIC_MAX_AGE``
seconds and a browser revalidates it with its ETag. Anything tied to one
person (a logged-in user's page, a page showing a message, a response that
sets a cookie) is ``private, no-store``: ``cache_headers_middleware`` makes it
so after every other middleware had its say.

With caching proxies that the app purges (``settings.PURGE_URLS``, see
``wiki.purge``), a public response also tells them, and only them, to keep
it for up to ``PROXY_MAX_AGE`` (``Surrogate-Control``, which the proxy's VCL
reads and removes), and names the pages it shows (``KCR-Pages``) so that a
change can ban it. Other shared caches still see ``s-maxage`` of a minute.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import math
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django.utils.cache import add_never_cache_headers, patch_cache_control, patch_vary_headers

from wiki.purge import PAGES_HEADER, pages_header_value

# Long enough to absorb a burst of readers on one article, short enough that
# an edit reaches readers behind a proxy within a minute.
PUBLIC_MAX_AGE = 60
# How long the purged proxies may keep a public response: a day, but never
# past the site's next midnight, when a page's review may become overdue
# (wiki.reviews) without any change to purge it.
PROXY_MAX_AGE = 24 * 60 * 60
# How long a browser or proxy may keep a redirect to a page's canonical URL.
# A 301 without Cache-Control is kept for ever, so a move that only changes
# letter case (interleukin-2 -> Interleukin-2, then back) would send a browser
# round a loop (ERR_TOO_MANY_REDIRECTS) until its cache is cleared; this way
# the old answer is gone within minutes.
CANONICAL_REDIRECT_MAX_AGE = 5 * 60
# A week: the lifetime of cache entries whose key changes with what they hold
# (a body's hash, a revision, a link_version), so that they never go stale; it
# only bounds the memory that old entries take. Listed in wiki.display.
LONG_CACHE_SECONDS = 7 * 24 * 60 * 60
# A lost date only makes Last-Modified later (a 200 instead of a 304).
STATE_CACHE_SECONDS = LONG_CACHE_SECONDS


@functools.cache
def code_version() -> str:
    """A digest of the templates, the app's code and the static sources, so a
    deploy that changes how pages look changes every ETag. Computed once a
    process, from file contents (identical on every app server)."""
    base = Path(settings.BASE_DIR)
    digest = hashlib.sha256()
    for folder, pattern in (("templates", "*.html"), ("wiki", "*.py"), ("static", "*")):
        for path in sorted((base / folder).rglob(pattern)):
            if path.is_file():
                digest.update(str(path.relative_to(base)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def make_etag(*parts) -> str:
    """A strong ETag over everything a representation depends on."""
    text = "\x1f".join(str(part) for part in (code_version(), *parts))
    return '"' + hashlib.sha256(text.encode()).hexdigest()[:32] + '"'


def state_last_modified(scope: str, etag: str) -> datetime.datetime | None:
    """The Last-Modified date of the state ``etag`` (a digest of what is
    shown) of ``scope`` (a URL path), or None while it is too new to be dated.

    The date is when any app server first served this state at this URL,
    kept in the shared cache, rounded up to the next whole second; it is
    given only once that second has passed. So a change (a new ETag, first
    seen after every earlier answer was sent) always gets a later date than
    any date a client holds, and an If-Modified-Since request never gets a
    304 for a page that changed, even though HTTP dates count whole seconds.
    A lost cache entry only makes the date later (a 200 instead of a 304).
    """
    key = state_cache_key(scope)
    return dated_state(key, etag, cache.get(key))


def state_cache_key(scope: str) -> str:
    """The cache key under which ``state_last_modified`` dates ``scope``'s
    states (for a caller that reads it with other keys in one round trip)."""
    return "wiki:page-state:" + hashlib.sha256(scope.encode()).hexdigest()[:32]


def dated_state(key: str, etag: str, stored) -> datetime.datetime | None:
    """``state_last_modified`` from ``stored``, the value read under ``key``
    (``state_cache_key``); records a new state's first sight."""
    return date_if_past(state_date(key, etag, stored))


def state_date(key: str, etag: str, stored) -> datetime.datetime:
    """The date ``dated_state`` gives once it has passed (the first sight of
    the state, rounded up to the next whole second); records a new state's
    first sight."""
    if stored is None or stored[0] != etag:
        first_seen = timezone.now()
        cache.set(key, (etag, first_seen), STATE_CACHE_SECONDS)
    else:
        first_seen = stored[1]
    return datetime.datetime.fromtimestamp(math.ceil(first_seen.timestamp()), tz=datetime.UTC)


def date_if_past(date: datetime.datetime) -> datetime.datetime | None:
    """``date``, or None while it is still to come."""
    return date if date <= timezone.now() else None


def mark_public(response, page_ids=()) -> None:
    """Let shared proxies keep ``response`` briefly, and browsers keep it but
    ask again each time (a cheap 304): a reader who has just voted or logged
    in must not be shown their own stale copy. With purged proxies, let them
    keep it for ``proxy_max_age()`` and tag it with ``page_ids``, the pages
    it shows. The middleware takes all this back when the response turns
    out to be personal."""
    patch_cache_control(response, public=True, max_age=0, s_maxage=PUBLIC_MAX_AGE)
    patch_vary_headers(response, ("Cookie",))
    if settings.PURGE_URLS:
        response["Surrogate-Control"] = f"max-age={proxy_max_age()}"
        response[PAGES_HEADER] = pages_header_value(page_ids)


def proxy_max_age() -> int:
    """Seconds the purged proxies may keep a public response now:
    ``PROXY_MAX_AGE``, or less so that it expires at the next midnight."""
    now = timezone.localtime()
    midnight = datetime.datetime.combine(
        now.date() + datetime.timedelta(days=1), datetime.time(), tzinfo=now.tzinfo
    )
    return max(1, min(PROXY_MAX_AGE, math.ceil(midnight.timestamp() - now.timestamp())))


def mark_canonical_redirect(response) -> None:
    """Let browsers and proxies keep a redirect to a canonical URL for
    ``CANONICAL_REDIRECT_MAX_AGE`` seconds, not for ever (the middleware
    makes a logged-in user's ``private, no-store``)."""
    patch_cache_control(response, public=True, max_age=CANONICAL_REDIRECT_MAX_AGE)


def _is_personal(request, response) -> bool:
    user = getattr(request, "user", None)
    return bool(response.cookies) or bool(user is not None and user.is_authenticated)


def cache_headers_middleware(get_response):
    """Never let a shared cache keep a personal response.

    Placed before the session, CSRF and message middleware, so it sees the
    cookies they set on the way out. A response that sets a cookie, or any
    response to a logged-in user, is ``private, no-store`` with
    ``Vary: Cookie`` whatever the view said (pages that show moderator tools,
    messages or a CSRF token)."""

    def middleware(request):
        response = get_response(request)
        if not _is_personal(request, response):
            return response
        if "public" in response.get("Cache-Control", ""):
            for header in (
                "Cache-Control",
                "ETag",
                "Last-Modified",
                "Surrogate-Control",
                PAGES_HEADER,
            ):
                if response.has_header(header):
                    del response[header]
        if not response.has_header("Cache-Control"):
            add_never_cache_headers(response)
            patch_cache_control(response, private=True)
        patch_vary_headers(response, ("Cookie",))
        return response

    return middleware
