"""Search latency at scale: load generated pages, then time searches.

    make bench-search                 # 10,000 pages on the configured database
    PAGES=50000 make bench-search     # more

The pages go into a bench database, never the development one: with
DATABASE_URL pointing at PostgreSQL, a database named ``<name>_bench`` on the
same server (created when missing); otherwise the SQLite file
``var/bench_search.sqlite3``. Pages are inserted directly (no revisions: search
never reads them) and indexed with ``wiki.search.rebuild``. A second run reuses
them.

Each query is timed as the search view runs it (redirect targets, the ranked
ids, the first page of 20 hits with their snippets, and "Did you mean" when no
title matches), after a few warm-up runs; a query matching more pages than
are listed shows its count as ">500"; the header box's suggestions are
timed as ``/search/suggest/`` runs them. The whole search view (the
"Go" jump's lookups, the search, the template, the middleware) is timed
through Django's test client, answering 200, for a common word, a rare one
and one that no page holds. Beside the generated pages are a few
named treatment pages and a redirect (Proleukin -> Interleukin-2), which the
misspelt queries are meant to find, and a misspelt generated title, which
shares trigrams with all 10,000 generated titles (the worst case for the
trigram indexes).
"""

import os
import random
import statistics
import string
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PAGES = int(os.environ.get("PAGES", "10000"))
RUNS = int(os.environ.get("RUNS", "50"))
WARM_UP = 3
TITLE_PREFIX = "Bench page"
COMMON_WORD = "treatment"  # in about 60% of the pages
RARE_WORD = "zebrafish"  # in 5 pages
UNKNOWN_WORD = "xylophone"  # in none, and close to no title
SEED = 20090514
NAMED_PAGES = [
    "Interleukin-2", "High Dose Interleukin-2", "Low Dose Interleukin-2", "IL-21",
    "Sunitinib", "Sorafenib", "Temsirolimus", "Everolimus", "Pazopanib", "Axitinib",
    "Nivolumab", "Ipilimumab", "Cabozantinib", "Lenvatinib", "Nephrectomy",
]  # fmt: skip
NAMED_REDIRECTS = {"Proleukin": "Interleukin-2", "Aldesleukin": "Interleukin-2"}
RANDOM_QUERY_LENGTH = 200


def bench_database_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        import psycopg

        parts = urlsplit(url)
        name = parts.path.lstrip("/") + "_bench"
        server = urlunsplit(parts._replace(path="/postgres"))
        with psycopg.connect(server, autocommit=True) as connection:
            exists = connection.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", [name]
            ).fetchone()
            if not exists:
                connection.execute(f'CREATE DATABASE "{name}"')
        return urlunsplit(parts._replace(path="/" + name))
    path = ROOT / "var" / "bench_search.sqlite3"
    path.parent.mkdir(exist_ok=True)
    return f"sqlite:///{path}"


def setup_django() -> None:
    os.environ["DATABASE_URL"] = bench_database_url()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kcr.settings")
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-not-secret")
    os.environ.setdefault("DJANGO_HTTPS", "0")
    import django

    django.setup()


def make_vocabulary(rng: random.Random, size: int = 4000) -> list[str]:
    syllables = ["ka", "lo", "mi", "ne", "ra", "to", "vi", "su", "de", "pa", "ri", "mo", "ten"]
    words = set()
    while len(words) < size:
        words.add("".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))))
    medical = [
        "kidney", "cancer", "tumour", "scan", "surgery", "immune", "therapy", "dose",
        "patients", "trial", "side", "effects", "tiredness", "blood", "pressure",
    ]  # fmt: skip
    return sorted(words) + medical


def make_body(rng: random.Random, vocabulary: list[str], number: int, rare: set[int]) -> str:
    paragraphs = []
    for _ in range(3):
        words = [rng.choice(vocabulary) for _ in range(rng.randint(50, 90))]
        paragraphs.append(" ".join(words).capitalize() + ".")
    if rng.random() < 0.6:
        paragraphs[1] += f" This {COMMON_WORD} is described below."
    if number in rare:
        paragraphs[2] += f" Studies in {RARE_WORD} came first."
    return "## Overview\n\n" + "\n\n".join(paragraphs) + "\n"


