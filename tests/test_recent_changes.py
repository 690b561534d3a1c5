import datetime

from django.utils import timezone

from wiki.models import RevisionInfo
from wiki.services import save_page


def test_recent_changes_lists_edits_newest_first(client, make_page):
    make_page("Alpha", "one", summary="alpha created")
    make_page("Beta", "one", summary="beta created")
    html = client.get("/recent-changes/").content.decode()
    assert html.index("beta created") < html.index("alpha created")


def test_recent_changes_rows_link_to_their_diff(client, make_page):
    make_page("Alpha", "one")
    save_page("Alpha", "two")
    first, second = RevisionInfo.objects.order_by("revision_id").values_list(
        "revision_id", flat=True
    )
    html = client.get("/recent-changes/").content.decode()
    assert f'href="/wiki/Alpha/diff/{first}/{second}/"' in html


def test_recent_changes_filters_by_days(client, make_page):
    old = timezone.now() - datetime.timedelta(days=10)
    save_page("Old Page", "one", summary="ten days ago", date=old)
    make_page("New Page", "one", summary="just now")
    html = client.get("/recent-changes/?days=7").content.decode()
    assert "just now" in html
    assert "ten days ago" not in html
    assert "ten days ago" in client.get("/recent-changes/?days=30").content.decode()


def test_recent_changes_limits_count(client, db):
    for number in range(60):
        save_page("Busy", f"text {number}", summary=f"change number {number}.")
    html = client.get("/recent-changes/?limit=50").content.decode()
    assert "change number 59." in html
    assert "change number 9." not in html


def test_recent_changes_bad_filter_is_400(client, db):
    assert client.get("/recent-changes/?days=abc").status_code == 400


def test_feed_is_atom_with_edits(client, make_page):
    make_page("Alpha", "one", summary="alpha created")
    response = client.get("/recent-changes/feed/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    body = response.content.decode()
    assert "<feed" in body
    assert "Alpha: alpha created" in body


def test_feed_escapes_summaries(client, make_page):
    make_page("Alpha", "one", summary="<script>alert(1)</script>")
    body = client.get("/recent-changes/feed/").content.decode()
    assert "<script>" not in body


def test_contributions_list_one_users_edits(client, make_user):
    writer = make_user("writer", moderator=True)
    other = make_user("other", moderator=True)
    save_page("Alpha", "one", user=writer, summary="edit by writer")
    save_page("Beta", "one", user=other, summary="edit by other")
    html = client.get("/contributions/writer/").content.decode()
    assert "edit by writer" in html
    assert "edit by other" not in html


def test_contributions_of_unknown_user_is_404(client, db):
    assert client.get("/contributions/nobody/").status_code == 404


def test_feed_entries_link_to_their_diff(client, make_page):
    make_page("Alpha", "one")
    save_page("Alpha", "two", summary="second")
    first, second = RevisionInfo.objects.order_by("revision_id").values_list(
        "revision_id", flat=True
    )
    body = client.get("/recent-changes/feed/").content.decode()
    assert f"/wiki/Alpha/diff/{first}/{second}/" in body


def test_feed_entry_of_a_new_page_links_to_its_first_revision(client, make_page):
    page = make_page("High Dose Interleukin-2", "one")
    body = client.get("/recent-changes/feed/").content.decode()
    revision_url = f"/wiki/High_Dose_Interleukin-2/revisions/{page.current_revision_id}/"
    assert f'href="http://testserver{revision_url}"' in body
    assert '<link href="http://testserver/recent-changes/"' in body


def test_feed_survives_a_control_character_in_a_summary(client, make_page):
    # XML 1.0 cannot carry most C0 characters: the feed shows a space.
    make_page("Alpha", "one", summary="bad\x01summary")
    response = client.get("/recent-changes/feed/")
    assert response.status_code == 200
    assert "bad summary" in response.content.decode()
