"""The Varnish rows of `make bench`: anonymous page views through varnishd
with deploy/varnish/default.vcl in front of the benchmark's app server,
against Debian's nginx serving the same bytes as a static file (the most a
proxy on this machine could do). Each runs as a child process of its own,
with its own port and files in a temporary folder, and is stopped by its
pid. Missing varnishd or nginx: the row says so instead of a figure."""

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VARNISHD = shutil.which("varnishd") or "/usr/sbin/varnishd"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
VARNISH_PORT, NGINX_PORT = 8713, 8714


def _wait_for_port(port: int, process: subprocess.Popen, name: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{name} on port {port} did not start")


class Varnish:
    def __init__(self, backend_port: int, folder: Path):
        vcl = (ROOT / "deploy" / "varnish" / "default.vcl").read_text()
        (folder / "default.vcl").write_text(
            vcl.replace('.port = "8000";', f'.port = "{backend_port}";')
        )
        self.process = subprocess.Popen(
            [VARNISHD, "-F", "-j", "none", "-a", f"127.0.0.1:{VARNISH_PORT}"]
            + ["-f", str(folder / "default.vcl"), "-n", str(folder / "varnish")]
            + ["-s", "malloc,256m", "-T", "none"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait_for_port(VARNISH_PORT, self.process, "varnishd")

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{VARNISH_PORT}{path}"

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


class Nginx:
    """nginx serving ``page_file`` at /page.html, with the Content-Type the
    app sends."""

    def __init__(self, page_file: Path, folder: Path):
        root = folder / "www"
        root.mkdir()
        shutil.copy(page_file, root / "page.html")
        for path in (folder, root, root / "page.html"):
            path.chmod(0o755)
        config = folder / "nginx.conf"
        config.write_text(
            f"worker_processes 2;\npid {folder}/nginx.pid;\nerror_log {folder}/error.log;\n"
            "events { worker_connections 1024; }\n"
            "http {\n  access_log off;\n"
            f"  client_body_temp_path {folder}/body;\n  proxy_temp_path {folder}/proxy;\n"
            f"  fastcgi_temp_path {folder}/fastcgi;\n"
            "  types { text/html html; }\n  charset utf-8;\n"
            f"  server {{ listen 127.0.0.1:{NGINX_PORT}; root {root}; }}\n}}\n"
        )
        self.process = subprocess.Popen(
            [NGINX, "-c", str(config), "-p", str(folder), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait_for_port(NGINX_PORT, self.process, "nginx")

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{NGINX_PORT}{path}"

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def proxy_rows(measure, app_port: int, page_file: Path, hot_path: str, rotating: list[str]):
    """Rows (measure, req/s, ratio to nginx, p50, p99, errors); ``measure(url,
    paths)`` is the median wrk run of run.py. Target: Varnish at least 0.5
    of nginx."""
    rows = [("measure", "req/s", "ratio to nginx", "p50 ms", "p99 ms", "errors")]
    if not Path(NGINX).exists() or not Path(VARNISHD).exists():
        missing = [
            name
            for name, path in (("nginx", NGINX), ("varnish", VARNISHD))
            if not Path(path).exists()
        ]
        rows.append(
            (
                f"needs {' and '.join(missing)}: sudo apt-get install {' '.join(missing)}",
                "",
                "",
                "",
                "",
                "",
            )
        )
        return rows
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        folder.chmod(0o755)  # nginx's workers run as another user
        (folder / "nginx").mkdir()
        (folder / "varnish").mkdir()
        nginx = Nginx(page_file, folder / "nginx")
        try:
            nginx_rate, *rest = measure(nginx.url("/page.html"), None)
        finally:
            nginx.stop()
        rows.append(
            ("nginx: same bytes, static file", f"{nginx_rate:.0f}", "1.00", *_figures(rest))
        )
        varnish = Varnish(app_port, folder / "varnish")
        try:
            cases = [
                ("Varnish: page view, one hot page", varnish.url(hot_path), None),
                ("Varnish: page view, rotating over 200", varnish.url("/"), rotating),
            ]
            for name, url, paths in cases:
                for path in paths or [hot_path]:  # each page once into the cache
                    subprocess.run(
                        ["curl", "-s", "-o", "/dev/null", varnish.url(path)], check=False
                    )
                rate, *rest = measure(url, paths)
                rows.append((name, f"{rate:.0f}", f"{rate / nginx_rate:.2f}", *_figures(rest)))
        finally:
            varnish.stop()
    return rows


def _figures(rest):
    p50, p99, errors = rest
    return (f"{p50:.1f}", f"{p99:.1f}", f"{errors:.0f}")
