"""Importing a MediaWiki site: the XML export that ``dumpBackup.php --full``
and Special:Export (with history) write, schema 0.10 or 0.11, read as a
stream so that a dump larger than memory imports in constant memory.

Two passes over the file:

1. ``check_dump`` reads it with expat, checks every element an import needs
   (the structure ``mwxml`` accepts, numeric ids, timestamps, revision ids
   unique) and collects the templates (namespace 10: the newest text of
   each, for the converter, since a template may come after the pages that
   use them) and the namespace names. A malformed dump raises
   ``MalformedDump`` naming the element and its line, before anything is
   written: a malformed dump imports nothing.
2. ``import_dump`` reads it again with ``mwxml`` and imports page by page,
   one transaction a page: every main-namespace revision, oldest first, with
   its date, author, summary and minor flag (the text converted by
   ``wiki.wikitext``); category pages (namespace 14) become category
   descriptions; other namespaces are counted and skipped. A revision whose
   MediaWiki id is already here is not imported again, so running the same
   import twice adds nothing.

Converting and rendering (pure work) run in ``conversion_workers()``
processes a few pages ahead, while this process reads the dump and writes
the pages in its order, so an import uses every CPU.

Rows are written as ``wiki.transfer`` writes them (the same django-reversion
Version rows ``save_page`` would write, with a few bulk inserts a page), and
the current text is rendered, linked, indexed and put in its categories as a
save would.
"""

from __future__ import annotations

import collections
import concurrent.futures
import datetime
import gc
import multiprocessing
import os
import re
import xml.parsers.expat
from collections.abc import Callable
from dataclasses import dataclass, field

import mwxml
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from reversion.models import Revision, Version

from wiki import plaintext, purge, search
from wiki.content import PageContent
from wiki.models import Category, MediaWikiPage, Page, RevisionInfo
from wiki.render_cache import prepared_renders, render_in_job
from wiki.rendering import MarkupTooComplex
from wiki.services import (
    MAX_SUMMARY_LENGTH,
    bump_link_versions,
    refresh_links,
    render_before_writing,
)
from wiki.titles import FORBIDDEN_CHARACTERS, MAX_TITLE_LENGTH, title_key, validate_title
from wiki.transfer import tidy_after_bulk_load, version_row
from wiki.wikitext import convert, mediawiki_title

SUPPORTED_SCHEMAS = {"0.10", "0.11"}
MAIN_NAMESPACE = 0
TEMPLATE_NAMESPACE = 10
CATEGORY_NAMESPACE = 14
# How many pages the report names for each of its counts.
EXAMPLES = 5
# Bytes read from the dump at a time by the check pass.
READ_CHUNK = 1 << 20
# How many pages a conversion worker may be ahead of the writing.
PAGES_AHEAD = 4
# The most conversion workers an import starts.
MAX_WORKERS = 32

# What mwxml accepts inside <page> and <revision> (mwxml.iteration.page and
# .revision raise on anything else): checked here first, with a line number.
PAGE_CHILDREN = {"title", "ns", "id", "redirect", "restrictions", "revision", "DiscussionThreading"}
REVISION_CHILDREN = {
    *("id", "timestamp", "contributor", "minor", "origin", "sha1", "parentid"),
    *("model", "format", "comment", "text", "content"),
}
ROOT_CHILDREN = {"siteinfo", "page", "logitem"}
_TIMESTAMP_RE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
_SCHEMA_RE = re.compile(r"export-(\d+\.\d+)/?$")


class MalformedDump(ValueError):
    """The dump cannot be imported: ``element`` (a tag name) on ``line`` is
    what is wrong, as ``message`` says."""

    def __init__(self, message: str, *, element: str, line: int):
        super().__init__(f"line {line}, <{element}>: {message}")
        self.element = element
        self.line = line


@dataclass
class DumpSummary:
    """What the check pass learnt: page and revision counts, the namespace
    names by number, and the newest text of every template by name."""

    pages: int = 0
    revisions: int = 0
    namespaces: dict[int, str] = field(default_factory=dict)
    templates: dict[str, str] = field(default_factory=dict)


