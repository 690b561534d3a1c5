"""The paragraph cache of wiki.wikitext.convert, which the import keeps for
the revisions of one page: each paragraph is walked once a page, and the
markdown is exactly what a walk of the whole text makes."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wiki.wikitext import MAX_CACHED_PARAGRAPHS, convert

TEMPLATES = {
    "Drug": "'''{{{1}}}''' (brand name: {{{name|not given}}}) is a medicine.",
    "Note": "<ref>{{{1}}}</ref>",
}
# A paragraph of plain words first: short texts are walked whole anyway.
LEAD = ("Plain words about kidney cancer and its treatment. " * 25).strip() + "\n\n"
# Pieces of wikitext, balanced and not, that a paragraph cut must respect.
ATOMS = [
    *("''", "'''", "'''''", "''''", "[[", "]]", "[[A|", "{{", "}}", "{|", "|}", "|-"),
    *("<ref>", "</ref>", "<!--", "-->", "<div>", "</div>", "<pre>", "</pre>"),
    *("<nowiki>", "</nowiki>", "[http://a.example", "]", "[http://c.example]", ": "),
    *("; ", "* ", "# ", "*# ", "== ", " ==", "----", " pre", "&amp;", "<br>", "<b>"),
    *("</b>", "<references/>", "[[Category:C|k]]", "__TOC__", "{{{1}}}", "{{Drug|"),
    *("<ref name=a/>", "<ref name=a>named</ref>", "{{Note|n}}", "|", "="),
    *("<span title=a", ">", "[//d.example]"),
]
WORDS = ["word ", "text", "\n", "\n\n", "\n\n", "[[B]]", "''i''", "'''b'''", "{{Drug|d}}"]
WORDS += ["<ref>r</ref>", "[http://e.example]", "\n\n\n"]
pieces = st.lists(st.sampled_from(ATOMS + WORDS * 3), min_size=2, max_size=40).map("".join)


def whole(text):
    return convert(text, templates=TEMPLATES)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(first=pieces, second=pieces)
def test_paragraph_cache_converts_as_a_walk_of_the_whole_text(first, second):
    # Two revisions of one page share a cache, as an import's do: the second
    # holds the first's paragraphs, some moved after new ones.
    one = LEAD + first
    two = LEAD + second + "\n\n" + first
    cache = {}
    assert convert(one, templates=TEMPLATES, paragraph_cache=cache) == whole(one)
    assert convert(two, templates=TEMPLATES, paragraph_cache=cache) == whole(two)
    assert convert(one, templates=TEMPLATES, paragraph_cache=cache) == whole(one)


def test_footnotes_number_on_when_a_new_one_comes_before_cached_paragraphs():
    one = LEAD + (
        "Given in hospital.<ref>Guide 1</ref>\n\nA paragraph without notes.\n\n"
        "Side effects settle.<ref>Guide 2</ref>"
    )
    two = LEAD + "New first fact.<ref>Guide 0</ref>\n\n" + one[len(LEAD) :]
    cache = {}
    convert(one, paragraph_cache=cache)
    markdown = convert(two, paragraph_cache=cache).markdown
    assert markdown == whole(two).markdown
    assert "Given in hospital.[^2]" in markdown and "Side effects settle.[^3]" in markdown
    assert "[^3]: Guide 2" in markdown


def test_a_named_footnote_used_again_keeps_its_number():
    text = LEAD + 'Fact.<ref name="trials">Trials</ref>\n\nAgain.<ref name="trials" />'
    cache = {}
    assert convert(text, paragraph_cache=cache) == whole(text)
    assert "Again.[^1]" in convert(text, paragraph_cache=cache).markdown


def test_a_revision_walks_only_the_paragraphs_it_changed():
    one = LEAD + "== Dose ==\nThe dose depends on weight.\n\n* Blood tests\n* A heart check"
    two = one + "\n\nA paragraph added later."
    cache = {}
    convert(one, paragraph_cache=cache)
    walked = len(cache)
    assert walked == 3 + 1  # its paragraphs, and where its text may be cut
    convert(two, paragraph_cache=cache)
    assert len(cache) == walked + 1


def test_a_template_without_footnotes_is_walked_once_whatever_footnotes_come_before():
    one = LEAD + "Given in hospital.<ref>Guide 1</ref>\n\n{{Drug|aldesleukin}}"
    two = LEAD + "New first fact.<ref>Guide 0</ref>\n\n" + one[len(LEAD) :]
    cache = {}
    convert(one, templates=TEMPLATES, paragraph_cache=cache)
    walked = len(cache)
    assert convert(two, templates=TEMPLATES, paragraph_cache=cache) == whole(two)
    # The new paragraph, and the one whose footnote is now number 2.
    assert len(cache) == walked + 2


def test_a_template_holding_a_footnote_is_numbered_after_the_footnotes_before_it():
    one = LEAD + "Given in hospital.<ref>Guide 1</ref>\n\n{{Note|From the template}}"
    two = LEAD + "New first fact.<ref>Guide 0</ref>\n\n" + one[len(LEAD) :]
    cache = {}
    convert(one, templates=TEMPLATES, paragraph_cache=cache)
    markdown = convert(two, templates=TEMPLATES, paragraph_cache=cache).markdown
    assert markdown == whole(two).markdown
    assert "[^3]: From the template" in markdown


def test_a_tag_spanning_a_blank_line_keeps_the_paragraphs_together():
    text = LEAD + "Before <span title='a\n\nb'>inside</span> after.\n\nNext [[B]]."
    cache = {}
    assert convert(text, paragraph_cache=cache) == whole(text)
    assert convert(text, paragraph_cache=cache) == whole(text)


def test_a_style_spanning_a_blank_line_keeps_the_paragraphs_together():
    # The tokenizer lets ''...'' run over a blank line: cut there, the two
    # halves would read differently.
    text = LEAD + "''italic starts\n\nand ends here'' after."
    assert convert(text, paragraph_cache={}) == whole(text)


def test_definition_list_continued_after_a_blank_line_reads_as_one():
    text = LEAD + "; Term\n: first line\n\n: second line"
    assert convert(text, paragraph_cache={}) == whole(text)


def test_paragraph_cache_stays_bounded():
    cache = {}
    for number in range(MAX_CACHED_PARAGRAPHS // 4 + 10):
        convert(
            LEAD + "\n\n".join(f"Paragraph {number}-{part}." for part in range(4)),
            paragraph_cache=cache,
        )
    assert len(cache) <= MAX_CACHED_PARAGRAPHS + 5


BROKEN_TAG = "<span title=a\n\n</ref>''[['''"


@pytest.mark.parametrize(("first", "second"), [(BROKEN_TAG, "''''"), ("[[[[", BROKEN_TAG)])
def test_a_tag_left_unclosed_before_a_blank_line_keeps_the_text_whole(first, second):
    one = LEAD + first
    two = LEAD + second + "\n\n" + first
    cache = {}
    assert convert(one, templates=TEMPLATES, paragraph_cache=cache) == whole(one)
    assert convert(two, templates=TEMPLATES, paragraph_cache=cache) == whole(two)
