"""The site's public address, ``settings.SITE_URL`` (DJANGO_SITE_URL): the
one source of every absolute URL and of every cache key or validator that
names an address. Never the request's Host header, which a visitor chooses
("LOCALHOST", "localhost.", "127.0.0.1:1" are all accepted by Django and would
each make different URLs and new cache entries)."""

from urllib.parse import urlsplit

from django.conf import settings


def absolute_url(path: str) -> str:
    """``path`` (starting with "/", e.g. from ``reverse()`` or
    ``Page.get_absolute_url()``) on the site's address, e.g.
    ``https://kcr.example.org/wiki/Interleukin-2/``. ValueError for a path
    that is not absolute (it would join onto the host name)."""
    if not path.startswith("/"):
        raise ValueError(f"not a path from the site root: {path!r}")
    return settings.SITE_URL + path


def site_origin() -> str:
    """``scheme://host[:port]``: what a browser sends as ``Origin`` from the
    site's own pages."""
    return settings.SITE_URL


def site_scheme() -> str:
    """``http`` or ``https``."""
    return urlsplit(settings.SITE_URL).scheme


def site_domain() -> str:
    """``host[:port]``, as Django's feeds and sitemaps call a domain."""
    return urlsplit(settings.SITE_URL).netloc