class _Checker:
    """The expat handlers of ``check_dump``: an element stack (name and start
    line) and the few values an import relies on."""

    def __init__(self, parser):
        self.parser = parser
        self.stack: list[tuple[str, int]] = []
        self.summary = DumpSummary()
        self.revision_ids: set[int] = set()
        self.text: list[str] | None = None
        self.page: dict = {}
        self.revision: dict = {}
        self.namespace_key: int | None = None

    def fail(self, message: str, element: str | None = None, line: int | None = None):
        if element is None:
            element, line = self.stack[-1] if self.stack else ("mediawiki", 1)
        raise MalformedDump(message, element=element, line=line or 1)

    def start(self, name: str, attributes: dict) -> None:
        line = self.parser.CurrentLineNumber
        parent = self.stack[-1][0] if self.stack else None
        path = "/".join(open_name for open_name, _ in self.stack)
        self.stack.append((name, line))
        if parent is None:
            self._root(name, attributes)
        elif path == "mediawiki" and name not in ROOT_CHILDREN:
            self.fail(f"<{name}> does not belong in <mediawiki>")
        elif path == "mediawiki/page" and name not in PAGE_CHILDREN:
            self.fail(f"<{name}> does not belong in <page>")
        elif path == "mediawiki/page/revision" and name not in REVISION_CHILDREN:
            self.fail(f"<{name}> does not belong in <revision>")
        if path == "mediawiki" and name == "page":
            self.page = {"line": line, "revisions": 0}
        elif path == "mediawiki/page" and name == "revision":
            if "ns" not in self.page or "title" not in self.page:
                self.fail("a <revision> comes before its page's <title> and <ns>")
            self.revision = {"line": line}
        elif path == "mediawiki/page" and name == "redirect" and not attributes.get("title"):
            self.fail("<redirect> has no title")
        elif path == "mediawiki/siteinfo/namespaces" and name == "namespace":
            try:
                self.namespace_key = int(attributes.get("key", ""))
            except ValueError:
                self.fail("a <namespace> key must be a number")
        if self._wants_text(path, name):
            self.text = []

    def _root(self, name: str, attributes: dict) -> None:
        if name != "mediawiki":
            self.fail("a MediaWiki export starts with <mediawiki>")
        version = attributes.get("version") or ""
        match = _SCHEMA_RE.search(attributes.get("xmlns", ""))
        version = version or (match.group(1) if match else "")
        if version not in SUPPORTED_SCHEMAS:
            supported = " or ".join(sorted(SUPPORTED_SCHEMAS))
            self.fail(f"export schema {version or '(none)'} is not {supported}")

    def _wants_text(self, path: str, name: str) -> bool:
        if path == "mediawiki/page":
            return name in {"title", "ns", "id"}
        if path == "mediawiki/page/revision":
            is_template = self.page.get("ns") == TEMPLATE_NAMESPACE
            return name in {"id", "timestamp"} or (name == "text" and is_template)
        return path == "mediawiki/siteinfo/namespaces" and name == "namespace"

    def characters(self, data: str) -> None:
        if self.text is not None:
            self.text.append(data)

    def end(self, name: str) -> None:
        _, line = self.stack[-1]
        path = "/".join(open_name for open_name, _ in self.stack[:-1])
        value = "".join(self.text) if self.text is not None else None
        self.text = None
        if path == "mediawiki/page":
            self._page_field(name, value, line)
        elif path == "mediawiki/page/revision" and name in {"id", "timestamp", "text"}:
            self.revision[name] = value
        elif path == "mediawiki/siteinfo/namespaces" and name == "namespace":
            self.summary.namespaces[self.namespace_key] = (value or "").strip()
        elif path == "mediawiki" and name == "page":
            for required in ("title", "ns", "id"):
                if required not in self.page:
                    self.fail(f"the page has no <{required}>", "page", line)
            self.summary.pages += 1
        self.stack.pop()

    def _page_field(self, name: str, value: str | None, line: int) -> None:
        if name == "title":
            if not (value or "").strip():
                self.fail("the page's title is empty", name, line)
            self.page["title"] = value
        elif name in {"ns", "id"}:
            self.page[name] = self._number(value, name, line)
        elif name == "revision":
            self._revision_done(line)

    def _revision_done(self, line: int) -> None:
        revision = self.revision
        if revision.get("id") is None:
            self.fail("the revision has no <id>", "revision", line)
        if revision.get("timestamp") is None:
            self.fail("the revision has no <timestamp>", "revision", line)
        number = self._number(revision["id"], "id", line)
        if not _TIMESTAMP_RE.fullmatch(revision["timestamp"].strip()):
            self.fail(f"{revision['timestamp'].strip()!r} is not a timestamp", "timestamp", line)
        if number in self.revision_ids:
            self.fail(f"revision id {number} appears twice", "id", line)
        self.revision_ids.add(number)
        self.summary.revisions += 1
        if self.page["ns"] == TEMPLATE_NAMESPACE and revision.get("text") is not None:
            self.summary.templates[self.page["title"]] = revision["text"]

    def _number(self, value: str | None, name: str, line: int) -> int:
        try:
            return int((value or "").strip())
        except ValueError:
            self.fail(f"{(value or '').strip()!r} is not a number", name, line)


