"""Logging in: throttling that an attacker cannot turn against the account's
owner, keeping no address, and lifting a lock."""

import io

import pytest
from django.core.management import call_command

from tests.clients import browser_client
from tests.conftest import PASSWORD

ATTACKER = "81.2.69.160"
OWNER = "203.0.113.7"
DATABASE_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
CACHE_HANDLER = "wiki.logins.LoginAttemptsCacheHandler"
# The unlock must work wherever django-axes keeps its counts: the database
# (no Redis) or Redis.
HANDLERS = [DATABASE_HANDLER, pytest.param(CACHE_HANDLER, marks=pytest.mark.redis)]


def _log_in(username, password, address, **headers):
    """A fresh browser at ``address`` posting the login form."""
    client = browser_client()
    response = client.post(
        "/accounts/login/",
        {"username": username, "password": password},
        REMOTE_ADDR=address,
        **headers,
    )
    return response, client


def _guess(username, address, times=5, **headers):
    for _ in range(times):
        response, _client = _log_in(username, "wrong", address, **headers)
    return response


def _is_logged_in(response, client) -> bool:
    return response.status_code == 302 and "_auth_user_id" in client.session


@pytest.fixture(params=HANDLERS)
def handler(request, settings):
    settings.AXES_HANDLER = request.param
    return request.param


def test_login_succeeds_with_the_right_password(moderator):
    assert _is_logged_in(*_log_in("moderator", PASSWORD, OWNER))


def test_password_guessing_is_locked_out(moderator):
    response = _guess("moderator", ATTACKER)
    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()
    # Even the right password is refused from there while the lock lasts.
    response, client = _log_in("moderator", PASSWORD, ATTACKER)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_a_few_wrong_passwords_do_not_lock_out(moderator):
    _guess("moderator", ATTACKER, times=3)
    assert _is_logged_in(*_log_in("moderator", PASSWORD, ATTACKER))


def test_guessing_from_one_address_does_not_lock_out_the_owner_elsewhere(handler, make_user):
    make_user("admin", superuser=True)
    assert _guess("admin", ATTACKER).status_code == 429
    assert _is_logged_in(*_log_in("admin", PASSWORD, OWNER))
    # The owner's login does not lift the lock where the guesses came from.
    response, _client = _log_in("admin", PASSWORD, ATTACKER)
    assert response.status_code == 429


def test_an_ipv6_network_counts_as_one_address(handler, moderator):
    for host in range(1, 6):
        _log_in("moderator", "wrong", f"2a02:1810:4d02:5e00::{host}")
    response, _client = _log_in("moderator", PASSWORD, "2a02:1810:4d02:5e00:ffff::1")
    assert response.status_code == 429
    assert _is_logged_in(*_log_in("moderator", PASSWORD, "2a02:1810:4d02:5e01::1"))


def test_behind_a_trusted_proxy_the_forwarded_address_counts(settings, moderator):
    settings.WIKI_TRUSTED_PROXIES = 1
    proxy = "10.0.0.2"
    _guess("moderator", proxy, HTTP_X_FORWARDED_FOR=ATTACKER)
    response, _client = _log_in("moderator", PASSWORD, proxy, HTTP_X_FORWARDED_FOR=ATTACKER)
    assert response.status_code == 429
    assert _is_logged_in(*_log_in("moderator", PASSWORD, proxy, HTTP_X_FORWARDED_FOR=OWNER))


def test_failed_logins_store_no_address(handler, moderator):
    from axes.models import AccessAttempt

    ipv6 = "2a02:1810:4d02:5e00::17"
    _guess("moderator", ATTACKER, times=2)
    _guess("moderator", ipv6, times=2)
    _guess("nobody", OWNER, times=1)
    dump = io.StringIO()
    call_command("dumpdata", stdout=dump)
    for raw in (ATTACKER, OWNER, ipv6, "2a02:1810:4d02:5e00::"):
        assert raw not in dump.getvalue()
    if handler == DATABASE_HANDLER:
        stored = set(AccessAttempt.objects.values_list("ip_address", flat=True))
        assert len(stored) == 3
        assert all(address.startswith("2001:db8:") for address in stored)


@pytest.mark.parametrize("command", ["unlockuser", "axes_reset_username"])
def test_unlock_lifts_a_usernames_lock_from_every_address(handler, command, make_user):
    make_user("alice")
    make_user("bob")
    _guess("alice", ATTACKER)
    _guess("alice", OWNER)
    _guess("bob", ATTACKER)
    output = io.StringIO()
    call_command(command, "alice", stdout=output)
    assert "removed" in output.getvalue()
    assert _is_logged_in(*_log_in("alice", PASSWORD, ATTACKER))
    assert _is_logged_in(*_log_in("alice", PASSWORD, OWNER))
    # Only the name given is unlocked.
    assert _log_in("bob", PASSWORD, ATTACKER)[0].status_code == 429


def test_unlockuser_says_when_there_was_nothing_to_unlock(handler, moderator):
    output = io.StringIO()
    call_command("unlockuser", "moderator", stdout=output)
    assert "nothing to unlock" in output.getvalue()


def test_axes_reset_lifts_every_lock(handler, make_user):
    make_user("alice")
    make_user("bob")
    _guess("alice", ATTACKER)
    _guess("bob", OWNER)
    call_command("axes_reset", stdout=io.StringIO())
    assert _is_logged_in(*_log_in("alice", PASSWORD, ATTACKER))
    assert _is_logged_in(*_log_in("bob", PASSWORD, OWNER))
