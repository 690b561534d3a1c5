"""Login throttling: what django-axes is given, and how a lock is lifted.

Axes counts wrong passwords per username *and* client address
(``AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]``). Someone
guessing a password from one address locks that username from that address
only, so the account's owner still logs in from anywhere else: five wrong
guesses every 15 minutes can no longer keep an admin out. A hospital sharing
one address does not lock out everyone behind it either: only the username
that was guessed, from there.

Axes keeps the address it is given (AccessAttempt's ``ip_address`` column,
or inside a cache key), so it is never given the address itself but a keyed
digest of it (``client_address_digest``). A whole IPv6 /64, usually one
household or one machine, counts as one address, so that walking through
its addresses gains an attacker nothing.

With Redis the counts live there (``LoginAttemptsCacheHandler``); while
Redis is down they go to the database instead, and a login is refused once
the two places together hold ``AXES_FAILURE_LIMIT`` failures, so losing
Redis (or getting it back, empty) never lifts the throttling. Log-in itself keeps
working: sessions live in the database.
"""

from __future__ import annotations

import ipaddress
import logging

from axes.handlers.cache import AxesCacheHandler
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import (
    get_cache_timeout,
    get_client_cache_keys,
    get_client_username,
    get_failure_limit,
)
from axes.signals import user_locked_out
from django.utils.crypto import salted_hmac

from wiki.feedback import client_address
from wiki.redis_breaker import UNAVAILABLE

logger = logging.getLogger(__name__)

LOGIN_ADDRESS_SALT = "wiki.logins.client_address_digest"
# The digest is written as an IPv6 address because AccessAttempt's column is a
# GenericIPAddressField (PostgreSQL's inet): 96 bits of HMAC under the
# documentation prefix 2001:db8::/32 (RFC 3849), which no real client has.
DIGEST_PREFIX = ipaddress.IPv6Address("2001:db8::").packed[:4]
DIGEST_BYTES = 12
IPV6_NETWORK_BITS = 64


