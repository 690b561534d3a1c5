import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wiki.content import CrossLinkContent, PageContent, empty_metadata
from wiki.diff import _line_opcodes, diff_metadata, diff_texts


def test_identical_texts_have_empty_diff():
    changes = diff_texts("Same.\nLines.", "Same.\nLines.")
    assert changes.is_empty
    assert str(changes.html) == ""


def test_changed_word_is_marked_inside_the_line():
    changes = diff_texts("The dose is high.", "The dose is low.")
    html = str(changes.html)
    assert "The dose is <del>high</del>." in html
    assert "The dose is <ins>low</ins>." in html
    assert (changes.removed_lines, changes.added_lines) == (1, 1)


def test_added_and_removed_lines_are_marked():
    changes = diff_texts("one\ntwo\nthree", "one\nthree\nfour")
    html = str(changes.html)
    assert "<del>two</del>" in html
    assert "<ins>four</ins>" in html


@pytest.mark.parametrize(
    "payload",
    ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "&lt;b&gt; & <b>"],
)
def test_diff_escapes_every_chunk(payload):
    html = str(diff_texts("safe line", f"safe {payload} line").html)
    assert "<script>" not in html
    assert "<img" not in html
    assert "<b>" not in html
    assert "&lt;" in html


def test_unchanged_stretches_are_folded():
    old = "\n".join(f"line {number}" for number in range(100))
    new = old.replace("line 50", "line fifty")
    html = str(diff_texts(old, new).html)
    assert "unchanged lines" in html
    assert "line 10<" not in html
    assert "line 49" in html


def test_line_numbers_follow_each_side():
    html = str(diff_texts("a\nb\nc", "a\nx\ny\nc").html)
    assert '<td class="diff-line-number">4</td><td class="diff-new">c</td>' in html


def test_one_megabyte_page_diffs_completely():
    lines = [f"Line {number} about kidney cancer treatment and dose." for number in range(20000)]
    old = "\n".join(lines)
    lines[10000] = "Line 10000 about kidney cancer treatment and a new dose."
    changes = diff_texts(old, "\n".join(lines))
    assert len(old) > 1_000_000
    assert (changes.removed_lines, changes.added_lines) == (1, 1)
    assert "<ins>a new </ins>" in str(changes.html) or "<ins>a new" in str(changes.html)


def test_metadata_changes_are_listed():
    old = PageContent(
        body="Text.", metadata={**empty_metadata(), "article_date": datetime.date(2009, 5, 1)}
    )
    new = PageContent(
        body="Other text.",
        metadata={**empty_metadata(), "article_date": datetime.date(2010, 1, 2)},
        crosslinks=(CrossLinkContent(kind="see", target_title="IL-21"),),
    )
    changes = diff_metadata(old, new)
    assert ("Article date", "2009-05-01", "2010-01-02") in changes
    assert ("Related pages and notes", "", "See separate page: IL-21") in changes
    assert all(label != "Source name" for label, _, _ in changes)
    assert all(label != "Title" for label, _, _ in changes)


def test_metadata_changes_list_the_title_when_given():
    content = PageContent(body="Text.")
    changes = diff_metadata(content, content, titles=("Old Name", "New Name"))
    assert changes == [("Title", "Old Name", "New Name")]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from(["a", "b", "c", "d", "", "same", "x1", "x2"]), max_size=40),
    st.lists(st.sampled_from(["a", "b", "c", "e", "", "same", "x1", "y2"]), max_size=40),
)
def test_line_opcodes_cover_both_texts_in_order(old_lines, new_lines):
    old_at = new_at = 0
    for tag, old_start, old_end, new_start, new_end in _line_opcodes(old_lines, new_lines):
        assert (old_start, new_start) == (old_at, new_at)
        if tag == "equal":
            assert old_lines[old_start:old_end] == new_lines[new_start:new_end]
        old_at, new_at = old_end, new_end
    assert (old_at, new_at) == (len(old_lines), len(new_lines))


def test_scattered_edits_keep_every_unchanged_line_equal():
    old_lines = [f"Sentence number {number}." for number in range(2000)]
    new_lines = [
        line if number % 37 else line + " Changed." for number, line in enumerate(old_lines)
    ]
    changed = sum(
        old_end - old_start
        for tag, old_start, old_end, *_ in _line_opcodes(old_lines, new_lines)
        if tag != "equal"
    )
    assert changed == len(range(0, 2000, 37))
