import json

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from reversion.models import Revision, Version

from wiki.models import Page, RevisionInfo
from wiki.services import save_page


def _page_with_revisions(title, count, user=None):
    for number in range(count):
        save_page(title, f"Text number {number}.", summary=f"edit {number}", user=user)
    return Page.objects.get(title=title)


def test_history_lists_revisions_newest_first(client, make_user):
    author = make_user("writer", moderator=True)
    page = _page_with_revisions("Interleukin-2", 3, user=author)
    html = client.get("/wiki/Interleukin-2/history/").content.decode()
    ids = list(
        RevisionInfo.objects.filter(page=page)
        .order_by("-revision_id")
        .values_list("revision_id", flat=True)
    )
    positions = [html.index(f'/revisions/{revision_id}/"') for revision_id in ids]
    assert positions == sorted(positions)
    assert "edit 2" in html and "edit 0" in html
    assert "writer" in html


def test_history_shows_size_and_size_change(client, make_page):
    make_page("Interleukin-2", "12345")
    save_page("Interleukin-2", "123")
    html = client.get("/wiki/Interleukin-2/history/").content.decode()
    assert '<td class="number">3</td>' in html
    assert '<td class="number size-change">-2</td>' in html
    assert '<td class="number size-change">+5</td>' in html


def test_history_has_cur_and_prev_links(client, make_page):
    make_page("Interleukin-2", "one")
    save_page("Interleukin-2", "two")
    save_page("Interleukin-2", "three")
    first, second, third = RevisionInfo.objects.order_by("revision_id").values_list(
        "revision_id", flat=True
    )
    html = client.get("/wiki/Interleukin-2/history/").content.decode()
    assert f'href="/wiki/Interleukin-2/diff/{first}/{third}/">cur<' in html
    assert f'href="/wiki/Interleukin-2/diff/{first}/{second}/">prev<' in html
    assert f'href="/wiki/Interleukin-2/diff/{second}/{third}/">prev<' in html


def test_history_paginates_fifty_a_page(client, db):
    page = _page_with_revisions("Interleukin-2", 55)
    first_page = client.get("/wiki/Interleukin-2/history/").content.decode()
    second_page = client.get("/wiki/Interleukin-2/history/?page=2").content.decode()
    oldest = RevisionInfo.objects.filter(page=page).order_by("revision_id").first().revision_id
    assert first_page.count('name="to"') == 50
    assert second_page.count('name="to"') == 5
    assert f"/revisions/{oldest}/" in second_page


def test_history_compare_form_redirects_to_diff(client, make_page):
    make_page("Interleukin-2", "one")
    save_page("Interleukin-2", "two")
    first, second = RevisionInfo.objects.order_by("revision_id").values_list(
        "revision_id", flat=True
    )
    response = client.get(f"/wiki/Interleukin-2/history/?from={second}&to={first}")
    assert response.status_code == 302
    assert response["Location"] == f"/wiki/Interleukin-2/diff/{first}/{second}/"


def test_author_whose_name_no_url_can_carry_is_shown_without_a_link(client, django_user_model):
    # An imported author name may hold a "/", which /contributions/<name>/
    # cannot carry: the name is shown, and the page still answers.
    author = django_user_model.objects.create(username="Dr A/B", is_active=False)
    _page_with_revisions("Interleukin-2", 1, user=author)
    for url in ["/wiki/Interleukin-2/history/", "/recent-changes/"]:
        response = client.get(url)
        assert response.status_code == 200
        assert "Dr A/B" in response.content.decode()
        assert "/contributions/Dr" not in response.content.decode()


def test_history_of_missing_page_is_404(client, db):
    assert client.get("/wiki/Nowhere/history/").status_code == 404


def _history_queries(client):
    client.get("/wiki/Interleukin-2/history/")  # warm the disclaimer cache
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/wiki/Interleukin-2/history/")
    assert response.status_code == 200
    return len(queries)


