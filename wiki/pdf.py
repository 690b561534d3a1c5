"""PDF copies of a page revision, made with WeasyPrint.

A PDF is made from ``templates/wiki/page_pdf.html`` and our print stylesheet
``static/css/pdf.css`` (read from disk through the static-file finders, never
over HTTP). The body is the same sanitized HTML a reader sees
(``wiki.display``), so moderator text reaches a PDF only through the
sanitizer, and its cross-links are marked missing as the page's are.

Making a PDF costs from ~50 ms to seconds, so the bytes are cached. The key
holds the revision id, ``PDF_VERSION`` and a hash of the whole HTML document
and stylesheet: anything that changes the output (link state, the disclaimer,
the host name in the printed URL, an edited stylesheet) makes a new key, and
nothing is ever served stale.

WeasyPrint runs in a job (``wiki.jobs``): a process of its own, forked from a
server that has WeasyPrint imported and its fonts loaded, given the finished
HTML document and the stylesheet, returning the PDF bytes. At
``settings.WIKI_PDF_TIME_LIMIT`` seconds the job is killed and the reader gets
a 503 with ``Retry-After``; the same when no job slot frees up within
``settings.WIKI_JOB_SLOT_WAIT`` seconds (too many PDFs at once on the
machine). Nothing outlives the request, and the memory a layout takes (it
reached ~440 MB for a 5,000-row table) is given back when the job exits:
WeasyPrint is never imported into a web worker.

A document too long to lay out within the limit is refused before any job
starts (``PdfTooLong``), so the reader hears at once, not after 20 s: more
than ``MAX_PDF_TABLE_ROWS`` table rows or ``MAX_PDF_HTML_BYTES`` of HTML.
Table rows are what makes WeasyPrint slow (measured on the project's
machine, busy: 250 rows 1.7 s, 500 rows 9 s, 1,000 rows 18 s, a 5,000-row
table 25-72 s; 200 KB of text and headings 8 s). A long medical page (40 KB
of text, a few tables of a dozen rows) takes 2-4 s and gets its PDF. The
refusal suggests the browser's own Print, which handles any length.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import logging
import mimetypes
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, unquote, urljoin

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.cache import cache
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from wiki import jobs
from wiki.caching import LONG_CACHE_SECONDS
from wiki.disclaimers import current_disclaimer
from wiki.display import ShownCrossLink, page_display, render_body, shown_crosslinks
from wiki.glossary import glossary_version
from wiki.models import Page, RevisionInfo
from wiki.rendering import GlossaryEntry
from wiki.reviews import ReviewStatus, page_review_status
from wiki.revisions import revision_content
from wiki.site import absolute_url

logger = logging.getLogger(__name__)

# Bump when page_pdf.html or the way a PDF is made changes (the stylesheet's
# text is part of the cache key already).
PDF_VERSION = 4
TEMPLATE = "wiki/page_pdf.html"
STYLESHEET = "css/pdf.css"
PDF_CACHE_SECONDS = LONG_CACHE_SECONDS
# The longest document made into a PDF (see the module docstring).
MAX_PDF_TABLE_ROWS = 600
MAX_PDF_HTML_BYTES = 400 * 1024
_TABLE_ROW_RE = re.compile(r"<tr[\s>]")


class PdfUnavailable(Exception):
    """The PDF could not be made: WeasyPrint failed, passed the time limit,
    or found no free job slot."""


class PdfTooLong(PdfUnavailable):
    """The document is too long to be made into a PDF within the time limit."""


@dataclass
class PdfSource:
    """What one PDF shows: one revision of a page, in sanitized HTML."""

    page: Page
    title: str
    body_html: SafeString
    revision_id: int | None
    revision_date: datetime.datetime | None
    is_current: bool
    crosslinks: list[ShownCrossLink] = field(default_factory=list)
    article_date: datetime.date | None = None
    source_url: str = ""
    source_name: str = ""
    # The clinical review line (current revision only; None on old ones).
    review: ReviewStatus | None = None
    # The glossary entries the body marks, listed at the end (current revision).
    glossary_terms: tuple[GlossaryEntry, ...] = ()


def current_source(
    page: Page, review: ReviewStatus | None = None, glossary_version: int | None = None
) -> PdfSource:
    """Return the page's current revision as a PdfSource: its body and
    cross-links as the page shows them (``display.page_display``, cached),
    and its review status (``review``, else one query)."""
    revision = page.current_revision
    if review is None:
        review = page_review_status(page)
    display = page_display(page, glossary_version=glossary_version)
    return PdfSource(
        page=page,
        title=page.title,
        body_html=display.html,
        revision_id=page.current_revision_id,
        revision_date=revision.date_created if revision is not None else None,
        is_current=True,
        crosslinks=display.crosslinks,
        article_date=page.article_date,
        source_url=_web_url(page.source_url),
        source_name=page.source_name,
        review=review,
        glossary_terms=display.glossary_terms,
    )


def revision_source(page: Page, revision_id: int) -> PdfSource | None:
    """Return revision ``revision_id`` of ``page`` as a PdfSource, or None when
    that revision does not belong to the page. The revision's own title,
    body, metadata and cross-links are used (read defensively by
    ``wiki.revisions``); links are marked with today's link state."""
    info = (
        RevisionInfo.objects.filter(page=page, revision_id=revision_id)
        .select_related("revision")
        .first()
    )
    content = revision_content(page, revision_id) if info is not None else None
    if content is None:
        return None
    return PdfSource(
        page=page,
        title=content.title or page.title,
        body_html=render_body(content.body),
        revision_id=revision_id,
        revision_date=info.revision.date_created,
        is_current=revision_id == page.current_revision_id,
        crosslinks=shown_crosslinks(content.crosslinks),
        article_date=content.metadata["article_date"],
        source_url=_web_url(content.metadata["source_url"]),
        source_name=content.metadata["source_name"],
    )


