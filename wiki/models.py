"""Pages and the models beside them.

Page content (title, body, metadata, cross-links) is versioned with
django-reversion. Everything that changes without an edit (render state,
counters) lives in fields excluded from versioning or in models of its own, so
it never makes a revision.
"""

import datetime

import reversion
from django.conf import settings
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Cast, Coalesce, Lower, NullIf
from django.urls import reverse
from django.utils.functional import cached_property
from reversion.models import Revision

from wiki import content, plaintext
from wiki.content import CrossLinkContent, PageContent
from wiki.rendering import parse_redirect
from wiki.titles import (
    MAX_TITLE_LENGTH,
    category_url,
    page_url,
    title_key,
    title_to_slug,
    validate_title,
)

# PostgreSQL's text-search configuration for every search vector and query.
SEARCH_CONFIG = "english"

# The disclaimer a new site starts with (version 1; see DisclaimerVersion).
# One paragraph a line.
DEFAULT_DISCLAIMER = (
    "The information on this site is general information for education only. It is "
    "not medical advice, and it is not a substitute for the care of a licensed "
    "physician: a doctor who knows you and your medical history.\n"
    "If you think you may be ill, see a doctor. Never ignore a symptom, and never put "
    "off getting help because of something you have read here.\n"
    "It helps to keep notes of your symptoms: what you noticed, the date and time it "
    "started, how long it lasted, and anything that made it better or worse. Take "
    "these notes with you when you see your doctor.\n"
    "The articles on this site, the links on its pages and the sites they lead to are "
    "not medical advice either. Other sites are written by other people, and we do not "
    "control what they say.\n"
    "Always check with your own medical team before you act on anything you read here, "
    "and before you start, stop or change any treatment.\n"
    "No sponsor, advertiser or drug maker has any say in what we write, and none can "
    "pay to change it.\n"
    "E&OE stands for \u201cerrors and omissions excepted\u201d. We work hard to keep "
    "every page correct and up to date, but medicine changes and people make mistakes: "
    "a page may be wrong, out of date, or leave out something that matters to you. "
    "That is one more reason to talk to your medical team."
)
# A page's next clinical review is due this long after the last (3 years),
# unless an admin sets another interval in the site settings.
DEFAULT_REVIEW_INTERVAL_MONTHS = 36
MAX_REVIEW_INTERVAL_MONTHS = 120
DEFAULT_DISCLAIMER_SHORT = (
    "Educational information only, not medical advice and not a substitute for a "
    "licensed physician. See a doctor about any symptom, and check with your medical "
    "team before acting. Not influenced by sponsors. E&OE."
)
# The database's largest positive integer (PostgreSQL's integer): a version
# number in a URL beyond it is no version, not a query error.
MAX_DISCLAIMER_NUMBER = 2**31 - 1


# A page is ranked among the least or most useful only from this many votes:
# one or two answers say more about those readers than about the page.
MINIMUM_VOTES_TO_RANK = 3
# How many pages each of those rankings lists.
RANKED_PAGES = 10