def check_dump(path: str) -> DumpSummary:
    """Read the whole dump at ``path`` once, streaming, and return its
    ``DumpSummary`` (templates by name without their namespace prefix).
    Raises ``MalformedDump`` for XML that is not well formed (a truncated
    file included) or an element an import cannot use, and ``OSError`` when
    the file cannot be read."""
    parser = xml.parsers.expat.ParserCreate()
    parser.buffer_text = True
    parser.buffer_size = READ_CHUNK
    checker = _Checker(parser)
    parser.StartElementHandler = checker.start
    parser.EndElementHandler = checker.end
    parser.CharacterDataHandler = checker.characters
    with open(path, "rb") as source:
        try:
            while chunk := source.read(READ_CHUNK):
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
        except xml.parsers.expat.ExpatError as error:
            message = xml.parsers.expat.errors.messages[error.code]
            if checker.stack:
                element, opened = checker.stack[-1]
                message += f" (inside <{element}>, opened on line {opened})"
            else:
                element = "mediawiki"
            raise MalformedDump(message, element=element, line=error.lineno) from None
    summary = checker.summary
    prefix = summary.namespaces.get(TEMPLATE_NAMESPACE, "Template") + ":"
    summary.templates = {
        (name[len(prefix) :] if name.startswith(prefix) else name).strip(): text
        for name, text in summary.templates.items()
    }
    return summary


# The report ---------------------------------------------------------------------


@dataclass
class Tally:
    """A count and the first few pages it counted."""

    count: int = 0
    examples: list[str] = field(default_factory=list)

    def add(self, example: str, count: int = 1) -> None:
        self.count += count
        if example not in self.examples and len(self.examples) < EXAMPLES:
            self.examples.append(example)


