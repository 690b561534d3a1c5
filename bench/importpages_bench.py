"""Time importpages and exportpages on generated pages.

Usage: .venv/bin/python bench/importpages_bench.py [PAGES] [REVISIONS_PER_PAGE]
(default 1000 pages x 10 revisions). Uses a fresh temporary SQLite database
unless DATABASE_URL is set (then that database: use an empty one).
"""

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PARAGRAPH = (
    "Interleukin-2 is given in hospital. The dose depends on the patient's weight "
    "and on how well the kidneys and heart work. See [[High Dose Interleukin-2]]. "
)


def write_pages(path: Path, pages: int, revisions: int) -> None:
    with path.open("w", encoding="utf-8") as out:
        for number in range(pages):
            record = {
                "title": f"Benchmark page {number}",
                "revisions": [
                    {
                        "body": f"# Page {number}\n\n" + PARAGRAPH * (5 + revision),
                        "summary": f"edit {revision}",
                        "author": f"author{revision % 7}",
                        "date": f"2020-01-{1 + revision % 28:02d}T10:00:00+00:00",
                    }
                    for revision in range(revisions)
                ],
            }
            out.write(json.dumps(record) + "\n")


def run(args, env):
    started = time.perf_counter()
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)
    return time.perf_counter() - started


def main():
    pages = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    revisions = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    with tempfile.TemporaryDirectory() as directory:
        env = dict(os.environ, DJANGO_SECRET_KEY="benchmark-only")  # noqa: S106
        env.setdefault("DATABASE_URL", f"sqlite:///{directory}/bench.sqlite3")
        source = Path(directory) / "pages.jsonl"
        write_pages(source, pages, revisions)
        run(["migrate", "--verbosity", "0"], env)
        imported = run(["importpages", str(source)], env)
        exported = run(["exportpages", str(Path(directory) / "export.jsonl")], env)
    total = pages * revisions
    print(f"{'step':<10}{'pages':>8}{'revisions':>11}{'seconds':>10}{'revisions/s':>13}")
    print(f"{'import':<10}{pages:>8}{total:>11}{imported:>10.1f}{total / imported:>13.0f}")
    print(f"{'export':<10}{pages:>8}{total:>11}{exported:>10.1f}{total / exported:>13.0f}")


if __name__ == "__main__":
    main()
