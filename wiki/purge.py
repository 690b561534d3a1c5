"""Telling the caching proxies (``settings.PURGE_URLS``, Varnish with
``deploy/varnish/default.vcl``) that what readers see has changed.

The proxies keep an anonymous reader's page for a day (``wiki.caching``), so
every change a reader would see must reach them. The app tags each cached
response with the ids of the pages it shows (the ``KCR-Pages`` header:
``,12,`` for a page, ``,12,34,`` for a redirect and its target; the history
and diff pages carry their page's id); a change asks each proxy to ban the
responses tagged with the ids of the pages it altered:

- the page itself after any new revision (save, revert, move, recover:
  ``services._commit_revision``), a delete, a clinical review and a vote
  (the vote count is on the page); a redirect's cached copies go with their
  target's, since they carry its id;
- the pages whose links change colour, which are exactly the pages
  ``services.bump_link_versions`` gives a new ``link_version`` (the list the
  render cache already relies on);
- everything, for a new disclaimer version or a glossary change (every page
  shows the one, and any page may mark terms of the other).

Indexes (year lists, recent changes, categories, the sitemap, search) send
no ``public`` Cache-Control, so the proxies never keep them.

A ban is one ``BAN /`` request to each proxy with the site's own Host (from
``settings.SITE_URL``, never a request's) and a ``KCR-Ban`` header (``pages
12 34`` or ``all``). It is sent once the transaction commits, from one
background thread a process; the request that made the change waits for the
first attempt at most ``FIRST_ATTEMPT_WAIT_SECONDS``, so that a live proxy
is current when the editor's next page loads and a dead one costs a bounded
moment. Each proxy is asked in a thread of its own, so a dead one delays no
other. Failed bans are retried after ``RETRY_DELAYS_SECONDS`` (while later
changes' bans go out at once) and then logged; a failed ban never fails the
change.
"""

from __future__ import annotations

import http.client
import logging
import queue
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction

logger = logging.getLogger(__name__)

# One attempt at one proxy: a proxy on the same network answers a ban in a
# millisecond; one that takes a second is as good as down.
REQUEST_TIMEOUT_SECONDS = 1.0
# The pauses before the second, third and fourth attempts (7 s in all).
RETRY_DELAYS_SECONDS = (0.5, 1.5, 5.0)
# How long the request that made a change waits for the first attempt.
FIRST_ATTEMPT_WAIT_SECONDS = 1.0
# Page ids in one ban (the ban's regular expression grows with them).
PAGES_PER_BAN = 200
# The response header that lists the ids of the pages a response shows.
PAGES_HEADER = "KCR-Pages"


def pages_header_value(page_ids: Iterable[int]) -> str:
    """The ``KCR-Pages`` value for a response showing ``page_ids``."""
    return "," + "".join(f"{page_id}," for page_id in page_ids if page_id is not None)


def is_listened_to() -> bool:
    """Whether anything hears of changed pages: caching proxies or the app
    processes' page memos. (Without, a caller may skip finding their ids.)"""
    return bool(settings.PURGE_URLS or settings.PAGE_MEMO)


def purge_pages(page_ids: Iterable[int], *, wait: bool = True) -> None:
    """Once the current transaction commits (at once outside one), ban every
    proxy's copies of the responses that show any of ``page_ids``. Does
    nothing when no proxy is configured. Never raises for a proxy's failure.
    ``wait``: whether the caller waits (``FIRST_ATTEMPT_WAIT_SECONDS`` at
    most) for the first attempt; an import of thousands of pages does not.
    Also tells every app process's page memo (``wiki.page_memo``), at once
    and again once the change commits (a view between the two may have
    read the page as it was before under the first stamps)."""
    ids = sorted({int(page_id) for page_id in page_ids if page_id is not None})
    if not ids:
        return
    if settings.PAGE_MEMO:
        from wiki import page_memo  # it imports wiki.caching, which imports this

        page_memo.forget_pages(ids)
        transaction.on_commit(lambda: page_memo.forget_pages(ids))
    if settings.PURGE_URLS:
        transaction.on_commit(lambda: _submit(_Ban(page_ids=tuple(ids)), wait=wait))


def purge_everything(*, again_after: float | None = None) -> None:
    """Once the current transaction commits, ban every cached response of
    this site on every proxy; with ``again_after`` (seconds), once more
    after that long, for what app servers keep in their own memory for a
    while (the disclaimer: ``wiki.disclaimers.DISCLAIMER_CACHE_SECONDS``).
    Also tells every app process's page memo (``wiki.page_memo``), at once
    and again once the change commits, as ``purge_pages`` does."""
    if settings.PAGE_MEMO:
        from wiki import page_memo  # it imports wiki.caching, which imports this

        page_memo.forget_everything()
        transaction.on_commit(page_memo.forget_everything)
    if not settings.PURGE_URLS:
        return

    def submit():
        _submit(_Ban(page_ids=None))
        if again_after is not None:
            timer = threading.Timer(again_after, _submit, (_Ban(page_ids=None),), {"wait": False})
            timer.daemon = True
            timer.start()

    transaction.on_commit(submit)


