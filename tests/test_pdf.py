"""PDF copies of pages: /wiki/<Title>/pdf/ and /wiki/<Title>/revisions/<id>/pdf/."""

import io
import logging

import pypdf
import pytest

from wiki import pdf
from wiki.disclaimers import add_disclaimer_version
from wiki.models import DEFAULT_DISCLAIMER_SHORT
from wiki.services import save_page

BODY = """\
Interleukin-2 is a messenger protein of the immune system.

## Results

| Cancer | Patients studied | Overall response |
|---|---|---|
| Metastatic renal cell carcinoma | 255 | 15% |

See [[High Dose Interleukin-2]] and the [label](https://www.fda.gov/).
"""


def pdf_text(response) -> str:
    """All text of a PDF response, with runs of white space made single."""
    reader = pypdf.PdfReader(io.BytesIO(response.content))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def pdf_reader(response) -> pypdf.PdfReader:
    return pypdf.PdfReader(io.BytesIO(response.content))


def document_of(page, revision_id=None) -> str:
    """The HTML document WeasyPrint lays out for the page's current PDF, or
    for the PDF of revision ``revision_id``."""
    page.refresh_from_db()
    if revision_id is None:
        source = pdf.current_source(page)
    else:
        source = pdf.revision_source(page, revision_id)
    return pdf.document_html(
        source, page_url="https://testserver/", current_url="https://testserver/"
    )


@pytest.fixture
def client(client, settings):
    """Requests over HTTPS behind the TLS proxy, as in production (no
    redirect to https; absolute URLs start with the site's https:// address)."""
    settings.SITE_URL = "https://testserver"
    client.defaults.update({"HTTP_HOST": "testserver", "HTTP_X_FORWARDED_PROTO": "https"})
    return client


# No PDF can be made this fast: with this limit only the cache can answer.
NO_TIME_TO_RENDER = 0.001


