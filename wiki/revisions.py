"""Reading old revisions, defensively, and merging an edit made on a stale base.

django-reversion stores each revision's Page and CrossLink rows as serialized
JSON. We never deserialize them into model instances (that breaks when the
Page model gains or loses a field): we read the JSON and take the fields we
know, with defaults for the ones an old version lacks, and ignore the rest.
History lists never come here: they read ``RevisionInfo`` rows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.utils.dateparse import parse_date
from reversion.models import Version

from wiki.diff import merge_texts
from wiki.models import CrossLink, Page, RevisionInfo
from wiki.titles import canonical_title

METADATA_FIELDS = ("article_date", "source_url", "source_name")
# django-reversion's Revision.id is an AutoField: a larger id (from a URL or a
# form) names no revision, and would overflow the database's integer in a query.
MAX_REVISION_ID = 2**31 - 1


@dataclass(frozen=True)
class RevisionContent:
    """What a page held at one revision: title, body, metadata (a dict of
    ``METADATA_FIELDS``) and cross-links (dicts with kind, target_title,
    note_date, label, in display order)."""

    revision_id: int
    title: str
    body: str
    metadata: dict = field(default_factory=dict)
    crosslinks: list[dict] = field(default_factory=list)


def _fields(serialized_data: str) -> dict:
    try:
        data = json.loads(serialized_data)
        fields = data[0]["fields"]
    except (ValueError, KeyError, IndexError, TypeError):
        return {}
    return fields if isinstance(fields, dict) else {}


def _text(value) -> str:
    return value if isinstance(value, str) else ""


def _date(value):
    if not isinstance(value, str):
        return None
    try:
        return parse_date(value)
    except ValueError:
        return None


def _crosslink(fields: dict) -> dict:
    kind = fields.get("kind")
    return {
        "kind": kind if kind in {CrossLink.RELATED, CrossLink.SEE_SEPARATE} else CrossLink.RELATED,
        "target_title": _text(fields.get("target_title")),
        "note_date": _date(fields.get("note_date")),
        "label": _text(fields.get("label")),
    }


def _crosslink_order(fields: dict) -> tuple:
    position = fields.get("position")
    return (
        fields.get("kind") or "",
        position if isinstance(position, int) else 0,
    )


def revision_contents(page: Page, revision_ids) -> dict[int, RevisionContent]:
    """Return ``{revision_id: RevisionContent}`` for those of ``revision_ids``
    that are revisions of ``page`` (one query for the facts, one for the
    versions). Fields missing from an old version take their defaults;
    unknown fields are ignored."""
    revision_ids = [number for number in revision_ids if 0 < number <= MAX_REVISION_ID]
    infos = {
        info.revision_id: info
        for info in RevisionInfo.objects.filter(page_id=page.pk, revision_id__in=revision_ids)
    }
    if not infos:
        return {}
    page_type = ContentType.objects.get_for_model(Page)
    crosslink_type = ContentType.objects.get_for_model(CrossLink)
    page_fields: dict[int, dict] = {}
    crosslink_fields: dict[int, list[dict]] = {revision_id: [] for revision_id in infos}
    versions = Version.objects.filter(
        revision_id__in=list(infos), content_type_id__in=[page_type.pk, crosslink_type.pk]
    ).values_list("revision_id", "content_type_id", "object_id", "serialized_data")
    for revision_id, content_type_id, object_id, serialized_data in versions:
        fields = _fields(serialized_data)
        if content_type_id == page_type.pk and object_id == str(page.pk):
            page_fields[revision_id] = fields
        elif content_type_id == crosslink_type.pk and fields.get("page") == page.pk:
            crosslink_fields[revision_id].append(fields)
    contents = {}
    for revision_id, info in infos.items():
        fields = page_fields.get(revision_id, {})
        links = sorted(crosslink_fields[revision_id], key=_crosslink_order)
        contents[revision_id] = RevisionContent(
            revision_id=revision_id,
            title=_text(fields.get("title")) or info.title,
            body=_text(fields.get("body")),
            metadata={
                "article_date": _date(fields.get("article_date")),
                "source_url": _text(fields.get("source_url")),
                "source_name": _text(fields.get("source_name")),
            },
            crosslinks=[_crosslink(link) for link in links],
        )
    return contents


def revision_content(page: Page, revision_id: int) -> RevisionContent | None:
    """The content of one revision of ``page``, or None when ``revision_id``
    is not a revision of this page."""
    return revision_contents(page, [revision_id]).get(revision_id)


def current_content(page: Page) -> RevisionContent:
    """The page's current content, read from the live rows."""
    return RevisionContent(
        revision_id=page.current_revision_id or 0,
        title=page.title,
        body=page.body,
        metadata={name: getattr(page, name) for name in METADATA_FIELDS},
        crosslinks=[
            {
                "kind": link.kind,
                "target_title": link.target_title,
                "note_date": link.note_date,
                "label": link.label,
            }
            for link in page.crosslinks.all()
        ],
    )


@dataclass(frozen=True)
class MergedEdit:
    body: str
    metadata: dict
    crosslinks: list[dict] | None


def _merge_value(base, theirs, yours):
    """Three-way merge of one whole value: (merged, is_clean)."""
    if yours in (base, theirs):
        return theirs, True
    if theirs == base:
        return yours, True
    return theirs, False


def merge_edit(
    page: Page,
    base_revision_id: int | None,
    body: str,
    metadata: dict,
    crosslinks: list[dict] | None,
) -> MergedEdit | None:
    """Merge an edit started from ``base_revision_id`` with the page as it is
    now. Returns the merged content, or None when the base is not a revision
    of this page or the two edits touch the same text or the same field.
    Text is merged with diff-match-patch patches (bounded in time)."""
    if not base_revision_id:
        return None
    base = revision_content(page, base_revision_id)
    if base is None:
        return None
    theirs = current_content(page)
    merged_body = merge_texts(base.body, theirs.body, body)
    if merged_body is None:
        return None
    merged_metadata = {}
    for name, value in metadata.items():
        merged, is_clean = _merge_value(base.metadata.get(name), theirs.metadata.get(name), value)
        if not is_clean:
            return None
        merged_metadata[name] = merged
    merged_crosslinks = None
    if crosslinks is not None:
        merged_crosslinks, is_clean = _merge_value(
            _comparable(base.crosslinks), _comparable(theirs.crosslinks), _comparable(crosslinks)
        )
        if not is_clean:
            return None
        merged_crosslinks = [
            dict(zip(_CROSSLINK_KEYS, item, strict=True)) for item in merged_crosslinks
        ]
    return MergedEdit(body=merged_body, metadata=merged_metadata, crosslinks=merged_crosslinks)


_CROSSLINK_KEYS = ("kind", "target_title", "note_date", "label")


def _comparable(crosslinks: list[dict]) -> list[tuple]:
    return [
        (
            item.get("kind") or CrossLink.RELATED,
            canonical_title(item.get("target_title") or ""),
            item.get("note_date"),
            (item.get("label") or "").strip(),
        )
        for item in crosslinks
    ]
