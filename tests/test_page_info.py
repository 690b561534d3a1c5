"""GET /wiki/<Title>/info/: moderators see a page's views, votes, revisions
and the pages linking here."""

import pytest
from django.utils import timezone

from wiki.page_views import write_view_counts
from wiki.services import record_vote

INFO_URL = "/wiki/Interleukin-2/info/"


@pytest.fixture
def il2(make_page):
    page = make_page("Interleukin-2", "First text.")
    page = make_page("Interleukin-2", "Second text.")
    make_page("High Dose Interleukin-2", "Compare [[Interleukin-2]].")
    make_page("Proleukin", "#REDIRECT [[Interleukin-2]]")
    make_page("Sunitinib", "Unrelated.")
    record_vote(page, True, voter_key="a")
    record_vote(page, True, voter_key="b")
    record_vote(page, False, voter_key="c")
    write_view_counts({(page.pk, timezone.now().date(), ""): 42})
    return page


def test_anonymous_reader_is_sent_to_log_in(client, il2):
    response = client.get(INFO_URL)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={INFO_URL}"


def test_logged_in_reader_without_permission_gets_403(reader_client, il2):
    assert reader_client.get(INFO_URL).status_code == 403


def test_moderator_sees_views_votes_revisions_and_links_here(moderator_client, il2):
    response = moderator_client.get(INFO_URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-stat="views-30">42<' in html
    assert 'data-stat="views-total">42<' in html
    assert 'data-stat="votes">2 yes, 1 no (3 votes, 67% useful)<' in html
    assert 'data-stat="revisions">2<' in html
    links_here = [page.title for page in response.context["links_here"]]
    assert links_here == ["High Dose Interleukin-2", "Proleukin"]
    assert 'href="/wiki/High_Dose_Interleukin-2/"' in html
    assert "Sunitinib" not in html


def test_admin_sees_page_info(admin_client, il2):
    assert admin_client.get(INFO_URL).status_code == 200


def test_page_info_of_missing_page_is_404(moderator_client, db):
    assert moderator_client.get("/wiki/No_Such_Page/info/").status_code == 404


def test_page_info_answers_post_with_405(moderator_client, il2):
    assert moderator_client.post(INFO_URL).status_code == 405


def test_page_info_in_other_letter_case_redirects_to_canonical(moderator_client, il2):
    response = moderator_client.get("/wiki/interleukin-2/info/")
    assert response.status_code == 301
    assert response["Location"] == INFO_URL
