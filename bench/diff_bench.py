"""How long wiki.diff takes on a 1 MB page (run: .venv/bin/python bench/diff_bench.py).

Three cases: a few scattered edits, one in ten lines changed, and a complete
rewrite. Prints a table of the best of five runs.
"""

import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kcr.settings")
os.environ.setdefault("DJANGO_SECRET_KEY", "benchmark-only")

import django  # noqa: E402

django.setup()

from wiki.diff import diff_texts  # noqa: E402

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


def main():
    lines = page_text(1_000_000, seed=1)
    old = "\n".join(lines)
    cases = [
        ("20 scattered edits", "\n".join(edited(lines, 20 / len(lines), seed=2))),
        ("1 in 10 lines changed", "\n".join(edited(lines, 0.1, seed=3))),
        ("complete rewrite", "\n".join(page_text(1_000_000, seed=4))),
    ]
    print(f"{'case (1 MB page)':<28}{'seconds':>10}")
    for name, new in cases:
        print(f"{name:<28}{best_of(5, old, new):>10.3f}")


if __name__ == "__main__":
    main()
