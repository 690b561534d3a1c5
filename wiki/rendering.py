"""The one rendering pipeline: markdown, then wiki links, then the sanitizer.

Everything a moderator typed reaches a reader only through ``render_markdown``,
whose last step is nh3 with an explicit allowlist. There is no switch that
turns the sanitizer off. Only this module and ``wiki.diff`` call ``mark_safe``.

Pure: no database, no cache (page paths come from the URL patterns, through
``wiki.titles.page_url``). Two stages, so that a page view never
re-renders markdown (``wiki.display`` caches each stage):

1. ``render_markdown(body)``: markdown -> sanitized HTML, with every wiki link
   marked ``class="wikilink"``, the link targets by key and each link's title
   by its href. Depends only on the body.
   A ``[[Category:Name]]`` (or ``[[Category:Name|sort key]]``) link is no
   link: it puts the page in that category (``Rendered.categories``, which
   ``wiki.services`` keeps the category table in step with) and shows
   nothing where it stands; ``[[:Category:Name]]`` links to the category.
2. ``mark_missing_links(rendered, existing_keys)``: adds ``new`` and "page does
   not exist" to the wiki links whose target is not among ``existing_keys``,
   and returns the HTML marked safe.

Between the two, ``mark_glossary_terms(html, index)`` links the first use of
each glossary term to its definition, and sends the result through the same
sanitizer again (which admits only the class and attribute it adds).
After the sanitizer, stage 1 puts each table in a scrolling region of our
own (``wrap_tables``), which nothing a moderator types can imitate.
"""

from __future__ import annotations

import html as html_lib
import re
import threading
from collections.abc import Iterable, Iterator, Set
from dataclasses import dataclass, field
from html.parser import HTMLParser
from xml.etree import ElementTree

import markdown
import nh3
from django.core.exceptions import ValidationError
from django.utils.safestring import SafeString, mark_safe
from markdown.extensions.toc import slugify
from markdown.inlinepatterns import InlineProcessor

from wiki.titles import category_url, page_url, title_key, validate_title

# Bump when the pipeline's output, or the shape of ``Rendered``, changes, so
# that HTML cached by an earlier version is made again.
RENDER_VERSION = 6

# The tags the sanitizer keeps: those that start a new line of text (where
# wiki.plaintext breaks its lines), and those that flow within one.
BLOCK_TAGS = {
    *("p", "div", "blockquote", "pre", "hr", "br", "figure", "figcaption", "details", "summary"),
    *("h1", "h2", "h3", "h4", "h5", "h6"),
    *("ul", "ol", "li", "dl", "dt", "dd"),
    *("table", "caption", "thead", "tbody", "tfoot", "tr", "th", "td"),
}
INLINE_TAGS = {
    *("a", "abbr", "b", "code", "del", "em", "i", "img", "ins", "kbd"),
    *("mark", "q", "s", "small", "span", "strong", "sub", "sup", "u"),
}
ALLOWED_TAGS = BLOCK_TAGS | INLINE_TAGS
ALLOWED_ATTRIBUTES = {
    # aria-describedby only as mark_glossary_terms writes it (see _filter_attribute).
    "a": {"href", "title", "aria-describedby"},
    "abbr": {"title"},
    "img": {"src", "alt", "title", "width", "height"},
    "ol": {"start"},
    "td": {"colspan", "rowspan", "align"},
    "th": {"colspan", "rowspan", "align", "scope"},
    "li": {"id"},
    "sup": {"id"},
    **{f"h{level}": {"id"} for level in range(1, 7)},
}
ALLOWED_CLASSES = {
    "a": {"wikilink", "footnote-ref", "footnote-backref", "glossary-term"},
    "div": {"footnote", "toc"},
}
URL_SCHEMES = {"http", "https", "mailto", "tel"}
EXTERNAL_REL = "nofollow noopener"
MISSING_TITLE_SUFFIX = " (page does not exist)"
# The prefix of a category link, as MediaWiki writes it (any letter case).
CATEGORY_PREFIX = "category:"
_EMPTY_PARAGRAPH_RE = re.compile(r"<p>\s*</p>\n?")

