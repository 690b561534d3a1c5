"""The disclaimer's versions: saving makes a new one and never rewrites an
old one; /disclaimer/ and /disclaimer/<n>/; the admin's list, form and
diff; the notice before the body; ETags, shared copies and PDFs follow the
version."""

import re
import threading

import pytest
from django.core.cache import cache
from django.db import connection, connections
from django.db.migrations.executor import MigrationExecutor
from django.test import Client

from tests.test_pdf import pdf_text
from wiki.disclaimers import add_disclaimer_version, current_disclaimer
from wiki.models import DEFAULT_DISCLAIMER, DEFAULT_DISCLAIMER_SHORT, DisclaimerVersion

ADMIN_LIST = "/admin/wiki/disclaimerversion/"
ADMIN_ADD = "/admin/wiki/disclaimerversion/add/"


def versions():
    return list(
        DisclaimerVersion.objects.order_by("number").values_list(
            "number", "text", "short_text", "created_at", "created_by_id"
        )
    )


def new_wording(admin_client, text="Our new wording.\nSecond paragraph.", short="Short form."):
    response = admin_client.post(ADMIN_ADD, {"text": text, "short_text": short})
    assert response.status_code == 302, response.content.decode()[:2000]
    return DisclaimerVersion.objects.order_by("-number").first()


def footer_of(html):
    return html[html.index('<footer class="site-footer">') :]


# Saving makes a new version; old ones stay as they were.


def test_saving_in_admin_makes_the_next_version_by_that_admin(admin_client, admin_user):
    before = versions()
    version = new_wording(admin_client)
    assert version.number == before[-1][0] + 1
    assert version.created_by == admin_user
    assert versions()[:-1] == before


def test_saved_text_is_kept_one_paragraph_a_line(db):
    version = add_disclaimer_version("  First.  \n\n\n Second. ", "  One\n line. ")
    assert version.text == "First.\nSecond."
    assert version.short_text == "One line."


def test_new_version_is_what_every_page_carries(admin_client, client, make_page):
    make_page("Interleukin-2", "Text.")
    client.get("/wiki/Interleukin-2/")  # the old version is cached now
    version = new_wording(admin_client)
    footer = footer_of(client.get("/wiki/Interleukin-2/").content.decode())
    assert "<p>Our new wording.</p>" in footer
    assert "<p>Second paragraph.</p>" in footer
    assert f"Disclaimer version {version.number}" in footer
    assert "licensed physician" not in footer


def test_old_version_stays_readable_with_its_old_text(admin_client, client):
    first = current_disclaimer()
    new_wording(admin_client)
    response = client.get(f"/disclaimer/{first.number}/")
    assert response.status_code == 200
    html = response.content.decode()
    body = html[html.index('<div class="page-body">') : html.index('<footer class="site-footer">')]
    assert "not a substitute for the care of a licensed physician" in body
    assert "Our new wording." not in body
    assert "This is an earlier version of the disclaimer" in html
    assert 'href="/disclaimer/">Read the current disclaimer' in html
    assert '<meta name="robots" content="noindex">' in html


def test_current_disclaimer_page_shows_text_number_and_date(client, db):
    version = add_disclaimer_version("Para one.\nPara two.", "Short.")
    response = client.get("/disclaimer/")
    assert response.status_code == 200
    html = response.content.decode()
    body = html[html.index('<div class="page-body">') : html.index('<footer class="site-footer">')]
    assert "<p>Para one.</p>" in body and "<p>Para two.</p>" in body
    day = version.created_at.date()
    assert f'Version {version.number}, <time datetime="{day.isoformat()}">' in html
    assert f"{day.day} {day:%B %Y}" in html
    assert "This is an earlier version" not in html
    assert "public" in response["Cache-Control"]
    assert response.has_header("ETag")


def test_current_version_by_number_is_not_marked_old(client, db):
    version = current_disclaimer()
    html = client.get(f"/disclaimer/{version.number}/").content.decode()
    assert "the version every page carries now" in html
    assert "This is an earlier version" not in html


