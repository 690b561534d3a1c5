"""Lists of revisions: a page's history rows and the site's recent changes.

The history views and the Atom feed share these queries. They read
RevisionInfo rows (never deserialize a list of versions), so their query
count does not grow with the history."""

import datetime

from django.db.models import OuterRef, Subquery
from django.utils import timezone

from wiki.models import RevisionInfo

# What recent changes show when the reader picks nothing (RecentChangesForm's
# defaults), and what the feed always shows.
RECENT_DAYS = 30
RECENT_LIMIT = 50


def revision_rows():
    """RevisionInfo rows with their revision, author and the id of the
    page's previous revision (for "prev" diff links), in one query."""
    previous = (
        RevisionInfo.objects.filter(
            page_id=OuterRef("page_id"), revision_id__lt=OuterRef("revision_id")
        )
        .order_by("-revision_id")
        .values("revision_id")[:1]
    )
    return (
        RevisionInfo.objects.select_related("revision", "revision__user")
        .annotate(previous_revision_id=Subquery(previous))
        .order_by("-revision_id")
    )


def recent_revisions(days: int = RECENT_DAYS, limit: int = RECENT_LIMIT) -> list[RevisionInfo]:
    """The newest edits of existing pages within ``days``, at most ``limit``,
    newest first, each with its page."""
    since = timezone.now() - datetime.timedelta(days=days)
    return list(
        revision_rows().select_related("page").filter(revision__date_created__gte=since)[:limit]
    )
