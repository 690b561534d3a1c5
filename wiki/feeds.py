"""The Atom feed of recent changes. Every link is absolute on the site's
address (wiki.site): Django's Feed would otherwise prefix the request's Host
to the links, the feed's own URL and the entry ids."""

import datetime
import re

from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.feedgenerator import Atom1Feed
from django.views.decorators.http import require_safe

from wiki.changes import recent_revisions
from wiki.reviews import due_rows
from wiki.reviews import today as reviews_today
from wiki.site import absolute_url

# Characters XML 1.0 cannot carry (Django's feed writer refuses them with an
# error). An edit summary may hold one; the feed shows a space instead.
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# The most urgent pages the review feed lists.
MAX_FEED_ITEMS = 50


class RecentChangesFeed(Feed):
    feed_type = Atom1Feed
    title = "KCR Wiki: recent changes"
    subtitle = "The latest edits to KCR Wiki pages."

    @method_decorator(require_safe)
    def __call__(self, request, *args, **kwargs):
        """GET and HEAD only: anything else is 405."""
        return super().__call__(request, *args, **kwargs)

    def link(self):
        return absolute_url(reverse("wiki:recent-changes"))

    def feed_url(self):
        return absolute_url(reverse("wiki:recent-changes-feed"))

    def items(self):
        """What recent changes shows by default: 30 days, at most 50 edits."""
        return recent_revisions()

    def item_title(self, info):
        summary = _NOT_XML.sub(" ", info.revision.comment) or "no summary"
        return f"{info.page.title}: {summary}"

    def item_description(self, info):
        author = info.revision.user.get_username() if info.revision.user else None
        author = author or info.author_name or "unknown"
        return f"Edited by {author}. Size {info.size} bytes ({info.size_change:+d})."

    def item_link(self, info):
        """The diff with the page's previous revision; a new page's first
        revision."""
        slug = info.page.slug
        if info.previous_revision_id:
            ids = {"from_id": info.previous_revision_id, "to_id": info.revision_id}
            return absolute_url(reverse("wiki:page-diff", kwargs={"slug": slug, **ids}))
        ids = {"slug": slug, "revision_id": info.revision_id}
        return absolute_url(reverse("wiki:page-revision", kwargs=ids))

    def item_pubdate(self, info):
        return info.revision.date_created

    def item_updateddate(self, info):
        return info.revision.date_created

    def item_author_name(self, info):
        return info.revision.user.get_username() if info.revision.user else info.author_name or None


class ReviewsDueFeed(Feed):
    """Moderators: the pages due for clinical review (the list at
    /maintenance/reviews/), most urgent first, as Atom. A feed reader sends
    the moderator's token in the URL (``wiki.views.reviews.feed_access``);
    the response is never kept by a shared cache."""

    feed_type = Atom1Feed
    title = "KCR Wiki: pages due for clinical review"
    subtitle = "Pages overdue for review, due soon, never reviewed or changed since review."

    @method_decorator(require_safe)
    def __call__(self, request, *args, **kwargs):
        from wiki.views.reviews import feed_access

        user, refusal = feed_access(request)
        if refusal is not None:
            return refusal
        response = super().__call__(request, *args, **kwargs)
        response["Cache-Control"] = "private, no-store"
        response["X-Robots-Tag"] = "noindex"
        return response

    def link(self):
        return absolute_url(reverse("wiki:maintenance-reviews"))

    def feed_url(self):
        return absolute_url(reverse("wiki:maintenance-reviews-feed"))

    def items(self):
        return due_rows(reviews_today())[:MAX_FEED_ITEMS]

    def item_title(self, row):
        return f"{_NOT_XML.sub(' ', row.page.title)}: {', '.join(row.states)}"

    def item_description(self, row):
        page = row.page
        if page.last_review_id is None:
            return "Never reviewed."
        reviewer = _NOT_XML.sub(" ", page.last_reviewer)
        return (
            f"Last reviewed {page.last_reviewed_on:%d %B %Y} by {reviewer}."
            f" Next review due {page.next_review_due:%d %B %Y}."
        )

    def item_link(self, row):
        return absolute_url(reverse("wiki:page-review", kwargs={"slug": row.page.slug}))

    def item_guid(self, row):
        # A new entry whenever the page's state changes, so readers see it again.
        page = row.page
        states = "+".join(row.states).replace(" ", "-")
        return f"{self.item_link(row)}#{states}:{page.last_review_id}:{page.current_revision_id}"

    def item_guid_is_permalink(self, row):
        return False

    def item_updateddate(self, row):
        """The day it fell or falls due; for a page never reviewed or changed
        since review, when it was last saved."""
        if row.is_overdue or row.is_due_soon:
            return datetime.datetime.combine(
                row.page.next_review_due, datetime.time(), datetime.UTC
            )
        return row.page.updated_at
