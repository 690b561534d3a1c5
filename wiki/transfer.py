"""Pages with their whole history as JSON lines: the import and export format
of ``importpages`` and ``exportpages`` (see DESIGN.md).

One JSON object a line: ``{"title": ..., "revisions": [{"body": ...,
"summary": ..., "author": ..., "date": ...}, ...]}``, oldest revision first,
plus the page's metadata fields and ``crosslinks``, on the page (for every
revision) or on a revision (from it on), and its clinical reviews, oldest
first: ``"reviews": [{"reviewer": ..., "reviewed_on": ..., "next_review_due":
..., "note": ..., "revision": <index into revisions>}, ...]`` (``reviewer``
and ``reviewed_on`` required; ``revision`` defaults to the last). Only
``title`` and each revision's ``body`` are required; unknown keys are
ignored.

An import checks the whole file first and imports nothing when a line is
malformed. It then writes every page in one transaction with a few bulk
inserts per page: the same rows ``save_page`` would write revision by
revision (django-reversion versions serialized exactly as django-reversion
serializes them, from the field lists registered in ``wiki.models``).
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.contenttypes.models import ContentType
from django.core import serializers
from django.core.exceptions import ValidationError
from django.db import connection, router, transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from reversion.models import Revision, Version

from wiki import search
from wiki.content import CrossLinkContent, PageContent
from wiki.models import (
    MAX_REVIEW_NOTE_LENGTH,
    MAX_REVIEWER_LENGTH,
    VERSION_FORMAT,
    VERSIONED_FIELDS,
    CrossLink,
    Link,
    Page,
    PageCategory,
    PageReview,
    RevisionInfo,
    SearchTitle,
)
from wiki.render_cache import prepared_renders
from wiki.reviews import add_months, check_review_dates, review_interval_months, today
from wiki.revisions import revision_contents
from wiki.services import (
    MAX_SUMMARY_LENGTH,
    PAGES_PER_CHUNK,
    bump_link_versions,
    refresh_links,
    render_before_writing,
)
from wiki.titles import title_key, validate_title

# How often an import reports progress, in pages.
PROGRESS_EVERY = 100


class LineError(ValueError):
    """What is wrong with one line of an import file."""


@dataclass(frozen=True)
class ImportedRevision:
    """One revision of an import: the whole content it leaves, and who made
    it, when and why."""

    content: PageContent
    summary: str = ""
    author: str = ""
    date: datetime.datetime | None = None


@dataclass(frozen=True)
class ImportedReview:
    """One clinical review of an import, of the revision at ``revision``
    (an index into the page's revisions, oldest first)."""

    reviewer: str
    reviewed_on: datetime.date
    next_review_due: datetime.date
    note: str = ""
    revision: int = -1


@dataclass(frozen=True)
class PageRecord:
    """One line of an import file: a title, its revisions and its clinical
    reviews, oldest first."""

    title: str
    revisions: tuple[ImportedRevision, ...]
    reviews: tuple[ImportedReview, ...] = ()


@dataclass(frozen=True)
class ImportReport:
    imported: int
    skipped: int
    revisions: int


# Reading ---------------------------------------------------------------------


def _text(value, name, *, required=False) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise LineError(f"{name} must be a string")
    return value


def _date(value, name) -> datetime.date | None:
    if value in (None, ""):
        return None
    parsed = parse_date(value) if isinstance(value, str) else None
    if parsed is None:
        raise LineError(f"{name} must be a date like 2009-05-01")
    return parsed


def _datetime(value, name) -> datetime.datetime | None:
    if value in (None, ""):
        return None
    try:
        parsed = parse_datetime(value) if isinstance(value, str) else None
    except ValueError:
        parsed = None
    if parsed is None:
        raise LineError(f"{name} must be a date and time like 2009-05-01T12:00:00+00:00")
    if timezone.is_naive(parsed):
        parsed = parsed.replace(tzinfo=datetime.UTC)
    return parsed


def _metadata(source: dict, where: str) -> dict:
    metadata = {}
    if "article_date" in source:
        metadata["article_date"] = _date(source["article_date"], f"{where}article_date")
    for name in ("source_url", "source_name"):
        if name in source:
            metadata[name] = _text(source[name], f"{where}{name}")
    return metadata


def _crosslinks(value, where: str) -> tuple[CrossLinkContent, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list):
        raise LineError(f"{where}crosslinks must be a list")
    links = []
    for item in value:
        if not isinstance(item, dict):
            raise LineError(f"{where}crosslinks must hold objects")
        link = CrossLinkContent(
            kind=item.get("kind") or "",
            target_title=_text(item.get("target_title"), "target_title", required=True),
            note_date=_date(item.get("note_date"), f"{where}crosslinks note_date"),
            label=_text(item.get("label"), f"{where}crosslinks label"),
        )
        try:
            links.append(link.clean())
        except ValidationError as error:
            raise LineError(f"{where}crosslinks: {' '.join(error.messages)}") from error
    return tuple(links)


def parse_record(line: str) -> PageRecord:
    """One line as a PageRecord, or ``LineError`` saying what is wrong."""
    try:
        data = json.loads(line)
    except ValueError as error:
        raise LineError(f"not valid JSON ({error})") from error
    if not isinstance(data, dict):
        raise LineError("must be a JSON object")
    try:
        title = validate_title(_text(data.get("title"), "title", required=True))
    except ValidationError as error:
        raise LineError(f"title: {' '.join(error.messages)}") from error
    revisions = data.get("revisions")
    if not isinstance(revisions, list) or not revisions:
        raise LineError("revisions must be a non-empty list")
    page_metadata = _metadata(data, "")
    page_crosslinks = _crosslinks(data.get("crosslinks"), "")
    content = PageContent(body="")
    parsed = []
    for number, revision in enumerate(revisions, start=1):
        where = f"revision {number}: "
        if not isinstance(revision, dict):
            raise LineError(f"{where}must be an object")
        crosslinks = _crosslinks(revision.get("crosslinks"), where)
        content = content.edited(
            _text(revision.get("body"), f"{where}body", required=True),
            {**page_metadata, **_metadata(revision, where)},
            crosslinks if crosslinks is not None else page_crosslinks,
        )
        parsed.append(
            ImportedRevision(
                content=content,
                summary=_text(revision.get("summary"), f"{where}summary"),
                author=_text(revision.get("author"), f"{where}author"),
                date=_datetime(revision.get("date"), f"{where}date"),
            )
        )
    reviews = _reviews(data.get("reviews"), len(parsed))
    return PageRecord(title=title, revisions=tuple(parsed), reviews=reviews)


def _reviews(value, revision_count: int) -> tuple[ImportedReview, ...]:
    """The ``reviews`` of a line, checked as ``services.record_review``
    checks a review (dates, reviewer, note)."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise LineError("reviews must be a list")
    reviews, on, interval = [], today(), None
    for number, item in enumerate(value, start=1):
        where = f"review {number}: "
        if not isinstance(item, dict):
            raise LineError(f"{where}must be an object")
        reviewer = " ".join(_text(item.get("reviewer"), f"{where}reviewer").split())
        if not reviewer or len(reviewer) > MAX_REVIEWER_LENGTH:
            raise LineError(f"{where}reviewer must be 1 to {MAX_REVIEWER_LENGTH} characters")
        note = _text(item.get("note"), f"{where}note")
        if len(note) > MAX_REVIEW_NOTE_LENGTH:
            raise LineError(f"{where}note is longer than {MAX_REVIEW_NOTE_LENGTH} characters")
        reviewed_on = _date(item.get("reviewed_on"), f"{where}reviewed_on")
        if reviewed_on is None:
            raise LineError(f"{where}reviewed_on is required")
        next_review_due = _date(item.get("next_review_due"), f"{where}next_review_due")
        if next_review_due is None:
            interval = interval or review_interval_months()
            next_review_due = add_months(reviewed_on, interval)
        try:
            check_review_dates(reviewed_on, next_review_due, on=on)
        except ValidationError as error:
            raise LineError(where + " ".join(error.messages)) from error
        position = item.get("revision", revision_count - 1)
        if isinstance(position, bool) or not isinstance(position, int):
            raise LineError(f"{where}revision must be an index into revisions")
        if not 0 <= position < revision_count:
            raise LineError(f"{where}revision {position} is not an index into revisions")
        reviews.append(
            ImportedReview(
                reviewer=reviewer,
                reviewed_on=reviewed_on,
                next_review_due=next_review_due,
                note=note.strip(),
                revision=position,
            )
        )
    return tuple(reviews)


def read_file(path: str) -> tuple[list[PageRecord], list[str]]:
    """The records of the file at ``path`` and the errors of its malformed
    lines (``line N: ...``; a title twice is one). Raises ``OSError`` or
    ``UnicodeDecodeError`` when the file cannot be read."""
    records, errors, seen = [], [], {}
    with open(path, encoding="utf-8") as source:
        for number, line in enumerate(source, start=1):
            if not line.strip():
                continue
            try:
                record = parse_record(line)
            except LineError as error:
                errors.append(f"line {number}: {error}")
                continue
            key = title_key(record.title)
            if key in seen:
                errors.append(f"line {number}: the title is already on line {seen[key]}")
                continue
            seen[key] = number
            records.append(record)
    return records, errors


# Importing -------------------------------------------------------------------


def authors(records: Sequence[PageRecord]) -> dict[str, AbstractBaseUser]:
    """Users for every author name, creating the missing ones inactive with
    no usable password (they keep the history's attribution, never log in)."""
    user_model = get_user_model()
    names = {
        revision.author for record in records for revision in record.revisions if revision.author
    }
    users = {user.get_username(): user for user in user_model.objects.filter(username__in=names)}
    for name in sorted(names - set(users)):
        user = user_model(username=name, is_active=False)
        user.set_unusable_password()
        users[name] = user
    user_model.objects.bulk_create(user for user in users.values() if user.pk is None)
    return {user.get_username(): user for user in user_model.objects.filter(username__in=names)}


def import_records(
    records: Sequence[PageRecord], *, progress: Callable[[int, int], None] | None = None
) -> ImportReport:
    """Import ``records`` in one transaction, skipping those whose title
    exists (so importing a file twice adds nothing). Calls ``progress(pages
    done, revisions imported)`` every ``PROGRESS_EVERY`` pages. Afterwards the
    database's planner statistics are refreshed. Every page's last body is
    rendered before the transaction opens (see ``services.save_page``), and
    those renders are held until it ends."""
    imported = skipped = revisions = 0
    keys = [title_key(record.title) for record in records]
    existing = set(Page.objects.filter(key__in=keys).values_list("key", flat=True))
    renders = {}
    for record in records:
        if title_key(record.title) not in existing and record.revisions:
            renders.update(render_before_writing(record.revisions[-1].content.body))
    with prepared_renders(renders), transaction.atomic():
        users = authors(records)
        for position, record in enumerate(records, start=1):
            if title_key(record.title) in existing:
                skipped += 1
            else:
                import_page_history(
                    record.title, record.revisions, users=users, reviews=record.reviews
                )
                imported += 1
                revisions += len(record.revisions)
            if progress is not None and position % PROGRESS_EVERY == 0:
                progress(position, revisions)
    if imported:
        tidy_after_bulk_load()
    return ImportReport(imported=imported, skipped=skipped, revisions=revisions)


def tidy_after_bulk_load() -> None:
    """Refresh the planner's statistics after an import and, on PostgreSQL,
    clear the dead row versions it left in the tables it rewrote row by row
    (VACUUM cannot run inside a transaction: there, statistics only).

    Without statistics PostgreSQL searched a fresh 10,000-page import six
    times slower. An import writes each page's row once for every revision
    it brings: with statistics but not vacuumed, that import's 71,000 dead
    versions of wiki_page rows (each with its entry in the text index) made
    ranking a search for a common word take 16 ms instead of 5.7, until the
    autovacuum, where it is on, got there."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and not connection.in_atomic_block:
            rewritten = (Page, SearchTitle, Link, PageCategory)
            quote = connection.ops.quote_name
            tables = ", ".join(quote(model._meta.db_table) for model in rewritten)
            cursor.execute(f"VACUUM (ANALYZE) {tables}")
        cursor.execute("ANALYZE")


def import_page_history(
    title: str,
    revisions: Sequence[ImportedRevision],
    *,
    users: dict[str, AbstractBaseUser],
    reviews: Sequence[ImportedReview] = (),
) -> Page | None:
    """Create page ``title`` with ``revisions`` (oldest first) as real
    django-reversion revisions, each with its Version rows and RevisionInfo,
    dated as given (now when not), by ``users[author]``.

    The batched equivalent of calling ``save_page`` once per revision: the
    rows of all revisions are written with a few bulk inserts, and the body is
    rendered and the link table built once, for the last revision. Cross-link
    rows of earlier revisions are created and then deleted, as editing would
    have done, so every version names a row that once existed. ``reviews``
    become the page's clinical reviews, each of the revision it names.
    Returns None
    (and writes nothing) when a page with this title already exists. Raises
    ``ValidationError`` for an invalid title or cross-link."""
    title = validate_title(title)
    contents = [revision.content.clean() for revision in revisions]
    # Rendered before the transaction (at once when import_records did it).
    with prepared_renders(render_before_writing(contents[-1].body)), transaction.atomic():
        if Page.objects.filter(key=title_key(title)).exists():
            return None
        page = Page(title=title)
        page.set_content(contents[-1])
        page.save()
        link_rows = _crosslink_rows(page, contents)
        revision_rows = Revision.objects.bulk_create(
            Revision(
                date_created=revision.date or timezone.now(),
                user=users.get(revision.author),
                comment=revision.summary[:MAX_SUMMARY_LENGTH],
            )
            for revision in revisions
        )
        versions, infos = [], []
        snapshot = Page(pk=page.pk, title=title)
        previous_size = 0
        for revision, content in zip(revision_rows, contents, strict=True):
            snapshot.set_content(content)
            versions.append(version_row(revision, snapshot))
            versions.extend(
                version_row(revision, link_rows[position, link])
                for position, link in enumerate(content.crosslinks)
            )
            infos.append(
                RevisionInfo(
                    revision=revision,
                    page=page,
                    title=title,
                    size=content.size,
                    size_change=content.size - previous_size,
                )
            )
            previous_size = content.size
        Version.objects.bulk_create(versions)
        RevisionInfo.objects.bulk_create(infos)
        PageReview.objects.bulk_create(
            PageReview(
                page=page,
                revision=revision_rows[review.revision],
                reviewer=review.reviewer,
                reviewed_on=review.reviewed_on,
                next_review_due=review.next_review_due,
                note=review.note,
            )
            for review in reviews
        )
        final = [link_rows[key].pk for key in enumerate(contents[-1].crosslinks)]
        CrossLink.objects.filter(page=page).exclude(pk__in=final).delete()
        Page.objects.filter(pk=page.pk).update(current_revision=revision_rows[-1])
        page.current_revision = revision_rows[-1]
        refresh_links(page)
        search.index_page(page)
        bump_link_versions([page.key])
    return page


def _crosslink_rows(
    page: Page, contents: Sequence[PageContent]
) -> dict[tuple[int, CrossLinkContent], CrossLink]:
    """One CrossLink row for every (position, cross-link) the history holds."""
    wanted = {item for content in contents for item in enumerate(content.crosslinks)}
    keys = sorted(wanted, key=repr)
    rows = CrossLink.objects.bulk_create(
        CrossLink.from_content(page, link, position=position) for position, link in keys
    )
    return dict(zip(keys, rows, strict=True))


def version_row(revision: Revision, obj: Model) -> Version:
    """The Version django-reversion's own ``add_to_revision`` would write for
    ``obj`` (same fields, format, representation and database), built from
    the registration's public names in ``wiki.models``."""
    model = type(obj)
    return Version(
        revision=revision,
        content_type=ContentType.objects.get_for_model(model),
        object_id=str(obj.pk),
        db=router.db_for_write(model, instance=obj),
        format=VERSION_FORMAT,
        serialized_data=serializers.serialize(
            VERSION_FORMAT, (obj,), fields=VERSIONED_FIELDS[model]
        ),
        object_repr=str(obj),
    )


# Exporting -------------------------------------------------------------------


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def _content_fields(content: PageContent) -> dict:
    return {
        "article_date": _iso(content.metadata.get("article_date")),
        "source_url": content.metadata.get("source_url") or "",
        "source_name": content.metadata.get("source_name") or "",
        "crosslinks": [
            {
                "kind": link.kind,
                "target_title": link.target_title,
                "note_date": _iso(link.note_date),
                "label": link.label,
            }
            for link in content.crosslinks
        ],
    }


def page_record(page: Page) -> dict:
    """One page as the export format: title, current metadata and
    cross-links, and every revision oldest first with its own."""
    revision_ids = list(
        RevisionInfo.objects.filter(page_id=page.pk)
        .order_by("revision_id")
        .values_list("revision_id", flat=True)
    )
    contents = revision_contents(page, revision_ids)
    revisions = Revision.objects.select_related("user").in_bulk(revision_ids)
    record = {"title": page.title, **_content_fields(PageContent.from_page(page))}
    record["revisions"] = []
    position = {revision_id: index for index, revision_id in enumerate(revision_ids)}
    for revision_id in revision_ids:
        revision, content = revisions[revision_id], contents[revision_id]
        record["revisions"].append(
            {
                "body": content.body,
                "summary": revision.comment,
                "author": revision.user.get_username() if revision.user else None,
                "date": revision.date_created.isoformat(),
                **_content_fields(content),
            }
        )
    record["reviews"] = [
        {
            "reviewer": review.reviewer,
            "reviewed_on": review.reviewed_on.isoformat(),
            "next_review_due": review.next_review_due.isoformat(),
            "note": review.note,
            "revision": position.get(review.revision_id, len(revision_ids) - 1),
        }
        for review in page.reviews.order_by("reviewed_on", "pk")
    ]
    return record


def export_lines() -> Iterator[str]:
    """Every page as one JSON line (no newline), in title-key order."""
    pages = Page.objects.order_by("key").prefetch_related("crosslinks")
    for page in pages.iterator(chunk_size=PAGES_PER_CHUNK):
        yield json.dumps(page_record(page), ensure_ascii=False)