class PageQuerySet(models.QuerySet):
    def redirects(self):
        return self.exclude(redirect_to="")

    def content_pages(self):
        return self.filter(redirect_to="")

    def articles(self):
        return self.content_pages().filter(article_date__isnull=False)

    def by_year(self, year: int):
        return self.articles().filter(article_date__year=year)

    def with_title(self, title: str):
        """The page (at most one) with this title in any spelling; none for a
        string that cannot be a title (so no NUL byte ever reaches the database)."""
        try:
            title = validate_title(title)
        except ValidationError:
            return self.none()
        return self.filter(key=title_key(title))

    def with_key_or_its_target(self, key: str):
        """The page with this title key and, when it is a redirect, the pages
        its text links to, its target among them: one query for a redirect
        view. The link table always holds a redirect's target (see
        ``wiki.services._link_targets``)."""
        # A UNION, not "key = k OR key IN (...)": PostgreSQL answers the OR
        # with a scan of every page, the UNION with two index lookups.
        own = Page.objects.filter(key=key).order_by().values("key")
        targets = (
            Link.objects.filter(source__key=key)
            .exclude(source__redirect_to="")
            .order_by()
            .values("target_key")
        )
        return self.filter(key__in=own.union(targets, all=True))

    def linking_to_title(self, title: str):
        """Pages whose current text or cross-links link to ``title``, which
        need not exist, by title."""
        return self.filter(outgoing_links__target_key=title_key(title)).order_by("title")

    def orphaned(self):
        """Content pages that no other page links to (redirects included)."""
        incoming = Link.objects.filter(target_key=models.OuterRef("key")).exclude(
            source_id=models.OuterRef("pk")
        )
        return self.content_pages().filter(~models.Exists(incoming))

    def with_vote_counts(self):
        """Annotate ``yes_votes`` and ``no_votes`` in the same query as the
        pages themselves, so showing a page's count costs no query of its own
        (correlated counts over the (page, voter_key) index)."""
        votes = Vote.objects.filter(page=models.OuterRef("pk")).order_by().values("page")

        def count(is_useful):
            counted = votes.filter(is_useful=is_useful).annotate(number=models.Count("pk"))
            return Coalesce(models.Subquery(counted.values("number")), 0)

        return self.annotate(yes_votes=count(True), no_votes=count(False))

    def with_feedback(self, *, voted_since=None, voted_until=None, views_since=None):
        """Annotate each page with reader feedback: ``yes_votes``,
        ``no_votes``, ``total_votes``, ``percent_useful`` (None without votes),
        ``last_vote_at`` (counting only votes last changed at or after
        ``voted_since`` and before ``voted_until`` when given) and
        ``recent_views`` (views on or after the date ``views_since``, all time
        when None). Subqueries, not joins, so the numbers never multiply each
        other."""
        votes = Vote.objects.filter(page=models.OuterRef("pk"))
        if voted_since is not None:
            votes = votes.filter(updated_at__gte=voted_since)
        if voted_until is not None:
            votes = votes.filter(updated_at__lt=voted_until)
        views = PageViewDay.objects.filter(page=models.OuterRef("pk"))
        if views_since is not None:
            views = views.filter(day__gte=views_since)

        def vote_count(subset):
            counted = subset.order_by().values("page").annotate(number=models.Count("pk"))
            return Coalesce(models.Subquery(counted.values("number")), 0)

        total_views = views.order_by().values("page").annotate(number=models.Sum("views"))
        last_vote = votes.order_by().values("page").annotate(last=models.Max("updated_at"))
        return (
            self.annotate(
                yes_votes=vote_count(votes.filter(is_useful=True)),
                no_votes=vote_count(votes.filter(is_useful=False)),
                last_vote_at=models.Subquery(last_vote.values("last")),
                recent_views=Coalesce(models.Subquery(total_views.values("number")), 0),
            )
            .annotate(
                total_votes=models.F("yes_votes") + models.F("no_votes"),
            )
            .annotate(
                percent_useful=models.Case(
                    models.When(total_votes=0, then=None),
                    default=Cast(models.F("yes_votes"), models.FloatField())
                    * 100.0
                    / Cast(models.F("total_votes"), models.FloatField()),
                    output_field=models.FloatField(),
                )
            )
        )

    def least_useful(
        self, *, minimum_votes: int = MINIMUM_VOTES_TO_RANK, limit: int = RANKED_PAGES
    ):
        """The content pages readers found least useful, among those with at
        least ``minimum_votes`` votes: lowest share of "yes" first, then the
        most votes (the surest), then by title."""
        return (
            self.content_pages()
            .with_feedback()
            .filter(total_votes__gte=minimum_votes)
            .order_by("percent_useful", "-total_votes", "title")[:limit]
        )

    def most_useful(self, *, minimum_votes: int = MINIMUM_VOTES_TO_RANK, limit: int = RANKED_PAGES):
        """The content pages readers found most useful, among those with at
        least ``minimum_votes`` votes: highest share of "yes" first, then the
        most votes, then by title."""
        return (
            self.content_pages()
            .with_feedback()
            .filter(total_votes__gte=minimum_votes)
            .order_by("-percent_useful", "-total_votes", "title")[:limit]
        )

    def with_latest_review(self):
        """Annotate each page with its latest clinical review (see
        ``PageReviewQuerySet.newest_first``): ``last_review_id``,
        ``last_reviewed_on``, ``next_review_due``, ``last_reviewer`` and
        ``reviewed_revision_id`` (all None for a page never reviewed), one
        correlated subquery each over the (page, date) index."""
        latest = PageReview.objects.filter(page_id=models.OuterRef("pk")).newest_first()

        def field(name):
            return models.Subquery(latest.values(name)[:1])

        return self.annotate(
            last_review_id=field("pk"),
            last_reviewed_on=field("reviewed_on"),
            next_review_due=field("next_review_due"),
            last_reviewer=field("reviewer"),
            reviewed_revision_id=field("revision_id"),
        )

    def needing_review(self, today, *, due_within_days: int):
        """Content pages with their latest review (``with_latest_review``)
        that need a reviewer's attention on ``today``: never reviewed, overdue,
        due within ``due_within_days`` days, or changed since their latest
        review."""
        soon = today + datetime.timedelta(days=due_within_days)
        return (
            self.content_pages()
            .with_latest_review()
            .filter(
                models.Q(last_review_id__isnull=True)
                | models.Q(next_review_due__lte=soon)
                | ~models.Q(reviewed_revision_id=models.F("current_revision_id"))
            )
        )

    def overdue_for_review(self, today):
        """Content pages whose latest review's next date is before ``today``."""
        return self.content_pages().with_latest_review().filter(next_review_due__lt=today)

    def title_starts_with(self, prefix: str):
        key = title_key(prefix)
        return self.filter(key__startswith=key) if key else self.none()


