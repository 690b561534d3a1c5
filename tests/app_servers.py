"""A whole site of a test's own, for the fault tests: its own database (a
SQLite file, or a PostgreSQL cluster the test starts and stops), migrated,
with the demo pages and a moderator, served by gunicorn with the production
settings. Nothing here touches the machine's own PostgreSQL or Redis."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from tests import test_two_servers as two_servers
from tests.edit_data import edit_data
from tests.proxies import LoggedProcess, free_port
from tests.test_two_servers import BASE_DIR, GUNICORN, PASSWORD, Browser, csrf_token

POSTGRES_BIN = Path(os.environ.get("KCR_POSTGRES_BIN", "/usr/lib/postgresql/15/bin"))
HAVE_POSTGRES_SERVER = (POSTGRES_BIN / "initdb").exists()
SITE_URL = "http://wiki.test"
MODERATOR = "moderator"
SETUP_SECONDS = 300


def _as_postgres() -> dict:
    """Popen arguments that run a command as the postgres user when this is
    root (PostgreSQL refuses to run as root)."""
    return {"user": "postgres", "group": "postgres"} if os.geteuid() == 0 else {}


class PostgresCluster(LoggedProcess):
    """A PostgreSQL server of the test's own: a new cluster in a temporary
    directory, on a free port, stopped and started again at will."""

    name = "postgres"

    def __init__(self, log_path: Path):
        self.directory = Path(tempfile.mkdtemp(prefix="kcr-test-pg-"))
        if os.geteuid() == 0:
            shutil.chown(self.directory, "postgres", "postgres")
        self.data = self.directory / "data"
        subprocess.run(
            [str(POSTGRES_BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres"]
            + ["--no-sync", "--no-instructions"],
            check=True,
            capture_output=True,
            timeout=SETUP_SECONDS,
            **_as_postgres(),
        )
        self.log_file = log_path
        self._start(free_port())

    def _start(self, port: int) -> None:
        command = [str(POSTGRES_BIN / "postgres"), "-D", str(self.data), "-p", str(port)]
        command += ["-k", str(self.directory), "-c", "listen_addresses=127.0.0.1"]
        command += ["-c", "fsync=off", "-c", "max_connections=40"]
        super().__init__(command, self.log_file, port, **_as_postgres())
        self.wait_until_ready()

    def answers(self) -> bool:
        done = subprocess.run(
            [str(POSTGRES_BIN / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port), "-q"],
            timeout=10,
        )
        return done.returncode == 0

    def database_url(self, name: str = "kcr") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def create_database(self, name: str = "kcr") -> str:
        subprocess.run(
            [str(POSTGRES_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(self.port)]
            + ["-U", "postgres", name],
            check=True,
            timeout=60,
        )
        return self.database_url(name)

    def stop(self) -> None:
        """A fast shutdown (SIGINT): open sessions are ended, as in a restart."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            self.process.wait(timeout=60)
        self.log.close()

    def start(self) -> None:
        self.log_file = self.log_file.with_name(self.log_file.stem + "-again.log")
        self._start(self.port)

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)


def site_environment(database_url: str, **extra: str) -> dict:
    """The production settings for a site on ``database_url``, no Redis
    unless ``extra`` names one."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"REDIS_URL", "KCR_PURGE_URLS", "CACHE_KEY_PREFIX"}
    }
    environment.update(
        {
            "DATABASE_URL": database_url,
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": "fault-tests-only-secret-key-0123456789abcdef",
            "DJANGO_HTTPS": "0",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "DJANGO_SITE_URL": SITE_URL,
            "DJANGO_LOG_LEVEL": "WARNING",
            **extra,
        }
    )
    return environment


def manage(environment: dict, *args: str, stdin: str | None = None) -> None:
    subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=environment,
        input=stdin,
        text=True,
        check=True,
        capture_output=True,
        timeout=SETUP_SECONDS,
    )


def prepare_site(environment: dict) -> None:
    """Migrate the site's database, load the demo pages and add a moderator
    (password ``PASSWORD``)."""
    manage(environment, "migrate", "--noinput")
    manage(environment, "loaddemo")
    manage(environment, "createmoderator", MODERATOR, stdin=PASSWORD + "\n")
    static_root = Path(environment.get("DJANGO_STATIC_ROOT") or Path(BASE_DIR) / "staticfiles")
    if not (static_root / "staticfiles.json").exists():
        manage(environment, "collectstatic", "--noinput", "--verbosity", "0")


class SiteServer(LoggedProcess):
    """gunicorn serving the site with ``environment``, as `make serve` does."""

    name = "gunicorn"

    def __init__(self, environment: dict, log_path: Path, workers: int = 2):
        port = free_port()
        command = [str(GUNICORN), "kcr.wsgi", "-c", "kcr/gunicorn.conf.py"]
        command += ["--workers", str(workers), "--bind", f"127.0.0.1:{port}"]
        super().__init__(command, log_path, port, cwd=BASE_DIR, env=environment)

    def answers(self) -> bool:
        return Browser().request(self.url + "/healthz")[0] == 200


def log_in(browser: Browser, server: SiteServer, username: str = MODERATOR) -> None:
    two_servers.log_in(browser, server, username)


def edit_form(browser: Browser, server: SiteServer, title: str) -> dict:
    """The fields a save of ``title`` posts, from its edit form, bar the
    body: the base revision and the CSRF token."""
    status, _headers, form = browser.request(f"{server.url}/wiki/{title}/edit/")
    assert status == 200, status
    base_revision = re.search(r'name="base_revision" value="(\d+)"', form).group(1)
    return {"base_revision": base_revision, "csrfmiddlewaretoken": csrf_token(form)}


def save(browser: Browser, server: SiteServer, title: str, form: dict, body: str):
    data = edit_data(body, form["base_revision"], summary="fault test")
    data.update({"csrfmiddlewaretoken": form["csrfmiddlewaretoken"], "save": "1"})
    return browser.request(f"{server.url}/wiki/{title}/edit/", data)
