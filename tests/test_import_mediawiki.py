"""importmediawiki on genuine MediaWiki 1.39 dumps (tests/fixtures/mediawiki,
see its README): history, authors, redirects, categories, templates, titles,
idempotence, malformed dumps and the dry run."""

import datetime
import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from reversion.models import Revision, Version

from wiki.models import Category, MediaWikiPage, Page, PageCategory, RevisionInfo
from wiki.titles import title_key

FIXTURES = Path(__file__).parent / "fixtures" / "mediawiki"
FULL = FIXTURES / "kcr-full-0.11.xml"


def run_import(path=FULL, *extra):
    out = io.StringIO()
    call_command("importmediawiki", str(path), *extra, stdout=out)
    return out.getvalue()


def history(title):
    """(summary, author, date, is_minor) of each revision, oldest first."""
    page = Page.objects.get(title=title)
    return [
        (
            info.revision.comment,
            info.revision.user.get_username() if info.revision.user else info.author_name,
            info.revision.date_created,
            info.is_minor,
        )
        for info in RevisionInfo.objects.filter(page=page)
        .select_related("revision__user")
        .order_by("revision_id")
    ]


def table_counts():
    return {
        model.__name__: model.objects.count()
        for model in (Page, Revision, Version, RevisionInfo, Category, PageCategory, MediaWikiPage)
    }


@pytest.fixture
def imported(db):
    return run_import()


def test_every_revision_is_imported_oldest_first_with_author_date_and_summary(imported):
    revisions = history("Interleukin-2")
    assert [summary for summary, *_ in revisions] == [
        "New page: what interleukin-2 is, how it is given, side effects",
        "Add who can have it; split the side effects into a nested list",
        "Fix typo",
        "Add references",
        "Link related pages, add the medicine box and categories",
    ]
    assert [author for _, author, *_ in revisions] == [
        "Alice Editor",
        "Bob Writer",
        "Alice Editor",
        "Bob Writer",
        "Alice Editor",
    ]
    assert revisions[0][2] == datetime.datetime(2024, 1, 8, 10, 2, tzinfo=datetime.UTC)
    assert revisions[-1][2] == datetime.datetime(2024, 2, 21, 9, 20, tzinfo=datetime.UTC)


def test_minor_edits_keep_their_flag(imported):
    assert [is_minor for *_, is_minor in history("Interleukin-2")] == [
        False,
        False,
        True,
        False,
        False,
    ]


def test_author_is_a_local_user_only_when_one_of_that_name_exists(db, django_user_model):
    bob = django_user_model.objects.create_user(username="Bob Writer")
    run_import()
    infos = RevisionInfo.objects.filter(page__title="Treatment options").order_by("revision_id")
    first, second = infos.select_related("revision")
    assert first.revision.user == bob and first.author_name == ""
    assert second.revision.user is None and second.author_name == "Alice Editor"
    assert not django_user_model.objects.filter(username="Alice Editor").exists()


def test_an_anonymous_editor_is_kept_by_address(imported):
    assert history("IL-2 dose")[-1][1] == "127.0.0.1"


def test_history_shows_the_kept_author_names_and_minor_marks(client, imported):
    html = client.get("/wiki/Interleukin-2/history/").content.decode()
    assert "Alice Editor" in html and "Bob Writer" in html
    assert 'title="minor edit"' in html
    assert client.get("/contributions/Alice Editor/").status_code == 200


def test_every_imported_revision_keeps_its_mediawiki_id(imported):
    ids = RevisionInfo.objects.filter(page__title="Interleukin-2").values_list(
        "mediawiki_id", flat=True
    )
    assert None not in ids and len(set(ids)) == 5


def test_redirects_from_redirect_element_and_text(imported):
    assert title_key(Page.objects.get(title="IL-2").redirect_to) == "interleukin-2"
    aldesleukin = Page.objects.get(title="Aldesleukin")
    assert title_key(aldesleukin.redirect_to) == "interleukin-2"
    assert len(history("Aldesleukin")) == 2


def test_redirect_is_followed_for_readers(client, imported):
    response = client.get("/wiki/IL-2/")
    assert response.status_code == 200
    assert "Redirected from" in response.content.decode()


