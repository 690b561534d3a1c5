"""Shared fixtures: factories for pages and for clients of each role."""

import os

import pytest

# The browser tests run Playwright's sync API (an event loop in this thread)
# and the ORM in one test; Django would otherwise refuse the ORM calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
from django.core.cache import cache
from django.db import connection

from wiki.roles import moderators_group
from wiki.services import save_page

PASSWORD = "correct-horse-battery-staple"


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "postgres" in item.keywords and connection.vendor != "postgresql":
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL)"))
        if "redis" in item.keywords and not os.environ.get("REDIS_URL"):
            item.add_marker(pytest.mark.skip(reason="needs Redis (set REDIS_URL)"))


def pytest_sessionstart(session):
    # In CI's second leg the services must really be in use, not skipped.
    if os.environ.get("KCR_REQUIRE_SERVICES"):
        from django.conf import settings

        engine = settings.DATABASES["default"]["ENGINE"]
        assert "postgresql" in engine, f"KCR_REQUIRE_SERVICES is set but the database is {engine}"
        assert os.environ.get("REDIS_URL"), "KCR_REQUIRE_SERVICES is set but REDIS_URL is not"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's chromium: Playwright cannot download a browser here."""
    from tests.browser import CHROMIUM

    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "headless": True,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture
def live_server(live_server, settings, _plain_http):
    """pytest-django's live server, as the site: absolute URLs and the origin
    votes must come from are its address. (After ``_plain_http``, which
    pytest-django's own autouse helper may otherwise run later.)"""
    settings.SITE_URL = live_server.url
    return live_server


@pytest.fixture
def plain_static(settings):
    """Unhashed static names: the live server serves static files from the
    finders, which know css/site.css but not its hashed production name."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def console_errors(page):
    """Errors the page logs (a CSP violation is one): the test asserts none."""
    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


@pytest.fixture(autouse=True)
def _fresh_cache(settings):
    from wiki import page_memo
    from wiki.glossary import forget_glossary

    # The page memo is on in every test, with the local-memory cache too
    # (one process: its change tokens reach every view), so that every test
    # of what a change shows also checks that the memo never shows it stale.
    settings.PAGE_MEMO = os.environ.get("KCR_TEST_PAGE_MEMO", "1") == "1"
    cache.clear()
    forget_glossary()
    page_memo.clear()
    yield
    cache.clear()
    forget_glossary()
    page_memo.clear()


@pytest.fixture(autouse=True)
def _plain_http(settings):
    # The test client speaks plain HTTP; without DJANGO_DEBUG the settings
    # would answer every request with a redirect to https.
    settings.SECURE_SSL_REDIRECT = False
    # The site as the test client reaches it (absolute URLs, vote origins).
    settings.SITE_URL = "http://testserver"


@pytest.fixture
def make_page(db):
    """Create a page (and its first revision) through the save service."""

    def make(title="Interleukin-2", body="Some text.", **kwargs):
        return save_page(title, body, summary=kwargs.pop("summary", "created"), **kwargs).page

    return make


@pytest.fixture
def make_user(db, django_user_model):
    def make(username="reader", *, moderator=False, staff=False, superuser=False):
        user = django_user_model.objects.create_user(
            username=username,
            password=PASSWORD,
            is_staff=staff or superuser,
            is_superuser=superuser,
        )
        if moderator:
            user.groups.add(moderators_group())
        return user

    return make


@pytest.fixture
def moderator(make_user):
    return make_user("moderator", moderator=True)


@pytest.fixture
def moderator_client(client, moderator):
    client.force_login(moderator)
    return client


@pytest.fixture
def reader_client(client, make_user):
    """A logged-in user with no special permission."""
    client.force_login(make_user("reader"))
    return client


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Real hashing costs half a second a login; tests check behaviour, not cost.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_view_buffer():
    """Page views buffered in this process belong to one test."""
    from wiki.page_views import discard_local_views

    discard_local_views()
    yield
    discard_local_views()


@pytest.fixture
def client():
    """Django's test client, sending the Origin header a browser sends with
    every POST (votes are checked by origin instead of a CSRF token)."""
    from tests.clients import browser_client

    return browser_client()
