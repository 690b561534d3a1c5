"""Losing Redis costs speed, never the site: with the cache's Redis stopped
(refusing connections) or frozen (accepting them and never answering),
readers get every page from the database, votes and log-in keep working,
login throttling keeps counting, no request waits long, and everything
resumes when Redis is back, with the views counted meanwhile.

Each test runs its own redis-server on a free port (never the machine's),
with the production cache settings pointed at it.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import threading
import time
from pathlib import Path

import pytest
from axes.handlers.proxy import AxesProxyHandler
from django.core.management import call_command

from tests.clients import browser_client
from tests.conftest import PASSWORD
from tests.proxies import LoggedProcess, free_port
from wiki import page_views
from wiki.models import PageViewDay, ProblemReport, Vote
from wiki.redis_breaker import breaker

pytestmark = [pytest.mark.redis]

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
# Generous for a busy CI machine: without timeouts a frozen Redis holds a
# request for ever, and without the breaker each of its cache calls waits.
SLOWEST_REQUEST_SECONDS = 0.3
# Through a real gunicorn server over HTTP, on a CI machine running both test
# legs at once: more besides Redis's one timeout (0.1 s). Without the
# timeouts and the breaker each request would wait LONGEST_FREEZE_SECONDS.
SLOWEST_SERVER_REQUEST_SECONDS = 0.5
# A test's Redis is frozen for at most this long, so that code without
# timeouts finishes (slowly) instead of hanging the test run.
LONGEST_FREEZE_SECONDS = 5
ATTACKER = "81.2.69.160"
OWNER = "203.0.113.7"
READING_URLS = [
    "/wiki/Interleukin-2/",
    "/wiki/Proleukin/",  # a redirect
    "/wiki/Interleukin-2/?redirect=no",
    "/",
    "/search/?q=immune",
    "/pages/",
    "/articles/",
    "/sitemap.xml",
    "/recent-changes/",
]


class RedisServer(LoggedProcess):
    """redis-server on its own port, nothing saved to disk."""

    name = "redis-server"

    def __init__(self, log_path: Path, port: int | None = None):
        port = port or free_port()
        command = [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no", "--dir", str(log_path.parent)]
        super().__init__(command, log_path, port)

    def answers(self) -> bool:
        with socket.create_connection(("127.0.0.1", self.port), timeout=1) as connection:
            connection.settimeout(1)
            connection.sendall(b"PING\r\n")
            return connection.recv(16).startswith(b"+PONG")

    def freeze(self) -> None:
        os.kill(self.process.pid, signal.SIGSTOP)
        thaw = threading.Timer(LONGEST_FREEZE_SECONDS, self.thaw)
        thaw.daemon = True
        thaw.start()

    def thaw(self) -> None:
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGCONT)

    def stop(self) -> None:
        self.thaw()
        super().stop()


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(tmp_path / "redis.log")
    server.replacements = []  # started by restart(): stopped here too
    server.wait_until_ready()
    yield server
    for replacement in server.replacements:
        replacement.stop()
    server.stop()


@pytest.fixture
def cache_on_test_redis(settings, redis_server):
    """The production cache settings, pointed at this test's Redis."""
    url = f"redis://127.0.0.1:{redis_server.port}/0"
    live = (settings.REDIS_URL, settings.CACHES)
    settings.REDIS_URL = url
    settings.CACHES = {
        alias: {**config, "LOCATION": url} for alias, config in settings.CACHES.items()
    }
    breaker.reset()
    # django-axes keeps one handler, holding the cache it was made with.
    AxesProxyHandler.get_implementation(force=True)
    yield redis_server
    settings.REDIS_URL, settings.CACHES = live
    breaker.reset()
    AxesProxyHandler.get_implementation(force=True)


def restart(server: RedisServer, tmp_path: Path) -> RedisServer:
    """``server`` stopped, and a new one on its port (empty, as a restarted
    Redis without persistence is)."""
    server.stop()
    again = RedisServer(tmp_path / "redis-again.log", port=server.port)
    again.wait_until_ready()
    server.replacements.append(again)
    return again


@pytest.fixture
def pages(make_page):
    page = make_page("Interleukin-2", "Interleukin-2 is an immune messenger.")
    make_page("Proleukin", "#REDIRECT [[Interleukin-2]]\n")
    return page


def read_everything(client) -> None:
    for url in READING_URLS:
        response = client.get(url)
        assert response.status_code == 200, url


