"""Problem reports: any reader's "Report a problem with this page", and the
moderators' list of reports, where they close them with a note."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from wiki.feedback import next_utc_midnight, take_network_allowance
from wiki.forms import CloseReportForm, ProblemReportForm
from wiki.models import Page, ProblemReport
from wiki.security import is_cross_site
from wiki.services import ReportAlreadyClosed, close_report, report_problem
from wiki.views.access import moderator_required
from wiki.views.lookup import canonical_redirect, page_for_slug

# Reports one network (an IPv4 address, an IPv6 /64) may send about one page
# in one day (UTC), as the vote limits count: more than a reader who found
# several mistakes needs, few enough that a script cannot bury real reports.
REPORTS_PER_NETWORK = 5
REPORT_LANE = "report"
REPORTS_PER_PAGE = 50
CROSS_SITE = "Problem reports are accepted from this site's pages only."
NETWORK_FULL = (
    "We have received as many reports about this page from your network today as we can "
    "take. Please try again tomorrow."
)
ALREADY_CLOSED = "This report was already closed, so nothing was changed."
NO_SUCH_REPORT = "There is no such report. It may have been removed with its page."
CLOSED = "The report is closed."


def _report_form(request, page: Page, form, *, status: int = 200, refusal: str = ""):
    context = {"page": page, "form": form, "refusal": refusal}
    return render(request, "wiki/page_report.html", context, status=status)


def _report_target(page: Page) -> Page:
    """A report about a redirect is about the page it leads to; one about a
    broken redirect (no such target) is about the redirect itself."""
    return page.redirect_target() or page


# No CSRF token, as for votes: the form must work for a reader with no
# session and no cookie, so the browser's Origin/Referer is checked instead.
@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def page_report(request, slug):
    """GET: the report form (a redirect's goes to its target's). POST:
    ``reason``, ``details``, ``contact``: stored and thanked (200), or 400
    with the form and its messages, 403 from another site, 429 with
    Retry-After once the network's daily allowance for the page is used.
    Nothing is stored for a report that is refused."""
    if request.method == "POST" and is_cross_site(request):
        return HttpResponse(CROSS_SITE, status=403, content_type="text/plain; charset=utf-8")
    page = page_for_slug(slug)
    if response := canonical_redirect(request, page, slug):
        return response
    target = _report_target(page)
    if request.method != "POST":
        if target != page:
            return redirect("wiki:page-report", slug=target.slug)
        return _report_form(request, page, ProblemReportForm())
    form = ProblemReportForm(request.POST)
    if not form.is_valid():
        return _report_form(request, target, form, status=400)
    if not take_network_allowance(request, REPORT_LANE, target.pk, REPORTS_PER_NETWORK):
        response = _report_form(request, target, form, status=429, refusal=NETWORK_FULL)
        seconds = (next_utc_midnight() - timezone.now()).total_seconds()
        response["Retry-After"] = str(max(1, int(seconds) + 1))
        return response
    report_problem(target, **form.cleaned_data)
    return render(request, "wiki/page_report_sent.html", {"page": target})


def _close(request) -> tuple[int, str, CloseReportForm]:
    """Close the report the POST names: (status, message, form)."""
    form = CloseReportForm(request.POST)
    if not form.is_valid():
        return 400, " ".join(" ".join(errors) for errors in form.errors.values()), form
    try:
        close_report(form.cleaned_data["report"], user=request.user, note=form.cleaned_data["note"])
    except ProblemReport.DoesNotExist:
        return 404, NO_SUCH_REPORT, form
    except ReportAlreadyClosed:
        return 409, ALREADY_CLOSED, form
    return 200, CLOSED, form


@require_http_methods(["GET", "HEAD", "POST"])
@moderator_required
def maintenance_reports(request):
    """Moderators: every problem report, open ones first, newest first,
    paginated. POST (``report``, ``note``) closes an open report and comes
    back here; a report closed already is 409, an unknown one 404, a bad
    request 400, each with the list and the note kept in its form."""
    status, error, close_form = 200, "", None
    if request.method == "POST":
        status, message, close_form = _close(request)
        if status == 200:
            messages.success(request, message)
            return redirect(request.get_full_path())
        error = message
    reports = Paginator(ProblemReport.objects.for_moderators(), REPORTS_PER_PAGE)
    context = {
        "reports": reports.get_page(request.GET.get("page")),
        "open_count": ProblemReport.objects.open().count(),
        "error": error,
        "failed_report": close_form.data.get("report", "") if close_form else "",
        "failed_note": close_form.data.get("note", "") if close_form else "",
    }
    return render(request, "wiki/maintenance_reports.html", context, status=status)
