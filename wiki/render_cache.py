"""Stage 1 of rendering (``wiki.rendering.render_markdown``) through the shared
cache, keyed by a hash of the body: the ``wiki:render`` family of the table in
``wiki.display``.

A module of its own, below ``wiki.models``: ``wiki.plaintext`` (which the
models use for a page's description) reads the same cached render as
``wiki.display`` (which queries the models), and neither could import the
other without an import circle. Touches the cache, never the database.
"""

from __future__ import annotations

import hashlib

from django.core.cache import cache

from wiki.caching import LONG_CACHE_SECONDS
from wiki.rendering import RENDER_VERSION, Rendered, render_markdown

RENDER_CACHE_SECONDS = LONG_CACHE_SECONDS


def body_digest(body: str) -> str:
    """The hash of a body that cache keys made from its text hold."""
    return hashlib.sha256((body or "").encode("utf-8")).hexdigest()


def cached_render(body: str) -> Rendered:
    """``render_markdown(body)`` through the cache, keyed by a hash of the
    body (shared across app servers when the cache is Redis). Raises
    ``MarkupTooComplex`` as ``render_markdown`` does, and caches nothing then."""
    cache_key = f"wiki:render:{RENDER_VERSION}:{body_digest(body)}"
    cached = cache.get(cache_key)
    if cached is not None:
        html, targets, link_titles = cached
        return Rendered(html=html, targets=targets, link_titles=link_titles)
    rendered = render_markdown(body)
    cache.set(
        cache_key, (rendered.html, rendered.targets, rendered.link_titles), RENDER_CACHE_SECONDS
    )
    return rendered