@dataclass
class _Ban:
    """Pages to ban (None: everything), and the event set once the first
    attempt at every proxy is over."""

    page_ids: tuple[int, ...] | None
    first_attempt_done: threading.Event = field(default_factory=threading.Event)


_queue: queue.Queue[_Ban] = queue.Queue()
_worker_lock = threading.Lock()
_worker: threading.Thread | None = None


def _submit(ban: _Ban, *, wait: bool = True) -> None:
    global _worker
    with _worker_lock:
        if _worker is None or not _worker.is_alive():
            _worker = threading.Thread(target=_work, name="wiki-purge", daemon=True)
            _worker.start()
    _queue.put(ban)
    if wait:
        ban.first_attempt_done.wait(FIRST_ATTEMPT_WAIT_SECONDS)


def _work() -> None:
    # Retries wait here, (due, attempts made, proxy, value), so that a dead
    # proxy never holds up the bans of later changes.
    retries: list[tuple[float, int, str, str]] = []
    while True:
        timeout = None
        if retries:
            timeout = max(0.0, min(retry[0] for retry in retries) - time.monotonic())
        bans = []
        try:
            bans.append(_queue.get(timeout=timeout))
            while True:  # whatever else is waiting goes in the same requests
                bans.append(_queue.get_nowait())
        except queue.Empty:
            pass
        try:
            retries = _attempt(bans, retries)
        except Exception:  # the thread must live on for the next change
            logger.exception("Purging the caching proxies failed")
        finally:
            for ban in bans:
                ban.first_attempt_done.set()


def _attempt(bans: list[_Ban], retries: list[tuple[float, int, str, str]]):
    """Send ``bans`` to every proxy, and the retries that are due; return
    the retries still to make."""
    now = time.monotonic()
    due = [retry for retry in retries if retry[0] <= now]
    waiting = [retry for retry in retries if retry[0] > now]
    sends = [(0, proxy, value) for proxy in settings.PURGE_URLS for value in _ban_headers(bans)]
    sends += [(attempts, proxy, value) for _due, attempts, proxy, value in due]
    for (attempts, proxy, value), sent in zip(sends, _send_all(sends), strict=True):
        if sent:
            continue
        if attempts < len(RETRY_DELAYS_SECONDS):
            delay = RETRY_DELAYS_SECONDS[attempts]
            waiting.append((time.monotonic() + delay, attempts + 1, proxy, value))
        else:
            logger.error("Could not purge %r from the caching proxy %s; gave up", value, proxy)
    return waiting


def _send_all(sends) -> list[bool]:
    """``_send`` each ``(attempts, proxy, value)`` at once, one thread each,
    so that a proxy that never answers delays no other."""
    results = [False] * len(sends)

    def send(index, proxy, value):
        results[index] = _send(proxy, value)

    threads = [
        threading.Thread(target=send, args=(index, proxy, value), daemon=True)
        for index, (_attempts, proxy, value) in enumerate(sends)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def _ban_headers(bans: list[_Ban]) -> list[str]:
    """The ``KCR-Ban`` values that cover ``bans``: ``all``, or the page ids
    in groups of at most ``PAGES_PER_BAN``."""
    if not bans:
        return []
    if any(ban.page_ids is None for ban in bans):
        return ["all"]
    ids = sorted({page_id for ban in bans for page_id in ban.page_ids})
    return [
        "pages " + " ".join(str(page_id) for page_id in ids[start : start + PAGES_PER_BAN])
        for start in range(0, len(ids), PAGES_PER_BAN)
    ]


def _send(proxy: str, value: str) -> bool:
    """One ``BAN`` of ``value`` at ``proxy``; True when the proxy said 200."""
    parts = urlsplit(proxy)
    connection_class = (
        http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    )
    connection = connection_class(parts.hostname, parts.port, timeout=REQUEST_TIMEOUT_SECONDS)
    try:
        connection.request(
            "BAN",
            parts.path or "/",
            headers={"Host": urlsplit(settings.SITE_URL).netloc, "KCR-Ban": value},
        )
        response = connection.getresponse()
        response.read()
        if response.status == 200:
            return True
        logger.warning("The caching proxy %s answered %s to a purge", proxy, response.status)
    except OSError as error:
        logger.warning("Could not reach the caching proxy %s to purge: %s", proxy, error)
    finally:
        connection.close()
    return False
