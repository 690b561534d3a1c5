"""Time to make the PDF of a 10 KB page: cold, and answered from the cache.

Runs against a throw-away SQLite database and the local-memory cache, so it
never touches your data. `make bench-pdf`.
"""

import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SECTION = """\
## {title}

Interleukin-2 is given in hospital by a team that knows its side effects well.
Most effects go away within days of the last dose. Ask your team about
[[High Dose Interleukin-2]], [[Low Dose Interleukin-2]] and the studies at
[the FDA](https://www.fda.gov/).

| Cancer | Patients studied | Overall response | Complete response |
|---|---|---|---|
| Metastatic renal cell carcinoma | 255 | 15% | 7% |
| Metastatic melanoma | 270 | 16% | 6% |

- Fever and chills
- Low blood pressure
- Tiredness

"""
TARGET_BYTES = 10 * 1024
CACHED_REPEATS = 20


def body_of_10_kb(seed: str) -> str:
    parts = []
    number = 0
    while len("".join(parts).encode("utf-8")) < TARGET_BYTES:
        number += 1
        parts.append(SECTION.format(title=f"{seed} part {number}"))
    return "".join(parts)[:TARGET_BYTES]


def timed_get(client, url: str) -> tuple[float, bytes]:
    started = time.perf_counter()
    response = client.get(url)
    seconds = time.perf_counter() - started
    if response.status_code != 200 or not response.content.startswith(b"%PDF"):
        raise SystemExit(f"{url} answered {response.status_code}, not a PDF")
    return seconds, response.content


def main() -> None:
    workdir = tempfile.mkdtemp(prefix="kcr-bench-pdf-")
    try:
        run(workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def run(workdir: str) -> None:
    os.environ["DATABASE_URL"] = f"sqlite:///{workdir}/bench.sqlite3"
    os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kcr.settings")
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-not-secret")

    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import setup_test_environment

    from wiki.services import save_page

    setup_test_environment()
    call_command("migrate", verbosity=0)
    for title in ("Warm-up Page", "Benchmark Page"):
        save_page(title, body_of_10_kb(title), summary="benchmark")

    client = Client(HTTP_HOST="localhost", HTTP_X_FORWARDED_PROTO="https")
    first_seconds, _ = timed_get(client, "/wiki/Warm-up_Page/pdf/")
    cold_seconds, data = timed_get(client, "/wiki/Benchmark_Page/pdf/")
    cached = [timed_get(client, "/wiki/Benchmark_Page/pdf/")[0] for _ in range(CACHED_REPEATS)]

    size = len(body_of_10_kb("Benchmark Page").encode("utf-8"))
    print(f"PDF of a {size / 1024:.1f} KB page ({len(data) / 1024:.0f} KB PDF)")
    print(f"{'case':<52} {'ms':>8}")
    print(
        f"{'first PDF in a process (includes import weasyprint)':<52} {first_seconds * 1000:8.1f}"
    )
    print(f"{'cold (rendered by WeasyPrint)':<52} {cold_seconds * 1000:8.1f}")
    print(f"{f'cached (median of {CACHED_REPEATS})':<52} {statistics.median(cached) * 1000:8.1f}")


if __name__ == "__main__":
    main()
