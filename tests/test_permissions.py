import pytest
from django.test import Client
from reversion.models import Revision, Version

from tests.edit_data import edit_data
from wiki.models import CrossLink, Link, Page, RevisionInfo
from wiki.services import save_page


@pytest.fixture
def pages(make_page):
    page = make_page("Interleukin-2", "Original.")
    save_page("Interleukin-2", "Changed.")
    page.refresh_from_db()
    return page


def _snapshot():
    return (
        list(Page.objects.order_by("pk").values_list("pk", "title", "body", "current_revision_id")),
        Revision.objects.count(),
        Version.objects.count(),
        RevisionInfo.objects.count(),
        CrossLink.objects.count(),
        Link.objects.count(),
    )


def _requests(page):
    first = RevisionInfo.objects.filter(page=page).order_by("revision_id").first().revision_id
    base = page.current_revision_id
    return [
        ("get", "/wiki/Interleukin-2/edit/", None),
        ("post", "/wiki/Interleukin-2/edit/", edit_data("Overwritten.", base)),
        ("get", "/wiki/Brand_New/edit/", None),
        ("post", "/wiki/Brand_New/edit/", edit_data("Created.", 0)),
        ("get", f"/wiki/Interleukin-2/revert/{first}/", None),
        ("post", f"/wiki/Interleukin-2/revert/{first}/", {}),
        ("get", "/wiki/Interleukin-2/move/", None),
        ("post", "/wiki/Interleukin-2/move/", {"new_title": "Moved Away"}),
    ]


REQUEST_NAMES = [
    "edit-get",
    "edit-post",
    "create-get",
    "create-post",
    "revert-get",
    "revert-post",
    "move-get",
    "move-post",
]


def _body(title):
    return Page.objects.get(title=title).body


# What each request of the matrix does for a user who may make it: the
# response, and the database afterwards (a GET changes nothing).
def _edit_form_shows_the_current_text(response, before):
    assert response.status_code == 200
    assert response.context["form"]["body"].value() == "Changed."
    assert _snapshot() == before


def _edit_saves_the_new_text(response, before):
    assert response.status_code == 302
    assert response["Location"] == "/wiki/Interleukin-2/"
    assert _body("Interleukin-2") == "Overwritten."
    assert RevisionInfo.objects.count() == before[3] + 1


def _create_form_is_empty(response, before):
    assert response.status_code == 200
    assert response.context["page"] is None
    assert not response.context["form"]["body"].value()
    assert _snapshot() == before


def _create_makes_the_page(response, before):
    assert response.status_code == 302
    assert response["Location"] == "/wiki/Brand_New/"
    assert _body("Brand New") == "Created."


def _revert_form_shows_what_will_change(response, before):
    assert response.status_code == 200
    assert "Revert to revision" in response.content.decode()
    assert response.context["page"].body == "Changed."
    assert _snapshot() == before


def _revert_brings_back_the_old_text(response, before):
    assert response.status_code == 302
    assert response["Location"] == "/wiki/Interleukin-2/history/"
    assert _body("Interleukin-2") == "Original."
    assert RevisionInfo.objects.count() == before[3] + 1


def _move_form_offers_the_current_title(response, before):
    assert response.status_code == 200
    assert response.context["form"]["new_title"].value() == "Interleukin-2"
    assert _snapshot() == before


def _move_renames_and_leaves_a_redirect(response, before):
    assert response.status_code == 302
    assert response["Location"] == "/wiki/Moved_Away/"
    assert _body("Moved Away") == "Changed."
    assert Page.objects.get(title="Interleukin-2").redirect_to == "Moved Away"


EFFECTS = [
    _edit_form_shows_the_current_text,
    _edit_saves_the_new_text,
    _create_form_is_empty,
    _create_makes_the_page,
    _revert_form_shows_what_will_change,
    _revert_brings_back_the_old_text,
    _move_form_offers_the_current_title,
    _move_renames_and_leaves_a_redirect,
]


