from django.test import override_settings
from reversion.models import Revision

from tests.edit_data import edit_data
from wiki.models import CrossLink, Link, Page, RevisionInfo


def test_edit_form_shows_current_text_and_base_revision(moderator_client, make_page):
    page = make_page("Interleukin-2", "Old **text**.")
    response = moderator_client.get("/wiki/Interleukin-2/edit/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Old **text**." in html
    assert f'name="base_revision" value="{page.current_revision_id}"' in html
    for name in ("body", "summary", "article_date", "source_url", "source_name"):
        assert f'name="{name}"' in html


def test_edit_saves_new_revision(moderator_client, make_page, moderator):
    page = make_page("Interleukin-2", "Old text.")
    data = edit_data("New text.", page.current_revision_id, summary="clarify")
    response = moderator_client.post("/wiki/Interleukin-2/edit/", data)
    assert response.status_code == 302
    assert response["Location"] == "/wiki/Interleukin-2/"
    page.refresh_from_db()
    assert page.body == "New text."
    assert page.current_revision.comment == "clarify"
    assert page.current_revision.user == moderator
    assert RevisionInfo.objects.filter(page=page).count() == 2


def test_edit_creates_missing_page(moderator_client):
    response = moderator_client.get("/wiki/Brand_New_Page/edit/")
    assert response.status_code == 200
    assert "Creating Brand New Page" in response.content.decode()
    response = moderator_client.post("/wiki/Brand_New_Page/edit/", edit_data("Hello.", 0))
    assert response.status_code == 302
    page = Page.objects.get(title="Brand New Page")
    assert page.body == "Hello."
    assert page.current_revision_id is not None


def test_edit_saves_metadata(moderator_client, make_page):
    page = make_page("Trial", "Text.")
    data = edit_data(
        "Text.",
        page.current_revision_id,
        article_date="2009-05-01",
        source_url="https://example.org/article",
        source_name="Example News",
    )
    assert moderator_client.post("/wiki/Trial/edit/", data).status_code == 302
    page.refresh_from_db()
    assert str(page.article_date) == "2009-05-01"
    assert page.source_url == "https://example.org/article"
    assert page.source_name == "Example News"


def test_edit_saves_crosslinks_in_order(moderator_client, make_page):
    page = make_page("Interleukin-2", "Text.")
    links = [
        {"kind": "related", "target_title": "High Dose Interleukin-2"},
        {"kind": "see", "target_title": "IL-21", "note_date": "2007-10-23", "label": "IL-21"},
    ]
    data = edit_data("Text.", page.current_revision_id, crosslinks=links)
    assert moderator_client.post("/wiki/Interleukin-2/edit/", data).status_code == 302
    saved = list(CrossLink.objects.filter(page=page).order_by("position"))
    assert [(link.kind, link.target_title) for link in saved] == [
        ("related", "High Dose Interleukin-2"),
        ("see", "IL-21"),
    ]
    assert str(saved[1].note_date) == "2007-10-23"
    assert set(Link.objects.filter(source=page).values_list("target_key", flat=True)) == {
        "high dose interleukin-2",
        "il-21",
    }


def test_edit_form_lists_existing_crosslinks(moderator_client, make_page):
    make_page("Interleukin-2", "Text.", crosslinks=[{"kind": "related", "target_title": "IL-21"}])
    html = moderator_client.get("/wiki/Interleukin-2/edit/").content.decode()
    assert 'value="IL-21"' in html


def test_saving_identical_text_makes_no_revision(moderator_client, make_page):
    page = make_page("Interleukin-2", "Same text.")
    before = Revision.objects.count()
    response = moderator_client.post(
        "/wiki/Interleukin-2/edit/", edit_data("Same text.", page.current_revision_id)
    )
    assert response.status_code == 302
    assert Revision.objects.count() == before


def test_preview_renders_without_saving(moderator_client, make_page):
    page = make_page("Interleukin-2", "Old.")
    data = edit_data("# Heading\n\n<script>alert(1)</script>**bold**", page.current_revision_id)
    data["preview"] = "1"
    before = Revision.objects.count()
    response = moderator_client.post("/wiki/Interleukin-2/edit/", data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<strong>bold</strong>" in html
    assert "<script>alert(1)</script>" not in html
    assert Revision.objects.count() == before
    page.refresh_from_db()
    assert page.body == "Old."


def test_preview_marks_missing_links(moderator_client, make_page):
    page = make_page("Interleukin-2", "Old.")
    data = edit_data("See [[Nowhere Page]].", page.current_revision_id, preview="1")
    html = moderator_client.post("/wiki/Interleukin-2/edit/", data).content.decode()
    assert 'class="wikilink new"' in html


def test_show_changes_diffs_against_current_text(moderator_client, make_page):
    page = make_page("Interleukin-2", "The dose is high.")
    data = edit_data("The dose is low.", page.current_revision_id, show_changes="1")
    response = moderator_client.post("/wiki/Interleukin-2/edit/", data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<del>high</del>" in html
    assert "<ins>low</ins>" in html
    page.refresh_from_db()
    assert page.body == "The dose is high."


@override_settings(WIKI_MAX_BODY_BYTES=100)
def test_body_over_size_limit_is_a_form_error(moderator_client, make_page):
    page = make_page("Interleukin-2", "Short.")
    data = edit_data("x" * 101, page.current_revision_id)
    response = moderator_client.post("/wiki/Interleukin-2/edit/", data)
    assert response.status_code == 400
    assert "the most a page may hold is 100" in response.content.decode()
    page.refresh_from_db()
    assert page.body == "Short."


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_request_over_upload_limit_is_413(moderator_client, make_page):
    page = make_page("Interleukin-2", "Short.")
    data = edit_data("x" * 5000, page.current_revision_id)
    response = moderator_client.post(
        "/wiki/Interleukin-2/edit/",
        "&".join(f"{key}={value}" for key, value in data.items()),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 413
    page.refresh_from_db()
    assert page.body == "Short."


def test_invalid_metadata_is_a_form_error(moderator_client, make_page):
    page = make_page("Interleukin-2", "Short.")
    data = edit_data("Longer.", page.current_revision_id, article_date="not a date")
    response = moderator_client.post("/wiki/Interleukin-2/edit/", data)
    assert response.status_code == 400
    page.refresh_from_db()
    assert page.body == "Short."


def test_validation_error_from_save_service_is_a_form_error(moderator_client, make_page):
    # The cross-link target title is validated by save_page, not the form.
    page = make_page("Interleukin-2", "Short.")
    data = edit_data(
        "Longer.", page.current_revision_id, crosslinks=[{"kind": "related", "target_title": "a|b"}]
    )
    response = moderator_client.post("/wiki/Interleukin-2/edit/", data)
    assert response.status_code == 400
    assert "A title cannot contain these characters: |" in response.content.decode()
    page.refresh_from_db()
    assert page.body == "Short."
    assert RevisionInfo.objects.filter(page=page).count() == 1


def test_edit_url_with_other_case_redirects_to_canonical(moderator_client, make_page):
    make_page("Interleukin-2", "Text.")
    response = moderator_client.get("/wiki/interleukin-2/edit/")
    assert response.status_code == 301
    assert response["Location"] == "/wiki/Interleukin-2/edit/"


def test_edit_of_invalid_title_is_400(moderator_client):
    response = moderator_client.get("/wiki/a%7Cb/edit/")
    assert response.status_code == 400


def test_page_view_links_edit_and_history_for_moderator(moderator_client, make_page):
    make_page("Interleukin-2", "Text.")
    html = moderator_client.get("/wiki/Interleukin-2/").content.decode()
    assert 'href="/wiki/Interleukin-2/edit/"' in html
    assert 'href="/wiki/Interleukin-2/history/"' in html


def test_page_view_hides_edit_link_from_readers(client, make_page):
    make_page("Interleukin-2", "Text.")
    html = client.get("/wiki/Interleukin-2/").content.decode()
    assert 'href="/wiki/Interleukin-2/edit/"' not in html
    assert 'href="/wiki/Interleukin-2/history/"' in html


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_request_over_upload_limit_is_413_before_the_csrf_check(moderator, make_page):
    from django.test import Client

    page = make_page("Interleukin-2", "Short.")
    client = Client(enforce_csrf_checks=True)
    client.force_login(moderator)
    client.get("/wiki/Interleukin-2/edit/")  # sets the CSRF cookie, as a browser has it
    response = client.post(
        "/wiki/Interleukin-2/edit/", edit_data("x" * 5000, page.current_revision_id)
    )
    assert response.status_code == 413
    assert "Too large" in response.content.decode()
    page.refresh_from_db()
    assert page.body == "Short."
