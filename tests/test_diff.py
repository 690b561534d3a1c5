import datetime
import json

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from hypothesis import given, settings
from hypothesis import strategies as st
from reversion.models import Version

from wiki.content import CrossLinkContent, PageContent, empty_metadata
from wiki.diff import (
    DIFF_MAX_CHANGED_LINES,
    DIFF_MAX_HTML_BYTES,
    DIFF_VERSION,
    LINE_DIFF_MAX_CELLS,
    LINE_DIFF_MAX_WORK,
    WORD_DIFF_MAX_WORK,
    WorkBudget,
    _line_opcodes,
    _sequence_opcodes,
    _word_diff,
    diff_metadata,
    diff_texts,
)
from wiki.models import Page
from wiki.services import save_page


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


# Bounds: work, output, cache.


def _lcs_length(old, new):
    table = [[0] * (len(new) + 1) for _ in range(len(old) + 1)]
    for i, old_item in enumerate(old):
        for j, new_item in enumerate(new):
            if old_item == new_item:
                table[i + 1][j + 1] = table[i][j] + 1
            else:
                table[i + 1][j + 1] = max(table[i][j + 1], table[i + 1][j])
    return table[-1][-1]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from(["a", "b", "c", "", "x"]), max_size=30),
    st.lists(st.sampled_from(["a", "b", "d", "", "x"]), max_size=30),
)
def test_line_comparison_keeps_a_longest_common_subsequence_equal(old_lines, new_lines):
    budget = WorkBudget(LINE_DIFF_MAX_WORK)
    opcodes = _sequence_opcodes(old_lines, new_lines, budget, LINE_DIFF_MAX_CELLS)
    equal = sum(old_end - old_start for tag, old_start, old_end, *_ in opcodes if tag == "equal")
    assert equal == _lcs_length(old_lines, new_lines)


