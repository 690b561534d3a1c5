"""Clinical reviews: a page's reviews (and recording one), and the
moderators' list of what is due, as a page, CSV and an Atom feed."""

import csv

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_safe

from wiki import services
from wiki.forms import ReviewForm
from wiki.models import Page
from wiki.reviews import (
    DEFAULT_SORT,
    DUE_SOON_DAYS,
    SORTS,
    STATES,
    DueRow,
    add_months,
    due_rows,
    feed_token,
    feed_user,
    review_interval_months,
    today,
)
from wiki.site import absolute_url
from wiki.titles import title_to_slug
from wiki.views.access import MODERATOR_PERMISSION, moderator_required
from wiki.views.lookup import canonical_redirect, page_for_slug

ROWS_PER_PAGE = 100
STATE_LABELS = {
    "overdue": "Overdue",
    "due-soon": f"Due within {DUE_SOON_DAYS} days",
    "never": "Never reviewed",
    "changed": "Changed since review",
}
# The sortable columns (keys of wiki.reviews.SORTS), in table order.
COLUMNS = [("title", "Page"), ("reviewed", "Last reviewed"), ("due", "Next review due")]


@require_http_methods(["GET", "HEAD", "POST"])
@moderator_required
def page_review(request, slug):
    """Moderators: the page's clinical reviews, newest first; POST records a
    review of its current revision. A redirect page cannot be reviewed (400)."""
    page = page_for_slug(slug, Page.objects.select_related("current_revision"))
    if response := canonical_redirect(request, page, slug):
        return response
    if page.is_redirect:
        context = {"page": page, "target_slug": title_to_slug(page.redirect_to)}
        return render(request, "wiki/page_review_redirect.html", context, status=400)
    on, interval = today(), review_interval_months()
    initial = {"reviewed_on": on, "next_review_due": add_months(on, interval)}
    data = request.POST if request.method == "POST" else None
    form = ReviewForm(data, initial=initial, interval_months=interval, today=on)
    if form.is_valid():
        try:
            services.record_review(page, user=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "The review is recorded. Readers see it on the page now.")
            return redirect("wiki:page-review", slug=page.slug)
    context = {
        "page": page,
        "form": form,
        "reviews": page.reviews.select_related("recorded_by").newest_first(),
        "interval_months": interval,
    }
    return render(request, "wiki/page_review.html", context, status=400 if data else 200)


@require_safe
@moderator_required
def maintenance_reviews(request):
    """Moderators: pages overdue for review, due within 30 days, never
    reviewed, or changed since their last review; sortable, filterable, and
    as CSV with ``?format=csv``."""
    sort = request.GET.get("sort") if request.GET.get("sort") in SORTS else DEFAULT_SORT
    state = request.GET.get("state") if request.GET.get("state") in STATES else ""
    rows = due_rows(today(), sort=sort)
    counts = {name: sum(getattr(row, field) for row in rows) for name, field in STATES.items()}
    total = len(rows)
    if state:
        rows = [row for row in rows if getattr(row, STATES[state])]
    if request.GET.get("format") == "csv":
        return _csv_response(rows)
    feed_url = absolute_url(reverse("wiki:maintenance-reviews-feed"))
    context = {
        "rows": Paginator(rows, ROWS_PER_PAGE).get_page(request.GET.get("page")),
        "sort": sort,
        "state": state,
        "state_choices": [(key, STATE_LABELS[key], count) for key, count in counts.items()],
        "columns": COLUMNS,
        "total": total,
        "due_soon_days": DUE_SOON_DAYS,
        "feed_url": f"{feed_url}?token={feed_token(request.user)}",
    }
    return render(request, "wiki/maintenance_reviews.html", context)


def _csv_response(rows: list[DueRow]) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="pages-due-for-review.csv"'
    writer = csv.writer(response)
    writer.writerow(
        ["title", "url", "state", "last reviewed", "reviewer", "next review due", "review page"]
    )
    for row in rows:
        page = row.page
        writer.writerow(
            [
                _csv_cell(page.title),
                absolute_url(page.get_absolute_url()),
                "; ".join(row.states),
                page.last_reviewed_on.isoformat() if page.last_reviewed_on else "",
                _csv_cell(page.last_reviewer or ""),
                page.next_review_due.isoformat() if page.next_review_due else "",
                absolute_url(reverse("wiki:page-review", kwargs={"slug": page.slug})),
            ]
        )
    return response


def _csv_cell(value: str) -> str:
    # A cell starting with one of these is a formula to a spreadsheet.
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def feed_access(request):
    """Who reads the review feed: ``(user, None)``, or ``(None, response)``
    refusing it. A feed reader cannot log in, so the feed URL the list shows
    carries the moderator's own signed token (``?token=``); a logged-in
    moderator's browser needs none. An anonymous request without a token is
    sent to log in; a bad token or a user who is no moderator (any more)
    gets 403."""
    token = request.GET.get("token")
    user = feed_user(token) if token else request.user
    if token and user is None:
        return None, _forbidden("This feed address is not valid (any more). Copy it again.")
    if not user.is_authenticated:
        return None, redirect_to_login(request.get_full_path())
    if not user.has_perm(MODERATOR_PERMISSION):
        return None, _forbidden("You do not have permission to read this feed.")
    return user, None


def _forbidden(message: str) -> HttpResponse:
    return HttpResponse(message, status=403, content_type="text/plain; charset=utf-8")
