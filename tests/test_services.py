"""The write contracts of wiki.services, called directly (no views)."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from reversion.models import Revision

from wiki.content import CrossLinkContent, PageContent
from wiki.models import Page, RevisionInfo, Vote
from wiki.revisions import revision_content
from wiki.services import (
    EditConflict,
    delete_page,
    move_page,
    record_vote,
    recover_page,
    revert_page,
    save_page,
)

NOTE_DATE = datetime.date(2007, 10, 23)
BASE_TEXT = "First paragraph.\n\nSecond paragraph.\n\nThird paragraph.\n"


def _revision_ids(page):
    return list(
        RevisionInfo.objects.filter(page_id=page.pk)
        .order_by("revision_id")
        .values_list("revision_id", flat=True)
    )


def test_save_creates_the_page_with_its_first_revision(db, make_user):
    author = make_user("writer", moderator=True)
    result = save_page("Interleukin-2", "Text.", user=author, summary="start")
    assert (result.created, result.changed, result.merged) == (True, True, False)
    page = Page.objects.get(title="Interleukin-2")
    assert page.body == "Text."
    assert page.current_revision_id == result.revision.pk
    assert _revision_ids(page) == [result.revision.pk]
    assert (result.revision.comment, result.revision.user) == ("start", author)


def test_save_of_new_text_adds_a_revision_with_its_size_change(make_page):
    page = make_page("Interleukin-2", "Short.")
    result = save_page("Interleukin-2", "A longer text.")
    assert (result.created, result.changed) == (False, True)
    info = RevisionInfo.objects.get(revision=result.revision)
    assert (info.size, info.size_change) == (len("A longer text."), len("A longer text.") - 6)
    assert len(_revision_ids(page)) == 2


def test_unchanged_save_creates_no_revision(make_page):
    page = make_page(
        "Interleukin-2",
        "Text.",
        metadata={"source_name": "Journal"},
        crosslinks=[{"kind": "related", "target_title": "IL-21"}],
    )
    revisions = Revision.objects.count()
    result = save_page(
        "Interleukin-2",
        "Text.",
        metadata={"source_name": "Journal"},
        crosslinks=[CrossLinkContent(kind="related", target_title="IL-21")],
    )
    assert (result.changed, result.revision) == (False, None)
    assert Revision.objects.count() == revisions
    page.refresh_from_db()
    assert page.current_revision_id == _revision_ids(page)[-1]


def test_save_cleans_crosslinks_given_as_dicts_or_content(make_page):
    page = make_page(
        "Interleukin-2",
        "Text.",
        crosslinks=[
            {"target_title": "high_dose  interleukin-2", "label": " High dose "},
            CrossLinkContent(
                kind="see", target_title="IL-21", note_date=datetime.date(2007, 10, 23)
            ),
        ],
    )
    assert PageContent.from_page(page).crosslinks == (
        CrossLinkContent(kind="related", target_title="high dose interleukin-2", label="High dose"),
        CrossLinkContent(kind="see", target_title="IL-21", note_date=datetime.date(2007, 10, 23)),
    )


@pytest.mark.parametrize(
    "crosslink",
    [{"kind": "odd", "target_title": "IL-21"}, {"kind": "related", "target_title": "a|b"}],
)
def test_invalid_crosslink_is_refused_and_nothing_is_written(make_page, crosslink):
    page = make_page("Interleukin-2", "Text.")
    with pytest.raises(ValidationError):
        save_page("Interleukin-2", "New text.", crosslinks=[crosslink])
    page.refresh_from_db()
    assert page.body == "Text."
    assert len(_revision_ids(page)) == 1


def test_save_on_a_stale_base_raises_edit_conflict_and_writes_nothing(make_page):
    page = make_page("Interleukin-2", BASE_TEXT)
    base = page.current_revision_id
    save_page("Interleukin-2", BASE_TEXT.replace("First", "Opening"))
    with pytest.raises(EditConflict) as raised:
        save_page("Interleukin-2", "Mine.", base_revision_id=base)
    assert raised.value.base_revision_id == base
    page.refresh_from_db()
    assert page.body == BASE_TEXT.replace("First", "Opening")
    assert len(_revision_ids(page)) == 2


def test_merge_of_separate_edits_saves_the_merged_body(make_page):
    page = make_page("Interleukin-2", BASE_TEXT)
    base = page.current_revision_id
    save_page("Interleukin-2", BASE_TEXT.replace("First", "Opening"))
    result = save_page(
        "Interleukin-2", BASE_TEXT.replace("Third", "Closing"), base_revision_id=base, merge=True
    )
    assert (result.merged, result.changed) == (True, True)
    page.refresh_from_db()
    assert page.body == "Opening paragraph.\n\nSecond paragraph.\n\nClosing paragraph.\n"
    assert page.current_revision_id == result.revision.pk
    assert len(_revision_ids(page)) == 3


def test_merge_keeps_metadata_changed_by_either_side(make_page):
    page = make_page("Trial", BASE_TEXT, metadata={"source_name": "Old"})
    base = page.current_revision_id
    save_page("Trial", BASE_TEXT, metadata={"source_name": "Theirs"})
    save_page(
        "Trial",
        BASE_TEXT.replace("Third", "Closing"),
        base_revision_id=base,
        metadata={"source_url": "https://example.org/"},
        merge=True,
    )
    page.refresh_from_db()
    assert (page.source_name, page.source_url) == ("Theirs", "https://example.org/")


def test_merge_of_overlapping_edits_raises_edit_conflict(make_page):
    page = make_page("Interleukin-2", BASE_TEXT)
    base = page.current_revision_id
    theirs = BASE_TEXT.replace("Second paragraph.", "Second, by them.")
    save_page("Interleukin-2", theirs)
    with pytest.raises(EditConflict):
        save_page(
            "Interleukin-2",
            BASE_TEXT.replace("Second paragraph.", "Second, by me."),
            base_revision_id=base,
            merge=True,
        )
    page.refresh_from_db()
    assert page.body == theirs


def test_revert_creates_a_new_revision_with_the_old_content(make_page):
    page = make_page(
        "Interleukin-2", "Original.", crosslinks=[{"kind": "see", "target_title": "IL-21"}]
    )
    first = page.current_revision_id
    save_page("Interleukin-2", "Changed.", crosslinks=[])
    result = revert_page(page, first)
    assert result.changed
    page.refresh_from_db()
    assert _revision_ids(page) == [first, _revision_ids(page)[1], result.revision.pk]
    assert page.body == "Original."
    assert [link.target_title for link in page.crosslinks.all()] == ["IL-21"]
    assert result.revision.comment.startswith(f"Reverted to revision {first} of ")


def test_revert_to_a_revision_of_another_page_raises(make_page):
    page = make_page("Interleukin-2", "Text.")
    other = make_page("Other", "Other text.")
    with pytest.raises(Page.DoesNotExist):
        revert_page(page, other.current_revision_id)
    assert len(_revision_ids(page)) == 1


def test_move_keeps_the_history_and_leaves_a_redirect(make_page):
    page = make_page("Old Name", "Body.")
    save_page("Old Name", "Body two.")
    before = _revision_ids(page)
    moved = move_page(page, "New Name", summary="clearer")
    assert moved.pk == page.pk
    assert moved.title == "New Name"
    after = _revision_ids(moved)
    assert after[:2] == before and len(after) == 3
    assert revision_content(moved, after[-1]).title == "New Name"
    assert revision_content(moved, before[0]).title == "Old Name"
    redirect = Page.objects.get(title="Old Name")
    assert redirect.redirect_to == "New Name"
    assert redirect.redirect_target() == moved


def test_move_onto_an_existing_page_is_refused(make_page):
    page = make_page("Old Name", "Body.")
    make_page("Taken", "Another page.")
    with pytest.raises(ValidationError):
        move_page(page, "Taken")
    page.refresh_from_db()
    assert page.title == "Old Name"


def test_delete_then_recover_brings_the_page_back_with_its_history(make_page):
    page = make_page(
        "Interleukin-2", "First.", crosslinks=[{"kind": "related", "target_title": "IL-21"}]
    )
    save_page("Interleukin-2", "Second.", metadata={"source_name": "Journal"})
    page_id, history = page.pk, _revision_ids(page)
    delete_page(page)
    assert not Page.objects.filter(pk=page_id).exists()
    recovered = recover_page(page_id)
    assert recovered.pk == page_id
    recovered.refresh_from_db()
    assert (recovered.body, recovered.source_name) == ("Second.", "Journal")
    assert [link.target_title for link in recovered.crosslinks.all()] == ["IL-21"]
    assert _revision_ids(recovered)[:2] == history
    assert recovered.current_revision_id == _revision_ids(recovered)[-1]


def test_recover_of_an_existing_page_is_refused(make_page):
    page = make_page("Interleukin-2", "Text.")
    with pytest.raises(ValidationError):
        recover_page(page.pk)
    assert len(_revision_ids(page)) == 1


def test_votes_count_one_answer_per_reader(make_page):
    page = make_page("Interleukin-2", "Text.")
    vote, created = record_vote(page, True, voter_key="user:1")
    assert created
    assert vote.revision_id == page.current_revision_id
    record_vote(page, False, voter_key="session:abc")
    _, created = record_vote(page, False, voter_key="user:1")
    assert not created
    counted = Page.objects.with_vote_counts().get(pk=page.pk)
    assert (counted.yes_votes, counted.no_votes) == (0, 2)
    assert Vote.objects.filter(page=page).count() == 2
