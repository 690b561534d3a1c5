from django.contrib.contenttypes.models import ContentType
from reversion.models import Version

from wiki.display import page_display
from wiki.models import Link, Page, RevisionInfo, Vote
from wiki.services import record_vote, save_page


def test_move_renames_and_keeps_history(moderator_client, make_page):
    page = make_page("Old Name", "Body.")
    save_page("Old Name", "Body two.")
    response = moderator_client.post("/wiki/Old_Name/move/", {"new_title": "New Name"})
    assert response.status_code == 302
    assert response["Location"] == "/wiki/New_Name/"
    page.refresh_from_db()
    assert page.title == "New Name"
    assert page.body == "Body two."
    assert RevisionInfo.objects.filter(page=page).count() == 3
    history = moderator_client.get("/wiki/New_Name/history/").content.decode()
    assert "Moved [[Old Name]] to [[New Name]]" in history


def test_move_leaves_redirect_behind(moderator_client, make_page):
    make_page("Old Name", "Body.")
    moderator_client.post("/wiki/Old_Name/move/", {"new_title": "New Name"})
    old = Page.objects.get(title="Old Name")
    assert old.is_redirect
    assert old.redirect_to == "New Name"
    assert old.current_revision_id is not None


def test_move_onto_existing_page_is_refused(moderator_client, make_page):
    make_page("Old Name", "Body.")
    make_page("Taken", "Other body.")
    response = moderator_client.post("/wiki/Old_Name/move/", {"new_title": "Taken"})
    assert response.status_code == 400
    assert "already exists" in response.content.decode()
    assert Page.objects.get(title="Old Name").body == "Body."
    assert Page.objects.get(title="Taken").body == "Other body."


def test_move_onto_redirect_to_this_page_is_allowed(moderator_client, make_page):
    page = make_page("Old Name", "Body.")
    make_page("Other Name", "#REDIRECT [[Old Name]]")
    response = moderator_client.post("/wiki/Old_Name/move/", {"new_title": "Other Name"})
    assert response.status_code == 302
    page.refresh_from_db()
    assert page.title == "Other Name"
    assert Page.objects.get(title="Old Name").redirect_to == "Other Name"


def _recover_url(page_pk):
    version = (
        Version.objects.filter(
            content_type=ContentType.objects.get_for_model(Page), object_id=str(page_pk)
        )
        .order_by("-revision_id")
        .first()
    )
    return f"/admin/wiki/page/recover/{version.pk}/"


def test_replaced_redirect_keeps_its_revision_and_can_be_recovered(
    moderator_client, admin_client, make_page
):
    make_page("Old Name", "Body.")
    redirect = make_page("Other Name", "#REDIRECT [[Old Name]]", summary="the redirect")
    revision_id = redirect.current_revision_id
    moderator_client.post("/wiki/Old_Name/move/", {"new_title": "Other Name"})
    assert not Page.objects.filter(pk=redirect.pk).exists()
    assert RevisionInfo.objects.filter(page_id=redirect.pk).get().revision_id == revision_id
    # Listed where the admin finds deleted pages, and recoverable.
    assert "Other Name" in admin_client.get("/admin/wiki/page/recover/").content.decode()
    url = _recover_url(redirect.pk)
    assert 'value="Other Name (recovered)"' in admin_client.get(url).content.decode()
    response = admin_client.post(url, {"new_title": "Other Name (recovered)"})
    assert response.status_code == 302
    recovered = Page.objects.get(pk=redirect.pk)
    assert recovered.title == "Other Name (recovered)"
    assert RevisionInfo.objects.filter(page=recovered).first().revision_id == revision_id


def test_move_back_over_the_redirect_it_left(moderator_client, make_page):
    page = make_page("Old Name", "Body.")
    moderator_client.post("/wiki/Old_Name/move/", {"new_title": "New Name"})
    response = moderator_client.post("/wiki/New_Name/move/", {"new_title": "Old Name"})
    assert response.status_code == 302
    page.refresh_from_db()
    assert page.title == "Old Name"
    assert Page.objects.get(title="New Name").redirect_to == "Old Name"


