"""Security headers and cookies, and what the server logs (logging in:
tests/test_login.py)."""

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

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


# What `make serve` runs: the access log keeps no reader's address, user agent,
# referer or search words (the README's promise).
ROOT = Path(__file__).resolve().parent.parent
GUNICORN_CONF = ROOT / "kcr" / "gunicorn.conf.py"
# gunicorn's log atoms that name the reader or carry the query string: the
# address (h), the request line with its query (r), the query (q), referer
# (f), user agent (a), and any request header ({...}i) or environ ({...}e).
IDENTIFYING_ATOMS = re.compile(r"%\((h|r|q|f|a|\{[^}]*\}[ie])\)s")


def gunicorn_conf() -> dict:
    values = {}
    exec(GUNICORN_CONF.read_text(), values)  # noqa: S102 (our own config file)
    return values


def test_serve_runs_gunicorn_with_the_config_file():
    target = re.search(r"^serve:.*?(?=^\S)", (ROOT / "Makefile").read_text(), re.M | re.S)
    command = " ".join(line for line in target.group(0).splitlines() if "gunicorn" in line)
    assert "-c kcr/gunicorn.conf.py" in command
    assert "--access-log" not in command  # the format lives in the config file only


def test_gunicorn_access_log_format_names_no_reader():
    values = gunicorn_conf()
    assert values["accesslog"] == "-"
    log_format = values["access_log_format"]
    assert IDENTIFYING_ATOMS.findall(log_format) == []
    assert "%(U)s" in log_format  # the path without the query string
    assert values["secure_scheme_headers"] == {}  # Django alone decides on https


def test_gunicorn_access_log_keeps_no_address_agent_or_query(tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **{key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")},
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "serve-log-test-only-secret",
        "DJANGO_HTTPS": "0",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'serve.sqlite3'}",
    }
    env.pop("REDIS_URL", None)
    gunicorn = Path(sys.executable).parent / "gunicorn"
    command = [str(gunicorn), "kcr.wsgi", "-c", str(GUNICORN_CONF), "--workers", "1"]
    command += ["--bind", f"127.0.0.1:{port}"]
    stdout, stderr = (tmp_path / "stdout.log").open("wb"), (tmp_path / "stderr.log").open("wb")
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=stdout, stderr=stderr)
    try:
        url = f"http://127.0.0.1:{port}/healthz?q=private+search+words"
        headers = {"User-Agent": "Secret-Agent/1.0", "Referer": "https://referer.example/"}
        for _ in range(100):
            try:
                request = urllib.request.Request(url, headers=headers)  # noqa: S310
                with urllib.request.urlopen(request, timeout=2) as response:  # noqa: S310
                    assert response.status == 200
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise AssertionError((tmp_path / "stderr.log").read_text())
    finally:
        server.terminate()
        server.wait(timeout=15)
        stdout.close()
        stderr.close()
    log = (tmp_path / "stdout.log").read_text() + (tmp_path / "stderr.log").read_text()
    access_lines = [line for line in log.splitlines() if '"GET /healthz"' in line]
    assert access_lines, log
    for line in access_lines:
        assert re.fullmatch(r'\[[^]]+\] "GET /healthz" 200 \d+ \d+ms', line), line
    for secret in ("private", "search", "Secret-Agent", "referer.example"):
        assert secret not in log
