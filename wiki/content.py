"""The one shape of a page's content: body, metadata and cross-links.

Forms, services, revisions, diff and import/export pass these frozen values
around; they are made from a page, a stored django-reversion version or the
edit form only here, at the edges. ``clean()`` is the one check of what a
cross-link may hold. This module imports no wiki model (models import it),
so every wiki module may import it.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from django.core.exceptions import ValidationError
from django.utils.dateparse import parse_date

from wiki.titles import canonical_title, validate_title

# The page's metadata fields, with the value a page without them holds.
METADATA_FIELDS = ("article_date", "source_url", "source_name")
_EMPTY_METADATA = {"article_date": None, "source_url": "", "source_name": ""}

# Cross-link kinds: a "Related pages" entry, or a dated "see separate page" note.
RELATED = "related"
SEE_SEPARATE = "see"
CROSSLINK_KINDS = {RELATED: "Related page", SEE_SEPARATE: "See separate page"}
KIND_CHOICES = list(CROSSLINK_KINDS.items())


def empty_metadata() -> dict:
    """The metadata of a page that sets none: no article date, no source."""
    return dict(_EMPTY_METADATA)


@dataclass(frozen=True)
class CrossLinkContent:
    """One cross-link as content: its kind, target title, optional note date
    and label. Has the attributes every cross-link display reads."""

    kind: str
    target_title: str
    note_date: datetime.date | None = None
    label: str = ""

    @classmethod
    def from_mapping(cls, item: Mapping) -> CrossLinkContent:
        """From a dict with ``target_title`` and optional ``kind`` (related
        when absent), ``note_date`` and ``label``: the keyword form that
        ``save_page`` callers and the demo pages use."""
        return cls(
            kind=item.get("kind") or RELATED,
            target_title=item.get("target_title") or "",
            note_date=item.get("note_date"),
            label=item.get("label") or "",
        )

    def normalized(self) -> CrossLinkContent:
        """The same cross-link as it is stored: canonical target title,
        label without surrounding space, related when no kind is given."""
        return replace(
            self,
            kind=self.kind or RELATED,
            target_title=canonical_title(self.target_title),
            label=self.label.strip(),
        )

    def clean(self) -> CrossLinkContent:
        """The normalized cross-link, or ``ValidationError`` for an unknown
        kind or a target that cannot be a title."""
        link = self.normalized()
        if link.kind not in CROSSLINK_KINDS:
            raise ValidationError(f"Unknown cross-link kind: {link.kind!r}", code="unknown_kind")
        return replace(link, target_title=validate_title(link.target_title))


@dataclass(frozen=True)
class PageContent:
    """What one revision of a page holds besides its title: the markdown
    body, the metadata (a dict of every name in ``METADATA_FIELDS``) and the
    cross-links in display order. Equal contents are the same edit."""

    body: str
    # Excluded from the hash (a dict has none); still compared.
    metadata: dict = field(default_factory=empty_metadata, hash=False)
    crosslinks: tuple[CrossLinkContent, ...] = ()

    @classmethod
    def from_page(cls, page) -> PageContent:
        """The page's current content, from its row and its cross-link rows
        (one query unless prefetched; none for an unsaved page)."""
        links = () if page.pk is None else page.crosslinks.all()
        return cls(
            body=page.body,
            metadata={name: getattr(page, name) for name in METADATA_FIELDS},
            crosslinks=tuple(
                CrossLinkContent(link.kind, link.target_title, link.note_date, link.label)
                for link in links
            ),
        )

    @classmethod
    def from_version(cls, version, crosslink_versions: Iterable | None = None) -> PageContent:
        """The content a stored django-reversion ``Version`` of a page holds,
        read defensively: the JSON is never deserialized into a model, fields
        an old version lacks take their defaults and unknown ones are
        ignored. ``crosslink_versions`` are the versions of cross-links in
        the same revision (those of other pages are skipped); when None they
        are read from the revision (one query)."""
        if crosslink_versions is None:
            crosslink_versions = type(version).objects.filter(
                revision_id=version.revision_id,
                content_type__app_label="wiki",
                content_type__model="crosslink",
            )
        fields = stored_fields(version)
        links = [stored_fields(link) for link in crosslink_versions]
        own = [link for link in links if str(link.get("page")) == str(version.object_id)]
        return cls(
            body=_text(fields.get("body")),
            metadata={
                "article_date": _date(fields.get("article_date")),
                "source_url": _text(fields.get("source_url")),
                "source_name": _text(fields.get("source_name")),
            },
            crosslinks=tuple(_stored_crosslink(link) for link in sorted(own, key=_stored_order)),
        )

    @classmethod
    def from_form(cls, form, formset) -> PageContent:
        """The content a valid edit form and cross-link formset describe;
        empty and deleted cross-link rows are skipped. Not cleaned: the save
        service cleans, for every caller alike."""
        data = form.cleaned_data
        return cls(
            body=data["body"],
            metadata={name: data[name] for name in METADATA_FIELDS},
            crosslinks=tuple(
                CrossLinkContent(
                    kind=row.cleaned_data["kind"],
                    target_title=row.cleaned_data["target_title"],
                    note_date=row.cleaned_data["note_date"],
                    label=row.cleaned_data["label"],
                )
                for row in formset.forms
                if row.has_changed() and row.cleaned_data and not row.cleaned_data.get("DELETE")
            ),
        )

    @property
    def size(self) -> int:
        """The body's size in bytes (UTF-8), as history lists show it."""
        return len(self.body.encode("utf-8"))

    def edited(
        self,
        body: str,
        metadata: Mapping | None = None,
        crosslinks: Iterable[CrossLinkContent] | None = None,
    ) -> PageContent:
        """This content with ``body``, the metadata fields ``metadata`` names
        set (the others kept) and, unless None, ``crosslinks`` instead of its
        own."""
        return PageContent(
            body=body,
            metadata={**self.metadata, **(metadata or {})},
            crosslinks=self.crosslinks if crosslinks is None else tuple(crosslinks),
        )

    def clean(self) -> PageContent:
        """This content with every cross-link cleaned (``CrossLinkContent.clean``);
        raises ``ValidationError`` for the first that cannot be stored."""
        return replace(self, crosslinks=tuple(link.clean() for link in self.crosslinks))


def stored_fields(version) -> dict:
    """The ``fields`` of a stored version's JSON, or {} when it holds none."""
    try:
        fields = json.loads(version.serialized_data)[0]["fields"]
    except (ValueError, KeyError, IndexError, TypeError):
        return {}
    return fields if isinstance(fields, dict) else {}


def _text(value) -> str:
    return value if isinstance(value, str) else ""


def _date(value) -> datetime.date | None:
    if not isinstance(value, str):
        return None
    try:
        return parse_date(value)
    except ValueError:
        return None


def _stored_crosslink(fields: dict) -> CrossLinkContent:
    # An old version may hold a kind we no longer know: show it as related.
    kind = fields.get("kind")
    return CrossLinkContent(
        kind=kind if kind in CROSSLINK_KINDS else RELATED,
        target_title=_text(fields.get("target_title")),
        note_date=_date(fields.get("note_date")),
        label=_text(fields.get("label")),
    )


def _stored_order(fields: dict) -> tuple:
    # The order of wiki.models.CrossLink's Meta.ordering: kind, then position.
    position = fields.get("position")
    return (fields.get("kind") or "", position if isinstance(position, int) else 0)