class Page(models.Model):
    title = models.CharField(max_length=MAX_TITLE_LENGTH)
    # Case-folded canonical title (wiki.titles.title_key): what makes two
    # titles the same page. Unique in the database, the same on every backend.
    key = models.CharField(max_length=MAX_TITLE_LENGTH, unique=True, editable=False)
    body = models.TextField(blank=True)

    # Stored when the page is saved so that a read never parses the body.
    redirect_to = models.CharField(max_length=MAX_TITLE_LENGTH, blank=True, editable=False)
    redirect_fragment = models.CharField(max_length=MAX_TITLE_LENGTH, blank=True, editable=False)

    # Article metadata: a page with an article date is an article.
    article_date = models.DateField(null=True, blank=True)
    source_url = models.URLField(max_length=500, blank=True)
    source_name = models.CharField(max_length=255, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Not versioned (see wiki.revisions): the revision now shown, and a counter
    # bumped whenever a page this one links to appears or disappears, so that
    # cached HTML keyed on it never shows a stale missing-link mark.
    current_revision = models.ForeignKey(
        Revision, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    link_version = models.PositiveIntegerField(default=0, editable=False)
    # Not versioned: PostgreSQL's full-text index of the title (weight A) and
    # the rendered text (weight B), written by wiki.search on every save. Null
    # on SQLite, which keeps its index in an FTS5 table instead.
    search_vector = SearchVectorField(null=True, editable=False)

    objects = PageQuerySet.as_manager()

    class Meta:
        ordering = ["title"]
        permissions = [
            ("move_page", "Can move (rename) a page"),
            ("revert_page", "Can revert a page to an earlier revision"),
        ]
        # Created on PostgreSQL only (see migration 0003_search): the text
        # search, and the titles alone (title matches rank first).
        indexes = [
            GinIndex(fields=["search_vector"], name="wiki_page_search_gin"),
            GinIndex(
                SearchVector("title", config=SEARCH_CONFIG), name="wiki_page_title_search_gin"
            ),
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        # The key is a pure function of the title; keeping it here means no
        # code path (admin, import, recover) can store a page without it.
        self.key = title_key(self.title)
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return page_url(self.title)

    @property
    def slug(self) -> str:
        return title_to_slug(self.title)

    @property
    def redirect_to_url(self) -> str:
        return page_url(self.redirect_to) if self.redirect_to else ""

    @property
    def is_redirect(self) -> bool:
        return bool(self.redirect_to)

    @property
    def is_article(self) -> bool:
        return self.article_date is not None

    @property
    def size(self) -> int:
        return len(self.body.encode("utf-8"))

    def redirect_target(self) -> "Page | None":
        """The page this redirect leads to, or None when this page is no
        redirect or its target does not exist. One hop only: a redirect to a
        redirect gives that second redirect page, so a chain or a loop can
        never hang a request."""
        if not self.is_redirect:
            return None
        return Page.objects.with_title(self.redirect_to).select_related("current_revision").first()

    def set_content(self, page_content: PageContent) -> None:
        """Take the body and metadata of ``page_content``, and the redirect its
        body declares (not saved; cross-links are rows of their own, written
        by ``wiki.services``)."""
        self.body = page_content.body
        for name, value in page_content.metadata.items():
            setattr(self, name, value)
        self.redirect_to, self.redirect_fragment = parse_redirect(self.body) or ("", "")

    @property
    def source_href(self) -> str:
        """The source URL when it is a web address safe to link to, else ""."""
        url = self.source_url.strip()
        return url if url.lower().startswith(("https://", "http://")) else ""

    @cached_property
    def description(self) -> str:
        """The first paragraph as plain text, about 160 characters (cached by
        body: no query). Empty for a redirect, whose body is only markup."""
        if self.is_redirect:
            return ""
        return plaintext.first_paragraph(self.body)

    @cached_property
    def first_sentence(self) -> str:
        return plaintext.first_sentence(self.body)


class RevisionInfo(models.Model):
    """Per-revision facts stored beside django-reversion's Revision (with
    ``reversion.add_meta``) so that history lists never deserialize versions.

    ``page`` has no database constraint: when an admin deletes a page its
    history must stay, so that the page can be recovered with it.
    """

    revision = models.OneToOneField(Revision, on_delete=models.CASCADE, related_name="info")
    page = models.ForeignKey(
        Page,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="revision_infos",
    )
    title = models.CharField(max_length=MAX_TITLE_LENGTH)
    size = models.PositiveIntegerField()
    size_change = models.IntegerField(default=0)
    # Imported from MediaWiki (importmediawiki): the revision's id there, which
    # /index.php?oldid=<n> names, and the author's name when no user here has
    # it (the revision then has no user).
    mediawiki_id = models.PositiveBigIntegerField(null=True, blank=True, unique=True)
    author_name = models.CharField(max_length=255, blank=True, db_index=True)
    is_minor = models.BooleanField(default=False)

    class Meta:
        indexes = [models.Index(fields=["page", "-revision"], name="wiki_revinfo_page_rev")]

    def __str__(self):
        return f"{self.title} @ {self.revision_id}"


class CrossLink(models.Model):
    """A "Related pages" entry or a dated "see separate page" note, versioned
    with its page (django-reversion follows ``page.crosslinks``)."""

    # The kinds are content (wiki.content); named here too for the ORM's callers.
    RELATED = content.RELATED
    SEE_SEPARATE = content.SEE_SEPARATE
    KIND_CHOICES = content.KIND_CHOICES

    page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="crosslinks")
    kind = models.CharField(max_length=10, choices=KIND_CHOICES, default=RELATED)
    target_title = models.CharField(max_length=MAX_TITLE_LENGTH)
    note_date = models.DateField(null=True, blank=True)
    label = models.CharField(max_length=255, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["kind", "position", "id"]

    def __str__(self):
        return f"{self.page} -> {self.target_title}"

    @classmethod
    def from_content(cls, page: Page, link: CrossLinkContent, *, position: int):
        """An unsaved row of ``page`` holding ``link`` at ``position``."""
        return cls(
            page=page,
            kind=link.kind,
            target_title=link.target_title,
            note_date=link.note_date,
            label=link.label,
            position=position,
        )

    @property
    def target_url(self) -> str:
        return page_url(self.target_title)


class Link(models.Model):
    """One wiki link from a page's current text: the link table. Rebuilt from
    the body on every save; never versioned."""

    source = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="outgoing_links")
    target_key = models.CharField(max_length=MAX_TITLE_LENGTH, db_index=True)
    target_title = models.CharField(max_length=MAX_TITLE_LENGTH)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "target_key"], name="wiki_link_unique")
        ]

    def __str__(self):
        return f"{self.source} -> {self.target_title}"