def _web_url(value) -> str:
    # Only http(s) sources become links in a PDF.
    value = (value if isinstance(value, str) else "").strip()
    return value if re.match(r"(?i)https?://", value) else ""


def document_html(source: PdfSource, *, page_url: str, current_url: str) -> str:
    """Return the HTML document WeasyPrint lays out for ``source``.

    ``page_url`` is the absolute URL printed on every sheet (the page, or the
    old revision); ``current_url`` the page's current version."""
    disclaimer = current_disclaimer()
    context = {
        "source": source,
        "page_url": page_url,
        "current_url": current_url,
        "disclaimer": disclaimer,
        "disclaimer_url": absolute_url(disclaimer.get_absolute_url()),
    }
    return render_to_string(TEMPLATE, context)


def current_pdf(page: Page, *, page_url: str, base_url: str) -> bytes:
    """Return the PDF of the page's current revision, answering a repeated
    request from the cache without building the document again.

    The quick key holds everything the document shows that can change without
    a new revision: link state (``link_version``), the glossary's version,
    the disclaimer's version (versions never change), the addresses, the
    stylesheet and the review line (one query each for the last and the
    glossary). Raises ``PdfUnavailable`` as ``make_pdf``."""
    disclaimer = current_disclaimer()
    review = page_review_status(page)
    glossary = glossary_version()
    parts = [
        str(PDF_VERSION),
        str(page.current_revision_id),
        str(page.link_version),
        str(glossary),
        str(disclaimer.number),
        page_url,
        base_url,
        _stylesheet_digest(),
        repr(review.etag_part()),
    ]
    digest = hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()
    quick_key = f"wiki:pdf-current:{page.pk}:{digest}"
    data = cache.get(quick_key)
    if data is None:
        source = current_source(page, review, glossary)
        html = document_html(source, page_url=page_url, current_url=page_url)
        data = make_pdf(source, html, base_url=base_url)
        cache.set(quick_key, data, PDF_CACHE_SECONDS)
    return data


@functools.cache
def _stylesheet() -> str:
    # Read once a process: the stylesheet changes only with a deployment.
    return _stylesheet_path().read_text(encoding="utf-8")


@functools.cache
def _stylesheet_digest() -> str:
    return hashlib.sha256(_stylesheet().encode("utf-8")).hexdigest()


def make_pdf(source: PdfSource, html: str, *, base_url: str) -> bytes:
    """Return the PDF of ``html`` (made by ``document_html``), from the cache
    when it was made before, else rendered within the time limit and cached.

    ``base_url`` (the site's root URL) makes relative links absolute and
    clickable. Raises ``PdfTooLong`` at once for a document too long to make
    in time, and ``PdfUnavailable`` (after logging why) when WeasyPrint fails,
    passes ``settings.WIKI_PDF_TIME_LIMIT`` seconds (its job is killed) or
    finds no free job slot within ``settings.WIKI_JOB_SLOT_WAIT`` seconds."""
    stylesheet = _stylesheet()
    digest = hashlib.sha256("\0".join([html, stylesheet, base_url]).encode("utf-8")).hexdigest()
    cache_key = f"wiki:pdf:{PDF_VERSION}:{source.revision_id or 0}:{digest}"
    cached = cache.get(cache_key)
    if cached is not None:
        return cached

    check_pdf_length(source, html)
    time_limit = settings.WIKI_PDF_TIME_LIMIT
    try:
        data = jobs.run_job(
            _write_pdf,
            html,
            stylesheet,
            base_url,
            deadline=time_limit,
            slot_wait=settings.WIKI_JOB_SLOT_WAIT,
        )
    except jobs.JobTimedOut:
        logger.error(
            "PDF of %r revision %s not made within %s s",
            source.title,
            source.revision_id,
            time_limit,
        )
        raise PdfUnavailable("time limit") from None
    except jobs.JobsBusy:
        logger.warning(
            "PDF of %r revision %s not made: every job slot busy",
            source.title,
            source.revision_id,
        )
        raise PdfUnavailable("busy") from None
    except Exception as error:
        logger.exception("PDF of %r revision %s failed", source.title, source.revision_id)
        raise PdfUnavailable("render failed") from error
    cache.set(cache_key, data, PDF_CACHE_SECONDS)
    return data


