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
    "edit-get", "edit-post", "create-get", "create-post",
    "revert-get", "revert-post", "move-get", "move-post",
]  # fmt: skip


@pytest.mark.parametrize("index", range(8), ids=REQUEST_NAMES)
def test_anonymous_is_sent_to_log_in_and_nothing_changes(client, pages, index):
    method, url, data = _requests(pages)[index]
    before = _snapshot()
    response = getattr(client, method)(url, data or {})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")
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
    response = getattr(moderator_client, method)(url, data or {})
    assert response.status_code == (200 if method == "get" else 302)


@pytest.mark.parametrize("index", range(8), ids=REQUEST_NAMES)
def test_admin_may_use_every_mutating_url(admin_client, pages, index):
    method, url, data = _requests(pages)[index]
    response = getattr(admin_client, method)(url, data or {})
    assert response.status_code == (200 if method == "get" else 302)


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