@pytest.mark.parametrize("index", range(8), ids=REQUEST_NAMES)
def test_anonymous_is_sent_to_log_in_and_nothing_changes(client, pages, index):
    method, url, data = _requests(pages)[index]
    before = _snapshot()
    response = getattr(client, method)(url, data or {})
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={url}"
    assert _snapshot() == before


@pytest.mark.parametrize("index", range(8), ids=REQUEST_NAMES)
def test_reader_without_permission_gets_403_and_nothing_changes(reader_client, pages, index):
    method, url, data = _requests(pages)[index]
    before = _snapshot()
    response = getattr(reader_client, method)(url, data or {})
    assert response.status_code == 403
    assert "Not allowed" in response.content.decode()
    assert _snapshot() == before


@pytest.mark.parametrize("index", range(8), ids=REQUEST_NAMES)
def test_moderator_may_use_every_mutating_url(moderator_client, pages, index):
    method, url, data = _requests(pages)[index]
    before = _snapshot()
    response = getattr(moderator_client, method)(url, data or {})
    EFFECTS[index](response, before)


@pytest.mark.parametrize("index", range(8), ids=REQUEST_NAMES)
def test_admin_may_use_every_mutating_url(admin_client, pages, index):
    method, url, data = _requests(pages)[index]
    before = _snapshot()
    response = getattr(admin_client, method)(url, data or {})
    EFFECTS[index](response, before)


# The moderators' read-only views share the edit views' permission check.
MODERATOR_READ_URLS = [
    "/wiki/Interleukin-2/info/",
    "/maintenance/",
    "/maintenance/broken-redirects/",
    "/maintenance/double-redirects/",
    "/maintenance/wanted-pages/",
    "/maintenance/orphaned-pages/",
]


@pytest.mark.parametrize("url", MODERATOR_READ_URLS)
def test_anonymous_is_sent_to_log_in_for_moderator_lists(client, pages, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={url}"


@pytest.mark.parametrize("url", MODERATOR_READ_URLS)
def test_reader_gets_403_for_moderator_lists(reader_client, pages, url):
    response = reader_client.get(url)
    assert response.status_code == 403
    assert "Not allowed" in response.content.decode()


@pytest.mark.parametrize("url", MODERATOR_READ_URLS)
@pytest.mark.parametrize("role", ["moderator", "admin"])
def test_moderator_and_admin_see_moderator_lists(request, pages, url, role):
    client = request.getfixturevalue(f"{role}_client")
    response = client.get(url)
    assert response.status_code == 200
    heading = "Information about" if "/info/" in url else response.context["heading"]
    assert f"<h1>{heading}" in response.content.decode()


@pytest.mark.parametrize("index", [1, 3, 5, 7], ids=REQUEST_NAMES[1::2])
def test_post_without_csrf_token_is_refused(moderator, pages, index):
    client = Client(enforce_csrf_checks=True)
    client.force_login(moderator)
    _method, url, data = _requests(pages)[index]
    before = _snapshot()
    response = client.post(url, data or {})
    assert response.status_code == 403
    assert _snapshot() == before


def test_staff_without_moderator_permission_gets_403(client, make_user, pages):
    client.force_login(make_user("staffer", staff=True))
    before = _snapshot()
    response = client.post("/wiki/Interleukin-2/move/", {"new_title": "Moved Away"})
    assert response.status_code == 403
    assert _snapshot() == before


def test_delete_method_is_not_allowed(moderator_client, pages):
    response = moderator_client.delete("/wiki/Interleukin-2/edit/")
    assert response.status_code == 405


def test_moderator_without_add_permission_cannot_create(client, make_user, db):
    from django.contrib.auth.models import Permission

    user = make_user("editor")
    user.user_permissions.add(Permission.objects.get(codename="change_page"))
    client.force_login(user)
    response = client.post("/wiki/Brand_New/edit/", edit_data("Created.", 0))
    assert response.status_code == 403
    assert not Page.objects.filter(title="Brand New").exists()
