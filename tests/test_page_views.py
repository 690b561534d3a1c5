"""Page views: counted per page and day (and country), written in batches."""

import datetime
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.clients import browser_client
from wiki import page_views
from wiki.models import PageViewBatch, PageViewDay, Vote
from wiki.page_views import flush_page_views, write_view_counts

CLIENT_ADDRESS = "81.2.69.160"  # in the test country database: GB
USES_REDIS = bool(os.environ.get("REDIS_URL"))


def views_of(page, **filters):
    return sum(PageViewDay.objects.filter(page=page, **filters).values_list("views", flat=True))


@pytest.fixture
def country_database(tmp_path, settings):
    """A tiny MaxMind-format country database: 81.2.69.0/24 is GB."""
    from mmdb_writer import MMDBWriter
    from netaddr import IPSet

    writer = MMDBWriter(ip_version=6, database_type="GeoLite2-Country", ipv4_compatible=True)
    writer.insert_network(
        IPSet(["81.2.69.0/24"]), {"country": {"iso_code": "GB", "names": {"en": "United Kingdom"}}}
    )
    path = tmp_path / "countries.mmdb"
    writer.to_db_file(str(path))
    settings.GEOIP_COUNTRY_DB = str(path)
    return path


def test_views_are_counted_per_page_and_day_after_a_flush(client, make_page):
    page = make_page()
    other = make_page("IL-21")
    for _ in range(3):
        client.get("/wiki/Interleukin-2/")
    client.get("/wiki/IL-21/")
    flush_page_views()
    today = timezone.now().date()
    assert views_of(page, day=today) == 3
    assert views_of(other, day=today) == 1


def test_a_page_view_writes_nothing_to_the_database(client, make_page):
    make_page()
    client.get("/wiki/Interleukin-2/")
    with CaptureQueriesContext(connection) as queries:
        client.get("/wiki/Interleukin-2/")
    writes = [q["sql"] for q in queries if not q["sql"].lstrip().upper().startswith("SELECT")]
    assert writes == []
    assert not PageViewDay.objects.exists()


def test_flushing_twice_counts_once(client, make_page):
    page = make_page()
    client.get("/wiki/Interleukin-2/")
    client.get("/wiki/Interleukin-2/")
    assert flush_page_views() == 2
    assert flush_page_views() == 0
    assert views_of(page) == 2


def test_later_views_add_to_the_day_total(client, make_page):
    page = make_page()
    client.get("/wiki/Interleukin-2/")
    flush_page_views()
    client.get("/wiki/Interleukin-2/")
    flush_page_views()
    assert PageViewDay.objects.get(page=page).views == 2


def test_view_of_a_redirect_counts_for_the_page_shown(client, make_page):
    target = make_page("Interleukin-2")
    make_page("Proleukin", "#REDIRECT [[Interleukin-2]]")
    client.get("/wiki/Proleukin/")
    flush_page_views()
    assert views_of(target) == 1
    assert PageViewDay.objects.count() == 1


def test_main_page_views_are_counted(client, make_page):
    page = make_page("Main Page")
    client.get("/")
    flush_page_views()
    assert views_of(page) == 1


def test_missing_page_and_head_requests_are_not_counted(client, make_page):
    make_page()
    client.get("/wiki/No_Such_Page/")
    client.head("/wiki/Interleukin-2/")
    assert flush_page_views() == 0


def test_views_of_a_page_deleted_before_the_flush_are_dropped(client, make_page):
    page = make_page()
    client.get("/wiki/Interleukin-2/")
    page.delete()
    assert flush_page_views() == 0
    assert not PageViewDay.objects.exists()


def test_deleting_a_page_deletes_its_view_totals(make_page):
    page = make_page()
    write_view_counts({(page.pk, timezone.now().date(), ""): 5})
    page.delete()
    assert not PageViewDay.objects.exists()


def test_flushviews_command_writes_the_counts(client, make_page):
    page = make_page()
    client.get("/wiki/Interleukin-2/")
    output = []
    call_command("flushviews", stdout=_Lines(output))
    assert views_of(page) == 1
    assert "Wrote 1 page views." in "".join(output)


