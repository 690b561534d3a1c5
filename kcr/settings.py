"""KCR Wiki settings: one file, read from the environment.

Defaults serve a single machine (SQLite file, local-memory cache). Past one
machine: DATABASE_URL points at PostgreSQL and REDIS_URL at Redis, which then
holds the cache and the sessions so any app server can answer any request.
"""

import os
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name, "")
    items = [item.strip() for item in value.split(",") if item.strip()]
    return items or default


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def site_url(value: str) -> str:
    """``value`` (DJANGO_SITE_URL) as ``scheme://host[:port]``, lower case,
    without a trailing slash; ImproperlyConfigured when it is anything else."""
    problem = "DJANGO_SITE_URL must be the site's address, like https://kcr.example.org"
    try:
        parts = urlsplit(value.strip())
        port = parts.port
    except ValueError as error:
        raise ImproperlyConfigured(f"{problem} ({error}): {value!r}") from None
    if parts.scheme.lower() not in {"http", "https"}:
        raise ImproperlyConfigured(f"{problem} (http or https): {value!r}")
    if not parts.hostname or parts.username is not None or parts.password is not None:
        raise ImproperlyConfigured(f"{problem} (a host name, no user or password): {value!r}")
    if parts.path not in {"", "/"} or parts.query or parts.fragment or value.strip().endswith("?"):
        raise ImproperlyConfigured(f"{problem} (no path, query or fragment): {value!r}")
    host = parts.hostname.lower().rstrip(".")
    if ":" in host:
        host = f"[{host}]"
    return f"{parts.scheme.lower()}://{host}" + (f":{port}" if port is not None else "")


DEBUG = env_bool("DJANGO_DEBUG", False)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. Set it to a long random value in production, "
            "or set DJANGO_DEBUG=1 for local development."
        )
    SECRET_KEY = "django-insecure-local-development-only"  # noqa: S105

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])

# Served over HTTPS (behind a proxy that terminates TLS): secure cookies, HSTS
# and the redirect to https. On by default in production; `make serve` turns it
# off because it serves plain HTTP on the loopback address.
HTTPS = env_bool("DJANGO_HTTPS", not DEBUG)

# The site's public address: every absolute URL (canonical links, feeds, the
# sitemap, robots.txt, PDFs, the CSV export), the origin votes must come from
# and every cache key that names an address are made from it, never from the
# request's Host header (which any visitor picks: "LOCALHOST", "localhost.",
# "127.0.0.1:1" would each make new URLs and new cache entries). Unset, one
# fixed address is derived at start-up: the scheme DJANGO_HTTPS gives and the
# first plain name of DJANGO_ALLOWED_HOSTS, or http://127.0.0.1:8000 (where
# `make run` and `make serve` listen) without DJANGO_ALLOWED_HOSTS; `manage.py
# check --deploy` warns about it (wiki.checks).
SITE_URL_IS_DERIVED = not os.environ.get("DJANGO_SITE_URL", "").strip()
if not SITE_URL_IS_DERIVED:
    SITE_URL = site_url(os.environ["DJANGO_SITE_URL"])
elif os.environ.get("DJANGO_ALLOWED_HOSTS", "").strip():
    plain_hosts = [host.lstrip(".") for host in ALLOWED_HOSTS if host.lstrip(".") not in {"", "*"}]
    SITE_URL = site_url(("https://" if HTTPS else "http://") + (plain_hosts or ["localhost"])[0])
else:
    SITE_URL = ("https://" if HTTPS else "http://") + "127.0.0.1:8000"

# The caching proxies (Varnish, deploy/varnish/) in front of the app servers,
# as base URLs (http://10.0.0.5:6081,http://10.0.0.6:6081): every change a
# reader would see is purged from each of them (wiki.purge), so they may keep
# anonymous pages for a day. Empty (one machine, no proxy): nothing to purge,
# and proxies keep pages for a minute only (wiki.caching.PUBLIC_MAX_AGE).
PURGE_URLS = env_list("KCR_PURGE_URLS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django.contrib.postgres",
    "reversion",
    "csp",
    "axes",
    "wiki",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before sessions, CSRF and messages: it sees the cookies they set.
    "wiki.caching.cache_headers_middleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into its answer.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "kcr.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wiki.context_processors.site",
            ],
        },
    },
]

