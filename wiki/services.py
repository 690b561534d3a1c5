"""The few operations that write several rows or a revision.

Each is atomic, opens the django-reversion revision, sets its user and
comment, and raises ``EditConflict`` or ``ValidationError``. Views, admin
actions, the importer and the demo loader all go through them.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import reversion
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from reversion.models import Revision

from wiki import search
from wiki.models import CrossLink, Link, Page, RevisionInfo
from wiki.rendering import cached_render, parse_redirect
from wiki.titles import title_key, validate_title

METADATA_FIELDS = ("article_date", "source_url", "source_name")


class EditConflict(Exception):
    """The page changed after the edit started (``base_revision`` is stale)."""

    def __init__(self, page: Page, base_revision_id: int | None):
        super().__init__(f"{page.title} changed since revision {base_revision_id}")
        self.page = page
        self.base_revision_id = base_revision_id


@dataclass
class SaveResult:
    page: Page
    revision: Revision | None
    created: bool
    changed: bool


def save_page(
    title: str,
    body: str,
    *,
    user: AbstractBaseUser | None = None,
    summary: str = "",
    base_revision_id: int | None = None,
    metadata: dict | None = None,
    crosslinks: list[dict] | None = None,
    date: datetime.datetime | None = None,
) -> SaveResult:
    """Create or update the page called ``title`` as a new revision.

    ``metadata`` may set ``article_date``, ``source_url`` and ``source_name``
    (absent keys keep their value). ``crosslinks`` replaces the page's
    cross-links, a list of dicts with ``kind``, ``target_title``, and optional
    ``note_date`` and ``label``, in display order (None keeps them). Saving
    text, metadata and cross-links equal to the current ones writes nothing and
    returns ``changed=False``. The page row is
    locked for the whole transaction, so two saves of one page never
    interleave. When ``base_revision_id`` is given and is not the page's
    current revision, raises ``EditConflict`` and writes nothing.
    ``date`` backdates the revision (import). Raises ``ValidationError`` for an
    invalid title. Side effects: the link table, the pages whose links to this
    title change state, and the render cache.
    """
    title = validate_title(title)
    metadata = {name: value for name, value in (metadata or {}).items() if name in METADATA_FIELDS}
    with transaction.atomic():
        page = Page.objects.select_for_update().filter(key=title_key(title)).first()
        created = page is None
        if created:
            page = Page(title=title)
        elif base_revision_id is not None and base_revision_id != page.current_revision_id:
            raise EditConflict(page, base_revision_id)

        new_crosslinks = None if crosslinks is None else _clean_crosslinks(crosslinks)
        unchanged = (
            not created
            and page.body == body
            and all(getattr(page, name) == value for name, value in metadata.items())
            and (new_crosslinks is None or new_crosslinks == _crosslink_tuples(page))
        )
        if unchanged:
            return SaveResult(page=page, revision=None, created=False, changed=False)

        previous_size = 0 if created else page.size
        page.__dict__.pop("size", None)
        page.body = body
        for name, value in metadata.items():
            setattr(page, name, value)
        redirect = parse_redirect(body)
        page.redirect_to, page.redirect_fragment = redirect or ("", "")

        revision = _save_revision(
            page,
            user=user,
            summary=summary,
            date=date,
            size_change=page.size - previous_size,
            crosslinks=new_crosslinks,
        )
        rendered = cached_render(body)
        _replace_links(page, rendered.targets)
        if created:
            bump_link_versions([page.key])
    return SaveResult(page=page, revision=revision, created=created, changed=True)


def _clean_crosslinks(crosslinks: list[dict]) -> list[tuple]:
    cleaned = []
    for item in crosslinks:
        kind = item.get("kind") or CrossLink.RELATED
        if kind not in {CrossLink.RELATED, CrossLink.SEE_SEPARATE}:
            raise ValidationError(f"Unknown cross-link kind: {kind!r}")
        target = validate_title(item.get("target_title") or "")
        cleaned.append((kind, target, item.get("note_date"), (item.get("label") or "").strip()))
    return cleaned


def _crosslink_tuples(page: Page) -> list[tuple]:
    return [
        (link.kind, link.target_title, link.note_date, link.label) for link in page.crosslinks.all()
    ]


def _save_revision(page, *, user, summary, date, size_change, crosslinks) -> Revision:
    with reversion.create_revision(atomic=False):
        page.save()
        if crosslinks is not None:
            page.crosslinks.all().delete()
            CrossLink.objects.bulk_create(
                CrossLink(
                    page=page,
                    kind=kind,
                    target_title=target,
                    note_date=note_date,
                    label=label,
                    position=position,
                )
                for position, (kind, target, note_date, label) in enumerate(crosslinks)
            )
            # Serialize the page again so the revision follows its new cross-links.
            reversion.add_to_revision(page)
        if user is not None and user.is_authenticated:
            reversion.set_user(user)
        reversion.set_comment(summary[:2000])
        if date is not None:
            reversion.set_date_created(date)
        reversion.add_meta(
            RevisionInfo, page=page, title=page.title, size=page.size, size_change=size_change
        )
    info = (
        RevisionInfo.objects.filter(page_id=page.pk)
        .select_related("revision")
        .order_by("-revision_id")
        .first()
    )
    Page.objects.filter(pk=page.pk).update(current_revision=info.revision)
    page.current_revision = info.revision
    # Every revision (save, and a move or recovery built on this function)
    # brings the search index up to date in the same transaction.
    search.index_page(page)
    return info.revision


def _replace_links(page: Page, targets: dict[str, str]) -> None:
    targets = dict(targets)
    for crosslink in page.crosslinks.all():
        targets.setdefault(title_key(crosslink.target_title), crosslink.target_title)
    Link.objects.filter(source=page).delete()
    Link.objects.bulk_create(
        Link(source=page, target_key=key, target_title=target_title)
        for key, target_title in targets.items()
    )


def bump_link_versions(keys) -> int:
    """Make every page that links to one of ``keys`` render its links afresh
    (a page with such a title appeared or disappeared). Returns how many."""
    keys = list(keys)
    if not keys:
        return 0
    return Page.objects.filter(
        pk__in=Link.objects.filter(target_key__in=keys).values("source_id")
    ).update(link_version=F("link_version") + 1)