def _no_unique_lines(count):
    old = ["abc"[number % 3] for number in range(count)]
    new = ["abc"[(number + number // 7) % 3] for number in range(count)]
    return old, new


def _many_small_stretches(count):
    # A unique line every 200 lines and repetitive lines between them: the
    # worst case of difflib, which compared these before.
    old = [f"anchor {n}" if n % 200 == 0 else "xyz"[n % 3] for n in range(count)]
    new = [f"anchor {n}" if n % 200 == 0 else "xyz"[(n * 2) % 3] for n in range(count)]
    return old, new


@pytest.mark.parametrize("make_lines", [_no_unique_lines, _many_small_stretches])
def test_line_comparison_work_stays_within_its_budget_and_is_still_a_diff(make_lines):
    old_lines, new_lines = make_lines(200_000)  # ~400 KB of two-byte lines
    budget = WorkBudget(LINE_DIFF_MAX_WORK)
    opcodes = _line_opcodes(old_lines, new_lines, budget)
    assert budget.spent <= LINE_DIFF_MAX_WORK
    old_at = new_at = 0
    for tag, old_start, old_end, new_start, new_end in opcodes:
        assert (old_start, new_start) == (old_at, new_at)
        if tag == "equal":
            assert old_lines[old_start:old_end] == new_lines[new_start:new_end]
        old_at, new_at = old_end, new_end
    assert (old_at, new_at) == (len(old_lines), len(new_lines))


def test_word_marks_stay_within_their_budget():
    # 400 pairs of 1,000-token lines where every space matches: one such
    # pair took difflib over a second.
    old = "\n".join(f"{n} " + " ".join(["a"] * 500) for n in range(400))
    new = "\n".join(f"{n} " + " ".join(["a", "b"] * 250) for n in range(400))
    budget = WorkBudget(WORD_DIFF_MAX_WORK)
    for old_line, new_line in zip(old.splitlines(), new.splitlines(), strict=True):
        _word_diff(old_line, new_line, budget)
    assert 0 < budget.spent <= WORD_DIFF_MAX_WORK


def _rewrite(count):
    return (
        "\n".join(f"Old line {n} about the dose & <b>{n}</b>." for n in range(count)),
        "\n".join(f'New line {n} about the trial & "{n}".' for n in range(count)),
    )


@pytest.mark.parametrize(
    "old, new",
    [
        _rewrite(20_000),
        ("\n".join(_no_unique_lines(200_000)[0]), "\n".join(_no_unique_lines(200_000)[1])),
        ("&" * 500_000, "<" * 500_000),
        ("é😀 " * 100_000, "😀é " * 100_000),
        ("x\n" * 200_000, "y\n" * 200_000),
    ],
    ids=["rewrite", "tiny lines", "one huge line", "unicode line", "all lines equal"],
)
def test_diff_output_stays_under_its_size_bound(old, new):
    changes = diff_texts(old, new)
    assert len(str(changes.html).encode()) <= DIFF_MAX_HTML_BYTES
    assert changes.is_truncated


def test_truncated_diff_still_counts_every_changed_line():
    old = "\n".join(f"a{n}" for n in range(5_000))
    new = "\n".join(f"b{n}" for n in range(5_000))
    changes = diff_texts(old, new)
    assert changes.is_truncated
    assert (changes.removed_lines, changes.added_lines) == (5_000, 5_000)
    assert str(changes.html).count('class="diff-change"') == DIFF_MAX_CHANGED_LINES


def test_long_unchanged_start_of_a_changed_line_is_folded():
    start = "word " * 2_000
    changes = diff_texts(start + "high dose.", start + "low dose.")
    html = str(changes.html)
    assert "\N{HORIZONTAL ELLIPSIS}" in html
    assert "<del>high</del>" in html and "<ins>low</ins>" in html
    assert len(html) < 2_000
    assert not changes.is_truncated


def _two_revisions(make_page, title, old, new):
    first = make_page(title, old).current_revision_id
    second = save_page(title, new, summary="rewrite").page.current_revision_id
    return first, second


def test_comparison_over_the_bound_says_so_and_links_both_sources(client, make_page):
    old, new = _rewrite(2_000)  # more changed lines than DIFF_MAX_HTML_BYTES takes
    first, second = _two_revisions(make_page, "Interleukin-2", old, new)
    response = client.get(f"/wiki/Interleukin-2/diff/{first}/{second}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "This comparison is too large to show in full" in html
    assert "<del>Old</del> line 0 about the <del>dose</del>" in html
    assert "Old line 1999 " not in html
    assert f'href="/wiki/Interleukin-2/revisions/{first}/source/"' in html
    assert f'href="/wiki/Interleukin-2/revisions/{second}/source/"' in html
    assert len(response.content) < DIFF_MAX_HTML_BYTES + 30_000


def test_small_comparison_has_no_notice(client, make_page):
    first, second = _two_revisions(make_page, "Interleukin-2", "The dose.", "The new dose.")
    html = client.get(f"/wiki/Interleukin-2/diff/{first}/{second}/").content.decode()
    assert "too large to show in full" not in html
    assert "/source/" not in html


def test_revision_source_is_that_revisions_markdown(client, make_page):
    first, second = _two_revisions(make_page, "Interleukin-2", "Old *text*.", "New text.")
    response = client.get(f"/wiki/Interleukin-2/revisions/{first}/source/")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode() == "Old *text*."


def test_revision_source_of_another_pages_revision_is_404(client, make_page):
    other = make_page("Other", "Secret draft.")
    make_page("Interleukin-2", "Text.")
    url = f"/wiki/Interleukin-2/revisions/{other.current_revision_id}/source/"
    assert client.get(url).status_code == 404


def _tamper_with_body(revision_id, body):
    """Rewrite a stored revision behind the wiki's back (nothing in the wiki
    ever does): only a diff made again would show it."""
    version = Version.objects.get(
        revision_id=revision_id, content_type=ContentType.objects.get_for_model(Page)
    )
    data = json.loads(version.serialized_data)
    data[0]["fields"]["body"] = body
    Version.objects.filter(pk=version.pk).update(serialized_data=json.dumps(data))


def test_second_request_for_a_pair_reuses_the_cached_diff(client, make_page):
    first, second = _two_revisions(make_page, "Interleukin-2", "The dose.", "The high dose.")
    url = f"/wiki/Interleukin-2/diff/{first}/{second}/"
    assert "<ins>high </ins>" in client.get(url).content.decode()
    assert cache.get(f"wiki:diff:{DIFF_VERSION}:{first}:{second}") is not None
    _tamper_with_body(second, "The low dose.")
    html = client.get(url).content.decode()
    assert "<ins>high </ins>" in html
    assert "low" not in html


def test_cached_diff_is_per_pair(client, make_page):
    first, second = _two_revisions(make_page, "Interleukin-2", "The dose.", "The high dose.")
    third = save_page("Interleukin-2", "The low dose.", summary="again").page.current_revision_id
    assert (
        "<ins>high </ins>"
        in client.get(f"/wiki/Interleukin-2/diff/{first}/{second}/").content.decode()
    )
    html = client.get(f"/wiki/Interleukin-2/diff/{first}/{third}/").content.decode()
    assert "<ins>low </ins>" in html


def test_anonymous_diff_is_publicly_cacheable_and_revalidates(client, make_page):
    first, second = _two_revisions(make_page, "Interleukin-2", "The dose.", "The high dose.")
    url = f"/wiki/Interleukin-2/diff/{first}/{second}/"
    response = client.get(url)
    assert "public" in response["Cache-Control"]
    assert "s-maxage=60" in response["Cache-Control"]
    again = client.get(url, headers={"If-None-Match": response["ETag"]})
    assert again.status_code == 304
    assert again.content == b""


def test_moderators_diff_is_private(moderator_client, make_page):
    first, second = _two_revisions(make_page, "Interleukin-2", "The dose.", "The high dose.")
    response = moderator_client.get(f"/wiki/Interleukin-2/diff/{first}/{second}/")
    assert response.status_code == 200
    assert "private" in response["Cache-Control"]
    assert not response.has_header("ETag")


def test_renamed_author_changes_the_diff_etag(client, make_page, moderator):
    first = make_page("Interleukin-2", "The dose.", user=moderator).current_revision_id
    second = save_page("Interleukin-2", "The high dose.", user=moderator).page.current_revision_id
    url = f"/wiki/Interleukin-2/diff/{first}/{second}/"
    etag = client.get(url)["ETag"]
    moderator.username = "renamed-moderator"
    moderator.save()
    response = client.get(url, headers={"If-None-Match": etag})
    assert response.status_code == 200
    assert "renamed-moderator" in response.content.decode()
