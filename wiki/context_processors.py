from django.conf import settings
from django.core.cache import cache

from wiki.models import DEFAULT_DISCLAIMER, DEFAULT_DISCLAIMER_SHORT, SiteSettings

DISCLAIMER_CACHE_KEY = "wiki:disclaimer:v1"
# Other app servers with their own local-memory cache see a changed disclaimer
# within this many seconds; with Redis the change is seen at once.
DISCLAIMER_CACHE_SECONDS = 60


def current_disclaimer() -> tuple[str, str]:
    """Return ``(disclaimer, short form)``, never empty."""
    cached = cache.get(DISCLAIMER_CACHE_KEY)
    if cached is None:
        settings_row = SiteSettings.objects.order_by("pk").first()
        long_text = (settings_row.disclaimer if settings_row else "").strip()
        short_text = (settings_row.disclaimer_short if settings_row else "").strip()
        cached = (long_text or DEFAULT_DISCLAIMER, short_text or DEFAULT_DISCLAIMER_SHORT)
        cache.set(DISCLAIMER_CACHE_KEY, cached, DISCLAIMER_CACHE_SECONDS)
    return cached


def request_disclaimer(request) -> tuple[str, str]:
    """``current_disclaimer()``, asked of the cache once a request (the page
    view's ETag and the footer both need it)."""
    if not hasattr(request, "_wiki_disclaimer"):
        request._wiki_disclaimer = current_disclaimer()
    return request._wiki_disclaimer


def forget_disclaimer() -> None:
    cache.delete(DISCLAIMER_CACHE_KEY)


def site(request):
    """The disclaimer, the reader's role and the site's address (for
    absolute URLs: never the request's Host), for every template."""
    user = getattr(request, "user", None)

    def disclaimer_paragraphs():
        text = request_disclaimer(request)[0]
        return [line.strip() for line in text.splitlines() if line.strip()]

    def is_moderator():
        return bool(user and user.is_authenticated and user.has_perm("wiki.change_page"))

    return {
        "disclaimer_paragraphs": disclaimer_paragraphs,
        "is_moderator": is_moderator,
        "site_url": settings.SITE_URL,
    }
