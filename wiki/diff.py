"""Revision diffs and the three-way merge of concurrent edits.

The merge uses diff-match-patch (Apache-2.0) with a time limit, so that no
request hangs on two large texts. The diff is line by line (unique lines as
fixed points, then a longest common subsequence between them, by line hash,
which makes a 1 MB page fast), then word by word inside each changed pair of
lines, each step bounded by a count of work and of output (the limits
below). Every chunk of text is escaped before it is wrapped in markup; this
module and ``wiki.rendering`` are the only ones that call
``mark_safe``.
"""

from __future__ import annotations

import bisect
import os
import re
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

# Bumped whenever what diff_texts returns changes, so that the cached diffs
# of revision pairs (``wiki:diff``, listed in wiki.display) are made again.
DIFF_VERSION = 2

# Lines, and words inside changed lines, are compared as longest common
# subsequences computed 64 positions to a machine word (``_matching_pairs``).
# Their cost is counted in those word steps, so every limit below is a count,
# not a clock: the same two texts always give the same diff (which is what is
# cached), however busy the server. Measured here: 5-7 ns a step. (difflib,
# used before, is worse than quadratic on repetitive text: one pair of 250-word
# lines of repeated words took 1.2 s, 1,000 short stretches of three
# alternating lines 39 ms each.)
#
# What one operation on a row of bits costs beyond its 64-bit words, in
# steps (the interpreter's share): so counted, a 199 x 199 comparison
# (0.34 ms) and a 1,000 x 1,000 one (2.3 ms) both take 5-7 ns a step.
LCS_STEP_OVERHEAD = 100
# Steps for all the line comparisons of one diff. Past it, a stretch between
# two fixed points (unique lines) is shown as removed and added whole:
# coarser, still correct. The comparison itself takes 5-7 ns a step; what
# it yields costs more, most where the stretches are many, small and
# repetitive: on the worst case found (1,000 stretches of 199 lines of three
# values between unique lines, 400 KB) the whole diff took 0.6 s at this
# limit and 3.2 s at three times it.
LINE_DIFF_MAX_WORK = 20_000_000
# Lines x lines of one stretch compared line by line: its rows of bits take
# this many bits (12.5 MB) while the diff is made. Larger stretches (only a
# rewrite of most of a large page) are shown removed and added whole.
LINE_DIFF_MAX_CELLS = 100_000_000
# Words x words (tokens: words, spaces, signs) of the changed middle of one
# line pair compared word by word: 1,000 x 1,000 is a long paragraph
# rewritten, which reads as well marked whole (~350,000 steps, 2.3 ms).
WORD_DIFF_MAX_CELLS = 1_000_000
# Steps for all the word marks of one diff; past it the remaining changed
# lines are marked whole. 400 pairs of 1,000-token lines where every space
# matches (29 of them compared, the rest marked whole) took 0.7 s.
WORD_DIFF_MAX_WORK = 10_000_000
# What one diff shows at most: changed lines, and bytes of table rows. Past
# either, the page says the comparison is too large to show in full, shows
# this much and links to both revisions' sources. 1,000 changed lines is more
# than anyone reads on one page; 300 KB keeps the page light on a phone (a
# rewrite of a 400 KB page sent 28.6 MB before these limits).
DIFF_MAX_CHANGED_LINES = 1_000
DIFF_MAX_HTML_BYTES = 300_000
# Characters of one line shown; the rest is cut to "…" (and a cut changed line
# means the comparison is not shown in full). Escaped and marked, 5,000
# characters are at most ~85 KB of HTML a side, so one row always fits.
DIFF_MAX_LINE_CHARS = 5_000
# Characters of a changed line's unchanged start and end kept around its
# change; beyond them it is folded to "…", as unchanged lines are.
LINE_CONTEXT_CHARS = 200

_WORD_RE = re.compile(r"\w+|\s+|[^\w\s]", re.UNICODE)
_ELLIPSIS = "\N{HORIZONTAL ELLIPSIS}"


def _differ() -> diff_match_patch:
    differ = diff_match_patch()
    differ.Diff_Timeout = DIFF_TIMEOUT_SECONDS
    return differ


@dataclass(frozen=True)
class TextDiff:
    """A side-by-side diff as table rows (``html``, safe: every chunk
    escaped), the number of lines removed and added, and whether the rows
    stop short of the whole comparison (``is_truncated``)."""

    html: SafeString
    removed_lines: int
    added_lines: int
    is_truncated: bool = False

    @property
    def is_empty(self) -> bool:
        return not (self.removed_lines or self.added_lines)