WSGI_APPLICATION = "kcr.wsgi.application"

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"].startswith("django.db.backends.postgresql"):
    # The page view's query is prepared on each connection (planned once, not
    # every view: wiki.views.reading); no other query is, as Django's
    # client-side binding never prepares. Set DATABASE_PREPARED_STATEMENTS=0
    # behind a connection pooler in transaction mode (PgBouncer), which
    # cannot keep a statement prepared on one connection for the next.
    DATABASES["default"].setdefault("OPTIONS", {})
    # Seconds to wait for PostgreSQL to accept a connection: one that is
    # stopped refuses at once, one that does not answer (a network fault,
    # a failover) would otherwise hold the request for minutes. The request
    # then answers 503 (wiki.faults).
    DATABASES["default"]["OPTIONS"]["connect_timeout"] = env_int("DATABASE_CONNECT_TIMEOUT", 5)
    if env_bool("DATABASE_PREPARED_STATEMENTS", True):
        # psycopg prepares a query (of a server-side binding cursor) after
        # this many executions on a connection.
        DATABASES["default"]["OPTIONS"]["prepare_threshold"] = 2
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers go on while a moderator saves; the busy timeout makes a
    # second writer wait (DATABASE_BUSY_TIMEOUT seconds) instead of failing
    # with "database is locked"; past it the write answers 503 (wiki.faults).
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "timeout": env_int("DATABASE_BUSY_TIMEOUT", 20),
        "transaction_mode": "IMMEDIATE",
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The cache's key families and their lifetimes are listed in wiki.display;
# this is only the lifetime of an entry set without one.
CACHE_DEFAULT_SECONDS = 24 * 60 * 60
REDIS_URL = os.environ.get("REDIS_URL", "")
# Seconds a Redis call may wait to connect, and for an answer, before it is
# taken as a miss (wiki.redis_breaker): on one network Redis answers in a
# fraction of a millisecond, so 0.1 s only ever passes when it is down.
REDIS_CONNECT_TIMEOUT = float(os.environ.get("REDIS_CONNECT_TIMEOUT", "") or 0.1)
REDIS_SOCKET_TIMEOUT = float(os.environ.get("REDIS_SOCKET_TIMEOUT", "") or 0.1)
if REDIS_URL:
    redis_cache = {
        # django-redis, not Django's own RedisCache: that one builds a new
        # redis.Redis client for every cache call (~0.08 ms each, a third
        # of a round trip, several times a page view) and has no public
        # way to keep one; django-redis keeps one client per server.
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "kcr"),
        "TIMEOUT": CACHE_DEFAULT_SECONDS,
        "OPTIONS": {
            "SOCKET_CONNECT_TIMEOUT": REDIS_CONNECT_TIMEOUT,
            "SOCKET_TIMEOUT": REDIS_SOCKET_TIMEOUT,
            # Every command through this process's circuit breaker, so that
            # a Redis that does not answer costs a request one timeout at
            # most, not one per cache call.
            "REDIS_CLIENT_CLASS": "wiki.redis_breaker.GuardedRedis",
            # Redis down is a cache miss: the page comes from the database.
            "IGNORE_EXCEPTIONS": True,
        },
    }
    CACHES = {
        "default": redis_cache,
        # The same Redis (and connection pool) for the few callers that must
        # know when it fails: login throttling then counts in the database
        # (wiki.logins), and the page memo stops trusting its stamps
        # (wiki.page_memo).
        "checked": {
            **redis_cache,
            "OPTIONS": {**redis_cache["OPTIONS"], "IGNORE_EXCEPTIONS": False},
        },
    }
else:
    local_cache = {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "kcr",
        "TIMEOUT": CACHE_DEFAULT_SECONDS,
        "OPTIONS": {"MAX_ENTRIES": 5000},
    }
    # One LOCATION is one store: both names reach the same entries.
    CACHES = {"default": local_cache, "checked": dict(local_cache)}
