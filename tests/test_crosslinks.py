"""Cross-links: "Related pages" and dated "see separate page" notes, shown
near the top of a page, versioned with it, and marked when missing."""

import datetime
import io

from django.core.management import call_command
from reversion.models import Revision, Version

from wiki import pdf
from wiki.models import CrossLink
from wiki.services import delete_page, save_page

IL2_CROSSLINKS = [
    {"kind": "related", "target_title": "High Dose Interleukin-2"},
    {"kind": "related", "target_title": "Low Dose Interleukin-2"},
    {"kind": "see", "target_title": "IL-21", "note_date": datetime.date(2007, 10, 23)},
]


def _page_html(client, url="/wiki/Interleukin-2/"):
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def _crosslinks_aside(html):
    start = html.index('<aside class="crosslinks"')
    return html[start : html.index("</aside>", start) + len("</aside>")]


def _pdf_document(source):
    return pdf.document_html(
        source, page_url="https://testserver/", current_url="https://testserver/"
    )


def test_old_revision_and_pdfs_mark_a_missing_crosslink_as_the_page_does(client, make_page):
    page = make_page("Interleukin-2", "First text.", crosslinks=IL2_CROSSLINKS)
    old_revision_id = page.current_revision_id
    save_page("Interleukin-2", "Second text.", crosslinks=IL2_CROSSLINKS)
    make_page("High Dose Interleukin-2", "Text.")  # the other two targets are missing
    page.refresh_from_db()

    current = _crosslinks_aside(_page_html(client))
    old = _crosslinks_aside(_page_html(client, f"/wiki/Interleukin-2/revisions/{old_revision_id}/"))
    old_pdf = _crosslinks_aside(_pdf_document(pdf.revision_source(page, old_revision_id)))
    current_pdf = _crosslinks_aside(_pdf_document(pdf.current_source(page)))

    assert 'class="wikilink" href="/wiki/High_Dose_Interleukin-2/">' in current
    assert (
        '<a class="wikilink new" href="/wiki/IL-21/" title="IL-21 (page does not exist)">IL-21</a>'
    ) in current
    assert old == current
    assert old_pdf == current
    assert current_pdf == current


def test_page_lists_related_pages_and_dated_note(client, make_page):
    for title in ("High Dose Interleukin-2", "Low Dose Interleukin-2", "IL-21"):
        make_page(title, "Text.")
    make_page("Interleukin-2", "Body text.", crosslinks=IL2_CROSSLINKS)
    html = _page_html(client)
    assert "Related pages" in html
    assert 'href="/wiki/High_Dose_Interleukin-2/">High Dose Interleukin-2</a>' in html
    assert 'href="/wiki/Low_Dose_Interleukin-2/">Low Dose Interleukin-2</a>' in html
    assert (
        '<time datetime="2007-10-23">23-Oct-2007</time>: see separate page for '
        '<a class="wikilink" href="/wiki/IL-21/">IL-21</a>'
    ) in html


def test_crosslinks_show_above_the_body(client, make_page):
    make_page("Interleukin-2", "Body text.", crosslinks=IL2_CROSSLINKS)
    main = _page_html(client).split('<main id="content"', 1)[1]
    assert main.index("Related pages") < main.index("Body text.")


def test_crosslink_label_replaces_title(client, make_page):
    make_page(
        "Interleukin-2",
        "Body.",
        crosslinks=[{"kind": "related", "target_title": "IL-21", "label": "Interleukin-21"}],
    )
    assert 'href="/wiki/IL-21/" title="IL-21 (page does not exist)">Interleukin-21</a>' in (
        _page_html(client)
    )


def test_crosslink_to_missing_page_is_marked_until_created_and_after_deleted(client, make_page):
    make_page("Interleukin-2", "Body.", crosslinks=IL2_CROSSLINKS)
    missing = 'class="wikilink new" href="/wiki/IL-21/" title="IL-21 (page does not exist)"'
    assert missing in _page_html(client)  # now cached
    target = save_page("IL-21", "Interleukin-21.").page
    html = _page_html(client)
    assert missing not in html
    assert 'class="wikilink" href="/wiki/IL-21/"' in html
    delete_page(target)
    assert missing in _page_html(client)


def test_changed_crosslinks_show_on_next_view(client, make_page):
    make_page("Interleukin-2", "Body.", crosslinks=IL2_CROSSLINKS)
    assert "Low Dose Interleukin-2" in _page_html(client)  # now cached
    save_page("Interleukin-2", "Body.", crosslinks=IL2_CROSSLINKS[:1])
    html = _page_html(client)
    assert "High Dose Interleukin-2" in html
    assert "Low Dose Interleukin-2" not in html


def test_page_without_crosslinks_shows_no_list(client, make_page):
    make_page("Interleukin-2", "Body.")
    assert "Related pages" not in _page_html(client)


def test_revision_versions_hold_the_crosslinks(make_page):
    result = save_page("Interleukin-2", "Body.", crosslinks=IL2_CROSSLINKS)
    versions = Version.objects.get_for_model(CrossLink).filter(revision=result.revision)
    assert sorted(version.field_dict["target_title"] for version in versions) == [
        "High Dose Interleukin-2",
        "IL-21",
        "Low Dose Interleukin-2",
    ]
    note = next(v.field_dict for v in versions if v.field_dict["kind"] == CrossLink.SEE_SEPARATE)
    assert note["note_date"] == datetime.date(2007, 10, 23)


def test_old_revision_keeps_its_own_crosslinks(make_page):
    first = save_page("Interleukin-2", "Body.", crosslinks=IL2_CROSSLINKS).revision
    second = save_page("Interleukin-2", "Body.", crosslinks=IL2_CROSSLINKS[2:]).revision
    assert second.pk != first.pk

    def titles(revision):
        versions = Version.objects.get_for_model(CrossLink).filter(revision=revision)
        return sorted(version.field_dict["target_title"] for version in versions)

    assert titles(first) == ["High Dose Interleukin-2", "IL-21", "Low Dose Interleukin-2"]
    assert titles(second) == ["IL-21"]


def test_demo_interleukin_has_related_pages_and_note(client, db):
    call_command("loaddemo", stdout=io.StringIO())
    html = _page_html(client)
    assert 'class="wikilink" href="/wiki/High_Dose_Interleukin-2/"' in html
    assert 'class="wikilink" href="/wiki/Low_Dose_Interleukin-2/"' in html
    assert "23-Oct-2007</time>: see separate page for" in html
    assert 'class="wikilink" href="/wiki/IL-21/">IL-21</a>' in html
    redirected = _page_html(client, "/wiki/Proleukin/")
    assert "(Redirected from" in redirected
    assert "Related pages" in redirected


def test_loaddemo_twice_writes_nothing_the_second_time(db):
    call_command("loaddemo", stdout=io.StringIO())
    revisions = Revision.objects.count()
    crosslinks = list(CrossLink.objects.values_list("pk", flat=True))
    call_command("loaddemo", stdout=io.StringIO())
    assert Revision.objects.count() == revisions
    assert list(CrossLink.objects.values_list("pk", flat=True)) == crosslinks
