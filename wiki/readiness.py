"""``/healthz?ready=1``: whether this app server can serve readers, part by
part, for a load balancer to decide where to send them.

Each part is "ok", "degraded" (readers are served, more slowly or with less)
or "down":

- ``database``: answers a query, or is down. Readers cannot be served
  without it (bar the few kept copies, ``wiki.faults``), so this alone makes
  the answer 503 and the site "down".
- ``cache``: Redis answers, or is down. Readers are still served from the
  database, so the site is "degraded", not down. Without ``REDIS_URL`` the
  cache is in the process and always ok.
- ``pdf_worker``: a PDF could start now (a job slot is free), is
  "degraded" while every slot is busy (PDFs wait, then 503), or "down" when
  the slots' directory cannot be used (a full or read-only disk).

Each check is bounded: the database by ``DATABASE_CONNECT_TIMEOUT``, Redis by
its socket timeouts, the slots take no wait.
"""

from __future__ import annotations

from django.conf import settings
from django.core.cache import caches
from django.db import connection

from wiki import jobs
from wiki.redis_breaker import UNAVAILABLE

OK, DEGRADED, DOWN = "ok", "degraded", "down"
_PROBE_KEY = "wiki:readiness"


def database_state() -> str:
    try:
        # connection.cursor() runs Django's health check first (a database
        # that restarted is reconnected here, or found down).
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # any failure to answer is "down"; the log has no use for it
        return DOWN
    return OK


def cache_state() -> str:
    if not settings.REDIS_URL:
        return OK
    try:
        caches["checked"].get(_PROBE_KEY)
    except UNAVAILABLE:
        return DOWN
    return OK


def pdf_worker_state() -> str:
    try:
        with jobs.job_slot(0):
            pass
    except jobs.JobsBusy:
        return DEGRADED
    except OSError:
        return DOWN
    return OK


def readiness() -> tuple[dict, int]:
    """The report and its HTTP status: 503 only when readers cannot be
    served (the database is down)."""
    parts = {
        "database": database_state(),
        "cache": cache_state(),
        "pdf_worker": pdf_worker_state(),
    }
    if parts["database"] == DOWN:
        status = DOWN
    elif all(state == OK for state in parts.values()):
        status = OK
    else:
        status = DEGRADED
    return {"status": status, "parts": parts}, 503 if status == DOWN else 200
