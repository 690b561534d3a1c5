from wiki.display import page_display
from wiki.models import Link, Page, RevisionInfo
from wiki.services import save_page


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
