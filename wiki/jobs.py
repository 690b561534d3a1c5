"""Heavy work (a markdown conversion, a WeasyPrint PDF) in a process of its
own, with a deadline, that can be killed, and a limit on how many run at once
on the machine.

Why a process: Python cannot stop a thread. A conversion or a layout that
runs too long has to be killed, or it keeps its web worker busy after its
reader was told to go away (two 70 s PDFs made an ordinary page view wait
19 s) and keeps the memory it grew (WeasyPrint reached ~440 MB for a
5,000-row table).

How (measured on the project's 2-core machine; ``make bench-hostile``
prints the round trip):

- A multiprocessing "forkserver": the first job of a web worker starts one
  server process, which runs ``django.setup()``, imports markdown, nh3 and
  WeasyPrint and loads the fonts once (``_prepare_server``; it knows it is
  the server by an environment variable set only while it starts). Each job
  is a fresh process forked from that server, so it starts warm: a round
  trip (fork, pickling 10 KB in and out, exit) measured ~20 ms on the idle
  machine and 40-130 ms with the other cores busy, against ~1.5 s of
  imports and font loading for a ``spawn``ed process. A plain ``fork`` of
  the web worker would be as quick but copies a process that may hold
  threads (gthread workers) and open database connections, and would have
  to import WeasyPrint into the web worker first.
- Inputs and results are plain data (the body text and the ``Rendered``
  fields; the finished HTML document and the PDF bytes) through a pipe. The
  job never touches the database or the cache: its parent does both.
- The parent waits until the job's deadline and then SIGKILLs it: nothing
  outlives the request, and ``JobTimedOut`` is raised. Memory a job used is
  given back when it exits, so a web worker's size stays flat; WeasyPrint is
  never imported into a web worker at all.
- The child lowers its priority (``os.nice(JOB_NICENESS)``) so that readers'
  requests win the CPU from it.
- At most ``settings.WIKI_JOB_SLOTS`` jobs run at once on the machine (by
  default one fewer than the CPU count, at least one, so one core always
  serves readers), shared by every web worker with no Redis: each slot is a
  file in ``settings.WIKI_JOB_SLOT_DIR`` locked with ``fcntl.flock``, which
  the kernel releases when its holder exits, however it dies. A job that finds
  no free slot within its wait raises ``JobsBusy`` (the PDF view answers 503
  with ``Retry-After``). A reader's page view takes no slot
  (``wiki.render_cache``), so it never waits behind PDFs and previews; each
  web worker thread runs at most one job at a time, which bounds those too.
- A job also sets its own alarm for just past its deadline, so it ends even
  if its web worker was killed before it could kill the job.

A small body is converted in the web worker itself, not here: below
``wiki.render_cache.INLINE_RENDER_BYTES`` (16 KB) the limits of
``wiki.rendering.check_markup`` bound the conversion (the worst mix of markup
that passes them in 16 KB took ~0.6 s on the busy machine, and a body at any
one limit 0.15-0.5 s; ``bench/hostile_bench.py`` prints both), while a job's
round trip would about double the ~25 ms of a typical 10 KB page, and make
the test suite, which saves thousands of small pages, much slower. Every
PDF goes through a job.
"""

from __future__ import annotations

import contextlib
import fcntl
import multiprocessing
import multiprocessing.forkserver
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from django.conf import settings

# How much a job gives way to readers' requests (added to its niceness).
JOB_NICENESS = 10
# How often a job waiting for a slot tries again.
SLOT_POLL_SECONDS = 0.05
# How long a job that sent its result may take to exit before it is killed.
EXIT_GRACE_SECONDS = 1.0
_SERVER_ENVIRONMENT = "KCR_JOB_SERVER"
# "__main__" first: the server then holds the parent's main module (gunicorn's
# script, manage.py), and a job does not import it again as it starts.
_PRELOAD = ["__main__", "wiki.jobs"]


class JobError(Exception):
    """A job did not give a result."""


class JobTimedOut(JobError):
    """The job passed its deadline and was killed."""


class JobsBusy(JobError):
    """Every slot stayed taken for the whole wait: too many heavy jobs at once."""


class JobFailed(JobError):
    """The job raised an exception or died; the message says which."""