def load_pages(count: int) -> None:
    from django.db import transaction

    from wiki import search
    from wiki.models import Page
    from wiki.titles import title_key

    existing = Page.objects.filter(title__startswith=TITLE_PREFIX).count()
    if existing >= count and Page.objects.filter(title__in=NAMED_REDIRECTS).exists():
        print(f"Reusing {existing} generated pages.")
        return
    rng = random.Random(SEED)
    vocabulary = make_vocabulary(rng)
    rare = set(random.Random(SEED + 1).sample(range(count), 5))
    started = time.perf_counter()
    batch = []
    with transaction.atomic():
        for number in range(existing, count):
            title = f"{TITLE_PREFIX} {number:06d}"
            body = make_body(rng, vocabulary, number, rare)
            batch.append(Page(title=title, key=title_key(title), body=body))
            if len(batch) == 1000:
                Page.objects.bulk_create(batch)
                batch = []
        Page.objects.bulk_create(batch)
        named = [
            Page(title=title, key=title_key(title), body=make_body(rng, vocabulary, -1, rare))
            for title in NAMED_PAGES
        ] + [
            Page(
                title=title,
                key=title_key(title),
                body=f"#REDIRECT [[{target}]]\n",
                redirect_to=target,
            )
            for title, target in NAMED_REDIRECTS.items()
        ]
        present = set(
            Page.objects.filter(title__in=[page.title for page in named]).values_list(
                "title", flat=True
            )
        )
        Page.objects.bulk_create([page for page in named if page.title not in present])
    inserted = time.perf_counter() - started
    indexed = search.rebuild()
    print(
        f"Loaded {count - existing} pages in {inserted:.1f} s; "
        f"indexed {indexed} in {time.perf_counter() - started - inserted:.1f} s."
    )


def timed(run) -> tuple[list[float], str]:
    """``run()``'s times in ms over ``RUNS`` runs after ``WARM_UP``, and
    what it returned."""
    for _ in range(WARM_UP):
        total = run()
    timings = []
    for _ in range(RUNS):
        started = time.perf_counter()
        run()
        timings.append((time.perf_counter() - started) * 1000)
    return timings, total


def time_query(query: str) -> tuple[list[float], str]:
    from django.core.paginator import Paginator

    from wiki import search

    def run() -> str:
        results = search.search(query)
        page = Paginator(results, 20).get_page(1)
        hits = list(page)
        assert hits or not results.count()
        results.did_you_mean  # noqa: B018 (the view shows it)
        return f">{results.count()}" if results.has_more_results else str(results.count())

    return timed(run)


def time_suggest(query: str) -> tuple[list[float], str]:
    from wiki import search

    def run() -> str:
        return str(len(search.suggest_titles(query, 10)))

    return timed(run)


def time_view(query: str) -> tuple[list[float], str]:
    from django.test import Client, override_settings

    # Plain static storage: the timing must not depend on collectstatic.
    storages = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    client = Client(HTTP_HOST="localhost")

    def run() -> str:
        response = client.get("/search/", {"q": query})
        assert response.status_code == 200, response.status_code
        return str(response.status_code)

    with override_settings(STORAGES=storages):
        return timed(run)


def random_query(length: int) -> str:
    rng = random.Random(SEED)
    alphabet = string.ascii_letters + string.digits + string.punctuation + "    "
    return "".join(rng.choice(alphabet) for _ in range(length))


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def main() -> None:
    setup_django()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    load_pages(PAGES)
    with connection.cursor() as cursor:
        # Statistics and GIN indexes as autovacuum (or SQLite's optimize) would
        # leave them: a fresh GIN index holds new rows in a slow pending list.
        postgres = connection.vendor == "postgresql"
        for statement in (
            ["VACUUM ANALYZE wiki_page", "VACUUM ANALYZE wiki_searchtitle"]
            if postgres
            else ["PRAGMA optimize"]
        ):
            cursor.execute(statement)
    from wiki.models import Page

    print(
        f"Database: {connection.vendor} ({connection.settings_dict['NAME']}), "
        f"{Page.objects.count()} pages, {RUNS} runs a query"
    )
    print(f"{'query':<32}{'matches':>9}{'median ms':>12}{'p95 ms':>10}")
    queries = [
        ("common: " + COMMON_WORD, COMMON_WORD, time_query),
        ("rare: " + RARE_WORD, RARE_WORD, time_query),
        ("title: interleukin", "interleukin", time_query),
        ("misspelt: proleukn", "proleukn", time_query),
        ("misspelt: sunitnib", "sunitnib", time_query),
        ("misspelt generated title", "bench pgae 001234", time_query),
        (f"{RANDOM_QUERY_LENGTH} random characters", random_query(RANDOM_QUERY_LENGTH), time_query),
        ("view: " + COMMON_WORD, COMMON_WORD, time_view),
        ("view: " + RARE_WORD, RARE_WORD, time_view),
        ("view: " + UNKNOWN_WORD, UNKNOWN_WORD, time_view),
        ("suggest: proleukn", "proleukn", time_suggest),
        ("suggest: bench pgae", "bench pgae", time_suggest),
        (f"suggest: {RANDOM_QUERY_LENGTH} random", random_query(RANDOM_QUERY_LENGTH), time_suggest),
    ]
    for label, query, timer in queries:
        timings, total = timer(query)
        median = statistics.median(timings)
        print(f"{label:<32}{total:>9}{median:>12.1f}{percentile(timings, 0.95):>10.1f}")


if __name__ == "__main__":
    main()
