from django.conf import settings

from wiki.disclaimers import request_disclaimer


def site(request):
    """The disclaimer, the reader's role and the site's address (for
    absolute URLs: never the request's Host), for every template."""
    user = getattr(request, "user", None)

    def disclaimer():
        return request_disclaimer(request)

    def disclaimer_paragraphs():
        return request_disclaimer(request).paragraphs

    def is_moderator():
        return bool(user and user.is_authenticated and user.has_perm("wiki.change_page"))

    return {
        "disclaimer": disclaimer,
        "disclaimer_paragraphs": disclaimer_paragraphs,
        "is_moderator": is_moderator,
        "site_url": settings.SITE_URL,
    }
