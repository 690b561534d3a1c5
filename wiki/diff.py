"""Revision diffs and the three-way merge of concurrent edits.

The merge uses diff-match-patch (Apache-2.0) with a time limit, so that no
request hangs on two large texts. The diff is line by line (difflib, by line
hash, which makes a 1 MB page fast), then word by word inside each changed
pair of lines. Every chunk of text is escaped before it is wrapped in
markup; this module and ``wiki.rendering`` are the only ones that call
``mark_safe``.
"""

from __future__ import annotations

import bisect
import difflib
import os
import re
import time
from collections import Counter
from dataclasses import dataclass
from html import escape

from diff_match_patch import diff_match_patch
from django.utils.safestring import SafeString, mark_safe

from wiki.content import CROSSLINK_KINDS, RELATED, CrossLinkContent, PageContent

# Seconds diff-match-patch may spend on one diff before it settles for a
# coarser (still correct) answer.
DIFF_TIMEOUT_SECONDS = 1.0
# Unchanged lines shown around each change.
CONTEXT_LINES = 2
# A merge patch must match the newer text this closely to apply (0 = exactly).
MERGE_MATCH_THRESHOLD = 0.2
# How far (in characters) from its old place a patch's context is looked for:
# each patch searches only about MATCH_THRESHOLD x this around it, which keeps
# patch_apply fast on large pages. Text moved further counts as a conflict.
MERGE_MATCH_DISTANCE = 20_000
# An edit that rewrites more places than this is not merged (409 instead):
# applying thousands of fuzzy patches would hold the request too long.
MERGE_MAX_PATCHES = 500
# Seconds one diff may spend marking words inside changed lines; past it the
# remaining changed lines are marked whole (only a near-total rewrite of a
# very large page gets there).
WORD_DIFF_BUDGET_SECONDS = 0.3
# Above this many token comparisons a changed line is marked whole, not word
# by word (a pathological single-line page must not stall the diff).
WORD_DIFF_MAX_WORK = 250_000
_WORD_RE = re.compile(r"\w+|\s+|[^\w\s]", re.UNICODE)

EQUAL, DELETE, INSERT = diff_match_patch.DIFF_EQUAL, diff_match_patch.DIFF_DELETE, 1


def _differ() -> diff_match_patch:
    differ = diff_match_patch()
    differ.Diff_Timeout = DIFF_TIMEOUT_SECONDS
    return differ


@dataclass(frozen=True)
class TextDiff:
    """A side-by-side diff as table rows (``html``, safe: every chunk
    escaped) and the number of lines removed and added."""

    html: SafeString
    removed_lines: int
    added_lines: int

    @property
    def is_empty(self) -> bool:
        return not (self.removed_lines or self.added_lines)


def _anchors(old_lines: list[str], new_lines: list[str]) -> list[tuple[int, int]]:
    """Lines that occur once in each text, kept where they stay in order (the
    longest increasing run, found by patience sorting): the fixed points
    between which the texts are compared piece by piece."""
    old_counts, new_counts = Counter(old_lines), Counter(new_lines)
    new_index = {line: j for j, line in enumerate(new_lines) if new_counts[line] == 1}
    pairs = [
        (i, new_index[line])
        for i, line in enumerate(old_lines)
        if old_counts[line] == 1 and line in new_index
    ]
    tops: list[int] = []  # the smallest new index ending a run of each length
    ends: list[int] = []  # which pair that is
    previous = [-1] * len(pairs)
    for number, (_, j) in enumerate(pairs):
        length = bisect.bisect_left(tops, j)
        if length:
            previous[number] = ends[length - 1]
        if length == len(tops):
            tops.append(j)
            ends.append(number)
        else:
            tops[length], ends[length] = j, number
    run, number = [], ends[-1] if ends else -1
    while number != -1:
        run.append(pairs[number])
        number = previous[number]
    return run[::-1]


def _line_opcodes(old_lines: list[str], new_lines: list[str]) -> list[tuple]:
    # Patience anchoring, then difflib only between anchors: a page with
    # hundreds of scattered edits costs little more than one with a few,
    # where one difflib pass over 20,000 lines took over half a second.
    opcodes: list[list] = []

    def add(tag, old_start, old_end, new_start, new_end):
        if opcodes and opcodes[-1][0] == tag == "equal":
            opcodes[-1][2], opcodes[-1][4] = old_end, new_end
        else:
            opcodes.append([tag, old_start, old_end, new_start, new_end])

    old_at = new_at = 0
    for old_anchor, new_anchor in [
        *_anchors(old_lines, new_lines),
        (len(old_lines), len(new_lines)),
    ]:
        matcher = difflib.SequenceMatcher(
            None, old_lines[old_at:old_anchor], new_lines[new_at:new_anchor]
        )
        for tag, old_start, old_end, new_start, new_end in matcher.get_opcodes():
            add(tag, old_at + old_start, old_at + old_end, new_at + new_start, new_at + new_end)
        if old_anchor < len(old_lines):
            add("equal", old_anchor, old_anchor + 1, new_anchor, new_anchor + 1)
        old_at, new_at = old_anchor + 1, new_anchor + 1
    return [tuple(opcode) for opcode in opcodes]