class SiteSettings(models.Model):
    """Site-wide settings that admins may change; there is one row. (The
    medical disclaimer, kept here until migration 0007, has its own
    versioned model: ``DisclaimerVersion``.)"""

    review_interval_months = models.PositiveSmallIntegerField(
        default=DEFAULT_REVIEW_INTERVAL_MONTHS,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_REVIEW_INTERVAL_MONTHS)],
        help_text=(
            "When a clinical review is recorded, the next review is due this many "
            "months later unless the moderator gives another date."
        ),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "site settings"
        verbose_name_plural = "site settings"

    def __str__(self):
        return "Site settings"


# What django-reversion stores of each model, and how. Page content is
# versioned; the key (a function of the title), timestamps, render state, the
# search vector and the current-revision pointer are not (they change without
# an edit). Cross-links are versioned with the page so a revert restores them
# too. The bulk importer (wiki.transfer) writes the same Version rows from
# these names, so the two can never serialize differently.
VERSION_FORMAT = "json"
PAGE_VERSIONED_FIELDS = (
    "title",
    "body",
    "redirect_to",
    "redirect_fragment",
    "article_date",
    "source_url",
    "source_name",
)
CROSSLINK_VERSIONED_FIELDS = ("page", "kind", "target_title", "note_date", "label", "position")
VERSIONED_FIELDS = {Page: PAGE_VERSIONED_FIELDS, CrossLink: CROSSLINK_VERSIONED_FIELDS}
reversion.register(Page, fields=PAGE_VERSIONED_FIELDS, format=VERSION_FORMAT, follow=["crosslinks"])
reversion.register(CrossLink, fields=CROSSLINK_VERSIONED_FIELDS, format=VERSION_FORMAT)