def _prepare_server() -> None:
    """Set up Django and import the heavy libraries once, in the forkserver,
    so that every job forked from it starts warm."""
    import django
    from django.apps import apps

    if not apps.ready:
        django.setup()
    import markdown  # noqa: F401
    import nh3  # noqa: F401
    import weasyprint

    from wiki.rendering import render_markdown

    # Builds the converter and its regular expressions, and loads the fonts
    # (~1 s), once for every job.
    render_markdown("Warm *up* [[Page]].")
    weasyprint.HTML(string="<p>Warm <b>up</b> <i>fonts</i>.</p>").write_pdf()


if os.environ.get(_SERVER_ENVIRONMENT) == "1":
    os.environ.pop(_SERVER_ENVIRONMENT, None)
    _prepare_server()


_start_lock = threading.Lock()
_context = None


def _job_context():
    """The forkserver context, its server started (and prepared) on first use."""
    global _context
    with _start_lock:
        if _context is None:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(_PRELOAD)
            os.environ[_SERVER_ENVIRONMENT] = "1"
            try:
                multiprocessing.forkserver.ensure_running()
            finally:
                os.environ.pop(_SERVER_ENVIRONMENT, None)
            _context = context
        return _context


def slot_directory() -> Path:
    """The directory holding the slot files (made when missing)."""
    directory = Path(settings.WIKI_JOB_SLOT_DIR)
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def slot_paths() -> list[Path]:
    """The slot files: one per job that may run at once."""
    directory = slot_directory()
    return [directory / f"slot-{number}.lock" for number in range(settings.WIKI_JOB_SLOTS)]


@contextlib.contextmanager
def job_slot(wait: float) -> Iterator[Path]:
    """Hold a free slot for the body of the ``with``; wait up to ``wait``
    seconds for one, then raise ``JobsBusy``."""
    deadline = time.monotonic() + wait
    while True:
        for path in slot_paths():
            handle = open(path, "a")  # noqa: SIM115 (held until the job ends)
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                continue
            try:
                yield path
            finally:
                handle.close()  # releases the lock
            return
        if time.monotonic() >= deadline:
            raise JobsBusy(f"no free job slot in {wait} s")
        time.sleep(SLOT_POLL_SECONDS)


def run_job(function: Callable, *args, deadline: float, slot_wait: float | None):
    """Return ``function(*args)`` computed in a process of its own.

    ``function`` must be a module-level function and ``args`` and its result
    plain, picklable data. Waits up to ``slot_wait`` seconds for a slot
    (``JobsBusy``; None takes no slot), then up to ``deadline`` seconds for
    the result, after which the process is killed (``JobTimedOut``). An
    exception in the job is raised again here when it can be pickled
    (``MarkupTooComplex`` is), else as ``JobFailed``. Nothing of the job
    outlives this call."""
    if slot_wait is None:
        return _run_in_process(function, args, deadline)
    with job_slot(slot_wait):
        return _run_in_process(function, args, deadline)


def _run_in_process(function: Callable, args: tuple, deadline: float):
    context = _job_context()
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(
        target=_job_main,
        args=(sender, function, args, deadline),
        name="kcr-job",
        daemon=True,
    )
    started = time.monotonic()
    process.start()
    sender.close()
    finished = False
    try:
        if not receiver.poll(max(0.0, deadline - (time.monotonic() - started))):
            raise JobTimedOut(f"{function.__name__} passed its {deadline} s deadline")
        try:
            is_error, value = receiver.recv()
        except EOFError:
            raise JobFailed(f"{function.__name__} died: exit code {process.exitcode}") from None
        finished = True
    finally:
        receiver.close()
        if finished:
            process.join(EXIT_GRACE_SECONDS)
        if process.is_alive():
            process.kill()
        process.join()
        process.close()
    if is_error:
        raise value
    return value


def _job_main(sender, function: Callable, args: tuple, deadline: float) -> None:
    """The job process: give way to readers, compute, send the result. Its
    own alarm ends it soon after the deadline even if its parent died before
    it could kill it (SIGALRM's default action ends the process)."""
    signal.setitimer(signal.ITIMER_REAL, deadline + EXIT_GRACE_SECONDS)
    os.nice(JOB_NICENESS)
    try:
        result = (False, function(*args))
    except Exception as error:
        result = (True, error)
    try:
        sender.send(result)
    except Exception as error:  # an exception or result that does not pickle
        sender.send((True, JobFailed(f"{function.__name__}: {error!r}")))
    sender.close()
