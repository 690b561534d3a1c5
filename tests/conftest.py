"""Shared fixtures: factories for pages and for clients of each role."""

import os

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db import connection

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


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _plain_http(settings):
    # The test client speaks plain HTTP; without DJANGO_DEBUG the settings
    # would answer every request with a redirect to https.
    settings.SECURE_SSL_REDIRECT = False


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
            user.groups.add(Group.objects.get(name="Moderators"))
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
