"""KCR Wiki soak test: `make soak` (SOAK_MINUTES, default 10).

Starts a PostgreSQL cluster and a Redis server of its own (in a temporary
directory, on free ports, listening on 127.0.0.1 only), imports the benchmark
corpus (1,000 pages, every tenth a redirect) and two moderators, and serves it
as `make serve` does (gunicorn, DEBUG off, 2 workers) but without worker
recycling, so that memory growth shows. Then, for SOAK_MINUTES, six reader
threads send anonymous requests (pages, redirects, index pages, searches,
PDFs, votes) and two moderator threads each save an edit every couple of
seconds, while two faults are injected: at 30% of the run Redis is killed
(SIGKILL) and started again on the same port, at 60% PostgreSQL is stopped
(fast) and started again.

Prints per-minute, per-kind and per-phase tables, checks that every
acknowledged edit and vote is in the database, and ends with PASS or FAIL
(exit status 1). FAIL: any 5xx other than 503; a 503 outside a fault window
and its grace period; a connection error or timeout outside a fault window;
an acknowledged write missing; worker RSS growing more than 25% from minute
2 to the last minute. Both servers are stopped and their files removed at the
end, also on failure or Ctrl-C; gunicorn's log is kept in var/soak/.
"""

import html.parser
import http.client
import http.cookiejar
import itertools
import math
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.corpus import COMMON_WORD, RARE_WORD, title_for, write_corpus  # noqa: E402
from bench.run import table  # noqa: E402

PYTHON = sys.executable
GUNICORN = str(Path(PYTHON).parent / "gunicorn")
PG_BIN = Path("/usr/lib/postgresql/15/bin")
PAGES = 1000
DATABASE_NAME = "kcr_soak"
SOAK_MINUTES = float(os.environ.get("SOAK_MINUTES", "10"))

READER_THREADS = 6
# A reader's pause between requests, so that the load is steady rather than
# everything two cores can take.
READER_PAUSE_SECONDS = 0.05
EDIT_EVERY_SECONDS = 2.0
EDIT_PAGES_PER_MODERATOR = 20
REQUEST_TIMEOUT_SECONDS = 15
# 503s are the intended answer during a fault and for this long after it.
GRACE_SECONDS = 15
RSS_GROWTH_LIMIT = 0.25
REDIS_FAULT_AT, DATABASE_FAULT_AT = 0.30, 0.60
DATABASE_DOWN_SECONDS = 10

MODERATORS = ("soak-moderator-1", "soak-moderator-2")
PASSWORD = "soak-" + secrets.token_urlsafe(18)
MARKER_PREFIX = "soak-mark-"
MARKER_PATTERN = re.compile(re.escape(MARKER_PREFIX) + r"[0-9a-f-]+")
MARKER_LINE = re.compile(r"\s*Soak check " + re.escape(MARKER_PREFIX) + r"[0-9a-f-]+\.\s*$")

CONN_ERROR = "conn-error"
# (kind, share of a reader's requests in percent).
READER_MIX = (
    ("page", 67),
    ("redirect", 12),
    ("index", 12),
    ("search", 5),
    ("vote", 3),
    ("pdf", 1),
)
INDEX_PATHS = ("/", "/pages/", "/articles/", "/sitemap.xml")


def slug(number: int) -> str:
    return title_for(number).replace(" ", "_")