# [[Title]], [[Title|label]], [[Title#section|label]]. In a table cell the bar
# is written "\|" ([[Title\|label]], as in GitHub's and Obsidian's
# markdown), since a bare "|" there ends the cell. Backslash escapes are read
# in a label ("\["), and "\[[" is no link; a title holds no backslash.
WIKILINK_PATTERN = (
    r"(?<!\\)\[\[([^\[\]|\n\\]+?)"
    r"(?:\\?\|((?:\\[^\n]|[^\[\]\n\\])*?))?\]\]"
)
REDIRECT_RE = re.compile(
    r"\A\s*#REDIRECT\s*:?\s*\[\[([^\[\]|\n]+?)(?:\|[^\[\]\n]*)?\]\]", re.IGNORECASE
)
# A start tag as nh3 serializes it: every attribute is name="value", and a
# value never holds a double quote (it is written as &quot;).
_A_TAG_RE = re.compile(r'<a((?:\s+[a-zA-Z_:][-a-zA-Z0-9_:.]*="[^"]*")*)\s*>')
_ATTRIBUTE_RE = re.compile(r'([a-zA-Z_:][-a-zA-Z0-9_:.]*)="([^"]*)"')

# Lists and quotes nest by recursion in Python-Markdown; far below the depth
# that exhausts the stack, far above what a readable page needs.
MAX_NESTING_DEPTH = 20
# Python-Markdown is quadratic on some short inputs; these limits, checked
# before conversion in one linear pass (``markup_counts``), keep every body
# that passes them well under a second (times at each limit are in the
# README's markup section and ``bench/hostile_bench.py``). A long real medical
# page (60 headings, 250 footnotes, 500 links) uses a fifth of each or less.
# Every "[" on a page: each link costs ~0.15 ms to find, check and write.
MAX_BRACKETS = 3000
# "[[" openers of wiki links: each also validates a title and builds a URL.
MAX_WIKI_LINKS = 1000
# Characters the link parser reads to match each "[" with its "]" (to the
# end of the paragraph when there is none), ~0.5 microseconds each: 15 KB of
# unclosed "[" made 60 s of reading.
MAX_BRACKET_READING = 400_000
# Headings: the table of contents makes each id unique by trying _1, _2, ...
# in turn, so identical headings cost time in the square of their number.
MAX_HEADINGS = 1000
# Footnote marks, "[^": each reference and each definition.
MAX_FOOTNOTES = 1000
TAB_WIDTH = 4
_QUOTE_PREFIX_RE = re.compile(r"[ \t]{0,3}>")
_FENCE_RE = re.compile(r"[ \t]*(`{3,}|~{3,})")
_HEADING_RE = re.compile(r" {0,3}(?:#{1,6}(?:[ \t]|$)|=+[ \t]*$|-+[ \t]*$)")
_BRACKET_RE = re.compile(r"\\.|\[|\]")


class MarkupTooComplex(ValidationError):
    """The body cannot be rendered within the renderer's limits; the
    message says what to change."""


@dataclass(frozen=True)
class Rendered:
    """Sanitized HTML of one body, the wiki-link targets it holds
    (``{key: title}``, for the link table and the missing-link query), the
    title of each wiki link by the href it was given (``{href: title}``, for
    ``mark_missing_links``) and the categories it puts its page in
    (``((name, sort key), ...)`` in order, one per category key; the sort
    key "" when none is given)."""

    html: str
    targets: dict[str, str] = field(default_factory=dict)
    link_titles: dict[str, str] = field(default_factory=dict)
    categories: tuple[tuple[str, str], ...] = ()


def wiki_href(title: str, fragment: str = "") -> str:
    """Return the URL path of a page, and of a section of it when
    ``fragment`` (a heading's text) is given."""
    return page_url(title, fragment=section_anchor(fragment) if fragment else "")


def section_anchor(text: str) -> str:
    """Return the anchor id the table-of-contents step gives a heading."""
    return slugify(text, "-")


def parse_redirect(body: str) -> tuple[str, str] | None:
    """Return ``(target_title, section)`` when ``body`` starts with
    ``#REDIRECT [[Target]]`` or ``#REDIRECT [[Target#Section]]``, else None.
    An invalid target title is no redirect."""
    match = REDIRECT_RE.match(body or "")
    if not match:
        return None
    target, _, section = match.group(1).partition("#")
    try:
        title = validate_title(target)
    except ValidationError:
        return None
    return title, section.strip()


