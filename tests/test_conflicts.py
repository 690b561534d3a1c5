import threading

import pytest
from django.db import connection
from django.test import Client

from tests.edit_data import edit_data
from wiki.diff import merge_texts
from wiki.models import Page, RevisionInfo
from wiki.services import save_page

BASE_TEXT = "First paragraph.\n\nSecond paragraph.\n\nThird paragraph.\n"


def test_stale_base_with_separate_changes_merges_cleanly(moderator_client, make_page):
    page = make_page("Interleukin-2", BASE_TEXT)
    base = page.current_revision_id
    save_page("Interleukin-2", BASE_TEXT.replace("First", "Opening"), summary="theirs")
    yours = BASE_TEXT.replace("Third", "Closing")
    response = moderator_client.post("/wiki/Interleukin-2/edit/", edit_data(yours, base))
    assert response.status_code == 302
    page.refresh_from_db()
    assert page.body == "Opening paragraph.\n\nSecond paragraph.\n\nClosing paragraph.\n"
    assert RevisionInfo.objects.filter(page=page).count() == 3


def test_clean_merge_tells_the_moderator(moderator_client, make_page):
    page = make_page("Interleukin-2", BASE_TEXT)
    base = page.current_revision_id
    save_page("Interleukin-2", BASE_TEXT.replace("First", "Opening"), summary="theirs")
    yours = BASE_TEXT.replace("Third", "Closing")
    response = moderator_client.post(
        "/wiki/Interleukin-2/edit/", edit_data(yours, base), follow=True
    )
    assert "merged" in response.content.decode()


def test_overlapping_change_answers_409_and_keeps_both_texts(moderator_client, make_page):
    page = make_page("Interleukin-2", BASE_TEXT)
    base = page.current_revision_id
    theirs = BASE_TEXT.replace("Second paragraph.", "Second paragraph, revised by them.")
    save_page("Interleukin-2", theirs, summary="theirs")
    yours = BASE_TEXT.replace("Second paragraph.", "Second paragraph, rewritten by me.")
    response = moderator_client.post("/wiki/Interleukin-2/edit/", edit_data(yours, base))
    assert response.status_code == 409
    html = response.content.decode()
    assert "Second paragraph, rewritten by me." in html  # still in the form
    assert "Edit conflict" in html
    assert "<del>" in html or "<ins>" in html  # the diff against what was saved
    page.refresh_from_db()
    assert page.body == theirs
    assert RevisionInfo.objects.filter(page=page).count() == 2


def test_conflict_form_is_based_on_the_current_revision(moderator_client, make_page):
    page = make_page("Interleukin-2", BASE_TEXT)
    base = page.current_revision_id
    save_page("Interleukin-2", "Completely different.", summary="theirs")
    page.refresh_from_db()
    response = moderator_client.post("/wiki/Interleukin-2/edit/", edit_data("Mine.", base))
    assert response.status_code == 409
    assert f'name="base_revision" value="{page.current_revision_id}"' in response.content.decode()


def test_conflicting_metadata_answers_409(moderator_client, make_page):
    page = make_page("Trial", "Text.", metadata={"source_name": "Old"})
    base = page.current_revision_id
    save_page("Trial", "Text.", metadata={"source_name": "Theirs"})
    data = edit_data("Text.", base, source_name="Mine")
    response = moderator_client.post("/wiki/Trial/edit/", data)
    assert response.status_code == 409
    page.refresh_from_db()
    assert page.source_name == "Theirs"


def test_creating_a_page_that_appeared_meanwhile_is_a_conflict(moderator_client, make_page):
    make_page("Interleukin-2", "Someone else was first.")
    response = moderator_client.post("/wiki/Interleukin-2/edit/", edit_data("Mine.", 0))
    assert response.status_code == 409
    assert Page.objects.get(title="Interleukin-2").body == "Someone else was first."


def test_missing_base_revision_never_overwrites(moderator_client, make_page):
    make_page("Interleukin-2", "Saved text.")
    response = moderator_client.post("/wiki/Interleukin-2/edit/", edit_data("Mine.", None))
    assert response.status_code == 409
    assert Page.objects.get(title="Interleukin-2").body == "Saved text."


def test_base_revision_of_another_page_is_a_conflict(moderator_client, make_page):
    other = make_page("Other", BASE_TEXT)
    page = make_page("Interleukin-2", BASE_TEXT)
    save_page("Interleukin-2", BASE_TEXT + "More.\n")
    yours = BASE_TEXT.replace("First", "Opening")
    response = moderator_client.post(
        "/wiki/Interleukin-2/edit/", edit_data(yours, other.current_revision_id)
    )
    assert response.status_code == 409
    page.refresh_from_db()
    assert page.body == BASE_TEXT + "More.\n"


def test_merge_texts_applies_separate_changes():
    merged = merge_texts("a\nb\nc\n", "A\nb\nc\n", "a\nb\nC\n")
    assert merged == "A\nb\nC\n"


def test_merge_texts_refuses_overlapping_changes():
    assert merge_texts("one two three", "one 2 three", "one deux three") is None


def test_merge_texts_of_large_rewrites_finishes():
    # Two unrelated 200 KB texts: bounded by the diff timeout, never hangs.
    base = "".join(f"line {number}\n" for number in range(20000))
    theirs = "".join(f"theirs {number * 7}\n" for number in range(20000))
    yours = "".join(f"yours {number * 13}\n" for number in range(20000))
    assert merge_texts(base, theirs, yours) is None


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_saves_yield_one_revision_and_one_conflict(make_user):
    moderator = make_user("racer", moderator=True)
    page = save_page("Interleukin-2", BASE_TEXT, summary="created").page
    base = page.current_revision_id
    barrier = threading.Barrier(2)
    statuses = {}

    def save(name):
        try:
            client = Client()
            client.force_login(moderator)
            text = BASE_TEXT.replace("Second paragraph.", f"Second paragraph by {name}.")
            barrier.wait(timeout=10)
            response = client.post("/wiki/Interleukin-2/edit/", edit_data(text, base))
            statuses[name] = (response.status_code, response.content.decode())
        finally:
            connection.close()

    threads = [threading.Thread(target=save, args=(name,)) for name in ("alice", "bob")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    codes = sorted(code for code, _ in statuses.values())
    assert codes == [302, 409]
    page.refresh_from_db()
    winner = next(name for name, (code, _) in statuses.items() if code == 302)
    loser = next(name for name, (code, _) in statuses.items() if code == 409)
    assert f"Second paragraph by {winner}." in page.body
    assert f"Second paragraph by {loser}." in statuses[loser][1]
    assert RevisionInfo.objects.filter(page=page).count() == 2


def test_merge_never_applies_a_change_at_a_lookalike_place():
    # Near-identical lines, and the other edit shifted them all: a fuzzy
    # patch could land on the wrong line, so the merge must refuse instead.
    lines = [f"Line {number} about the dose." for number in range(400)]
    base = "\n".join(lines)
    theirs = "\n".join([f"New line {number} at the top." for number in range(40)] + lines)
    yours_lines = list(lines)
    yours_lines[200] += " (checked)"
    merged = merge_texts(base, theirs, "\n".join(yours_lines))
    if merged is not None:
        assert "Line 200 about the dose. (checked)" in merged.splitlines()