class ProblemReason(models.TextChoices):
    """Why a reader says a page is wrong: the reasons of a problem report
    and of a "no" vote."""

    OUTDATED = "outdated", "It is out of date"
    INCORRECT = "incorrect", "Something is incorrect"
    BROKEN_LINK = "broken-link", "A link does not work"
    UNCLEAR = "unclear", "It is hard to understand"
    OTHER = "other", "Something else"


class Vote(models.Model):
    """One reader's answer to "Was this information useful?" about one page.

    ``voter_key`` names the reader without keeping anything personal:
    ``user:<id>`` for a logged-in reader, otherwise ``reader:`` and a keyed
    hash of the token in the reader's vote cookie (or ``session:`` and a
    keyed hash of the session key of a reader who already had a session; see
    ``wiki.services.voter_key_for``). The unique
    constraint makes one vote per reader per page hold even under concurrent
    requests; a changed answer updates the row. Deleting a page deletes its
    votes: they describe text readers can no longer read.
    """

    page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="votes")
    # The revision the reader saw when they answered, so admins can tell
    # whether an edit helped. Kept (as NULL) if the revision is ever removed.
    revision = models.ForeignKey(
        Revision, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    is_useful = models.BooleanField()
    # Why a "no" answer said so, when the reader told us (empty otherwise).
    reason = models.CharField(max_length=20, choices=ProblemReason.choices, blank=True)
    voter_key = models.CharField(max_length=80)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["page", "voter_key"], name="wiki_vote_one_per_reader")
        ]
        indexes = [models.Index(fields=["page", "updated_at"], name="wiki_vote_page_updated")]

    def __str__(self):
        return f"{self.page}: {'yes' if self.is_useful else 'no'}"


class VoteAllowance(models.Model):
    """How much of one vote limit has been used in its window: the answers a
    network has added to one page today, or one reader's answers in the last
    few minutes (see ``wiki.feedback.take_allowance``). Kept in the database,
    not the cache, so every worker and every machine counts against the same
    number even without Redis. ``name`` holds no address or session key: it
    is a keyed digest that changes every day; rows are deleted once
    ``expires_at`` has passed."""

    name = models.CharField(primary_key=True, max_length=120)
    used = models.PositiveIntegerField()
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self):
        return f"{self.name}: {self.used}"


