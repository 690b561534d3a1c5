"""When the database cannot serve (PostgreSQL stopped or restarting, SQLite
locked by another writer, the disk full) a request answers 503 with
``Retry-After`` and a plain message, never a 500; a failed save keeps no part
of itself and shows the moderator what they typed; readers keep reading
what can be read; and the app servers reconnect by themselves.

The servers here are gunicorn with the production settings over a database
of the test's own (a SQLite file, or a PostgreSQL cluster the test starts
and stops), never the machine's.
"""

from __future__ import annotations

import errno
import os
import sqlite3
import subprocess
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from django.test import RequestFactory

from tests.app_servers import (
    HAVE_POSTGRES_SERVER,
    SITE_URL,
    PostgresCluster,
    SiteServer,
    edit_form,
    log_in,
    prepare_site,
    save,
    site_environment,
)
from tests.proxies import wait_until
from tests.test_redis_down import RedisServer
from tests.test_two_servers import Browser
from wiki.faults import server_error, unavailable_part

READING_URLS = [
    "/wiki/Interleukin-2/",
    "/wiki/Proleukin/",
    "/wiki/Interleukin-2/?from=list",  # never from the page memo
    "/",
    "/pages/",
    "/search/?q=immune",
]
TYPED = "Text the moderator typed while the database was away."


# Which failures are faults (503) and which are bugs (500).


@pytest.mark.parametrize(
    ("exception", "part"),
    [
        (sqlite3.OperationalError("database is locked"), "database"),
        (sqlite3.OperationalError("database or disk is full"), "disk"),
        (sqlite3.OperationalError("disk I/O error"), "database"),
        (sqlite3.OperationalError("no such table: wiki_page"), None),
        (psycopg.OperationalError("connection refused"), "database"),
        (psycopg.errors.AdminShutdown("terminating connection"), "database"),
        (psycopg.errors.CannotConnectNow("the database system is starting up"), "database"),
        (psycopg.errors.DiskFull("could not extend file"), "disk"),
        (psycopg.errors.UndefinedTable("relation does not exist"), None),
        (psycopg.errors.UniqueViolation("duplicate key"), None),
        (OSError(errno.ENOSPC, "No space left on device"), "disk"),
        (OSError(errno.ENOENT, "No such file"), None),
        (ValueError("a bug"), None),
    ],
)
def test_a_failure_is_a_fault_only_when_a_part_cannot_serve(exception, part):
    assert unavailable_part(exception) == part


def test_a_fault_under_a_django_database_error_is_found_through_its_cause():
    from django.db import OperationalError

    try:
        try:
            raise psycopg.OperationalError("server closed the connection unexpectedly")
        except psycopg.OperationalError as error:
            raise OperationalError(*error.args) from error
    except OperationalError as wrapped:
        assert unavailable_part(wrapped) == "database"


def _answer_to(exception: BaseException, request):
    try:
        raise exception
    except BaseException:
        return server_error(request)


def test_server_error_answers_503_with_retry_after_for_a_fault_and_500_for_a_bug():
    request = RequestFactory().get("/wiki/Interleukin-2/")
    fault = _answer_to(sqlite3.OperationalError("database is locked"), request)
    assert fault.status_code == 503
    assert fault["Retry-After"] == "10"
    assert fault["Cache-Control"] == "no-store"
    assert b"try again in 10 seconds" in fault.content
    bug = _answer_to(ZeroDivisionError(), request)
    assert bug.status_code == 500
    assert "Retry-After" not in bug


def test_a_failed_save_says_nothing_was_saved_and_shows_the_text_typed():
    request = RequestFactory().post(
        "/wiki/Interleukin-2/edit/", {"body": "<b>" + TYPED, "summary": "a summary"}
    )
    response = _answer_to(sqlite3.OperationalError("database is locked"), request)
    assert response.status_code == 503
    html = response.content.decode()
    assert "Nothing was saved" in html
    assert "&lt;b&gt;" + TYPED in html  # shown as text, escaped
    assert "readonly" in html


# SQLite: another writer holds the database.


@contextmanager
def sqlite_site_at(database: Path, log_path: Path):
    """A site on the SQLite file ``database`` (made here), waiting at most 1 s
    for a lock, served until the body ends."""
    environment = site_environment(f"sqlite:///{database}", DATABASE_BUSY_TIMEOUT="1")
    prepare_site(environment)
    server = SiteServer(environment, log_path)
    try:
        server.wait_until_ready()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def sqlite_site(tmp_path_factory):
    directory = tmp_path_factory.mktemp("sqlite-site")
    database = directory / "db.sqlite3"
    with sqlite_site_at(database, directory / "gunicorn.log") as server:
        yield server, database


@contextmanager
def writer_holding(database: Path):
    """Another process's write transaction on ``database`` for the body."""
    holder = sqlite3.connect(database, isolation_level=None, timeout=5)
    holder.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def _count(database: Path, sql: str) -> int:
    with sqlite3.connect(database) as reader:
        return reader.execute(sql).fetchone()[0]