def _line_diffs(old: str, new: str) -> list[tuple[int, list[str]]]:
    old_lines, new_lines = old.splitlines(), new.splitlines()
    blocks = []
    for tag, old_start, old_end, new_start, new_end in _line_opcodes(old_lines, new_lines):
        if tag == "equal":
            blocks.append((EQUAL, old_lines[old_start:old_end]))
            continue
        if old_end > old_start:
            blocks.append((DELETE, old_lines[old_start:old_end]))
        if new_end > new_start:
            blocks.append((INSERT, new_lines[new_start:new_end]))
    return blocks


def _is_word_character_at(text: str, index: int) -> bool:
    return 0 <= index < len(text) and text[index].isalnum()


def _common_prefix_length(old: str, new: str) -> int:
    length = len(os.path.commonprefix([old, new]))
    # Back up to a word boundary so a changed word is marked whole: while the
    # prefix ends inside a word that goes on in either text.
    while _is_word_character_at(old, length - 1) and (
        _is_word_character_at(old, length) or _is_word_character_at(new, length)
    ):
        length -= 1
    return length


def _whole_line_marks(old_line: str, new_line: str) -> tuple[str, str]:
    return f"<del>{escape(old_line)}</del>", f"<ins>{escape(new_line)}</ins>"


def _word_diff(old_line: str, new_line: str) -> tuple[str, str]:
    """Escaped HTML of both lines with removed words in <del>, added in <ins>.

    The common start and end of the two lines are cut off first (cheap, and
    usually all but a word or two); only the middle is diffed word by word."""
    prefix = _common_prefix_length(old_line, new_line)
    suffix = _common_prefix_length(old_line[prefix:][::-1], new_line[prefix:][::-1])
    old_middle = old_line[prefix : len(old_line) - suffix]
    new_middle = new_line[prefix : len(new_line) - suffix]
    head, tail = escape(old_line[:prefix]), escape(old_line[len(old_line) - suffix :])
    old_tokens, new_tokens = _WORD_RE.findall(old_middle), _WORD_RE.findall(new_middle)
    old_html, new_html = [head], [head]
    if len(old_tokens) * len(new_tokens) > WORD_DIFF_MAX_WORK:
        old_html.append(f"<del>{escape(old_middle)}</del>" if old_middle else "")
        new_html.append(f"<ins>{escape(new_middle)}</ins>" if new_middle else "")
    else:
        matcher = difflib.SequenceMatcher(None, old_tokens, new_tokens, autojunk=False)
        for tag, old_start, old_end, new_start, new_end in matcher.get_opcodes():
            old_text = escape("".join(old_tokens[old_start:old_end]))
            new_text = escape("".join(new_tokens[new_start:new_end]))
            if tag == "equal":
                old_html.append(old_text)
                new_html.append(new_text)
                continue
            if old_text:
                old_html.append(f"<del>{old_text}</del>")
            if new_text:
                new_html.append(f"<ins>{new_text}</ins>")
    old_html.append(tail)
    new_html.append(tail)
    return "".join(old_html), "".join(new_html)


def _row(kind: str, old_number, old_html: str, new_number, new_html: str) -> str:
    return (
        f'<tr class="diff-{kind}">'
        f'<td class="diff-line-number">{old_number or ""}</td>'
        f'<td class="diff-old">{old_html}</td>'
        f'<td class="diff-line-number">{new_number or ""}</td>'
        f'<td class="diff-new">{new_html}</td></tr>'
    )


def _skipped_row(count: int) -> str:
    noun = "line" if count == 1 else "lines"
    return f'<tr class="diff-skip"><td colspan="4">{count} unchanged {noun}</td></tr>'