class PageViewDay(models.Model):
    """How many times a page was read on one day (UTC), per country when a
    country database is configured (``country`` is empty otherwise or when
    the address is not in it). Written in batches by
    ``wiki.page_views.flush_page_views``, never on each view; deleted with the
    page."""

    page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="view_days")
    day = models.DateField()
    country = models.CharField(max_length=2, blank=True, default="")
    views = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["page", "day", "country"], name="wiki_pageviewday_unique"
            )
        ]
        indexes = [models.Index(fields=["day"], name="wiki_pageviewday_day")]

    def __str__(self):
        return f"{self.page} {self.day} {self.country or '--'}: {self.views}"


class PageViewBatch(models.Model):
    """A batch of view counts taken from Redis and written to PageViewDay.
    Recorded in the same transaction as the counts, so a flush interrupted
    after the write but before Redis forgot the batch never counts it twice."""

    name = models.CharField(max_length=100, unique=True)
    flushed_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return self.name


class PageFeedback(Page):
    """Page seen from the admins' side: votes and views (admin review)."""

    class Meta:
        proxy = True
        verbose_name = "page feedback"
        verbose_name_plural = "page feedback"


class DisclaimerVersion(models.Model):
    """One wording of the standing medical disclaimer, numbered 1, 2, 3...

    The newest is the one every page carries. A version is never changed or
    deleted once saved: a new wording is a new version (made only by
    ``wiki.services.add_disclaimer_version``, which numbers it), so that
    ``/disclaimer/<number>/`` shows what a reader saw then, and a PDF that
    names its version can always be checked. ``created_by`` is kept as NULL
    if the admin's account is ever deleted."""

    number = models.PositiveIntegerField(unique=True, editable=False)
    text = models.TextField(
        help_text="Shown in full at the foot of every page and at /disclaimer/. "
        "One paragraph per line."
    )
    short_text = models.CharField(
        "short form",
        max_length=300,
        help_text="One line, printed at the foot of every PDF sheet.",
    )
    created_at = models.DateTimeField(editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    class Meta:
        ordering = ["-number"]
        verbose_name = "disclaimer version"

    def __str__(self):
        return f"Disclaimer version {self.number}"

    def get_absolute_url(self):
        return reverse("wiki:disclaimer-version", kwargs={"number": self.number})

    @property
    def paragraphs(self) -> list[str]:
        return [line.strip() for line in self.text.splitlines() if line.strip()]


class ProblemReportQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status=ProblemReport.OPEN)

    def for_moderators(self):
        """Open reports first, then closed ones; newest first in each."""
        is_closed = models.Case(
            models.When(status=ProblemReport.OPEN, then=0),
            default=1,
            output_field=models.IntegerField(),
        )
        return self.select_related("page", "closed_by").order_by(is_closed, "-created_at", "-pk")


class ProblemReport(models.Model):
    """A reader's "Report a problem with this page": why, in their words,
    and an e-mail address only if they chose to give one. Only moderators see
    reports. Nothing about the reader's connection (address, user agent) is
    kept; the rate limit counts them under a daily digest (see
    ``wiki.views.reports``). Deleting a page deletes its reports, as its
    votes."""

    OPEN = "open"
    CLOSED = "closed"
    STATUS_CHOICES = [(OPEN, "Open"), (CLOSED, "Closed")]

    page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="problem_reports")
    # The revision the reader was reading; kept (as NULL) if it is ever removed.
    revision = models.ForeignKey(
        Revision, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(max_length=20, choices=ProblemReason.choices)
    details = models.TextField(blank=True)
    contact = models.EmailField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=10, choices=STATUS_CHOICES, default=OPEN)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    close_note = models.TextField(blank=True)

    objects = ProblemReportQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["status", "-created_at"], name="wiki_report_status_created"),
            models.Index(fields=["page", "status"], name="wiki_report_page_status"),
        ]

    def __str__(self):
        return f"{self.page}: {self.get_reason_display()} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status == self.OPEN


