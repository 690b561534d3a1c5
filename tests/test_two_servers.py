"""Two app servers (two gunicorn processes on different ports) over one
PostgreSQL database and one Redis: what one saves, the other serves; a
session made on one is valid on the other; votes and views sent to both are
all counted. Behind one Varnish (deploy/varnish/default.vcl) that both
purge, an edit through one is what an anonymous reader gets through the
proxy next.

The servers use the test run's own database (committed data: the test is
transactional) and Redis db, with production settings (DEBUG off).
"""

import http.cookiejar
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher, make_password
from django.db import connection

from tests.edit_data import edit_data
from tests.proxies import LoggedProcess, Varnish, free_port, requires_varnish
from wiki import page_views
from wiki.models import Page, PageViewDay, Vote

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

BASE_DIR = Path(settings.BASE_DIR)
GUNICORN = Path(sys.executable).parent / "gunicorn"
PASSWORD = "two-servers-password-9f3k"
START_SECONDS = 60
# Both servers stand behind one proxy at this address: the origin votes carry.
SITE_URL = "http://wiki.test"
REQUEST_SECONDS = 20


def server_environment() -> dict:
    database = connection.settings_dict
    credentials = urllib.parse.quote(database["USER"] or "postgres", safe="")
    if database["PASSWORD"]:
        credentials += ":" + urllib.parse.quote(database["PASSWORD"], safe="")
    host = database["HOST"] or "127.0.0.1"
    port = database["PORT"] or 5432
    return {
        **os.environ,
        # The test database, where this test's committed rows live.
        "DATABASE_URL": f"postgres://{credentials}@{host}:{port}/{database['NAME']}",
        "REDIS_URL": os.environ["REDIS_URL"],
        "CACHE_KEY_PREFIX": settings.CACHES["default"].get("KEY_PREFIX", ""),
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "two-servers-test-only-secret-key-0123456789",
        "DJANGO_HTTPS": "0",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SITE_URL": SITE_URL,
        "DJANGO_LOG_LEVEL": "WARNING",
    }


class Server(LoggedProcess):
    """gunicorn serving the project, ready once /healthz answers 200."""

    name = "server"

    def __init__(self, environment: dict, log_path: Path):
        port = free_port()
        command = [str(GUNICORN), "kcr.wsgi", "--workers", "2", "--bind", f"127.0.0.1:{port}"]
        super().__init__(command, log_path, port, cwd=BASE_DIR, env=environment)

    def answers(self) -> bool:
        healthz = self.url + "/healthz"  # always http://127.0.0.1
        with urllib.request.urlopen(healthz, timeout=2) as response:  # noqa: S310
            return response.status == 200


def start_servers(environment: dict, tmp_path: Path) -> list[Server]:
    if not (Path(settings.STATIC_ROOT) / "staticfiles.json").exists():
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
            cwd=BASE_DIR,
            env={**server_environment()},
            check=True,
            timeout=120,
        )
    servers = []
    try:
        for name in ("a", "b"):
            servers.append(Server(environment, tmp_path / f"server-{name}.log"))
        for server in servers:
            server.wait_until_ready()
    except BaseException:
        for server in servers:
            server.stop()
        raise
    return servers


@pytest.fixture
def two_servers(transactional_db, tmp_path):
    servers = start_servers(server_environment(), tmp_path)
    try:
        yield servers
    finally:
        # Before the test database is emptied: no server keeps a connection.
        for server in servers:
            server.stop()


@pytest.fixture
def two_servers_behind_varnish(transactional_db, tmp_path):
    """``(proxy, [server_a, server_b])``: both servers behind one varnishd
    (round robin), each told to purge it."""
    proxy_port = free_port()
    environment = {**server_environment(), "KCR_PURGE_URLS": f"http://127.0.0.1:{proxy_port}"}
    servers = start_servers(environment, tmp_path)
    proxy = None
    try:
        backends = [("127.0.0.1", server.port) for server in servers]
        proxy = Varnish(tmp_path / "varnish", backends, port=proxy_port)
        proxy.wait_until_ready()
        yield proxy, servers
    finally:
        if proxy is not None:
            proxy.stop()
        for server in servers:
            server.stop()


class Browser:
    """A cookie-keeping HTTP client (stdlib only) that does not follow
    redirects, so each answer can be checked."""

    class _NoRedirects(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    def __init__(self):
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), self._NoRedirects
        )

    def request(self, url, data=None, headers=None):
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(url, data=body, headers=headers or {})  # noqa: S310
        try:
            with self.opener.open(request, timeout=REQUEST_SECONDS) as response:
                return response.status, dict(response.headers), response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read().decode(errors="replace")


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert match, "no CSRF token in the form"
    return match.group(1)


