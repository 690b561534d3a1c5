"""The glossary: entries and their revisions, who may change them, /glossary/,
terms marked on pages (first use only, never in links, headings or code),
the sanitizer kept strict, pages that change with an entry, the page view's
query budget, and the PDF's list of terms."""

import io
import re

import pypdf
import pytest
from django.core.cache import cache
from django.test import Client

from tests.test_read_budget import BUDGET
from wiki import glossary, services
from wiki.models import GlossaryName, GlossaryRevision, GlossaryTerm
from wiki.rendering import (
    GlossaryEntry,
    GlossaryIndex,
    mark_glossary_terms,
    render_markdown,
    sanitize,
)


def add_term(term, definition, synonyms=(), **kwargs):
    return services.save_glossary_term(
        None, term=term, synonyms=list(synonyms), definition=definition, **kwargs
    )


@pytest.fixture
def mrcc(db):
    return add_term(
        "mRCC",
        "Kidney cancer that has spread.",
        ["metastatic renal cell carcinoma", "metastatic kidney cancer"],
    )


def snapshot():
    return (
        list(GlossaryTerm.objects.order_by("pk").values_list("term", "synonyms", "definition")),
        list(GlossaryName.objects.order_by("key").values_list("key", flat=True)),
        GlossaryRevision.objects.count(),
    )


# Entries and revisions


def test_saving_an_entry_keeps_a_revision_each_time(mrcc, moderator):
    services.save_glossary_term(
        mrcc,
        term="mRCC",
        synonyms=["metastatic renal cell carcinoma"],
        definition="Kidney cancer that has spread beyond the kidney.",
        summary="Clearer",
        user=moderator,
    )
    revisions = list(mrcc.revisions.order_by("pk"))
    assert [revision.definition for revision in revisions] == [
        "Kidney cancer that has spread.",
        "Kidney cancer that has spread beyond the kidney.",
    ]
    assert revisions[1].author == moderator and revisions[1].summary == "Clearer"
    mrcc.refresh_from_db()
    assert mrcc.current_revision == revisions[1]
    assert glossary.glossary_version() == revisions[1].pk


def test_saving_an_unchanged_entry_writes_no_revision(mrcc):
    before = snapshot()
    services.save_glossary_term(
        mrcc, term=mrcc.term, synonyms=mrcc.synonym_list, definition=mrcc.definition
    )
    assert snapshot() == before


def test_an_entry_cannot_be_deleted_while_it_has_revisions(mrcc):
    from django.db.models import ProtectedError

    with pytest.raises(ProtectedError):
        mrcc.delete()


def test_names_are_the_same_regardless_of_case_spaces_and_hyphens():
    assert glossary.name_key("Interleukin-2") == glossary.name_key("interleukin  2")
    assert glossary.name_key("mRCC") == glossary.name_key("MRCC")


def test_a_synonym_of_another_entry_is_refused(mrcc):
    before = snapshot()
    with pytest.raises(services.GlossaryNameTaken):
        add_term("Spread", "Moved elsewhere.", ["Metastatic Kidney-Cancer"])
    assert snapshot() == before


def test_the_anchor_is_kept_when_the_term_is_renamed(mrcc):
    services.save_glossary_term(mrcc, term="MRCC kidney cancer", definition="Spread.")
    mrcc.refresh_from_db()
    assert mrcc.slug == "mrcc"


def test_an_anchor_never_takes_an_id_the_site_uses(db):
    assert add_term("Content", "What is in something.").slug != "content"


# Who may change the glossary


def glossary_requests(entry):
    form = {"term": "Nephrectomy", "definition": "An operation to remove a kidney."}
    change = {"term": "mRCC", "definition": "Changed.", "base_revision": entry.current_revision_id}
    return [
        ("get", "/glossary/new/", None),
        ("post", "/glossary/new/", form),
        ("get", "/glossary/mrcc/edit/", None),
        ("post", "/glossary/mrcc/edit/", change),
        ("get", "/glossary/mrcc/history/", None),
    ]


@pytest.mark.parametrize("role", ["anonymous", "reader"])
def test_readers_cannot_change_the_glossary(client, make_user, mrcc, role):
    if role == "reader":
        client.force_login(make_user("reader"))
    before = snapshot()
    for method, url, data in glossary_requests(mrcc):
        response = getattr(client, method)(url, data)
        if role == "anonymous":
            assert response.status_code == 302 and "/accounts/login/" in response["Location"]
        else:
            assert response.status_code == 403
    assert snapshot() == before