def test_readers_get_every_page_with_redis_stopped(cache_on_test_redis, pages, client):
    read_everything(client)  # warm: the cache and the page memo hold them
    read_everything(client)
    cache_on_test_redis.stop()
    read_everything(client)
    assert "immune messenger" in client.get("/wiki/Proleukin/").content.decode()


def test_readers_get_every_page_with_redis_frozen_and_none_waits(
    cache_on_test_redis, pages, client
):
    read_everything(client)
    cache_on_test_redis.freeze()
    slowest = 0.0
    for url in READING_URLS * 2:
        started = time.monotonic()
        response = client.get(url)
        slowest = max(slowest, time.monotonic() - started)
        assert response.status_code == 200, url
    assert slowest < SLOWEST_REQUEST_SECONDS


def test_a_request_after_the_pause_waits_once_on_a_frozen_redis(cache_on_test_redis, pages, client):
    client.get("/wiki/Interleukin-2/")
    cache_on_test_redis.freeze()
    for _ in range(2):  # the first opens the breaker; after the pause, one tries again
        started = time.monotonic()
        assert client.get("/wiki/Interleukin-2/").status_code == 200
        assert time.monotonic() - started < SLOWEST_REQUEST_SECONDS
        time.sleep(breaker.open_seconds + 0.1)