def test_categories_with_sort_keys_from_the_current_text(imported):
    memberships = {
        (row.page.title, row.category.name): row.sort_key
        for row in PageCategory.objects.select_related("page", "category")
    }
    assert memberships[("Interleukin-2", "Treatments")] == "Interleukin"
    assert memberships[("Interleukin-2", "Immunotherapy")] == ""
    assert memberships[("Treatment options", "Treatments")] == "Options"


def test_category_page_text_becomes_the_description(imported):
    treatments = Category.objects.get(name="Treatments")
    assert treatments.description.strip()
    assert not Page.objects.filter(title__startswith="Category:").exists()


def test_template_with_a_parameter_is_expanded(imported):
    body = Page.objects.get(title="Interleukin-2").body
    assert "{{" not in body
    assert "aldesleukin" in body and "Proleukin" in body


def test_reference_becomes_a_footnote(client, imported):
    html = client.get("/wiki/Interleukin-2/").content.decode()
    assert 'class="footnote"' in html
    assert "Immunotherapy for kidney cancer" in html


def test_titles_that_differ_only_in_case_are_both_kept(imported):
    kept = MediaWikiPage.objects.get(mediawiki_title="IL-2 Dose").page
    assert kept.title == "IL-2 Dose (2)"
    assert MediaWikiPage.objects.get(mediawiki_title="IL-2 dose").page.title == "IL-2 dose"
    assert "'IL-2 Dose' is 'IL-2 Dose (2)' here" in imported


def test_title_with_an_apostrophe(imported):
    assert Page.objects.filter(title="Patient's guide to IL-2").exists()


def test_other_namespaces_are_skipped_and_counted(imported):
    assert not Page.objects.filter(
        title__contains="Interleukin-2", title__startswith="Talk"
    ).exists()
    assert not Page.objects.filter(title__in=["Help:Editing", "Template:Drug"]).exists()
    assert "Talk: 1: Talk:Interleukin-2" in imported
    assert "Help: 1: Help:Editing" in imported


def test_report_counts_pages_revisions_and_redirects(imported):
    assert "pages created: 9" in imported
    assert "revisions imported: 18" in imported
    assert "redirects: 3" in imported


def test_importing_again_adds_nothing_and_says_so(imported):
    before = table_counts()
    output = run_import()
    assert table_counts() == before
    assert "nothing was added" in output
    assert "revisions already imported (skipped): 18" in output


def test_the_older_schema_imports_the_same(db):
    run_import(FIXTURES / "kcr-full-0.10.xml")
    assert Page.objects.count() == 9
    assert RevisionInfo.objects.count() == 18


def test_a_later_dump_adds_only_the_newer_revisions(db):
    run_import(FIXTURES / "kcr-current.xml")
    assert len(history("Interleukin-2")) == 1
    output = run_import()
    assert len(history("Interleukin-2")) == 1  # older ones cannot go before it
    assert "revisions older than the page's history here (skipped): 9" in output


@pytest.mark.parametrize(
    ("dump", "element", "line"),
    [("kcr-bad-element.xml", "<timestamp>", "line 675"), ("kcr-truncated.xml", "<", "line ")],
)
def test_malformed_dump_imports_nothing_and_names_element_and_line(db, dump, element, line):
    before = table_counts()
    with pytest.raises(CommandError) as raised:
        run_import(FIXTURES / dump)
    message = str(raised.value)
    assert element in message and line in message
    assert "Nothing was imported" in message
    assert table_counts() == before


def test_bad_value_is_named_with_its_line(db, tmp_path):
    text = FULL.read_text().replace(
        "<timestamp>2024-01-15T14:30:00Z</timestamp>", "<timestamp>last Tuesday</timestamp>"
    )
    dump = tmp_path / "bad.xml"
    dump.write_text(text)
    with pytest.raises(CommandError, match=r"line \d+, <timestamp>: 'last Tuesday'"):
        run_import(dump)
    assert not Page.objects.exists()