class _Lines:
    def __init__(self, lines):
        self.lines = lines

    def write(self, text):
        self.lines.append(text)

    def flush(self):
        pass


@pytest.mark.skipif(USES_REDIS, reason="the per-process buffer is used only without Redis")
def test_without_redis_each_process_writes_its_buffer_every_n_views(client, make_page, monkeypatch):
    page = make_page()
    monkeypatch.setattr(page_views, "FLUSH_EVERY_VIEWS", 3)
    client.get("/wiki/Interleukin-2/")
    client.get("/wiki/Interleukin-2/")
    assert views_of(page) == 0
    client.get("/wiki/Interleukin-2/")
    assert views_of(page) == 3


@pytest.mark.skipif(USES_REDIS, reason="the per-process buffer is used only without Redis")
def test_without_redis_a_failed_write_keeps_the_counts(client, make_page, monkeypatch):
    page = make_page()
    client.get("/wiki/Interleukin-2/")
    monkeypatch.setattr(page_views, "UPSERT_CHUNK", 0)  # range() step 0: the write fails
    assert page_views.flush_local_views() == 0
    monkeypatch.undo()
    assert page_views.flush_local_views() == 1
    assert views_of(page) == 1


def test_countries_are_counted_with_a_country_database(make_page, country_database):
    page = make_page()
    browser_client(REMOTE_ADDR=CLIENT_ADDRESS).get("/wiki/Interleukin-2/")
    browser_client(REMOTE_ADDR=CLIENT_ADDRESS).get("/wiki/Interleukin-2/")
    browser_client(REMOTE_ADDR="192.0.2.7").get("/wiki/Interleukin-2/")
    flush_page_views()
    assert views_of(page, country="GB") == 2
    assert views_of(page, country="") == 1


def test_without_a_country_database_no_country_is_recorded(make_page, settings):
    settings.GEOIP_COUNTRY_DB = ""
    page = make_page()
    browser_client(REMOTE_ADDR=CLIENT_ADDRESS).get("/wiki/Interleukin-2/")
    flush_page_views()
    assert list(PageViewDay.objects.filter(page=page).values_list("country", "views")) == [("", 1)]


def test_trusted_proxy_address_is_used_for_the_country(make_page, country_database, settings):
    settings.WIKI_TRUSTED_PROXIES = 1
    page = make_page()
    browser_client(
        REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=f"203.0.113.9, {CLIENT_ADDRESS}"
    ).get("/wiki/Interleukin-2/")
    flush_page_views()
    assert views_of(page, country="GB") == 1


def test_no_ip_address_is_stored_anywhere_in_the_database(make_page, make_user, country_database):
    page = make_page()
    anonymous = browser_client(REMOTE_ADDR=CLIENT_ADDRESS)
    anonymous.get("/wiki/Interleukin-2/")
    anonymous.post("/wiki/Interleukin-2/vote/", {"useful": "yes"})
    anonymous.post("/wiki/Interleukin-2/vote/", {"useful": "no"})
    logged_in = browser_client(REMOTE_ADDR=CLIENT_ADDRESS)
    logged_in.force_login(make_user("patient"))
    logged_in.get("/wiki/Interleukin-2/")
    logged_in.post("/wiki/Interleukin-2/vote/", {"useful": "yes"})
    flush_page_views()
    assert Vote.objects.filter(page=page).count() == 2
    assert views_of(page, country="GB") == 2

    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            for row in cursor.fetchall():
                found += [(table, value) for value in row if CLIENT_ADDRESS in str(value)]
    for session in Session.objects.all():
        found += (
            [("session data", session.get_decoded())]
            if CLIENT_ADDRESS in str(session.get_decoded())
            else []
        )
    assert found == []