def log_in(browser: Browser, server: Server, username: str) -> None:
    status, _headers, html = browser.request(server.url + "/accounts/login/")
    assert status == 200
    status, headers, _html = browser.request(
        server.url + "/accounts/login/",
        {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": csrf_token(html)},
    )
    assert status == 302, "login was refused"


@pytest.fixture
def moderator_with_real_password(make_user):
    user = make_user("moderator", moderator=True)
    # The servers use the production hashers, not the tests' fast one.
    user.password = make_password(PASSWORD, hasher=PBKDF2PasswordHasher())
    user.save(update_fields=["password"])
    return user


def test_edit_through_one_server_is_what_the_other_serves(
    two_servers, make_page, moderator_with_real_password
):
    server_a, server_b = two_servers
    make_page("Interleukin-2", "The first text.")
    reader = Browser()
    status, headers, html = reader.request(server_b.url + "/wiki/Interleukin-2/")
    assert status == 200 and "The first text." in html
    old_etag = headers["ETag"]
    # Both servers' caches warm, and each worker's page memo holding the
    # page (it keeps a page from its second view of it).
    for server in (server_a, server_b) * 8:
        status, headers, _html = reader.request(server.url + "/wiki/Interleukin-2/")
        assert status == 200 and headers["ETag"] == old_etag

    moderator = Browser()
    log_in(moderator, server_a, "moderator")
    status, _headers, form = moderator.request(server_a.url + "/wiki/Interleukin-2/edit/")
    assert status == 200
    base_revision = re.search(r'name="base_revision" value="(\d+)"', form).group(1)
    data = edit_data("The text saved through server A.", base_revision, summary="two servers")
    data.update({"csrfmiddlewaretoken": csrf_token(form), "save": "1"})
    status, _headers, _html = moderator.request(server_a.url + "/wiki/Interleukin-2/edit/", data)
    assert status == 302, "the edit was not saved"

    status, headers, html = reader.request(
        server_b.url + "/wiki/Interleukin-2/", headers={"If-None-Match": old_etag}
    )
    assert status == 200
    assert "The text saved through server A." in html
    assert "The first text." not in html
    assert headers["ETag"] != old_etag


def test_session_made_on_one_server_is_valid_on_the_other(
    two_servers, make_page, moderator_with_real_password
):
    server_a, server_b = two_servers
    make_page("Interleukin-2", "Text.")
    moderator = Browser()
    log_in(moderator, server_a, "moderator")
    status, headers, html = moderator.request(server_b.url + "/wiki/Interleukin-2/")
    assert status == 200
    assert "Signed in as <strong>moderator</strong>" in html
    assert "private" in headers["Cache-Control"]
    status, _headers, form = moderator.request(server_b.url + "/wiki/Interleukin-2/edit/")
    assert status == 200
    assert 'name="base_revision"' in form


def test_votes_and_views_sent_to_both_servers_are_all_counted(two_servers, make_page):
    server_a, server_b = two_servers
    page = make_page("Interleukin-2", "Text.")
    environment = server_environment()

    def flush_views():
        subprocess.run(
            [sys.executable, "manage.py", "flushviews"],
            cwd=BASE_DIR,
            env=environment,
            check=True,
            timeout=60,
            capture_output=True,
        )

    flush_views()
    views_before = sum(PageViewDay.objects.filter(page=page).values_list("views", flat=True))
    views_each = 7
    for server in (server_a, server_b):
        reader = Browser()
        for _ in range(views_each):
            assert reader.request(server.url + "/wiki/Interleukin-2/")[0] == 200
    votes_each = 3
    for server in (server_a, server_b):
        for _ in range(votes_each):
            status, _headers, _html = Browser().request(
                server.url + "/wiki/Interleukin-2/vote/",
                {"useful": "yes"},
                headers={"Origin": SITE_URL},
            )
            assert status == 302
    # Each server pushes its views to Redis within PUSH_EVERY_SECONDS; the
    # flush (as cron runs it) then finds them all.
    deadline = time.monotonic() + 4 * page_views.PUSH_EVERY_SECONDS + 10
    while True:
        flush_views()
        views_after = sum(PageViewDay.objects.filter(page=page).values_list("views", flat=True))
        if views_after - views_before >= 2 * views_each or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert views_after - views_before == 2 * views_each
    assert Vote.objects.filter(page=page).count() == 2 * votes_each
    status, _headers, html = Browser().request(server_b.url + "/wiki/Interleukin-2/")
    assert f"(<span data-vote-total>{2 * votes_each}</span> votes)" in html
    assert Page.objects.count() == 1


@requires_varnish
def test_edit_through_one_server_is_what_a_reader_gets_through_the_proxy(
    two_servers_behind_varnish, make_page, moderator_with_real_password
):
    proxy, (server_a, _server_b) = two_servers_behind_varnish
    make_page("Interleukin-2", "The first text.")
    reader = Browser()
    for _ in range(3):  # round robin: past both servers, then from the cache
        status, headers, html = reader.request(proxy.url + "/wiki/Interleukin-2/")
        assert status == 200 and "The first text." in html
    assert headers["X-Cache"] == "HIT"

    moderator = Browser()
    log_in(moderator, server_a, "moderator")
    status, _headers, form = moderator.request(server_a.url + "/wiki/Interleukin-2/edit/")
    base_revision = re.search(r'name="base_revision" value="(\d+)"', form).group(1)
    data = edit_data("The text saved through server A.", base_revision, summary="behind varnish")
    data.update({"csrfmiddlewaretoken": csrf_token(form), "save": "1"})
    status, _headers, _html = moderator.request(server_a.url + "/wiki/Interleukin-2/edit/", data)
    assert status == 302, "the edit was not saved"

    status, headers, html = reader.request(proxy.url + "/wiki/Interleukin-2/")
    assert status == 200
    assert "The text saved through server A." in html
    assert "The first text." not in html
    status, headers, html = reader.request(proxy.url + "/wiki/Interleukin-2/")
    assert headers["X-Cache"] == "HIT" and "The text saved through server A." in html
