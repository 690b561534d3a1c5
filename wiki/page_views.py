"""Page views: counted per page, per day (UTC) and, with a country database,
per country, without a database write on each view.

With Redis (``REDIS_URL``) views are counted on a shared hash, so any
number of app servers count into one place. A reader never waits on Redis
for it: each process gathers its views in a small buffer and adds them to
the hash with one pipelined HINCRBY batch every ``PUSH_EVERY_VIEWS`` views,
and a thread of the process's own pushes what is left every
``PUSH_EVERY_SECONDS`` (so a quiet site's last views reach Redis within
seconds), as do a flush run in the process and a normal exit. A push that
fails (Redis down, refusing or not answering: ``wiki.redis_breaker`` keeps
that to a moment) keeps its counts in the buffer for the next one, so the
views counted while Redis is down reach it once it is back; a process that
exits while Redis is down writes its buffer to the database itself. ``manage.py flushviews`` (run it
from cron every few minutes) renames the hash to a batch key, which no app
server writes to any more, and adds the batch to ``PageViewDay`` in one
transaction that also records the batch's name. A flush that dies half way is
finished by the next one, and a batch already written is never written again,
so running the command twice, or two at once, never counts a view twice.

Without Redis the cache is each process's own memory, which no command can
reach, so each process keeps its counts in a small buffer and writes them
itself, in one batched upsert, every ``FLUSH_EVERY_VIEWS`` views, when a view
comes ``FLUSH_EVERY_SECONDS`` after the oldest unwritten one, and when the
process exits normally (gunicorn restarts workers that way). Only a killed
process loses its unwritten views.
"""

from __future__ import annotations

import atexit
import contextlib
import datetime
import logging
import os
import threading
import time
import uuid
from collections import Counter

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from wiki.feedback import client_address, countries_enabled, country_for_address
from wiki.models import Page, PageViewBatch, PageViewDay

logger = logging.getLogger(__name__)

# The view beacon's answer (``wiki.views.reading.page_seen``): a transparent
# 1x1 GIF, the smallest image every browser shows.
VIEW_BEACON_GIF = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\x00\x00\x00"
    b"!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00"
    b"\x02\x02D\x01\x00;"
)

FLUSH_EVERY_VIEWS = 200
FLUSH_EVERY_SECONDS = 60
# With Redis: how often a process adds its buffered views to the shared hash.
PUSH_EVERY_VIEWS = 50
PUSH_EVERY_SECONDS = 5
# How long the names of written batches are kept. A batch left in Redis by a
# flush that died after writing is finished by the next flush, minutes later.
KEEP_BATCH_NAMES_DAYS = 7
UPSERT_CHUNK = 500

PENDING_KEY = "wiki:views:pending"
BATCH_KEY_PREFIX = "wiki:views:batch:"

# (page id, day, country code or "") -> views
ViewCounts = dict[tuple[int, datetime.date, str], int]


def _redis():
    """The cache's own Redis client (its timeouts, its circuit breaker), or
    None without Redis."""
    if not settings.REDIS_URL:
        return None
    from django_redis import get_redis_connection

    return get_redis_connection("default")


class _LocalBuffer:
    """This process's unwritten view counts (used without Redis)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._counts: Counter = Counter()
        self._oldest = 0.0

    def add(
        self, field: tuple[int, datetime.date, str], every_views: int, every_seconds: float
    ) -> ViewCounts | None:
        """Count one view; return all unwritten counts (taking them out of
        the buffer) when it is time to write them (``every_views`` views, or
        ``every_seconds`` since the oldest), else None."""
        with self._lock:
            if not self._counts:
                self._oldest = time.monotonic()
            self._counts[field] += 1
            is_due = (
                sum(self._counts.values()) >= every_views
                or time.monotonic() - self._oldest >= every_seconds
            )
            return self._take() if is_due else None

    def take(self) -> ViewCounts:
        with self._lock:
            return self._take()

    def _take(self) -> ViewCounts:
        counts, self._counts = dict(self._counts), Counter()
        return counts

    def give_back(self, counts: ViewCounts) -> None:
        with self._lock:
            if not self._counts:
                self._oldest = time.monotonic()
            self._counts.update(counts)


_local_buffer = _LocalBuffer()


def count_page_view(request, page: Page) -> None:
    """Count one read of ``page`` (GET only). Never raises because counting
    failed: a reader gets the page regardless."""
    if request.method != "GET" or page.pk is None:
        return
    country = country_for_address(client_address(request)) if countries_enabled() else ""
    field = (page.pk, timezone.now().date(), country)
    client = _redis()
    if client is not None:
        _start_pusher()
        due = _local_buffer.add(field, PUSH_EVERY_VIEWS, PUSH_EVERY_SECONDS)
        if due:
            _push(client, due)
        return
    due = _local_buffer.add(field, FLUSH_EVERY_VIEWS, FLUSH_EVERY_SECONDS)
    if due:
        _write_local(due)


def _push(client, counts: ViewCounts) -> int:
    """Add ``counts`` to the shared hash in one round trip; on failure keep
    them for the next push. Returns the views pushed."""
    import redis

    pipeline = client.pipeline(transaction=False)
    key = cache.make_key(PENDING_KEY)
    for field, views in counts.items():
        pipeline.hincrby(key, _encode_field(field), views)
    try:
        pipeline.execute()
    except redis.RedisError as error:
        logger.warning("Could not add page views to Redis (%s); keeping them for later", error)
        _local_buffer.give_back(counts)
        return 0
    return sum(counts.values())


_pusher_lock = threading.Lock()
_pusher_pid: int | None = None


def _start_pusher() -> None:
    """Start this process's pushing thread once (after a fork too: a thread
    does not survive one)."""
    global _pusher_pid
    if _pusher_pid == os.getpid():
        return
    with _pusher_lock:
        if _pusher_pid == os.getpid():
            return
        _pusher_pid = os.getpid()
        threading.Thread(target=_push_now_and_then, name="page-view-pusher", daemon=True).start()


def _push_now_and_then() -> None:
    while True:
        time.sleep(PUSH_EVERY_SECONDS)
        try:
            push_local_views()
        except Exception:  # never let the thread die: the next round retries
            logger.warning("Could not push page views", exc_info=True)


def push_local_views() -> int:
    """Add this process's buffered views to Redis now (nothing without it)."""
    client = _redis()
    counts = _local_buffer.take() if client is not None else {}
    return _push(client, counts) if counts else 0


