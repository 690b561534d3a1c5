"""The standing medical disclaimer is on every page, in full at the foot,
with our default text restoring its whole scope, and cannot be emptied."""

import pytest

from wiki.disclaimers import current_disclaimer, forget_disclaimer
from wiki.models import DEFAULT_DISCLAIMER, DisclaimerVersion


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/wiki/Interleukin-2/",
        "/wiki/Proleukin/",
        "/wiki/Missing_Page/",
        "/nowhere/",
        "/accounts/login/",
        "/disclaimer/",
    ],
)
def test_disclaimer_is_on_every_page(client, make_page, url):
    make_page("Interleukin-2", "Text.")
    make_page("Proleukin", "#REDIRECT [[Interleukin-2]]")
    html = client.get(url).content.decode()
    footer = html[html.index('<footer class="site-footer">') :]
    assert "Medical disclaimer" in footer
    assert "not a substitute for the care of a licensed physician" in footer
    assert "check with your own medical team" in footer.lower()
    assert "E&amp;OE" in footer
    assert "No sponsor" in footer
    assert f"Disclaimer version {current_disclaimer().number}" in footer


# Each piece of the scope the default text must cover, as words it holds.
DEFAULT_SCOPE = [
    "not medical advice",
    "for education only",
    "not a substitute for the care of a licensed physician",
    "If you think you may be ill, see a doctor",
    "Never ignore a symptom",
    "keep notes of your symptoms",
    "the date and time",
    "Take these notes with you when you see your doctor",
    "the links on its pages and the sites they lead to are not medical advice",
    "check with your own medical team before you act",
    "No sponsor, advertiser or drug maker has any say in what we write",
    "E&OE stands for \u201cerrors and omissions excepted\u201d",
    "a page may be wrong, out of date, or leave out something",
]


@pytest.mark.parametrize("words", DEFAULT_SCOPE)
def test_default_disclaimer_covers_its_whole_scope(words):
    assert words in DEFAULT_DISCLAIMER


def test_default_disclaimer_is_short_paragraphs_for_a_phone():
    paragraphs = DEFAULT_DISCLAIMER.splitlines()
    assert len(paragraphs) >= 6
    assert max(len(paragraph.split()) for paragraph in paragraphs) <= 60


def test_migrated_database_carries_version_1_with_the_default_text(db):
    version = DisclaimerVersion.objects.get(number=1)
    assert version.text == DEFAULT_DISCLAIMER


def test_database_without_versions_gets_version_1_with_the_default_text(client, make_page):
    make_page("Interleukin-2", "Text.")
    DisclaimerVersion.objects.all().delete()
    forget_disclaimer()
    html = client.get("/wiki/Interleukin-2/").content.decode()
    assert "licensed physician" in html
    assert "Disclaimer version 1" in html
    assert list(DisclaimerVersion.objects.values_list("number", "text")) == [
        (1, DEFAULT_DISCLAIMER)
    ]


def test_empty_disclaimer_is_refused_in_admin(admin_client, client, make_page):
    make_page("Interleukin-2", "Text.")
    before = list(DisclaimerVersion.objects.values_list("number", "text"))
    response = admin_client.post(
        "/admin/wiki/disclaimerversion/add/", {"text": "   \n  ", "short_text": "Short."}
    )
    assert response.status_code == 200
    assert "cannot be empty" in response.content.decode()
    assert list(DisclaimerVersion.objects.values_list("number", "text")) == before
    assert "licensed physician" in client.get("/wiki/Interleukin-2/").content.decode()


def test_over_long_short_form_is_refused_in_admin(admin_client):
    before = DisclaimerVersion.objects.count()
    response = admin_client.post(
        "/admin/wiki/disclaimerversion/add/", {"text": "Text.", "short_text": "x" * 301}
    )
    assert response.status_code == 200
    assert "at most 300 characters" in response.content.decode()
    assert DisclaimerVersion.objects.count() == before