@pytest.mark.parametrize("role", ["moderator", "admin"])
def test_moderators_and_admins_change_the_glossary(client, make_user, mrcc, role):
    user = make_user(role, moderator=role == "moderator", superuser=role == "admin")
    client.force_login(user)
    for method, url, data in glossary_requests(mrcc):
        response = getattr(client, method)(url, data)
        assert response.status_code == (302 if method == "post" else 200), url
    assert GlossaryTerm.objects.get(slug="nephrectomy").current_revision.author == user
    mrcc.refresh_from_db()
    assert mrcc.definition == "Changed."
    assert response.content.decode().count("<tr>") == 1 + 2  # header and two revisions


def test_a_new_entry_leads_to_its_place_in_the_glossary(moderator_client):
    response = moderator_client.post(
        "/glossary/new/", {"term": "Nephrectomy", "definition": "Removing a kidney."}
    )
    assert response["Location"] == "/glossary/#nephrectomy"


def test_changing_the_glossary_needs_the_csrf_token(moderator):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(moderator)
    response = browser.post("/glossary/new/", {"term": "Nephrectomy", "definition": "Removing."})
    assert response.status_code == 403
    assert not GlossaryTerm.objects.exists()


@pytest.mark.parametrize(
    "data, message",
    [
        ({"term": "", "definition": "Text."}, "This field is required"),
        ({"term": "Nephrectomy", "definition": ""}, "This field is required"),
        ({"term": "Hodgkin's", "definition": "Text."}, "only letters, digits, spaces"),
        ({"term": "<b>x</b>", "definition": "Text."}, "only letters, digits, spaces"),
        ({"term": "x" * 101, "definition": "Text."}, "at most 100 characters"),
        ({"term": "Nephrectomy", "definition": "x" * 601}, "at most 600 characters"),
        ({"term": "Nephrectomy", "synonyms": "a;b", "definition": "Text."}, "only letters"),
    ],
)
def test_bad_input_is_refused_with_a_message(moderator_client, data, message):
    response = moderator_client.post("/glossary/new/", data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not GlossaryTerm.objects.exists()


def test_a_duplicate_term_or_synonym_is_a_conflict_with_a_message(moderator_client, mrcc):
    before = snapshot()
    for data in [
        {"term": "MRCC", "definition": "Again."},
        {"term": "Spread", "synonyms": "metastatic kidney cancer", "definition": "Again."},
    ]:
        response = moderator_client.post("/glossary/new/", data)
        assert response.status_code == 409
        assert "is already in the glossary, under “mRCC”" in response.content.decode()
    assert snapshot() == before


def test_an_edit_of_an_entry_changed_meanwhile_is_a_conflict_that_keeps_the_text(
    moderator_client, mrcc
):
    first = mrcc.current_revision_id
    services.save_glossary_term(mrcc, term="mRCC", definition="Someone else's words.")
    before = snapshot()
    response = moderator_client.post(
        "/glossary/mrcc/edit/", {"term": "mRCC", "definition": "My words.", "base_revision": first}
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert "My words." in html and "Someone else&#x27;s words." in html
    assert snapshot() == before


def test_an_unknown_entry_is_404(moderator_client):
    assert moderator_client.get("/glossary/nothing/edit/").status_code == 404


# /glossary/


def test_glossary_lists_every_entry_alphabetically_with_anchors_and_synonyms(client, mrcc):
    add_term("Nephrectomy", "An operation to remove a kidney.")
    add_term("interleukin", "A messenger protein.")
    html = client.get("/glossary/").content.decode()
    assert re.findall(r'<dt id="([^"]+)">', html) == ["interleukin", "mrcc", "nephrectomy"]
    assert "<dl" in html
    assert "Also called: metastatic renal cell carcinoma, metastatic kidney cancer" in html


def test_glossary_is_linked_from_the_site_navigation(client, make_page):
    make_page("Interleukin-2", "Text.")
    html = client.get("/wiki/Interleukin-2/").content.decode()
    assert '<a href="/glossary/">Glossary</a>' in html


def test_glossary_escapes_what_moderators_wrote(client, db):
    add_term("Nephrectomy", "Removing a kidney <script>alert(1)</script>.")
    html = client.get("/glossary/").content.decode()
    assert "<script>alert(1)" not in html and "&lt;script&gt;" in html


# Marking terms (wiki.rendering, pure)

ENTRIES = GlossaryIndex(
    [
        GlossaryEntry(
            "mrcc",
            "mRCC",
            ("mRCC", "metastatic renal cell carcinoma"),
            "Spread kidney cancer.",
            "/glossary/#mrcc",
        ),
        GlossaryEntry(
            "metastatic", "Metastatic", ("Metastatic",), "Spread.", "/glossary/#metastatic"
        ),
        GlossaryEntry("mtor", "mTOR", ("mTOR",), "A protein.", "/glossary/#mtor"),
    ]
)


def marked(body):
    return mark_glossary_terms(render_markdown(body).html, ENTRIES)


def glossary_links(html):
    return re.findall(r'<a class="glossary-term" href="([^"]+)"[^>]*>([^<]*)</a>', html)


def test_first_use_of_each_term_is_marked_and_no_other():
    html, used = marked("mTOR is blocked. MTOR again, and Metastatic, then metastatic.")
    assert glossary_links(html) == [
        ("/glossary/#mtor", "mTOR"),
        ("/glossary/#metastatic", "Metastatic"),
    ]
    assert [entry.slug for entry in used] == ["mtor", "metastatic"]


def test_a_synonym_counts_as_its_entry_and_the_longest_name_wins():
    html, _ = marked("Metastatic renal cell carcinoma, also called mRCC, is metastatic.")
    assert glossary_links(html) == [
        ("/glossary/#mrcc", "Metastatic renal cell carcinoma"),
        ("/glossary/#metastatic", "metastatic"),
    ]


def test_the_mark_names_the_definition_for_screen_readers():
    html, _ = marked("About mTOR.")
    assert (
        '<a class="glossary-term" href="/glossary/#mtor" '
        'aria-describedby="glossary-definition-mtor">mTOR</a>'
    ) in html


def test_only_whole_words_are_marked():
    html, used = marked("Kinases like mTORC1 and premetastatic cells.")
    assert used == () and "glossary-term" not in html


@pytest.mark.parametrize(
    "body",
    [
        "# mTOR blockers",
        "See [[mTOR]].",
        "See [the protein](https://example.org/mTOR).",
        "Write `mTOR` in the form.",
        "```\nmTOR\n```",
        '<abbr title="a protein">mTOR</abbr>',
        "<a href='/x'>about mTOR</a>",
    ],
)
def test_terms_in_headings_links_code_and_markup_are_not_marked(body):
    html, used = marked(body)
    assert used == () and "glossary-term" not in html


def test_a_term_after_a_heading_that_holds_it_is_marked():
    html, _ = marked("## mTOR\n\nmTOR is a protein.")
    assert glossary_links(html) == [("/glossary/#mtor", "mTOR")]
    assert '<h2 id="mtor">mTOR</h2>' in html


def test_text_around_marks_stays_escaped():
    html, _ = marked("1 < 2 & mTOR > 0")
    assert "1 &lt; 2 &amp; <a" in html and "</a> &gt; 0" in html


@pytest.mark.parametrize(
    "payload",
    [
        '<a href="javascript:alert(1)" class="glossary-term">mTOR</a>',
        '<a href="/x" aria-describedby="content">x</a>',
        '<a href="/x" aria-describedby="glossary-definition-x&quot; onclick=&quot;alert(1)">x</a>',
        '<span aria-describedby="glossary-definition-x" onmouseover="alert(1)">x</span>',
        '<a href="/x" class="glossary-term" onfocus="alert(1)">x</a>',
    ],
)
def test_the_sanitizer_stays_strict_about_what_the_glossary_adds(payload):
    html = sanitize(payload)
    assert "javascript:" not in html and "onclick" not in html and "onmouseover" not in html
    assert "onfocus" not in html
    assert 'aria-describedby="content"' not in html
    assert "<span aria-describedby" not in html


def test_a_hostile_entry_cannot_break_out_of_its_mark():
    index = GlossaryIndex(
        [GlossaryEntry("x", "mTOR", ("mTOR",), "<script>", '/glossary/#x" onclick="alert(1)')]
    )
    html, _ = mark_glossary_terms(render_markdown("mTOR").html, index)
    assert not re.search(r'"\s+onclick=', html)
    assert "&quot; onclick=&quot;" in html  # kept as text inside the href


# Pages


@pytest.fixture
def page_with_terms(make_page, mrcc):
    add_term("mTOR", "A protein inside cells.")
    return make_page(
        "Temsirolimus",
        "# Temsirolimus\n\nIt blocks mTOR in metastatic kidney cancer. mTOR again.\n\n"
        "See [[Everolimus]].",
        crosslinks=[{"kind": "related", "target_title": "Everolimus"}],
    )


def test_page_marks_terms_and_carries_their_definitions(client, page_with_terms):
    html = client.get("/wiki/Temsirolimus/").content.decode()
    assert glossary_links(html) == [
        ("/glossary/#mtor", "mTOR"),
        ("/glossary/#mrcc", "metastatic kidney cancer"),
    ]
    assert '<dd id="glossary-definition-mtor">A protein inside cells.</dd>' in html
    assert '<dd id="glossary-definition-mrcc">Kidney cancer that has spread.</dd>' in html
    assert "/static/js/glossary." in html


def test_page_without_terms_loads_no_glossary_script(client, make_page, mrcc):
    make_page("Other", "Nothing to explain.")
    html = client.get("/wiki/Other/").content.decode()
    assert "glossary.js" not in html and "glossary-used" not in html


def test_page_shows_a_changed_definition_after_an_edit(client, page_with_terms):
    first = client.get("/wiki/Temsirolimus/")
    entry = GlossaryTerm.objects.get(slug="mtor")
    services.save_glossary_term(entry, term="mTOR", definition="A growth switch in cells.")
    again = client.get("/wiki/Temsirolimus/")
    assert "A growth switch in cells." in again.content.decode()
    assert "A protein inside cells." not in again.content.decode()
    assert again["ETag"] != first["ETag"]


def test_page_marks_a_new_synonym_after_an_edit(client, page_with_terms):
    client.get("/wiki/Temsirolimus/")
    add_term("Blocks", "Stops something working.")
    html = client.get("/wiki/Temsirolimus/").content.decode()
    assert ("/glossary/#blocks", "blocks") in glossary_links(html)


def test_anonymous_copy_is_shared_and_kept_until_the_glossary_changes(client, page_with_terms):
    first = client.get("/wiki/Temsirolimus/")
    assert cache.get("wiki:page-view:" + first["ETag"].strip('"')) == first.content
    again = Client().get("/wiki/Temsirolimus/")
    assert again["ETag"] == first["ETag"]


@pytest.mark.parametrize("cold", [True, False], ids=["cold", "warm"])
def test_page_with_terms_keeps_the_query_budget(
    client, page_with_terms, django_assert_max_num_queries, cold
):
    client.get("/wiki/Temsirolimus/")
    if cold:
        cache.clear()
    with django_assert_max_num_queries(BUDGET):
        response = client.get("/wiki/Temsirolimus/")
    assert 'class="glossary-term"' in response.content.decode()


def test_warm_page_with_terms_is_one_query(client, page_with_terms, django_assert_num_queries):
    client.get("/wiki/Temsirolimus/")
    with django_assert_num_queries(1):
        response = Client().get("/wiki/Temsirolimus/")
    assert 'class="glossary-term"' in response.content.decode()


def test_rendered_body_is_reused_after_a_glossary_edit(client, page_with_terms):
    # A glossary change re-marks pages, but does not convert their markdown again.
    from wiki.render_cache import render_cache_key

    client.get("/wiki/Temsirolimus/")
    key = render_cache_key(page_with_terms.body)
    stage_one = cache.get(key)
    add_term("Protein", "A building block of the body.")
    client.get("/wiki/Temsirolimus/")
    assert cache.get(key) == stage_one


# PDF


def pdf_text(response) -> str:
    reader = pypdf.PdfReader(io.BytesIO(response.content))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def test_pdf_lists_the_terms_the_page_uses(client, page_with_terms):
    text = pdf_text(client.get("/wiki/Temsirolimus/pdf/"))
    tail = text[text.index("Terms used on this page") :]
    assert "mTOR A protein inside cells." in tail
    assert "Kidney cancer that has spread." in tail
    assert tail.index("mTOR") < tail.index("mRCC") < tail.index("Medical disclaimer")


def test_pdf_shows_a_changed_definition(client, page_with_terms):
    client.get("/wiki/Temsirolimus/pdf/")
    entry = GlossaryTerm.objects.get(slug="mtor")
    services.save_glossary_term(entry, term="mTOR", definition="A growth switch in cells.")
    assert "A growth switch in cells." in pdf_text(client.get("/wiki/Temsirolimus/pdf/"))


# Demo


def test_demo_defines_the_terms_its_pages_use_and_loads_once(client, db):
    from django.core.management import call_command

    call_command("loaddemo", verbosity=0)
    before = snapshot()
    call_command("loaddemo", verbosity=0)
    assert snapshot() == before
    assert GlossaryTerm.objects.count() >= 10
    html = client.get("/wiki/Interleukin-2/").content.decode()
    marked_slugs = {href.split("#")[1] for href, _ in glossary_links(html)}
    assert {"recombinant", "metastatic", "fda"} <= marked_slugs
    main = client.get("/").content.decode()
    assert ("/glossary/#kcr", "KCR") in glossary_links(main)


def test_marking_terms_keeps_a_tables_scrolling_region():
    html = render_markdown(
        "Nephrectomy is an operation.\n\n| Drug | Dose |\n|---|---|\n| IL-2 | high |\n"
    ).html
    entry = GlossaryEntry(
        "nephrectomy", "Nephrectomy", ("Nephrectomy",), "An operation.", "/glossary/#nephrectomy"
    )
    marked, used = mark_glossary_terms(html, GlossaryIndex([entry]))
    assert used == (entry,)
    assert 'class="glossary-term"' in marked
    assert marked.count('<div class="table-scroll" role="region" tabindex="0"') == 1
    assert 'aria-label="Table: Drug, scrolls sideways"' in marked
