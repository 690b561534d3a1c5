import datetime

import pytest
from reversion.models import Revision

from wiki.models import CrossLink, Link, Page, RevisionInfo
from wiki.services import revert_page, save_page


def _ids(page):
    return list(
        RevisionInfo.objects.filter(page=page)
        .order_by("revision_id")
        .values_list("revision_id", flat=True)
    )


def test_revert_creates_new_revision_and_keeps_old_ones(moderator_client, make_page):
    page = make_page("Interleukin-2", "Original text.")
    save_page("Interleukin-2", "Vandalised text.")
    first, second = _ids(page)
    response = moderator_client.post(f"/wiki/Interleukin-2/revert/{first}/")
    assert response.status_code == 302
    page.refresh_from_db()
    assert page.body == "Original text."
    ids = _ids(page)
    assert ids[:2] == [first, second]
    assert len(ids) == 3
    assert page.current_revision_id == ids[2]


def test_revert_summary_names_revision_date_and_author(moderator_client, make_user):
    author = make_user("writer", moderator=True)
    date = datetime.datetime(2020, 3, 4, 5, 6, tzinfo=datetime.UTC)
    page = save_page("Interleukin-2", "Original.", user=author, date=date).page
    save_page("Interleukin-2", "Changed.")
    first = _ids(page)[0]
    moderator_client.post(f"/wiki/Interleukin-2/revert/{first}/")
    page.refresh_from_db()
    assert page.current_revision.comment == (
        f"Reverted to revision {first} of 2020-03-04 05:06 UTC by writer"
    )


def test_revert_restores_metadata_and_crosslinks(moderator_client, make_page):
    page = make_page(
        "Interleukin-2",
        "Text.",
        metadata={"source_name": "Journal", "article_date": datetime.date(2009, 5, 1)},
        crosslinks=[
            {"kind": "see", "target_title": "IL-21", "note_date": datetime.date(2007, 10, 23)}
        ],
    )
    save_page(
        "Interleukin-2",
        "Text.",
        metadata={"source_name": "Other", "article_date": None},
        crosslinks=[{"kind": "related", "target_title": "Something Else"}],
    )
    first = _ids(page)[0]
    moderator_client.post(f"/wiki/Interleukin-2/revert/{first}/")
    page.refresh_from_db()
    assert page.source_name == "Journal"
    assert page.article_date == datetime.date(2009, 5, 1)
    links = list(CrossLink.objects.filter(page=page))
    assert [(link.kind, link.target_title, link.note_date) for link in links] == [
        ("see", "IL-21", datetime.date(2007, 10, 23))
    ]
    assert set(Link.objects.filter(source=page).values_list("target_key", flat=True)) == {"il-21"}


def test_revert_keeps_the_current_title_after_a_move(moderator_client, make_page):
    from wiki.services import move_page

    page = make_page("Old Name", "Original.")
    save_page("Old Name", "Changed.")
    first = _ids(page)[0]
    move_page(page, "New Name")
    moderator_client.post(f"/wiki/New_Name/revert/{first}/")
    page.refresh_from_db()
    assert page.title == "New Name"
    assert page.body == "Original."


def test_revert_get_shows_confirmation_without_saving(moderator_client, make_page):
    page = make_page("Interleukin-2", "Original.")
    save_page("Interleukin-2", "Changed.")
    first = _ids(page)[0]
    before = Revision.objects.count()
    response = moderator_client.get(f"/wiki/Interleukin-2/revert/{first}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert f"Revert to revision {first}" in html
    assert 'method="post"' in html
    assert Revision.objects.count() == before


def test_revert_to_revision_of_another_page_is_404(moderator_client, make_page):
    other = make_page("Other", "x")
    page = make_page("Interleukin-2", "y")
    before = Revision.objects.count()
    response = moderator_client.post(f"/wiki/Interleukin-2/revert/{other.current_revision_id}/")
    assert response.status_code == 404
    assert Revision.objects.count() == before
    page.refresh_from_db()
    assert page.body == "y"


def test_revert_to_missing_revision_is_404(moderator_client, make_page):
    make_page("Interleukin-2", "y")
    assert moderator_client.post("/wiki/Interleukin-2/revert/999999/").status_code == 404


def test_revert_to_current_content_makes_no_revision(moderator_client, make_page):
    page = make_page("Interleukin-2", "y")
    before = Revision.objects.count()
    response = moderator_client.post(f"/wiki/Interleukin-2/revert/{page.current_revision_id}/")
    assert response.status_code == 302
    assert Revision.objects.count() == before


def test_revert_service_refuses_revision_of_another_page(make_page):
    other = make_page("Other", "x")
    page = make_page("Interleukin-2", "y")
    before = Revision.objects.count()
    with pytest.raises(Page.DoesNotExist):
        revert_page(page, other.current_revision_id)
    assert Revision.objects.count() == before