def check_pdf_length(source: PdfSource, html: str) -> None:
    """Raise ``PdfTooLong`` when ``html`` has more than ``MAX_PDF_TABLE_ROWS``
    table rows or ``MAX_PDF_HTML_BYTES`` bytes."""
    rows = len(_TABLE_ROW_RE.findall(html))
    size = len(html.encode("utf-8"))
    if rows > MAX_PDF_TABLE_ROWS or size > MAX_PDF_HTML_BYTES:
        logger.info(
            "PDF of %r revision %s refused: %s table rows, %s bytes",
            source.title,
            source.revision_id,
            rows,
            size,
        )
        raise PdfTooLong(f"{rows} table rows, {size} bytes")


def _stylesheet_path() -> Path:
    path = finders.find(STYLESHEET)
    if path is None:
        logger.error("PDF stylesheet %s not found by the static-file finders", STYLESHEET)
        raise PdfUnavailable(f"{STYLESHEET} not found")
    return Path(path)


def _write_pdf(html: str, stylesheet: str, base_url: str) -> bytes:
    """Run WeasyPrint (in a job). No database or cache access here."""
    import weasyprint  # imported by the job server, never by a web worker

    fetcher = _static_fetcher(base_url)
    # As if served from /static/, so url() in the stylesheet reaches the fetcher.
    stylesheet_url = urljoin(base_url, settings.STATIC_URL + STYLESHEET)
    css = weasyprint.CSS(string=stylesheet, base_url=stylesheet_url, url_fetcher=fetcher)
    document = weasyprint.HTML(string=html, base_url=base_url, url_fetcher=fetcher)
    return document.write_pdf(stylesheets=[css])


def _static_fetcher(base_url: str):
    """A WeasyPrint URL fetcher that reads this site's /static/ files from disk
    through the static-file finders and fetches nothing else: a PDF never
    makes a network request (no request to ourselves, no tracking by others)."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    static_prefix = urljoin(base_url, settings.STATIC_URL)

    class StaticFilesFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            if url.startswith(static_prefix):
                name = unquote(url[len(static_prefix) :].split("?")[0].split("#")[0])
                path = finders.find(name)
                if path:
                    content_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
                    return URLFetcherResponse(
                        url, Path(path).read_bytes(), {"Content-Type": content_type}
                    )
            raise ValueError(f"not fetched for a PDF: {url}")

    return StaticFilesFetcher()


def pdf_filename(title: str, revision_id: int | None) -> tuple[str, str]:
    """Return ``(ascii_name, unicode_name)`` for a PDF of ``title``, e.g.
    ``("Interleukin-2-rev12.pdf", "Interleukin-2-rev12.pdf")``. The ASCII name
    holds only letters, digits, ``.``, ``_`` and ``-``."""
    suffix = f"-rev{revision_id}.pdf" if revision_id else ".pdf"
    unicode_stem = re.sub(r"\s+", "-", title.strip())
    ascii_stem = unicodedata.normalize("NFKD", unicode_stem).encode("ascii", "ignore").decode()
    ascii_stem = re.sub(r"[^A-Za-z0-9._-]+", "-", ascii_stem)
    ascii_stem = re.sub(r"-{2,}", "-", ascii_stem).strip("-.") or "page"
    return ascii_stem + suffix, unicode_stem + suffix


def content_disposition(title: str, revision_id: int | None) -> str:
    """Return a ``Content-Disposition`` value that shows the PDF in the
    browser and names the file after the title and revision: a plain ASCII
    ``filename`` plus the exact name as RFC 5987 ``filename*``."""
    ascii_name, unicode_name = pdf_filename(title, revision_id)
    encoded = quote(unicode_name, safe="!#$&+-.^_`|~")
    return f"inline; filename=\"{ascii_name}\"; filename*=UTF-8''{encoded}"
