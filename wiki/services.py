"""The few operations that write several rows or a revision.

Each is atomic, opens the django-reversion revision, sets its user and
comment, and raises ``EditConflict`` or ``ValidationError``. Views, admin
actions, the importer and the demo loader all go through them. Every
revision is made by one step, ``_commit_revision``.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

import reversion
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import salted_hmac
from reversion.models import Revision

from wiki import glossary, purge, search
from wiki.content import METADATA_FIELDS, CrossLinkContent, PageContent
from wiki.diff import merge_texts
from wiki.display import cached_render
from wiki.models import (
    MAX_GLOSSARY_DEFINITION_LENGTH,
    MAX_GLOSSARY_SUMMARY_LENGTH,
    MAX_REVIEW_NOTE_LENGTH,
    MAX_REVIEWER_LENGTH,
    Category,
    CrossLink,
    GlossaryName,
    GlossaryRevision,
    GlossaryTerm,
    Link,
    Page,
    PageCategory,
    PageReview,
    ProblemReason,
    ProblemReport,
    RevisionInfo,
    Vote,
)
from wiki.render_cache import prepared_renders
from wiki.rendering import MarkupTooComplex, parse_redirect
from wiki.reviews import add_months, check_review_dates, review_interval_months, today
from wiki.revisions import revision_content, revision_contents
from wiki.titles import MAX_TITLE_LENGTH, title_key, validate_title

logger = logging.getLogger(__name__)

# The longest revision comment kept; a longer summary is cut there.
MAX_SUMMARY_LENGTH = 2000


class EditConflict(Exception):
    """The page changed after the edit started (``base_revision`` is stale)."""

    def __init__(self, page: Page, base_revision_id: int | None):
        super().__init__(f"{page.title} changed since revision {base_revision_id}")
        self.page = page
        self.base_revision_id = base_revision_id


@dataclass(frozen=True)
class SaveResult:
    """What a save did: the page, the revision it made (None when nothing
    changed), whether it created the page, whether it wrote anything, and
    whether it merged the edit with one saved in the meantime."""

    page: Page
    revision: Revision | None
    created: bool
    changed: bool
    merged: bool = False


def save_page(
    title: str,
    body: str,
    *,
    user: AbstractBaseUser | None = None,
    summary: str = "",
    base_revision_id: int | None = None,
    metadata: Mapping | None = None,
    crosslinks: Iterable[CrossLinkContent | Mapping] | None = None,
    date: datetime.datetime | None = None,
    merge: bool = False,
) -> SaveResult:
    """Create or update the page called ``title`` as a new revision.

    ``metadata`` may set ``article_date``, ``source_url`` and ``source_name``
    (absent keys keep their value; other keys are ignored). ``crosslinks``
    replaces the page's cross-links, in display order: ``CrossLinkContent``
    values or dicts with ``kind``, ``target_title``, and optional
    ``note_date`` and ``label`` (None keeps them). Saving text, metadata and
    cross-links equal to the current ones writes nothing and returns
    ``changed=False``. The page row is locked for the whole transaction, so
    two saves of one page never interleave. When ``base_revision_id`` is given
    and is not the page's current revision, raises ``EditConflict`` and writes
    nothing; with ``merge=True`` it first merges the edit with what was saved
    since that base and, when the two touch different text and fields, saves
    the merge instead (``merged=True``). ``date`` backdates the revision
    (import). Raises ``ValidationError`` for an invalid title or cross-link,
    and for a redirect to the page itself or one that would close a loop of
    redirects (nothing is written), and ``MarkupTooComplex`` (code ``busy``)
    when no job slot frees up to render the body. The body is rendered before
    the transaction opens, never inside it. Side effects: the link table, the
    search index, the pages whose links to this title change state, and the
    render cache.
    """
    title = validate_title(title)
    metadata = {name: value for name, value in (metadata or {}).items() if name in METADATA_FIELDS}
    if crosslinks is not None:
        crosslinks = tuple(_crosslink_content(item) for item in crosslinks)
    commit = {"user": user, "summary": summary, "date": date}
    try:
        return _save(title, body, metadata, crosslinks, base_revision_id, **commit)
    except EditConflict as conflict:
        if not merge:
            raise
        theirs = PageContent.from_page(conflict.page)
        merged = _merged(
            conflict.page, base_revision_id, theirs, theirs.edited(body, metadata, crosslinks)
        )
        if merged is None:
            raise
        result = _save(
            title,
            merged.body,
            merged.metadata,
            None if crosslinks is None else merged.crosslinks,
            conflict.page.current_revision_id,
            **commit,
        )
        return replace(result, merged=True)


def _crosslink_content(item: CrossLinkContent | Mapping) -> CrossLinkContent:
    return item if isinstance(item, CrossLinkContent) else CrossLinkContent.from_mapping(item)


def _save(
    title: str,
    body: str,
    metadata: dict,
    crosslinks: tuple[CrossLinkContent, ...] | None,
    base_revision_id: int | None,
    *,
    user: AbstractBaseUser | None,
    summary: str,
    date: datetime.datetime | None,
) -> SaveResult:
    # Rendered before the transaction: a slow conversion must never hold the
    # database's write lock (on SQLite it held up every other writer).
    with prepared_renders(render_before_writing(body)), transaction.atomic():
        page = Page.objects.select_for_update().filter(key=title_key(title)).first()
        created = page is None
        if created:
            page = Page(title=title)
        elif base_revision_id is not None and base_revision_id != page.current_revision_id:
            raise EditConflict(page, base_revision_id)
        current = PageContent.from_page(page)
        content = current.edited(body, metadata, crosslinks).clean()
        if not created and content == current:
            return SaveResult(page=page, revision=None, created=False, changed=False)
        _check_redirect(page.title, parse_redirect(body))
        page.set_content(content)
        revision = _commit_revision(
            page,
            user=user,
            summary=summary,
            date=date,
            size_change=content.size - (0 if created else current.size),
            crosslinks=None if crosslinks is None else content.crosslinks,
        )
        if created:
            bump_link_versions([page.key])
    return SaveResult(page=page, revision=revision, created=created, changed=True)


def render_before_writing(body: str) -> dict:
    """Render ``body`` through the cache (which is warm afterwards) and
    return ``{body: render}`` for ``prepared_renders``, so that nothing
    inside the transaction that follows runs the converter. A body beyond
    the renderer's limits is returned with its ``MarkupTooComplex`` (such a
    body is stored, and links to nothing); a render refused for a passing
    reason (no free job slot) is raised, so that nothing is saved with a
    link table that would be wrong."""
    try:
        return {body: cached_render(body)}
    except MarkupTooComplex as error:
        if error.code == "busy":
            raise
        return {body: error}


def _merge_value(base, theirs, yours):
    """Three-way merge of one whole value: (merged, is_clean)."""
    if yours in (base, theirs):
        return theirs, True
    if theirs == base:
        return yours, True
    return theirs, False


def _comparable(crosslinks: Iterable[CrossLinkContent]) -> tuple[CrossLinkContent, ...]:
    return tuple(link.normalized() for link in crosslinks)


def _merged(
    page: Page, base_revision_id: int | None, theirs: PageContent, yours: PageContent
) -> PageContent | None:
    """Merge ``yours`` (an edit started from ``base_revision_id``) with
    ``theirs`` (the page as it is now). Returns the merged content, or None
    when the base is not a revision of this page or the two edits touch the
    same text or the same field. Text is merged with diff-match-patch
    patches (bounded in time)."""
    base = revision_content(page, base_revision_id) if base_revision_id else None
    if base is None:
        return None
    body = merge_texts(base.body, theirs.body, yours.body)
    if body is None:
        return None
    metadata = {}
    for name in METADATA_FIELDS:
        metadata[name], is_clean = _merge_value(
            base.metadata.get(name), theirs.metadata.get(name), yours.metadata.get(name)
        )
        if not is_clean:
            return None
    crosslinks, is_clean = _merge_value(
        _comparable(base.crosslinks), _comparable(theirs.crosslinks), _comparable(yours.crosslinks)
    )
    if not is_clean:
        return None
    return PageContent(body=body, metadata=metadata, crosslinks=crosslinks)


def _commit_revision(
    page: Page,
    *,
    user: AbstractBaseUser | None,
    summary: str,
    date: datetime.datetime | None,
    size_change: int,
    crosslinks: tuple[CrossLinkContent, ...] | None,
) -> Revision:
    """Save ``page`` (and, unless None, ``crosslinks`` as its cross-link
    rows) as one new django-reversion revision with its RevisionInfo, make it
    the page's current revision, and bring the search index and the link
    table up to date. The caller holds the transaction."""
    with reversion.create_revision(atomic=False):
        page.save()
        if crosslinks is not None:
            page.crosslinks.all().delete()
            CrossLink.objects.bulk_create(
                CrossLink.from_content(page, link, position=position)
                for position, link in enumerate(crosslinks)
            )
            # Serialize the page again so the revision follows its new cross-links.
            reversion.add_to_revision(page)
        if user is not None and user.is_authenticated:
            reversion.set_user(user)
        reversion.set_comment(summary[:MAX_SUMMARY_LENGTH])
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
    search.index_page(page)
    refresh_links(page)
    purge.purge_pages([page.pk])
    return info.revision


def refresh_links(
    page: Page, *, is_new: bool = False, category_ids: dict[str, int] | None = None
) -> None:
    """Rewrite ``page``'s rows in the link table from its current body, its
    redirect target and its cross-links, and its categories from the
    ``[[Category:...]]`` links of its body (``refresh_categories``, which
    ``category_ids`` is passed to). ``is_new``: the page was created in the
    caller's transaction, with no cross-links, so it has no rows to replace
    (an import of 10,000 pages spends a fifth of its writing on queries that
    would find none)."""
    try:
        rendered = cached_render(page.body)
        targets, categories = dict(rendered.targets), rendered.categories
    except MarkupTooComplex:
        # Readers see a notice instead of such a body (wiki.display): it links
        # to nothing. The edit form refuses such text; an import keeps it.
        targets, categories = {}, ()
    refresh_categories(page, categories, is_new=is_new, category_ids=category_ids)
    redirect = parse_redirect(page.body)
    # A redirect always links to its target, even when markdown would not turn
    # its first line into a link (an indented "#REDIRECT" is a code block).
    if redirect is not None:
        targets.setdefault(title_key(redirect[0]), redirect[0])
    if not is_new:
        for crosslink in page.crosslinks.all():
            targets.setdefault(title_key(crosslink.target_title), crosslink.target_title)
        Link.objects.filter(source=page).delete()
    Link.objects.bulk_create(
        Link(source=page, target_key=key, target_title=target_title)
        for key, target_title in targets.items()
    )


def refresh_categories(
    page: Page,
    categories: Iterable[tuple[str, str]],
    *,
    is_new: bool = False,
    category_ids: dict[str, int] | None = None,
) -> None:
    """Make ``page``'s category rows exactly ``categories`` (``(name, sort
    key)`` pairs, as ``Rendered.categories``), creating the categories that do
    not exist yet (under the name first written; a category keeps its name
    and description once made). The caller holds the transaction.
    ``is_new``: as ``refresh_links``. ``category_ids``: category ids by key,
    kept by a caller that refreshes many pages (an import) and filled in
    here, so that the ids of a category already met are not read again."""
    wanted = {title_key(name): (name, sort_key) for name, sort_key in categories}
    ids = category_ids if category_ids is not None else {}
    # Always, even for categories known to exist: an insert that is ignored
    # still uses up an id, and an import must number its categories as a
    # save does.
    Category.objects.bulk_create(
        (Category(name=name, key=key) for key, (name, _) in wanted.items()),
        ignore_conflicts=True,
    )
    unknown = [key for key in wanted if key not in ids]
    if unknown:
        ids.update(Category.objects.filter(key__in=unknown).values_list("key", "pk"))
    if not is_new:
        PageCategory.objects.filter(page=page).delete()
    PageCategory.objects.bulk_create(
        PageCategory(page=page, category_id=ids[key], sort_key=sort_key[:MAX_TITLE_LENGTH])
        for key, (_, sort_key) in wanted.items()
    )


def bump_link_versions(keys, *, wait_for_purge: bool = True) -> int:
    """Make every page that links to one of ``keys`` render its links afresh
    (a page with such a title appeared or disappeared), and purge them from
    the caching proxies (``wiki.purge``; ``wait_for_purge`` as its
    ``wait``). Returns how many."""
    keys = list(keys)
    if not keys:
        return 0
    linking = Page.objects.filter(
        pk__in=Link.objects.filter(target_key__in=keys).values("source_id")
    )
    if purge.is_listened_to():
        # Their ids for the purge, in a query only a site that purges makes.
        ids = list(linking.values_list("pk", flat=True))
        purge.purge_pages(ids, wait=wait_for_purge)
        linking = Page.objects.filter(pk__in=ids)
    return linking.update(link_version=F("link_version") + 1)


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


def delete_page(page: Page, user: AbstractBaseUser | None = None) -> None:
    """Delete ``page`` with its cross-links, outgoing links, votes and view
    counts (the votes only here: nothing but an admin's delete, or a move
    replacing a redirect that has none, calls this).

    Its revisions stay in django-reversion (``RevisionInfo`` has no database
    constraint), so an admin can recover it. Pages that link to its title are
    made to render that link as missing on their next view (their
    ``link_version`` is bumped). Atomic. ``user`` is who deleted it, for the
    log.
    """
    with transaction.atomic():
        key = page.key or title_key(page.title)
        purge.purge_pages([page.pk])
        search.remove_page(page.pk)
        page.delete()
        bump_link_versions([key])
    logger.info("Page %r deleted by %s", page.title, getattr(user, "username", None) or "nobody")


# Pages read from the database at a time when every page is visited.
PAGES_PER_CHUNK = 200


def rebuild_links() -> int:
    """Rebuild the whole link table from every page's current body, redirect
    target and cross-links, then bump every page's ``link_version`` so all
    cached HTML is rendered with fresh link state. Returns the number of
    pages. Atomic."""
    count = 0
    with transaction.atomic():
        pages = Page.objects.prefetch_related("crosslinks").order_by("pk")
        for page in pages.iterator(chunk_size=PAGES_PER_CHUNK):
            refresh_links(page)
            count += 1
        Page.objects.update(link_version=F("link_version") + 1)
        purge.purge_everything()
    return count


VOTER_KEY_SALT = "wiki.services.voter_key_for"
READER_KEY_SALT = "wiki.services.reader_voter_key"


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


def reader_voter_key(token: str) -> str:
    """The key that names the vote of an anonymous reader whose browser holds
    ``token`` in its vote cookie: ``reader:`` and an HMAC of the token (keyed
    from SECRET_KEY), so the token is never stored. Raises ``ValueError`` for
    an empty token."""
    if not token:
        raise ValueError("An anonymous voter needs a token.")
    digest = salted_hmac(READER_KEY_SALT, token, algorithm="sha256").hexdigest()
    return f"reader:{digest}"


def adopt_votes(voter_key: str, user: AbstractBaseUser) -> int:
    """Make the votes cast as the anonymous ``voter_key`` the votes of
    ``user``, who has just logged in, so that logging in never adds a second
    vote. Where both answered about the same page, one vote is kept: the
    answer changed last. Returns the number of votes moved. Atomic."""
    user_key = voter_key_for(user, None)
    moved = 0
    with transaction.atomic():
        for vote in Vote.objects.select_for_update().filter(voter_key=voter_key).order_by("pk"):
            own = (
                Vote.objects.select_for_update()
                .filter(page_id=vote.page_id, voter_key=user_key)
                .first()
            )
            if own is not None and own.updated_at >= vote.updated_at:
                vote.delete()
                continue
            if own is not None:
                own.delete()
            # update(), not save(): the vote keeps the date it was cast.
            Vote.objects.filter(pk=vote.pk).update(voter_key=user_key)
            moved += 1
    return moved


def record_vote(
    page: Page, is_useful: bool, *, voter_key: str, reason: str = ""
) -> tuple[Vote, bool]:
    """Record one reader's answer about ``page`` (against its current
    revision), with the ``reason`` (a ``ProblemReason`` value, or "") a "no"
    answer gave; the latest answer's reason replaces an earlier one, and a
    "yes" has none. Returns ``(vote, created)``: a reader who answers again
    changes their vote instead of adding one. Safe under concurrent requests
    from one reader: the database's unique constraint on (page, voter_key)
    turns a lost insert race into an update. Raises ``ValueError`` for a
    reason that is not one, or one given with a "yes". Side effect: the page
    is purged from the caching proxies (``wiki.purge``)."""
    if reason and (is_useful or reason not in ProblemReason.values):
        raise ValueError(f"{reason!r} is no reason for this answer")
    revision_id = page.current_revision_id
    with transaction.atomic():
        vote = Vote.objects.select_for_update().filter(page=page, voter_key=voter_key).first()
        created = vote is None
        if created:
            try:
                with transaction.atomic():
                    vote = Vote.objects.create(
                        page=page,
                        revision_id=revision_id,
                        is_useful=is_useful,
                        reason=reason,
                        voter_key=voter_key,
                    )
            except IntegrityError:
                # Another request of the same reader inserted first.
                created = False
                vote = Vote.objects.select_for_update().get(page=page, voter_key=voter_key)
        if not created:
            vote.is_useful = is_useful
            vote.reason = reason
            vote.revision_id = revision_id
            vote.save(update_fields=["is_useful", "reason", "revision", "updated_at"])
        # The page shows its vote counts (and so do redirects to it).
        purge.purge_pages([page.pk])
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
    """Rename ``page`` to ``new_title`` as a new revision; its history and
    its votes move with it (same row). The old title becomes a redirect page
    to the new one (unless only the letter case changed).

    A move never erases history. The page at ``new_title``, if any, is
    replaced only when it is a redirect to ``page`` with a single revision
    and no votes of its own (MediaWiki's rule: the redirect a move left
    behind, or one made by hand); it is then deleted as an admin deletes
    (``delete_page``: its revision stays, listed among deleted pages and
    recoverable). Anything else there is refused with ``ValidationError``
    (code ``title_taken``) and nothing changes. Bumps the link state of
    pages linking to either title. Atomic."""
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
            _check_replaceable(occupant, page)
            delete_page(occupant, user)
        old_key = page.key
        page.title = new_title
        _commit_revision(page, user=user, summary=reason, date=None, size_change=0, crosslinks=None)
        if old_key != page.key:
            save_page(old_title, f"#REDIRECT [[{new_title}]]", user=user, summary=reason)
        bump_link_versions({old_key, page.key})
    return page


def _check_replaceable(occupant: Page, page: Page) -> None:
    """Raise ``ValidationError`` (code ``title_taken``) unless a move of
    ``page`` may replace ``occupant``, the page holding the wanted title."""
    params = {"title": occupant.title, "target": occupant.redirect_to}
    if not occupant.is_redirect:
        message = (
            "A page called %(title)s already exists. Choose another title, "
            "or rename that page first."
        )
    elif title_key(occupant.redirect_to) != page.key:
        message = (
            "A page called %(title)s already exists (a redirect to %(target)s). "
            "Choose another title, or rename that page first."
        )
    elif RevisionInfo.objects.filter(page_id=occupant.pk).count() != 1:
        message = (
            "A page called %(title)s already exists. It redirects here, but it has "
            "a history of its own, which a move never replaces. Choose another "
            "title, or ask an admin to delete that page first."
        )
    elif Vote.objects.filter(page_id=occupant.pk).exists():
        message = (
            "A page called %(title)s already exists. It redirects here, but readers "
            "have voted on it, and a move never deletes votes. Choose another title, "
            "or ask an admin to delete that page first."
        )
    else:
        return
    raise ValidationError(message, params=params, code="title_taken")


# How many "Title (recovered N)" spellings ``recovery_title`` tries.
MAX_RECOVERY_SUGGESTIONS = 20


def recovery_title(page_id: int) -> str:
    """The title to offer for recovering deleted page ``page_id``: its own
    when no page has it now, else the first free one of "Title (recovered)",
    "Title (recovered 2)", ... ("" when it has no saved revision; its own
    title when none of those is free either)."""
    info = RevisionInfo.objects.filter(page_id=page_id).order_by("-revision_id").first()
    if info is None:
        return ""
    title = revision_contents(Page(pk=page_id), [info.revision_id])[info.revision_id].title
    candidates = [title]
    for number in range(1, MAX_RECOVERY_SUGGESTIONS + 1):
        suffix = " (recovered)" if number == 1 else f" (recovered {number})"
        candidates.append(title[: MAX_TITLE_LENGTH - len(suffix)].rstrip() + suffix)
    taken = set(
        Page.objects.filter(key__in=[title_key(name) for name in candidates]).values_list(
            "key", flat=True
        )
    )
    return next((name for name in candidates if title_key(name) not in taken), title)


def recover_page(
    page_id: int, *, user: AbstractBaseUser | None = None, title: str | None = None
) -> Page:
    """Bring back a page deleted in the admin (or replaced by a move), with
    the same id, so its whole history (RevisionInfo rows and
    django-reversion versions, which deletion keeps) is its history again.
    Its content is its newest revision's (body, metadata, cross-links),
    saved as a new revision "Recovered after deletion", under ``title`` when
    given (for when another page has its old title by now), else under the
    title it had; the link table and the link state of pages linking to it
    are rebuilt. Read defensively, never with ``Revision.revert()``. Raises
    ``ValidationError`` when the page exists, has no history, the title is
    not valid, or another page has that title (code ``title_taken``)."""
    with transaction.atomic():
        if Page.objects.filter(pk=page_id).exists():
            raise ValidationError("This page exists; there is nothing to recover.")
        info = RevisionInfo.objects.filter(page_id=page_id).order_by("-revision_id").first()
        if info is None:
            raise ValidationError("This page has no saved revisions to recover.")
        stored = revision_contents(Page(pk=page_id), [info.revision_id])[info.revision_id]
        old_title = validate_title(stored.title)
        title = old_title if title is None else validate_title(title)
        if Page.objects.filter(key=title_key(title)).exists():
            raise ValidationError(
                "Another page is called %(title)s now. Recover this one under another "
                "title, or move that page away first.",
                params={"title": title},
                code="title_taken",
            )
        content = PageContent(
            body=stored.body, metadata=stored.metadata, crosslinks=stored.crosslinks
        ).clean()
        _check_redirect(title, parse_redirect(content.body))
        page = Page(pk=page_id, title=title)
        page.set_content(content)
        summary = "Recovered after deletion"
        if title != old_title:
            summary += f" as [[{title}]] (it was [[{old_title}]])"
        _commit_revision(
            page,
            user=user,
            summary=summary,
            date=None,
            size_change=content.size - info.size,
            crosslinks=content.crosslinks,
        )
        bump_link_versions([page.key])
    return page


def report_problem(
    page: Page, reason: str, *, details: str = "", contact: str = ""
) -> ProblemReport:
    """Store a reader's problem report about ``page`` (against its current
    revision): ``reason`` a ``ProblemReason`` value, ``details`` and
    ``contact`` as the reader gave them (already validated by the form).
    Nothing about the reader's connection is stored. Raises ``ValueError``
    for an unknown reason."""
    if reason not in ProblemReason.values:
        raise ValueError(f"{reason!r} is not a problem report reason")
    return ProblemReport.objects.create(
        page=page,
        revision_id=page.current_revision_id,
        reason=reason,
        details=details,
        contact=contact,
    )


class ReportAlreadyClosed(Exception):
    """The report was closed before (by ``report.closed_by``)."""

    def __init__(self, report: ProblemReport):
        super().__init__(f"report {report.pk} is already closed")
        self.report = report


def close_report(report_id: int, *, user: AbstractBaseUser, note: str = "") -> ProblemReport:
    """Close the open report ``report_id`` as ``user``, with ``note``, now.
    Raises ``ProblemReport.DoesNotExist`` for no such report, and
    ``ReportAlreadyClosed`` (nothing changed) when it is closed already,
    also when two moderators close it at once: the row is locked first."""
    with transaction.atomic():
        report = ProblemReport.objects.select_for_update().get(pk=report_id)
        if not report.is_open:
            raise ReportAlreadyClosed(report)
        report.status = ProblemReport.CLOSED
        report.closed_by = user
        report.closed_at = timezone.now()
        report.close_note = note
        report.save(update_fields=["status", "closed_by", "closed_at", "close_note"])
    return report


def record_review(
    page: Page,
    *,
    reviewer: str,
    reviewed_on: datetime.date | None = None,
    next_review_due: datetime.date | None = None,
    note: str = "",
    user: AbstractBaseUser | None = None,
) -> PageReview:
    """Record a clinical review of ``page``'s current revision, by
    ``reviewer`` (name and role as readers see them), on ``reviewed_on``
    (default today), next due on ``next_review_due`` (default
    ``reviewed_on`` plus the site's review interval), with an optional
    ``note``; ``user`` is the moderator who recorded it. Reviews are never
    changed or deleted afterwards.

    The page row is locked, so the review names the revision that is current
    when it is written, even while someone saves an edit. Raises
    ``ValidationError`` (nothing written) for a redirect page (code
    ``redirect``), a page without a revision, an empty reviewer, a review
    date in the future or a due date not after it (a dict by field name, as
    ``reviews.check_review_dates``). Side effect: the page's ETag and shared
    cached copy change with the review (``reviews.ReviewStatus.etag_part``),
    and the page is purged from the caching proxies (``wiki.purge``).
    """
    reviewer = " ".join((reviewer or "").split())
    if not reviewer or len(reviewer) > MAX_REVIEWER_LENGTH:
        raise ValidationError(
            {
                "reviewer": ValidationError(
                    "Give the reviewer's name and role, in at most %(limit)s characters.",
                    params={"limit": MAX_REVIEWER_LENGTH},
                    code="reviewer",
                )
            }
        )
    if len(note) > MAX_REVIEW_NOTE_LENGTH:
        raise ValidationError(
            {
                "note": ValidationError(
                    "A note may hold at most %(limit)s characters.",
                    params={"limit": MAX_REVIEW_NOTE_LENGTH},
                    code="note_too_long",
                )
            }
        )
    reviewed_on = reviewed_on or today()
    if next_review_due is None:
        next_review_due = add_months(reviewed_on, review_interval_months())
    check_review_dates(reviewed_on, next_review_due, on=today())
    with transaction.atomic():
        page = Page.objects.select_for_update().get(pk=page.pk)
        if page.is_redirect:
            raise ValidationError(
                "%(title)s is a redirect: review the page it leads to instead.",
                params={"title": page.title},
                code="redirect",
            )
        if page.current_revision_id is None:
            raise ValidationError("This page has no saved revision to review.", code="no_revision")
        purge.purge_pages([page.pk])
        return PageReview.objects.create(
            page=page,
            revision_id=page.current_revision_id,
            reviewer=reviewer,
            reviewed_on=reviewed_on,
            next_review_due=next_review_due,
            note=note.strip(),
            recorded_by=user if user is not None and user.is_authenticated else None,
        )


class GlossaryNameTaken(ValidationError):
    """A term or synonym is already another glossary entry's."""


class GlossaryEditConflict(Exception):
    """The glossary entry changed after the edit started."""

    def __init__(self, entry: GlossaryTerm):
        super().__init__(f"{entry.term} changed since the edit started")
        self.entry = entry


def save_glossary_term(
    entry: GlossaryTerm | None,
    *,
    term: str,
    synonyms: Iterable[str] = (),
    definition: str,
    summary: str = "",
    user: AbstractBaseUser | None = None,
    base_revision_id: int | None = None,
) -> GlossaryTerm:
    """Create a glossary entry (``entry`` None) or change one, keeping every
    saved state as a ``GlossaryRevision``; return the entry.

    ``term`` and each of ``synonyms`` are checked by ``glossary.check_name``;
    names with the same ``glossary.name_key`` count once. ``definition`` is
    plain text (spaces tidied), at most ``MAX_GLOSSARY_DEFINITION_LENGTH``
    characters. A save that changes nothing writes nothing. Raises
    ``ValidationError`` for a bad name or definition, ``GlossaryNameTaken``
    when a name belongs to another entry (also when another save took it a
    moment earlier: the unique key decides), and ``GlossaryEditConflict``
    when ``base_revision_id`` is given and is no longer the entry's current
    revision. Side effect: the new revision changes the glossary's version,
    so pages render their marked terms afresh and get new ETags, and every
    page is purged from the caching proxies (``wiki.purge``)."""
    names = {}
    for name in (term, *synonyms):
        name = glossary.check_name(name)
        names.setdefault(glossary.name_key(name), name)
    if len(names) > glossary.MAX_SYNONYMS + 1:
        raise ValidationError(
            "An entry may have at most %(limit)s synonyms.",
            params={"limit": glossary.MAX_SYNONYMS},
            code="too_many_synonyms",
        )
    term, *synonyms = names.values()
    definition = " ".join((definition or "").split())
    if not definition or len(definition) > MAX_GLOSSARY_DEFINITION_LENGTH:
        raise ValidationError(
            "Write a definition of at most %(limit)s characters.",
            params={"limit": MAX_GLOSSARY_DEFINITION_LENGTH},
            code="definition",
        )
    try:
        with transaction.atomic():
            return _save_glossary_term(
                entry, term, synonyms, definition, names, summary, user, base_revision_id
            )
    except IntegrityError:
        raise GlossaryNameTaken(
            "Another entry was saved with one of these names a moment ago. Choose "
            "another name, or edit that entry.",
            code="name_taken",
        ) from None


def _save_glossary_term(entry, term, synonyms, definition, names, summary, user, base_revision_id):
    if entry is not None:
        entry = GlossaryTerm.objects.select_for_update().get(pk=entry.pk)
        if base_revision_id is not None and entry.current_revision_id != base_revision_id:
            raise GlossaryEditConflict(entry)
    taken = (
        GlossaryName.objects.filter(key__in=names.keys())
        .exclude(entry=entry)
        .select_related("entry")
        .first()
    )
    if taken is not None:
        raise GlossaryNameTaken(
            "“%(name)s” is already in the glossary, under “%(entry)s”. Edit that "
            "entry instead, or choose another name.",
            params={"name": names[taken.key], "entry": taken.entry.term},
            code="name_taken",
        )
    synonyms_text = "\n".join(synonyms)
    if entry is None:
        entry = GlossaryTerm.objects.create(
            term=term,
            slug=glossary.unique_slug(term),
            synonyms=synonyms_text,
            definition=definition,
        )
    elif (entry.term, entry.synonyms, entry.definition) == (term, synonyms_text, definition):
        return entry
    else:
        entry.term, entry.synonyms, entry.definition = term, synonyms_text, definition
    GlossaryName.objects.filter(entry=entry).delete()
    GlossaryName.objects.bulk_create(
        GlossaryName(entry=entry, name=name, key=key) for key, name in names.items()
    )
    entry.current_revision = GlossaryRevision.objects.create(
        entry=entry,
        term=term,
        synonyms=synonyms_text,
        definition=definition,
        summary=" ".join((summary or "").split())[:MAX_GLOSSARY_SUMMARY_LENGTH],
        author=user if user is not None and user.is_authenticated else None,
    )
    entry.save()
    purge.purge_everything()
    return entry
