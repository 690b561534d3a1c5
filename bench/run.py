"""KCR Wiki benchmarks: `make bench` (PAGES=10000 for the large run).

Imports a generated corpus through `importpages` into a database of its own,
serves the project under gunicorn with `make serve` settings (DEBUG off, 2
workers) and a "floor" (a trivial Django view serving the same bytes from
memory under the same gunicorn and middleware), then measures each figure
three times and prints the median, with throughput also as a ratio to the
floor. Uses DATABASE_URL / REDIS_URL when set (the benchmark database is
`<name>_bench` beside the configured one); otherwise an SQLite file in var/.
"""

import html.parser
import http.cookiejar
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.corpus import COMMON_WORD, RARE_WORD, title_for, write_corpus  # noqa: E402
from bench.proxy_bench import proxy_rows  # noqa: E402

PYTHON = sys.executable
GUNICORN = str(Path(PYTHON).parent / "gunicorn")
PAGES = int(os.environ.get("PAGES", "1000"))
DURATION = int(os.environ.get("BENCH_SECONDS", "5"))
CONNECTIONS = 16
REPEATS = 3
APP_PORT, FLOOR_PORT = 8711, 8712
MODERATOR, PASSWORD = "bench-moderator", "bench-password-not-secret-42"


def bench_database_url() -> str:
    configured = os.environ.get("DATABASE_URL", "")
    if configured.startswith(("postgres://", "postgresql://")):
        parsed = urllib.parse.urlparse(configured)
        name = parsed.path.lstrip("/") + "_bench"
        return urllib.parse.urlunparse(parsed._replace(path="/" + name))
    return f"sqlite:///{ROOT / 'var' / 'bench' / f'bench-{PAGES}.sqlite3'}"


def server_env() -> dict:
    env = {
        **os.environ,
        "DATABASE_URL": bench_database_url(),
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "bench-only-secret-key-not-for-production",
        "DJANGO_HTTPS": "0",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_LOG_LEVEL": "WARNING",
        "CACHE_KEY_PREFIX": "kcr-bench",
    }
    return env


def manage(*args, stdin=None):
    return subprocess.run(
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env=server_env(),
        input=stdin,
        text=True,
        check=True,
        capture_output=True,
    ).stdout


def clear_bench_cache() -> None:
    """Forget what an earlier run left in Redis (only the benchmark's own
    keys), so "cold" figures are cold. A local-memory cache starts empty."""
    if not os.environ.get("REDIS_URL"):
        return
    import redis

    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    prefix = server_env()["CACHE_KEY_PREFIX"]
    for key in client.scan_iter(match=f"{prefix}:*", count=1000):
        client.delete(key)


def prepare_database() -> str:
    """Create the benchmark database and import the corpus (once per size)."""
    url = bench_database_url()
    marker = ROOT / "var" / "bench" / f"imported-{PAGES}-{re.sub(r'[^a-z0-9]+', '_', url)}"
    if marker.exists():
        return "(corpus already imported)"
    marker.parent.mkdir(parents=True, exist_ok=True)
    if url.startswith("sqlite"):
        Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
    else:
        parsed = urllib.parse.urlparse(url)
        admin = urllib.parse.urlunparse(parsed._replace(path="/postgres"))
        name = parsed.path.lstrip("/")
        for statement in (f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"'):
            subprocess.run(["psql", admin, "-q", "-c", statement], check=True)
    manage("migrate", "--noinput")
    corpus = Path(tempfile.gettempdir()) / f"kcr-bench-corpus-{PAGES}.jsonl"
    write_corpus(corpus, PAGES)
    started = time.perf_counter()
    manage("importpages", str(corpus))
    elapsed = time.perf_counter() - started
    manage("createmoderator", MODERATOR, stdin=PASSWORD + "\n")
    marker.write_text("ok")
    return f"imported {PAGES} pages + 4 special pages in {elapsed:.1f} s"


class Server:
    def __init__(self, port, settings_module, extra_env=None):
        self.port = port
        env = {**server_env(), "DJANGO_SETTINGS_MODULE": settings_module, **(extra_env or {})}
        self.process = subprocess.Popen(
            [
                GUNICORN,
                "kcr.wsgi",
                "--workers",
                "2",
                "--bind",
                f"127.0.0.1:{port}",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
        )
        self.wait_until_up()

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def wait_until_up(self):
        for _ in range(100):
            try:
                urllib.request.urlopen(self.url("/healthz"), timeout=2)  # noqa: S310
                return
            except urllib.error.HTTPError:
                return  # answering (the floor has no /healthz)
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"server on port {self.port} did not start")

    def worker_rss_mb(self) -> list[float]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        sizes = []
        for pid in children.read_text().split():
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    sizes.append(int(line.split()[1]) / 1024)
        return sizes

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)