@dataclass
class ImportReport:
    """What an import did (or, in a dry run, would do)."""

    dry_run: bool = False
    pages_created: Tally = field(default_factory=Tally)
    pages_updated: Tally = field(default_factory=Tally)
    pages_already_here: Tally = field(default_factory=Tally)
    pages_changed_here: Tally = field(default_factory=Tally)
    revisions: Tally = field(default_factory=Tally)
    revisions_already_here: int = 0
    older_revisions_skipped: Tally = field(default_factory=Tally)
    redirects: Tally = field(default_factory=Tally)
    categories: Tally = field(default_factory=Tally)
    category_descriptions: Tally = field(default_factory=Tally)
    templates: int = 0
    skipped_namespaces: dict[str, Tally] = field(default_factory=dict)
    templates_removed: dict[str, Tally] = field(default_factory=dict)
    unconverted: dict[str, Tally] = field(default_factory=dict)
    # (MediaWiki title, title here) of pages kept under another title.
    renamed: list[tuple[str, str]] = field(default_factory=list)

    def lines(self) -> list[str]:
        """The report as lines of text, each count with its first pages."""
        would = "would be " if self.dry_run else ""

        def row(label: str, tally: Tally) -> str:
            named = f": {', '.join(tally.examples)}" if tally.examples else ""
            more = ", ..." if tally.count > len(tally.examples) and tally.examples else ""
            return f"  {label}: {tally.count}{named}{more}"

        lines = [
            "Dry run: nothing was written." if self.dry_run else "Import finished.",
            row(f"pages {would}created", self.pages_created),
            row(f"pages {would}given newer revisions", self.pages_updated),
            row("pages already imported (nothing added)", self.pages_already_here),
            row("pages edited here since, newer revisions not imported", self.pages_changed_here),
            row(f"revisions {would}imported", self.revisions),
            f"  revisions already imported (skipped): {self.revisions_already_here}",
            row(
                "revisions older than the page's history here (skipped)",
                self.older_revisions_skipped,
            ),
            row("redirects", self.redirects),
            row("categories", self.categories),
            row("category descriptions", self.category_descriptions),
            f"  templates read for expansion: {self.templates}",
        ]
        for heading, tallies in (
            ("Skipped namespaces", self.skipped_namespaces),
            ("Templates removed (not plain text, or not in the dump)", self.templates_removed),
            ("Constructs not converted", self.unconverted),
        ):
            lines.append(f"{heading}: {'none' if not tallies else ''}".rstrip())
            lines.extend(row(name, tallies[name]) for name in sorted(tallies))
        lines.append(
            f"Titles kept under a new title: {'none' if not self.renamed else ''}".rstrip()
        )
        lines.extend(f"  {old!r} is {new!r} here" for old, new in self.renamed)
        if not self.dry_run and not self.revisions.count and self.revisions_already_here:
            lines.append("Every revision in this dump was imported before: nothing was added.")
        return lines


def _tally(tallies: dict[str, Tally], name: str, example: str, count: int = 1) -> None:
    tallies.setdefault(name, Tally()).add(example, count)


# Importing ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Revision:
    """One MediaWiki revision as it will be stored here."""

    mediawiki_id: int
    body: str
    date: datetime.datetime
    author: str
    summary: str
    is_minor: bool


@dataclass
class _PendingPage:
    """A main-namespace page read from the dump and waiting for its texts'
    conversion: its revisions to import (``rows``, bodies not yet filled)
    and their wikitext."""

    mediawiki_id: int
    mediawiki: str
    target: Page | None
    redirect: str | None
    texts: list[str]
    rows: list[_Revision]


@dataclass
class _ConvertedPage:
    """One page's texts converted: each revision's body, what the report
    needs of each conversion (the templates removed and the constructs not
    converted), the newest one's categories, the newest body's render (None:
    render it when writing) and its plain text for the search index (None
    likewise)."""

    bodies: list[str]
    left_out: list[tuple[list[str], list[str]]]
    categories: list[tuple[str, str]]
    render: object = None
    extracted: dict | None = None


class PageConverter:
    """Converts a page's revisions, oldest first, and (``render``) renders
    the newest, as the import needs them. Pure (no database), so that it can
    run in another process: one a worker, each with its own caches of
    template calls and of paragraphs."""

    def __init__(self, templates: dict[str, str], *, render: bool):
        self.templates = templates
        self.render = render
        # Template calls already expanded in this import.
        self.expansion_cache: dict = {}

    def convert(self, text: str, paragraph_cache: dict | None = None):
        return convert(
            text or "",
            templates=self.templates,
            expansion_cache=self.expansion_cache,
            paragraph_cache=paragraph_cache,
        )

    def page(self, texts: list[str], redirect: str | None) -> _ConvertedPage:
        # A page's revisions share most of their paragraphs: each is walked once.
        paragraphs: dict = {}
        conversions = [self.convert(text, paragraphs) for text in texts]
        bodies = [_body(conversion) for conversion in conversions]
        if redirect and not conversions[-1].redirect:
            # <redirect title=...> without "#REDIRECT" in the text
            bodies[-1] = f"#REDIRECT [[{redirect}]]\n" + bodies[-1]
        converted = _ConvertedPage(
            bodies=bodies,
            left_out=[_left_out(conversion) for conversion in conversions],
            categories=conversions[-1].categories,
        )
        if self.render:
            try:
                # Not through the cache: a worker's own memory would keep
                # thousands of renders that no reader ever asks it for.
                converted.render = render_in_job(bodies[-1])
            except MarkupTooComplex:
                return converted  # rendered when written, as a save does
            with prepared_renders({bodies[-1]: converted.render}):
                converted.extracted = plaintext.extract(bodies[-1])
        return converted


