"""Stage 1 of rendering (``wiki.rendering.render_markdown``) through the shared
cache, keyed by a hash of the body: the ``wiki:render`` family of the table in
``wiki.display``.

A module of its own, below ``wiki.models``: ``wiki.plaintext`` (which the
models use for a page's description) reads the same cached render as
``wiki.display`` (which queries the models), and neither could import the
other without an import circle. Touches the cache, never the database.

A body that is not in the cache is converted in a job (``wiki.jobs``: a
process of its own, killed at ``settings.WIKI_RENDER_TIME_LIMIT`` seconds),
except a body below ``INLINE_RENDER_BYTES``, which the limits of
``wiki.rendering.check_markup`` keep quick enough to convert in place (see
``wiki.jobs``). A conversion past its deadline, or with no free job slot, is
a ``MarkupTooComplex`` (with codes ``too_slow`` and ``busy``), so that
every caller that handles the renderer's limits handles these too.

``prepared_renders`` hands renders made beforehand to ``cached_render``:
``wiki.services`` renders a body before it opens its transaction, and the
steps inside it (link table, search index) then find the render there even
when the cache keeps nothing (no cache, or one that evicted it).
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
from collections.abc import Iterator

from django.conf import settings
from django.core.cache import cache

from wiki import jobs
from wiki.caching import LONG_CACHE_SECONDS
from wiki.rendering import RENDER_VERSION, MarkupTooComplex, Rendered, check_markup, render_markdown

RENDER_CACHE_SECONDS = LONG_CACHE_SECONDS
# Bodies smaller than this are converted in the web worker (see wiki.jobs).
INLINE_RENDER_BYTES = 16 * 1024
# How long a body whose conversion passed its deadline is refused without
# trying again (a busy machine may have made it slow: not forever).
RENDER_TOO_SLOW_SECONDS = 60 * 60

_prepared = threading.local()


def body_digest(body: str) -> str:
    """The hash of a body that cache keys made from its text hold."""
    return hashlib.sha256((body or "").encode("utf-8")).hexdigest()


def render_cache_key(body: str) -> str:
    """The cache key of ``body``'s stage-1 render."""
    return _render_keys(body)[0]


def _render_keys(body: str) -> tuple[str, str]:
    """The keys of ``body``'s render and of its "too slow" mark, from one
    hash of the body."""
    digest = body_digest(body)
    return (
        f"wiki:render:{RENDER_VERSION}:{digest}",
        f"wiki:render-too-slow:{RENDER_VERSION}:{digest}",
    )


def cached_render(body: str, *, for_reader: bool = False) -> Rendered:
    """``render_markdown(body)`` through the cache, keyed by a hash of the
    body (shared across app servers when the cache is Redis), converted in a
    job when not cached (see the module docstring). Raises
    ``MarkupTooComplex`` as ``render_markdown`` does, and also when the
    conversion passes its deadline (code ``too_slow``, remembered for
    ``RENDER_TOO_SLOW_SECONDS`` so that readers of such a body do not wait
    for it again) or finds no free job slot (code ``busy``); caches no render
    then. ``for_reader``: a reader's page view takes no job slot, so that it
    never waits behind PDFs and previews (each web worker runs at most one
    job at a time, which bounds how many run at once)."""
    prepared = getattr(_prepared, "renders", None)
    if prepared and body in prepared:
        if isinstance(prepared[body], MarkupTooComplex):
            raise prepared[body]
        return prepared[body]
    cache_key, too_slow_key = _render_keys(body)
    found = cache.get_many([cache_key, too_slow_key])
    if cache_key in found:
        html, targets, link_titles, categories = found[cache_key]
        return Rendered(html=html, targets=targets, link_titles=link_titles, categories=categories)
    if too_slow_key in found:
        raise _too_slow(found[too_slow_key])
    try:
        rendered = render_in_job(body, for_reader=for_reader)
    except MarkupTooComplex as error:
        if error.code == "too_slow":
            cache.set(too_slow_key, settings.WIKI_RENDER_TIME_LIMIT, RENDER_TOO_SLOW_SECONDS)
        raise
    cache.set(
        cache_key,
        (rendered.html, rendered.targets, rendered.link_titles, rendered.categories),
        RENDER_CACHE_SECONDS,
    )
    return rendered


def render_in_job(body: str, *, for_reader: bool = False) -> Rendered:
    """``render_markdown(body)``, in a job unless ``body`` is small (no
    cache). Raises ``MarkupTooComplex`` as ``cached_render``."""
    if len((body or "").encode("utf-8")) < INLINE_RENDER_BYTES:
        return render_markdown(body)  # which checks the limits itself
    check_markup(body)  # before the job too: a refused body never costs one
    limit = settings.WIKI_RENDER_TIME_LIMIT
    try:
        html, targets, link_titles, categories = jobs.run_job(
            _render_fields, body, deadline=limit, slot_wait=None if for_reader else limit
        )
    except jobs.JobTimedOut:
        raise _too_slow(limit) from None
    except jobs.JobsBusy:
        raise MarkupTooComplex(
            "The server is too busy to show this text just now. Please try again in a "
            "minute; nothing you typed is lost.",
            code="busy",
        ) from None
    return Rendered(html=html, targets=targets, link_titles=link_titles, categories=categories)


def _too_slow(limit) -> MarkupTooComplex:
    return MarkupTooComplex(
        "This page's text took longer than %(limit)s seconds to turn into a page, and "
        "was stopped. Split it into several pages, or simplify its tables and links.",
        params={"limit": limit},
        code="too_slow",
    )


def _render_fields(body: str) -> tuple[str, dict, dict, tuple]:
    # Runs in the job: plain data back to the parent.
    rendered = render_markdown(body)
    return rendered.html, rendered.targets, rendered.link_titles, rendered.categories


@contextlib.contextmanager
def prepared_renders(renders: dict[str, Rendered | MarkupTooComplex]) -> Iterator[None]:
    """Within the ``with``, ``cached_render`` of a body in ``renders``
    (``{body: Rendered or the MarkupTooComplex it raised}``, made beforehand)
    returns that render, or raises that error, at once, in this thread."""
    previous = getattr(_prepared, "renders", None)
    _prepared.renders = {**(previous or {}), **renders}
    try:
        yield
    finally:
        _prepared.renders = previous
