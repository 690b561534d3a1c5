"""Helpers for the caching-proxy tests: a real varnishd with the repository's
VCL, and a tiny HTTP server that records the purge requests the app sends."""

from __future__ import annotations

import http.server
import os
import shutil
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

VARNISHD = os.environ.get("KCR_VARNISHD") or shutil.which("varnishd") or "/usr/sbin/varnishd"
HAVE_VARNISHD = os.path.exists(VARNISHD)
# `make test` skips the Varnish tests without varnishd; .ci/run sets
# KCR_REQUIRE_VARNISH=1 so that a missing varnishd fails instead.
requires_varnish = pytest.mark.skipif(
    not HAVE_VARNISHD and not os.environ.get("KCR_REQUIRE_VARNISH"),
    reason="varnishd is not installed (apt-get install varnish) so the Varnish tests are skipped",
)
VCL = Path(settings.BASE_DIR) / "deploy" / "varnish" / "default.vcl"
# Generous: varnishd compiles the VCL with the C compiler on start.
START_SECONDS = 60
REQUEST_SECONDS = 20


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(predicate, timeout: float = REQUEST_SECONDS, message: str = "condition"):
    """Poll ``predicate`` until it returns something true; return that."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {message}")
        time.sleep(0.05)


def vcl_for(backends: list[tuple[str, int]]) -> str:
    """The repository's VCL in front of ``backends`` (host, port): one is
    what `make serve-cached` makes with sed; several share the requests
    round robin, as the VCL's comment says."""
    text = VCL.read_text()
    if len(backends) == 1:
        host, port = backends[0]
        text = text.replace('.host = "127.0.0.1";', f'.host = "{host}";', 1)
        return text.replace('.port = "8000";', f'.port = "{port}";', 1)
    start = text.index("backend app {")
    end = text.index("}", start) + 1
    servers = "".join(
        f'backend app{number} {{ .host = "{host}"; .port = "{port}"; }}\n'
        for number, (host, port) in enumerate(backends)
    )
    adds = "".join(
        f"    app_servers.add_backend(app{number});\n" for number in range(len(backends))
    )
    # Varnish runs several definitions of one sub in order: this one first.
    round_robin = (
        "import directors;\n"
        + servers
        + "sub vcl_init {\n    new app_servers = directors.round_robin();\n"
        + adds
        + "}\n"
        + "sub vcl_recv {\n    set req.backend_hint = app_servers.backend();\n}\n"
    )
    return text[:start] + round_robin + text[end:]


class LoggedProcess:
    """A server process of a test, on its own port, its output in a log file:
    ready once ``answers()`` says so, stopped by its pid."""

    name = "process"

    def __init__(self, command: list[str], log_path: Path, port: int, **popen):
        self.port = port
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.log = log_path.open("wb")
        self.process = subprocess.Popen(command, stdout=self.log, stderr=subprocess.STDOUT, **popen)

    def answers(self) -> bool:
        with socket.create_connection(("127.0.0.1", self.port), timeout=1):
            return True

    def wait_until_ready(self) -> None:
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                if self.answers():
                    return
            except (OSError, urllib.error.URLError):
                pass
            time.sleep(0.1)
        raise AssertionError(f"{self.name} on {self.url} did not start:\n{self.log_tail()}")

    def log_tail(self) -> str:
        self.log.flush()
        return self.log_path.read_text(errors="replace")[-3000:]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=15)
        self.log.close()


class Varnish(LoggedProcess):
    """varnishd in the foreground on a free port, with its own working
    directory, in front of ``backends``."""

    name = "varnishd"

    def __init__(self, directory: Path, backends: list[tuple[str, int]], port: int | None = None):
        directory.mkdir(parents=True, exist_ok=True)
        vcl = directory / "default.vcl"
        vcl.write_text(vcl_for(backends))
        port = port or free_port()
        command = [
            VARNISHD,
            "-F",
            "-j",
            "none",  # run as this user: no jail, the test's own files
            "-a",
            f"127.0.0.1:{port}",
            "-f",
            str(vcl),
            "-n",
            str(directory / "work"),
            "-s",
            "malloc,64m",
            "-T",
            "none",
        ]
        super().__init__(command, directory / "varnishd.log", port, cwd=directory)


class Response:
    def __init__(self, status: int, headers, body: str):
        self.status = status
        self.headers = headers
        self.text = body

    @property
    def cache(self) -> str:
        """What the VCL says it did: HIT, MISS or PASS."""
        return self.headers.get("X-Cache", "")


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def fetch(url: str, *, method: str = "GET", data: bytes | None = None, headers=None) -> Response:
    """One request, redirects not followed, errors returned as responses."""
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})  # noqa: S310
    try:
        with _opener.open(request, timeout=REQUEST_SECONDS) as response:
            return Response(response.status, response.headers, response.read().decode())
    except urllib.error.HTTPError as error:
        return Response(error.code, error.headers, error.read().decode(errors="replace"))


class PurgeRecorder:
    """An HTTP server on a free port that records every request (method,
    path, headers) and answers 200, or ``fail_first`` times 503 first."""

    def __init__(self, fail_first: int = 0):
        self.requests: list[dict] = []
        self.fail_first = fail_first
        recorder = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_BAN(self):  # noqa: N802 (http.server's naming)
                recorder.requests.append(
                    {"method": self.command, "path": self.path, "headers": dict(self.headers)}
                )
                failing = recorder.fail_first > 0
                recorder.fail_first -= 1
                self.send_response(503 if failing else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_PURGE = do_BAN  # noqa: N815

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def bans(self) -> list[str]:
        """The ``KCR-Ban`` values received so far."""
        return [request["headers"].get("KCR-Ban", "") for request in self.requests]

    def banned_pages(self) -> set[int]:
        return {
            int(page_id)
            for value in self.bans()
            if value.startswith("pages ")
            for page_id in value.split()[1:]
        }

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