def test_move_cannot_erase_the_history_of_a_page_made_into_a_redirect(
    moderator_client, client, make_page
):
    pazopanib = make_page("Pazopanib", "Pazopanib (Votrient) is a tablet.", summary="first text")
    save_page("Pazopanib", "Pazopanib is taken once a day.", summary="second text")
    record_vote(pazopanib, True, voter_key="user:1")
    draft = make_page("Pazo Draft", "Draft.", summary="the draft")
    save_page("Pazopanib", "#REDIRECT [[Pazo Draft]]", summary="made a redirect")
    response = moderator_client.post("/wiki/Pazo_Draft/move/", {"new_title": "Pazopanib"})
    assert response.status_code == 400
    assert "a history of its own, which a move never replaces" in response.content.decode()
    draft.refresh_from_db()
    assert draft.title == "Pazo Draft"
    assert Page.objects.get(key="pazopanib").pk == pazopanib.pk
    assert RevisionInfo.objects.filter(page=pazopanib).count() == 3
    assert Vote.objects.filter(page=pazopanib).count() == 1
    history = client.get("/wiki/Pazopanib/history/").content.decode()
    recent = client.get("/recent-changes/").content.decode()
    for summary in ["first text", "second text", "made a redirect"]:
        assert summary in history
        assert summary in recent
    assert "the draft" in recent


def test_move_refuses_to_replace_an_edited_redirect_to_this_page(moderator_client, make_page):
    make_page("Old Name", "Body.")
    make_page("Other Name", "#REDIRECT [[Old Name]]")
    save_page("Other Name", "#REDIRECT [[Old Name#Section]]")
    response = moderator_client.post("/wiki/Old_Name/move/", {"new_title": "Other Name"})
    assert response.status_code == 400
    assert Page.objects.get(title="Old Name").body == "Body."
    assert Page.objects.get(title="Other Name").redirect_to == "Old Name"


def test_move_refuses_to_replace_a_redirect_with_votes(moderator_client, make_page):
    make_page("Old Name", "Body.")
    redirect = make_page("Other Name", "#REDIRECT [[Old Name]]")
    record_vote(redirect, False, voter_key="user:1")
    response = moderator_client.post("/wiki/Old_Name/move/", {"new_title": "Other Name"})
    assert response.status_code == 400
    assert "a move never deletes votes" in response.content.decode()
    assert Vote.objects.filter(page=redirect).count() == 1
    assert Page.objects.get(title="Old Name").body == "Body."


def test_votes_survive_moves(moderator_client, make_page):
    page = make_page("Old Name", "Body.")
    record_vote(page, True, voter_key="user:1")
    record_vote(page, False, voter_key="user:2")
    moderator_client.post("/wiki/Old_Name/move/", {"new_title": "New Name"})
    moderator_client.post("/wiki/New_Name/move/", {"new_title": "Old Name"})
    assert Page.objects.get(title="Old Name").pk == page.pk
    assert sorted(Vote.objects.filter(page=page).values_list("voter_key", flat=True)) == [
        "user:1",
        "user:2",
    ]
    assert Vote.objects.count() == 2


def test_move_onto_redirect_elsewhere_is_refused(moderator_client, make_page):
    make_page("Old Name", "Body.")
    make_page("Elsewhere", "Body.")
    make_page("Other Name", "#REDIRECT [[Elsewhere]]")
    response = moderator_client.post("/wiki/Old_Name/move/", {"new_title": "Other Name"})
    assert response.status_code == 400
    assert Page.objects.get(title="Other Name").redirect_to == "Elsewhere"


def test_move_updates_missing_link_marks(moderator_client, make_page):
    linking = make_page("Linking", "See [[New Name]] and [[Old Name]].")
    make_page("Old Name", "Body.")
    assert 'title="New Name (page does not exist)"' in page_display(linking).html
    moderator_client.post("/wiki/Old_Name/move/", {"new_title": "New Name"})
    linking.refresh_from_db()
    html = page_display(linking).html
    assert "page does not exist" not in html


def test_move_keeps_link_table_of_moved_page(moderator_client, make_page):
    page = make_page("Old Name", "See [[Target]].")
    moderator_client.post("/wiki/Old_Name/move/", {"new_title": "New Name"})
    assert list(Link.objects.filter(source=page).values_list("target_key", flat=True)) == ["target"]


def test_move_to_invalid_title_is_a_form_error(moderator_client, make_page):
    make_page("Old Name", "Body.")
    response = moderator_client.post("/wiki/Old_Name/move/", {"new_title": "a|b"})
    assert response.status_code == 400
    assert Page.objects.get(key="old name").title == "Old Name"


def test_move_changing_only_letter_case_leaves_no_redirect(moderator_client, make_page):
    make_page("Old name", "Body.")
    response = moderator_client.post("/wiki/Old_name/move/", {"new_title": "Old Name"})
    assert response.status_code == 302
    assert list(Page.objects.values_list("title", flat=True)) == ["Old Name"]


def test_move_form_shows_current_title(moderator_client, make_page):
    make_page("Old Name", "Body.")
    response = moderator_client.get("/wiki/Old_Name/move/")
    assert response.status_code == 200
    assert 'value="Old Name"' in response.content.decode()


def test_move_of_missing_page_is_404(moderator_client, db):
    assert moderator_client.get("/wiki/Nowhere/move/").status_code == 404
