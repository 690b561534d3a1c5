"""What the app tells the caching proxies (KCR_PURGE_URLS) when a reader
would see a change: each change made through the site, and the BAN requests
that a tiny recording server receives for it. No varnishd needed (the real
one is in test_varnish.py)."""

import logging
import socket
import time

import pytest

from tests.edit_data import edit_data
from tests.proxies import PurgeRecorder, wait_until
from wiki import purge
from wiki.models import Page
from wiki.reviews import today
from wiki.services import save_page


@pytest.fixture
def recorder(settings):
    recorder = PurgeRecorder()
    settings.PURGE_URLS = [recorder.url]
    settings.SITE_URL = "https://kcr.example.org"
    yield recorder
    recorder.stop()


@pytest.fixture
def commits(django_capture_on_commit_callbacks):
    """Run what the request queued for after its commit (the test itself
    holds a transaction that never commits)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def edit(client, page, body):
    data = edit_data(body, page.current_revision_id, summary="edit", save="1")
    response = client.post(page.get_absolute_url() + "edit/", data)
    assert response.status_code == 302, "the edit was not saved"
    return response


def test_edit_bans_the_page_and_nothing_else(moderator_client, make_page, recorder, commits):
    page = make_page("Interleukin-2", "First text.")
    make_page("Other Page", "Unrelated.")
    with commits():
        edit(moderator_client, page, "Second text.")
    wait_until(lambda: recorder.requests, message="a ban")
    assert recorder.banned_pages() == {page.pk}


def test_ban_is_sent_to_the_site_host_not_the_request_host(
    moderator_client, make_page, recorder, commits
):
    page = make_page("Interleukin-2", "First text.")
    with commits():
        edit(moderator_client, page, "Second text.")
    request = wait_until(lambda: recorder.requests, message="a ban")[0]
    assert request["method"] == "BAN"
    assert request["path"] == "/"
    assert request["headers"]["Host"] == "kcr.example.org"


def test_every_proxy_gets_the_ban(settings, moderator_client, make_page, recorder, commits):
    second = PurgeRecorder()
    settings.PURGE_URLS = [recorder.url, second.url]
    page = make_page("Interleukin-2", "First text.")
    try:
        with commits():
            edit(moderator_client, page, "Second text.")
        wait_until(lambda: recorder.requests and second.requests, message="both bans")
        assert recorder.banned_pages() == second.banned_pages() == {page.pk}
    finally:
        second.stop()


def test_new_page_bans_the_pages_whose_link_to_it_turns_blue(
    moderator_client, make_page, recorder, commits
):
    linking = make_page("Kidney Cancer", "See [[Interleukin-2]].")
    unrelated = make_page("Other Page", "Unrelated.")
    with commits():
        response = moderator_client.post(
            "/wiki/Interleukin-2/edit/", edit_data("New page.", summary="new", save="1")
        )
    assert response.status_code == 302
    created = Page.objects.get(title="Interleukin-2")
    wait_until(lambda: linking.pk in recorder.banned_pages(), message="the linking page's ban")
    assert recorder.banned_pages() == {created.pk, linking.pk}
    assert unrelated.pk not in recorder.banned_pages()


def test_move_bans_the_page_and_the_pages_linking_to_either_title(
    moderator_client, make_page, recorder, commits
):
    page = make_page("Old Name", "Text.")
    to_old = make_page("Links Old", "See [[Old Name]].")
    to_new = make_page("Links New", "See [[New Name]].")
    with commits():
        response = moderator_client.post("/wiki/Old_Name/move/", {"new_title": "New Name"})
    assert response.status_code == 302
    redirect = Page.objects.get(title="Old Name")
    wanted = {page.pk, redirect.pk, to_old.pk, to_new.pk}
    wait_until(lambda: wanted <= recorder.banned_pages(), message="the move's bans")


def test_revert_bans_the_page(moderator_client, make_page, recorder, commits):
    page = make_page("Interleukin-2", "First text.")
    first_revision = page.current_revision_id
    save_page("Interleukin-2", "Second text.")  # its own ban never runs: no commit
    with commits():
        response = moderator_client.post(f"/wiki/Interleukin-2/revert/{first_revision}/")
    assert response.status_code == 302
    wait_until(lambda: recorder.requests, message="a ban")
    assert recorder.banned_pages() == {page.pk}
    page.refresh_from_db()
    assert page.body == "First text."


def test_vote_bans_the_page_so_its_count_is_current(client, make_page, recorder, commits):
    page = make_page("Interleukin-2", "Text.")
    with commits():
        response = client.post(
            "/wiki/Interleukin-2/vote/",
            {"useful": "yes"},
            headers={"Origin": "https://kcr.example.org"},
        )
    assert response.status_code == 302
    wait_until(lambda: recorder.requests, message="a ban")
    assert recorder.banned_pages() == {page.pk}


def test_review_bans_the_page(moderator_client, make_page, recorder, commits):
    page = make_page("Interleukin-2", "Text.")
    with commits():
        response = moderator_client.post(
            "/wiki/Interleukin-2/review/",
            {"reviewer": "Dr A. Patel, oncologist", "reviewed_on": today().isoformat(), "note": ""},
        )
    assert response.status_code == 302
    wait_until(lambda: recorder.requests, message="a ban")
    assert recorder.banned_pages() == {page.pk}


def test_delete_bans_the_page_and_the_pages_whose_link_turns_red(
    admin_client, make_page, recorder, commits
):
    page = make_page("Interleukin-2", "Text.")
    linking = make_page("Kidney Cancer", "See [[Interleukin-2]].")
    with commits():
        response = admin_client.post(f"/admin/wiki/page/{page.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    wait_until(lambda: {page.pk, linking.pk} <= recorder.banned_pages(), message="the bans")


def test_new_disclaimer_version_bans_everything(admin_client, db, recorder, commits):
    with commits():
        response = admin_client.post(
            "/admin/wiki/disclaimerversion/add/",
            {"text": "A new disclaimer.", "short_text": "New short disclaimer."},
        )
    assert response.status_code == 302
    wait_until(lambda: recorder.requests, message="a ban")
    assert recorder.bans() == ["all"]


def test_failed_ban_is_retried(settings, moderator_client, make_page, commits):
    failing_once = PurgeRecorder(fail_first=1)
    settings.PURGE_URLS = [failing_once.url]
    page = make_page("Interleukin-2", "First text.")
    try:
        with commits():
            edit(moderator_client, page, "Second text.")
        wait_until(lambda: len(failing_once.requests) == 2, message="the retry")
        assert failing_once.bans() == [f"pages {page.pk}", f"pages {page.pk}"]
    finally:
        failing_once.stop()


def test_ban_that_keeps_failing_is_logged_and_the_edit_stands(
    settings, monkeypatch, moderator_client, make_page, commits, caplog
):
    always_failing = PurgeRecorder(fail_first=1000)
    settings.PURGE_URLS = [always_failing.url]
    monkeypatch.setattr(purge, "RETRY_DELAYS_SECONDS", (0.05, 0.05))
    page = make_page("Interleukin-2", "First text.")
    try:
        with caplog.at_level(logging.WARNING, logger="wiki.purge"), commits():
            edit(moderator_client, page, "Second text.")
        wait_until(
            lambda: any("gave up" in record.getMessage() for record in caplog.records),
            message="the give-up in the log",
        )
        assert len(always_failing.requests) == 3
    finally:
        always_failing.stop()
    page.refresh_from_db()
    assert page.body == "Second text."


def test_proxy_that_never_answers_holds_the_edit_only_a_moment(
    settings, moderator_client, make_page, commits
):
    # A port that accepts connections (the kernel's backlog) and never answers.
    black_hole = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    black_hole.bind(("127.0.0.1", 0))
    black_hole.listen(8)
    settings.PURGE_URLS = [f"http://127.0.0.1:{black_hole.getsockname()[1]}"]
    page = make_page("Interleukin-2", "First text.")
    try:
        started = time.monotonic()
        with commits():
            edit(moderator_client, page, "Second text.")
        elapsed = time.monotonic() - started
    finally:
        black_hole.close()
    page.refresh_from_db()
    assert page.body == "Second text."
    # The edit waits for the first attempt at most FIRST_ATTEMPT_WAIT_SECONDS
    # (1 s); the rest is the edit itself on a busy machine.
    assert elapsed < purge.FIRST_ATTEMPT_WAIT_SECONDS + 5


def test_without_proxies_nothing_is_sent_and_pages_say_a_minute(client, make_page, settings):
    settings.PURGE_URLS = []
    make_page("Interleukin-2", "Text.")
    response = client.get("/wiki/Interleukin-2/")
    assert "s-maxage=60" in response["Cache-Control"]
    assert not response.has_header("Surrogate-Control")
    assert not response.has_header(purge.PAGES_HEADER)


def test_with_proxies_an_anonymous_page_may_be_kept_a_day_and_names_its_pages(
    client, make_page, recorder
):
    target = make_page("Interleukin-2", "Text.")
    redirect = make_page("Proleukin", "#REDIRECT [[Interleukin-2]]")
    response = client.get("/wiki/Proleukin/")
    assert "s-maxage=60" in response["Cache-Control"]
    seconds = int(response["Surrogate-Control"].removeprefix("max-age="))
    assert 0 < seconds <= 24 * 60 * 60
    assert response[purge.PAGES_HEADER] == f",{target.pk},{redirect.pk},"


def test_with_proxies_a_logged_in_page_is_not_for_keeping(moderator_client, make_page, recorder):
    make_page("Interleukin-2", "Text.")
    response = moderator_client.get("/wiki/Interleukin-2/")
    assert "private" in response["Cache-Control"]
    assert not response.has_header("Surrogate-Control")
    assert not response.has_header(purge.PAGES_HEADER)


def test_proxy_that_never_answers_delays_no_other_proxy(
    settings, moderator_client, make_page, recorder, commits
):
    black_hole = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    black_hole.bind(("127.0.0.1", 0))
    black_hole.listen(8)
    settings.PURGE_URLS = [f"http://127.0.0.1:{black_hole.getsockname()[1]}", recorder.url]
    first = make_page("Interleukin-2", "First text.")
    second = make_page("Other Page", "Other text.")
    try:
        with commits():
            edit(moderator_client, first, "Second text.")
        # By the time the edit's answer is back, the live proxy has its ban.
        assert recorder.banned_pages() == {first.pk}
        # The dead proxy's retries do not hold up the next change's ban.
        with commits():
            edit(moderator_client, second, "Changed too.")
        assert recorder.banned_pages() == {first.pk, second.pk}
    finally:
        black_hole.close()


def test_a_later_mediawiki_dump_bans_the_pages_it_gives_newer_revisions(
    db, recorder, commits, tmp_path
):
    import io
    from pathlib import Path

    from django.core.management import call_command

    fixtures = Path(__file__).parent / "fixtures" / "mediawiki"
    full = (fixtures / "kcr-full-0.11.xml").read_text()
    # The dump as it was before the newest revision of every page.
    earlier = tmp_path / "earlier.xml"
    start = full.index("<page>")
    head, pages = full[:start], full[start:]
    trimmed = []
    for chunk in pages.split("</page>")[:-1]:
        revisions = chunk.split("<revision>")
        if len(revisions) > 2:
            chunk = "<revision>".join(revisions[:-1]) + "\n"
        trimmed.append(chunk)
    earlier.write_text(head + "</page>".join(trimmed) + "</page>\n</mediawiki>\n")
    call_command("importmediawiki", str(earlier), "--workers", "0", stdout=io.StringIO())
    grown = Page.objects.get(title="Interleukin-2")
    with commits():
        call_command("importmediawiki", str(fixtures / "kcr-full-0.11.xml"), stdout=io.StringIO())
    wait_until(lambda: grown.pk in recorder.banned_pages(), message="a ban of the grown page")


def test_an_import_is_not_held_up_by_a_proxy_that_never_answers(settings, db, commits):
    import io
    from pathlib import Path

    from django.core.management import call_command

    black_hole = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    black_hole.bind(("127.0.0.1", 0))
    black_hole.listen(8)
    settings.PURGE_URLS = [f"http://127.0.0.1:{black_hole.getsockname()[1]}"]
    dump = Path(__file__).parent / "fixtures" / "mediawiki" / "kcr-full-0.11.xml"
    try:
        started = time.monotonic()
        with commits():
            call_command("importmediawiki", str(dump), "--workers", "0", stdout=io.StringIO())
        elapsed = time.monotonic() - started
    finally:
        black_hole.close()
    pages = Page.objects.count()
    assert pages == 9
    # Waiting for the first attempt of each page's ban would take a second
    # a page; the import itself takes a fraction of that.
    assert elapsed < pages * purge.FIRST_ATTEMPT_WAIT_SECONDS - 2
