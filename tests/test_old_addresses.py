"""Old MediaWiki addresses of imported pages answer with permanent redirects."""

import io
from pathlib import Path

import pytest
from django.core.management import call_command

from wiki.models import Page, RevisionInfo

FULL = Path(__file__).parent / "fixtures" / "mediawiki" / "kcr-full-0.11.xml"


@pytest.fixture
def imported(db):
    call_command("importmediawiki", str(FULL), stdout=io.StringIO())


def redirect_of(client, url):
    response = client.get(url)
    assert response.status_code == 301, url
    return response["Location"]


@pytest.mark.parametrize(
    "url",
    [
        "/index.php?title=Interleukin-2",
        "/index.php?title=interleukin-2",
        "/index.php/Interleukin-2",
        "/index.php?title=Interleukin-2&action=edit",
        "/index.php?title=Interleukin-2&action=raw",
    ],
)
def test_title_address_redirects_to_the_page(client, imported, url):
    assert redirect_of(client, url) == "/wiki/Interleukin-2/"


def test_title_with_spaces_and_an_apostrophe(client, imported):
    location = redirect_of(client, "/index.php?title=Patient%27s_guide_to_IL-2")
    assert location == "/wiki/Patient's_guide_to_IL-2/"


def test_history_address_redirects_to_the_history(client, imported):
    location = redirect_of(client, "/index.php?title=Interleukin-2&action=history")
    assert location == "/wiki/Interleukin-2/history/"


def test_oldid_redirects_to_that_imported_revision(client, imported):
    info = RevisionInfo.objects.filter(page__title="Interleukin-2").order_by("revision_id")[2]
    location = redirect_of(client, f"/index.php?title=Interleukin-2&oldid={info.mediawiki_id}")
    assert location == f"/wiki/Interleukin-2/revisions/{info.revision_id}/"
    assert client.get(location).status_code == 200


def test_title_differing_only_in_case_reaches_the_page_kept_for_it(client, imported):
    assert redirect_of(client, "/index.php?title=IL-2_Dose") == "/wiki/IL-2_Dose_(2)/"
    assert redirect_of(client, "/index.php?title=IL-2_dose") == "/wiki/IL-2_dose/"


def test_curid_redirects_to_the_page(client, imported):
    page = Page.objects.get(title="Interleukin-2")
    assert redirect_of(client, f"/index.php?curid={page.mediawiki.mediawiki_id}") == (
        "/wiki/Interleukin-2/"
    )


def test_bare_index_php_is_the_main_page(client, imported):
    assert redirect_of(client, "/index.php") == "/"


@pytest.mark.parametrize(
    "url",
    [
        "/index.php?title=No_such_page",
        "/index.php/No_such_page",
        "/index.php?oldid=999999",
        "/index.php?oldid=abc",
        "/index.php?oldid=99999999999999999999999",
        "/index.php?curid=424242",
        "/index.php?title=Bad%00title",
        "/index.php/Talk:Interleukin-2",
    ],
)
def test_unknown_old_address_is_404(client, imported, url):
    assert client.get(url).status_code == 404


def test_old_address_refuses_post(client, imported):
    assert client.post("/index.php?title=Interleukin-2").status_code == 405
