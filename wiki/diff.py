"""Revision diffs and the three-way merge of concurrent edits.

Both use diff-match-patch (Apache-2.0) with a time limit, so that no request
hangs on two large texts. The diff is line by line (lines mapped to single
characters, which makes a 1 MB page fast), then word by word inside each
changed pair of lines. Every chunk of text is escaped before it is wrapped in
markup; this module and ``wiki.rendering`` are the only ones that call
``mark_safe``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import escape

from diff_match_patch import diff_match_patch
from django.utils.safestring import SafeString, mark_safe

# Seconds diff-match-patch may spend on one diff before it settles for a
# coarser (still correct) answer.
DIFF_TIMEOUT_SECONDS = 1.0
# Unchanged lines shown around each change.
CONTEXT_LINES = 2
# A merge patch must match the newer text this closely to apply (0 = exactly).
MERGE_MATCH_THRESHOLD = 0.2
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


def _line_diffs(old: str, new: str) -> list[tuple[int, list[str]]]:
    differ = _differ()
    old_chars, new_chars, lines = differ.diff_linesToChars(old, new)
    diffs = differ.diff_main(old_chars, new_chars, False)
    differ.diff_charsToLines(diffs, lines)
    return [(operation, text.splitlines()) for operation, text in diffs if text]


def _tokens_to_chars(old_tokens, new_tokens):
    index: dict[str, str] = {}
    vocabulary: list[str] = []

    def encode(tokens):
        out = []
        for token in tokens:
            character = index.get(token)
            if character is None:
                character = chr(len(vocabulary) + 1)
                index[token] = character
                vocabulary.append(token)
            out.append(character)
        return "".join(out)

    return encode(old_tokens), encode(new_tokens), vocabulary


def _word_diff(old_line: str, new_line: str) -> tuple[str, str]:
    """Escaped HTML of both lines with removed words in <del>, added in <ins>."""
    old_tokens, new_tokens = _WORD_RE.findall(old_line), _WORD_RE.findall(new_line)
    if len(old_tokens) + len(new_tokens) > 1_000_000:
        return f"<del>{escape(old_line)}</del>", f"<ins>{escape(new_line)}</ins>"
    old_chars, new_chars, vocabulary = _tokens_to_chars(old_tokens, new_tokens)
    differ = _differ()
    diffs = differ.diff_main(old_chars, new_chars, False)
    differ.diff_cleanupSemantic(diffs)
    old_html, new_html = [], []
    for operation, chars in diffs:
        text = escape("".join(vocabulary[ord(character) - 1] for character in chars))
        if operation == EQUAL:
            old_html.append(text)
            new_html.append(text)
        elif operation == DELETE:
            old_html.append(f"<del>{text}</del>")
        else:
            new_html.append(f"<ins>{text}</ins>")
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
    folded to ``CONTEXT_LINES`` around each change. Pure and bounded in time."""
    blocks = _line_diffs(old or "", new or "")
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
                old_html, new_html = _word_diff(old_line, new_line)
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


def _crosslink_text(item: dict) -> str:
    kind = "See separate page" if item.get("kind") == "see" else "Related page"
    text = f"{kind}: {item.get('target_title', '')}"
    if item.get("note_date"):
        text += f" ({item['note_date'].isoformat()})"
    if item.get("label"):
        text += f" \N{EM DASH} {item['label']}"
    return text


def _metadata_text(name: str, value) -> str:
    if name == "crosslinks":
        return "\n".join(_crosslink_text(item) for item in value or [])
    if value is None:
        return ""
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def diff_metadata(old: dict, new: dict) -> list[tuple[str, str, str]]:
    """Changed metadata between two revisions, as ``(label, old, new)``
    plain-text triples (the template escapes them). ``old`` and ``new`` hold
    any of title, article_date, source_url, source_name and crosslinks."""
    changes = []
    for name, label in METADATA_LABELS.items():
        if name not in old and name not in new:
            continue
        before, after = _metadata_text(name, old.get(name)), _metadata_text(name, new.get(name))
        if before != after:
            changes.append((label, before, after))
    return changes


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
    # Text moved far by the other edit still counts as found.
    differ.Match_Distance = max(1000, len(theirs))
    patches = differ.patch_make(base, yours)
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