def test_readers_keep_reading_while_another_writer_holds_sqlite(sqlite_site):
    server, database = sqlite_site
    reader = Browser()
    with writer_holding(database):
        for url in READING_URLS:
            status, _headers, _html = reader.request(server.url + url)
            assert status == 200, url


def test_a_vote_while_sqlite_is_locked_answers_503_then_counts_once_it_is_free(sqlite_site):
    server, database = sqlite_site
    votes_before = _count(database, "SELECT count(*) FROM wiki_vote")
    vote = {"useful": "yes"}
    with writer_holding(database):
        status, headers, html = Browser().request(
            server.url + "/wiki/Interleukin-2/vote/", vote, {"Origin": SITE_URL}
        )
    assert status == 503
    assert headers["Retry-After"] == "10"
    assert "Nothing was saved" in html
    assert _count(database, "SELECT count(*) FROM wiki_vote") == votes_before
    status, _headers, _html = Browser().request(
        server.url + "/wiki/Interleukin-2/vote/", vote, {"Origin": SITE_URL}
    )
    assert status == 302
    assert _count(database, "SELECT count(*) FROM wiki_vote") == votes_before + 1


def test_a_save_while_sqlite_is_locked_keeps_nothing_and_shows_the_text(sqlite_site):
    server, database = sqlite_site
    moderator = Browser()
    log_in(moderator, server)
    form = edit_form(moderator, server, "Interleukin-2")
    revisions = _count(database, "SELECT count(*) FROM wiki_revisioninfo")
    with writer_holding(database):
        status, headers, html = save(moderator, server, "Interleukin-2", form, TYPED)
    assert status == 503
    assert headers["Retry-After"] == "10"
    assert "Nothing was saved" in html and TYPED in html
    assert _count(database, "SELECT count(*) FROM wiki_revisioninfo") == revisions
    status, _headers, _html = save(moderator, server, "Interleukin-2", form, TYPED)
    assert status == 302
    assert TYPED in Browser().request(server.url + "/wiki/Interleukin-2/")[2]


# The disk under a SQLite database fills up.


