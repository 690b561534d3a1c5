"""The MediaWiki dumps in tests/fixtures/mediawiki/ are what their README says.

They are made by tools/make_mediawiki_fixtures.sh from source/; these tests
catch a dump edited by hand, or a source file changed without running the
script again, before an importer test fails for a reason nobody can see.
"""

import hashlib
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures" / "mediawiki"
GOOD_DUMPS = ["kcr-full-0.11.xml", "kcr-full-0.10.xml", "kcr-current.xml"]


def _revisions(name):
    """Every revision in a dump as a dict, in file order."""
    root = ET.parse(FIXTURES / name).getroot()  # noqa: S314 (our own fixture files)
    schema = {"m": root.tag[1:].split("}")[0]}
    revisions = []
    for page in root.findall("m:page", schema):
        for revision in page.findall("m:revision", schema):
            contributor = revision.find("m:contributor", schema)
            comment = revision.find("m:comment", schema)
            revisions.append(
                {
                    "title": page.findtext("m:title", namespaces=schema),
                    "namespace": int(page.findtext("m:ns", namespaces=schema)),
                    "is_redirect": page.find("m:redirect", schema) is not None,
                    "id": int(revision.findtext("m:id", namespaces=schema)),
                    "timestamp": revision.findtext("m:timestamp", namespaces=schema),
                    "author": contributor.findtext("m:username", namespaces=schema)
                    or contributor.findtext("m:ip", namespaces=schema),
                    "minor": revision.find("m:minor", schema) is not None,
                    "summary": comment.text if comment is not None else "",
                    "text": revision.findtext("m:text", namespaces=schema),
                    "sha1": revision.findtext("m:sha1", namespaces=schema),
                }
            )
    return revisions


def _base36_sha1(text):
    """MediaWiki's <sha1>: the SHA-1 of the text in base 36, 31 digits."""
    digest = hashlib.sha1(text.encode("utf-8"), usedforsecurity=False).hexdigest()
    number = int(digest, 16)
    digits = ""
    while number:
        number, digit = divmod(number, 36)
        digits = "0123456789abcdefghijklmnopqrstuvwxyz"[digit] + digits
    return digits.rjust(31, "0")


def _edits():
    """source/edits.tsv as dicts, in the order the edits were made."""
    edits = []
    for line in (FIXTURES / "source" / "edits.tsv").read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        when, user, flag, title, file, summary = line.split("\t")
        edits.append(
            {
                "timestamp": when.replace(" ", "T") + "Z",
                "author": "127.0.0.1" if user == "anonymous" else user,
                "minor": flag == "minor",
                "title": title,
                "file": file,
                "summary": "" if summary == "-" else summary,
            }
        )
    return edits


@pytest.mark.parametrize("name", GOOD_DUMPS)
def test_revision_texts_match_their_sha1(name):
    revisions = _revisions(name)
    assert revisions
    for revision in revisions:
        assert _base36_sha1(revision["text"]) == revision["sha1"], revision["title"]


@pytest.mark.parametrize(
    ("name", "line", "message"),
    [
        ("kcr-truncated.xml", 345, "no element found"),
        ("kcr-bad-element.xml", 675, "mismatched tag"),
    ],
)
def test_broken_dumps_fail_on_the_line_the_readme_names(name, line, message):
    with pytest.raises(ET.ParseError, match=message) as error:
        ET.parse(FIXTURES / name)  # noqa: S314 (our own fixture files)
    assert error.value.position[0] == line
    assert f"line {line}" in (FIXTURES / "README.md").read_text(encoding="utf-8")


def test_full_dumps_hold_every_edit_in_source_in_order():
    made = _edits()
    for name in ("kcr-full-0.11.xml", "kcr-full-0.10.xml"):
        revisions = sorted(_revisions(name), key=lambda revision: revision["id"])
        # Revision 1 is the installer's own Main Page; every other is a line of edits.tsv.
        assert revisions[0]["author"] == "MediaWiki default"
        assert len(revisions) == len(made) + 1 == 25
        for revision, edit in zip(revisions[1:], made, strict=True):
            for field in ("title", "timestamp", "author", "minor", "summary"):
                assert revision[field] == edit[field], (name, edit["title"], field)


def test_latest_revisions_are_the_last_source_files():
    last_file = {edit["title"]: edit["file"] for edit in _edits()}
    current = _revisions("kcr-current.xml")
    assert {revision["title"] for revision in current} == set(last_file)
    for revision in current:
        if revision["title"].startswith("Talk:"):
            continue  # MediaWiki expanded the ~~~~ signatures when saving.
        source = (FIXTURES / "source" / last_file[revision["title"]]).read_text(encoding="utf-8")
        assert revision["text"] == source.rstrip("\n"), revision["title"]


def test_main_namespace_has_the_pages_the_readme_lists():
    main = [revision for revision in _revisions("kcr-full-0.11.xml") if revision["namespace"] == 0]
    titles = {revision["title"] for revision in main}
    assert len(main) == 18
    assert titles == {
        "Main Page",
        "Interleukin-2",
        "Treatment options",
        "IL-2",
        "Aldesleukin",
        "Patient's guide to IL-2",
        "IL-2 dose",
        "IL-2 Dose",
        "High-dose IL-2",
    }
    redirects = {revision["title"] for revision in main if revision["is_redirect"]}
    assert redirects == {"IL-2", "Aldesleukin", "High-dose IL-2"}
    history = [revision for revision in main if revision["title"] == "Interleukin-2"]
    assert [revision["author"] for revision in history] == [
        "Alice Editor",
        "Bob Writer",
        "Alice Editor",
        "Bob Writer",
        "Alice Editor",
    ]
    assert [revision["minor"] for revision in history] == [False, False, True, False, False]


def test_every_main_namespace_page_has_its_rendered_html():
    titles = {
        revision["title"]
        for revision in _revisions("kcr-current.xml")
        if revision["namespace"] == 0
    }
    rendered = {path.name for path in (FIXTURES / "rendered").iterdir()}
    assert rendered == {title.replace(" ", "_") + ".html" for title in titles}
    for name in rendered:
        html = (FIXTURES / "rendered" / name).read_text(encoding="utf-8")
        assert html.startswith('<div class="mw-parser-output">'), name


def test_fixtures_stay_small():
    total = sum(path.stat().st_size for path in FIXTURES.rglob("*") if path.is_file())
    assert total < 200 * 1024