def client_network(address: str) -> str:
    """What counts as one client for login throttling: an IPv4 address
    itself, an IPv6 address's /64 (an IPv4-mapped IPv6 address is its IPv4
    address). Empty for an empty or invalid address."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return ""
    if parsed.version == 6 and parsed.ipv4_mapped is not None:
        parsed = parsed.ipv4_mapped
    if parsed.version == 4:
        return str(parsed)
    return str(ipaddress.IPv6Network((parsed, IPV6_NETWORK_BITS), strict=False))


def client_address_digest(request) -> str:
    """django-axes' client address (``AXES_CLIENT_IP_CALLABLE``): an HMAC of
    the client's network (``client_network`` of the address
    ``wiki.feedback.client_address`` reads, so WIKI_TRUSTED_PROXIES applies),
    keyed from SECRET_KEY, written as an address under 2001:db8::/32. The
    same client always gets the same digest; the digest does not give the
    address back. Clients without a valid address share one digest."""
    network = client_network(client_address(request))
    digest = salted_hmac(LOGIN_ADDRESS_SALT, network, algorithm="sha256").digest()
    return str(ipaddress.IPv6Address(DIGEST_PREFIX + digest[:DIGEST_BYTES]))


def _username_index_key(username: str) -> str:
    # The username goes through an HMAC too: a cache key is no place for it.
    digest = salted_hmac(LOGIN_ADDRESS_SALT, username, algorithm="sha256").hexdigest()
    return f"axes-username-{digest}"


def _forget_browser(request) -> None:
    """Axes copies the browser's User-Agent and Accept headers into every
    AccessAttempt row; we keep neither (lockout does not use them)."""
    if request is not None:
        request.axes_user_agent = ""
        request.axes_http_accept = ""


class LoginAttemptsDatabaseHandler(AxesDatabaseHandler):
    """django-axes' database handler (used without Redis), storing no user
    agent and no Accept header beside the address digest."""

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        _forget_browser(request)
        super().user_login_failed(sender, credentials, request=request, **kwargs)

    def user_logged_in(self, sender, request, user, **kwargs):
        _forget_browser(request)
        super().user_logged_in(sender, request, user, **kwargs)

    def user_logged_out(self, sender, request, user, **kwargs):
        _forget_browser(request)
        super().user_logged_out(sender, request, user, **kwargs)


class LoginAttemptsCacheHandler(AxesCacheHandler):
    """django-axes' cache handler (used with Redis, through django-redis),
    able to lift one username's locks everywhere and to forget every lock.

    Axes names each count by a hash of username and address digest, which
    cannot be found from the username alone; its own handler therefore
    cannot reset a username (``axes_reset_username`` deletes nothing) or
    everything (``axes_reset`` raises NotImplementedError). This one keeps,
    per username, the set of its count keys, with the same lifetime as the
    counts, and deletes them on reset.

    When Redis cannot be reached, failures are counted in the database
    (``LoginAttemptsDatabaseHandler``), and a login is judged by the
    failures in both."""

    def __init__(self):
        super().__init__()
        self.database = LoginAttemptsDatabaseHandler()

    def get_failures(self, request, credentials: dict | None = None) -> int:
        # Each failure is counted in one place (in both, at worst, when Redis
        # failed half way through), so the two add up.
        try:
            in_redis = super().get_failures(request, credentials)
        except UNAVAILABLE:
            in_redis = 0
        return in_redis + self.database.get_failures(request, credentials)

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        try:
            self._count_failure(sender, credentials, request, **kwargs)
        except UNAVAILABLE as error:
            logger.warning("Counting a failed login in the database: Redis is down (%s)", error)
            self.database.user_login_failed(sender, credentials, request=request, **kwargs)
        # Either handler locks by its own count; the failures in both decide.
        if (
            request is not None
            and not getattr(request, "axes_locked_out", False)
            and self.get_failures(request, credentials) >= get_failure_limit(request, credentials)
        ):
            request.axes_locked_out = True
            request.axes_credentials = credentials
            user_locked_out.send(
                "axes",
                request=request,
                username=get_client_username(request, credentials),
                ip_address=request.axes_ip_address,
            )

    def user_logged_in(self, sender, request, user, **kwargs):
        # The failures counted in the database while Redis was down, too.
        self.database.user_logged_in(sender, request, user, **kwargs)
        try:
            super().user_logged_in(sender, request, user, **kwargs)
        except UNAVAILABLE as error:
            logger.warning("Could not forget failed logins in Redis (%s)", error)

    # Axes tells the configured handler of every AccessAttempt row saved or
    # deleted; the database handler does nothing with that, and neither does
    # this one when its fallback writes them.
    def post_save_access_attempt(self, instance, **kwargs):
        self.database.post_save_access_attempt(instance, **kwargs)

    def post_delete_access_attempt(self, instance, **kwargs):
        self.database.post_delete_access_attempt(instance, **kwargs)

    def _count_failure(self, sender, credentials: dict, request, **kwargs):
        super().user_login_failed(sender, credentials, request=request, **kwargs)
        if request is None:
            return
        username = get_client_username(request, credentials)
        if not username:
            return
        index_key = _username_index_key(username)
        self.cache.sadd(index_key, *get_client_cache_keys(request, credentials))
        self.cache.expire(index_key, get_cache_timeout(request))

    def reset_attempts(
        self,
        *,
        ip_address: str | None = None,
        username: str | None = None,
        ip_or_username: bool = False,
    ) -> int:
        """Forget the failed logins of ``username`` from every address, or of
        everyone when neither a username nor an address is given, in the
        database and in Redis (raising for Redis when it is down: its counts
        would outlive the reset). Returns how many counts were deleted."""
        in_database = self.database.reset_attempts(
            ip_address=ip_address, username=username, ip_or_username=ip_or_username
        )
        return in_database + self._reset_in_redis(ip_address, username, ip_or_username)

    def _reset_in_redis(self, ip_address, username, ip_or_username) -> int:
        if ip_address is None and username is None:
            return self.cache.delete_pattern("axes-*")
        if ip_address is None and not ip_or_username:
            index_key = _username_index_key(username)
            keys = self.cache.smembers(index_key)
            count = sum(1 for key in keys if self.cache.delete(key))
            self.cache.delete(index_key)
            return count
        return super().reset_attempts(
            ip_address=ip_address, username=username, ip_or_username=ip_or_username
        )
