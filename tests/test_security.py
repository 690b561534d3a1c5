"""Security headers and cookies (logging in: tests/test_login.py)."""

import pytest

from tests.conftest import PASSWORD


@pytest.fixture
def page_response(client, make_page):
    make_page("Interleukin-2", "Text.")
    return client.get("/wiki/Interleukin-2/")


def test_content_security_policy_allows_only_this_site(page_response):
    policy = page_response["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy


def test_pages_carry_no_inline_script_or_style(page_response):
    html = page_response.content.decode()
    assert "<script>" not in html
    assert "<style" not in html
    assert " style=" not in html
    assert " onclick=" not in html


def test_security_headers(page_response):
    assert page_response["X-Content-Type-Options"] == "nosniff"
    assert page_response["X-Frame-Options"] == "DENY"
    assert page_response["Referrer-Policy"] == "same-origin"


def test_session_cookie_is_http_only(client, moderator):
    client.post("/accounts/login/", {"username": "moderator", "password": PASSWORD})
    assert client.cookies["sessionid"]["httponly"]