def diff_texts(old: str, new: str) -> TextDiff:
    """Diff two markdown texts line by line, and word by word inside changed
    lines. Returns escaped ``<tr>`` rows for a four-column table (old line
    number, old text, new line number, new text); unchanged stretches are
    folded to ``CONTEXT_LINES`` around each change. Pure and bounded in time:
    word marks stop after ``WORD_DIFF_BUDGET_SECONDS``."""
    if (old or "") == (new or ""):
        return TextDiff(html=mark_safe(""), removed_lines=0, added_lines=0)  # noqa: S308
    blocks = _line_diffs(old or "", new or "")
    deadline = time.monotonic() + WORD_DIFF_BUDGET_SECONDS
    rows: list[str] = []
    old_number = new_number = 0
    removed = added = 0
    index = 0
    while index < len(blocks):
        operation, lines = blocks[index]
        if operation == EQUAL:
            is_first, is_last = index == 0, index == len(blocks) - 1
            head = [] if is_first else lines[:CONTEXT_LINES]
            tail = [] if is_last else lines[-CONTEXT_LINES:]
            if len(head) + len(tail) >= len(lines):
                head, tail = lines, []
            for line in head:
                old_number += 1
                new_number += 1
                rows.append(_row("context", old_number, escape(line), new_number, escape(line)))
            skipped = len(lines) - len(head) - len(tail)
            if skipped:
                rows.append(_skipped_row(skipped))
                old_number += skipped
                new_number += skipped
            for line in tail:
                old_number += 1
                new_number += 1
                rows.append(_row("context", old_number, escape(line), new_number, escape(line)))
            index += 1
            continue
        deleted: list[str] = []
        inserted: list[str] = []
        while index < len(blocks) and blocks[index][0] != EQUAL:
            (deleted if blocks[index][0] == DELETE else inserted).extend(blocks[index][1])
            index += 1
        removed += len(deleted)
        added += len(inserted)
        for position in range(max(len(deleted), len(inserted))):
            old_line = deleted[position] if position < len(deleted) else None
            new_line = inserted[position] if position < len(inserted) else None
            if old_line is not None and new_line is not None:
                old_number += 1
                new_number += 1
                # Past the budget (a near-total rewrite), mark lines whole.
                in_budget = time.monotonic() < deadline
                marks = _word_diff if in_budget else _whole_line_marks
                old_html, new_html = marks(old_line, new_line)
                rows.append(_row("change", old_number, old_html, new_number, new_html))
            elif old_line is not None:
                old_number += 1
                rows.append(_row("delete", old_number, f"<del>{escape(old_line)}</del>", "", ""))
            else:
                new_number += 1
                rows.append(_row("insert", "", "", new_number, f"<ins>{escape(new_line)}</ins>"))
    # Every piece of text above went through html.escape before it was wrapped.
    return TextDiff(html=mark_safe("".join(rows)), removed_lines=removed, added_lines=added)  # noqa: S308


METADATA_LABELS = {
    "title": "Title",
    "article_date": "Article date",
    "source_url": "Source address",
    "source_name": "Source name",
    "crosslinks": "Related pages and notes",
}


def _crosslink_text(link: CrossLinkContent) -> str:
    text = f"{CROSSLINK_KINDS.get(link.kind, CROSSLINK_KINDS[RELATED])}: {link.target_title}"
    if link.note_date:
        text += f" ({link.note_date.isoformat()})"
    if link.label:
        text += f" \N{EM DASH} {link.label}"
    return text


def _field_text(value) -> str:
    if value is None:
        return ""
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _fields_text(content: PageContent, title: str | None) -> dict[str, str]:
    texts = {name: _field_text(value) for name, value in content.metadata.items()}
    texts["crosslinks"] = "\n".join(_crosslink_text(link) for link in content.crosslinks)
    if title is not None:
        texts["title"] = title
    return texts


def diff_metadata(
    old: PageContent, new: PageContent, *, titles: tuple[str, str] | None = None
) -> list[tuple[str, str, str]]:
    """What changed besides the body between two contents: metadata and
    cross-links, and the title when ``titles`` gives the old and the new one.
    Returns ``(label, old, new)`` plain-text triples in a fixed order (the
    template escapes them); unchanged fields are left out."""
    old_title, new_title = titles if titles is not None else (None, None)
    before, after = _fields_text(old, old_title), _fields_text(new, new_title)
    return [
        (label, before.get(name, ""), after.get(name, ""))
        for name, label in METADATA_LABELS.items()
        if before.get(name, "") != after.get(name, "")
    ]


def merge_texts(base: str, theirs: str, yours: str) -> str | None:
    """Three-way merge: apply the changes from ``base`` to ``yours`` onto
    ``theirs`` (the text saved in the meantime). Returns the merged text, or
    None when any change does not apply cleanly. Bounded in time by
    ``DIFF_TIMEOUT_SECONDS`` per diff."""
    if yours in (base, theirs):
        return theirs
    if theirs == base:
        return yours
    differ = _differ()
    differ.Match_Threshold = MERGE_MATCH_THRESHOLD
    differ.Match_Distance = MERGE_MATCH_DISTANCE
    patches = differ.patch_make(base, yours)
    if len(patches) > MERGE_MAX_PATCHES:
        return None
    merged, applied = differ.patch_apply(patches, theirs)
    if not all(applied):
        return None
    # A patch can apply cleanly yet land on a stretch the other edit rewrote;
    # require that the other edit's changes all survive the merge as well.
    reverse_patches = differ.patch_make(base, theirs)
    check, reverse_applied = differ.patch_apply(reverse_patches, yours)
    if not all(reverse_applied) or check != merged:
        return None
    return merged
