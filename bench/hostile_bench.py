"""Hostile input against the site as `make serve` runs it: `make bench-hostile`.

Serves the project under gunicorn with production settings and 2 workers on
a temporary SQLite database (demo pages, a 190 KB page holding a 5,000-row
table, a few 500-row tables), then:

1. times each pathological request alone (the big page's PDF; previews of
   15 KB of "[", 4,000 "[[", 10,000 identical headings, deep lists, 6,000
   footnotes, unclosed brackets): each should answer in under 2 s, refused,
   truncated or from the cache;
2. runs four clients looping over them (and over PDFs of the 500-row tables,
   real WeasyPrint jobs of several seconds each) while one anonymous reader
   fetches an ordinary page, and prints that reader's p50 and p99 (target
   p99 < 100 ms) and the web workers' RSS (target < 150 MB);
3. does both with gthread workers (as `make serve`, four threads each) and
   with sync workers (one request per process), and prints one job's round trip
   and the render time of a body at each markup limit.

Never touches your data: everything lives in a temporary directory.
WORKER_MODES=sync (or gthread) runs one mode; BENCH_SECONDS sets the loop.
"""

import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import FormFields, table  # noqa: E402

PYTHON = sys.executable
GUNICORN = str(Path(PYTHON).parent / "gunicorn")
PORT = 8731
MODERATOR, PASSWORD = "hostile-moderator", "hostile-password-not-secret-42"
LOOP_SECONDS = int(os.environ.get("BENCH_SECONDS", "20"))
CLIENTS = 4
HEAVY_TABLES = 6
# "gthread" is what `make serve` runs (kcr/gunicorn.conf.py); "sync" is the
# one-request-per-process worker it replaced, for comparison.
WORKER_MODES = {
    "sync": ["--worker-class", "sync", "--threads", "1"],
    "gthread": [],
}

TABLE_190_KB = "| Cancer | Patients | Response |\n|---|---|---|\n" + "".join(
    f"| Metastatic renal cell carcinoma {n:04d} | 255 | 15% |\n" for n in range(5000)
)
TABLE_500_ROWS = "| Cancer | Patients | Response |\n|---|---|---|\n" + "".join(
    f"| Renal cell carcinoma, study {n} | 255 | 15% |\n" for n in range(500)
)
PREVIEWS = {
    "preview: 15 KB of [": "[" * 15000,
    "preview: 4,000 [[": "[[" * 4000,
    "preview: 10,000 identical headings": "## Same heading\n\n" * 10000,
    "preview: deep lists (400 levels)": "\n".join(
        "    " * level + f"- level {level}" for level in range(400)
    ),
    "preview: 6,000 footnotes": "".join(f"Text[^{n}] " for n in range(6000))
    + "\n\n"
    + "".join(f"[^{n}]: note {n}\n" for n in range(6000)),
    "preview: 2,000 unclosed [": "[a " * 2000,
}


def environment(workdir: Path) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{workdir / 'hostile.sqlite3'}",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "hostile-bench-only-secret-key-not-for-production",
        "DJANGO_HTTPS": "0",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_LOG_LEVEL": "ERROR",
        "CACHE_KEY_PREFIX": f"kcr-hostile-{os.getpid()}",
        "WIKI_JOB_SLOT_DIR": str(workdir / "slots"),
    }


def manage(env, *args, stdin=None):
    subprocess.run(
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        text=True,
        check=True,
        capture_output=True,
    )


def prepare(env) -> None:
    manage(env, "migrate", "--noinput")
    manage(env, "loaddemo")
    manage(env, "createmoderator", MODERATOR, stdin=PASSWORD + "\n")
    script = (
        "import sys\n"
        "from bench.hostile_bench import TABLE_190_KB, TABLE_500_ROWS, HEAVY_TABLES\n"
        "from wiki.services import save_page\n"
        "save_page('Long table', TABLE_190_KB)\n"
        "for n in range(HEAVY_TABLES):\n"
        "    save_page(f'Table {n}', TABLE_500_ROWS + f'\\nTable {n}.\\n')\n"
    )
    manage(env, "shell", "-c", script)


class Server:
    def __init__(self, env, worker_args):
        # As `make serve` starts it (its config file), plus the worker
        # options being compared, without the access log.
        self.process = subprocess.Popen(
            [GUNICORN, "kcr.wsgi", "-c", "kcr/gunicorn.conf.py", "--workers", "2"]
            + ["--bind", f"127.0.0.1:{PORT}", "--access-logfile", "/dev/null"]
            + ["--log-level", "error"]
            + worker_args,
            cwd=ROOT,
            env=env,
        )
        for _ in range(200):
            try:
                urllib.request.urlopen(url("/healthz"), timeout=2).read()
                return
            except urllib.error.HTTPError:
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("gunicorn did not start")

    def rss_mb(self) -> tuple[list[float], list[float]]:
        """RSS of the web workers, and of the processes they started (job servers)."""
        workers = children(self.process.pid)
        helpers = [pid for worker in workers for pid in children(worker)]
        return [rss_of(pid) for pid in workers], [rss_of(pid) for pid in helpers]

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)