def wrk(url, paths=None):
    """Requests/s, p50 ms, p99 ms and errors from one wrk run."""
    args = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{DURATION}s", "--latency", url]
    script = None
    if paths:
        script = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
        script.write(
            "paths = {" + ",".join(json.dumps(p) for p in paths) + "}\n"
            "counter = 0\n"
            "request = function()\n"
            "  counter = counter + 1\n"
            "  return wrk.format('GET', paths[(counter % #paths) + 1])\n"
            "end\n"
        )
        script.close()
        args[1:1] = ["-s", script.name]
    output = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    if script:
        os.unlink(script.name)

    def latency(percent):
        match = re.search(rf"^\s*{percent}%\s+([\d.]+)(us|ms|s)\s*$", output, re.M)
        value, unit = float(match.group(1)), match.group(2)
        return value * {"us": 0.001, "ms": 1, "s": 1000}[unit]

    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", output))
    socket = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    if socket:
        errors += sum(int(n) for n in socket.groups())
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    return rate, latency(50), latency(99), errors


def measure(url, paths=None):
    """The median of ``REPEATS`` wrk runs against ``url`` (over ``paths``)."""
    return median_of([wrk(url, paths) for _ in range(REPEATS)])


def median_of(runs):
    return [statistics.median(values) for values in zip(*runs, strict=True)]


def timed_gets(opener, url, count):
    times = []
    for _ in range(count):
        started = time.perf_counter()
        with opener.open(url, timeout=60) as response:
            response.read()
        times.append((time.perf_counter() - started) * 1000)
    return times