def test_pdf_is_made_with_redis_stopped(cache_on_test_redis, pages, client):
    cache_on_test_redis.stop()
    response = client.get("/wiki/Interleukin-2/pdf/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_vote_is_counted_with_redis_frozen(cache_on_test_redis, pages, client):
    # Another reader's vote first, so that the timed one is not the process's
    # first (templates compiled, code warmed): what is timed is Redis's part.
    assert browser_client().post("/wiki/Interleukin-2/vote/", {"useful": "no"}).status_code == 302
    cache_on_test_redis.freeze()
    started = time.monotonic()
    response = client.post("/wiki/Interleukin-2/vote/", {"useful": "yes"})
    assert time.monotonic() - started < SLOWEST_REQUEST_SECONDS
    assert response.status_code == 302
    assert Vote.objects.filter(page=pages, is_useful=True).count() == 1


def test_vote_is_counted_with_redis_stopped(cache_on_test_redis, pages, client):
    cache_on_test_redis.stop()
    assert client.post("/wiki/Interleukin-2/vote/", {"useful": "no"}).status_code == 302
    assert Vote.objects.filter(page=pages, is_useful=False).count() == 1


def test_problem_report_is_stored_with_redis_stopped(cache_on_test_redis, pages, client):
    cache_on_test_redis.stop()
    response = client.post("/wiki/Interleukin-2/report/", {"reason": "outdated"})
    assert response.status_code == 200
    assert ProblemReport.objects.filter(page=pages, reason="outdated").count() == 1


def _log_in(username, password, address):
    client = browser_client()
    response = client.post(
        "/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=address
    )
    return response, client


def test_log_in_and_moderating_work_with_redis_stopped(cache_on_test_redis, pages, moderator):
    cache_on_test_redis.stop()
    response, client = _log_in("moderator", PASSWORD, OWNER)
    assert response.status_code == 302
    assert "_auth_user_id" in client.session
    response = client.get("/wiki/Interleukin-2/edit/")
    assert response.status_code == 200
    assert 'name="base_revision"' in response.content.decode()


def test_password_guessing_is_locked_out_with_redis_stopped(cache_on_test_redis, moderator):
    cache_on_test_redis.stop()
    for _ in range(5):
        response, _client = _log_in("moderator", "wrong", ATTACKER)
    assert response.status_code == 429
    response, client = _log_in("moderator", PASSWORD, ATTACKER)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    # The owner, elsewhere, still gets in.
    assert _log_in("moderator", PASSWORD, OWNER)[0].status_code == 302


def test_guesses_made_while_redis_was_down_still_count_once_it_is_back(
    cache_on_test_redis, moderator, tmp_path
):
    cache_on_test_redis.stop()
    for _ in range(3):
        _log_in("moderator", "wrong", ATTACKER)
    restart(cache_on_test_redis, tmp_path)
    time.sleep(breaker.open_seconds + 0.1)
    for _ in range(2):
        response, _client = _log_in("moderator", "wrong", ATTACKER)
    assert response.status_code == 429


def test_views_counted_while_redis_is_down_reach_the_database_once_it_is_back(
    cache_on_test_redis, pages, client, tmp_path
):
    cache_on_test_redis.stop()
    for _ in range(3):
        assert client.get("/wiki/Interleukin-2/").status_code == 200
    assert page_views.push_local_views() == 0  # kept for later
    restart(cache_on_test_redis, tmp_path)
    time.sleep(breaker.open_seconds + 0.1)
    call_command("flushviews", stdout=open(os.devnull, "w"))  # noqa: SIM115
    assert sum(PageViewDay.objects.filter(page=pages).values_list("views", flat=True)) == 3


def test_views_buffered_while_redis_is_down_are_written_when_the_process_stops(
    cache_on_test_redis, pages, client
):
    cache_on_test_redis.stop()
    for _ in range(2):
        client.get("/wiki/Interleukin-2/")
    assert page_views.flush_local_views() == 2  # as at exit
    assert sum(PageViewDay.objects.filter(page=pages).values_list("views", flat=True)) == 2


def test_flushviews_says_plainly_that_redis_is_down(cache_on_test_redis):
    from django.core.management.base import CommandError

    cache_on_test_redis.stop()
    with pytest.raises(CommandError, match="Redis is not reachable"):
        call_command("flushviews")


def test_memo_never_serves_a_page_changed_while_redis_was_frozen(
    cache_on_test_redis, pages, client, make_page
):
    for _ in range(3):  # the memo keeps the page from its second view
        assert "immune messenger" in client.get("/wiki/Interleukin-2/").content.decode()
    cache_on_test_redis.freeze()
    started = time.monotonic()
    make_page("Interleukin-2", "Interleukin-2 is a changed text.")  # no new stamp
    assert time.monotonic() - started < 1
    cache_on_test_redis.thaw()  # Redis is back, with the page's old stamp
    time.sleep(breaker.open_seconds + 0.1)
    for _ in range(3):
        html = client.get("/wiki/Interleukin-2/").content.decode()
        assert "a changed text" in html
        assert "immune messenger" not in html


def test_everything_resumes_when_redis_is_back(cache_on_test_redis, pages, client, tmp_path):
    from django.core.cache import cache

    cache_on_test_redis.stop()
    read_everything(client)
    again = restart(cache_on_test_redis, tmp_path)
    time.sleep(breaker.open_seconds + 0.1)
    read_everything(client)
    assert not breaker.is_open
    cache.set("kcr-redis-back", "yes", 30)
    assert cache.get("kcr-redis-back") == "yes"
    assert again.answers()


@pytest.mark.postgres
def test_a_gunicorn_server_keeps_serving_through_a_frozen_then_stopped_redis(
    transactional_db, pages, redis_server, tmp_path
):
    from tests.test_two_servers import SITE_URL, Browser, Server, server_environment

    environment = {
        **server_environment(),
        "REDIS_URL": f"redis://127.0.0.1:{redis_server.port}/0",
    }
    server = Server(environment, tmp_path / "server.log")
    try:
        server.wait_until_ready()
        reader = Browser()
        urls = [server.url + url for url in READING_URLS]
        for url in urls * 2:  # warm
            assert reader.request(url)[0] == 200, url
        redis_server.freeze()
        slowest = 0.0
        for url in urls * 2:
            started = time.monotonic()
            assert reader.request(url)[0] == 200, url
            slowest = max(slowest, time.monotonic() - started)
        status, _headers, _html = Browser().request(
            server.url + "/wiki/Interleukin-2/vote/", {"useful": "yes"}, {"Origin": SITE_URL}
        )
        assert status == 302
        redis_server.stop()
        for url in urls:
            assert reader.request(url)[0] == 200, url
        assert slowest < SLOWEST_SERVER_REQUEST_SECONDS
        assert Vote.objects.filter(page=pages).count() == 1
    finally:
        server.stop()


def test_readiness_with_redis_stopped_is_degraded_not_down(
    cache_on_test_redis, db, client, settings, tmp_path
):
    settings.WIKI_JOB_SLOT_DIR = str(tmp_path / "slots")
    cache_on_test_redis.stop()
    response = client.get("/healthz?ready=1")
    assert response.status_code == 200
    assert response.json() == {
        "status": "degraded",
        "parts": {"database": "ok", "cache": "down", "pdf_worker": "ok"},
    }
