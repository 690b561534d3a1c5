from urllib.parse import urlsplit

from django.conf import settings

from wiki.site import site_origin


def is_cross_site(request) -> bool:
    """True when a browser says this request comes from another site.

    Used instead of a CSRF token where a form sits on a page that every
    anonymous reader shares (a token would tie the page to one reader and
    keep proxies from caching it). Browsers send ``Origin`` with every POST
    (the string "null" from an opaque origin), and ``Referer`` on same-origin
    requests under our same-origin referrer policy: either must name this
    site (DJANGO_SITE_URL's origin, never the Host header, or a CSRF trusted
    origin). A request with neither is refused too:
    an old browser sent by another site's no-referrer form would send
    neither, while our own pages always let the browser send one."""
    allowed = {site_origin(), *settings.CSRF_TRUSTED_ORIGINS}
    origin = request.headers.get("Origin")
    if origin is not None:
        return origin not in allowed
    if request.headers.get("Sec-Fetch-Site") in {"cross-site", "same-site"}:
        return True
    referer = request.headers.get("Referer")
    if referer:
        parts = urlsplit(referer)
        return f"{parts.scheme}://{parts.netloc}" not in allowed
    return True
