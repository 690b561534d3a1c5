"""Clinical reviews of pages: the rules of a review's dates, the site's
review interval, and the one shape in which a page shows its review state
(``ReviewStatus``: the page view, its ETag, the PDF and the maintenance list
all read it).

A review is written only by ``wiki.services.record_review`` (and the bulk
importer, which checks the same dates).
"""

from __future__ import annotations

import calendar
import datetime
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core import signing
from django.core.exceptions import ValidationError
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.dateparse import parse_date, parse_datetime

from wiki.models import DEFAULT_REVIEW_INTERVAL_MONTHS, Page, PageReview, SiteSettings

# The maintenance list counts a review as "due soon" this many days ahead.
DUE_SOON_DAYS = 30


def today() -> datetime.date:
    """The date reviews are judged by (the site's time zone)."""
    return timezone.localdate()


def review_interval_months() -> int:
    """The site's review interval in months (the admin's setting)."""
    row = SiteSettings.objects.order_by("pk").values("review_interval_months").first()
    return (row or {}).get("review_interval_months") or DEFAULT_REVIEW_INTERVAL_MONTHS


def add_months(date: datetime.date, months: int) -> datetime.date:
    """``date`` plus ``months`` calendar months; a day the later month lacks
    (31 January plus one month) becomes its last day."""
    month_index = date.month - 1 + months
    year, month = date.year + month_index // 12, month_index % 12 + 1
    return date.replace(
        year=year, month=month, day=min(date.day, calendar.monthrange(year, month)[1])
    )


def check_review_dates(
    reviewed_on: datetime.date, next_review_due: datetime.date, *, on: datetime.date
) -> None:
    """Raise ``ValidationError`` (a dict by field name) when ``reviewed_on``
    is after ``on`` (today) or ``next_review_due`` is not after
    ``reviewed_on``."""
    errors = {}
    if reviewed_on > on:
        errors["reviewed_on"] = ValidationError(
            "The review date cannot be in the future: give the day the page was checked.",
            code="future",
        )
    if next_review_due <= reviewed_on:
        errors["next_review_due"] = ValidationError(
            "The next review must be due after the review date.", code="not_after_review"
        )
    if errors:
        raise ValidationError(errors)


@dataclass(frozen=True)
class ReviewStatus:
    """What a page shows of its clinical review, on one day: the latest
    review (None when never reviewed: then only ``last_edited``), whether it
    is overdue, and whether the page has changed since that review."""

    review_id: int | None
    reviewer: str
    reviewed_on: datetime.date | None
    next_review_due: datetime.date | None
    reviewed_revision_id: int | None
    current_revision_id: int | None
    last_edited: datetime.datetime | None
    is_overdue: bool

    @classmethod
    def of(
        cls,
        review: PageReview | None,
        *,
        current_revision_id: int | None,
        last_edited: datetime.datetime | None,
        on: datetime.date,
    ) -> ReviewStatus:
        if review is None:
            return cls(None, "", None, None, None, current_revision_id, last_edited, False)
        return cls(
            review_id=review.pk,
            reviewer=review.reviewer,
            reviewed_on=review.reviewed_on,
            next_review_due=review.next_review_due,
            reviewed_revision_id=review.revision_id,
            current_revision_id=current_revision_id,
            last_edited=last_edited,
            is_overdue=review.next_review_due < on,
        )

    @property
    def is_reviewed(self) -> bool:
        return self.review_id is not None

    @property
    def has_changed_since_review(self) -> bool:
        return self.is_reviewed and self.reviewed_revision_id != self.current_revision_id

    def etag_part(self) -> tuple:
        """Everything this status shows that can change without a new
        revision: a new review, or the day its due date passes."""
        return ("review", self.review_id, self.is_overdue)


def page_review_status(page, *, on: datetime.date | None = None) -> ReviewStatus:
    """The review status of ``page`` (its current revision loaded, or one
    query more): one query for the latest review."""
    revision = page.current_revision
    return ReviewStatus.of(
        PageReview.objects.latest_for(page.pk),
        current_revision_id=page.current_revision_id,
        last_edited=revision.date_created if revision is not None else None,
        on=on or today(),
    )


def _as_date(value) -> datetime.date | None:
    # Raw SQL columns outside the model's own fields get no Django converter:
    # SQLite may hand back text.
    if value is None or isinstance(value, datetime.date):
        return value
    return parse_date(str(value))