def test_history_query_count_does_not_grow_with_revisions(client, db):
    _page_with_revisions("Interleukin-2", 5)
    few = _history_queries(client)
    _page_with_revisions("Interleukin-2", 495)
    assert RevisionInfo.objects.count() == 500
    many = _history_queries(client)
    assert few == many


def test_history_shows_revert_button_only_to_moderators(client, moderator_client, make_page):
    make_page("Interleukin-2", "one")
    save_page("Interleukin-2", "two")
    assert "Revert to this" in moderator_client.get("/wiki/Interleukin-2/history/").content.decode()
    client.logout()
    assert "Revert to this" not in client.get("/wiki/Interleukin-2/history/").content.decode()


def test_old_revision_shows_its_content_and_banner(client, make_user):
    author = make_user("writer", moderator=True)
    save_page("Interleukin-2", "**Old** content.", user=author)
    old_id = Page.objects.get().current_revision_id
    save_page("Interleukin-2", "New content.")
    html = client.get(f"/wiki/Interleukin-2/revisions/{old_id}/").content.decode()
    assert "<strong>Old</strong> content." in html
    assert "old revision" in html
    assert "writer" in html
    assert 'href="/wiki/Interleukin-2/?redirect=no">Current revision' in html


def test_old_revision_links_previous_and_next(client, make_page):
    make_page("Interleukin-2", "one")
    save_page("Interleukin-2", "two")
    save_page("Interleukin-2", "three")
    first, second, third = RevisionInfo.objects.order_by("revision_id").values_list(
        "revision_id", flat=True
    )
    html = client.get(f"/wiki/Interleukin-2/revisions/{second}/").content.decode()
    assert f"/wiki/Interleukin-2/revisions/{first}/" in html
    assert f"/wiki/Interleukin-2/revisions/{third}/" in html


def test_old_revision_is_sanitized(client, make_page):
    make_page("Interleukin-2", "<script>alert(1)</script><img src=x onerror=alert(1)>")
    revision_id = Page.objects.get().current_revision_id
    html = client.get(f"/wiki/Interleukin-2/revisions/{revision_id}/").content.decode()
    assert "<script>alert" not in html
    assert "onerror" not in html


def test_revision_of_another_page_is_404(client, make_page):
    other = make_page("Other", "x")
    make_page("Interleukin-2", "y")
    url = f"/wiki/Interleukin-2/revisions/{other.current_revision_id}/"
    assert client.get(url).status_code == 404


def test_revision_that_does_not_exist_is_404(client, make_page):
    make_page("Interleukin-2", "y")
    assert client.get("/wiki/Interleukin-2/revisions/999999/").status_code == 404


def test_diff_view_shows_headers_and_changes(client, make_page):
    make_page("Interleukin-2", "The dose is high.", summary="first")
    save_page("Interleukin-2", "The dose is low.", summary="second")
    first, second = RevisionInfo.objects.order_by("revision_id").values_list(
        "revision_id", flat=True
    )
    html = client.get(f"/wiki/Interleukin-2/diff/{first}/{second}/").content.decode()
    assert "<del>high</del>" in html
    assert "<ins>low</ins>" in html
    assert f"Revision {first}" in html and f"Revision {second}" in html
    assert "first" in html and "second" in html


def test_diff_view_shows_metadata_changes(client, make_page):
    make_page("Trial", "Text.", metadata={"source_name": "Old paper"})
    save_page("Trial", "Text.", metadata={"source_name": "New paper"})
    first, second = RevisionInfo.objects.order_by("revision_id").values_list(
        "revision_id", flat=True
    )
    html = client.get(f"/wiki/Trial/diff/{first}/{second}/").content.decode()
    assert "Source name" in html
    assert "Old paper" in html and "New paper" in html


def test_diff_with_revision_of_another_page_is_404(client, make_page):
    other = make_page("Other", "x")
    page = make_page("Interleukin-2", "y")
    url = f"/wiki/Interleukin-2/diff/{other.current_revision_id}/{page.current_revision_id}/"
    assert client.get(url).status_code == 404


