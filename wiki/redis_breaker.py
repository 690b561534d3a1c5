"""Losing Redis costs speed, never the site: a circuit breaker in front of it.

Redis holds only what can be rebuilt (see ``wiki.display`` for every key
family), so a cache call that fails is a miss: django-redis is told to
ignore connection errors (``IGNORE_EXCEPTIONS`` in ``kcr/settings.py``) and
its sockets give up after ``REDIS_SOCKET_TIMEOUT`` (0.1 s). A page view makes
several cache calls, though, and a Redis that accepts connections but never
answers (a frozen process, a dead machine behind a live address) would cost
each of them the whole timeout. So every command this process sends goes
through one breaker: after a failure, Redis is not asked again for
``OPEN_SECONDS``; then one command tries it (the others still skip it until
that one is answered), and its answer closes the breaker or opens it again.
A request therefore waits at most about one socket timeout on a Redis that
does not answer, and everything resumes, with no restart, within
``OPEN_SECONDS`` of Redis answering again.

The breaker sits in the redis-py client django-redis builds
(``REDIS_CLIENT_CLASS``), so it covers the cache, sessions, the page memo's
stamps, login throttling and the raw client that ``wiki.page_views`` takes
from ``django_redis.get_redis_connection``. While it is open a command fails
at once with ``redis.ConnectionError``, as if Redis had refused it.
"""

from __future__ import annotations

import logging
import threading
import time

import redis
from redis.client import Pipeline

logger = logging.getLogger(__name__)

# How long Redis is left alone after a failure. Short, so that the site is
# back to full speed within two seconds of Redis; long enough that a page
# view (tens of milliseconds) meets at most one failure.
OPEN_SECONDS = 1.5
# What a Redis that is down, refusing or not answering raises; ResponseError
# (a command Redis refused) means it is up, and is not among them.
UNAVAILABLE = (redis.ConnectionError, redis.TimeoutError, OSError)


class Breaker:
    """Whether this process asks Redis now. Thread-safe; one per process."""

    def __init__(self, open_seconds: float = OPEN_SECONDS):
        self.open_seconds = open_seconds
        self._lock = threading.Lock()
        self._open_until = 0.0  # 0: closed (Redis answered last time)
        # While one command tries Redis after a pause, the others skip it;
        # a try that never reports (its thread killed) counts as failed then.
        self._trying_until = 0.0

    def allow(self) -> bool:
        """True when a command may go to Redis now; the caller must then
        report its outcome with ``succeeded`` or ``failed``."""
        with self._lock:
            if not self._open_until:
                return True
            now = time.monotonic()
            if now < self._open_until or now < self._trying_until:
                return False
            self._trying_until = now + self.open_seconds
            return True

    def succeeded(self) -> None:
        with self._lock:
            was_open = bool(self._open_until)
            self._open_until = 0.0
            self._trying_until = 0.0
        if was_open:
            logger.warning("Redis answers again; the cache is back in use")

    def failed(self, error: Exception) -> None:
        with self._lock:
            was_closed = not self._open_until
            self._open_until = time.monotonic() + self.open_seconds
            self._trying_until = 0.0
        if was_closed:
            logger.warning(
                "Redis did not answer (%s); going on without it, trying again every %s s",
                error,
                self.open_seconds,
            )

    @property
    def is_open(self) -> bool:
        """Whether Redis failed last time it was asked."""
        return bool(self._open_until)

    def reset(self) -> None:
        """Forget past failures (between tests)."""
        with self._lock:
            self._open_until = 0.0
            self._trying_until = 0.0


breaker = Breaker()


def _guarded(send):
    """Run ``send()`` (one round trip to Redis) through the breaker."""
    if not breaker.allow():
        raise redis.ConnectionError("Redis is skipped for a moment after a failure")
    try:
        result = send()
    except UNAVAILABLE as error:
        breaker.failed(error)
        raise
    except Exception:
        breaker.succeeded()  # Redis answered, with an error of the command's
        raise
    breaker.succeeded()
    return result


class GuardedPipeline(Pipeline):
    """A pipeline whose batch goes through the breaker."""

    def execute(self, raise_on_error: bool = True):
        if not self.command_stack and not self.watching:
            return []
        return _guarded(lambda: super(GuardedPipeline, self).execute(raise_on_error))


class GuardedRedis(redis.Redis):
    """The redis-py client django-redis builds (``REDIS_CLIENT_CLASS``):
    every command and pipeline through this process's breaker."""

    def execute_command(self, *args, **options):
        return _guarded(lambda: super(GuardedRedis, self).execute_command(*args, **options))

    def pipeline(self, transaction: bool = True, shard_hint=None) -> GuardedPipeline:
        return GuardedPipeline(
            self.connection_pool, self.response_callbacks, transaction, shard_hint
        )
