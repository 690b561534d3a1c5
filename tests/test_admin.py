"""The Django admin lists pages with their django-reversion history."""


def test_admin_lists_pages(admin_client, make_page):
    make_page("Interleukin-2", "Text.")
    response = admin_client.get("/admin/wiki/page/")
    assert response.status_code == 200
    assert "Interleukin-2" in response.content.decode()


def test_admin_shows_page_history(admin_client, make_page):
    page = make_page("Interleukin-2", "First text.", summary="first words")
    response = admin_client.get(f"/admin/wiki/page/{page.pk}/history/")
    assert response.status_code == 200
    assert "first words" in response.content.decode()


def test_admin_offers_recover_of_deleted_pages(admin_client, make_page):
    deleted = make_page("Deleted Page", "Text.")
    make_page("Living Page", "Text.")
    admin_client.post(f"/admin/wiki/page/{deleted.pk}/delete/", {"post": "yes"})
    response = admin_client.get("/admin/wiki/page/recover/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Deleted Page" in html
    assert "Living Page" not in html


def test_moderators_cannot_use_the_admin(moderator_client):
    response = moderator_client.get("/admin/wiki/page/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_admin_cannot_add_pages_outside_the_wiki(admin_client, db):
    # Pages are created in the wiki, where saving makes the revision.
    assert admin_client.get("/admin/wiki/page/add/").status_code == 403