class _LinksFound:
    """The wiki links one conversion meets: targets by key (the first title
    written for a key), and each link's title by its href."""

    def __init__(self):
        self.targets: dict[str, str] = {}
        self.link_titles: dict[str, str] = {}
        self.categories: dict[str, tuple[str, str]] = {}

    def add(self, title: str, href: str) -> None:
        self.targets.setdefault(title_key(title), title)
        self.link_titles[href] = title

    def add_category(self, name: str, sort_key: str) -> None:
        # As MediaWiki: the first mention of a category gives its sort key.
        self.categories.setdefault(title_key(name), (name, sort_key))

    def clear(self) -> None:
        self.targets.clear()
        self.link_titles.clear()
        self.categories.clear()


class _WikiLinkProcessor(InlineProcessor):
    def __init__(self, pattern, md, found: _LinksFound):
        super().__init__(pattern, md)
        self.found = found

    def handleMatch(self, match, data):  # noqa: N802 (Markdown's API)
        target, label = match.group(1), match.group(2)
        if target.strip().casefold().startswith(CATEGORY_PREFIX):
            return self._category(target.strip()[len(CATEGORY_PREFIX) :], label, match)
        is_shown_link = target.lstrip().startswith(":")
        if is_shown_link:
            target = target.lstrip()[1:]
            if target.strip().casefold().startswith(CATEGORY_PREFIX):
                return self._category_link(target.strip()[len(CATEGORY_PREFIX) :], label, match)
        title_part, _, fragment = target.partition("#")
        fragment = fragment.strip()
        element = ElementTree.Element("a")
        if not title_part.strip():
            if not fragment:
                return None, None, None
            element.set("href", "#" + section_anchor(fragment))
            element.text = (label or fragment).strip()
            return element, match.start(0), match.end(0)
        try:
            title = validate_title(title_part)
        except ValidationError:
            return None, None, None
        href = wiki_href(title, fragment)
        self.found.add(title, href)
        element.set("href", href)
        element.set("class", "wikilink")
        element.text = (label if label and label.strip() else target).strip()
        return element, match.start(0), match.end(0)

    def _category(self, name: str, sort_key: str | None, match):
        """``[[Category:Name|sort key]]``: the page is in the category; the
        link itself shows nothing."""
        try:
            name = validate_title(name)
        except ValidationError:
            return None, None, None
        self.found.add_category(name, (sort_key or "").strip())
        return "", match.start(0), match.end(0)

    def _category_link(self, name: str, label: str | None, match):
        """``[[:Category:Name|label]]``: a link to the category's list."""
        try:
            name = validate_title(name)
        except ValidationError:
            return None, None, None
        element = ElementTree.Element("a")
        element.set("href", category_url(name))
        element.text = (label if label and label.strip() else name).strip()
        return element, match.start(0), match.end(0)


class _WikiLinkExtension(markdown.Extension):
    def __init__(self, found: _LinksFound, **kwargs):
        self.found = found
        super().__init__(**kwargs)

    def extendMarkdown(self, md):  # noqa: N802 (Markdown's API)
        # Above Markdown's own link patterns, so [[x]] is never a reference link,
        # and above its backslash escapes (180), so the escaped bar of a label
        # in a table cell is still seen as the bar; the label's text is then
        # read by the escapes and the patterns below.
        md.inlinePatterns.register(
            _WikiLinkProcessor(WIKILINK_PATTERN, md, self.found), "wikilink", 185
        )


_local = threading.local()


def _markdown_converter() -> tuple[markdown.Markdown, _LinksFound]:
    converter = getattr(_local, "converter", None)
    if converter is None:
        found = _LinksFound()
        converter = markdown.Markdown(
            extensions=[
                "tables",
                "toc",
                "sane_lists",
                "footnotes",
                "fenced_code",
                _WikiLinkExtension(found),
            ],
            extension_configs={
                "tables": {"use_align_attribute": True},
                "toc": {"permalink": False},
            },
            output_format="html",
        )
        _local.converter = converter
        _local.found = found
    return converter, _local.found