def _as_datetime(value) -> datetime.datetime | None:
    if value is not None and not isinstance(value, datetime.datetime):
        value = parse_datetime(str(value))
    if value is not None and timezone.is_naive(value):
        value = value.replace(tzinfo=datetime.UTC)  # stored in UTC (USE_TZ)
    return value


def viewed_review_status(page, *, on: datetime.date) -> ReviewStatus:
    """The review status of a page loaded by the page view's one query
    (``wiki.views.reading.PAGE_VIEW_SQL``), which also fetched its latest
    review and its current revision's date: no query here. A page loaded
    otherwise costs ``page_review_status``'s queries."""
    if not hasattr(page, "review_id"):
        return page_review_status(page, on=on)
    review = None
    if page.review_id is not None:
        review = PageReview(
            pk=page.review_id,
            page_id=page.pk,
            reviewer=page.review_reviewer,
            reviewed_on=_as_date(page.review_reviewed_on),
            next_review_due=_as_date(page.review_next_review_due),
            revision_id=page.review_revision_id,
        )
    return ReviewStatus.of(
        review,
        current_revision_id=page.current_revision_id,
        last_edited=_as_datetime(page.current_revision_date),
        on=on,
    )


@dataclass(frozen=True)
class DueRow:
    """One page of the maintenance list, with what makes it due."""

    page: Page
    is_never_reviewed: bool
    is_overdue: bool
    is_due_soon: bool
    has_changed: bool

    @property
    def states(self) -> list[str]:
        return [
            name
            for name, is_state in (
                ("never reviewed", self.is_never_reviewed),
                ("overdue", self.is_overdue),
                ("due soon", self.is_due_soon),
                ("changed since review", self.has_changed),
            )
            if is_state
        ]


def _due_row(page: Page, on) -> DueRow:
    is_reviewed = page.last_review_id is not None
    is_overdue = is_reviewed and page.next_review_due < on
    soon = on + datetime.timedelta(days=DUE_SOON_DAYS)
    return DueRow(
        page=page,
        is_never_reviewed=not is_reviewed,
        is_overdue=is_overdue,
        is_due_soon=is_reviewed and not is_overdue and page.next_review_due <= soon,
        has_changed=is_reviewed and page.reviewed_revision_id != page.current_revision_id,
    )


# ?sort= values: the column, ascending; "-" before one sorts descending.
# Never-reviewed pages count as the most urgent (due and reviewed longest ago).
SORTS = {
    "due": (F("next_review_due").asc(nulls_first=True), "title"),
    "-due": (F("next_review_due").desc(nulls_last=True), "title"),
    "reviewed": (F("last_reviewed_on").asc(nulls_first=True), "title"),
    "-reviewed": (F("last_reviewed_on").desc(nulls_last=True), "title"),
    "title": ("title",),
    "-title": ("-title",),
}
DEFAULT_SORT = "due"
# ?state= values: which of the four lists to show (all four by default).
STATES = {
    "overdue": "is_overdue",
    "due-soon": "is_due_soon",
    "never": "is_never_reviewed",
    "changed": "has_changed",
}


def due_rows(on: datetime.date, *, sort: str = DEFAULT_SORT) -> list[DueRow]:
    """The pages needing review on ``on`` (``PageQuerySet.needing_review``),
    in the order ``sort`` (a key of ``SORTS``)."""
    pages = Page.objects.needing_review(on, due_within_days=DUE_SOON_DAYS).only(
        "title", "key", "current_revision_id", "redirect_to", "updated_at"
    )
    return [_due_row(page, on) for page in pages.order_by(*SORTS[sort])]


# Feed addresses carry a signed token naming the moderator (a feed reader
# cannot log in). It also holds a digest of the user's password hash, so a
# new password makes every old feed address invalid, as Django's password
# reset links do.
FEED_TOKEN_SALT = "wiki.reviews.feed_token"  # noqa: S105 (a salt, not a secret)


def _password_digest(user) -> str:
    return salted_hmac(FEED_TOKEN_SALT, user.password or "", algorithm="sha256").hexdigest()[:20]


def feed_token(user) -> str:
    """The token of ``user``'s own review feed address."""
    return signing.dumps({"user": user.pk, "key": _password_digest(user)}, salt=FEED_TOKEN_SALT)


def feed_user(token: str):
    """The active user a feed token names, or None for a token that is
    malformed, forged, or made before the user's password last changed."""
    try:
        data = signing.loads(token, salt=FEED_TOKEN_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("user"), int):
        return None
    user = get_user_model().objects.filter(pk=data["user"], is_active=True).first()
    if user is None or not constant_time_compare(str(data.get("key")), _password_digest(user)):
        return None
    return user
