"""How long wiki.diff takes, and what the diff page costs (run:
.venv/bin/python bench/diff_bench.py).

First table: ``diff_texts`` alone on a 1 MB page (a few scattered edits, one
in ten lines changed, a complete rewrite), best of five runs. Second table:
the diff page (GET /wiki/<Title>/diff/<from>/<to>/) for two ~400 KB
revisions, realistic edits and the worst cases for the comparison, each
answered cold (nothing cached) and then cached, with the response size.
Uses a fresh temporary SQLite database and the local-memory cache.
"""

import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
_DIRECTORY = tempfile.TemporaryDirectory()
os.environ["DATABASE_URL"] = f"sqlite:///{_DIRECTORY.name}/diff_bench.sqlite3"
os.environ.pop("REDIS_URL", None)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kcr.settings")
os.environ.setdefault("DJANGO_SECRET_KEY", "benchmark-only")
os.environ.setdefault("DJANGO_HTTPS", "0")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver")

import django  # noqa: E402

django.setup()

from django.core.cache import cache  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402

from wiki.diff import diff_texts  # noqa: E402
from wiki.services import save_page  # noqa: E402

WORDS = [
    "kidney",
    "cancer",
    "treatment",
    "dose",
    "patient",
    "interleukin",
    "response",
    "trial",
    "week",
    "therapy",
]
PAGE_SIZE = 400_000


def page_text(size: int, seed: int) -> list[str]:
    chooser = random.Random(seed)
    lines, total = [], 0
    while total < size:
        line = " ".join(chooser.choice(WORDS) for _ in range(chooser.randint(6, 14))) + "."
        lines.append(line)
        total += len(line) + 1
    return lines


def edited(lines: list[str], share: float, seed: int) -> list[str]:
    chooser = random.Random(seed)
    result = list(lines)
    for index in chooser.sample(range(len(result)), max(1, int(len(result) * share))):
        words = result[index].split()
        words[chooser.randrange(len(words))] = "changed"
        result[index] = " ".join(words)
    return result


def best_of(runs: int, old: str, new: str) -> float:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        diff_texts(old, new)
        timings.append(time.perf_counter() - started)
    return min(timings)


def page_cases() -> list[tuple[str, str, str]]:
    """``(name, old, new)``: two ~400 KB texts each."""
    lines = page_text(PAGE_SIZE, seed=1)
    old = "\n".join(lines)
    lines_of = PAGE_SIZE // 2
    # No line is unique (so no fixed points): three values cycling, shifted.
    cycling_old = "\n".join("abc"[index % 3] for index in range(lines_of))
    cycling_new = "\n".join("abc"[(index + index // 7) % 3] for index in range(lines_of))
    # A unique line every 199 lines, repetitive lines between: many small
    # stretches, each the worst case for the old difflib comparison.
    stretches_old = "\n".join(
        f"anchor {index}" if index % 200 == 0 else "xyz"[index % 3] for index in range(lines_of)
    )
    stretches_new = "\n".join(
        f"anchor {index}" if index % 200 == 0 else "xyz"[(index * 2) % 3]
        for index in range(lines_of)
    )
    # Lines of one repeated word against another: every space matches.
    spaces_old = "\n".join(f"{index} " + " ".join(["a"] * 500) for index in range(400))
    spaces_new = "\n".join(f"{index} " + " ".join(["a", "b"] * 250) for index in range(400))
    one_line = " ".join(page_text(PAGE_SIZE, seed=5))
    chooser = random.Random(6)
    unicode_old = "\n".join(
        " ".join(chooser.choice(["腎臓", "がん", "治療", "😀", "é", "ß"]) for _ in range(10))
        for _ in range(PAGE_SIZE // 40)
    )
    return [
        ("20 scattered edits", old, "\n".join(edited(lines, 20 / len(lines), seed=2))),
        ("1 in 10 lines changed", old, "\n".join(edited(lines, 0.1, seed=3))),
        ("complete rewrite", old, "\n".join(page_text(PAGE_SIZE, seed=4))),
        ("all lines equal, one changed", "x\n" * lines_of, "x\n" * 1000 + "y\n" + "x\n" * 1000),
        ("tiny lines, none unique", cycling_old, cycling_new),
        ("1,000 small stretches", stretches_old, stretches_new),
        ("long lines of one word", spaces_old, spaces_new),
        ("one huge line", one_line, one_line.replace("dose", "dosage")),
        ("unicode, all changed", unicode_old, unicode_old.replace("😀", "治")),
    ]


def view_figures(client: Client, number: int, old: str, new: str) -> tuple[float, float, int]:
    """(cold seconds, cached seconds, response bytes) of one diff page."""
    title = f"Bench diff {number}"
    first = save_page(title, old, summary="old").page.current_revision_id
    second = save_page(title, new, summary="new").page.current_revision_id
    url = f"/wiki/{title.replace(' ', '_')}/diff/{first}/{second}/"
    cache.clear()
    started = time.perf_counter()
    response = client.get(url)
    cold = time.perf_counter() - started
    assert response.status_code == 200, response.status_code
    cached = []
    for _ in range(5):
        started = time.perf_counter()
        client.get(url)
        cached.append(time.perf_counter() - started)
    return cold, min(cached), len(response.content)


def main():
    lines = page_text(1_000_000, seed=1)
    old = "\n".join(lines)
    cases = [
        ("20 scattered edits", "\n".join(edited(lines, 20 / len(lines), seed=2))),
        ("1 in 10 lines changed", "\n".join(edited(lines, 0.1, seed=3))),
        ("complete rewrite", "\n".join(page_text(1_000_000, seed=4))),
    ]
    print(f"{'diff_texts, case (1 MB page)':<34}{'seconds':>10}")
    for name, new in cases:
        print(f"{name:<34}{best_of(5, old, new):>10.3f}")
    call_command("migrate", verbosity=0)
    client = Client()
    view_figures(client, -1, "warm up", "the first request")  # imports, templates
    print()
    print(f"{'diff page, case (~400 KB each)':<34}{'cold s':>10}{'cached ms':>11}{'bytes':>10}")
    for number, (name, old_text, new_text) in enumerate(page_cases()):
        cold, cached, size = view_figures(client, number, old_text, new_text)
        print(f"{name:<34}{cold:>10.3f}{cached * 1000:>11.1f}{size:>10,}")


if __name__ == "__main__":
    main()