class FormFields(html.parser.HTMLParser):
    """The named fields a browser would post from a page's forms."""

    def __init__(self):
        super().__init__()
        self.fields, self._textarea, self._select = {}, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type") not in {"submit", "checkbox"}:
            self.fields[name] = attrs.get("value", "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.fields[name] = ""
        elif tag == "select" and name:
            self._select = name
        elif (
            tag == "option"
            and self._select
            and ("selected" in attrs or self._select not in self.fields)
        ):
            # The selected option, else the first one.
            self.fields[self._select] = attrs.get("value", "")

    def handle_data(self, data):
        if self._textarea:
            self.fields[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None


def moderator_opener(server):
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.open(server.url("/accounts/login/")).read()
    token = next(cookie.value for cookie in jar if cookie.name == "csrftoken")
    data = urllib.parse.urlencode(
        {"username": MODERATOR, "password": PASSWORD, "csrfmiddlewaretoken": token}
    ).encode()
    opener.open(urllib.request.Request(server.url("/accounts/login/"), data=data)).read()
    return opener, jar


def edit_save_times(server, count=10):
    opener, jar = moderator_opener(server)
    times = []
    for index in range(count):
        page = opener.open(server.url("/wiki/Bench_edit/edit/")).read().decode()
        parser = FormFields()
        parser.feed(page)
        fields = parser.fields
        fields["body"] = f"Bench edit number {index} at {time.time()}.\n"
        fields["summary"] = "bench"
        fields["csrfmiddlewaretoken"] = next(c.value for c in jar if c.name == "csrftoken")
        request = urllib.request.Request(
            server.url("/wiki/Bench_edit/edit/"), data=urllib.parse.urlencode(fields).encode()
        )
        started = time.perf_counter()
        opener.open(request).read()
        times.append((time.perf_counter() - started) * 1000)
    return times


def revision_ids(opener, server, slug):
    page = opener.open(server.url(f"/wiki/{slug}/history/")).read().decode()
    return sorted({int(n) for n in re.findall(rf"/wiki/{re.escape(slug)}/revisions/(\d+)/", page)})


def table(rows):
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for number, row in enumerate(rows):
        lines.append(
            "| " + " | ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)) + " |"
        )
        if number == 0:
            lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def main():
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed. Install it with: sudo apt-get install wrk")
    print(
        f"KCR Wiki benchmark: {PAGES} pages, database {bench_database_url().split('@')[-1]}, "
        f"cache {'Redis' if os.environ.get('REDIS_URL') else 'local memory'}"
    )
    print(prepare_database())
    clear_bench_cache()
    hot_slug = title_for(1).replace(" ", "_")
    rotating = [f"/wiki/{title_for(n).replace(' ', '_')}/" for n in range(PAGES) if n % 10 != 9]
    rotating = rotating[:200]
    # Every tenth corpus page is a redirect.
    redirects = [f"/wiki/{title_for(n).replace(' ', '_')}/" for n in range(9, PAGES, 10)][:200]

    app = Server(APP_PORT, "kcr.settings")
    opener = urllib.request.build_opener()
    page_file = Path(tempfile.gettempdir()) / "kcr-bench-floor.html"
    page_file.write_bytes(opener.open(app.url(f"/wiki/{hot_slug}/")).read())
    floor = Server(FLOOR_PORT, "bench.floor_settings", {"FLOOR_PAGE_FILE": str(page_file)})
    rows = [("measure", "req/s", "ratio to floor", "p50 ms", "p99 ms", "errors")]
    try:
        for path in rotating + redirects:  # warm every app server's cache once
            opener.open(app.url(path)).read()
        rss_start = app.worker_rss_mb()
        floor_rate, *floor_rest = median_of([wrk(floor.url("/floor/")) for _ in range(REPEATS)])
        rows.append(
            (
                "floor: same bytes from memory",
                f"{floor_rate:.0f}",
                "1.00",
                f"{floor_rest[0]:.1f}",
                f"{floor_rest[1]:.1f}",
                f"{floor_rest[2]:.0f}",
            )
        )
        cases = [
            ("page view, one hot page", app.url(f"/wiki/{hot_slug}/"), None),
            ("page view, rotating over 200", app.url("/"), rotating),
            ("via redirect, one hot page", app.url(redirects[0]), None),
            ("via redirect, rotating over 200", app.url("/"), redirects),
        ]
        for name, url, paths in cases:
            rate, p50, p99, errors = median_of([wrk(url, paths) for _ in range(REPEATS)])
            rows.append(
                (
                    name,
                    f"{rate:.0f}",
                    f"{rate / floor_rate:.2f}",
                    f"{p50:.1f}",
                    f"{p99:.1f}",
                    f"{errors:.0f}",
                )
            )
        print(table(rows))
        print()
        # Through Varnish, the app servers idle: target >= 0.50 of nginx.
        hot_path = f"/wiki/{hot_slug}/"
        print(table(proxy_rows(measure, APP_PORT, page_file, hot_path, rotating)))
        print()

        single = [("measure", "median ms", "p95 ms", "target")]

        def add(name, runs, target):
            values = [statistics.median(run) for run in runs]
            p95s = [statistics.quantiles(run, n=20)[-1] if len(run) > 1 else run[0] for run in runs]
            single.append(
                (name, f"{statistics.median(values):.1f}", f"{statistics.median(p95s):.1f}", target)
            )

        for word, target in ((COMMON_WORD, "<= 20 ms"), (RARE_WORD, "<= 10 ms")):
            url = app.url("/search/?" + urllib.parse.urlencode({"q": word}))
            add(
                f"search '{word}' ({PAGES} pages)",
                [timed_gets(opener, url, 30) for _ in range(REPEATS)],
                target,
            )
        add(
            "history, 10,000 revisions",
            [
                timed_gets(opener, app.url("/wiki/Bench_history/history/"), 20)
                for _ in range(REPEATS)
            ],
            "<= 50 ms",
        )
        add(
            "save an edit, 1,000 revisions",
            [edit_save_times(app) for _ in range(REPEATS)],
            "<= 100 ms",
        )
        first, second = revision_ids(opener, app, "Bench_big_page")[:2]
        add(
            "diff of two 1 MB revisions",
            [
                timed_gets(opener, app.url(f"/wiki/Bench_big_page/diff/{first}/{second}/"), 3)
                for _ in range(REPEATS)
            ],
            "<= 500 ms",
        )
        pdf_revisions = revision_ids(opener, app, "Bench_PDF_page")
        add(
            "PDF of a 10 KB page, cold",
            [
                timed_gets(opener, app.url(f"/wiki/Bench_PDF_page/revisions/{revision}/pdf/"), 1)
                for revision in pdf_revisions[:REPEATS]
            ],
            "",
        )
        add(
            "PDF of a 10 KB page, cached",
            [timed_gets(opener, app.url("/wiki/Bench_PDF_page/pdf/"), 20) for _ in range(REPEATS)],
            "<= 10 ms",
        )
        print(table(single))
        print()
        rss_end = app.worker_rss_mb()
        print(
            "worker RSS MB after warm-up: "
            + ", ".join(f"{v:.0f}" for v in rss_start)
            + "; after the runs: "
            + ", ".join(f"{v:.0f}" for v in rss_end)
            + " (target <= 120 MB and flat)"
        )
    finally:
        app.stop()
        floor.stop()


if __name__ == "__main__":
    main()