@pytest.fixture
def small_disk(tmp_path):
    """A 24 MB tmpfs of the test's own (needs root, as in CI)."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def fill(directory: Path) -> Path:
    """Fill the disk under ``directory`` to the last byte."""
    filler = directory / "filler"
    with filler.open("wb", buffering=0) as handle:
        for size in (1024 * 1024, 4096, 1):
            try:
                while True:
                    handle.write(b"\0" * size)
            except OSError as error:
                assert error.errno == errno.ENOSPC
    return filler


def test_a_full_disk_answers_a_save_with_503_and_readers_keep_reading(small_disk, tmp_path):
    database = small_disk / "db.sqlite3"
    with sqlite_site_at(database, tmp_path / "gunicorn.log") as server:
        moderator = Browser()
        log_in(moderator, server)
        form = edit_form(moderator, server, "Interleukin-2")
        revisions = _count(database, "SELECT count(*) FROM wiki_revisioninfo")
        filler = fill(small_disk)
        # Longer than the write-ahead log holds already, so it needs new space.
        body = (TYPED + " ") * 4000
        status, headers, html = save(moderator, server, "Interleukin-2", form, body)
        assert status == 503, server.log_tail()
        assert headers["Retry-After"] == "10"
        assert "Nothing was saved" in html and "disk is full" in html
        for url in READING_URLS:
            assert Browser().request(server.url + url)[0] == 200, url
        filler.unlink()
        assert _count(database, "SELECT count(*) FROM wiki_revisioninfo") == revisions
        status, _headers, _html = save(moderator, server, "Interleukin-2", form, body)
        assert status == 302


# PostgreSQL stops and starts again under load.

requires_postgres_server = pytest.mark.skipif(
    not HAVE_POSTGRES_SERVER and not os.environ.get("KCR_REQUIRE_SERVICES"),
    reason="PostgreSQL's server programs are not installed",
)


class PostgresSite:
    def __init__(self, directory: Path):
        self.directory = directory
        self.cluster = PostgresCluster(directory / "postgres.log")
        self.redis = RedisServer(directory / "redis.log")
        self.redis.wait_until_ready()
        environment = site_environment(
            self.cluster.create_database(),
            REDIS_URL=f"redis://127.0.0.1:{self.redis.port}/0",
        )
        prepare_site(environment)
        self.server = SiteServer(environment, directory / "gunicorn.log")
        self.server.wait_until_ready()

    def count(self, sql: str) -> int:
        with psycopg.connect(self.cluster.database_url(), connect_timeout=5) as database:
            return database.execute(sql).fetchone()[0]

    def restart_redis(self) -> None:
        self.redis.stop()
        self.redis = RedisServer(self.directory / "redis-again.log", port=self.redis.port)
        self.redis.wait_until_ready()

    def close(self) -> None:
        self.server.stop()
        self.redis.stop()
        self.cluster.remove()


@pytest.fixture(scope="module")
def postgres_site(tmp_path_factory):
    site = PostgresSite(tmp_path_factory.mktemp("postgres-site"))
    try:
        yield site
    finally:
        site.close()


@contextmanager
def postgres_stopped(site: PostgresSite):
    site.cluster.stop()
    try:
        yield
    finally:
        site.cluster.start()


def all_read(site: PostgresSite) -> bool:
    reader = Browser()
    return all(reader.request(site.server.url + url)[0] == 200 for url in READING_URLS)


class Readers:
    """Threads reading ``READING_URLS`` round and round, noting each status."""

    def __init__(self, site: PostgresSite, count: int = 4):
        self.url = site.server.url
        # (when the request started, URL, status, headers)
        self.answers: list[tuple[float, str, int, dict]] = []
        self.running = True
        self.threads = [threading.Thread(target=self._read, daemon=True) for _ in range(count)]

    def _read(self) -> None:
        reader = Browser()
        while self.running:
            for url in READING_URLS:
                started = time.monotonic()
                status, headers, _html = reader.request(self.url + url)
                self.answers.append((started, url, status, headers))

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc_info):
        self.running = False
        for thread in self.threads:
            thread.join(timeout=30)


@pytest.mark.postgres
@requires_postgres_server
def test_a_postgres_restart_under_load_answers_503_never_500_and_servers_reconnect(
    postgres_site,
):
    site = postgres_site
    assert all_read(site)
    with Readers(site) as readers:
        time.sleep(1)
        with postgres_stopped(site):
            time.sleep(3)
            status, _headers, body = Browser().request(site.server.url + "/healthz?ready=1")
            assert status == 503
            assert '"database": "down"' in body and '"status": "down"' in body
        # Back (it answers): every server reconnects by itself, with no
        # restart and no request failing on a connection from before.
        back = time.monotonic()
        time.sleep(2)
    statuses = {status for _started, _url, status, _headers in readers.answers}
    assert statuses <= {200, 503}, sorted(statuses)
    unavailable = [answer for answer in readers.answers if answer[2] == 503]
    assert unavailable, "no request fell in the outage"
    assert all(headers["Retry-After"] == "10" for *_rest, headers in unavailable)
    after = [(url, status) for started, url, status, _headers in readers.answers if started > back]
    assert after and all(status == 200 for _url, status in after), after
    status, _headers, body = Browser().request(site.server.url + "/healthz?ready=1")
    assert status == 200 and '"status": "ok"' in body


@pytest.mark.postgres
@requires_postgres_server
def test_a_save_during_a_postgres_outage_keeps_nothing_and_shows_the_text(postgres_site):
    site = postgres_site
    moderator = Browser()
    log_in(moderator, site.server)
    form = edit_form(moderator, site.server, "Interleukin-2")
    revisions = site.count("SELECT count(*) FROM wiki_revisioninfo")
    with postgres_stopped(site):
        status, headers, html = save(moderator, site.server, "Interleukin-2", form, TYPED)
        assert status == 503
        assert headers["Retry-After"] == "10"
        assert "Nothing was saved" in html and TYPED in html
    assert site.count("SELECT count(*) FROM wiki_revisioninfo") == revisions
    status, _headers, _html = save(moderator, site.server, "Interleukin-2", form, TYPED)
    assert status == 302
    assert TYPED in Browser().request(site.server.url + "/wiki/Interleukin-2/")[2]


@pytest.mark.postgres
@requires_postgres_server
def test_with_postgres_and_redis_down_a_reader_gets_the_kept_copy_as_a_503(postgres_site):
    site = postgres_site
    reader = Browser()
    # Each of the two workers keeps the page from its second view of it.
    for _ in range(12):
        status, _headers, kept = reader.request(site.server.url + "/wiki/Interleukin-2/")
        assert status == 200
    site.redis.stop()
    try:
        with postgres_stopped(site):
            answers = [reader.request(site.server.url + "/wiki/Interleukin-2/") for _ in range(6)]
            never_read = reader.request(site.server.url + "/wiki/Interleukin-21/")
    finally:
        site.restart_redis()
    assert {status for status, _headers, _html in answers} == {503}
    assert all(headers["Retry-After"] == "10" for _status, headers, _html in answers)
    assert all(html == kept for _status, _headers, html in answers)
    status, headers, html = never_read
    assert status == 503 and headers["Retry-After"] == "10"
    assert "cannot show this page just now" in html
    wait_until(lambda: all_read(site), timeout=15, message="reading after the restart")


def _read_at_once(site: PostgresSite, url: str, count: int = 16) -> list[int]:
    """Statuses of ``count`` reads of ``url`` sent at once (so that every
    worker thread serves some)."""
    statuses: list[int] = []
    threads = [
        threading.Thread(
            target=lambda: statuses.append(Browser().request(site.server.url + url)[0])
        )
        for _ in range(count)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return statuses


@pytest.mark.postgres
@requires_postgres_server
def test_after_a_quick_postgres_restart_no_read_fails_on_a_connection_from_before(
    postgres_site,
):
    site = postgres_site
    url = "/wiki/Interleukin-2/?from=list"  # the page's own query, not the memo
    assert set(_read_at_once(site, url)) == {200}
    with postgres_stopped(site):
        pass  # no request while it is down: the servers' connections are stale
    assert set(_read_at_once(site, url)) == {200}