def children(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (started by any of its threads)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def rss_of(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def url(path: str) -> str:
    return f"http://127.0.0.1:{PORT}{path}"


class Moderator:
    """A logged-in moderator's browser: previews posted through the edit form."""

    def __init__(self):
        import http.cookiejar

        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.opener.open(url("/accounts/login/")).read()
        data = {"username": MODERATOR, "password": PASSWORD, "csrfmiddlewaretoken": self.token()}
        self.opener.open(url("/accounts/login/"), urllib.parse.urlencode(data).encode()).read()
        parser = FormFields()
        parser.feed(self.opener.open(url("/wiki/Hostile/edit/")).read().decode())
        self.fields = parser.fields

    def token(self) -> str:
        return next(cookie.value for cookie in self.jar if cookie.name == "csrftoken")

    def preview(self, body: str) -> int:
        fields = {**self.fields, "body": body, "preview": "1", "csrfmiddlewaretoken": self.token()}
        return status_of(self.opener, url("/wiki/Hostile/edit/"), fields)


def status_of(opener, address, fields=None) -> int:
    data = urllib.parse.urlencode(fields).encode() if fields is not None else None
    try:
        with opener.open(address, data, timeout=60) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as error:
        error.read()
        return error.code


def hostile_requests(moderator):
    """(name, function returning a status) for every pathological request."""
    anonymous = urllib.request.build_opener()
    requests = [
        (
            "PDF: 190 KB, 5,000-row table",
            lambda: get(anonymous, "/wiki/Long_table/pdf/"),
        ),
        ("page view: 190 KB table (cached)", lambda: get(anonymous, "/wiki/Long_table/")),
    ]
    for name, body in PREVIEWS.items():
        requests.append((name, lambda body=body: moderator.preview(body)))
    return requests


def get(opener, path) -> int:
    return status_of(opener, url(path))


def timed(function) -> tuple[float, int]:
    started = time.perf_counter()
    status = function()
    return time.perf_counter() - started, status


def reader_latencies(stop: threading.Event) -> list[float]:
    opener = urllib.request.build_opener()
    times = []
    while not stop.is_set():
        seconds, status = timed(lambda: status_of(opener, url("/wiki/Interleukin-2/")))
        if status == 200:
            times.append(seconds * 1000)
        time.sleep(0.02)
    return times


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def under_load(requests) -> tuple[list[float], dict]:
    """Four clients loop over ``requests`` (and the 500-row PDFs) while a
    reader reads; returns the reader's latencies and the clients' statuses."""
    anonymous = urllib.request.build_opener()
    heavy = [
        (f"PDF: 500-row table {n}", lambda n=n: status_of(anonymous, url(f"/wiki/Table_{n}/pdf/")))
        for n in range(HEAVY_TABLES)
    ]
    mix = heavy + requests
    stop, statuses, lock = threading.Event(), {}, threading.Lock()

    def client(offset):
        position = offset
        while not stop.is_set():
            _, status = timed(mix[position % len(mix)][1])
            with lock:
                statuses[status] = statuses.get(status, 0) + 1
            position += 1

    reader_times = []
    reader = threading.Thread(target=lambda: reader_times.extend(reader_latencies(stop)))
    threads = [threading.Thread(target=client, args=(n * 2,)) for n in range(CLIENTS)]
    for thread in [reader, *threads]:
        thread.start()
    time.sleep(LOOP_SECONDS)
    stop.set()
    for thread in [reader, *threads]:
        thread.join()
    return reader_times, statuses


def run_mode(env, mode) -> list[list]:
    server = Server(env, WORKER_MODES[mode])
    rows = []
    try:
        # Warm: each worker's job server, the ordinary page in both workers' caches.
        for _ in range(4):
            status_of(urllib.request.build_opener(), url("/wiki/Interleukin-2/"))
        # The big page's first view in each worker converts it (a job): with
        # Redis, the save did that for every worker; with the per-process
        # memory cache, each worker once. Timed once, then warmed.
        anonymous = urllib.request.build_opener()
        seconds, status = timed(lambda: get(anonymous, "/wiki/Long_table/"))
        rows.append(
            [mode, "page view: 190 KB table, first", f"{seconds * 1000:.0f} ms", status, ""]
        )
        for _ in range(4):
            get(anonymous, "/wiki/Long_table/")
        moderator = Moderator()
        requests = hostile_requests(moderator)
        for name, function in requests:
            seconds, status = timed(function)
            verdict = "ok" if seconds < 2 else "SLOW"
            rows.append([mode, name, f"{seconds * 1000:.0f} ms", status, verdict])
        quiet = reader_latencies_for(1.0)
        rows.append([mode, "reader p50 / p99, idle", pair(quiet), "", ""])
        reader_times, statuses = under_load(requests)
        verdict = "ok" if percentile(reader_times, 0.99) < 100 else "over 100 ms"
        rows.append([mode, "reader p50 / p99, under load", pair(reader_times), "", verdict])
        status_text = ", ".join(f"{code}: {count}" for code, count in sorted(statuses.items()))
        rows.append([mode, "hostile clients' answers", status_text, "", ""])
        workers, helpers = server.rss_mb()
        verdict = "ok" if max(workers) < 150 else "over 150 MB"
        rows.append([mode, "web worker RSS", mb(workers), "", verdict])
        rows.append([mode, "job servers' RSS", mb(helpers), "", ""])
    finally:
        server.stop()
    return rows


def reader_latencies_for(seconds):
    stop = threading.Event()
    timer = threading.Timer(seconds, stop.set)
    timer.start()
    return reader_latencies(stop)


def pair(times):
    return f"{statistics.median(times):.0f} / {percentile(times, 0.99):.0f} ms ({len(times)} views)"


def mb(values):
    return ", ".join(f"{value:.0f} MB" for value in values) or "none"


def _noop(value):
    return value


def job_and_limit_figures(env) -> list[list]:
    """One job's round trip, and the render time of a body at each limit."""
    os.environ.update({key: value for key, value in env.items() if key not in os.environ})
    os.environ["DJANGO_SETTINGS_MODULE"] = "kcr.settings"
    import django

    django.setup()
    from wiki import jobs, rendering

    rows = []
    jobs.run_job(_noop, 1, deadline=30, slot_wait=5)  # starts the job server
    trips = []
    for _ in range(20):
        started = time.perf_counter()
        jobs.run_job(_noop, "x" * 10_000, deadline=30, slot_wait=5)
        trips.append((time.perf_counter() - started) * 1000)
    rows.append(
        ["job round trip (fork + pickling, 10 KB in)", f"{statistics.median(trips):.0f} ms"]
    )
    at_limit = {
        f"MAX_BRACKETS = {rendering.MAX_BRACKETS} (markdown links)": " ".join(
            f"[t {n}](https://example.org/{n})" for n in range(rendering.MAX_BRACKETS)
        ),
        f"MAX_WIKI_LINKS = {rendering.MAX_WIKI_LINKS}": " ".join(
            f"[[Page {n}]]" for n in range(rendering.MAX_WIKI_LINKS)
        ),
        f"MAX_BRACKET_READING = {rendering.MAX_BRACKET_READING}": "[ " * 40
        + "w" * (rendering.MAX_BRACKET_READING // 40 - 80),
        f"MAX_HEADINGS = {rendering.MAX_HEADINGS} (identical)": "## Same heading\n\n"
        * rendering.MAX_HEADINGS,
        f"MAX_FOOTNOTES = {rendering.MAX_FOOTNOTES}": "\n\n".join(
            f"Claim[^{n}]." for n in range(rendering.MAX_FOOTNOTES // 2)
        )
        + "\n\n"
        + "".join(f"[^{n}]: note {n}\n" for n in range(rendering.MAX_FOOTNOTES // 2)),
        "worst mix in 16 KB (converted in place)": (
            ("## Same heading\n\n" * 300)
            + " ".join(f"[[P{n}]]" for n in range(900))
            + "\n\n"
            + "[ " * 60
            + "w" * 5000
        )[: 16 * 1024],
    }
    for name, body in at_limit.items():
        rendering.check_markup(body)
        started = time.perf_counter()
        rendering.render_markdown(body)
        rows.append([f"render at {name}", f"{(time.perf_counter() - started) * 1000:.0f} ms"])
    return rows


def main() -> None:
    workdir = Path(tempfile.mkdtemp(prefix="kcr-hostile-"))
    try:
        env = environment(workdir)
        prepare(env)
        modes = os.environ.get("WORKER_MODES", "sync,gthread").split(",")
        rows = [["workers", "request", "time", "status", "target"]]
        for mode in modes:
            rows.extend(run_mode(env, mode.strip()))
        print(table(rows))
        print()
        print(table([["figure", "value"], *job_and_limit_figures(env)]))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