def _page_version(page, revision_id):
    return Version.objects.get(
        revision_id=revision_id,
        content_type=ContentType.objects.get_for_model(Page),
        object_id=str(page.pk),
    )


def test_version_saved_before_a_field_was_added_still_reads(client, make_page):
    # A version from an older schema: no source_name / article_date fields,
    # and one field the model no longer has.
    page = make_page("Interleukin-2", "Old body from long ago.")
    old_id = page.current_revision_id
    version = _page_version(page, old_id)
    data = json.loads(version.serialized_data)
    fields = data[0]["fields"]
    for name in ("source_name", "article_date", "source_url", "redirect_fragment"):
        fields.pop(name, None)
    fields["retired_field"] = "whatever"
    version.serialized_data = json.dumps(data)
    version.save()
    save_page("Interleukin-2", "New body.", metadata={"source_name": "Journal"})
    new_id = Page.objects.get().current_revision_id

    response = client.get(f"/wiki/Interleukin-2/revisions/{old_id}/")
    assert response.status_code == 200
    assert "Old body from long ago." in response.content.decode()
    diff = client.get(f"/wiki/Interleukin-2/diff/{old_id}/{new_id}/")
    assert diff.status_code == 200
    assert "Journal" in diff.content.decode()


def test_corrupt_version_data_reads_as_empty_not_500(client, make_page):
    page = make_page("Interleukin-2", "Body.")
    version = _page_version(page, page.current_revision_id)
    version.serialized_data = "not json"
    version.save()
    response = client.get(f"/wiki/Interleukin-2/revisions/{page.current_revision_id}/")
    assert response.status_code == 200


@pytest.mark.parametrize("url", ["/wiki/interleukin-2/history/"])
def test_history_lowercase_url_redirects(client, make_page, url):
    make_page("Interleukin-2", "y")
    response = client.get(url)
    assert response.status_code == 301
    assert response["Location"] == "/wiki/Interleukin-2/history/"


def test_history_never_deserializes_versions(client, db, django_assert_max_num_queries):
    _page_with_revisions("Interleukin-2", 60)
    assert Revision.objects.count() == 60
    with CaptureQueriesContext(connection) as queries:
        client.get("/wiki/Interleukin-2/history/")
    assert not any("reversion_version" in query["sql"] for query in queries.captured_queries)


def test_old_revision_shows_its_own_crosslinks(client, make_page):
    page = make_page(
        "Interleukin-2", "Text.", crosslinks=[{"kind": "related", "target_title": "Old Link"}]
    )
    old_id = page.current_revision_id
    save_page(
        "Interleukin-2", "Text.", crosslinks=[{"kind": "related", "target_title": "New Link"}]
    )
    html = client.get(f"/wiki/Interleukin-2/revisions/{old_id}/").content.decode()
    assert 'href="/wiki/Old_Link/"' in html
    assert "New Link" not in html


def test_contributions_of_a_user_without_edits_is_the_same_404_as_no_such_user(client, make_user):
    make_user("quiet")
    without_edits = client.get("/contributions/quiet/")
    no_such_user = client.get("/contributions/nobody/")
    assert without_edits.status_code == no_such_user.status_code == 404
    # Alike but for the address itself (the log-in link comes back to it).
    assert without_edits.content.replace(b"quiet", b"NAME") == no_such_user.content.replace(
        b"nobody", b"NAME"
    )


def test_contributions_of_a_user_with_edits_are_listed(client, make_user):
    writer = make_user("writer", moderator=True)
    save_page("Alpha", "one", user=writer, summary="by writer")
    response = client.get("/contributions/writer/")
    assert response.status_code == 200
    assert "by writer" in response.content.decode()


def test_a_user_sees_their_own_contributions_page_before_any_edit(client, make_user):
    client.force_login(make_user("newcomer", moderator=True))
    assert client.get("/contributions/newcomer/").status_code == 200
    assert client.get("/contributions/reader/").status_code == 404
