"""Wiki-link state (missing or not, never stale), what links here, and the
link table's rebuild command."""

import io

from django.core.management import call_command
from reversion.models import Version

from wiki.models import Link, Page
from wiki.services import delete_page, save_page

MISSING_MARK = 'class="wikilink new" href="/wiki/IL-21/" title="IL-21 (page does not exist)"'
NORMAL_LINK = 'class="wikilink" href="/wiki/IL-21/"'


def test_link_to_missing_page_is_marked(client, make_page):
    make_page("Interleukin-2", "Related: [[IL-21]].")
    html = client.get("/wiki/Interleukin-2/").content.decode()
    assert MISSING_MARK in html


def test_link_becomes_normal_once_its_target_is_created(client, make_page):
    make_page("Interleukin-2", "Related: [[IL-21]].")
    assert MISSING_MARK in client.get("/wiki/Interleukin-2/").content.decode()  # now cached
    save_page("IL-21", "Interleukin-21.", summary="new page")
    html = client.get("/wiki/Interleukin-2/").content.decode()
    assert MISSING_MARK not in html
    assert NORMAL_LINK in html


def test_link_is_marked_again_after_its_target_is_deleted(client, make_page):
    target = make_page("IL-21", "Interleukin-21.")
    make_page("Interleukin-2", "Related: [[IL-21]].")
    assert NORMAL_LINK in client.get("/wiki/Interleukin-2/").content.decode()  # now cached
    delete_page(target)
    assert MISSING_MARK in client.get("/wiki/Interleukin-2/").content.decode()


