"""Settings come from the environment. Each case runs Django in a fresh
process, since settings are read once at start-up."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PRINT_SETTINGS = (
    "import json, django; from django.conf import settings; django.setup(); "
    "db = settings.DATABASES['default']; "
    "print(json.dumps({'debug': settings.DEBUG, 'engine': db['ENGINE'], 'name': str(db['NAME']), "
    "'host': db.get('HOST', ''), 'cache': settings.CACHES['default']['BACKEND'], "
    "'cache_location': str(settings.CACHES['default'].get('LOCATION', '')), "
    "'sessions': settings.SESSION_ENGINE, 'hosts': settings.ALLOWED_HOSTS, "
    "'secure_cookies': settings.SESSION_COOKIE_SECURE, 'hsts': settings.SECURE_HSTS_SECONDS, "
    "'secret': settings.SECRET_KEY, 'site_url': settings.SITE_URL, "
    "'proxy_header': settings.SECURE_PROXY_SSL_HEADER, 'ssl_host': settings.SECURE_SSL_HOST}))"
)
CLEAN_ENV = {
    key: value
    for key, value in os.environ.items()
    if not key.startswith(("DJANGO_", "DATABASE_", "REDIS_"))
}


def run_django(code, **env):
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**CLEAN_ENV, "DJANGO_SETTINGS_MODULE": "kcr.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def settings_for(**env):
    result = run_django(PRINT_SETTINGS, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_defaults_serve_one_machine():
    values = settings_for(DJANGO_DEBUG="1")
    assert values["debug"] is True
    assert values["engine"] == "django.db.backends.sqlite3"
    assert values["name"] == str(ROOT / "db.sqlite3")
    assert values["cache"] == "django.core.cache.backends.locmem.LocMemCache"
    assert values["sessions"] == "django.contrib.sessions.backends.db"
    assert values["hosts"] == ["localhost", "127.0.0.1", "[::1]"]


def test_production_refuses_to_start_without_secret_key():
    result = run_django(PRINT_SETTINGS, DJANGO_DEBUG="0")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in result.stderr


def test_production_settings_from_environment():
    values = settings_for(
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="a-real-secret",
        DJANGO_ALLOWED_HOSTS="wiki.example.org, www.wiki.example.org",
        DATABASE_URL="postgres://kcr:pw@db.internal:5432/kcr",
        REDIS_URL="redis://cache.internal:6379/2",
    )
    assert values["debug"] is False
    assert values["secret"] == "a-real-secret"
    assert values["hosts"] == ["wiki.example.org", "www.wiki.example.org"]
    assert values["engine"] == "django.db.backends.postgresql"
    assert values["host"] == "db.internal"
    assert values["name"] == "kcr"
    assert values["cache"] == "django_redis.cache.RedisCache"
    assert values["cache_location"] == "redis://cache.internal:6379/2"
    # In the database with Redis too: log-in keeps working while Redis is down.
    assert values["sessions"] == "django.contrib.sessions.backends.db"
    assert values["secure_cookies"] is True
    assert values["hsts"] == 31536000


def test_redis_calls_give_up_after_a_tenth_of_a_second_unless_told_otherwise():
    code = (
        "import json, django; from django.conf import settings; django.setup(); "
        "print(json.dumps({alias: config['OPTIONS'] for alias, config in settings.CACHES.items()}))"
    )
    result = run_django(code, DJANGO_DEBUG="1", REDIS_URL="redis://cache.internal:6379/2")
    options = json.loads(result.stdout)
    for alias in ("default", "checked"):
        assert options[alias]["SOCKET_CONNECT_TIMEOUT"] == 0.1
        assert options[alias]["SOCKET_TIMEOUT"] == 0.1
        assert options[alias]["REDIS_CLIENT_CLASS"] == "wiki.redis_breaker.GuardedRedis"
    # Redis down is a miss for the cache; the checked alias is told.
    assert options["default"]["IGNORE_EXCEPTIONS"] is True
    assert options["checked"]["IGNORE_EXCEPTIONS"] is False
    result = run_django(
        code,
        DJANGO_DEBUG="1",
        REDIS_URL="redis://cache.internal:6379/2",
        REDIS_CONNECT_TIMEOUT="0.5",
        REDIS_SOCKET_TIMEOUT="0.25",
    )
    options = json.loads(result.stdout)["default"]
    assert (options["SOCKET_CONNECT_TIMEOUT"], options["SOCKET_TIMEOUT"]) == (0.5, 0.25)


def test_plain_http_serving_turns_off_https_only_settings():
    values = settings_for(DJANGO_DEBUG="0", DJANGO_SECRET_KEY="x", DJANGO_HTTPS="0")
    assert values["secure_cookies"] is False
    assert values["hsts"] == 0


def check_deploy(**env) -> list[str]:
    """The issues ``manage.py check --deploy`` reports with production
    settings, but W021 (HSTS preload), left to the operator on purpose (see
    the README)."""
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={
            **CLEAN_ENV,
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": "q8v!3k@zP0x_long-and-random-enough-for-the-deploy-check-9h2",
            "DJANGO_ALLOWED_HOSTS": "wiki.example.org",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    output = result.stdout + result.stderr
    return [line for line in output.splitlines() if line.startswith("?:") and "W021" not in line]


def test_check_deploy_is_clean_in_production():
    assert check_deploy(DJANGO_SITE_URL="https://wiki.example.org") == []


def test_check_deploy_warns_when_the_site_url_is_unset():
    issues = check_deploy()
    assert len(issues) == 1, issues
    assert issues[0].startswith("?: (wiki.W001) DJANGO_SITE_URL is not set")
    assert "https://wiki.example.org" in issues[0]  # what it uses instead


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://kcr.example.org", "https://kcr.example.org"),
        ("https://KCR.Example.org./", "https://kcr.example.org"),
        ("HTTP://127.0.0.1:8000", "http://127.0.0.1:8000"),
        ("http://[::1]:8000/", "http://[::1]:8000"),
    ],
)
def test_site_url_is_read_from_the_environment(value, expected):
    values = settings_for(DJANGO_DEBUG="0", DJANGO_SECRET_KEY="x", DJANGO_SITE_URL=value)
    assert values["site_url"] == expected
    assert values["ssl_host"] == expected.split("://")[1]


@pytest.mark.parametrize(
    "value",
    [
        "kcr.example.org",
        "ftp://kcr.example.org",
        "https://",
        "https://kcr.example.org/wiki/",
        "https://kcr.example.org?x=1",
        "https://kcr.example.org/#top",
        "https://user:pw@kcr.example.org",
        "https://kcr.example.org:99999",
    ],
)
def test_bad_site_url_refuses_to_start(value):
    result = run_django(PRINT_SETTINGS, DJANGO_DEBUG="1", DJANGO_SITE_URL=value)
    assert result.returncode != 0
    assert "ImproperlyConfigured: DJANGO_SITE_URL must be the site's address" in result.stderr
    assert repr(value) in result.stderr


def test_site_url_default_is_fixed_and_derived_from_the_settings():
    assert settings_for(DJANGO_DEBUG="1")["site_url"] == "http://127.0.0.1:8000"
    assert (
        settings_for(DJANGO_DEBUG="0", DJANGO_SECRET_KEY="x", DJANGO_HTTPS="0")["site_url"]
        == "http://127.0.0.1:8000"
    )
    values = settings_for(
        DJANGO_DEBUG="0", DJANGO_SECRET_KEY="x", DJANGO_ALLOWED_HOSTS=".example.org,kcr.example"
    )
    assert values["site_url"] == "https://example.org"
    values = settings_for(DJANGO_DEBUG="1", DJANGO_ALLOWED_HOSTS="*, Wiki.Example.org")
    assert values["site_url"] == "http://wiki.example.org"


def test_forwarded_proto_is_trusted_only_behind_a_proxy():
    plain = settings_for(DJANGO_DEBUG="0", DJANGO_SECRET_KEY="x", DJANGO_HTTPS="0")
    assert plain["proxy_header"] is None
    tls_proxy = settings_for(DJANGO_DEBUG="0", DJANGO_SECRET_KEY="x", DJANGO_HTTPS="1")
    assert tls_proxy["proxy_header"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    counted = settings_for(
        DJANGO_DEBUG="0", DJANGO_SECRET_KEY="x", DJANGO_HTTPS="0", WIKI_TRUSTED_PROXIES="1"
    )
    assert counted["proxy_header"] == ["HTTP_X_FORWARDED_PROTO", "https"]


@pytest.mark.redis
def test_redis_cache_is_shared_between_processes():
    code = (
        "import django; django.setup(); from django.core.cache import cache; "
        "cache.set('kcr-settings-test', 'from-one-process', 30)"
    )
    assert run_django(code, DJANGO_DEBUG="1", REDIS_URL=os.environ["REDIS_URL"]).returncode == 0
    code = (
        "import django; django.setup(); from django.core.cache import cache; "
        "print(cache.get('kcr-settings-test'))"
    )
    result = run_django(code, DJANGO_DEBUG="1", REDIS_URL=os.environ["REDIS_URL"])
    assert result.stdout.strip() == "from-one-process"


@pytest.mark.redis
def test_redis_cache_reuses_one_client_per_pool():
    from django.core.cache import cache
    from django_redis import get_redis_connection

    cache.set("kcr-client-test", 1, 30)
    assert get_redis_connection() is get_redis_connection()
    assert get_redis_connection(write=True) is get_redis_connection(write=True)
    assert cache.get("kcr-client-test") == 1