# What a browser's URL parser does before anything else: it removes tabs and
# newlines anywhere and strips C0 control characters and spaces at both ends.
_URL_IGNORED_RE = re.compile(r"[\t\n\r]")
_C0_AND_SPACE = "".join(chr(code) for code in range(0x21))
# An http(s) URL, or one that names a host without a scheme: in an http(s)
# page a browser reads a backslash as a slash, so "/\\host" and "\\\\host"
# are "//host" too.
_OTHER_SITE_RE = re.compile(r"(?i)(https?:|[/\\]{2})")


def _browser_url(value: str) -> str:
    return _URL_IGNORED_RE.sub("", value).strip(_C0_AND_SPACE)


def is_other_site_url(url: str) -> bool:
    """True when a browser on one of our pages would take ``url`` (an href or
    src as the sanitizer leaves it) to another host, or may: any http(s) URL
    and any network-path reference (``//host``, ``/\\host``), also behind
    leading spaces, control characters, tabs or newlines, which browsers drop.
    A path (``/wiki/X/``), a fragment or a relative path stays on this site."""
    return bool(_OTHER_SITE_RE.match(_browser_url(url)))


def is_site_path(url: str) -> bool:
    """True when ``url`` is, as a browser reads it, a path from this site's
    root (``/static/img/x.png``): one slash, then no slash or backslash."""
    cleaned = _browser_url(url)
    return cleaned.startswith("/") and not is_other_site_url(cleaned)


def _filter_attribute(tag: str, attribute: str, value: str) -> str | None:
    # Images load from this site only: a picture from another host would tell
    # that host which patient read which page.
    if tag == "img" and attribute == "src" and not is_site_path(value):
        return None
    # A link may point screen readers only at a glossary definition.
    if attribute == "aria-describedby" and not _GLOSSARY_DESCRIPTION_RE.fullmatch(value):
        return None
    return value


# Everything nh3 is told, in one place: what survives is exactly this list.
SANITIZER_OPTIONS = {
    "tags": ALLOWED_TAGS,
    "clean_content_tags": {"script", "style"},
    "attributes": ALLOWED_ATTRIBUTES,
    "attribute_filter": _filter_attribute,
    "allowed_classes": ALLOWED_CLASSES,
    "url_schemes": URL_SCHEMES,
    "link_rel": None,
    "strip_comments": True,
}


def sanitize(html: str) -> str:
    """Return ``html`` cleaned by nh3 with the project's allowlist, external
    links marked ``rel="nofollow noopener"``. Idempotent."""
    return _A_TAG_RE.sub(_mark_external, nh3.clean(html, **SANITIZER_OPTIONS))


def _attributes(attribute_text: str) -> dict[str, str]:
    return dict(_ATTRIBUTE_RE.findall(attribute_text))


def _a_tag(attributes: dict[str, str]) -> str:
    # Values come from nh3's output, already escaped: keep them as they are.
    return "<a" + "".join(f' {name}="{value}"' for name, value in attributes.items()) + ">"


def _mark_external(match: re.Match) -> str:
    attributes = _attributes(match.group(1))
    href = html_lib.unescape(attributes.get("href", ""))
    if is_other_site_url(href):
        attributes["rel"] = EXTERNAL_REL
    return _a_tag(attributes)


def _outside_fenced_code(body: str) -> Iterator[str]:
    """The lines of ``body`` that are not inside fenced code ("" for a fence line,
    which ends a paragraph)."""
    fence = None
    for line in (body or "").splitlines():
        fence_match = _FENCE_RE.match(line)
        if fence_match:
            marker = fence_match.group(1)
            if fence is None:
                fence = marker
            elif marker[0] == fence[0] and len(marker) >= len(fence):
                fence = None
            yield ""
            continue
        if fence is None:
            yield line


