"""What a reader or a moderator gets when a part the site needs has failed:
the database stopped, restarting or locked, or the disk full.

Such a failure is not a bug in the request, and trying again shortly will
usually work, so the answer is a 503 with ``Retry-After`` and a plain
message, never a 500 with a traceback in the log as if it were a bug.
Django sends every uncaught exception, wherever it was raised (a view, a
template, a middleware saving a session), to ``handler500``: that is
``server_error`` here, which tells the two apart (``unavailable_part``) and
answers 500 only for what is really a bug.

- An anonymous reader asking for a page this process has shown before gets
  its kept copy (``page_memo.kept_copy``), still as a 503 so that no proxy
  keeps it, rather than a message.
- A moderator whose save failed is told that nothing was saved, and sees
  the text they sent, to copy: a save is one transaction, so a failure
  leaves no part of it behind.
- A database that refuses a connection costs a request nothing: PostgreSQL
  answers at once, and one that does not answer at all is given
  ``DATABASE_CONNECT_TIMEOUT`` seconds. The next request after the database
  is back reconnects (``CONN_HEALTH_CHECKS``): no restart.
- SQLite waits ``DATABASE_BUSY_TIMEOUT`` seconds for another writer before
  "database is locked"; then the write is answered 503 and nothing of it
  was saved.

Redis failing is not here: the cache treats it as a miss
(``wiki.redis_breaker``), which costs speed, never an answer.
"""

from __future__ import annotations

import errno
import logging
import sys

from django.http import HttpResponse, HttpResponseServerError
from django.template import loader

from wiki import page_memo

logger = logging.getLogger(__name__)

# How long a client is asked to wait before it tries again: a PostgreSQL
# restart or a failover takes seconds.
RETRY_AFTER_SECONDS = 10
# What SQLite says when it is busy (another writer held the lock past the
# busy timeout), cannot write (disk full, read-only, I/O error) or cannot
# open its file. "no such table" and the like are bugs, not faults.
_SQLITE_FAULTS = (
    "database is locked",
    "database table is locked",
    "database or disk is full",
    "disk i/o error",
    "unable to open database file",
    "attempt to write a readonly database",
)
# PostgreSQL's SQLSTATE classes and codes for a server that cannot serve
# now: 08 connection exceptions, 53 insufficient resources (disk full, too
# many connections, out of memory), 57P01-57P05 an operator or a crash
# shutting the server down or it still starting up.
_POSTGRES_FAULT_CLASSES = ("08", "53")
_POSTGRES_FAULT_CODES = ("57P01", "57P02", "57P03", "57P04", "57P05")
_DISK_FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT}
# The form fields a save posts that a moderator would not want to type again.
_TYPED_FIELDS = ("body", "summary")


def unavailable_part(exception: BaseException | None) -> str | None:
    """ "database" or "disk" when ``exception`` (or what caused it) says that
    part cannot serve now; None when it is anything else (a bug)."""
    seen = set()
    while exception is not None and id(exception) not in seen:
        seen.add(id(exception))
        if isinstance(exception, OSError) and exception.errno in _DISK_FULL_ERRNOS:
            return "disk"
        part = _database_fault(exception)
        if part:
            return part
        exception = exception.__cause__ or exception.__context__
    return None


def _database_fault(exception: BaseException) -> str | None:
    module = type(exception).__module__
    if module.startswith("psycopg"):
        import psycopg

        if not isinstance(exception, psycopg.OperationalError | psycopg.InterfaceError):
            return None
        state = getattr(exception, "sqlstate", None)
        if state is None:
            # No answer from the server at all: refused, dropped, closed.
            return "database"
        if state == "53100":
            return "disk"
        if state.startswith(_POSTGRES_FAULT_CLASSES) or state in _POSTGRES_FAULT_CODES:
            return "database"
        return None
    if module == "sqlite3":
        import sqlite3

        if isinstance(exception, sqlite3.OperationalError):
            message = str(exception).lower()
            if "disk is full" in message:
                return "disk"
            if any(fault in message for fault in _SQLITE_FAULTS):
                return "database"
    return None


def server_error(request, template_name: str = "500.html"):
    """``handler500``: a 503 for a part that is down (``unavailable``), the
    plain 500 page for anything else."""
    exception = sys.exc_info()[1]
    part = unavailable_part(exception)
    if part is None:
        template = loader.get_template(template_name)
        return HttpResponseServerError(template.render())
    return unavailable(request, part)


def unavailable(request, part: str) -> HttpResponse:
    """503 with ``Retry-After`` for a request that ``part`` failed: the kept
    copy of an anonymous page view where this process has one, else a plain
    message (with the text of a failed save). Renders without the request's
    context processors, which may need the database that failed."""
    kept = page_memo.kept_copy(request)
    if kept is not None:
        response = HttpResponse(kept, status=503)
    else:
        typed = _typed_text(request)
        context = {
            "part": part,
            "is_write": request.method not in {"GET", "HEAD", "OPTIONS"},
            "typed": typed,
            "retry_after": RETRY_AFTER_SECONDS,
        }
        content = loader.get_template("503.html").render(context)
        response = HttpResponse(content, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    logger.warning(
        "%s unavailable for %s %s: answered 503",
        part,
        request.method,
        request.path,
        exc_info=sys.exc_info()[1] is not None,
    )
    return response


def _typed_text(request) -> list[tuple[str, str]]:
    """(field, text) of what a failed save sent, to show back."""
    if request.method != "POST":
        return []
    try:
        posted = request.POST
    except Exception:  # an unreadable body: nothing to show back
        return []
    return [(name, posted[name]) for name in _TYPED_FIELDS if posted.get(name)]