ARTICLE_NUMBERS = [n for n in range(PAGES) if n % 10 != 9]
REDIRECT_NUMBERS = [n for n in range(PAGES) if n % 10 == 9]
EDITED_NUMBERS = ARTICLE_NUMBERS[: 2 * EDIT_PAGES_PER_MODERATOR]
# PDFs of pages nobody edits, so that most come from the cache.
PDF_NUMBERS = ARTICLE_NUMBERS[-20:]


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    """Run a command to completion; on failure, raise with its output."""
    result = subprocess.run(args, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        raise RuntimeError(
            f"{' '.join(args)} failed ({result.returncode}):\n{result.stdout}{result.stderr}"
        )
    return result


def as_postgres(*args: str) -> subprocess.CompletedProcess:
    return run(["runuser", "-u", "postgres", "--", *args], start_new_session=True)


class Postgres:
    """A throw-away PostgreSQL 15 cluster owned by the postgres user, with its
    socket in its own directory and TCP on 127.0.0.1 only."""

    def __init__(self, base: Path):
        self.directory = base / "postgres"
        self.data = self.directory / "data"
        self.logfile = self.directory / "postgres.log"
        self.port = free_port()
        self.initialised = False

    @property
    def options(self) -> str:
        return f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1"

    def init(self) -> None:
        self.directory.mkdir(mode=0o700)
        shutil.chown(self.directory, "postgres", "postgres")
        as_postgres(
            str(PG_BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres", "-N"
        )
        self.initialised = True

    def start(self) -> None:
        as_postgres(
            str(PG_BIN / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.logfile),
            "-o",
            self.options,
            "-w",
            "start",
        )

    def stop(self, mode: str = "fast") -> None:
        as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def is_running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def createdb(self, name: str) -> None:
        as_postgres(
            str(PG_BIN / "createdb"),
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-U",
            "postgres",
            name,
        )

    def url(self, name: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def shut_down(self) -> None:
        """Stop the cluster if it runs (fast, else immediate)."""
        if not self.initialised or not self.is_running():
            return
        try:
            self.stop("fast")
        except RuntimeError:
            self.stop("immediate")


class RedisServer:
    """A redis-server of our own, nothing saved to disk."""

    def __init__(self, base: Path):
        self.directory = base
        self.logfile = base / "redis.log"
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        with open(self.logfile, "a") as output:
            self.process = subprocess.Popen(
                [
                    "redis-server",
                    "--port",
                    str(self.port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--dir",
                    str(self.directory),
                ],
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited; see {self.logfile}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as client:
                    client.sendall(b"PING\r\n")
                    if client.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError("redis-server did not answer PING")

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def shut_down(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


class AppServer:
    """gunicorn as `make serve` runs it, without recycling workers."""

    def __init__(self, environment: dict[str, str], port: int, logfile: Path):
        self.environment = environment
        self.port = port
        self.logfile = logfile
        self.process: subprocess.Popen | None = None

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def start(self) -> None:
        with open(self.logfile, "a") as output:
            self.process = subprocess.Popen(
                [
                    GUNICORN,
                    "kcr.wsgi",
                    "-c",
                    "kcr/gunicorn.conf.py",
                    "--workers",
                    "2",
                    "--bind",
                    f"127.0.0.1:{self.port}",
                    "--max-requests",
                    "0",
                ],
                cwd=ROOT,
                env=self.environment,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("gunicorn exited during start-up")
            try:
                with urllib.request.urlopen(self.url("/healthz"), timeout=2) as response:  # noqa: S310
                    if response.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError("gunicorn did not answer /healthz with 200 within 60 s")

    def worker_pids(self) -> list[int]:
        if self.process is None:
            return []
        master = self.process.pid
        children = Path(f"/proc/{master}/task/{master}/children")
        try:
            return sorted(int(pid) for pid in children.read_text().split())
        except OSError:
            pids = []
            for status in Path("/proc").glob("[0-9]*/status"):
                try:
                    if f"\nPPid:\t{master}\n" in status.read_text():
                        pids.append(int(status.parent.name))
                except OSError:
                    continue
            return sorted(pids)

    def worker_rss_mb(self) -> dict[int, float]:
        sizes = {}
        for pid in self.worker_pids():
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        sizes[pid] = int(line.split()[1]) / 1024
            except OSError:
                continue
        return sizes

    def tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.logfile.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no gunicorn log)"

    def shut_down(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def app_environment(postgres: Postgres, redis: RedisServer, app_port: int) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": postgres.url(DATABASE_NAME),
        "REDIS_URL": f"redis://127.0.0.1:{redis.port}/0",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_HTTPS": "0",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SITE_URL": f"http://127.0.0.1:{app_port}",
    }


def manage(environment: dict[str, str], *args: str, stdin: str | None = None) -> str:
    return run([PYTHON, "manage.py", *args], cwd=ROOT, env=environment, input=stdin).stdout


def prepare_site(environment: dict[str, str], base: Path) -> None:
    """Migrate, import the corpus, add the moderators, collect static files."""
    manage(environment, "migrate", "--noinput")
    corpus = base / f"corpus-{PAGES}.jsonl"
    write_corpus(corpus, PAGES)
    started = time.monotonic()
    manage(environment, "importpages", str(corpus))
    log(f"imported {PAGES} pages (every tenth a redirect) in {time.monotonic() - started:.0f} s")
    for name in MODERATORS:
        manage(environment, "createmoderator", name, stdin=PASSWORD + "\n")
    manage(environment, "collectstatic", "--noinput", "--verbosity", "0")


# --- the load ---------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    """One request: ``at`` seconds after the load started, how it ended
    (``status``: the HTTP status, or conn-error) and how long it took."""

    at: float
    kind: str
    status: str
    ms: float

    @property
    def end(self) -> float:
        return self.at + self.ms / 1000


@dataclass(frozen=True)
class AckedEdit:
    marker: str
    title: str


@dataclass
class Fault:
    name: str
    start: float
    end: float = math.inf


@dataclass
class Recorder:
    """What the threads saw, shared (list.append is atomic in CPython)."""

    started: float = field(default_factory=time.monotonic)
    samples: list[Sample] = field(default_factory=list)
    acked_edits: list[AckedEdit] = field(default_factory=list)
    tried_markers: list[str] = field(default_factory=list)
    rss: list[tuple[float, dict[int, float]]] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)

    def now(self) -> float:
        return time.monotonic() - self.started


class NoRedirects(urllib.request.HTTPRedirectHandler):
    """Report a redirect as it is (an HTTPError with its 3xx status)."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: ANN001, ANN201
        return None


@dataclass(frozen=True)
class Answer:
    status: int | None
    body: bytes
    headers: http.client.HTTPMessage | None


def timed_request(
    opener: urllib.request.OpenerDirector,
    recorder: Recorder,
    kind: str,
    url: str,
    data: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> Answer:
    """Send one request, record it, and give back what came."""
    encoded = urllib.parse.urlencode(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=encoded, headers=headers or {})
    started = time.monotonic()
    answer = Answer(None, b"", None)
    try:
        with opener.open(request, timeout=REQUEST_TIMEOUT_SECONDS) as response:
            answer = Answer(response.status, response.read(), response.headers)
    except urllib.error.HTTPError as error:
        try:
            body = error.read()
        except (OSError, http.client.HTTPException):
            body = b""
        answer = Answer(error.code, body, error.headers)
    except (OSError, http.client.HTTPException):
        pass
    elapsed_ms = (time.monotonic() - started) * 1000
    status = str(answer.status) if answer.status is not None else CONN_ERROR
    recorder.samples.append(Sample(started - recorder.started, kind, status, elapsed_ms))
    return answer


def reader(
    number: int,
    app: AppServer,
    recorder: Recorder,
    stop: threading.Event,
    next_vote_page: Callable[[], int],
) -> None:
    rng = random.Random(number)
    opener = urllib.request.build_opener(NoRedirects())
    kinds = [kind for kind, _share in READER_MIX]
    weights = [share for _kind, share in READER_MIX]
    origin = app.environment["DJANGO_SITE_URL"]
    while not stop.is_set():
        kind = rng.choices(kinds, weights)[0]
        if kind == "page":
            timed_request(
                opener, recorder, kind, app.url(f"/wiki/{slug(rng.choice(ARTICLE_NUMBERS))}/")
            )
        elif kind == "redirect":
            timed_request(
                opener, recorder, kind, app.url(f"/wiki/{slug(rng.choice(REDIRECT_NUMBERS))}/")
            )
        elif kind == "index":
            timed_request(opener, recorder, kind, app.url(rng.choice(INDEX_PATHS)))
        elif kind == "search":
            query = urllib.parse.urlencode({"q": rng.choice((COMMON_WORD, RARE_WORD))})
            timed_request(opener, recorder, kind, app.url(f"/search/?{query}"))
        elif kind == "pdf":
            timed_request(
                opener, recorder, kind, app.url(f"/wiki/{slug(rng.choice(PDF_NUMBERS))}/pdf/")
            )
        else:
            # Every vote from a new reader (no cookie), spread evenly over the
            # pages so that none reaches its daily allowance for one network.
            page = next_vote_page()
            timed_request(
                opener,
                recorder,
                "vote",
                app.url(f"/wiki/{slug(page)}/vote/"),
                data={"useful": rng.choice(("yes", "no"))},
                headers={"Origin": origin},
            )
        stop.wait(READER_PAUSE_SECONDS)


class EditForm(html.parser.HTMLParser):
    """The fields a browser would post from the form holding the ``body``
    textarea (checked checkboxes included, buttons left out)."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, str]] = []
        self._fields: dict[str, str] | None = None
        self._textarea: str | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        name = attributes.get("name")
        if tag == "form":
            self._fields = {}
            return
        if self._fields is None or (not name and tag != "option"):
            return
        kind = attributes.get("type") or "text"
        if tag == "input" and kind not in {"submit", "button", "image", "reset"}:
            if kind in {"checkbox", "radio"} and "checked" not in attributes:
                return
            self._fields[name] = attributes.get("value") or ("on" if kind == "checkbox" else "")
        elif tag == "textarea":
            self._textarea = name
            self._fields[name] = ""
        elif tag == "select":
            self._select = name
        elif (
            tag == "option"
            and self._select
            and ("selected" in attributes or self._select not in self._fields)
        ):
            # The selected option, else the first one.
            self._fields[self._select] = attributes.get("value") or ""

    def handle_data(self, data: str) -> None:
        if self._fields is not None and self._textarea:
            self._fields[self._textarea] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None
        elif tag == "form" and self._fields is not None:
            self.forms.append(self._fields)
            self._fields = None

    def edit_fields(self) -> dict[str, str] | None:
        return next((form for form in self.forms if "body" in form), None)


def with_marker(body: str, marker: str) -> str:
    """The body with its last soak marker (if any) replaced by ``marker``, so
    that each saved revision carries exactly one."""
    return MARKER_LINE.sub("", body).rstrip() + f"\n\nSoak check {marker}.\n"


def log_in(
    opener: urllib.request.OpenerDirector,
    jar: http.cookiejar.CookieJar,
    app: AppServer,
    recorder: Recorder,
    username: str,
) -> bool:
    form = timed_request(opener, recorder, "login", app.url("/accounts/login/"))
    token = next((cookie.value for cookie in jar if cookie.name == "csrftoken"), None)
    if form.status != 200 or token is None:
        return False
    answer = timed_request(
        opener,
        recorder,
        "login",
        app.url("/accounts/login/"),
        data={"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token},
    )
    return answer.status == 302


def moderator(number: int, app: AppServer, recorder: Recorder, stop: threading.Event) -> None:
    """Log in and save an edit every EDIT_EVERY_SECONDS, round the moderator's
    own pages; remember each acknowledged save (302 to the page) and its marker."""
    username = MODERATORS[number]
    titles = [title_for(n) for n in EDITED_NUMBERS[number::2]]
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirects())
    logged_in = False
    for sequence in itertools.count():
        if stop.is_set():
            return
        started = time.monotonic()
        title = titles[sequence % len(titles)]
        edit_url = app.url(f"/wiki/{title.replace(' ', '_')}/edit/")
        if not logged_in:
            logged_in = log_in(opener, jar, app, recorder, username)
        if logged_in:
            form = timed_request(opener, recorder, "edit-form", edit_url)
            fields = None
            if form.status == 200:
                parser = EditForm()
                parser.feed(form.body.decode("utf-8", errors="replace"))
                fields = parser.edit_fields()
            elif form.status == 302:
                logged_in = False  # sent to the log-in page
            if fields is not None:
                marker = f"{MARKER_PREFIX}{number + 1}-{sequence:05d}-{secrets.token_hex(4)}"
                fields["body"] = with_marker(fields["body"], marker)
                fields["summary"] = f"Soak edit {sequence} by {username}"
                recorder.tried_markers.append(marker)
                saved = timed_request(opener, recorder, "edit", edit_url, data=fields)
                location = saved.headers.get("Location", "") if saved.headers else ""
                if saved.status == 302 and "/accounts/login/" not in location:
                    recorder.acked_edits.append(AckedEdit(marker, title))
        stop.wait(max(0.0, EDIT_EVERY_SECONDS - (time.monotonic() - started)))


def sample_rss(app: AppServer, recorder: Recorder, stop: threading.Event, duration: float) -> None:
    """Worker RSS at the start, at the end of every minute, and at the end."""
    recorder.rss.append((recorder.now(), app.worker_rss_mb()))
    minute = 1
    while True:
        due = min(minute * 60.0, duration)
        if stop.wait(max(0.0, due - recorder.now())):
            return
        recorder.rss.append((recorder.now(), app.worker_rss_mb()))
        if due >= duration:
            return
        minute += 1


def wait_until(recorder: Recorder, moment: float) -> None:
    time.sleep(max(0.0, moment - recorder.now()))


def inject_faults(
    recorder: Recorder, duration: float, redis: RedisServer, postgres: Postgres
) -> None:
    redis_down = min(30.0, 0.1 * duration)
    wait_until(recorder, REDIS_FAULT_AT * duration)
    fault = Fault("redis down", recorder.now())
    recorder.faults.append(fault)
    redis.kill()
    log(f"{fault.start:6.1f} s  Redis killed (SIGKILL); down for {redis_down:.0f} s")
    time.sleep(redis_down)
    redis.start()
    fault.end = recorder.now()
    log(f"{fault.end:6.1f} s  Redis started again on port {redis.port}")

    wait_until(recorder, DATABASE_FAULT_AT * duration)
    fault = Fault("database restarting", recorder.now())
    recorder.faults.append(fault)
    postgres.stop("fast")
    log(f"{recorder.now():6.1f} s  PostgreSQL stopped (fast); down for {DATABASE_DOWN_SECONDS} s")
    time.sleep(DATABASE_DOWN_SECONDS)
    postgres.start()
    fault.end = recorder.now()
    log(f"{fault.end:6.1f} s  PostgreSQL started again")


def run_load(app: AppServer, redis: RedisServer, postgres: Postgres, duration: float) -> Recorder:
    recorder = Recorder()
    stop = threading.Event()
    # One rotation over the article pages, shared by the readers.
    votes = itertools.cycle(ARTICLE_NUMBERS)
    lock = threading.Lock()

    def next_vote_page() -> int:
        with lock:
            return next(votes)

    threads = [
        threading.Thread(target=reader, args=(n, app, recorder, stop, next_vote_page), daemon=True)
        for n in range(READER_THREADS)
    ]
    threads += [
        threading.Thread(target=moderator, args=(n, app, recorder, stop), daemon=True)
        for n in range(len(MODERATORS))
    ]
    rss_thread = threading.Thread(
        target=sample_rss, args=(app, recorder, stop, duration), daemon=True
    )
    log(f"load for {duration / 60:g} min: {READER_THREADS} readers, {len(MODERATORS)} moderators")
    rss_thread.start()
    for thread in threads:
        thread.start()
    try:
        inject_faults(recorder, duration, redis, postgres)
        wait_until(recorder, duration)
        rss_thread.join(timeout=10)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=REQUEST_TIMEOUT_SECONDS + 5)
    log(f"load finished: {len(recorder.samples)} requests")
    return recorder


def warm_up(app: AppServer) -> None:
    """Make the readers' PDFs once before the load (a first PDF in a fresh
    worker takes seconds, and a start-up burst of them would be refused as
    busy), and view each index page, as a site that has been up a while."""
    opener = urllib.request.build_opener(NoRedirects())
    paths = [f"/wiki/{slug(n)}/pdf/" for n in PDF_NUMBERS] + list(INDEX_PATHS)
    for path in paths:
        with opener.open(app.url(path), timeout=120) as response:
            response.read()
    log(f"warmed up: {len(PDF_NUMBERS)} PDFs and the index pages")


# --- the report -------------------------------------------------------------


def percentile(values: list[float], percent: float) -> float:
    """Nearest-rank percentile (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, math.ceil(percent / 100 * len(ordered)) - 1)]


STATUS_COLUMNS = ("200", "302", "other 2xx/3xx", "4xx", "500", "503", "other 5xx", CONN_ERROR)


def status_column(status: str) -> str:
    if status in {"200", "302", "500", "503", CONN_ERROR}:
        return status
    code = int(status)
    if code < 400:
        return "other 2xx/3xx"
    return "4xx" if code < 500 else "other 5xx"


def counts_row(samples: list[Sample]) -> tuple:
    columns = Counter(status_column(s.status) for s in samples)
    latencies = [s.ms for s in samples]
    return (
        len(samples),
        *(columns[c] for c in STATUS_COLUMNS),
        f"{percentile(latencies, 50):.1f}",
        f"{percentile(latencies, 99):.1f}",
    )


def is_server_error(sample: Sample) -> bool:
    return sample.status == CONN_ERROR or int(sample.status) >= 500


def overlaps(sample: Sample, start: float, end: float) -> bool:
    return sample.at <= end and sample.end >= start


def phase_of(moment: float, faults: list[Fault]) -> str:
    for fault in faults:
        if fault.start <= moment <= fault.end:
            return fault.name
    if not faults or moment < faults[0].start:
        return "normal"
    if moment > faults[-1].end:
        return "after"
    return "between faults"


def minute_rss(recorder: Recorder, minute: int) -> dict[int, float]:
    """The RSS sample closest to the end of ``minute`` (1-based)."""
    later = [sizes for at, sizes in recorder.rss[1:] if at >= minute * 60 - 5]
    return later[0] if later else (recorder.rss[-1][1] if recorder.rss else {})


def rss_text(sizes: dict[int, float]) -> str:
    return " + ".join(f"{mb:.0f}" for _pid, mb in sorted(sizes.items())) or "-"


@dataclass
class WriteCheck:
    edits_found: int
    edits_acked: int
    unacked_edits_saved: int
    votes_in_database: int
    votes_acked: int

    @property
    def ok(self) -> bool:
        return self.edits_found == self.edits_acked and self.votes_in_database >= self.votes_acked


def check_writes(postgres: Postgres, recorder: Recorder) -> WriteCheck:
    """Find each acknowledged edit's marker among its page's revisions, and
    count the votes, in the soak's database."""
    import psycopg

    markers_by_title: dict[str, set[str]] = {}
    with psycopg.connect(postgres.url(DATABASE_NAME), connect_timeout=10) as connection:
        rows = connection.execute(
            "SELECT p.title, v.serialized_data FROM reversion_version v "
            "JOIN wiki_page p ON v.object_id = p.id::text "
            "WHERE v.serialized_data LIKE %s",
            (f"%{MARKER_PREFIX}%",),
        ).fetchall()
        votes = connection.execute("SELECT count(*) FROM wiki_vote").fetchone()[0]
    for title, data in rows:
        markers_by_title.setdefault(title, set()).update(MARKER_PATTERN.findall(data))
    found = sum(
        1 for edit in recorder.acked_edits if edit.marker in markers_by_title.get(edit.title, ())
    )
    acked = {edit.marker for edit in recorder.acked_edits}
    saved = set().union(*markers_by_title.values()) if markers_by_title else set()
    unacked_saved = len((saved & set(recorder.tried_markers)) - acked)
    votes_acked = sum(1 for s in recorder.samples if s.kind == "vote" and s.status == "302")
    return WriteCheck(found, len(recorder.acked_edits), unacked_saved, votes, votes_acked)


def report(recorder: Recorder, writes: WriteCheck, duration: float) -> list[str]:
    """Print the tables; return the reasons to FAIL (none: PASS)."""
    samples = recorder.samples
    faults = recorder.faults
    failures: list[str] = []
    header = ("requests", *STATUS_COLUMNS, "p50 ms", "p99 ms")

    print("\nFaults (seconds since the load started)")
    print(
        table(
            [("fault", "start s", "end s", "lasted s")]
            + [(f.name, f"{f.start:.1f}", f"{f.end:.1f}", f"{f.end - f.start:.1f}") for f in faults]
        )
    )

    minutes = max(1, math.ceil(duration / 60))
    rows: list[tuple] = [("minute", *header, "worker RSS MB")]
    for minute in range(1, minutes + 1):
        chosen = [s for s in samples if (minute - 1) * 60 <= s.at < minute * 60]
        if minute == minutes:
            chosen += [s for s in samples if s.at >= minute * 60]
        rows.append((minute, *counts_row(chosen), rss_text(minute_rss(recorder, minute))))
    print("\nPer minute (latency includes failed requests)")
    print(table(rows))

    kinds = sorted({s.kind for s in samples})
    rows = [("kind", "requests", "statuses", "errors", "p50 ms", "p99 ms")]
    for kind in kinds:
        chosen = [s for s in samples if s.kind == kind]
        statuses = Counter(s.status for s in chosen)
        rows.append(
            (
                kind,
                len(chosen),
                " ".join(f"{status}:{n}" for status, n in sorted(statuses.items())),
                sum(1 for s in chosen if is_server_error(s)),
                f"{percentile([s.ms for s in chosen], 50):.1f}",
                f"{percentile([s.ms for s in chosen], 99):.1f}",
            )
        )
    print("\nPer kind (errors: 5xx and conn-error)")
    print(table(rows))

    phases = ["normal", "redis down", "between faults", "database restarting", "after"]
    rows = [("phase", *header)]
    for phase in phases:
        rows.append((phase, *counts_row([s for s in samples if phase_of(s.at, faults) == phase])))
    print("\nPer phase (by when the request started)")
    print(table(rows))

    errors = Counter(
        (phase_of(s.at, faults), s.kind, s.status) for s in samples if is_server_error(s)
    )
    if errors:
        print("\nErrors by phase, kind and status")
        print(
            table(
                [("phase", "kind", "status", "count")]
                + [(p, k, st, n) for (p, k, st), n in sorted(errors.items())]
            )
        )

    def in_window(sample: Sample, grace: float) -> bool:
        return any(overlaps(sample, f.start, f.end + grace) for f in faults)

    hard = [s for s in samples if s.status not in {CONN_ERROR, "503"} and int(s.status) >= 500]
    intended = [s for s in samples if s.status == "503" and in_window(s, GRACE_SECONDS)]
    stray_503 = [s for s in samples if s.status == "503" and not in_window(s, GRACE_SECONDS)]
    stray_conn = [s for s in samples if s.status == CONN_ERROR and not in_window(s, 0)]
    print(
        f"\n503s during fault windows (+{GRACE_SECONDS} s grace), intended: {len(intended)}; "
        f"outside: {len(stray_503)}"
    )
    if hard:
        failures.append(f"{len(hard)} responses 5xx other than 503")
    if stray_503:
        failures.append(f"{len(stray_503)} responses 503 outside the fault windows")
    if stray_conn:
        failures.append(f"{len(stray_conn)} connection errors outside the fault windows")

    print(
        f"writes: {writes.edits_found}/{writes.edits_acked} edits found, "
        f"{min(writes.votes_in_database, writes.votes_acked)}/{writes.votes_acked} votes found"
    )
    print(
        f"  (votes in the database: {writes.votes_in_database}; edits saved though not "
        f"acknowledged: {writes.unacked_edits_saved})"
    )
    if not writes.ok:
        failures.append("acknowledged writes missing from the database")

    if recorder.rss:
        first, last = minute_rss(recorder, 1), recorder.rss[-1][1]
        second = minute_rss(recorder, 2)

        def growth(before: dict[int, float], after: dict[int, float]) -> float:
            total = sum(before.values())
            return (sum(after.values()) - total) / total if total else 0.0

        print(
            f"worker RSS MB (sum of workers): start {sum(recorder.rss[0][1].values()):.0f}, "
            f"minute 1 {sum(first.values()):.0f}, minute 2 {sum(second.values()):.0f}, "
            f"last {sum(last.values()):.0f}; growth minute 1 -> last {growth(first, last):+.1%}, "
            f"minute 2 -> last {growth(second, last):+.1%} (limit +{RSS_GROWTH_LIMIT:.0%})"
        )
        if set(recorder.rss[0][1]) != set(last):
            print("  (gunicorn replaced a worker during the run)")
        if growth(second, last) > RSS_GROWTH_LIMIT:
            failures.append("worker RSS grew more than 25% from minute 2 to the last minute")
    return failures


EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(?:Error|Exception): .*")


def exception_table(app: AppServer) -> str:
    """The exceptions gunicorn's log ends its tracebacks with, most common
    first (port numbers left out, so that the same failure counts once)."""
    text = app.logfile.read_text(errors="replace") if app.logfile.exists() else ""
    found = Counter(
        re.sub(r"port \d+", "port N", line)[:150]
        for line in text.splitlines()
        if EXCEPTION_LINE.match(line)
    )
    if not found:
        return "(none)"
    return table([("count", "exception")] + [(n, line) for line, n in found.most_common(10)])


def keep_log(app: AppServer) -> Path | None:
    """Copy gunicorn's log out of the temporary directory, into var/soak/."""
    target = ROOT / "var" / "soak" / "gunicorn-last.log"
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(app.logfile, target)
    except OSError:
        return None
    return target


def raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def check_prerequisites() -> None:
    if os.geteuid() != 0:
        sys.exit("bench/soak.py runs initdb as the postgres user with runuser: run it as root.")
    if not (PG_BIN / "initdb").exists():
        sys.exit(f"PostgreSQL 15 is missing ({PG_BIN}): apt-get install postgresql-15")
    if not shutil.which("redis-server"):
        sys.exit("redis-server is missing: apt-get install redis-server")


def main() -> int:
    check_prerequisites()
    duration = SOAK_MINUTES * 60
    signal.signal(signal.SIGTERM, raise_interrupt)
    base = Path(tempfile.mkdtemp(prefix="kcr-soak-"))
    base.chmod(0o755)  # the postgres user must reach its directory inside
    postgres, redis = Postgres(base), RedisServer(base)
    app_port = free_port()
    app: AppServer | None = None
    shut_downs: list[Callable[[], None]] = [postgres.shut_down, redis.shut_down]
    passed = False
    try:
        postgres.init()
        postgres.start()
        postgres.createdb(DATABASE_NAME)
        redis.start()
        log(f"PostgreSQL on 127.0.0.1:{postgres.port}, Redis on 127.0.0.1:{redis.port}")
        environment = app_environment(postgres, redis, app_port)
        prepare_site(environment, base)
        app = AppServer(environment, app_port, base / "gunicorn.log")
        shut_downs.insert(0, app.shut_down)
        app.start()
        log(f"gunicorn on {app.url('/')} (workers {app.worker_pids()})")
        warm_up(app)
        recorder = run_load(app, redis, postgres, duration)
        writes = check_writes(postgres, recorder)
        failures = report(recorder, writes, duration)
        passed = not failures
        if failures:
            print("\nExceptions in gunicorn's log\n" + exception_table(app))
            print("\ngunicorn's last 40 lines:\n" + app.tail())
            print("\nFAIL: " + "; ".join(failures))
        else:
            print("\nPASS")
    except KeyboardInterrupt:
        print("\ninterrupted: stopping the servers", flush=True)
        return 130
    except Exception:
        if app is not None:
            print("\ngunicorn's last 40 lines:\n" + app.tail(), flush=True)
        raise
    finally:
        for shut_down in shut_downs:
            try:
                shut_down()
            except Exception as error:  # keep stopping the others
                print(f"cleanup: {error}", file=sys.stderr)
        if app is not None and (kept := keep_log(app)):
            print(f"gunicorn's log: {kept.relative_to(ROOT)}")
        shutil.rmtree(base, ignore_errors=True)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
