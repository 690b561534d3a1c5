"""The admins' review of reader feedback (Django admin, staff only)."""

import csv
import datetime
import io

import pytest
from django.utils import timezone

from tests.clients import browser_client
from tests.conftest import PASSWORD
from wiki.models import Page, Vote
from wiki.page_views import write_view_counts
from wiki.services import record_vote
from wiki.views.feedback import NEW_READERS_PER_NETWORK

LIST_URL = "/admin/wiki/pagefeedback/"


@pytest.fixture
def feedback(make_page):
    """Three pages with known votes and views."""
    today = timezone.now().date()
    il2 = make_page("Interleukin-2")
    il21 = make_page("IL-21")
    make_page("Sunitinib")
    for number in range(4):
        record_vote(il2, number < 3, voter_key=f"reader-{number}")
    for number in range(6):
        record_vote(il21, number < 1, voter_key=f"reader-{number}")
    write_view_counts(
        {
            (il2.pk, today, ""): 10,
            (il2.pk, today - datetime.timedelta(days=29), "GB"): 5,
            (il2.pk, today - datetime.timedelta(days=30), ""): 100,
            (il21.pk, today - datetime.timedelta(days=3), ""): 7,
        }
    )
    return {"il2": il2, "il21": il21}


def _rows(response):
    return {page.title: page for page in response.context["cl"].result_list}


def test_feedback_list_numbers_equal_a_direct_count(admin_client, feedback):
    response = admin_client.get(LIST_URL)
    assert response.status_code == 200
    rows = _rows(response)
    assert set(rows) == {"Interleukin-2", "IL-21", "Sunitinib"}
    for page in Page.objects.all():
        row = rows[page.title]
        yes = Vote.objects.filter(page=page, is_useful=True).count()
        no = Vote.objects.filter(page=page, is_useful=False).count()
        assert (row.yes_votes, row.no_votes, row.total_votes) == (yes, no, yes + no)
        expected_percent = 100.0 * yes / (yes + no) if yes + no else None
        assert row.percent_useful == pytest.approx(expected_percent)
        last = Vote.objects.filter(page=page).order_by("-updated_at").first()
        assert row.last_vote_at == (last.updated_at if last else None)
    assert rows["Interleukin-2"].recent_views == 15
    assert rows["IL-21"].recent_views == 7
    assert rows["Sunitinib"].recent_views == 0
    html = response.content.decode()
    assert "75%" in html and "17%" in html


@pytest.mark.parametrize("column", range(1, 8))
def test_feedback_list_sorts_on_every_column(admin_client, feedback, column):
    ascending = admin_client.get(LIST_URL, {"o": str(column)})
    descending = admin_client.get(LIST_URL, {"o": f"-{column}"})
    assert ascending.status_code == descending.status_code == 200
    titles = [page.title for page in ascending.context["cl"].result_list]
    assert len(titles) == 3
    assert titles != [page.title for page in descending.context["cl"].result_list]


def test_feedback_list_sorted_by_percent_useful(admin_client, feedback):
    response = admin_client.get(LIST_URL, {"o": "5"})
    titles = [page.title for page in response.context["cl"].result_list]
    assert titles.index("IL-21") < titles.index("Interleukin-2")


def test_feedback_list_is_searchable_by_title(admin_client, feedback):
    response = admin_client.get(LIST_URL, {"q": "IL-21"})
    assert list(_rows(response)) == ["IL-21"]


def test_feedback_list_filters_by_the_date_of_the_votes(admin_client, feedback):
    Vote.objects.filter(page=feedback["il21"]).update(
        updated_at=timezone.now() - datetime.timedelta(days=20)
    )
    Vote.objects.filter(page=feedback["il2"], voter_key="reader-0").update(
        updated_at=timezone.now() - datetime.timedelta(days=20)
    )
    today = timezone.localdate()
    week_ago = (today - datetime.timedelta(days=6)).isoformat()
    rows = _rows(admin_client.get(LIST_URL, {"voted_from": week_ago}))
    assert list(rows) == ["Interleukin-2"]
    assert (rows["Interleukin-2"].yes_votes, rows["Interleukin-2"].no_votes) == (2, 1)
    month_ago = (today - datetime.timedelta(days=29)).isoformat()
    rows = _rows(admin_client.get(LIST_URL, {"voted_from": month_ago}))
    assert set(rows) == {"Interleukin-2", "IL-21"}
    assert rows["IL-21"].total_votes == 6
    twenty_days_ago = (today - datetime.timedelta(days=20)).isoformat()
    rows = _rows(
        admin_client.get(LIST_URL, {"voted_from": twenty_days_ago, "voted_to": twenty_days_ago})
    )
    assert {title: row.total_votes for title, row in rows.items()} == {
        "IL-21": 6,
        "Interleukin-2": 1,
    }