def test_dry_run_writes_nothing_and_prints_the_report(db):
    before = table_counts()
    output = run_import(FULL, "--dry-run")
    assert table_counts() == before
    assert "Dry run: nothing was written." in output
    assert "pages would be created: 9" in output


def test_diff_between_two_imported_revisions_shows_what_changed(client, imported):
    page = Page.objects.get(title="Interleukin-2")
    before, after = RevisionInfo.objects.filter(page=page).order_by("revision_id")[1:3]
    html = client.get(
        f"/wiki/Interleukin-2/diff/{before.revision_id}/{after.revision_id}/"
    ).content.decode()
    assert "kidny" in html and "kidney" in html


def test_imported_page_is_found_by_search_and_links(client, imported):
    assert Page.objects.filter(outgoing_links__target_key="interleukin-2").exists()
    # "Aldesleukin" is a title (a redirect), so search opens it, and it
    # leads to Interleukin-2.
    response = client.get("/search/?q=aldesleukin", follow=True)
    assert response.redirect_chain[0][0] == "/wiki/Aldesleukin/"
    assert response.status_code == 200
    assert "Interleukin-2" in response.content.decode()


class TerminalOutput(io.StringIO):
    def isatty(self):
        return True


def test_progress_bar_only_on_a_terminal(db):
    plain = io.StringIO()
    call_command("importmediawiki", str(FULL), "--dry-run", stdout=plain)
    assert "\r[" not in plain.getvalue()
    terminal = TerminalOutput()
    call_command("importmediawiki", str(FULL), "--dry-run", stdout=terminal)
    assert "\r[" in terminal.getvalue() and "100%" in terminal.getvalue()


def database_contents():
    """Everything an import writes, as comparable values."""
    from wiki.models import Link

    pages = {
        page.title: (page.body, page.redirect_to, page.size)
        for page in Page.objects.order_by("title")
    }
    versions = sorted(
        (info.title, info.mediawiki_id, info.size, info.size_change, info.author_name)
        for info in RevisionInfo.objects.all()
    )
    serialized = sorted(
        (fields["title"], fields["body"])
        for data in Version.objects.values_list("serialized_data", flat=True)
        for fields in [json.loads(data)[0]["fields"]]
    )
    links = sorted(Link.objects.values_list("source__title", "target_key", "target_title"))
    categories = sorted(
        PageCategory.objects.values_list("page__title", "category__name", "sort_key")
    )
    return pages, versions, serialized, links, categories


@pytest.mark.django_db(transaction=True)
def test_conversion_workers_write_what_one_process_writes():
    output = run_import(FULL, "--workers", "0")
    alone = database_contents()
    assert "Import finished." in output
    call_command("flush", interactive=False, verbosity=0)
    assert not Page.objects.exists()
    run_import(FULL, "--workers", "2")
    assert database_contents() == alone


def test_the_same_page_twice_in_a_dump_is_one_page_with_both_parts(db, tmp_path):
    text = FULL.read_text()
    start = text.index("<page>")
    end = text.index("</page>", start) + len("</page>")
    first = text[start:end]
    revisions = first.count("<revision>")
    assert revisions >= 2
    # The page's first revision alone, then (another <page> of the same id)
    # the rest: as Special:Export writes a page asked for twice.
    cut = first.index("</revision>") + len("</revision>")
    second_part = first[cut:]
    head = first[: first.index("<revision>")]
    split = first[:cut] + "\n</page>\n" + head + second_part
    dump = tmp_path / "twice.xml"
    dump.write_text(text[:start] + split + text[end:])
    run_import(dump, "--workers", "2")
    title = Page.objects.get(mediawiki__mediawiki_id=_first_page_id(first)).title
    assert len(history(title)) == revisions
    assert not Page.objects.filter(title=f"{title} (2)").exists()


def _first_page_id(page_xml):
    after_ns = page_xml[page_xml.index("</ns>") :]
    return int(after_ns[after_ns.index("<id>") + 4 : after_ns.index("</id>")])


def test_workers_out_of_range_is_refused(db):
    with pytest.raises(CommandError, match="--workers must be between 0 and"):
        run_import(FULL, "--workers", "-1")
    assert not Page.objects.exists()
