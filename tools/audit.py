"""Lighthouse audit: accessibility, best practices and SEO, offline.

Serves the site as `make serve` does (gunicorn, DEBUG off, plain HTTP on the
loopback address) from its own SQLite file with the demo pages loaded, runs
npm's Lighthouse with Debian's chromium on a page, a redirect, search results
and a year index, prints a table of scores and exits non-zero unless every
score is 100 (see EXPECTED for the one deliberate exception). Reports are
written to var/audit/ (HTML to read, JSON to diff).

Run it through `make audit`, which installs Lighthouse into
var/audit/node_modules first.
"""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
AUDIT_DIR = BASE_DIR / "var" / "audit"
LIGHTHOUSE = AUDIT_DIR / "node_modules" / ".bin" / "lighthouse"
PYTHON = BASE_DIR / ".venv" / "bin" / "python"
GUNICORN = BASE_DIR / ".venv" / "bin" / "gunicorn"
CHROMIUM = os.environ.get("KCR_CHROMIUM", "/usr/bin/chromium")
CHROME_FLAGS = "--headless=new --no-sandbox --disable-gpu --disable-background-networking"

PAGES = [
    ("main page", "/"),
    ("page", "/wiki/Interleukin-2/"),
    ("redirect", "/wiki/Proleukin/"),
    ("search", "/search/?q=interleukin"),
    ("year index", "/articles/2009/"),
]
CATEGORIES = ["accessibility", "best-practices", "seo"]

# Audits allowed to fail, and why. Search results are noindex (and robots.txt
# disallows /search/) on purpose: a results page for any words someone
# types must never appear in a search engine as if it were advice from this
# wiki, and the real pages are indexed anyway. Lighthouse's "is-crawlable"
# counts that against SEO on the search page only.
EXPECTED = {
    ("search", "is-crawlable"): "search results are noindex on purpose",
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def site_environment() -> dict:
    environment = {
        name: value
        for name, value in os.environ.items()
        if name not in {"REDIS_URL", "DATABASE_URL", "DJANGO_DEBUG"}
    }
    environment.update(
        DJANGO_SECRET_KEY="audit-only-not-secret",  # noqa: S106 (a throwaway local copy)
        DJANGO_DEBUG="0",
        DJANGO_HTTPS="0",
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DATABASE_URL=f"sqlite:///{AUDIT_DIR / 'audit.sqlite3'}",
    )
    return environment


def prepare_database(environment: dict):
    (AUDIT_DIR / "audit.sqlite3").unlink(missing_ok=True)
    for command in (["migrate", "--noinput", "--verbosity", "0"], ["loaddemo"]):
        subprocess.run([PYTHON, "manage.py", *command], cwd=BASE_DIR, env=environment, check=True)


def start_server(environment: dict, port: int) -> subprocess.Popen:
    server = subprocess.Popen(
        [GUNICORN, "kcr.wsgi", "--workers", "2", "--bind", f"127.0.0.1:{port}"],
        cwd=BASE_DIR,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return server
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.3)
    server.terminate()
    sys.exit("The site did not start within 30 seconds.")


def run_lighthouse(name: str, url: str) -> dict:
    report = AUDIT_DIR / ("report-" + name.replace(" ", "-"))
    subprocess.run(
        [
            LIGHTHOUSE,
            url,
            "--only-categories=" + ",".join(CATEGORIES),
            "--output=json",
            "--output=html",
            f"--output-path={report}",
            f"--chrome-flags={CHROME_FLAGS}",
            "--quiet",
        ],
        env={**os.environ, "CHROME_PATH": CHROMIUM},
        check=True,
    )
    return json.loads(report.with_suffix(".report.json").read_text())


def failed_audits(result: dict, category: str) -> list[str]:
    """Ids of the audits that lowered the category's score."""
    failed = []
    for reference in result["categories"][category]["auditRefs"]:
        audit = result["audits"][reference["id"]]
        if reference["weight"] > 0 and audit["score"] is not None and audit["score"] < 1:
            failed.append(reference["id"])
    return failed


def table_row(cells: list[str], widths: list[int]) -> str:
    return (
        "| "
        + " | ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True))
        + " |"
    )


def main() -> int:
    if not LIGHTHOUSE.exists():
        sys.exit(f"{LIGHTHOUSE} is missing: run `make audit`, which installs it.")
    if not Path(CHROMIUM).exists():
        sys.exit(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium).")
    AUDIT_DIR.mkdir(parents=True, exist_ok=True)
    environment = site_environment()
    prepare_database(environment)
    port = int(os.environ.get("AUDIT_PORT") or free_port())
    server = start_server(environment, port)
    try:
        results = {
            name: run_lighthouse(name, f"http://127.0.0.1:{port}{path}") for name, path in PAGES
        }
    finally:
        server.terminate()
        server.wait(timeout=30)

    widths = [10, 24] + [max(len(category), 5) for category in CATEGORIES]
    print(table_row(["page", "URL", *CATEGORIES], widths))
    print(table_row(["-" * width for width in widths], widths))
    notes, unexpected = [], []
    for name, path in PAGES:
        cells = [name, path]
        for category in CATEGORIES:
            score = round(results[name]["categories"][category]["score"] * 100)
            marker = ""
            for audit_id in failed_audits(results[name], category):
                title = results[name]["audits"][audit_id]["title"]
                if (name, audit_id) in EXPECTED:
                    marker = " *"
                    notes.append(f"{name}: {audit_id} ({EXPECTED[name, audit_id]})")
                else:
                    unexpected.append(f"{name}: {category}: {audit_id}: {title}")
            cells.append(f"{score}{marker}")
        print(table_row(cells, widths))
    for note in notes:
        print("* expected:", note)
    for failure in unexpected:
        print("FAILED:", failure)
    print(f"Reports: {AUDIT_DIR}/report-*.report.html")
    return 1 if unexpected else 0


if __name__ == "__main__":
    sys.exit(main())
