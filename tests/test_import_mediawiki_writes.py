"""What importmediawiki writes for each page: a fixed number of queries a
new page, whatever the dump's size, and nothing twice when pages imported
before were deleted here since."""

import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from wiki.models import MediaWikiPage, Page, RevisionInfo
from wiki.services import delete_page

FULL = Path(__file__).parent / "fixtures" / "mediawiki" / "kcr-full-0.11.xml"
# Queries to write one new page of the dump below (two revisions, a link, a
# category): the page, its revisions, versions and their infos, its link,
# category and search rows, the pages linking to it, its MediaWiki id, and
# the transaction. 29 before the writing of a new page left out the queries
# that could find nothing.
QUERIES_A_NEW_PAGE = 18


def write_dump(path, pages):
    revision_id = 0
    parts = [
        '<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.11/" version="0.11">'
        '<siteinfo><namespaces><namespace key="0" /></namespaces></siteinfo>'
    ]
    for page_id in range(1, pages + 1):
        parts.append(f"<page><title>Treatment {page_id}</title><ns>0</ns><id>{page_id}</id>")
        for month in (1, 2):
            revision_id += 1
            parts.append(
                f"<revision><id>{revision_id}</id>"
                f"<timestamp>2024-0{month}-01T10:00:00Z</timestamp>"
                "<contributor><username>Alice Editor</username><id>1</id></contributor>"
                f"<comment>edit {month}</comment><model>wikitext</model>"
                f'<format>text/x-wiki</format><text xml:space="preserve">'
                f"Revision {month}. See [[Treatment {page_id + 1}]].\n\n"
                "[[Category:Treatments]]</text></revision>"
            )
        parts.append("</page>")
    parts.append("</mediawiki>")
    path.write_text("".join(parts))
    return path


def import_queries(dump):
    with CaptureQueriesContext(connection) as queries:
        call_command("importmediawiki", str(dump), "--workers", "0", stdout=io.StringIO())
    return len(queries.captured_queries)


@pytest.mark.django_db(transaction=True)
def test_each_new_page_is_written_in_a_fixed_number_of_queries(tmp_path):
    one = import_queries(write_dump(tmp_path / "one.xml", 1))
    call_command("flush", interactive=False, verbosity=0)
    four = import_queries(write_dump(tmp_path / "four.xml", 4))
    assert Page.objects.count() == 4
    assert (four - one) / 3 <= QUERIES_A_NEW_PAGE


def test_a_page_deleted_since_its_import_is_not_imported_again(db):
    call_command("importmediawiki", str(FULL), stdout=io.StringIO())
    page = Page.objects.get(title="Interleukin-2")
    page_id = page.pk
    revisions = RevisionInfo.objects.filter(page_id=page_id).count()
    delete_page(page)
    assert not MediaWikiPage.objects.filter(mediawiki_title="Interleukin-2").exists()
    out = io.StringIO()
    call_command("importmediawiki", str(FULL), stdout=out)
    assert not Page.objects.filter(title="Interleukin-2").exists()
    assert RevisionInfo.objects.filter(page_id=page_id).count() == revisions
    assert "nothing was added" in out.getvalue()