# The longest "name and role" of a reviewer, as readers see it.
MAX_REVIEWER_LENGTH = 200
MAX_REVIEW_NOTE_LENGTH = 2000


class PageReviewQuerySet(models.QuerySet):
    def newest_first(self):
        """Latest review date first; reviews of one day in the order recorded,
        last first."""
        return self.order_by("-reviewed_on", "-pk")

    def latest_for(self, page_id: int) -> "PageReview | None":
        return self.filter(page_id=page_id).newest_first().first()


class PageReview(models.Model):
    """A clinical review of one page: who checked which revision, when, and
    when it should be checked again. Written by ``services.record_review``.

    Kept forever: nothing deletes a review. ``page`` has no database
    constraint (as ``RevisionInfo``), so an admin's delete of the page leaves
    its reviews, and recovering the page (same id) brings them back with its
    history. The revision is protected for the same reason.
    """

    page = models.ForeignKey(
        Page, on_delete=models.DO_NOTHING, db_constraint=False, related_name="reviews"
    )
    revision = models.ForeignKey(Revision, on_delete=models.PROTECT, related_name="+")
    reviewer = models.CharField(max_length=MAX_REVIEWER_LENGTH)
    reviewed_on = models.DateField()
    next_review_due = models.DateField()
    note = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = PageReviewQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["page", "-reviewed_on", "-id"], name="wiki_pagereview_page_newest")
        ]

    def __str__(self):
        return f"{self.page_id} reviewed {self.reviewed_on} by {self.reviewer}"


# The glossary (wiki.glossary): plain-language definitions of the medical
# words pages use, marked on a page where each is first used.
MAX_GLOSSARY_NAME_LENGTH = 100
MAX_GLOSSARY_DEFINITION_LENGTH = 600
MAX_GLOSSARY_SUMMARY_LENGTH = 200


