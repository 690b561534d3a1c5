"""Each app process's memo of the anonymous page views it has rendered, so a
repeated view needs one cache round trip and no database query.

A memo entry is the bytes of a page view (``/wiki/<Title>/``, its
``?redirect=no`` and the main page at ``/``), with its ETag and date, kept
under its URL with a *stamp* for each page it shows and one for the whole
site, as read from the shared cache before the page was loaded. Every change
a reader would see gives the pages it alters new stamps, at once and
again once it commits (a view in between may have read the pages as they
were under the first stamps), from the same calls that ban the caching
proxies' copies (``wiki.purge``:
``purge_pages`` for a save, revert, move, recover, delete, review or vote and
the pages whose links change colour; ``purge_everything`` for a disclaimer or
glossary change). A view asks the cache for its entry's stamps (one round
trip) and serves the entry only when they are all unchanged; otherwise it
loads and renders the page as usual.

The stamps are read *before* the page is loaded, so a change that commits
in between leaves the entry with stamps older than the change's: it is
never served. That needs the page ids before the page is loaded, so a URL's
first view only notes which pages it shows, and its second is the first kept.
A stamp missing from the cache (never set, evicted, a flushed Redis) is never
taken as unchanged.

Only a cache that every app process shares (Redis) can carry the stamps, so
the memo is on only with one (``settings.PAGE_MEMO``, on when ``REDIS_URL``
is set). An entry is kept at most ``MEMO_SECONDS`` and never past midnight
(the review line can change then): a change made outside the app's services
(a database restored from a backup, an edit in the Django admin) shows
within that time. The memo holds at most ``MAX_MEMO_BYTES`` of pages a
process, the least recently used going first.

While Redis is down, no stamp can be read, so no entry is served (a stamp
that cannot be read is missing). A change made meanwhile cannot give its
pages new stamps either, and Redis may come back with the old ones (a
frozen Redis resumes with all it held): the process that made the change
drops its own memo and gives the whole site a new stamp before it uses its
memo again, and every other process's entries lapse within
``MEMO_SECONDS`` regardless.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache, caches

from wiki.caching import LONG_CACHE_SECONDS, PUBLIC_MAX_AGE, proxy_max_age
from wiki.redis_breaker import UNAVAILABLE

# The longest an entry is served without a fresh render.
MEMO_SECONDS = PUBLIC_MAX_AGE
# Bytes of pages one process keeps (the 200 most read pages of a site of
# medical articles are about 40 KB each).
MAX_MEMO_BYTES = 16 * 1024 * 1024
# URLs one process remembers (with or without their bytes).
MAX_MEMO_ENTRIES = 5000
SITE_STAMP_KEY = "wiki:memo:site"
_PAGE_STAMP_KEY = "wiki:memo:page:{}"


@dataclass
class Entry:
    """A URL's memo: the pages it shows (its redirect's and its own; the one
    counted as read is ``counted_id``) and, once kept, the view's bytes and
    validators with the stamps read before it was rendered."""

    page_ids: tuple[int, ...]
    counted_id: int
    stamps: tuple | None = None
    content: bytes = b""
    etag: str = ""
    dated: object = None
    expires: float = 0.0

    @property
    def stamp_keys(self) -> list[str]:
        return [SITE_STAMP_KEY, *(_PAGE_STAMP_KEY.format(page_id) for page_id in self.page_ids)]


@dataclass
class Lookup:
    """A view's look in the memo: ``key`` (its URL), the entry there (or
    None), the stamps its pages have now, and whether the entry is current."""

    key: str
    entry: Entry | None = None
    stamps: tuple | None = None

    @property
    def is_current(self) -> bool:
        entry = self.entry
        return (
            entry is not None
            and entry.stamps is not None
            and entry.stamps == self.stamps
            and time.monotonic() < entry.expires
        )


_entries: OrderedDict[str, Entry] = OrderedDict()
_lock = threading.Lock()
_bytes_kept = 0
# Set when a change could not give its pages new stamps: until the whole
# site has a new one, this process must not serve its memo.
_must_forget_everything = False


def memo_key(request) -> str | None:
    """The memo key of ``request``'s view (its URL), or None when the view
    must not come from the memo: the memo is off, the request is not a GET
    or HEAD, the URL has a query string other than ``redirect=no``, or the
    view is personal (a logged-in user, a message to show)."""
    key = _url_key(request)
    if key is None or request.user.is_authenticated or len(messages.get_messages(request)):
        return None
    return key


def _url_key(request) -> str | None:
    """``request``'s URL as the memo keeps it, or None for a request the memo
    never serves (the memo off, not GET or HEAD, another query string)."""
    if not settings.PAGE_MEMO or request.method not in {"GET", "HEAD"}:
        return None
    query = request.META.get("QUERY_STRING", "")
    if query not in {"", "redirect=no"}:
        return None
    return request.path + ("?" + query if query else "")


def look_up(key: str | None) -> Lookup | None:
    """The memo's entry for ``key`` and its pages' stamps now (one cache
    round trip when there is an entry; none when there is not)."""
    if key is None:
        return None
    if _must_forget_everything:
        forget_everything()
        if _must_forget_everything:
            return Lookup(key)
    with _lock:
        entry = _entries.get(key)
        if entry is not None:
            _entries.move_to_end(key)
    if entry is None:
        return Lookup(key)
    found = cache.get_many(entry.stamp_keys)
    return Lookup(key, entry, tuple(found.get(name) for name in entry.stamp_keys))


def keep(
    lookup: Lookup | None,
    page_ids: Iterable[int],
    counted_id: int,
    response,
    etag: str,
    dated,
) -> None:
    """Note what ``lookup``'s URL showed: its page ids and, when the stamps
    read before it was loaded are all there and are those of the same pages,
    ``response`` (a full 200) with its ``etag`` and ``dated``, its
    Last-Modified date once that has passed (``caching.state_date``)."""
    if lookup is None:
        return
    page_ids = tuple(page_ids)
    entry = Entry(page_ids=page_ids, counted_id=counted_id)
    previous = lookup.entry
    if (
        previous is not None
        and previous.page_ids == page_ids
        and lookup.stamps is not None
        and None not in lookup.stamps
        and response.status_code == 200
        and not response.streaming
    ):
        entry.stamps = lookup.stamps
        entry.content = response.content
        entry.etag = etag
        entry.dated = dated
        entry.expires = time.monotonic() + min(MEMO_SECONDS, proxy_max_age())
    else:
        # The next view reads these stamps before it loads the page: each
        # must be in the cache by then.
        known = (
            dict(zip(previous.stamp_keys, lookup.stamps or (), strict=False)) if previous else {}
        )
        for name in entry.stamp_keys:
            if known.get(name) is None:
                cache.add(name, _new_stamp(), LONG_CACHE_SECONDS)
    _store(lookup.key, entry)


def _store(key: str, entry: Entry) -> None:
    global _bytes_kept
    with _lock:
        old = _entries.pop(key, None)
        if old is not None:
            _bytes_kept -= len(old.content)
        _entries[key] = entry
        _bytes_kept += len(entry.content)
        while _entries and (_bytes_kept > MAX_MEMO_BYTES or len(_entries) > MAX_MEMO_ENTRIES):
            _name, dropped = _entries.popitem(last=False)
            _bytes_kept -= len(dropped.content)


def _new_stamp() -> str:
    return secrets.token_hex(8)


def forget_pages(page_ids: Iterable[int]) -> None:
    """Give ``page_ids`` new stamps, so that no process serves its memo of a
    view showing them."""
    stamp = _new_stamp()
    names = {_PAGE_STAMP_KEY.format(int(page_id)): stamp for page_id in page_ids}
    if names:
        _set_stamps(names)


def forget_everything() -> None:
    """Give the whole site a new stamp: no process serves its memo of any
    view."""
    global _must_forget_everything
    if _set_stamps({SITE_STAMP_KEY: _new_stamp()}):
        _must_forget_everything = False


def _set_stamps(stamps: dict[str, str]) -> bool:
    """Store ``stamps``; when Redis cannot take them, drop this process's
    memo and see that the site gets a new stamp before the memo is used
    again. Never raises for Redis. Returns whether they were stored."""
    global _must_forget_everything
    try:
        caches["checked"].set_many(stamps, LONG_CACHE_SECONDS)
    except UNAVAILABLE:
        _must_forget_everything = True
        clear()
        return False
    return True


def clear() -> None:
    """Drop this process's memo."""
    global _bytes_kept
    with _lock:
        _entries.clear()
        _bytes_kept = 0


def kept_bytes() -> int:
    """Bytes of pages this process's memo holds."""
    return _bytes_kept


def kept_copy(request) -> bytes | None:
    """The bytes this process last kept of ``request``'s page view, however
    old its stamps, or None: for an anonymous reader (no session cookie, so
    nothing needs the database to tell) while the database cannot serve the
    page afresh (``wiki.faults``). Never older than ``MEMO_SECONDS``."""
    key = _url_key(request)
    if key is None or settings.SESSION_COOKIE_NAME in request.COOKIES:
        return None
    with _lock:
        entry = _entries.get(key)
    if entry is None or not entry.content or time.monotonic() >= entry.expires:
        return None
    return entry.content
