"""The Django admin lists pages with their django-reversion history."""

import pytest


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


def _votes(page, yes, no):
    from wiki.services import record_vote

    for number in range(yes + no):
        record_vote(page, number < yes, voter_key=f"{page.pk}-{number}")


def _section(html, element_id):
    return html.split(f'id="{element_id}"', 1)[1].split("</div>", 1)[0]


def test_admin_index_ranks_pages_from_three_votes_with_no_page_in_both_lists(
    admin_client, make_page
):
    _votes(make_page("Two Votes"), 0, 2)
    _votes(make_page("Poor"), 1, 3)  # 25%
    _votes(make_page("Middling"), 2, 1)  # 67%
    _votes(make_page("Good"), 3, 0)  # 100%
    _votes(make_page("Proleukin", "#REDIRECT [[Good]]"), 0, 5)
    html = admin_client.get("/admin/").content.decode()
    least, most = _section(html, "least-useful"), _section(html, "most-useful")
    assert "Poor" in least and "Middling" in least and "Good" not in least
    assert "Good" in most and "Poor" not in most and "Middling" not in most
    assert "Two Votes" not in html and "Proleukin" not in least + most
    assert "at least 3 votes" in _section(html, "ranking-rule").split("</p>", 1)[0]


def test_admin_index_lists_ten_least_and_ten_most_useful(admin_client, make_page):
    for number in range(25):
        _votes(make_page(f"Page {number:02d}"), number % 5, 4 - number % 5 + (number // 5))
    from wiki.templatetags.feedback_tags import page_rankings

    rankings = page_rankings()
    assert len(rankings.least_useful) == len(rankings.most_useful) == 10
    assert not {page.pk for page in rankings.least_useful} & {
        page.pk for page in rankings.most_useful
    }
    least = [page.percent_useful for page in rankings.least_useful]
    most = [page.percent_useful for page in rankings.most_useful]
    assert least == sorted(least) and most == sorted(most, reverse=True)
    assert max(least) <= min(most)


def test_admin_index_ranking_rows_link_to_page_info_and_feedback(admin_client, make_page):
    page = make_page("Interleukin-2")
    _votes(page, 1, 2)
    least = _section(admin_client.get("/admin/").content.decode(), "least-useful")
    assert 'href="/wiki/Interleukin-2/"' in least
    assert 'href="/wiki/Interleukin-2/info/"' in least
    assert f'href="/admin/wiki/pagefeedback/{page.pk}/change/"' in least


def test_admin_index_says_when_no_page_has_enough_votes(admin_client, make_page):
    _votes(make_page("Interleukin-2"), 1, 1)
    html = admin_client.get("/admin/").content.decode()
    assert "No least useful page yet: no content page has 3 votes or more." in html


def test_admin_index_lists_the_top_reasons_for_no_across_the_site(admin_client, make_page):
    from wiki.models import Vote

    first, second = make_page("Interleukin-2"), make_page("Sunitinib")
    _votes(first, 1, 3)
    _votes(second, 0, 3)
    reasons = ["unclear", "unclear", "outdated", "unclear", "", ""]
    no_votes = Vote.objects.filter(is_useful=False).order_by("pk")
    for vote, reason in zip(no_votes, reasons, strict=True):
        Vote.objects.filter(pk=vote.pk).update(reason=reason)
    section = _section(admin_client.get("/admin/").content.decode(), "no-vote-reasons")
    rows = [row.split("</tr>", 1)[0] for row in section.split("<tbody>", 1)[1].split("<tr>")[1:]]
    assert [row.split("</td>", 1)[0].split(">")[-1] for row in rows] == [
        "It is hard to understand",
        "It is out of date",
        "No reason given",
    ]
    assert ">3</td>" in rows[0] and ">50%</td>" in rows[0]
    assert "Something is incorrect" not in section  # never given


def test_admin_index_links_to_page_feedback_and_recover_deleted_pages(admin_client, db):
    html = admin_client.get("/admin/").content.decode()
    assert 'href="/admin/wiki/page/recover/"' in html
    assert 'href="/admin/wiki/pagefeedback/"' in html


def test_recover_link_only_for_staff_who_may_recover(client, make_user):
    client.force_login(make_user("editor", staff=True))
    response = client.get("/admin/")
    assert response.status_code == 200
    assert "/admin/wiki/page/recover/" not in response.content.decode()


def test_page_admin_links_to_recover_and_each_page_info_view(admin_client, make_page):
    page = make_page("Interleukin-2")
    html = admin_client.get("/admin/wiki/page/").content.decode()
    assert 'href="/admin/wiki/page/recover/"' in html and "Recover deleted pages" in html
    assert 'href="/wiki/Interleukin-2/info/"' in html
    change = admin_client.get(f"/admin/wiki/page/{page.pk}/change/").content.decode()
    assert 'href="/wiki/Interleukin-2/info/"' in change


@pytest.mark.parametrize("who", ["anonymous", "reader", "moderator"])
def test_admin_index_feedback_is_refused_to_all_but_staff(client, make_user, make_page, who):
    from wiki.models import Vote

    _votes(make_page("Interleukin-2"), 0, 3)
    if who != "anonymous":
        client.force_login(make_user(who, moderator=who == "moderator"))
    before = list(Vote.objects.values_list("pk", "is_useful", "reason", "updated_at"))
    for url in ("/admin/", "/admin/wiki/page/", "/admin/wiki/page/recover/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")
        assert "Least useful" not in response.content.decode()
    assert list(Vote.objects.values_list("pk", "is_useful", "reason", "updated_at")) == before
