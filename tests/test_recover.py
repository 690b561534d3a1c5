from django.contrib.contenttypes.models import ContentType
from reversion.models import Version

from wiki.display import page_display
from wiki.models import Link, Page, RevisionInfo
from wiki.services import save_page


def _recover_url(page_pk):
    version = (
        Version.objects.filter(
            content_type=ContentType.objects.get_for_model(Page), object_id=str(page_pk)
        )
        .order_by("-revision_id")
        .first()
    )
    return f"/admin/wiki/page/recover/{version.pk}/"


def test_admin_delete_keeps_history_and_recover_restores_it(admin_client, make_page):
    linking = make_page("Linking", "See [[Interleukin-2]].")
    page = make_page("Interleukin-2", "First [[Target]].")
    save_page("Interleukin-2", "Second [[Target]].")
    revision_ids = list(
        RevisionInfo.objects.filter(page=page).values_list("revision_id", flat=True)
    )
    response = admin_client.post(f"/admin/wiki/page/{page.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Page.objects.filter(pk=page.pk).exists()
    assert RevisionInfo.objects.filter(page_id=page.pk).count() == 2

    response = admin_client.post(_recover_url(page.pk), {})
    assert response.status_code == 302
    page = Page.objects.get(pk=page.pk)
    assert page.body == "Second [[Target]]."
    assert page.key == "interleukin-2"
    infos = RevisionInfo.objects.filter(page=page).order_by("revision_id")
    assert [info.revision_id for info in infos][:2] == sorted(revision_ids)
    assert page.current_revision_id == infos.last().revision_id
    assert list(Link.objects.filter(source=page).values_list("target_key", flat=True)) == ["target"]
    linking.refresh_from_db()
    assert "page does not exist" not in page_display(linking).html


def test_recovered_page_shows_its_history(admin_client, client, make_page):
    page = make_page("Interleukin-2", "First.", summary="the first edit")
    admin_client.post(f"/admin/wiki/page/{page.pk}/delete/", {"post": "yes"})
    admin_client.post(_recover_url(page.pk), {})
    html = client.get("/wiki/Interleukin-2/history/").content.decode()
    assert "the first edit" in html
    assert client.get("/wiki/Interleukin-2/").status_code == 200


def test_recover_get_asks_first_and_changes_nothing(admin_client, make_page):
    page = make_page("Interleukin-2", "First.")
    admin_client.post(f"/admin/wiki/page/{page.pk}/delete/", {"post": "yes"})
    response = admin_client.get(_recover_url(page.pk))
    assert response.status_code == 200
    assert "Recover this page" in response.content.decode()
    assert not Page.objects.filter(pk=page.pk).exists()


def test_recover_onto_a_reused_title_is_refused_not_500(admin_client, make_page):
    page = make_page("Interleukin-2", "First.")
    admin_client.post(f"/admin/wiki/page/{page.pk}/delete/", {"post": "yes"})
    make_page("Interleukin-2", "A new page with the old title.")
    response = admin_client.post(_recover_url(page.pk), {})
    assert response.status_code == 409
    assert "Another page is called Interleukin-2 now" in response.content.decode()
    assert not Page.objects.filter(pk=page.pk).exists()
    assert Page.objects.get(title="Interleukin-2").body == "A new page with the old title."


def test_recover_needs_add_permission(client, make_user, make_page):
    page = make_page("Interleukin-2", "First.")
    url = _recover_url(page.pk)
    Page.objects.filter(pk=page.pk).delete()
    client.force_login(make_user("staffer", staff=True))
    assert client.post(url, {}).status_code == 403
    assert not Page.objects.filter(pk=page.pk).exists()


def test_admin_change_form_saves_no_stray_revision(admin_client, make_page):
    from reversion.models import Revision

    page = make_page("Interleukin-2", "First.")
    before = Revision.objects.count()
    response = admin_client.post(f"/admin/wiki/page/{page.pk}/change/", {})
    assert response.status_code == 302
    assert Revision.objects.count() == before
    page.refresh_from_db()
    assert page.body == "First."


def test_recover_form_offers_the_old_title_when_it_is_free(admin_client, make_page):
    page = make_page("Interleukin-2", "First.")
    admin_client.post(f"/admin/wiki/page/{page.pk}/delete/", {"post": "yes"})
    html = admin_client.get(_recover_url(page.pk)).content.decode()
    assert 'name="new_title" value="Interleukin-2"' in html


def test_recover_form_suggests_a_new_title_when_the_old_one_is_taken(admin_client, make_page):
    page = make_page("Interleukin-2", "First.")
    admin_client.post(f"/admin/wiki/page/{page.pk}/delete/", {"post": "yes"})
    make_page("Interleukin-2", "A new page with the old title.")
    make_page("Interleukin-2 (recovered)", "Taken too.")
    html = admin_client.get(_recover_url(page.pk)).content.decode()
    assert 'name="new_title" value="Interleukin-2 (recovered 2)"' in html


def test_recover_under_a_new_title_when_the_old_one_is_taken(admin_client, client, make_page):
    page = make_page("Interleukin-2", "First.", summary="the first edit")
    save_page("Interleukin-2", "Second.", summary="the second edit")
    admin_client.post(f"/admin/wiki/page/{page.pk}/delete/", {"post": "yes"})
    make_page("Interleukin-2", "A new page with the old title.")
    response = admin_client.post(_recover_url(page.pk), {"new_title": "Interleukin-2 (recovered)"})
    assert response.status_code == 302
    recovered = Page.objects.get(pk=page.pk)
    assert (recovered.title, recovered.body) == ("Interleukin-2 (recovered)", "Second.")
    assert Page.objects.get(key="interleukin-2").body == "A new page with the old title."
    html = client.get("/wiki/Interleukin-2_(recovered)/history/").content.decode()
    assert "the first edit" in html and "the second edit" in html
    assert "Recovered after deletion as" in html


def test_recover_under_a_title_that_is_taken_too_is_a_clear_error(admin_client, make_page):
    page = make_page("Interleukin-2", "First.")
    admin_client.post(f"/admin/wiki/page/{page.pk}/delete/", {"post": "yes"})
    make_page("Interleukin-2", "A new page with the old title.")
    make_page("Proleukin", "Another page.")
    response = admin_client.post(_recover_url(page.pk), {"new_title": "proleukin"})
    assert response.status_code == 409
    html = response.content.decode()
    assert "Another page is called proleukin now" in html
    assert 'name="new_title" value="proleukin"' in html
    assert not Page.objects.filter(pk=page.pk).exists()
    assert Page.objects.get(key="proleukin").body == "Another page."


def test_recover_under_an_invalid_title_is_a_form_error(admin_client, make_page):
    page = make_page("Interleukin-2", "First.")
    admin_client.post(f"/admin/wiki/page/{page.pk}/delete/", {"post": "yes"})
    response = admin_client.post(_recover_url(page.pk), {"new_title": "a|b"})
    assert response.status_code == 400
    assert not Page.objects.filter(pk=page.pk).exists()
