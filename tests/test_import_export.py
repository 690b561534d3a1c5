import datetime
import json

import pytest
import reversion
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from reversion.models import Revision, Version

from wiki.models import CrossLink, Link, Page, RevisionInfo
from wiki.revisions import revision_content
from wiki.services import move_page, revert_page, save_page


def _export(tmp_path, name="out.jsonl"):
    path = tmp_path / name
    call_command("exportpages", str(path))
    return path.read_text(encoding="utf-8")


def _wipe():
    Page.objects.all().delete()
    RevisionInfo.objects.all().delete()
    Version.objects.all().delete()
    Revision.objects.all().delete()


def _sample_pages(make_user):
    author = make_user("writer", moderator=True)
    date = datetime.datetime(2009, 5, 1, 12, 30, tzinfo=datetime.UTC)
    save_page("Interleukin-2", "First [[IL-21]].", user=author, summary="start", date=date)
    save_page(
        "Interleukin-2",
        "Second, with ünïcödé.",
        user=author,
        summary="more",
        metadata={"article_date": datetime.date(2009, 4, 30), "source_name": "Journal"},
        crosslinks=[
            {"kind": "see", "target_title": "IL-21", "note_date": datetime.date(2007, 10, 23)}
        ],
        date=date + datetime.timedelta(days=1),
    )
    save_page("IL-21", "Another page.", summary="", date=date + datetime.timedelta(days=2))
    save_page("Proleukin", "#REDIRECT [[Interleukin-2]]", date=date + datetime.timedelta(days=3))


def test_export_import_export_round_trip_is_identical(tmp_path, make_user):
    _sample_pages(make_user)
    first = _export(tmp_path, "first.jsonl")
    _wipe()
    call_command("importpages", str(tmp_path / "first.jsonl"))
    second = _export(tmp_path, "second.jsonl")
    assert first == second
    assert len(first.splitlines()) == 3


def test_export_writes_revisions_oldest_first_with_author_and_date(tmp_path, make_user):
    _sample_pages(make_user)
    records = [json.loads(line) for line in _export(tmp_path).splitlines()]
    page = next(record for record in records if record["title"] == "Interleukin-2")
    assert [revision["body"] for revision in page["revisions"]] == [
        "First [[IL-21]].",
        "Second, with ünïcödé.",
    ]
    assert page["revisions"][0]["author"] == "writer"
    assert page["revisions"][0]["date"] == "2009-05-01T12:30:00+00:00"
    assert page["article_date"] == "2009-04-30"
    assert page["crosslinks"][0]["target_title"] == "IL-21"


def test_import_keeps_dates_authors_and_builds_pages(tmp_path, db):
    lines = [
        {
            "title": "Interleukin-2",
            "source_name": "Journal",
            "revisions": [
                {"body": "One [[IL-21]].", "author": "ann", "date": "2008-01-02T03:04:05+00:00"},
                {"body": "Two [[IL-21]].", "summary": "second", "unknown_key": 1},
            ],
            "also_unknown": True,
        },
        {"title": "IL-21", "revisions": [{"body": "Target."}]},
    ]
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    call_command("importpages", str(path))
    page = Page.objects.get(title="Interleukin-2")
    infos = list(RevisionInfo.objects.filter(page=page).select_related("revision__user"))
    assert len(infos) == 2
    first = min(infos, key=lambda info: info.revision_id)
    assert first.revision.date_created == datetime.datetime(
        2008, 1, 2, 3, 4, 5, tzinfo=datetime.UTC
    )
    assert first.revision.user.username == "ann"
    assert not first.revision.user.is_active
    assert page.body == "Two [[IL-21]]."
    assert page.source_name == "Journal"
    assert page.current_revision_id == max(info.revision_id for info in infos)
    assert list(Link.objects.filter(source=page).values_list("target_key", flat=True)) == ["il-21"]


def test_import_is_idempotent(tmp_path, make_user):
    _sample_pages(make_user)
    path = tmp_path / "first.jsonl"
    path.write_text(_export(tmp_path))
    before = (Page.objects.count(), Revision.objects.count())
    call_command("importpages", str(path))
    assert (Page.objects.count(), Revision.objects.count()) == before


def test_malformed_line_is_reported_with_number_and_nothing_imported(tmp_path, db, capsys):
    path = tmp_path / "bad.jsonl"
    path.write_text(
        json.dumps({"title": "Good", "revisions": [{"body": "ok"}]})
        + "\n"
        + "{not json\n"
        + json.dumps({"title": "No Body", "revisions": [{"summary": "x"}]})
        + "\n"
    )
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("importpages", str(path))
    errors = capsys.readouterr().err
    assert "line 2:" in errors
    assert "line 3: revision 1: body must be a string" in errors
    assert Page.objects.count() == 0
    assert Revision.objects.count() == 0


@pytest.mark.parametrize(
    "line",
    [
        '"just a string"',
        '{"revisions": [{"body": "x"}]}',
        '{"title": "a|b", "revisions": [{"body": "x"}]}',
        '{"title": "T", "revisions": []}',
        '{"title": "T", "revisions": [{"body": "x", "date": "yesterday"}]}',
        '{"title": "T", "article_date": "soon", "revisions": [{"body": "x"}]}',
        '{"title": "T", "revisions": [{"body": "x", "crosslinks": [{"kind": "odd"}]}]}',
        '{"title": "T", "crosslinks": [{"target_title": "a|b"}], "revisions": [{"body": "x"}]}',
    ],
)
def test_each_kind_of_malformed_line_is_refused(tmp_path, db, line):
    path = tmp_path / "bad.jsonl"
    path.write_text(line + "\n")
    with pytest.raises(CommandError):
        call_command("importpages", str(path))
    assert Page.objects.count() == 0


