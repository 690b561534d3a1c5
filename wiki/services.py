"""The few operations that write several rows or a revision.

Each is atomic, opens the django-reversion revision, sets its user and
comment, and raises ``EditConflict`` or ``ValidationError``. Views, admin
actions, the importer and the demo loader all go through them.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass

import reversion
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.contenttypes.models import ContentType
from django.core import serializers
from django.core.exceptions import ValidationError
from django.db import IntegrityError, router, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import salted_hmac
from reversion.models import Revision, Version
from reversion.revisions import _get_options as _reversion_options

from wiki import search
from wiki.display import cached_render
from wiki.models import CrossLink, Link, Page, RevisionInfo, Vote
from wiki.rendering import parse_redirect
from wiki.titles import title_key, validate_title

logger = logging.getLogger(__name__)

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
    invalid title, and for a redirect to the page itself or one that would
    close a loop of redirects (nothing is written). Side effects: the link
    table, the pages whose links to this title change state, and the render
    cache.
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
        _check_redirect(page.title, redirect)
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
        _replace_links(page, _link_targets(rendered.targets, redirect))
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


# How far a new redirect's chain is followed when looking for a loop; longer
# chains are not followed further (reads follow one hop only, so a loop past
# this length still cannot hang a request).
MAX_REDIRECT_CHAIN = 50


def _check_redirect(title: str, redirect: tuple[str, str] | None) -> None:
    """Raise ``ValidationError`` when a page called ``title`` redirecting to
    ``redirect`` would point at itself or close a loop of stored redirects."""
    if redirect is None:
        return
    own_key = title_key(title)
    target_title = redirect[0]
    if title_key(target_title) == own_key:
        raise ValidationError(
            "A page cannot redirect to itself: %(title)s.",
            params={"title": title},
            code="redirect_to_self",
        )
    chain = [title, target_title]
    seen = {own_key}
    current = target_title
    for _ in range(MAX_REDIRECT_CHAIN):
        seen.add(title_key(current))
        next_title = (
            Page.objects.filter(key=title_key(current))
            .values_list("redirect_to", flat=True)
            .first()
        )
        if not next_title:  # a missing page or a content page ends the chain
            return
        chain.append(next_title)
        if title_key(next_title) == own_key:
            raise ValidationError(
                "This redirect would make a loop: %(chain)s.",
                params={"chain": " → ".join(chain)},
                code="redirect_loop",
            )
        if title_key(next_title) in seen:  # a loop that does not pass through this page
            return
        current = next_title


def _link_targets(body_targets: dict[str, str], redirect: tuple[str, str] | None) -> dict:
    # A redirect always links to its target, even when markdown would not turn
    # its first line into a link (an indented "#REDIRECT" is a code block).
    targets = dict(body_targets)
    if redirect is not None:
        targets.setdefault(title_key(redirect[0]), redirect[0])
    return targets


def delete_page(page: Page, user: AbstractBaseUser | None = None) -> None:
    """Delete ``page`` with its cross-links and outgoing links.

    Its revisions stay in django-reversion (``RevisionInfo`` has no database
    constraint), so an admin can recover it. Pages that link to its title are
    made to render that link as missing on their next view (their
    ``link_version`` is bumped). Atomic. ``user`` is who deleted it, for the
    log.
    """
    with transaction.atomic():
        key = page.key or title_key(page.title)
        search.remove_page(page.pk)
        page.delete()
        bump_link_versions([key])
    logger.info("Page %r deleted by %s", page.title, getattr(user, "username", None) or "nobody")


def rebuild_links() -> int:
    """Rebuild the whole link table from every page's current body, redirect
    target and cross-links, then bump every page's ``link_version`` so all
    cached HTML is rendered with fresh link state. Returns the number of
    pages. Atomic."""
    count = 0
    with transaction.atomic():
        pages = Page.objects.prefetch_related("crosslinks").order_by("pk")
        for page in pages.iterator(chunk_size=200):
            rendered = cached_render(page.body)
            _replace_links(page, _link_targets(rendered.targets, parse_redirect(page.body)))
            count += 1
        Page.objects.update(link_version=F("link_version") + 1)
    return count


VOTER_KEY_SALT = "wiki.services.voter_key_for"


def voter_key_for(user: AbstractBaseUser | None, session_key: str | None) -> str:
    """The key that names one reader's vote: ``user:<id>`` for a logged-in
    user, otherwise ``session:`` and an HMAC of the session key (keyed from
    SECRET_KEY), so the session key itself is never stored beside a vote.
    Raises ``ValueError`` when there is neither a user nor a session key."""
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    if not session_key:
        raise ValueError("An anonymous voter needs a session key.")
    digest = salted_hmac(VOTER_KEY_SALT, session_key, algorithm="sha256").hexdigest()
    return f"session:{digest}"


def record_vote(page: Page, is_useful: bool, *, voter_key: str) -> tuple[Vote, bool]:
    """Record one reader's answer about ``page`` (against its current
    revision). Returns ``(vote, created)``: a reader who answers again
    changes their vote instead of adding one. Safe under concurrent requests
    from one reader: the database's unique constraint on (page, voter_key)
    turns a lost insert race into an update."""
    revision_id = page.current_revision_id
    with transaction.atomic():
        vote = Vote.objects.select_for_update().filter(page=page, voter_key=voter_key).first()
        created = vote is None
        if created:
            try:
                with transaction.atomic():
                    vote = Vote.objects.create(
                        page=page, revision_id=revision_id, is_useful=is_useful, voter_key=voter_key
                    )
            except IntegrityError:
                # Another request of the same reader inserted first.
                created = False
                vote = Vote.objects.select_for_update().get(page=page, voter_key=voter_key)
        if not created:
            vote.is_useful = is_useful
            vote.revision_id = revision_id
            vote.save(update_fields=["is_useful", "revision", "updated_at"])
    return vote, created


def revert_page(
    page: Page, revision_id: int, *, user: AbstractBaseUser | None = None
) -> SaveResult:
    """Make revision ``revision_id`` of ``page`` current again, as a new
    revision (nothing is rewritten or deleted) whose body, metadata and
    cross-links equal that revision's, keeping the page's current title.
    Summary: "Reverted to revision <id> of DATE by USER". Raises
    ``Page.DoesNotExist`` when the id is not a revision of this page, and
    ``ValidationError`` as ``save_page`` does. Returns ``changed=False`` when
    the page already holds that content."""
    from wiki.revisions import revision_content

    info = (
        RevisionInfo.objects.select_related("revision", "revision__user")
        .filter(page_id=page.pk, revision_id=revision_id)
        .first()
    )
    content = revision_content(page, revision_id) if info else None
    if content is None:
        raise Page.DoesNotExist(f"{revision_id} is not a revision of {page.title}")
    author = info.revision.user.get_username() if info.revision.user else "an unknown user"
    date = info.revision.date_created.strftime("%Y-%m-%d %H:%M UTC")
    return save_page(
        page.title,
        content.body,
        user=user,
        summary=f"Reverted to revision {revision_id} of {date} by {author}",
        metadata=content.metadata,
        crosslinks=content.crosslinks,
    )


def move_page(
    page: Page, new_title: str, *, user: AbstractBaseUser | None = None, summary: str = ""
) -> Page:
    """Rename ``page`` to ``new_title`` as a new revision; its history moves
    with it (same row). The old title becomes a redirect page to the new one
    (unless only the letter case changed). Moving onto an existing page is
    refused with ``ValidationError`` unless that page is only a redirect to
    this one, which is then deleted (its revisions stay, recoverable in the
    admin). Bumps the link state of pages linking to either title."""
    new_title = validate_title(new_title)
    old_title = page.title
    reason = f"Moved [[{old_title}]] to [[{new_title}]]"
    if summary.strip():
        reason += f": {summary.strip()}"
    with transaction.atomic():
        page = Page.objects.select_for_update().get(pk=page.pk)
        if new_title == page.title:
            raise ValidationError("The new title is the same as the current one.")
        occupant = Page.objects.select_for_update().filter(key=title_key(new_title)).first()
        if occupant is not None and occupant.pk != page.pk:
            if title_key(occupant.redirect_to) != page.key or not occupant.is_redirect:
                raise ValidationError(
                    "A page called %(title)s already exists. Choose another title, "
                    "or rename that page first.",
                    params={"title": occupant.title},
                )
            delete_page(occupant, user)
        old_key = page.key
        page.title = new_title
        _save_revision(page, user=user, summary=reason, date=None, size_change=0, crosslinks=None)
        if old_key != page.key:
            save_page(old_title, f"#REDIRECT [[{new_title}]]", user=user, summary=reason)
        bump_link_versions({old_key, page.key})
    return page


def recover_page(page_id: int, *, user: AbstractBaseUser | None = None) -> Page:
    """Bring back a page deleted in the admin, with the same id, so its whole
    history (RevisionInfo rows and django-reversion versions, which deletion
    keeps) is its history again. Its content is its newest revision's (title,
    body, metadata, cross-links), saved as a new revision "Recovered after
    deletion"; the link table and the link state of pages linking to it are
    rebuilt. Read defensively, never with ``Revision.revert()``. Raises
    ``ValidationError`` when the page exists, has no history, or another page
    has its title by now."""
    from wiki.revisions import revision_contents

    with transaction.atomic():
        if Page.objects.filter(pk=page_id).exists():
            raise ValidationError("This page exists; there is nothing to recover.")
        info = RevisionInfo.objects.filter(page_id=page_id).order_by("-revision_id").first()
        if info is None:
            raise ValidationError("This page has no saved revisions to recover.")
        content = revision_contents(Page(pk=page_id), [info.revision_id])[info.revision_id]
        title = validate_title(content.title)
        if Page.objects.filter(key=title_key(title)).exists():
            raise ValidationError(
                "Another page is called %(title)s now. Move it away first, then recover.",
                params={"title": title},
            )
        page = Page(pk=page_id, title=title, body=content.body, **content.metadata)
        redirect = parse_redirect(page.body)
        page.redirect_to, page.redirect_fragment = redirect or ("", "")
        _save_revision(
            page,
            user=user,
            summary="Recovered after deletion",
            date=None,
            size_change=page.size - info.size,
            crosslinks=_clean_crosslinks(content.crosslinks),
        )
        _replace_links(
            page, _link_targets(cached_render(page.body).targets, parse_redirect(page.body))
        )
        search.index_page(page)
        bump_link_versions([page.key])
    return page


def import_page_history(
    title: str, revisions: list[dict], *, users: dict[str, AbstractBaseUser]
) -> Page | None:
    """Create page ``title`` with ``revisions`` (oldest first; each a dict
    with body and optional summary, author, date (aware datetime), metadata
    (changes from the previous revision) and crosslinks (None keeps the
    previous ones)) as real django-reversion revisions, each with its Version
    rows and RevisionInfo, dated as given.

    The batched equivalent of calling ``save_page`` once per revision: the
    rows of all revisions are written with a few bulk inserts, and the body is
    rendered and the link table built once, for the last revision. Cross-link
    rows of earlier revisions are created and then deleted, as editing would
    have done, so every version names a row that once existed. Returns None
    (and writes nothing) when a page with this title already exists."""
    title = validate_title(title)
    states = []
    metadata: dict = {"article_date": None, "source_url": "", "source_name": ""}
    crosslinks: list[tuple] = []
    for item in revisions:
        metadata.update(
            {
                name: value
                for name, value in (item.get("metadata") or {}).items()
                if name in METADATA_FIELDS
            }
        )
        if item.get("crosslinks") is not None:
            crosslinks = _clean_crosslinks(item["crosslinks"])
        states.append((item, dict(metadata), list(crosslinks)))
    with transaction.atomic():
        if Page.objects.filter(key=title_key(title)).exists():
            return None
        page = Page(title=title)
        _apply_state(page, states[-1])
        page.save()
        link_rows = _import_crosslink_rows(page, states)
        revision_rows = Revision.objects.bulk_create(
            Revision(
                date_created=item.get("date") or timezone.now(),
                user=users.get(item.get("author") or ""),
                comment=(item.get("summary") or "")[:2000],
            )
            for item, _, _ in states
        )
        versions, infos = [], []
        snapshot = Page(pk=page.pk, title=title)
        previous_size = 0
        for revision, state in zip(revision_rows, states, strict=True):
            _apply_state(snapshot, state)
            snapshot.__dict__.pop("size", None)
            versions.append(_version(revision, snapshot, snapshot.pk))
            for position, link in enumerate(state[2]):
                row = link_rows[(position, link)]
                versions.append(_version(revision, row, row.pk))
            infos.append(
                RevisionInfo(
                    revision=revision,
                    page=page,
                    title=title,
                    size=snapshot.size,
                    size_change=snapshot.size - previous_size,
                )
            )
            previous_size = snapshot.size
        Version.objects.bulk_create(versions)
        RevisionInfo.objects.bulk_create(infos)
        final_links = {(position, link) for position, link in enumerate(states[-1][2])}
        CrossLink.objects.filter(page=page).exclude(
            pk__in=[link_rows[key].pk for key in final_links]
        ).delete()
        Page.objects.filter(pk=page.pk).update(current_revision=revision_rows[-1])
        page.current_revision = revision_rows[-1]
        _replace_links(
            page, _link_targets(cached_render(page.body).targets, parse_redirect(page.body))
        )
        search.index_page(page)
        bump_link_versions([page.key])
    return page


def _apply_state(page: Page, state: tuple) -> None:
    item, metadata, _ = state
    page.body = item["body"]
    for name, value in metadata.items():
        setattr(page, name, value)
    redirect = parse_redirect(page.body)
    page.redirect_to, page.redirect_fragment = redirect or ("", "")


def _import_crosslink_rows(page: Page, states: list[tuple]) -> dict[tuple, CrossLink]:
    """One CrossLink row for every (position, cross-link) the history holds."""
    wanted = {(position, link) for _, _, links in states for position, link in enumerate(links)}
    keys = sorted(wanted, key=repr)
    rows = CrossLink.objects.bulk_create(
        CrossLink(
            page=page,
            kind=kind,
            target_title=target,
            note_date=note_date,
            label=label,
            position=position,
        )
        for position, (kind, target, note_date, label) in keys
    )
    return dict(zip(keys, rows, strict=True))


def _version(revision: Revision, obj, object_id) -> Version:
    # The same serialization django-reversion's own add_to_revision makes
    # (its registration options: fields, format), so the history of an
    # imported page reads exactly like the history of an edited one.
    options = _reversion_options(type(obj))
    return Version(
        revision=revision,
        content_type=ContentType.objects.get_for_model(type(obj)),
        object_id=str(object_id),
        db=router.db_for_write(type(obj)),
        format=options.format,
        serialized_data=serializers.serialize(options.format, (obj,), fields=options.fields),
        object_repr=str(obj),
    )