class WorkBudget:
    """Comparison steps one diff may still spend: ``spend`` says whether a
    comparison of that cost is allowed, and counts it when it is."""

    def __init__(self, limit: int):
        self.limit = limit
        self.spent = 0

    def spend(self, steps: int) -> bool:
        if self.spent + steps > self.limit:
            return False
        self.spent += steps
        return True


def _lcs_steps(old_length: int, new_length: int) -> int:
    # One row of bits for each old item, then the walk back through them:
    # each touches one row of new_length bits, 64 to a step, plus the
    # interpreter's own cost of an operation, about LCS_STEP_OVERHEAD steps.
    return (2 * old_length + new_length) * (new_length // 64 + LCS_STEP_OVERHEAD)


def _matching_pairs(old: list, new: list) -> list[tuple[int, int]]:
    """``(old index, new index)`` of a longest common subsequence, in order.

    Bit-parallel rows (Allison and Dix; Hyyrö): bit j of row i is clear where
    the LCS length of old[:i] and new[:j + 1] steps up, so each old item
    costs three operations on an integer of len(new) bits, and the walk back
    reads the lengths as bit counts. Costs ``_lcs_steps`` word steps."""
    positions: dict = {}
    for index, item in enumerate(new):
        positions.setdefault(item, []).append(index)
    masks = {item: sum(1 << index for index in found) for item, found in positions.items()}
    full = (1 << len(new)) - 1
    row = full
    rows = [row]
    for item in old:
        matches = row & masks.get(item, 0)
        row = ((row + matches) | (row - matches)) & full
        rows.append(row)

    def length(i: int, j: int) -> int:
        return j - (rows[i] & ((1 << j) - 1)).bit_count()

    pairs = []
    i, j = len(old), len(new)
    while i and j:
        here = length(i, j)
        if old[i - 1] == new[j - 1] and length(i - 1, j - 1) + 1 == here:
            i, j = i - 1, j - 1
            pairs.append((i, j))
        elif length(i - 1, j) == here:
            i -= 1
        else:
            j -= 1
    return pairs[::-1]


def _opcodes_from_pairs(pairs: list[tuple[int, int]], old_length: int, new_length: int):
    opcodes = []
    old_at = new_at = index = 0
    while index < len(pairs):
        old_start, new_start = pairs[index]
        if old_start > old_at or new_start > new_at:
            tag = "replace" if old_start > old_at and new_start > new_at else None
            tag = tag or ("delete" if old_start > old_at else "insert")
            opcodes.append((tag, old_at, old_start, new_at, new_start))
        run = 1
        while index + run < len(pairs) and pairs[index + run] == (old_start + run, new_start + run):
            run += 1
        opcodes.append(("equal", old_start, old_start + run, new_start, new_start + run))
        old_at, new_at, index = old_start + run, new_start + run, index + run
    if old_at < old_length or new_at < new_length:
        tag = "replace" if old_at < old_length and new_at < new_length else None
        tag = tag or ("delete" if old_at < old_length else "insert")
        opcodes.append((tag, old_at, old_length, new_at, new_length))
    return opcodes


def _sequence_opcodes(old: list, new: list, budget: WorkBudget, max_cells: int):
    """difflib-style opcodes from ``old`` to ``new``: their common start and
    end, and between them a longest common subsequence when it costs at most
    ``max_cells`` (len x len) and fits ``budget``, else that middle replaced
    whole. Always a correct diff; the limits only make it coarser."""
    old_length, new_length = len(old), len(new)
    start = 0
    while start < old_length and start < new_length and old[start] == new[start]:
        start += 1
    end = 0
    while (
        end < min(old_length, new_length) - start
        and old[old_length - 1 - end] == new[new_length - 1 - end]
    ):
        end += 1
    old_middle, new_middle = old[start : old_length - end], new[start : new_length - end]
    pairs = [(index, index) for index in range(start)]
    if (
        old_middle
        and new_middle
        and len(old_middle) * len(new_middle) <= max_cells
        and budget.spend(_lcs_steps(len(old_middle), len(new_middle)))
    ):
        pairs += [(start + i, start + j) for i, j in _matching_pairs(old_middle, new_middle)]
    pairs += [(old_length - end + k, new_length - end + k) for k in range(end)]
    return _opcodes_from_pairs(pairs, old_length, new_length)


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


def _line_opcodes(
    old_lines: list[str], new_lines: list[str], budget: WorkBudget | None = None
) -> list[tuple]:
    # Patience anchoring, then a bounded comparison only between anchors: a
    # page with hundreds of scattered edits costs little more than one with a
    # few, and no stretch costs more than LINE_DIFF_MAX_CELLS allows.
    budget = budget if budget is not None else WorkBudget(LINE_DIFF_MAX_WORK)
    opcodes: list[list] = []

    def add(tag, old_start, old_end, new_start, new_end):
        if opcodes and opcodes[-1][0] == tag == "equal":
            opcodes[-1][2], opcodes[-1][4] = old_end, new_end
        elif old_end > old_start or new_end > new_start:
            opcodes.append([tag, old_start, old_end, new_start, new_end])

    old_at = new_at = 0
    for old_anchor, new_anchor in [
        *_anchors(old_lines, new_lines),
        (len(old_lines), len(new_lines)),
    ]:
        stretch = _sequence_opcodes(
            old_lines[old_at:old_anchor], new_lines[new_at:new_anchor], budget, LINE_DIFF_MAX_CELLS
        )
        for tag, old_start, old_end, new_start, new_end in stretch:
            add(tag, old_at + old_start, old_at + old_end, new_at + new_start, new_at + new_end)
        if old_anchor < len(old_lines):
            add("equal", old_anchor, old_anchor + 1, new_anchor, new_anchor + 1)
        old_at, new_at = old_anchor + 1, new_anchor + 1
    return [tuple(opcode) for opcode in opcodes]


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


def _cut(text: str) -> tuple[str, bool]:
    """``text`` cut to ``DIFF_MAX_LINE_CHARS`` (with "…"), and whether it was."""
    if len(text) <= DIFF_MAX_LINE_CHARS:
        return text, False
    return text[:DIFF_MAX_LINE_CHARS] + _ELLIPSIS, True


def _marked(tag: str, text: str) -> str:
    return f"<{tag}>{escape(text)}</{tag}>" if text else ""


def _word_diff(old_line: str, new_line: str, budget: WorkBudget) -> tuple[str, str, bool]:
    """Escaped HTML of both lines with removed words in <del>, added in <ins>,
    and whether a changed part was cut (too long to show).

    The common start and end of the two lines are cut off first (cheap, and
    usually all but a word or two) and folded to ``LINE_CONTEXT_CHARS``; only
    the middle is diffed word by word, within ``WORD_DIFF_MAX_CELLS`` and
    ``budget``, else marked whole."""
    prefix = _common_prefix_length(old_line, new_line)
    suffix = _common_prefix_length(old_line[prefix:][::-1], new_line[prefix:][::-1])
    old_middle = old_line[prefix : len(old_line) - suffix]
    new_middle = new_line[prefix : len(new_line) - suffix]
    head, tail = old_line[:prefix], old_line[len(old_line) - suffix :]
    if len(head) > LINE_CONTEXT_CHARS:
        head = _ELLIPSIS + head[-LINE_CONTEXT_CHARS:]
    if len(tail) > LINE_CONTEXT_CHARS:
        tail = tail[:LINE_CONTEXT_CHARS] + _ELLIPSIS
    old_html, new_html = [escape(head)], [escape(head)]
    (old_shown, old_cut), (new_shown, new_cut) = _cut(old_middle), _cut(new_middle)
    if old_cut or new_cut:
        old_html.append(_marked("del", old_shown))
        new_html.append(_marked("ins", new_shown))
    else:
        old_tokens, new_tokens = _WORD_RE.findall(old_middle), _WORD_RE.findall(new_middle)
        opcodes = _sequence_opcodes(old_tokens, new_tokens, budget, WORD_DIFF_MAX_CELLS)
        for tag, old_start, old_end, new_start, new_end in opcodes:
            old_text = "".join(old_tokens[old_start:old_end])
            new_text = "".join(new_tokens[new_start:new_end])
            if tag == "equal":
                old_html.append(escape(old_text))
                new_html.append(escape(new_text))
                continue
            old_html.append(_marked("del", old_text))
            new_html.append(_marked("ins", new_text))
    old_html.append(escape(tail))
    new_html.append(escape(tail))
    return "".join(old_html), "".join(new_html), old_cut or new_cut


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


class _Rows:
    """The table rows of one diff, stopping for good at the first row past
    ``DIFF_MAX_CHANGED_LINES`` or ``DIFF_MAX_HTML_BYTES``."""

    def __init__(self):
        self.rows: list[str] = []
        self.size = 0
        self.changed_lines = 0
        self.is_truncated = False
        self.has_cut_line = False
        self.old_number = self.new_number = 0

    def add(self, row: str, *, is_change: bool = False) -> bool:
        if self.is_truncated:
            return False
        too_many = is_change and self.changed_lines >= DIFF_MAX_CHANGED_LINES
        size = len(row.encode())
        if too_many or self.size + size > DIFF_MAX_HTML_BYTES:
            self.is_truncated = True
            return False
        self.rows.append(row)
        self.size += size
        self.changed_lines += is_change
        return True

    def context(self, line: str) -> None:
        self.old_number += 1
        self.new_number += 1
        shown = escape(_cut(line)[0])
        self.add(_row("context", self.old_number, shown, self.new_number, shown))

    def skipped(self, count: int) -> None:
        self.old_number += count
        self.new_number += count
        self.add(_skipped_row(count))


def _add_equal_block(rows: _Rows, lines: list[str], *, is_first: bool, is_last: bool) -> None:
    head = [] if is_first else lines[:CONTEXT_LINES]
    tail = [] if is_last else lines[-CONTEXT_LINES:]
    if len(head) + len(tail) >= len(lines):
        head, tail = lines, []
    for line in head:
        rows.context(line)
    if skipped := len(lines) - len(head) - len(tail):
        rows.skipped(skipped)
    for line in tail:
        rows.context(line)


def _add_changed_block(
    rows: _Rows, deleted: list[str], inserted: list[str], budget: WorkBudget
) -> None:
    for position in range(max(len(deleted), len(inserted))):
        if rows.is_truncated:
            return
        old_line = deleted[position] if position < len(deleted) else None
        new_line = inserted[position] if position < len(inserted) else None
        old_number = rows.old_number + 1 if old_line is not None else ""
        new_number = rows.new_number + 1 if new_line is not None else ""
        if old_line is not None and new_line is not None:
            old_html, new_html, is_cut = _word_diff(old_line, new_line, budget)
            row = _row("change", old_number, old_html, new_number, new_html)
        elif old_line is not None:
            shown, is_cut = _cut(old_line)
            row = _row("delete", old_number, _marked("del", shown), "", "")
        else:
            shown, is_cut = _cut(new_line)
            row = _row("insert", "", "", new_number, _marked("ins", shown))
        if rows.add(row, is_change=True):
            rows.old_number += old_line is not None
            rows.new_number += new_line is not None
            rows.has_cut_line = rows.has_cut_line or is_cut


def diff_texts(old: str, new: str) -> TextDiff:
    """Diff two markdown texts line by line, and word by word inside changed
    lines. Returns escaped ``<tr>`` rows for a four-column table (old line
    number, old text, new line number, new text); unchanged stretches are
    folded to ``CONTEXT_LINES`` around each change.

    Pure, deterministic and bounded whatever the texts: the comparisons by
    ``LINE_DIFF_MAX_WORK`` and ``WORD_DIFF_MAX_WORK`` steps (past them, a
    coarser but correct diff), the rows by ``DIFF_MAX_CHANGED_LINES`` and
    ``DIFF_MAX_HTML_BYTES``: past those, the rows stop and ``is_truncated``
    is set (also when a changed line is longer than ``DIFF_MAX_LINE_CHARS``).
    ``removed_lines`` and ``added_lines`` always count the whole diff."""
    if (old or "") == (new or ""):
        return TextDiff(html=mark_safe(""), removed_lines=0, added_lines=0)  # noqa: S308
    old_lines, new_lines = (old or "").splitlines(), (new or "").splitlines()
    opcodes = _line_opcodes(old_lines, new_lines)
    changed = [opcode for opcode in opcodes if opcode[0] != "equal"]
    removed = sum(old_end - old_start for _, old_start, old_end, _, _ in changed)
    added = sum(new_end - new_start for _, _, _, new_start, new_end in changed)
    word_budget = WorkBudget(WORD_DIFF_MAX_WORK)
    rows = _Rows()
    for index, (tag, old_start, old_end, new_start, new_end) in enumerate(opcodes):
        if rows.is_truncated:
            break
        if tag == "equal":
            is_first, is_last = index == 0, index == len(opcodes) - 1
            lines = old_lines[old_start:old_end]
            _add_equal_block(rows, lines, is_first=is_first, is_last=is_last)
        else:
            deleted, inserted = old_lines[old_start:old_end], new_lines[new_start:new_end]
            _add_changed_block(rows, deleted, inserted, word_budget)
    # Every piece of text above went through html.escape before it was wrapped.
    return TextDiff(
        html=mark_safe("".join(rows.rows)),  # noqa: S308
        removed_lines=removed,
        added_lines=added,
        is_truncated=rows.is_truncated or rows.has_cut_line,
    )


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