def test_disclaimer_page_lists_every_version(admin_client, client):
    first = current_disclaimer()
    second = new_wording(admin_client)
    html = client.get("/disclaimer/").content.decode()
    assert f'<a href="/disclaimer/{first.number}/">Version {first.number}</a>' in html
    assert f"<strong>Version {second.number}</strong>" in html


@pytest.mark.parametrize("number", ["0", "999", "2147483648", "99999999999999999999999"])
def test_unknown_version_is_404(client, db, number):
    response = client.get(f"/disclaimer/{number}/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_disclaimer_text_is_escaped(client, db):
    add_disclaimer_version('<script>alert("x")</script> & <b>bold</b>', "Short <i>.")
    html = client.get("/disclaimer/").content.decode()
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;bold" in html


def test_unchanged_disclaimer_page_answers_304(client, db):
    etag = client.get("/disclaimer/")["ETag"]
    assert client.get("/disclaimer/", headers={"If-None-Match": etag}).status_code == 304


def test_new_version_changes_the_disclaimer_pages_etag(admin_client, client):
    first = current_disclaimer()
    etags = {
        url: client.get(url)["ETag"] for url in ["/disclaimer/", f"/disclaimer/{first.number}/"]
    }
    new_wording(admin_client)
    for url, etag in etags.items():
        response = client.get(url, headers={"If-None-Match": etag})
        assert response.status_code == 200, url


# The admin: list, pre-filled form, read-only versions with a diff.


def test_admin_lists_versions_newest_first(admin_client):
    first = current_disclaimer()
    second = new_wording(admin_client)
    html = admin_client.get(ADMIN_LIST).content.decode()
    assert html.index(f"/{second.pk}/change/") < html.index(f"/{first.pk}/change/")


def test_admin_add_form_starts_from_the_current_text(admin_client):
    version = add_disclaimer_version("Current wording.\nLine two.", "Current short.")
    response = admin_client.get(ADMIN_ADD)
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.initial == {"text": version.text, "short_text": version.short_text}
    assert "Current wording.\nLine two.</textarea>" in response.content.decode()


def test_admin_refuses_to_change_a_version(admin_client):
    version = current_disclaimer()
    before = versions()
    response = admin_client.post(
        f"{ADMIN_LIST}{version.pk}/change/", {"text": "Rewritten.", "short_text": "Rewritten."}
    )
    assert response.status_code == 403
    assert versions() == before


def test_admin_refuses_to_delete_a_version(admin_client):
    version = current_disclaimer()
    before = versions()
    response = admin_client.post(f"{ADMIN_LIST}{version.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    response = admin_client.post(
        ADMIN_LIST, {"action": "delete_selected", "_selected_action": [version.pk], "post": "yes"}
    )
    assert versions() == before


def test_admin_shows_a_version_read_only_with_the_changes_from_the_one_before(admin_client):
    add_disclaimer_version("Same line.\nOld <b>line</b>.", "Old short.")
    version = add_disclaimer_version("Same line.\nNew <b>line</b>.", "New short.")
    response = admin_client.get(f"{ADMIN_LIST}{version.pk}/change/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<textarea" not in html  # read-only
    assert 'name="_save"' not in html
    assert f"Changes from version {version.number - 1}" in html
    assert "<del>Old</del>" in html and "<ins>New</ins>" in html
    assert "&lt;b&gt;line&lt;/b&gt;" in html
    assert "<b>line</b>" not in html


def test_admin_first_version_says_there_is_nothing_before_it(admin_client):
    version = DisclaimerVersion.objects.order_by("number").first()
    html = admin_client.get(f"{ADMIN_LIST}{version.pk}/change/").content.decode()
    assert "This is the first version" in html


# Who may use the admin pages: anonymous, a plain user and a moderator are
# sent to the admin login; a staff user without the permissions is refused;
# an admin may. A refusal changes nothing.


def admin_requests():
    version = DisclaimerVersion.objects.order_by("number").first()
    return [
        ("get", ADMIN_LIST, None),
        ("get", ADMIN_ADD, None),
        ("get", f"{ADMIN_LIST}{version.pk}/change/", None),
        ("post", ADMIN_ADD, {"text": "Intruder's text.", "short_text": "Intruder."}),
        ("post", f"{ADMIN_LIST}{version.pk}/change/", {"text": "X.", "short_text": "X."}),
        ("post", f"{ADMIN_LIST}{version.pk}/delete/", {"post": "yes"}),
    ]


@pytest.fixture(params=["anonymous", "reader", "moderator", "staff"])
def refused_client(request, make_user):
    client = Client()
    if request.param == "reader":
        client.force_login(make_user("reader"))
    elif request.param == "moderator":
        client.force_login(make_user("moderator", moderator=True))
    elif request.param == "staff":
        client.force_login(make_user("staff", staff=True))
    client.role = request.param
    return client


def test_admin_disclaimer_pages_refuse_everyone_but_admins(refused_client):
    before = versions()
    for method, url, data in admin_requests():
        response = getattr(refused_client, method)(url, data or {})
        if refused_client.role == "staff":
            assert response.status_code == 403, (method, url)
        else:
            assert response.status_code == 302, (method, url)
            assert response["Location"].startswith("/admin/login/"), (method, url)
    assert versions() == before
    assert "Intruder" not in current_disclaimer().text


def test_admin_may_list_view_and_add(admin_client):
    for method, url, data in admin_requests()[:4]:
        response = getattr(admin_client, method)(url, data or {})
        assert response.status_code == (302 if method == "post" else 200), (method, url)
    assert current_disclaimer().text == "Intruder's text."


def test_admin_index_lists_disclaimer_versions(admin_client):
    html = admin_client.get("/admin/").content.decode()
    assert 'href="/admin/wiki/disclaimerversion/"' in html


# The notice: before the body of every page view and old revision.

NOTICE = '<a href="/disclaimer/">General information, not medical advice</a>'


@pytest.fixture
def pages(make_page):
    page = make_page("Interleukin-2", "The body text.")
    make_page("Proleukin", "#REDIRECT [[Interleukin-2]]")
    make_page("Main Page", "Welcome text.")
    return page


@pytest.mark.parametrize("url", ["/wiki/Interleukin-2/", "/wiki/Proleukin/", "/", "old-revision"])
def test_notice_comes_before_the_body(client, pages, url):
    if url == "old-revision":
        url = f"/wiki/Interleukin-2/revisions/{pages.current_revision_id}/"
    html = client.get(url).content.decode()
    assert html.count(NOTICE) == 1
    assert html.index("<h1>") < html.index(NOTICE) < html.index('<div class="page-body">')


def test_notice_is_part_of_the_shared_copy_of_an_anonymous_page(client, pages):
    response = client.get("/wiki/Interleukin-2/")
    shared = cache.get("wiki:page-view:" + response["ETag"].strip('"'))
    assert NOTICE.encode() in shared


def test_new_version_changes_the_page_etag_and_shared_copy(admin_client, client, pages):
    first = client.get("/wiki/Interleukin-2/")
    version = new_wording(admin_client)
    response = client.get("/wiki/Interleukin-2/", headers={"If-None-Match": first["ETag"]})
    assert response.status_code == 200
    assert response["ETag"] != first["ETag"]
    shared = cache.get("wiki:page-view:" + response["ETag"].strip('"'))
    assert f"Disclaimer version {version.number}".encode() in shared
    assert b"<p>Our new wording.</p>" in shared
    # The old copy is never served again: its key is no page's ETag now.
    assert client.get("/wiki/Interleukin-2/").content == response.content


# PDFs name the version they carry.


@pytest.fixture
def https_client(client, settings):
    settings.SITE_URL = "https://testserver"
    client.defaults.update({"HTTP_HOST": "testserver", "HTTP_X_FORWARDED_PROTO": "https"})
    return client


def version_line(version):
    day = version.created_at.date()
    return f"Disclaimer version {version.number}, {day.day} {day:%B %Y}"


def test_pdf_names_the_disclaimer_version_it_carries(https_client, make_page):
    make_page("Interleukin-2", "Text.")
    version = add_disclaimer_version("A PDF wording.", "Printed short form.")
    text = pdf_text(https_client.get("/wiki/Interleukin-2/pdf/"))
    assert version_line(version) in text
    assert "Printed short form." in text
    assert "A PDF wording." in text
    assert f"https://testserver/disclaimer/{version.number}/" in text


def test_new_version_makes_a_new_pdf(https_client, make_page):
    page = make_page("Interleukin-2", "Text.")
    first = current_disclaimer()
    assert version_line(first) in pdf_text(https_client.get("/wiki/Interleukin-2/pdf/"))
    second = add_disclaimer_version("Second wording.", "Second short.")
    for url in [
        "/wiki/Interleukin-2/pdf/",
        f"/wiki/Interleukin-2/revisions/{page.current_revision_id}/pdf/",
    ]:
        text = pdf_text(https_client.get(url))
        assert version_line(second) in text, url
        assert "Second short." in text, url


# Numbers are assigned one save at a time.


@pytest.mark.postgres
def test_versions_saved_at_the_same_moment_get_different_numbers(transactional_db):
    start = (
        DisclaimerVersion.objects.order_by("-number").values_list("number", flat=True).first()
    ) or 0
    barrier = threading.Barrier(6)
    errors = []

    def save(index):
        try:
            barrier.wait()
            add_disclaimer_version(f"Wording {index}.", f"Short {index}.")
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=save, args=(index,)) for index in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    numbers = sorted(
        DisclaimerVersion.objects.filter(number__gt=start).values_list("number", flat=True)
    )
    assert numbers == list(range(start + 1, start + 7))
    texts = DisclaimerVersion.objects.filter(number__gt=start).values_list("text", flat=True)
    assert sorted(texts) == sorted(f"Wording {index}." for index in range(6))


# The data migration: the settings text becomes version 1.


def migrate_through_0007(set_up):
    """Migrate back to before 0007, let ``set_up(SiteSettings)`` change the
    old settings row, migrate forward again; return the versions then."""
    target = ("wiki", "0007_disclaimer_versions")
    executor = MigrationExecutor(connection)
    (parent,) = [
        node.key for node in executor.loader.graph.node_map[target].parents if node.key[0] == "wiki"
    ]
    executor.migrate([parent])
    executor.loader.build_graph()
    old_settings = executor.loader.project_state([parent]).apps.get_model("wiki", "SiteSettings")
    set_up(old_settings)
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    return list(DisclaimerVersion.objects.values_list("number", "text", "short_text"))


@pytest.mark.django_db(transaction=True)
def test_migration_makes_a_custom_settings_text_version_1():
    def set_up(settings_model):
        settings_model.objects.all().delete()
        settings_model.objects.create(disclaimer=" Our own.\n\nSecond. ", disclaimer_short="Ours.")

    assert migrate_through_0007(set_up) == [(1, "Our own.\nSecond.", "Ours.")]


@pytest.mark.django_db(transaction=True)
def test_migration_replaces_the_old_default_with_the_new_one():
    def set_up(settings_model):
        settings_model.objects.all().delete()
        settings_model.objects.create()  # the old defaults

    assert migrate_through_0007(set_up) == [(1, DEFAULT_DISCLAIMER, DEFAULT_DISCLAIMER_SHORT)]


def test_admin_version_page_links_to_the_public_page(admin_client):
    version = current_disclaimer()
    html = admin_client.get(f"{ADMIN_LIST}{version.pk}/change/").content.decode()
    view_on_site = re.search(r'<a href="([^"]+)" class="viewsitelink">', html).group(1)
    response = admin_client.get(view_on_site)
    assert response.status_code == 302
    assert response["Location"].endswith(f"/disclaimer/{version.number}/")


def test_version_saved_through_another_server_is_on_the_next_page_view(client, make_page):
    # Another app server saved it: this one's cache still holds the old
    # version. A page reads the current number with itself, so it carries
    # the new text at once.
    from django.utils import timezone

    make_page("Interleukin-2", "Text.")
    client.get("/wiki/Interleukin-2/")
    old = current_disclaimer()
    newer = DisclaimerVersion.objects.create(
        number=old.number + 1,
        text="Wording saved elsewhere.",
        short_text="Short.",
        created_at=timezone.now(),
    )
    footer = footer_of(client.get("/wiki/Interleukin-2/").content.decode())
    assert "<p>Wording saved elsewhere.</p>" in footer
    assert f"Disclaimer version {newer.number}" in footer
