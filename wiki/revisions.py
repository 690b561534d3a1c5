"""Reading old revisions, defensively.

django-reversion stores each revision's Page and CrossLink rows as serialized
JSON. We never deserialize them into model instances (that breaks when the
Page model gains or loses a field): ``wiki.content.PageContent.from_version``
reads the JSON and takes the fields we know, with defaults for the ones an
old version lacks, and ignores the rest. History lists never come here: they
read ``RevisionInfo`` rows.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from reversion.models import Version

from wiki.content import PageContent, stored_fields
from wiki.models import CrossLink, Page, RevisionInfo

# django-reversion's Revision.id is an AutoField: a larger id (from a URL or a
# form) names no revision, and would overflow the database's integer in a query.
MAX_REVISION_ID = 2**31 - 1


@dataclass(frozen=True, kw_only=True)
class RevisionContent(PageContent):
    """A page's content at one revision, with that revision's id and the
    title the page had then. Compares equal only to another RevisionContent
    (dataclass equality); compare its fields with a ``PageContent``."""

    revision_id: int
    title: str


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
    page_versions: dict[int, Version] = {}
    crosslink_versions: dict[int, list[Version]] = defaultdict(list)
    versions = Version.objects.filter(
        revision_id__in=list(infos), content_type_id__in=[page_type.pk, crosslink_type.pk]
    ).only("revision_id", "content_type_id", "object_id", "serialized_data")
    for version in versions:
        if version.content_type_id == crosslink_type.pk:
            crosslink_versions[version.revision_id].append(version)
        elif version.object_id == str(page.pk):
            page_versions[version.revision_id] = version
    contents = {}
    for revision_id, info in infos.items():
        version = page_versions.get(revision_id)
        if version is None:  # never written so; read as an empty page
            content, title = PageContent(body=""), ""
        else:
            content = PageContent.from_version(version, crosslink_versions[revision_id])
            title = stored_fields(version).get("title")
        contents[revision_id] = RevisionContent(
            revision_id=revision_id,
            title=title if isinstance(title, str) and title else info.title,
            body=content.body,
            metadata=content.metadata,
            crosslinks=content.crosslinks,
        )
    return contents


def revision_content(page: Page, revision_id: int) -> RevisionContent | None:
    """The content of one revision of ``page``, or None when ``revision_id``
    is not a revision of this page."""
    return revision_contents(page, [revision_id]).get(revision_id)