def test_pdf_is_a_pdf_with_title_body_revision_and_disclaimer(client, make_page):
    page = make_page("Interleukin-2", BODY)

    response = client.get("/wiki/Interleukin-2/pdf/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    text = pdf_text(response)
    assert "Interleukin-2" in text
    assert "Interleukin-2 is a messenger protein of the immune system." in text
    assert f"revision {page.current_revision_id} of" in text
    assert DEFAULT_DISCLAIMER_SHORT in text


def test_pdf_has_footer_on_every_sheet(client, make_page):
    long_body = "\n\n".join(f"Paragraph {number} about treatment." * 8 for number in range(60))
    page = make_page("Interleukin-2", long_body)

    reader = pdf_reader(client.get("/wiki/Interleukin-2/pdf/"))

    assert len(reader.pages) >= 2
    for number, sheet in enumerate(reader.pages, start=1):
        text = " ".join(sheet.extract_text().split())
        assert f"Page {number} of {len(reader.pages)}" in text
        assert "Educational information only" in text
        assert "https://testserver/wiki/Interleukin-2/" in text
        assert f"revision {page.current_revision_id} of" in text


def test_pdf_uses_the_disclaimer_admins_set(client, make_page):
    make_page("Interleukin-2", BODY)
    add_disclaimer_version("Our own wording.", "Ask your own oncologist first.")

    text = pdf_text(client.get("/wiki/Interleukin-2/pdf/"))

    assert "Ask your own oncologist first." in text


def test_pdf_shows_tables_crosslinks_and_source(client, make_page):
    make_page(
        "Interleukin-2",
        BODY,
        metadata={"source_url": "https://example.org/il2", "source_name": "The IL-2 study"},
        crosslinks=[
            {"kind": "related", "target_title": "Low Dose Interleukin-2"},
            {"kind": "see", "target_title": "IL-21", "label": "interleukin-21"},
        ],
    )

    text = pdf_text(client.get("/wiki/Interleukin-2/pdf/"))

    assert "Metastatic renal cell carcinoma 255 15%" in text
    assert "Related pages Low Dose Interleukin-2" in text
    assert "see separate page for interleukin-21" in text
    assert "Source: The IL-2 study (https://example.org/il2)" in text


def test_pdf_links_are_absolute_and_clickable(client, make_page):
    make_page("Interleukin-2", BODY)

    reader = pdf_reader(client.get("/wiki/Interleukin-2/pdf/"))

    uris = {
        annotation.get_object()["/A"]["/URI"]
        for sheet in reader.pages
        for annotation in sheet.get("/Annots") or []
    }
    assert "https://testserver/wiki/High_Dose_Interleukin-2/" in uris
    assert "https://www.fda.gov/" in uris


def test_pdf_headings_become_bookmarks(client, make_page):
    make_page("Interleukin-2", BODY)

    reader = pdf_reader(client.get("/wiki/Interleukin-2/pdf/"))

    top = reader.outline[0]
    assert top.title == "Interleukin-2"
    assert "Results" in [item.title for item in reader.outline[1] if not isinstance(item, list)]


def test_pdf_never_contains_unsanitized_markup(client, make_page):
    # Were the style element kept, WeasyPrint would apply it and hide the text.
    body = "<style>p { display: none }</style>\n\nThe visible sentence.\n\n<b onclick='x'>Bold</b>"
    make_page("Interleukin-2", body)

    text = pdf_text(client.get("/wiki/Interleukin-2/pdf/"))

    assert "The visible sentence." in text
    assert "display" not in text


def test_old_revision_pdf_has_the_old_text(client, make_page):
    page = make_page("Interleukin-2", "The first sentence we wrote.")
    old_revision_id = page.current_revision_id
    save_page("Interleukin-2", "A better sentence.", summary="rewrite")

    response = client.get(f"/wiki/Interleukin-2/revisions/{old_revision_id}/pdf/")

    assert response.status_code == 200
    text = pdf_text(response)
    assert "The first sentence we wrote." in text
    assert "A better sentence." not in text
    assert f"revision {old_revision_id} of" in text
    assert "This is an old revision of this page." in text
    assert f"https://testserver/wiki/Interleukin-2/revisions/{old_revision_id}/" in text


def test_old_revision_pdf_has_that_revisions_crosslinks(client, make_page):
    page = make_page(
        "Interleukin-2", "Text.", crosslinks=[{"kind": "related", "target_title": "IL-21"}]
    )
    old_revision_id = page.current_revision_id
    save_page(
        "Interleukin-2",
        "Text.",
        crosslinks=[{"kind": "related", "target_title": "Sunitinib"}],
    )

    old_text = pdf_text(client.get(f"/wiki/Interleukin-2/revisions/{old_revision_id}/pdf/"))
    current_text = pdf_text(client.get("/wiki/Interleukin-2/pdf/"))

    assert "Related pages IL-21" in old_text
    assert "Sunitinib" not in old_text
    assert "Related pages Sunitinib" in current_text


def test_missing_page_pdf_is_404(client, db):
    response = client.get("/wiki/No_Such_Page/pdf/")

    assert response.status_code == 404


def test_another_pages_revision_id_is_404(client, make_page):
    other = make_page("Sunitinib", "Another page.")
    make_page("Interleukin-2", BODY)

    response = client.get(f"/wiki/Interleukin-2/revisions/{other.current_revision_id}/pdf/")

    assert response.status_code == 404


@pytest.mark.parametrize("revision_id", ["999999", "99999999999999999999", "abc", "-1"])
def test_unknown_or_malformed_revision_id_is_404(client, make_page, revision_id):
    make_page("Interleukin-2", BODY)

    response = client.get(f"/wiki/Interleukin-2/revisions/{revision_id}/pdf/")

    assert response.status_code == 404


def test_pdf_url_in_other_letter_case_redirects_301(client, make_page):
    page = make_page("Interleukin-2", BODY)

    current = client.get("/wiki/interleukin-2/pdf/")
    old = client.get(f"/wiki/INTERLEUKIN-2/revisions/{page.current_revision_id}/pdf/")

    assert current.status_code == 301
    assert current["Location"] == "/wiki/Interleukin-2/pdf/"
    assert old.status_code == 301
    assert old["Location"] == f"/wiki/Interleukin-2/revisions/{page.current_revision_id}/pdf/"


def test_second_request_answers_from_cache(client, make_page, settings):
    make_page("Interleukin-2", BODY)

    first = client.get("/wiki/Interleukin-2/pdf/")
    settings.WIKI_PDF_TIME_LIMIT = NO_TIME_TO_RENDER
    second = client.get("/wiki/Interleukin-2/pdf/")

    assert first.status_code == second.status_code == 200
    assert first.content == second.content


def test_new_revision_makes_a_new_pdf(client, make_page):
    make_page("Interleukin-2", "First text.")
    first = client.get("/wiki/Interleukin-2/pdf/")
    save_page("Interleukin-2", "Second text.")

    second = client.get("/wiki/Interleukin-2/pdf/")

    text = pdf_text(second)
    assert "Second text." in text
    assert "First text." not in text
    assert second.content != first.content


def test_page_created_later_changes_the_cached_pdfs_link_state(client, make_page, settings):
    page = make_page("Interleukin-2", BODY)
    assert client.get("/wiki/Interleukin-2/pdf/").status_code == 200
    assert 'title="High Dose Interleukin-2 (page does not exist)"' in document_of(page)
    make_page("High Dose Interleukin-2", "Now it exists.")
    settings.WIKI_PDF_TIME_LIMIT = NO_TIME_TO_RENDER

    response = client.get("/wiki/Interleukin-2/pdf/")

    # The PDF cached with the old link state is not served: a new one is made.
    assert response.status_code == 503
    assert "page does not exist" not in document_of(page)


def test_redirect_gives_the_targets_pdf(client, make_page):
    target = make_page("Interleukin-2", BODY)
    make_page("Proleukin", "#REDIRECT [[Interleukin-2]]")

    response = client.get("/wiki/Proleukin/pdf/")

    assert response.status_code == 200
    assert "Interleukin-2 is a messenger protein" in pdf_text(response)
    assert (
        f'filename="Interleukin-2-rev{target.current_revision_id}.pdf"'
        in (response["Content-Disposition"])
    )


def test_content_disposition_names_file_after_title_and_revision(client, make_page):
    page = make_page("Interleukin-2", BODY)

    response = client.get("/wiki/Interleukin-2/pdf/")

    revision_id = page.current_revision_id
    assert response["Content-Disposition"] == (
        f'inline; filename="Interleukin-2-rev{revision_id}.pdf"; '
        f"filename*=UTF-8''Interleukin-2-rev{revision_id}.pdf"
    )


def test_content_disposition_of_non_ascii_title_is_safe(client, make_page):
    page = make_page('Rein: "traitement" à domicile', BODY)

    response = client.get(f"{page.get_absolute_url()}pdf/")

    revision_id = page.current_revision_id
    assert response["Content-Disposition"] == (
        f'inline; filename="Rein-traitement-a-domicile-rev{revision_id}.pdf"; '
        f"filename*=UTF-8''Rein%3A-%22traitement%22-%C3%A0-domicile-rev{revision_id}.pdf"
    )


def test_pdf_past_time_limit_is_503_and_logged(client, make_page, settings, caplog):
    # Any page takes far longer than a millisecond; a small one keeps the
    # render that runs on after the 503 from holding up the next tests.
    body = "\n\n".join(f"## Part {number}\n\n" + "A long sentence. " * 30 for number in range(10))
    make_page("Interleukin-2", body)
    settings.WIKI_PDF_TIME_LIMIT = 0.001

    with caplog.at_level(logging.ERROR, logger="wiki.pdf"):
        response = client.get("/wiki/Interleukin-2/pdf/")

    assert response.status_code == 503
    assert response["Content-Type"].startswith("text/html")
    assert response["Retry-After"] == "30"
    assert "The PDF could not be made just now" in response.content.decode()
    assert "not made within" in caplog.text
    assert not response.content.startswith(b"%PDF")


def test_pdf_after_a_timeout_answers_the_next_try(client, make_page, settings):
    make_page("Interleukin-2", BODY)
    settings.WIKI_PDF_TIME_LIMIT = 0.001
    assert client.get("/wiki/Interleukin-2/pdf/").status_code == 503
    settings.WIKI_PDF_TIME_LIMIT = 60

    response = client.get("/wiki/Interleukin-2/pdf/")

    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")


def test_page_has_convert_to_pdf_link(client, make_page):
    make_page("Interleukin-2", BODY)

    response = client.get("/wiki/Interleukin-2/")

    assert (
        '<a href="/wiki/Interleukin-2/pdf/" type="application/pdf">Convert this page to PDF</a>'
        in (response.content.decode())
    )


def test_browser_print_shows_content_and_disclaimer_without_navigation(client, make_page, settings):
    # WeasyPrint lays out for print media, as a browser's Print does: it
    # applies site.css and print.css exactly as the page links them.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    make_page("Interleukin-2", BODY)
    html = client.get("/wiki/Interleukin-2/").content.decode()
    assert 'href="/static/css/print.css" media="print"' in html

    printed = pdf._write_pdf(html, "", "https://testserver/")

    reader = pypdf.PdfReader(io.BytesIO(printed))
    text = " ".join(" ".join(sheet.extract_text() for sheet in reader.pages).split())
    assert "Interleukin-2 is a messenger protein of the immune system." in text
    assert "label (https://www.fda.gov/)" in text
    assert "Medical disclaimer" in text
    assert "not a substitute for the care of a licensed physician" in text
    for navigation in ("Jump to", "Personal tools", "Recent changes", "Convert this page to PDF"):
        assert navigation not in text


def test_pdf_prints_a_wide_table_whole(client, db):
    """The scrolling region that wraps a table on screen changes nothing on
    paper: every column is printed, with no hint about scrolling."""
    from wiki.demo import INTERLEUKIN_2

    save_page("Interleukin-2", INTERLEUKIN_2, summary="created")
    text = pdf_text(client.get("/wiki/Interleukin-2/pdf/"))
    for cell in ["Median length of complete response", "6.7+ years", "Partial response", "10%"]:
        assert cell in text
    assert "Scroll sideways" not in text