def test_admin_delete_marks_links_to_the_deleted_page(admin_client, client, make_page):
    target = make_page("IL-21", "Interleukin-21.")
    make_page("Interleukin-2", "Related: [[IL-21]].")
    assert NORMAL_LINK in client.get("/wiki/Interleukin-2/").content.decode()
    response = admin_client.post(f"/admin/wiki/page/{target.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Page.objects.filter(title="IL-21").exists()
    assert MISSING_MARK in client.get("/wiki/Interleukin-2/").content.decode()


def test_admin_bulk_delete_marks_links_to_the_deleted_pages(admin_client, client, make_page):
    target = make_page("IL-21", "Interleukin-21.")
    make_page("Interleukin-2", "Related: [[IL-21]].")
    assert NORMAL_LINK in client.get("/wiki/Interleukin-2/").content.decode()
    response = admin_client.post(
        "/admin/wiki/page/",
        {"action": "delete_selected", "_selected_action": [target.pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert not Page.objects.filter(title="IL-21").exists()
    assert MISSING_MARK in client.get("/wiki/Interleukin-2/").content.decode()


def test_deleted_page_keeps_its_history(make_page):
    target = make_page("IL-21", "First text.")
    save_page("IL-21", "Second text.", summary="second")
    page_id = target.pk
    delete_page(target)
    deleted = Version.objects.get_deleted(Page)
    assert [version.field_dict["title"] for version in deleted] == ["IL-21"]
    assert Version.objects.filter(object_id=str(page_id)).count() == 2


def test_link_to_a_redirect_renders_as_existing(client, make_page):
    make_page("Interleukin-2", "Text.")
    make_page("Proleukin", "#REDIRECT [[Interleukin-2]]\n")
    make_page("Main Page", "Read about [[Proleukin]].")
    html = client.get("/").content.decode()
    assert 'class="wikilink" href="/wiki/Proleukin/"' in html
    assert "Proleukin (page does not exist)" not in html


def test_missing_page_offers_moderators_to_create_it(client, moderator_client, make_page):
    make_page("Interleukin-2", "Related: [[IL-21]].")
    response = moderator_client.get("/wiki/IL-21/")
    assert response.status_code == 404
    assert 'href="/wiki/IL-21/edit/"' in response.content.decode()


def test_missing_page_offers_readers_no_create_link(client, make_page):
    make_page("Interleukin-2", "Related: [[IL-21]].")
    response = client.get("/wiki/IL-21/")
    assert response.status_code == 404
    assert "/edit/" not in response.content.decode()


def test_what_links_here_lists_linking_pages_and_redirects(client, make_page):
    make_page("Interleukin-2", "Text.")
    make_page("High Dose Interleukin-2", "More on [[interleukin-2]].")
    make_page("Proleukin", "#REDIRECT [[Interleukin-2]]\n")
    make_page("Unrelated", "Nothing here.")
    response = client.get("/wiki/Interleukin-2/links/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'href="/wiki/High_Dose_Interleukin-2/"' in html
    assert (
        'href="/wiki/Proleukin/?redirect=no">Proleukin</a> <span class="link-kind">(redirect page)'
        in html
    )
    assert "Unrelated" not in html


def test_what_links_here_lists_pages_linking_through_a_redirect(client, make_page):
    make_page("Interleukin-2", "Text.")
    make_page("Proleukin", "#REDIRECT [[Interleukin-2]]\n")
    make_page("Trade names", "See [[Proleukin]].")
    html = client.get("/wiki/Interleukin-2/links/").content.decode()
    assert 'href="/wiki/Trade_names/">Trade names</a>' in html
    assert "links through the redirect" in html


def test_what_links_here_works_for_a_missing_title(client, make_page):
    make_page("Interleukin-2", "Related: [[IL-21]].")
    response = client.get("/wiki/IL-21/links/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'href="/wiki/Interleukin-2/"' in html
    assert "There is no page called" in html


def test_what_links_here_includes_crosslinks(client, make_page):
    make_page("IL-21", "Text.")
    make_page("Interleukin-2", "Text.", crosslinks=[{"kind": "see", "target_title": "IL-21"}])
    html = client.get("/wiki/IL-21/links/").content.decode()
    assert 'href="/wiki/Interleukin-2/"' in html


def test_what_links_here_with_other_spelling_redirects_to_canonical(client, make_page):
    make_page("Interleukin-2", "Text.")
    response = client.get("/wiki/interleukin-2/links/")
    assert response.status_code == 301
    assert response["Location"] == "/wiki/Interleukin-2/links/"


def test_what_links_here_says_when_nothing_links(client, make_page):
    make_page("Interleukin-2", "Text.")
    html = client.get("/wiki/Interleukin-2/links/").content.decode()
    assert "No page links to" in html


def test_link_table_is_kept_on_save(make_page):
    page = make_page("Interleukin-2", "See [[IL-21]] and [[High Dose Interleukin-2|high dose]].")
    assert set(page.outgoing_links.values_list("target_key", flat=True)) == {
        "il-21",
        "high dose interleukin-2",
    }
    save_page("Interleukin-2", "Only [[IL-21]] now.")
    assert list(page.outgoing_links.values_list("target_key", flat=True)) == ["il-21"]


def test_indented_redirect_still_links_to_its_target(make_page):
    # Four spaces make the line a code block in markdown, with no link in it.
    page = make_page("Proleukin", "    #REDIRECT [[Interleukin-2]]\n")
    assert page.redirect_to == "Interleukin-2"
    assert list(Page.objects.linking_to_title("Interleukin-2")) == [page]


def test_rebuildlinks_restores_the_link_table(make_page):
    make_page("IL-21", "Text.")
    make_page(
        "Interleukin-2",
        "See [[IL-21]].",
        crosslinks=[{"kind": "related", "target_title": "Low Dose Interleukin-2"}],
    )
    make_page("Proleukin", "#REDIRECT [[Interleukin-2]]\n")
    expected = set(Link.objects.values_list("source__title", "target_key"))
    Link.objects.all().delete()
    call_command("rebuildlinks", stdout=io.StringIO())
    assert set(Link.objects.values_list("source__title", "target_key")) == expected
    assert ("Interleukin-2", "low dose interleukin-2") in expected
    assert ("Proleukin", "interleukin-2") in expected


def test_rebuildlinks_refreshes_cached_link_state(client, make_page):
    make_page("Interleukin-2", "Related: [[IL-21]].")
    assert MISSING_MARK in client.get("/wiki/Interleukin-2/").content.decode()  # now cached
    # A page that appears without the save service (say, a raw database
    # import) leaves cached link state stale until the rebuild.
    Page.objects.create(title="IL-21", body="Text.")
    versions = dict(Page.objects.values_list("title", "link_version"))
    call_command("rebuildlinks", stdout=io.StringIO())
    for title, link_version in Page.objects.values_list("title", "link_version"):
        assert link_version == versions[title] + 1
    assert NORMAL_LINK in client.get("/wiki/Interleukin-2/").content.decode()


def test_missing_page_points_to_what_links_here(client, make_page):
    make_page("Interleukin-2", "Related: [[IL-21]].")
    assert 'href="/wiki/IL-21/links/"' in client.get("/wiki/IL-21/").content.decode()


def test_page_tools_link_to_what_links_here(client, make_page):
    make_page("Interleukin-2", "Text.")
    html = client.get("/wiki/Interleukin-2/").content.decode()
    assert 'href="/wiki/Interleukin-2/links/"' in html


def test_what_links_here_for_an_impossible_title_is_404(client, db):
    assert client.get("/wiki/a%3Cb%3E/links/").status_code == 404


def test_what_links_here_cost_does_not_grow_with_links(
    client, make_page, django_assert_max_num_queries
):
    make_page("Interleukin-2", "Text.")
    make_page("Proleukin", "#REDIRECT [[Interleukin-2]]\n")
    for number in range(12):
        make_page(f"Linking page {number}", "See [[Interleukin-2]] and [[Proleukin]].")
    with django_assert_max_num_queries(5):
        response = client.get("/wiki/Interleukin-2/links/")
    assert response.content.decode().count("links through the redirect") == 12