def nesting_depth(body: str) -> int:
    """Return how deeply lists and block quotes nest in ``body`` (0 for
    plain paragraphs), not counting lines inside fenced code."""
    deepest = 0
    for line in _outside_fenced_code(body):
        quotes = 0
        while match := _QUOTE_PREFIX_RE.match(line):
            quotes += 1
            line = line[match.end() :]
        indent = len(line.expandtabs(TAB_WIDTH)) - len(line.expandtabs(TAB_WIDTH).lstrip(" "))
        deepest = max(deepest, quotes + indent // TAB_WIDTH)
    return deepest


@dataclass(frozen=True)
class MarkupCounts:
    """What ``check_markup`` limits, counted outside fenced code: "[" (not
    escaped as "\\["), "[[" openers, headings, footnote marks ("[^"), and
    the characters the link parser reads to match each "[" with its "]" in
    the same paragraph (to the paragraph's end when it has none; the line of
    the first such "[" is ``first_unclosed_line``, 0 when there is none)."""

    brackets: int = 0
    wiki_links: int = 0
    headings: int = 0
    footnotes: int = 0
    bracket_reading: int = 0
    first_unclosed_line: int = 0


def markup_counts(body: str) -> MarkupCounts:
    """Count what ``check_markup`` limits, in one pass over ``body``."""
    brackets = wiki_links = headings = footnotes = reading = 0
    first_unclosed_line = 0
    open_brackets: list[tuple[int, int]] = []  # (offset in paragraph, line number)
    offset = 0

    def end_paragraph():
        nonlocal reading, first_unclosed_line, offset
        if open_brackets and not first_unclosed_line:
            first_unclosed_line = open_brackets[0][1]
        reading += sum(offset - start for start, _ in open_brackets)
        open_brackets.clear()
        offset = 0

    for number, line in enumerate(_outside_fenced_code(body), start=1):
        if not line.strip():
            end_paragraph()
            continue
        headings += bool(_HEADING_RE.match(line))
        wiki_links += line.count("[[")
        footnotes += line.count("[^")
        for match in _BRACKET_RE.finditer(line):
            if match.group() == "[":
                brackets += 1
                open_brackets.append((offset + match.start(), number))
            elif match.group() == "]" and open_brackets:
                reading += offset + match.start() - open_brackets.pop()[0]
        offset += len(line) + 1
    end_paragraph()
    return MarkupCounts(
        brackets=brackets,
        wiki_links=wiki_links,
        headings=headings,
        footnotes=footnotes,
        bracket_reading=reading,
        first_unclosed_line=first_unclosed_line,
    )


def check_markup(body: str) -> None:
    """Raise ``MarkupTooComplex`` when ``body`` is beyond one of the
    renderer's limits (``MAX_NESTING_DEPTH``, ``MAX_BRACKETS``,
    ``MAX_WIKI_LINKS``, ``MAX_BRACKET_READING``, ``MAX_HEADINGS``,
    ``MAX_FOOTNOTES``), with a message saying what to change. Linear in the
    length of ``body``."""
    depth = nesting_depth(body)
    if depth > MAX_NESTING_DEPTH:
        raise MarkupTooComplex(
            "Lists or quotes on this page are nested %(depth)s levels deep; the most "
            "allowed is %(limit)s. Flatten the list, or split it into sections.",
            params={"depth": depth, "limit": MAX_NESTING_DEPTH},
            code="too_deep",
        )
    counts = markup_counts(body)
    for name, limit, message, code in _COUNT_LIMITS:
        if (count := getattr(counts, name)) > limit:
            raise MarkupTooComplex(message, params={"count": count, "limit": limit}, code=code)
    if counts.bracket_reading > MAX_BRACKET_READING:
        raise MarkupTooComplex(
            "The square brackets on this page cannot be matched quickly: a “[” on line "
            "%(line)s (and maybe others) is not closed by a “]” in its paragraph, or brackets "
            "nest too deeply, and each such “[” makes the renderer read the rest of its "
            "paragraph again. Close each “[” with “]”, or write a bracket that is not a link "
            "as “\\[”.",
            params={"line": counts.first_unclosed_line or 1},
            code="unclosed_brackets",
        )


# The counted limits of check_markup: (MarkupCounts field, limit, message, code),
# checked in this order.
_COUNT_LIMITS = (
    (
        "brackets",
        MAX_BRACKETS,
        "This page has %(count)s square brackets “[”; the most allowed is %(limit)s. "
        "Split it into several pages, or write a bracket that is not a link as “\\[”.",
        "too_many_brackets",
    ),
    (
        "wiki_links",
        MAX_WIKI_LINKS,
        "This page has %(count)s wiki links “[[”; the most allowed is %(limit)s. "
        "Split it into several pages.",
        "too_many_wiki_links",
    ),
    (
        "headings",
        MAX_HEADINGS,
        "This page has %(count)s headings; the most allowed is %(limit)s. "
        "Split it into several pages.",
        "too_many_headings",
    ),
    (
        "footnotes",
        MAX_FOOTNOTES,
        "This page has %(count)s footnote marks “[^” (references and notes); the most "
        "allowed is %(limit)s. Split it into several pages.",
        "too_many_footnotes",
    ),
)


def render_markdown(body: str) -> Rendered:
    """Render a markdown body to sanitized HTML (stage 1).

    Wiki links become ``<a href="/wiki/Slug/" class="wikilink">``; their
    targets are returned as ``{key: title}``, and each link's title by its
    href. Pure: no database, no cache. Raises ``MarkupTooComplex`` for a body
    beyond the renderer's limits.

    A conversion that does not finish (any exception, a deadline included)
    discards this thread's converter: Python-Markdown's ``reset()`` does not
    undo what a half-done parse leaves behind (its block parser's state
    stack), and that would change how the next body renders.
    """
    check_markup(body)
    converter, found = _markdown_converter()
    converter.reset()
    found.clear()
    try:
        raw_html = converter.convert(body or "")
        targets, link_titles = dict(found.targets), dict(found.link_titles)
        categories = tuple(found.categories.values())
        if categories:  # a line that held only category links is no paragraph
            raw_html = _EMPTY_PARAGRAPH_RE.sub("", raw_html)
    except RecursionError:
        _discard_converter()
        raise MarkupTooComplex(
            "This page's text nests too deeply to show. Flatten its lists, quotes "
            "or links, or split it into sections.",
            code="too_deep",
        ) from None
    except BaseException:
        _discard_converter()
        raise
    finally:
        found.clear()
    html = wrap_tables(sanitize(raw_html))
    return Rendered(html=html, targets=targets, link_titles=link_titles, categories=categories)


# Tags as nh3 serializes them: it escapes "<" and ">" in text and in
# attribute values, so every "<" starts a tag and the first ">" ends it.
_TABLE_TAG_RE = re.compile(r"<(/?)table>")
_LABEL_SOURCE_RE = re.compile(r"<caption>(.*?)</caption>|<th(?:\s[^>]*)?>(.*?)</th>", re.DOTALL)
_ANY_TAG_RE = re.compile(r"<[^>]*>")
_WHITESPACE_RE = re.compile(r"\s+")
# Enough for a caption or a column heading; a screen reader reads it all.
TABLE_LABEL_LENGTH = 80
TABLE_REGION_START = '<div class="table-scroll" role="region" tabindex="0" aria-label="{}">'
TABLE_REGION_END = "</div>"


def wrap_tables(html: str) -> str:
    """Return sanitized ``html`` with each outermost table inside our own
    scrolling region: ``<div class="table-scroll" role="region"
    tabindex="0" aria-label="Table: <name>, scrolls sideways">``, so that a
    wide table scrolls by itself on a phone (not the page), and keyboard and
    screen-reader users can reach it and know what it is. ``<name>`` is the
    table's caption, else its first header cell, else nothing; a name used
    by an earlier table of the same body gets a number, so that every region
    has its own label.

    Runs after the sanitizer, which drops ``role``, ``tabindex``,
    ``aria-label`` and the ``table-scroll`` class from anything a moderator
    typed: a region is only ever this markup, around a table. Tables nested
    in a table scroll with it and are not wrapped again."""
    if "<table>" not in html:
        return html
    pieces, used_names = [], {}
    depth, written, start = 0, 0, 0
    for match in _TABLE_TAG_RE.finditer(html):
        if not match.group(1):
            if depth == 0:
                start = match.start()
            depth += 1
            continue
        if depth == 0:  # no opening tag: not ours to close (nh3 never writes one)
            continue
        depth -= 1
        if depth:
            continue
        table = html[start : match.end()]
        label = _table_label(table, used_names)
        pieces += [html[written:start], TABLE_REGION_START.format(html_lib.escape(label))]
        pieces += [table, TABLE_REGION_END]
        written = match.end()
    return "".join([*pieces, html[written:]])


def _table_label(table: str, used_names: dict[str, int]) -> str:
    # The caption or first header of this table, not of one nested in it.
    inside = table[len("<table>") : -len("</table>")]
    own, depth, kept = [], 0, 0
    for match in _TABLE_TAG_RE.finditer(inside):
        if depth == 0:
            own.append(inside[kept : match.start()])
        depth += -1 if match.group(1) else 1
        kept = match.end()
    own = "".join(own) + (inside[kept:] if depth == 0 else "")
    name = ""
    if match := _LABEL_SOURCE_RE.search(own):
        text = html_lib.unescape(_ANY_TAG_RE.sub("", match.group(1) or match.group(2) or ""))
        name = _WHITESPACE_RE.sub(" ", text).strip()
        if len(name) > TABLE_LABEL_LENGTH:
            name = name[: TABLE_LABEL_LENGTH - 1].rstrip() + "…"
    count = used_names[name] = used_names.get(name, 0) + 1
    number = f" {count}" if count > 1 else ""
    if not name:
        return f"Table{number}, scrolls sideways"
    return f"Table: {name}{' (' + str(count) + ')' if number else ''}, scrolls sideways"


def _discard_converter() -> None:
    _local.converter = None
    _local.found = None


def mark_missing_links(rendered: Rendered, existing_keys: Set[str]) -> SafeString:
    """Return ``rendered``'s HTML with its wiki links whose target key is not
    in ``existing_keys`` marked (stage 2): class ``wikilink new`` and a title
    saying the page does not exist. A link is known by the href the converter
    gave it (``rendered.link_titles``), never by reading a title back out of
    a URL. Pure: no database, no cache."""

    def replace(match: re.Match) -> str:
        attributes = _attributes(match.group(1))
        if attributes.get("class") != "wikilink":
            return match.group(0)
        title = rendered.link_titles.get(html_lib.unescape(attributes.get("href", "")))
        if title is None or title_key(title) in existing_keys:
            return match.group(0)
        attributes["class"] = "wikilink new"
        attributes["title"] = html_lib.escape(title + MISSING_TITLE_SUFFIX)
        return _a_tag(attributes)

    html = _A_TAG_RE.sub(replace, rendered.html) if rendered.link_titles else rendered.html
    return mark_safe(html)  # noqa: S308 (sanitized by nh3, then only link classes and titles)


# The glossary (wiki.glossary loads it; this module only marks text with it).
GLOSSARY_CLASS = "glossary-term"
# The id of the element holding an entry's definition on the page
# (templates/includes/_glossary_terms.html), which a marked term names in
# aria-describedby so that screen readers announce the definition.
GLOSSARY_DESCRIPTION_PREFIX = "glossary-definition-"
_GLOSSARY_SLUG = r"[a-z0-9]+(?:-[a-z0-9]+)*"
_GLOSSARY_DESCRIPTION_RE = re.compile(GLOSSARY_DESCRIPTION_PREFIX + _GLOSSARY_SLUG)
GLOSSARY_SLUG_RE = re.compile(_GLOSSARY_SLUG)
_WORD_RE = re.compile(r"\w+")
# What may stand between the words of a term in running text: spaces
# (a no-break space too) and hyphens ("tyrosine-kinase inhibitor").
_WORD_GAP_RE = re.compile(r"[\s\-\u2010\u2011]+")
# Text inside these is never marked: it is a link already, a heading, code,
# or an explanation of its own.
_UNMARKED_TAGS = {"a", "abbr", "code", "pre", "kbd", *(f"h{level}" for level in range(1, 7))}
_VOID_TAGS = {"br", "hr", "img"}


@dataclass(frozen=True)
class GlossaryEntry:
    """A glossary entry as rendering needs it: its anchor (``slug``), its
    term, every name it is known by (the term first), its plain-text
    definition and the URL of its place in the glossary."""

    slug: str
    term: str
    names: tuple[str, ...]
    definition: str
    href: str

    @property
    def description_id(self) -> str:
        return GLOSSARY_DESCRIPTION_PREFIX + self.slug


def glossary_words(name: str) -> tuple[str, ...]:
    """The words of a term as the glossary compares them: letters and digits,
    case-folded ("Interleukin-2" and "interleukin 2" are alike)."""
    return tuple(word.casefold() for word in _WORD_RE.findall(name or ""))


class GlossaryIndex:
    """The names of ``entries`` by their first word, longest name first, so
    that marking looks up each word of a text once."""

    def __init__(self, entries: Iterable[GlossaryEntry]):
        self.entries = tuple(entries)
        self.by_first_word: dict[str, list[tuple[tuple[str, ...], GlossaryEntry]]] = {}
        for entry in self.entries:
            for name in entry.names:
                words = glossary_words(name)
                if words:
                    self.by_first_word.setdefault(words[0], []).append((words, entry))
        for names in self.by_first_word.values():
            names.sort(key=lambda item: -len(item[0]))


class _GlossaryMarker(HTMLParser):
    """Copies sanitized HTML, linking the first use of each entry in text
    outside ``_UNMARKED_TAGS``."""

    def __init__(self, index: GlossaryIndex):
        super().__init__(convert_charrefs=True)
        self.index = index
        self.out: list[str] = []
        self.open_tags: list[str] = []
        self.unmarked_depth = 0
        self.used: dict[str, GlossaryEntry] = {}

    def handle_starttag(self, tag, attrs):
        self.out.append(self.get_starttag_text())
        if tag in _VOID_TAGS:
            return
        self.open_tags.append(tag)
        self.unmarked_depth += tag in _UNMARKED_TAGS

    def handle_startendtag(self, tag, attrs):
        self.out.append(self.get_starttag_text())

    def handle_endtag(self, tag):
        self.out.append(f"</{tag}>")
        if tag not in self.open_tags:
            return
        while self.open_tags:
            closed = self.open_tags.pop()
            self.unmarked_depth -= closed in _UNMARKED_TAGS
            if closed == tag:
                break

    def handle_data(self, data):
        if self.unmarked_depth or len(self.used) == len(self.index.entries):
            self.out.append(html_lib.escape(data, quote=False))
        else:
            self.out.append(self._marked(data))

    def _match_at(self, words: list[re.Match], start: int, text: str):
        for name_words, entry in self.index.by_first_word.get(words[start].group().casefold(), ()):
            end = start + len(name_words)
            if entry.slug in self.used or end > len(words):
                continue
            if all(
                words[position].group().casefold() == name_words[position - start]
                and _WORD_GAP_RE.fullmatch(text, words[position - 1].end(), words[position].start())
                for position in range(start + 1, end)
            ):
                return entry, end
        return None

    def _marked(self, text: str) -> str:
        words = list(_WORD_RE.finditer(text))
        pieces, copied, position = [], 0, 0
        while position < len(words):
            found = self._match_at(words, position, text)
            if found is None:
                position += 1
                continue
            entry, end = found
            first, last = words[position].start(), words[end - 1].end()
            pieces.append(html_lib.escape(text[copied:first], quote=False))
            pieces.append(
                f'<a class="{GLOSSARY_CLASS}" href="{html_lib.escape(entry.href)}" '
                f'aria-describedby="{entry.description_id}">'
                f"{html_lib.escape(text[first:last], quote=False)}</a>"
            )
            self.used[entry.slug] = entry
            copied, position = last, end
        pieces.append(html_lib.escape(text[copied:], quote=False))
        return "".join(pieces)


def mark_glossary_terms(html: str, index: GlossaryIndex) -> tuple[str, tuple[GlossaryEntry, ...]]:
    """Return ``html`` (stage 1's sanitized HTML) with the first use of each
    entry of ``index`` (its term or any synonym, as whole words, in any
    letter case) made a link to the glossary, ``<a class="glossary-term"
    href="/glossary/#slug" aria-describedby="glossary-definition-slug">``,
    and the entries used, in order of first use. Text in links, headings,
    code and abbreviations is left alone. The result passes through
    ``sanitize`` again, so nothing but what the allowlist admits can come
    out; that pass reduces stage 1's table regions to bare ``<div>``s, so
    ``wrap_tables`` puts each table in its region again. Pure: no database,
    no cache."""
    if not index.entries:
        return html, ()
    marker = _GlossaryMarker(index)
    marker.feed(html)
    marker.close()
    if not marker.used:
        return html, ()
    return wrap_tables(sanitize("".join(marker.out))), tuple(marker.used.values())
