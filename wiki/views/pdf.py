"""PDF copies of a page: the current revision or an old one."""

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_safe

from wiki import pdf
from wiki.models import Page
from wiki.revisions import MAX_REVISION_ID
from wiki.site import absolute_url
from wiki.views.lookup import canonical_redirect, page_for_slug

# Seconds a reader is asked to wait before trying again after a 503.
RETRY_AFTER_SECONDS = 30


@require_safe
def page_pdf(request, slug):
    """The current revision as a PDF; a redirect gives its target's PDF."""
    page = page_for_slug(slug, Page.objects.select_related("current_revision"))
    if response := canonical_redirect(request, page, slug):
        return response
    page = page.redirect_target() or page
    page_url = absolute_url(page.get_absolute_url())
    try:
        data = pdf.current_pdf(page, page_url=page_url, base_url=absolute_url("/"))
    except pdf.PdfTooLong:
        return _too_long(request, page)
    except pdf.PdfUnavailable:
        return _unavailable(request, page)
    return _pdf_bytes(data, page.title, page.current_revision_id)


@require_safe
def revision_pdf(request, slug, revision_id):
    """One revision of the page as a PDF. The id is looked up through the
    page, so another page's revision is a 404."""
    page = page_for_slug(slug, Page.objects.select_related("current_revision"))
    if response := canonical_redirect(request, page, slug):
        return response
    source = pdf.revision_source(page, revision_id) if revision_id <= MAX_REVISION_ID else None
    if source is None:
        raise Http404("This page has no such revision.")
    # The old revision's own page (DESIGN.md's URL), printed on every sheet.
    revision_path = reverse(
        "wiki:page-revision", kwargs={"slug": page.slug, "revision_id": revision_id}
    )
    return _pdf_response(
        request,
        source,
        page_url=absolute_url(revision_path),
        current_url=absolute_url(page.get_absolute_url()),
    )


def _pdf_response(request, source: pdf.PdfSource, *, page_url: str, current_url: str):
    html = pdf.document_html(source, page_url=page_url, current_url=current_url)
    try:
        data = pdf.make_pdf(source, html, base_url=absolute_url("/"))
    except pdf.PdfTooLong:
        return _too_long(request, source.page)
    except pdf.PdfUnavailable:
        return _unavailable(request, source.page)
    return _pdf_bytes(data, source.title, source.revision_id)


def _unavailable(request, page):
    context = {"page": page, "retry_after": RETRY_AFTER_SECONDS}
    response = render(request, "wiki/page_pdf_unavailable.html", context, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _too_long(request, page):
    # 413: what was asked for is larger than the server will make; trying
    # again does not help, so no Retry-After.
    return render(request, "wiki/page_pdf_too_long.html", {"page": page}, status=413)


def _pdf_bytes(data: bytes, title: str, revision_id: int | None):
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = pdf.content_disposition(title, revision_id)
    return response