def _left_out(conversion) -> tuple[list[str], list[str]]:
    """What the report names of one conversion: templates removed, constructs
    not converted."""
    return conversion.templates_removed, conversion.unconverted


# The converter of a worker process (``_start_worker``).
_worker_converter: PageConverter | None = None


def _start_worker(templates: dict[str, str], render: bool) -> None:
    global _worker_converter
    _worker_converter = PageConverter(templates, render=render)


def _convert_in_worker(texts: list[str], redirect: str | None) -> _ConvertedPage:
    return _worker_converter.page(texts, redirect)


def conversion_workers() -> int:
    """How many processes convert pages beside the one that writes them:
    one a CPU (none on a machine with one: it converts them itself)."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return min(cpus, MAX_WORKERS) if (cpus or 1) > 1 else 0


class _Authors:
    """Local users by MediaWiki author name (None when no user has it),
    looked up once a name."""

    def __init__(self):
        self.users: dict[str, object] = {}

    def user(self, name: str):
        if name not in self.users:
            model = get_user_model()
            self.users[name] = model.objects.filter(**{model.USERNAME_FIELD: name}).first()
        return self.users[name]


def _body(conversion) -> str:
    """Our markdown for one converted revision: a redirect as ``#REDIRECT``,
    and its categories as ``[[Category:Name|sort key]]`` links when the
    converter did not leave them in the text, so that a later edit here
    keeps them (categories follow the text: ``wiki.services.refresh_links``)."""
    body = conversion.markdown or ""
    if conversion.redirect and not body.lstrip().upper().startswith("#REDIRECT"):
        body = f"#REDIRECT [[{conversion.redirect}]]\n" + body
    if conversion.categories and "[[category:" not in body.casefold():
        links = [
            f"[[Category:{name}|{sort_key}]]" if sort_key else f"[[Category:{name}]]"
            for name, sort_key in conversion.categories
        ]
        body = body.rstrip("\n") + "\n\n" + "\n".join(links) + "\n"
    return body


def _title_here(mediawiki: str) -> str:
    """The title a MediaWiki title takes here: itself when our rules allow
    it, else with each character they forbid (a subpage's ``/``, say) as
    ``-``."""
    try:
        return validate_title(mediawiki)
    except ValidationError:
        cleaned = "".join("-" if c in FORBIDDEN_CHARACTERS else c for c in mediawiki)
        cleaned = "".join(c for c in cleaned if c.isprintable())
        return validate_title(cleaned[:MAX_TITLE_LENGTH] or "Imported page")


def _free_title(title: str, taken: Callable[[str], bool]) -> str:
    """``title``, or the first of "Title (2)", "Title (3)", ... that no page
    has (two MediaWiki titles that differ only in letter case are one title
    here)."""
    candidate, number = title, 1
    while taken(candidate):
        number += 1
        suffix = f" ({number})"
        candidate = title[: MAX_TITLE_LENGTH - len(suffix)].rstrip() + suffix
    return candidate


class Importer:
    """One run of ``import_dump``: the report, the author lookup, and (in a
    dry run, where nothing is written) the titles it would have taken."""

    def __init__(self, summary: DumpSummary, *, dry_run: bool, progress):
        self.summary = summary
        self.dry_run = dry_run
        self.progress = progress
        self.report = ImportReport(dry_run=dry_run, templates=len(summary.templates))
        self.authors = _Authors()
        self.titles_taken: set[str] = set()
        self.categories_seen: set[str] = set()
        # Category ids by key, for the pages' category rows.
        self.category_ids: dict[str, int] = {}
        self.revisions_read = 0
        # Whether no MediaWiki page or revision was ever imported here (see
        # prepare_main_page), and the MediaWiki ids of the pages written.
        self.is_first_import = not (
            MediaWikiPage.objects.exists()
            or RevisionInfo.objects.filter(mediawiki_id__isnull=False).exists()
        )
        self.pages_written: set[int] = set()
        # For category pages' descriptions (read in this process).
        self.converter = PageConverter(summary.templates, render=False)

    def _taken(self, title: str) -> bool:
        key = title_key(title)
        return key in self.titles_taken or Page.objects.filter(key=key).exists()

    def _name(self, page) -> str:
        """The page's title without its namespace prefix (mwxml keeps it)."""
        prefix = self.summary.namespaces.get(page.namespace) or ""
        title = page.title
        if prefix and title.startswith(prefix + ":"):
            title = title[len(prefix) + 1 :]
        return title

    def other_page(self, page) -> None:
        """Import or count one mwxml page of a namespace other than the main
        one: a category page's text becomes its category's description."""
        if page.namespace == CATEGORY_NAMESPACE:
            self._category_page(page)
        else:
            revisions = sum(1 for _ in page)
            self.revisions_read += revisions
            if page.namespace == TEMPLATE_NAMESPACE:
                return
            namespace = self.summary.namespaces.get(page.namespace) or f"namespace {page.namespace}"
            _tally(self.report.skipped_namespaces, namespace, page.title)

    def _report_left_out(self, title: str, left_out) -> None:
        for templates_removed, unconverted in left_out:
            for name in templates_removed:
                _tally(self.report.templates_removed, str(name), title)
            for construct in unconverted:
                _tally(self.report.unconverted, str(construct), title)

    def prepare_main_page(self, page) -> _PendingPage | None:
        """Read one main-namespace page's revisions and decide, from what is
        here already, which of them to import: a ``_PendingPage`` whose texts
        are then converted (``convert_page``, perhaps in another process),
        or None when nothing is to be imported (counted in the report)."""
        revisions = sorted(page, key=lambda revision: (revision.timestamp, revision.id))
        self.revisions_read += len(revisions)
        mediawiki = mediawiki_title(page.title)
        # Only a page written earlier in this run can be here already, when
        # nothing was imported before it (a revision id is not twice in a
        # dump: check_dump).
        if self.is_first_import and page.id not in self.pages_written:
            return self._pending(page, mediawiki, None, revisions)
        ids = [revision.id for revision in revisions]
        existing = set(
            RevisionInfo.objects.filter(mediawiki_id__in=ids).values_list("mediawiki_id", flat=True)
        )
        self.report.revisions_already_here += len(existing)
        new = [revision for revision in revisions if revision.id not in existing]
        if not new:
            self.report.pages_already_here.add(mediawiki)
            return None
        known = MediaWikiPage.objects.filter(mediawiki_id=page.id).select_related("page").first()
        target = known.page if known is not None else None
        if target is not None and not self._is_imported_current(target):
            self.report.pages_changed_here.add(target.title)
            return None
        if target is not None:
            # History here only grows at its end: a revision older than the
            # newest one imported (from a dump of current revisions, say)
            # cannot be put back in the middle.
            newest = (
                RevisionInfo.objects.filter(page_id=target.pk, mediawiki_id__isnull=False)
                .select_related("revision")
                .order_by("-revision_id")
                .first()
            )
            older = [
                revision for revision in new if _when(revision) <= newest.revision.date_created
            ]
            if older:
                self.report.older_revisions_skipped.add(target.title, len(older))
            new = [revision for revision in new if revision not in older]
            if not new:
                self.report.pages_already_here.add(mediawiki)
                return None
        return self._pending(page, mediawiki, target, new)

    def _pending(self, page, mediawiki: str, target: Page | None, new: list) -> _PendingPage:
        return _PendingPage(
            mediawiki_id=page.id,
            mediawiki=mediawiki,
            target=target,
            redirect=mediawiki_title(page.redirect) if page.redirect else None,
            texts=[revision.text or "" for revision in new],
            rows=[
                _Revision(
                    mediawiki_id=revision.id,
                    body="",
                    date=_when(revision),
                    author=(revision.user.text if revision.user is not None else "") or "",
                    summary=revision.comment or "",
                    is_minor=bool(revision.minor),
                )
                for revision in new
            ],
        )

    def finish_main_page(self, pending: _PendingPage, converted: _ConvertedPage) -> None:
        """Write one page (``prepare_main_page``'s) with its converted texts,
        in order, and count it in the report."""
        target = pending.target
        title = target.title if target is not None else self._new_title(pending.mediawiki)
        self._report_left_out(title, converted.left_out)
        rows = [
            _Revision(**{**row.__dict__, "body": body})
            for row, body in zip(pending.rows, converted.bodies, strict=True)
        ]
        if not self.dry_run:
            self._write(target, title, pending.mediawiki_id, pending.mediawiki, rows, converted)
            self.pages_written.add(pending.mediawiki_id)
        (self.report.pages_created if target is None else self.report.pages_updated).add(title)
        self.report.revisions.add(title, len(rows))
        if rows[-1].body.lstrip().upper().startswith("#REDIRECT"):
            self.report.redirects.add(title)
        for name, _ in converted.categories:
            if title_key(name) not in self.categories_seen:
                self.categories_seen.add(title_key(name))
                self.report.categories.add(name)

    def _is_imported_current(self, page: Page) -> bool:
        return RevisionInfo.objects.filter(
            revision_id=page.current_revision_id, mediawiki_id__isnull=False
        ).exists()

    def _new_title(self, mediawiki: str) -> str:
        title = _free_title(_title_here(mediawiki), self._taken)
        self.titles_taken.add(title_key(title))
        if title != mediawiki:
            self.report.renamed.append((mediawiki, title))
        return title

    def _write(self, target, title, mediawiki_id, mediawiki, rows, converted) -> None:
        users = [self.authors.user(row.author) if row.author else None for row in rows]
        body = rows[-1].body
        if converted.render is not None:
            renders = {body: converted.render}
        else:
            renders = render_before_writing(body)
        if converted.extracted is not None:
            plaintext.remember(body, converted.extracted)
        with prepared_renders(renders), transaction.atomic():
            page = write_revisions(target, title, rows, users, category_ids=self.category_ids)
            if target is None:
                MediaWikiPage.objects.create(
                    page=page, mediawiki_id=mediawiki_id, mediawiki_title=mediawiki
                )

    def _category_page(self, page) -> None:
        revisions = list(page)
        self.revisions_read += len(revisions)
        name = _title_here(mediawiki_title(self._name(page)))
        text = revisions[-1].text if revisions else ""
        description = ""
        if text:
            conversion = self.converter.convert(text)
            self._report_left_out(f"Category:{name}", [_left_out(conversion)])
            description = _body(conversion)
        # The category page's own categories are its parents: not shown here.
        description = re.sub(r"(?im)^\[\[Category:[^\]]*\]\]\s*$", "", description).strip()
        if not description:
            return
        self.report.category_descriptions.add(name)
        if self.dry_run:
            return
        with transaction.atomic():
            category = Category.objects.select_for_update().filter(key=title_key(name)).first()
            if category is None:
                Category.objects.create(name=name, description=description)
            elif category.description != description:
                category.description = description
                category.save(update_fields=["description"])


def _when(revision) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(revision.timestamp.unix(), tz=datetime.UTC)


def write_revisions(
    target: Page | None,
    title: str,
    rows: list[_Revision],
    users: list,
    *,
    category_ids: dict[str, int] | None = None,
) -> Page:
    """Create page ``title`` (``target`` None) or add to ``target`` the
    revisions ``rows`` (oldest first) by ``users``, as real django-reversion
    revisions with their Version rows and RevisionInfo (MediaWiki id, the
    author's name when no user has it, minor flag), then make the last one
    current and bring the link table, categories (``category_ids`` as
    ``wiki.services.refresh_categories``) and search index up to date.
    The caller holds the transaction and has rendered the last body."""
    is_new = target is None
    revisions = Revision.objects.bulk_create(
        Revision(date_created=row.date, user=user, comment=row.summary[:MAX_SUMMARY_LENGTH])
        for row, user in zip(rows, users, strict=True)
    )
    if is_new:
        page = Page(title=title)
        previous_size = 0
    else:
        page = Page.objects.select_for_update().get(pk=target.pk)
        previous_size = page.size
    page.set_content(PageContent(body=rows[-1].body))
    # Saved with its current revision: no second write of the page's row.
    page.current_revision = revisions[-1]
    page.save()
    snapshot = Page(pk=page.pk, title=page.title)
    versions, infos = [], []
    for row, user, revision in zip(rows, users, revisions, strict=True):
        content = PageContent(body=row.body)
        snapshot.set_content(content)
        versions.append(version_row(revision, snapshot))
        infos.append(
            RevisionInfo(
                revision=revision,
                page=page,
                title=page.title,
                size=content.size,
                size_change=content.size - previous_size,
                mediawiki_id=row.mediawiki_id,
                author_name="" if user is not None else row.author[:255],
                is_minor=row.is_minor,
            )
        )
        previous_size = content.size
    Version.objects.bulk_create(versions)
    RevisionInfo.objects.bulk_create(infos)
    refresh_links(page, is_new=is_new, category_ids=category_ids)
    search.index_page(page, is_new=is_new)
    if is_new:
        bump_link_versions([page.key], wait_for_purge=False)
    # A proxy's copy of a page given newer revisions; a dead proxy must not
    # hold up every page of an import.
    purge.purge_pages([page.pk], wait=False)
    return page


def import_dump(
    path: str,
    summary: DumpSummary,
    *,
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
    workers: int | None = None,
) -> ImportReport:
    """Import the dump at ``path``, already checked by ``check_dump`` (which
    gave ``summary``), page by page, each page in its own transaction.
    ``dry_run`` writes nothing and reports what would be done. Calls
    ``progress(revisions done)`` after each page. Returns the report.

    This process reads the dump and writes every page, in the dump's order;
    ``workers`` processes (default ``conversion_workers()``; 0: none) convert
    and render the pages meanwhile, a few pages ahead of the writing, so
    that memory stays flat."""
    # What exists before the import (Django, the modules, the templates) is
    # left out of the garbage collector's passes while it runs, here and in
    # the workers forked from here: the passes over it cost about a tenth
    # of the import's CPU (1,000 bench pages: 8.5 s instead of 9.3).
    gc.collect()
    gc.freeze()
    try:
        return _import_dump(path, summary, dry_run, progress, workers)
    finally:
        gc.unfreeze()


def _import_dump(path, summary, dry_run, progress, workers) -> ImportReport:
    importer = Importer(summary, dry_run=dry_run, progress=progress)
    if workers is None:
        workers = conversion_workers()
    pool = None
    if workers:
        pool = concurrent.futures.ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context("fork"),
            initializer=_start_worker,
            initargs=(summary.templates, not dry_run),
        )
    converter = PageConverter(summary.templates, render=not dry_run)
    waiting: collections.deque = collections.deque()
    in_flight = 0

    def finish_one() -> None:
        nonlocal in_flight
        pending, conversion = waiting.popleft()
        converted = conversion.result() if pool is not None else conversion
        importer.finish_main_page(pending, converted)
        in_flight -= len(pending.rows)
        if progress is not None:
            progress(importer.revisions_read - in_flight)

    try:
        with open(path, "rb") as source:
            dump = mwxml.Dump.from_file(source)
            for page in dump:
                if page.namespace != MAIN_NAMESPACE:
                    importer.other_page(page)
                    continue
                if any(pending.mediawiki_id == page.id for pending, _ in waiting):
                    while waiting:  # the same page twice: the first is written first
                        finish_one()
                pending = importer.prepare_main_page(page)
                if pending is None:
                    if progress is not None:
                        progress(importer.revisions_read - in_flight)
                    continue
                if pool is not None:
                    conversion = pool.submit(_convert_in_worker, pending.texts, pending.redirect)
                else:
                    conversion = converter.page(pending.texts, pending.redirect)
                waiting.append((pending, conversion))
                in_flight += len(pending.rows)
                while len(waiting) > PAGES_AHEAD * max(workers, 1) or (pool is None and waiting):
                    finish_one()
            while waiting:
                finish_one()
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    if not dry_run and importer.report.revisions.count:
        tidy_after_bulk_load()
    return importer.report