# Sessions live in the database, with Redis too: a session is read only for
# a logged-in user or a reader who voted (one indexed query, ~0.2 ms, beside
# the dozen a logged-in page makes), and so log-in, moderators' pages and
# logging out keep working while Redis is down. A copy in Redis (cached_db)
# would outlive a logout made while Redis was down and come back with it,
# valid again.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
# Each process's memo of anonymous page views (wiki.page_memo): only with a
# cache all app processes share, which carries the memo's change tokens.
PAGE_MEMO = bool(REDIS_URL)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
# Where collectstatic puts the files whitenoise serves. CI gives its second
# test leg a directory of its own, so that both legs can run at once.
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", "") or BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Reader feedback. The address the rate limits and the country lookup see is
# the peer address unless this many proxies in front of the app append the
# real one to X-Forwarded-For (a proxy that does not would let readers pick
# their address). Addresses are never stored.
WIKI_TRUSTED_PROXIES = env_int("WIKI_TRUSTED_PROXIES", 0)

# Security. Frame denial and nosniff are always on; the rest applies when the
# site is served over HTTPS.
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31536000) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
# The redirect to https goes to the site's own host, not the one asked for.
SECURE_SSL_HOST = urlsplit(SITE_URL).netloc if HTTPS else None
# X-Forwarded-Proto says a request came over HTTPS only when a proxy in front
# of the app sets it (and drops what clients send): behind the TLS proxy that
# DJANGO_HTTPS=1 means, or behind the WIKI_TRUSTED_PROXIES proxies. Served
# directly (`make serve`: DJANGO_HTTPS=0), any client could send it.
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS or WIKI_TRUSTED_PROXIES > 0 else None
)
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

# Everything comes from this site: no inline script or style, no other hosts.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# Login throttling (django-axes, see wiki/logins.py): after AXES_FAILURE_LIMIT
# wrong passwords for one username from one client address, that username is
# locked for 15 minutes from that address only, so an attacker cannot lock its
# owner out from elsewhere, and a shared hospital address does not lock out
# everyone behind it. Axes is given a keyed digest of the address (never the
# address itself, and no user agent) and keeps its counts in Redis when there
# is one, else in the database (shared by every worker). While Redis is down
# the counts go to the database, and a login is judged by both places
# together, so losing Redis never lifts the throttling (wiki.logins).
# `manage.py unlockuser NAME` lifts a lock.
AXES_HANDLER = (
    "wiki.logins.LoginAttemptsCacheHandler"
    if REDIS_URL
    else "wiki.logins.LoginAttemptsDatabaseHandler"
)
AXES_CACHE = "checked"
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = 0.25
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "wiki.logins.client_address_digest"
AXES_DISABLE_ACCESS_LOG = True
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

# The largest markdown body a moderator may save (bytes, UTF-8).
WIKI_MAX_BODY_BYTES = env_int("WIKI_MAX_BODY_BYTES", 512 * 1024)
# Large enough for the biggest page plus its form fields.
DATA_UPLOAD_MAX_MEMORY_SIZE = WIKI_MAX_BODY_BYTES * 2 + 64 * 1024

# Seconds WeasyPrint may take to make one PDF before the reader gets a 503
# (below gunicorn's 30 s worker timeout).
WIKI_PDF_TIME_LIMIT = env_int("WIKI_PDF_TIME_LIMIT", 20)
# Markdown conversions and PDFs run as jobs, each in a process of its own that
# is killed at its deadline (wiki.jobs). How many jobs may run at once on this
# machine, all app processes together: one fewer than the CPU count, so that
# one core always serves readers.
WIKI_JOB_SLOTS = env_int("WIKI_JOB_SLOTS", max(1, (os.cpu_count() or 2) - 1))
# The slot files (one lock file a slot): the same directory for every app
# process on the machine.
WIKI_JOB_SLOT_DIR = os.environ.get("WIKI_JOB_SLOT_DIR", "") or str(BASE_DIR / "var" / "job-slots")
# Seconds a PDF waits for a free slot before the reader gets a 503.
WIKI_JOB_SLOT_WAIT = env_int("WIKI_JOB_SLOT_WAIT", 2)
# Seconds one markdown conversion may take; past it, the text is refused (at
# preview and save) or shown as "cannot be shown" (to readers).
WIKI_RENDER_TIME_LIMIT = env_int("WIKI_RENDER_TIME_LIMIT", 10)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.request": {"level": "ERROR"},
        # WeasyPrint logs every layout step at INFO.
        "weasyprint": {"level": "WARNING"},
    },
}

# A MaxMind-format country database (.mmdb: MaxMind GeoLite2-Country or
# DB-IP's free IP-to-Country Lite). Without one, countries are not counted.
GEOIP_COUNTRY_DB = os.environ.get("GEOIP_COUNTRY_DB", "")