@pytest.mark.redis
def test_no_ip_address_is_kept_in_redis(make_page, country_database):
    make_page()
    anonymous = browser_client(REMOTE_ADDR=CLIENT_ADDRESS)
    anonymous.get("/wiki/Interleukin-2/")
    anonymous.post("/wiki/Interleukin-2/vote/", {"useful": "yes"})
    page_views.push_local_views()
    client = page_views._redis()
    needle = CLIENT_ADDRESS.encode()
    keys = list(client.scan_iter())
    assert keys  # the page view was counted here (vote limits are in the database)
    for key in keys:
        assert needle not in key
        kind = client.type(key)
        if kind == b"string":
            assert needle not in client.get(key)
        elif kind == b"hash":
            assert all(needle not in field + value for field, value in client.hgetall(key).items())


@pytest.mark.redis
def test_a_batch_left_by_a_dead_flush_is_written_exactly_once(make_page):
    from django.core.cache import cache

    page = make_page()
    client = page_views._redis()
    today = timezone.now().date().isoformat()
    written_key = cache.make_key(page_views.BATCH_KEY_PREFIX + "written")
    unwritten_key = cache.make_key(page_views.BATCH_KEY_PREFIX + "unwritten")
    # One flush died after its transaction committed, another before it.
    client.hset(written_key, f"{page.pk}:{today}:", 7)
    PageViewBatch.objects.create(name=written_key)
    client.hset(unwritten_key, f"{page.pk}:{today}:", 4)
    assert flush_page_views() == 4
    assert flush_page_views() == 0
    assert views_of(page) == 4
    assert not client.exists(written_key) and not client.exists(unwritten_key)


COUNTING_SCRIPT = """
import sys
import django
django.setup()
from django.test import RequestFactory
from wiki.models import Page
from wiki.page_views import count_page_view
page_ids = [int(value) for value in sys.argv[1].split(",")]
views = int(sys.argv[2])
factory = RequestFactory()
for number in range(views):
    request = factory.get("/wiki/x/", REMOTE_ADDR="192.0.2.1")
    count_page_view(request, Page(pk=page_ids[number % len(page_ids)]))
"""


@pytest.mark.redis
def test_views_counted_by_several_processes_sharing_redis_are_all_flushed(make_page):
    first, second = make_page("Interleukin-2"), make_page("IL-21")
    processes_count, views_each = 4, 500
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "kcr.settings"}
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", COUNTING_SCRIPT, f"{first.pk},{second.pk}", str(views_each)],
            cwd=Path(settings.BASE_DIR),
            env=environment,
        )
        for _ in range(processes_count)
    ]
    written = 0
    # Flush while they count: a view counted during a flush waits for the next.
    while any(process.poll() is None for process in processes):
        written += flush_page_views()
    assert [process.wait() for process in processes] == [0] * processes_count
    written += flush_page_views()
    assert flush_page_views() == 0
    total = processes_count * views_each
    assert written == total
    assert views_of(first) == total // 2
    assert views_of(second) == total // 2


def test_old_view_totals_stay_out_of_the_last_30_days(make_page):
    page = make_page()
    today = timezone.now().date()
    write_view_counts(
        {(page.pk, today, ""): 2, (page.pk, today - datetime.timedelta(days=40), ""): 9}
    )
    from wiki.models import Page

    annotated = Page.objects.with_feedback(views_since=today - datetime.timedelta(days=29)).get()
    assert annotated.recent_views == 2


@pytest.mark.redis
def test_views_buffered_in_the_process_are_counted_by_the_flush(client, make_page):
    page = make_page()
    for _ in range(3):
        client.get("/wiki/Interleukin-2/")
    assert flush_page_views() == 3
    assert views_of(page) == 3


@pytest.mark.redis
def test_views_reach_redis_within_seconds_without_a_flush(client, make_page):
    # So that flushviews, run by cron in another process, finds them.
    import time

    from django.core.cache import cache

    make_page()
    for _ in range(3):
        client.get("/wiki/Interleukin-2/")
    pending_key = cache.make_key(page_views.PENDING_KEY)
    deadline = time.monotonic() + 3 * page_views.PUSH_EVERY_SECONDS
    pushed = 0
    while pushed < 3 and time.monotonic() < deadline:
        time.sleep(0.2)
        pushed = sum(int(views) for views in page_views._redis().hgetall(pending_key).values())
    assert pushed == 3
