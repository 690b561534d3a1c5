"""The standing medical disclaimer: numbered versions, never rewritten.

Every page carries the newest version: in full at its foot, as a one-line
notice ("General information, not medical advice") near its top, and its
short form on every PDF sheet, with the version's number and date at the
end of the PDF. ``/disclaimer/`` shows the current version, and
``/disclaimer/<number>/`` any version as it stood. Admins add a version in
the admin (pre-filled with the current text); no version is ever changed or
deleted.

The current version is kept in the shared cache under ``wiki:disclaimer:v2``
(listed in ``wiki.display``) for ``DISCLAIMER_CACHE_SECONDS``; adding a
version deletes that entry once its transaction commits. Page ETags, the
shared copies of anonymous pages and the PDF cache keys hold the version's
number, so a new version reaches them at once wherever the cache is shared.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from wiki import purge
from wiki.models import (
    DEFAULT_DISCLAIMER,
    DEFAULT_DISCLAIMER_SHORT,
    MAX_DISCLAIMER_NUMBER,
    DisclaimerVersion,
    SiteSettings,
)

# v2: the entry holds a DisclaimerVersion (v1 held a pair of strings), so a
# server still running the old code never reads the new shape, nor the new
# code the old one.
DISCLAIMER_CACHE_KEY = "wiki:disclaimer:v2"
# Other app servers with their own local-memory cache see a new version
# within this many seconds; with Redis the change is seen at once.
DISCLAIMER_CACHE_SECONDS = 60
# How many times a save takes a fresh number after losing one to another save.
NUMBERING_ATTEMPTS = 10
SHORT_TEXT_LENGTH = DisclaimerVersion._meta.get_field("short_text").max_length
EMPTY_DISCLAIMER = "The medical disclaimer cannot be empty: every page must carry it."


def current_disclaimer() -> DisclaimerVersion:
    """The newest disclaimer version, from the cache when it is there (no
    query), else one query. A database without any version (one emptied
    since it was migrated) gets version 1 with our default text first."""
    version = cache.get(DISCLAIMER_CACHE_KEY)
    if version is None:
        version = DisclaimerVersion.objects.order_by("-number").first() or _first_version()
        cache.set(DISCLAIMER_CACHE_KEY, version, DISCLAIMER_CACHE_SECONDS)
    return version


def request_disclaimer(request) -> DisclaimerVersion:
    """``current_disclaimer()``, asked of the cache once a request (the page
    view's ETag, the notice and the footer all need it)."""
    if not hasattr(request, "_wiki_disclaimer"):
        request._wiki_disclaimer = current_disclaimer()
    return request._wiki_disclaimer


# Versions by (number, creation time), kept by this process: a version never
# changes, so a page view that read the current one's number and time with
# its page (wiki.views.reading) needs neither the cache nor a query for the
# text. The time tells apart two versions given one number (a database
# restored from an older backup, then added to).
_versions: dict[tuple[int, object], DisclaimerVersion] = {}
# A process keeps at most this many versions (each is a few KB).
KEPT_VERSIONS = 8


def disclaimer_numbered(number: int | None, created_at) -> DisclaimerVersion:
    """The version numbered ``number`` and made at ``created_at`` (the
    current one, read by the caller in the same query as its page, as the
    database gives it), from this process's memory after the first time; ``current_disclaimer()``
    when there is no such version (none at all yet, say)."""
    key = (number, created_at)
    version = _versions.get(key) if number else None
    if version is None:
        version = disclaimer_version(number) if number else None
        if version is None:
            return current_disclaimer()
        if len(_versions) >= KEPT_VERSIONS:
            _versions.clear()
        _versions[key] = version
    return version


def use_disclaimer(request, version: DisclaimerVersion) -> None:
    """Make ``version`` the one ``request_disclaimer(request)`` gives."""
    request._wiki_disclaimer = version


def forget_disclaimer() -> None:
    """Drop the cached current version (after a new one is saved)."""
    cache.delete(DISCLAIMER_CACHE_KEY)


def disclaimer_version(number: int) -> DisclaimerVersion | None:
    """Version ``number``, or None when there is no such version (also for
    a number no database column could hold)."""
    if not 0 < number <= MAX_DISCLAIMER_NUMBER:
        return None
    return DisclaimerVersion.objects.filter(number=number).first()


def _first_version() -> DisclaimerVersion:
    # get_or_create: two first readers at once make one version 1, not two.
    version, _created = DisclaimerVersion.objects.get_or_create(
        number=1,
        defaults={
            "text": DEFAULT_DISCLAIMER,
            "short_text": DEFAULT_DISCLAIMER_SHORT,
            "created_at": timezone.now(),
        },
    )
    return version


def _cleaned(text: str, *, separator: str, max_length: int | None = None) -> str:
    """``text``'s non-blank lines, stripped, joined by ``separator``; raises
    ``ValidationError`` when nothing is left or it is over ``max_length``."""
    lines = [line.strip() for line in (text or "").splitlines()]
    cleaned = separator.join(line for line in lines if line)
    if not cleaned:
        raise ValidationError(EMPTY_DISCLAIMER, code="empty")
    if max_length is not None and len(cleaned) > max_length:
        raise ValidationError(
            "The short form must be at most %(limit)s characters (it has %(length)s).",
            params={"limit": max_length, "length": len(cleaned)},
            code="too_long",
        )
    return cleaned


def check_disclaimer_text(text: str, short_text: str) -> tuple[str, str]:
    """``(text, short_text)`` as a version keeps them: the text one
    paragraph a line, the short form on one line. Raises ``ValidationError``
    when either is empty or the short form is longer than
    ``SHORT_TEXT_LENGTH``."""
    return (
        _cleaned(text, separator="\n"),
        _cleaned(short_text, separator=" ", max_length=SHORT_TEXT_LENGTH),
    )


def add_disclaimer_version(
    text: str, short_text: str, *, user: AbstractBaseUser | None = None
) -> DisclaimerVersion:
    """Save a new wording of the disclaimer as the next version and return it.

    ``text`` is the full disclaimer, one paragraph a line (blank lines and
    the spaces around each line are dropped); ``short_text`` the one line
    printed on every PDF sheet (at most ``SHORT_TEXT_LENGTH`` characters).
    Raises ``ValidationError`` when either is empty or the short form too
    long. Never changes an earlier version.

    The number is the highest so far plus one, assigned one save at a time:
    the site-settings row is locked (``select_for_update``) first, so a
    second admin saving at the same moment waits and then takes the next
    number; the unique constraint on ``number`` backs this up (a save that
    loses a number to another, possible only while the row is missing, tries
    again with the next). The cached
    current version is dropped once the transaction commits, so every page
    shows the new version from then on."""
    text, short_text = check_disclaimer_text(text, short_text)
    for attempt in range(NUMBERING_ATTEMPTS):
        try:
            version = _add_version(text, short_text, user)
        except IntegrityError:
            # Another save took this number first: only possible while the
            # lock row was missing (or on a database that ignores the lock).
            if attempt == NUMBERING_ATTEMPTS - 1:
                raise
        else:
            break
    return version


def _add_version(text: str, short_text: str, user) -> DisclaimerVersion:
    with transaction.atomic():
        # The one settings row is the lock that numbers versions one at a
        # time (a database emptied since it was migrated gets its row back).
        if not list(SiteSettings.objects.select_for_update().order_by("pk")[:1]):
            SiteSettings.objects.create()
        highest = DisclaimerVersion.objects.aggregate(highest=Max("number"))["highest"] or 0
        version = DisclaimerVersion.objects.create(
            number=highest + 1,
            text=text,
            short_text=short_text,
            created_at=timezone.now(),
            created_by=user,
        )
        # Now, for the rest of this transaction, and again once it commits,
        # in case a reader cached the old version in between.
        forget_disclaimer()
        transaction.on_commit(forget_disclaimer)
        # Every page shows the disclaimer. Again once other app servers'
        # local-memory caches have let the old version go.
        purge.purge_everything(again_after=DISCLAIMER_CACHE_SECONDS + 1)
    return version