class GlossaryTerm(models.Model):
    """One glossary entry: its term, synonyms (one a line), a plain-text
    definition and the anchor (``slug``) it has on /glossary/, fixed when the
    entry is made so that links to it keep working. Written only by
    ``services.save_glossary_term``, which also keeps its ``GlossaryName``
    rows and adds a ``GlossaryRevision`` for every change."""

    term = models.CharField(max_length=MAX_GLOSSARY_NAME_LENGTH)
    slug = models.SlugField(max_length=MAX_GLOSSARY_NAME_LENGTH + 10, unique=True)
    synonyms = models.TextField(blank=True)
    definition = models.TextField(max_length=MAX_GLOSSARY_DEFINITION_LENGTH)
    current_revision = models.ForeignKey(
        "GlossaryRevision", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["term"]

    def __str__(self):
        return self.term

    def get_absolute_url(self):
        return reverse("wiki:glossary") + "#" + self.slug

    @property
    def synonym_list(self) -> list[str]:
        return [line for line in self.synonyms.splitlines() if line.strip()]


class GlossaryName(models.Model):
    """A term or synonym of an entry by its key (``wiki.glossary.name_key``):
    the unique constraint is what keeps two entries from claiming one word,
    even when two moderators save at once."""

    entry = models.ForeignKey(GlossaryTerm, on_delete=models.CASCADE, related_name="names")
    name = models.CharField(max_length=MAX_GLOSSARY_NAME_LENGTH)
    key = models.CharField(max_length=MAX_GLOSSARY_NAME_LENGTH, unique=True)

    def __str__(self):
        return self.name


class GlossaryRevision(models.Model):
    """Every saved state of a glossary entry, kept forever (the entry is
    protected). The largest id is the glossary's version
    (``wiki.glossary.glossary_version``): a new revision of any entry changes
    it, so every page showing marked terms is rendered afresh."""

    entry = models.ForeignKey(GlossaryTerm, on_delete=models.PROTECT, related_name="revisions")
    term = models.CharField(max_length=MAX_GLOSSARY_NAME_LENGTH)
    synonyms = models.TextField(blank=True)
    definition = models.TextField()
    summary = models.CharField(max_length=MAX_GLOSSARY_SUMMARY_LENGTH, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self):
        return f"{self.term} (revision {self.pk})"


class SearchTitle(models.Model):
    """One title a search can find a content page by: a content page's own,
    or a redirect's, which counts as its target's ("Proleukin" finds
    Interleukin-2). One row per page, written by ``wiki.search`` only (on
    every save, and by ``manage.py rebuildsearch``); nothing here is
    versioned. The keys are ``wiki.search.match_key`` and
    ``wiki.search.words_key`` of the title; ``target_key`` is the
    ``title_key`` of the content page the title counts for (the page itself,
    or the redirect's target, looked up when searching so that it never goes
    stale)."""

    page = models.OneToOneField(Page, on_delete=models.CASCADE, primary_key=True, related_name="+")
    title = models.CharField(max_length=MAX_TITLE_LENGTH)
    match_key = models.CharField(max_length=MAX_TITLE_LENGTH, db_index=True)
    words_key = models.CharField(max_length=2 * MAX_TITLE_LENGTH, db_index=True)
    target_key = models.CharField(max_length=MAX_TITLE_LENGTH)

    class Meta:
        # Created on PostgreSQL only (see migration 0010_search_titles): the
        # pg_trgm index that finds titles close to a misspelt query. SQLite
        # keeps its trigrams in a table of its own (wiki.search).
        indexes = [
            GinIndex(
                OpClass("match_key", name="gin_trgm_ops"), name="wiki_searchtitle_trigram_gin"
            ),
        ]

    def __str__(self):
        return self.title


class CategoryQuerySet(models.QuerySet):
    def listed(self):
        """The categories ``/categories/`` lists, each with ``page_count``:
        those that hold a page or have a description, by name."""
        return (
            self.annotate(page_count=models.Count("memberships"))
            .filter(models.Q(page_count__gt=0) | ~models.Q(description=""))
            .order_by("key")
        )


class Category(models.Model):
    """A category pages belong to (``[[Category:Name]]`` in a page's text, as
    MediaWiki writes it). Its name is unique by our title rules (``key``);
    ``description`` is markdown (from an imported category page's text)."""

    name = models.CharField(max_length=MAX_TITLE_LENGTH)
    key = models.CharField(max_length=MAX_TITLE_LENGTH, unique=True, editable=False)
    description = models.TextField(blank=True)

    objects = CategoryQuerySet.as_manager()

    class Meta:
        ordering = ["key"]
        verbose_name_plural = "categories"

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.key = title_key(self.name)
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return category_url(self.name)

    @property
    def slug(self) -> str:
        return title_to_slug(self.name)

    def pages_in_order(self):
        """This category's pages as MediaWiki orders them: by sort key (the
        title when it has none), then title, letter case aside."""
        return (
            Page.objects.filter(page_categories__category=self)
            .annotate(
                sort_key=Lower(
                    Coalesce(NullIf("page_categories__sort_key", models.Value("")), "title")
                )
            )
            .only("title", "redirect_to")
            .order_by("sort_key", "key")
        )


class PageCategory(models.Model):
    """One page's membership of one category, as its current text declares
    it (kept in step by ``wiki.services.refresh_links``); never versioned.
    ``sort_key`` is where the page sorts in the category ("" for its title)."""

    page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="page_categories")
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="memberships")
    sort_key = models.CharField(max_length=MAX_TITLE_LENGTH, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["page", "category"], name="wiki_pagecategory_unique")
        ]

    def __str__(self):
        return f"{self.page} in {self.category}"


class MediaWikiPage(models.Model):
    """A page imported from MediaWiki: its page id and exact title there, so
    that importing again finds it (even when it was kept here under another
    title) and old ``index.php`` addresses reach it."""

    page = models.OneToOneField(Page, on_delete=models.CASCADE, related_name="mediawiki")
    mediawiki_id = models.PositiveBigIntegerField(unique=True)
    mediawiki_title = models.CharField(max_length=MAX_TITLE_LENGTH, db_index=True)

    def __str__(self):
        return f"{self.mediawiki_title} ({self.mediawiki_id})"