def test_duplicate_titles_in_one_file_are_refused(tmp_path, db, capsys):
    path = tmp_path / "dup.jsonl"
    record = json.dumps({"title": "Same", "revisions": [{"body": "x"}]})
    path.write_text(record + "\n" + record.replace("Same", "same") + "\n")
    with pytest.raises(CommandError):
        call_command("importpages", str(path))
    assert "line 2: the title is already on line 1" in capsys.readouterr().err


def test_import_reports_progress(tmp_path, db, capsys):
    path = tmp_path / "many.jsonl"
    path.write_text(
        "".join(
            json.dumps({"title": f"Page {number}", "revisions": [{"body": f"{number}"}]}) + "\n"
            for number in range(100)
        )
    )
    call_command("importpages", str(path))
    output = capsys.readouterr().out
    assert "100/100 pages" in output
    assert "Imported 100 pages" in output


def test_imported_crosslinks_are_restored(tmp_path, make_user):
    _sample_pages(make_user)
    path = tmp_path / "first.jsonl"
    path.write_text(_export(tmp_path))
    _wipe()
    call_command("importpages", str(path))
    link = CrossLink.objects.get(page__title="Interleukin-2")
    assert (link.kind, link.target_title, link.note_date) == (
        "see",
        "IL-21",
        datetime.date(2007, 10, 23),
    )


def test_export_of_moved_page_uses_its_current_title(tmp_path, make_page):
    page = make_page("Old Name", "Body.")
    move_page(page, "New Name")
    records = [json.loads(line) for line in _export(tmp_path).splitlines()]
    titles = sorted(record["title"] for record in records)
    assert titles == ["New Name", "Old Name"]


def test_imported_history_reads_like_edited_history(tmp_path, db):
    record = {
        "title": "Interleukin-2",
        "revisions": [
            {"body": "One.", "crosslinks": [{"kind": "see", "target_title": "Old Link"}]},
            {"body": "Two.", "crosslinks": [{"kind": "related", "target_title": "New Link"}]},
        ],
    }
    path = tmp_path / "in.jsonl"
    path.write_text(json.dumps(record) + "\n")
    call_command("importpages", str(path))
    page = Page.objects.get()
    assert list(page.crosslinks.values_list("target_title", flat=True)) == ["New Link"]
    first = RevisionInfo.objects.filter(page=page).order_by("revision_id").first()
    content = revision_content(page, first.revision_id)
    assert content.body == "One."
    assert content.crosslinks[0].target_title == "Old Link"
    revert_page(page, first.revision_id)
    assert list(page.crosslinks.values_list("target_title", flat=True)) == ["Old Link"]


def _versions_of(revision_id):
    return {
        (version.content_type.model, version.object_id): (
            version.format,
            version.serialized_data,
            version.object_repr,
            version.content_type_id,
            version.db,
        )
        for version in Version.objects.filter(revision_id=revision_id).select_related(
            "content_type"
        )
    }


def test_imported_version_is_the_one_reversion_writes_for_the_same_state(tmp_path, db):
    record = {
        "title": "Interleukin-2",
        "article_date": "2009-04-30",
        "source_url": "https://example.org/il-2",
        "revisions": [
            {
                "body": "#REDIRECT [[IL-21#History]]\n",
                "crosslinks": [
                    {"kind": "see", "target_title": "IL-21", "note_date": "2007-10-23"},
                    {"kind": "related", "target_title": "Low Dose", "label": "Low dose"},
                ],
            }
        ],
    }
    path = tmp_path / "in.jsonl"
    path.write_text(json.dumps(record) + "\n")
    call_command("importpages", str(path))
    page = Page.objects.get()
    imported = _versions_of(page.current_revision_id)
    # django-reversion itself serializes the same rows (the page follows its
    # cross-links) into a revision of its own.
    with reversion.create_revision():
        reversion.add_to_revision(page)
    written = Version.objects.get_for_object(page).order_by("-revision_id").first()
    assert written.revision_id != page.current_revision_id
    assert len(imported) == 3
    assert imported == _versions_of(written.revision_id)


def test_page_too_deep_to_render_imports_and_tells_readers(tmp_path, client, db):
    # A site brought over may hold a page the renderer refuses: the import
    # keeps it (a moderator can simplify it) instead of failing as a whole.
    deep = "\n".join("    " * level + f"- level {level}" for level in range(100))
    lines = [
        {"title": "Deep list", "revisions": [{"body": deep + "\n\n[[Elsewhere]]"}]},
        {"title": "Plain", "revisions": [{"body": "Plain text."}]},
    ]
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    call_command("importpages", str(path))
    assert Page.objects.filter(title__in=["Deep list", "Plain"]).count() == 2
    response = client.get("/wiki/Deep_list/")
    assert response.status_code == 200
    assert "cannot be shown" in response.content.decode()


def _last_vacuum_of_pages():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COALESCE(last_vacuum, '2000-01-01') FROM pg_stat_user_tables"
            " WHERE relname = %s",
            [Page._meta.db_table],
        )
        return cursor.fetchone()[0]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_import_on_postgresql_clears_the_page_rows_it_rewrote(tmp_path):
    # Each imported revision rewrites its page's row; left to the autovacuum
    # (off on some servers), the dead versions slowed every search.
    lines = [
        {"title": f"Page {number}", "revisions": [{"body": f"Text {n}."} for n in range(5)]}
        for number in range(3)
    ]
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    before = _last_vacuum_of_pages()
    call_command("importpages", str(path))
    assert _last_vacuum_of_pages() > before
    assert Page.objects.get(title="Page 2").body == "Text 4."
