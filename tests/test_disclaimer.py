"""The standing medical disclaimer is on every page, and cannot be emptied."""

import pytest

from wiki.context_processors import forget_disclaimer
from wiki.models import SiteSettings


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/wiki/Interleukin-2/",
        "/wiki/Proleukin/",
        "/wiki/Missing_Page/",
        "/nowhere/",
        "/accounts/login/",
    ],
)
def test_disclaimer_is_on_every_page(client, make_page, url):
    make_page("Interleukin-2", "Text.")
    make_page("Proleukin", "#REDIRECT [[Interleukin-2]]")
    html = client.get(url).content.decode()
    assert "Medical disclaimer" in html
    assert "not a substitute for the care of a licensed physician" in html
    assert "check with your own medical team" in html.lower()
    assert "E&amp;OE" in html
    assert "No sponsor" in html


def test_admin_can_change_the_disclaimer(admin_client, client, make_page):
    make_page("Interleukin-2", "Text.")
    row, _ = SiteSettings.objects.get_or_create()
    response = admin_client.post(
        f"/admin/wiki/sitesettings/{row.pk}/change/",
        {"disclaimer": "Our new wording.\nSecond paragraph.", "disclaimer_short": "Short."},
    )
    assert response.status_code == 302
    html = client.get("/wiki/Interleukin-2/").content.decode()
    assert "<p>Our new wording.</p>" in html
    assert "<p>Second paragraph.</p>" in html


def test_empty_disclaimer_edit_is_refused(admin_client, client, make_page):
    make_page("Interleukin-2", "Text.")
    row, _ = SiteSettings.objects.get_or_create()
    response = admin_client.post(
        f"/admin/wiki/sitesettings/{row.pk}/change/",
        {"disclaimer": "   ", "disclaimer_short": "Short."},
    )
    assert response.status_code == 200
    assert "cannot be empty" in response.content.decode()
    row.refresh_from_db()
    assert "licensed physician" in row.disclaimer


def test_missing_settings_row_falls_back_to_default(client, make_page):
    make_page("Interleukin-2", "Text.")
    SiteSettings.objects.all().delete()
    forget_disclaimer()
    assert "licensed physician" in client.get("/wiki/Interleukin-2/").content.decode()


def test_disclaimer_cannot_be_deleted_in_admin(admin_client):
    row, _ = SiteSettings.objects.get_or_create()
    response = admin_client.post(f"/admin/wiki/sitesettings/{row.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert SiteSettings.objects.exists()