def _write_local(counts: ViewCounts) -> int:
    try:
        return write_view_counts(counts)
    except Exception:  # keep the counts for the next attempt, whatever failed
        logger.warning("Could not write page views; keeping them for later", exc_info=True)
        _local_buffer.give_back(counts)
        return 0


def flush_local_views() -> int:
    """Write this process's buffered view counts now (with Redis: add them to
    the shared hash, or to the database when Redis cannot take them, so that
    a process stopping while Redis is down loses none). Returns views
    written."""
    if _redis() is not None:
        pushed = push_local_views()
        left = _local_buffer.take()
        return pushed + (_write_local(left) if left else 0)
    counts = _local_buffer.take()
    return _write_local(counts) if counts else 0


def discard_local_views() -> None:
    """Forget this process's buffered counts (between tests)."""
    _local_buffer.take()


atexit.register(flush_local_views)


def _encode_field(field: tuple[int, datetime.date, str]) -> str:
    page_id, day, country = field
    return f"{page_id}:{day.isoformat()}:{country}"


def _decode_field(raw: bytes | str) -> tuple[int, datetime.date, str]:
    text = raw.decode() if isinstance(raw, bytes) else raw
    page_id, day, country = text.split(":")
    return int(page_id), datetime.date.fromisoformat(day), country


def write_view_counts(counts: ViewCounts) -> int:
    """Add ``counts`` to PageViewDay in one transaction, with an upsert that
    adds to existing rows (INSERT ... ON CONFLICT ... DO UPDATE, on SQLite and
    PostgreSQL alike). Counts for pages deleted since are dropped. Returns
    the number of views written."""
    with transaction.atomic():
        page_ids = {page_id for page_id, _day, _country in counts}
        existing = set(Page.objects.filter(pk__in=page_ids).values_list("pk", flat=True))
        rows = [
            (page_id, day, country, views)
            for (page_id, day, country), views in sorted(counts.items())
            if page_id in existing and views > 0
        ]
        quote = connection.ops.quote_name
        table = quote(PageViewDay._meta.db_table)
        views_column = quote("views")
        for start in range(0, len(rows), UPSERT_CHUNK):
            chunk = rows[start : start + UPSERT_CHUNK]
            placeholders = ", ".join(["(%s, %s, %s, %s)"] * len(chunk))
            # Table and column names come from the model, never from input.
            sql = (
                f"INSERT INTO {table} (page_id, day, country, {views_column}) "  # noqa: S608
                f"VALUES {placeholders} "
                f"ON CONFLICT (page_id, day, country) DO UPDATE "
                f"SET {views_column} = {table}.{views_column} + excluded.{views_column}"
            )
            with connection.cursor() as cursor:
                cursor.execute(sql, [value for row in chunk for value in row])
    return sum(row[3] for row in rows)


def flush_page_views() -> int:
    """Move the view counts gathered in Redis into PageViewDay (without
    Redis: this process's buffer). Safe to run twice or concurrently: each
    batch is written once. Returns the number of views written."""
    client = _redis()
    if client is None:
        return flush_local_views()
    import redis

    push_local_views()  # this process's own views first
    batch_key = cache.make_key(BATCH_KEY_PREFIX + uuid.uuid4().hex)
    # Atomic: a view counted after this goes into a new pending hash. Fails
    # when nothing was counted since the last flush.
    with contextlib.suppress(redis.ResponseError):
        client.rename(cache.make_key(PENDING_KEY), batch_key)
    written = 0
    # Also any batch a flush that died left behind.
    for key in client.scan_iter(match=cache.make_key(BATCH_KEY_PREFIX + "*"), count=1000):
        written += _write_batch(client, key)
    PageViewBatch.objects.filter(
        flushed_at__lt=timezone.now() - datetime.timedelta(days=KEEP_BATCH_NAMES_DAYS)
    ).delete()
    return written


def _write_batch(client, key: bytes) -> int:
    name = key.decode()
    counts: Counter = Counter()
    for raw_field, raw_views in client.hgetall(key).items():
        counts[_decode_field(raw_field)] += int(raw_views)
    try:
        with transaction.atomic():
            # First, so a second flush of this batch waits here, then fails.
            PageViewBatch.objects.create(name=name)
            written = write_view_counts(counts)
    except IntegrityError:
        if not PageViewBatch.objects.filter(name=name).exists():
            raise
        written = 0  # another flush wrote this batch already
    client.delete(key)
    return written