def test_date_filter_offers_presets_and_keeps_the_search(admin_client, feedback):
    response = admin_client.get(LIST_URL, {"q": "IL"})
    html = response.content.decode()
    assert "Past 30 days" in html
    assert 'type="date" name="voted_from"' in html
    assert '<input type="hidden" name="q" value="IL">' in html


def test_date_filter_with_a_bad_date_does_not_fail(admin_client, feedback):
    response = admin_client.get(LIST_URL, {"voted_from": "last tuesday"})
    assert response.status_code == 302
    assert "e=1" in response["Location"]


def test_csv_export_of_selected_pages(admin_client, feedback):
    response = admin_client.post(
        LIST_URL,
        {
            "action": "export_csv",
            "_selected_action": [feedback["il2"].pk, feedback["il21"].pk],
        },
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == [
        "title",
        "url",
        "yes",
        "no",
        "total",
        "percent_useful",
        "views_last_30_days",
        "last_vote",
    ]
    by_title = {row[0]: row for row in rows[1:]}
    assert set(by_title) == {"Interleukin-2", "IL-21"}
    assert by_title["Interleukin-2"][1] == "http://testserver/wiki/Interleukin-2/"
    assert by_title["Interleukin-2"][2:7] == ["3", "1", "4", "75.0", "15"]
    assert by_title["IL-21"][2:7] == ["1", "5", "6", "16.7", "7"]
    assert by_title["IL-21"][7].startswith(str(timezone.now().year))


def test_csv_export_defuses_spreadsheet_formulas(admin_client, make_page):
    page = make_page("=HYPERLINK(1)")
    response = admin_client.post(LIST_URL, {"action": "export_csv", "_selected_action": [page.pk]})
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[1][0] == "'=HYPERLINK(1)"


def test_feedback_detail_shows_chart_revisions_and_countries(
    admin_client, feedback, settings, tmp_path
):
    settings.GEOIP_COUNTRY_DB = str(tmp_path / "countries.mmdb")  # only its presence matters here
    page = feedback["il2"]
    response = admin_client.get(f"{LIST_URL}{page.pk}/change/")
    assert response.status_code == 200
    html = response.content.decode()
    main = html.split('<div id="content-main"', 1)[1].split("<!-- END Content -->", 1)[0]
    assert main.count('<figure class="bar-chart">') == 3  # views, votes a day; votes a week
    assert main.count('<figure class="line-chart">') == 1  # % useful a week
    assert main.count("<svg") == 4
    # Drawn on the server: no script, nothing fetched from another host.
    assert "<script" not in main
    assert "src=" not in main
    assert 'data-stat="views-30">15<' in main
    assert "<title>" + timezone.now().date().isoformat() + ": 10 views</title>" in main
    stats = response.context["statistics"]
    assert stats.revisions[0]["revision_id"] == page.current_revision_id
    assert (stats.revisions[0]["yes"], stats.revisions[0]["no"]) == (3, 1)
    assert stats.countries == [("GB", 5)]
    assert stats.views_last_30_days == 15
    assert stats.views_total == 115


def test_feedback_detail_separates_votes_by_revision(admin_client, make_page):
    page = make_page("Interleukin-2", "First text.")
    record_vote(page, False, voter_key="early")
    page = make_page("Interleukin-2", "Better text.")
    record_vote(page, True, voter_key="late")
    response = admin_client.get(f"{LIST_URL}{page.pk}/change/")
    revisions = response.context["statistics"].revisions
    assert [(row["yes"], row["no"]) for row in revisions] == [(1, 0), (0, 1)]
    assert revisions[0]["revision_id"] == page.current_revision_id


def test_admin_index_orders_least_useful_first_and_keeps_ten(admin_client, make_page):
    for number in range(12):
        page = make_page(f"Page {number:02d}")
        for voter in range(5):
            record_vote(page, voter < number % 6, voter_key=f"v{voter}")
    pages = list(Page.objects.least_useful())
    assert len(pages) == 10
    percents = [page.percent_useful for page in pages]
    assert percents == sorted(percents)
    assert percents[0] == 0


@pytest.mark.parametrize("who", ["anonymous", "reader", "moderator"])
def test_readers_and_moderators_cannot_reach_the_feedback_review(client, make_user, feedback, who):
    if who != "anonymous":
        client.force_login(make_user(who, moderator=who == "moderator"))
    for url in (LIST_URL, f"{LIST_URL}{feedback['il2'].pk}/change/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")
    response = client.post(
        LIST_URL, {"action": "export_csv", "_selected_action": [feedback["il2"].pk]}
    )
    assert response.status_code == 302
    assert "text/csv" not in response.get("Content-Type", "")


def test_any_staff_user_can_review_feedback(client, make_user, feedback):
    client.force_login(make_user("editor-in-chief", staff=True))
    assert client.get(LIST_URL).status_code == 200
    assert client.get(f"{LIST_URL}{feedback['il2'].pk}/change/").status_code == 200


def test_feedback_review_is_read_only(admin_client, feedback):
    page = feedback["il2"]
    assert admin_client.get(f"{LIST_URL}add/").status_code == 403
    assert admin_client.post(f"{LIST_URL}{page.pk}/delete/").status_code == 403
    response = admin_client.post(
        LIST_URL, {"action": "delete_selected", "_selected_action": [page.pk]}
    )
    assert Page.objects.filter(pk=page.pk).exists()
    assert response.status_code in (200, 302)


def test_feedback_detail_of_missing_page_is_404(admin_client, db):
    assert admin_client.get(f"{LIST_URL}999999/change/").status_code == 404


def test_a_script_from_one_address_adds_at_most_ten_votes_to_the_admin_numbers(
    admin_client, feedback
):
    script = browser_client(REMOTE_ADDR="81.2.69.160")
    for _ in range(200):
        script.cookies.clear()
        script.post("/wiki/Interleukin-2/vote/", {"useful": "no"})
    row = _rows(admin_client.get(LIST_URL))["Interleukin-2"]
    assert (row.yes_votes, row.no_votes) == (3, 1 + NEW_READERS_PER_NETWORK)
    assert row.total_votes == Vote.objects.filter(page=feedback["il2"]).count()


def test_vote_then_log_in_counts_once_in_the_admin_numbers(admin_client, feedback, make_user):
    make_user("patient")
    reader = browser_client()
    reader.post("/wiki/IL-21/vote/", {"useful": "yes"})
    reader.post("/accounts/login/", {"username": "patient", "password": PASSWORD})
    reader.post("/wiki/IL-21/vote/", {"useful": "yes"})
    row = _rows(admin_client.get(LIST_URL))["IL-21"]
    assert (row.yes_votes, row.no_votes, row.total_votes) == (2, 5, 7)


def _titles(response):
    return [page.title for page in response.context["cl"].result_list]


@pytest.mark.parametrize("column", ["5", "-5", "7", "-7"])
def test_sorting_by_percent_useful_or_last_vote_puts_unvoted_pages_last_both_ways(
    admin_client, feedback, make_page, column
):
    make_page("Aldesleukin")  # unvoted, and first by title
    titles = _titles(admin_client.get(LIST_URL, {"o": column}))
    assert titles[-2:] == ["Aldesleukin", "Sunitinib"]
    voted = titles[:2]
    if column == "5":
        assert voted == ["IL-21", "Interleukin-2"]  # 17% before 75%
    elif column == "-5":
        assert voted == ["Interleukin-2", "IL-21"]
    else:
        assert set(voted) == {"IL-21", "Interleukin-2"}


def test_feedback_list_shows_content_pages_only_by_default(admin_client, feedback, make_page):
    make_page("Proleukin", "#REDIRECT [[Interleukin-2]]")
    response = admin_client.get(LIST_URL)
    assert set(_rows(response)) == {"Interleukin-2", "IL-21", "Sunitinib"}
    html = response.content.decode()
    assert "Content pages only" in html
    assert 'href="?kind=all"' in html


def test_feedback_list_shows_redirects_when_asked(admin_client, feedback, make_page):
    make_page("Proleukin", "#REDIRECT [[Interleukin-2]]")
    everything = _rows(admin_client.get(LIST_URL, {"kind": "all"}))
    assert set(everything) == {"Interleukin-2", "IL-21", "Sunitinib", "Proleukin"}
    assert list(_rows(admin_client.get(LIST_URL, {"kind": "redirects"}))) == ["Proleukin"]
    # With the counts shown (Django's facets) and with the other filter too.
    assert admin_client.get(LIST_URL, {"kind": "all", "_facets": "1"}).status_code == 200
    month_ago = (timezone.localdate() - datetime.timedelta(days=29)).isoformat()
    rows = _rows(admin_client.get(LIST_URL, {"kind": "all", "voted_from": month_ago}))
    assert set(rows) == {"Interleukin-2", "IL-21"}


def test_feedback_list_rows_link_to_the_page_and_its_info_view(admin_client, feedback):
    html = admin_client.get(LIST_URL).content.decode()
    page = feedback["il2"]
    assert '<a href="/wiki/Interleukin-2/">Read' in html
    assert '<a href="/wiki/Interleukin-2/info/">Info' in html
    assert f'href="/admin/wiki/pagefeedback/{page.pk}/change/"' in html


def test_feedback_list_last_vote_is_a_short_machine_readable_date(admin_client, feedback):
    html = admin_client.get(LIST_URL).content.decode()
    last = Vote.objects.filter(page=feedback["il2"]).order_by("-updated_at").first().updated_at
    assert f'<time datetime="{last.isoformat()}">' in html
    assert f'<span class="vote-time">{last.day} {last:%b %Y}</span>' in html


def _vote_on(page, answers, *, days_ago):
    """Votes on ``page`` (True for yes) whose latest answer was ``days_ago``."""
    when = timezone.now() - datetime.timedelta(days=days_ago)
    for is_useful in answers:
        vote, _ = record_vote(page, is_useful, voter_key=f"{days_ago}-{Vote.objects.count()}")
        Vote.objects.filter(pk=vote.pk).update(updated_at=when)


def test_feedback_detail_shows_percent_useful_a_week_with_its_votes(admin_client, make_page):
    page = make_page("Interleukin-2")
    _vote_on(page, [True, False, False, False], days_ago=14)
    _vote_on(page, [True, True, True], days_ago=0)
    response = admin_client.get(f"{LIST_URL}{page.pk}/change/")
    percent, votes = response.context["statistics"].trend
    rows = {row[0]: row[1:] for row in percent.rows}
    today = timezone.now().date()
    this_week = today - datetime.timedelta(days=today.weekday())
    earlier = this_week - datetime.timedelta(days=14)
    label = "{d.day} {d:%b %Y}"
    assert rows[label.format(d=this_week)] == ["3", "100%"]
    assert rows[label.format(d=earlier)] == ["4", "25%"]
    assert rows[label.format(d=this_week - datetime.timedelta(days=7))] == ["0", "–"]
    assert [point.label.split(":")[1].strip() for point in percent.points] == [
        "25% useful, 4 votes",
        "100% useful, 3 votes",
    ]
    assert len(percent.lines) == 2  # the week without votes breaks the line
    assert {row[0]: row[1] for row in votes.rows}[label.format(d=this_week)] == "3"
    html = response.content.decode()
    for axis_text in ("% useful", "Week starting", ">Votes<", ">Views<", ">Day<", ">100%<"):
        assert axis_text in html
    assert html.count('<details class="chart-figures">') == 4
    assert "% useful a week: the figures as a table" in html


def test_chart_axes_end_on_a_round_number():
    from wiki.charts import round_top

    assert round_top(0) == (1, 1)  # an empty chart still has an axis
    assert round_top(3) == (3, 1)
    assert round_top(7) == (8, 2)
    assert round_top(10) == (10, 5)
    assert round_top(37) == (40, 10)
    assert round_top(1234) == (1500, 500)


def test_feedback_detail_links_to_the_page_info_view(admin_client, feedback):
    html = admin_client.get(f"{LIST_URL}{feedback['il2'].pk}/change/").content.decode()
    assert 'href="/wiki/Interleukin-2/info/"' in html
