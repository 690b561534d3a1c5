"""The one rendering pipeline: markdown, then wiki links, then the sanitizer.

Everything a moderator typed reaches a reader only through ``render_markdown``,
whose last step is nh3 with an explicit allowlist. There is no switch that
turns the sanitizer off. Only this module and ``wiki.diff`` call ``mark_safe``.

Rendering has two stages so that a page view never re-renders markdown:

1. ``render_markdown(body)``: markdown -> sanitized HTML, with every wiki link
   marked ``class="wikilink"`` and the set of link targets. Depends only on the
   body, so it is cached by a hash of the body (shared across app servers when
   the cache is Redis).
2. ``mark_missing_links(html, existing)``: adds ``new`` and "page does not
   exist" to links whose target is missing. Depends on which pages exist, so
   ``page_html`` caches it under the page's ``link_version``, which the save,
   move and delete services bump on every page that links to a title that
   appears or disappears.
"""

from __future__ import annotations

import datetime
import hashlib
import html as html_lib
import re
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import quote, unquote
from xml.etree import ElementTree

import markdown
import nh3
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.utils.safestring import SafeString, mark_safe
from markdown.extensions.toc import slugify
from markdown.inlinepatterns import InlineProcessor

from wiki.titles import slug_to_title, title_key, title_to_slug, validate_title

if TYPE_CHECKING:
    from wiki.models import Page

# Bump when the pipeline's output changes, so cached HTML is made again.
RENDER_VERSION = 1
CACHE_TIMEOUT = 60 * 60 * 24 * 7

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "dd", "del", "details",
    "div", "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5",
    "h6", "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s",
    "small", "span", "strong", "sub", "summary", "sup", "table", "tbody", "td",
    "tfoot", "th", "thead", "tr", "u", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
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
    "a": {"wikilink", "footnote-ref", "footnote-backref"},
    "div": {"footnote", "toc"},
}
URL_SCHEMES = {"http", "https", "mailto", "tel"}
EXTERNAL_REL = "nofollow noopener"
MISSING_TITLE_SUFFIX = " (page does not exist)"

# [[Title]], [[Title|label]], [[Title#section|label]]
WIKILINK_PATTERN = r"\[\[([^\[\]|\n]+?)(?:\|([^\[\]\n]*?))?\]\]"
REDIRECT_RE = re.compile(
    r"\A\s*#REDIRECT\s*:?\s*\[\[([^\[\]|\n]+?)(?:\|[^\[\]\n]*)?\]\]", re.IGNORECASE
)
# A start tag as nh3 serializes it: every attribute is name="value", and a
# value never holds a double quote (it is written as &quot;).
_A_TAG_RE = re.compile(r'<a((?:\s+[a-zA-Z_:][-a-zA-Z0-9_:.]*="[^"]*")*)\s*>')
_ATTRIBUTE_RE = re.compile(r'([a-zA-Z_:][-a-zA-Z0-9_:.]*)="([^"]*)"')
_WIKI_HREF_RE = re.compile(r"\A/wiki/([^/#?]+)/(?:#.*)?\Z")

# Lists and quotes nest by recursion in Python-Markdown; far below the depth
# that exhausts the stack, far above what a readable page needs.
MAX_NESTING_DEPTH = 20
TAB_WIDTH = 4
_QUOTE_PREFIX_RE = re.compile(r"[ \t]{0,3}>")
_FENCE_RE = re.compile(r"[ \t]*(`{3,}|~{3,})")


class MarkupTooComplex(ValidationError):
    """The body cannot be rendered within the renderer's limits; the
    message says what to change."""


@dataclass(frozen=True)
class Rendered:
    """Sanitized HTML of one body, and the wiki-link targets it holds
    (``{key: title}``)."""

    html: str
    targets: dict[str, str] = field(default_factory=dict)


def wiki_href(title: str, fragment: str = "") -> str:
    """Return the URL path of a page (and an optional section anchor)."""
    href = "/wiki/" + quote(title_to_slug(title), safe="!$'()*+,;=:@-._~") + "/"
    if fragment:
        href += "#" + section_anchor(fragment)
    return href


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


class _WikiLinkProcessor(InlineProcessor):
    def __init__(self, pattern, md, targets):
        super().__init__(pattern, md)
        self.targets = targets

    def handleMatch(self, match, data):  # noqa: N802 (Markdown's API)
        target, label = match.group(1), match.group(2)
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
        self.targets.setdefault(title_key(title), title)
        element.set("href", wiki_href(title, fragment))
        element.set("class", "wikilink")
        element.text = (label if label and label.strip() else target).strip()
        return element, match.start(0), match.end(0)


class _WikiLinkExtension(markdown.Extension):
    def __init__(self, targets, **kwargs):
        self.targets = targets
        super().__init__(**kwargs)

    def extendMarkdown(self, md):  # noqa: N802 (Markdown's API)
        # Above Markdown's own link patterns, so [[x]] is never a reference link.
        md.inlinePatterns.register(
            _WikiLinkProcessor(WIKILINK_PATTERN, md, self.targets), "wikilink", 175
        )


_local = threading.local()


def _markdown_converter() -> tuple[markdown.Markdown, dict]:
    converter = getattr(_local, "converter", None)
    if converter is None:
        targets: dict[str, str] = {}
        converter = markdown.Markdown(
            extensions=[
                "tables",
                "toc",
                "sane_lists",
                "footnotes",
                "fenced_code",
                _WikiLinkExtension(targets),
            ],
            extension_configs={
                "tables": {"use_align_attribute": True},
                "toc": {"permalink": False},
            },
            output_format="html",
        )
        _local.converter = converter
        _local.targets = targets
    return converter, _local.targets


def _keep_local_images(tag: str, attribute: str, value: str) -> str | None:
    # Images load from this site only: a picture from another host would tell
    # that host which patient read which page.
    is_remote = not value.startswith("/") or value.startswith("//")
    if tag == "img" and attribute == "src" and is_remote:
        return None
    return value


def sanitize(html: str) -> str:
    """Return ``html`` cleaned by nh3 with the project's allowlist, external
    links marked ``rel="nofollow noopener"``. Idempotent."""
    cleaned = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        clean_content_tags={"script", "style"},
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=_keep_local_images,
        allowed_classes=ALLOWED_CLASSES,
        url_schemes=URL_SCHEMES,
        link_rel=None,
        strip_comments=True,
    )
    return _A_TAG_RE.sub(_mark_external, cleaned)


def _attributes(attribute_text: str) -> dict[str, str]:
    return dict(_ATTRIBUTE_RE.findall(attribute_text))


def _a_tag(attributes: dict[str, str]) -> str:
    # Values come from nh3's output, already escaped: keep them as they are.
    return "<a" + "".join(f' {name}="{value}"' for name, value in attributes.items()) + ">"


def _mark_external(match: re.Match) -> str:
    attributes = _attributes(match.group(1))
    href = html_lib.unescape(attributes.get("href", ""))
    if re.match(r"(?i)https?://", href):
        attributes["rel"] = EXTERNAL_REL
    return _a_tag(attributes)


def nesting_depth(body: str) -> int:
    """Return how deeply lists and block quotes nest in ``body`` (0 for
    plain paragraphs), not counting lines inside fenced code."""
    deepest, fence = 0, None
    for line in (body or "").splitlines():
        fence_match = _FENCE_RE.match(line)
        if fence_match:
            marker = fence_match.group(1)
            if fence is None:
                fence = marker
            elif marker[0] == fence[0] and len(marker) >= len(fence):
                fence = None
            continue
        if fence is not None:
            continue
        quotes = 0
        while match := _QUOTE_PREFIX_RE.match(line):
            quotes += 1
            line = line[match.end() :]
        indent = len(line.expandtabs(TAB_WIDTH)) - len(line.expandtabs(TAB_WIDTH).lstrip(" "))
        deepest = max(deepest, quotes + indent // TAB_WIDTH)
    return deepest


def check_markup(body: str) -> None:
    """Raise ``MarkupTooComplex`` when ``body`` nests deeper than the
    renderer allows."""
    depth = nesting_depth(body)
    if depth > MAX_NESTING_DEPTH:
        raise MarkupTooComplex(
            "Lists or quotes on this page are nested %(depth)s levels deep; the most "
            "allowed is %(limit)s. Flatten the list, or split it into sections.",
            params={"depth": depth, "limit": MAX_NESTING_DEPTH},
            code="too_deep",
        )


def render_markdown(body: str) -> Rendered:
    """Render a markdown body to sanitized HTML (stage 1).

    Wiki links become ``<a href="/wiki/Slug/" class="wikilink">``; their
    targets are returned as ``{key: title}``. Pure: no database, no cache.
    Raises ``MarkupTooComplex`` for a body beyond the renderer's limits.

    A conversion that does not finish (any exception, a deadline included)
    discards this thread's converter: Python-Markdown's ``reset()`` does not
    undo what a half-done parse leaves behind (its block parser's state
    stack), and that would change how the next body renders.
    """
    check_markup(body)
    converter, targets = _markdown_converter()
    converter.reset()
    targets.clear()
    try:
        raw_html = converter.convert(body or "")
        found = dict(targets)
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
        targets.clear()
    return Rendered(html=sanitize(raw_html), targets=found)


def _discard_converter() -> None:
    _local.converter = None
    _local.targets = None


def mark_missing_links(html: str, existing_keys: set[str]) -> str:
    """Mark the wiki links in sanitized ``html`` whose target key is not in
    ``existing_keys`` (stage 2): class ``wikilink new`` and a title saying the
    page does not exist. Pure: no database, no cache."""

    def replace(match: re.Match) -> str:
        attributes = _attributes(match.group(1))
        if attributes.get("class") != "wikilink":
            return match.group(0)
        href_match = _WIKI_HREF_RE.match(html_lib.unescape(attributes.get("href", "")))
        if not href_match:
            return match.group(0)
        title = slug_to_title(unquote(href_match.group(1)))
        if title_key(title) in existing_keys:
            return match.group(0)
        attributes["class"] = "wikilink new"
        attributes["title"] = html_lib.escape(title + MISSING_TITLE_SUFFIX)
        return _a_tag(attributes)

    return _A_TAG_RE.sub(replace, html)


def existing_keys(keys) -> set[str]:
    """Return which of ``keys`` name existing pages (one query)."""
    from wiki.models import Page

    keys = list(keys)
    if not keys:
        return set()
    return set(Page.objects.filter(key__in=keys).values_list("key", flat=True))


def _body_hash(body: str) -> str:
    return hashlib.sha256((body or "").encode("utf-8")).hexdigest()


def cached_render(body: str) -> Rendered:
    """Stage 1 through the cache, keyed by a hash of the body."""
    cache_key = f"wiki:render:{RENDER_VERSION}:{_body_hash(body)}"
    cached = cache.get(cache_key)
    if cached is not None:
        return Rendered(html=cached[0], targets=cached[1])
    rendered = render_markdown(body)
    cache.set(cache_key, (rendered.html, rendered.targets), CACHE_TIMEOUT)
    return rendered


def _render_for_reader(body: str) -> Rendered | None:
    """Stage 1 for showing a body: None when it cannot be rendered (a body
    stored before the limits, or imported), which the reader is told of."""
    try:
        return cached_render(body)
    except MarkupTooComplex:
        return None


UNRENDERABLE_HTML = (
    "<p><strong>This text cannot be shown: its lists or quotes nest too deeply. "
    "A moderator needs to simplify it.</strong></p>"
)


def render_body(body: str) -> SafeString:
    """Render any body (a preview, an old revision) with the current link
    state. One query when the body has wiki links; nothing cached in stage 2."""
    rendered = _render_for_reader(body)
    if rendered is None:
        return mark_safe(UNRENDERABLE_HTML)  # noqa: S308 (a constant of ours)
    if not rendered.targets:
        return mark_safe(rendered.html)  # noqa: S308 (sanitized by nh3 above)
    html = mark_missing_links(rendered.html, existing_keys(rendered.targets))
    return mark_safe(html)  # noqa: S308 (sanitized by nh3, then only link classes)


def page_html(page: Page) -> SafeString:
    """Return the HTML of a page's current body: sanitized, with current link
    state, cached under the body and the page's ``link_version``."""
    cache_key = _page_html_key(page)
    html = cache.get(cache_key)
    if html is None:
        rendered = _render_for_reader(page.body)
        if rendered is None:
            return mark_safe(UNRENDERABLE_HTML)  # noqa: S308 (a constant of ours)
        html = rendered.html
        if rendered.targets:
            html = mark_missing_links(html, existing_keys(rendered.targets))
        cache.set(cache_key, html, CACHE_TIMEOUT)
    return mark_safe(html)  # noqa: S308 (sanitized by nh3, then only link classes)


def _page_html_key(page: Page) -> str:
    return f"wiki:html:{RENDER_VERSION}:{page.pk}:{page.link_version}:{_body_hash(page.body)}"


def _crosslinks_key(page: Page) -> str:
    # Cross-links change only with a new revision; their targets' state only
    # with a bump of link_version (the link table holds cross-link targets).
    return (
        f"wiki:crosslinks:{RENDER_VERSION}:{page.pk}:{page.current_revision_id}:{page.link_version}"
    )


@dataclass(frozen=True)
class ShownCrossLink:
    """A cross-link as a page shows it, with its target's state."""

    kind: str
    target_title: str
    label: str
    note_date: datetime.date | None
    target_url: str
    is_missing: bool


@dataclass(frozen=True)
class PageDisplay:
    """What a page view shows of a page: its body's HTML (None when not
    asked for) and its cross-links, both with current link state."""

    html: SafeString | None
    crosslinks: list[ShownCrossLink]


def page_display(page: Page, *, with_body: bool = True) -> PageDisplay:
    """Return the page's HTML (as ``page_html``) and its cross-links with
    their targets' state, each cached under the page's ``link_version``.

    On a warm cache this makes no query. On a cold one it reads the
    cross-links (one query) and asks which link targets exist, for body and
    cross-links together (one query).
    """
    html_key, crosslinks_key = _page_html_key(page), _crosslinks_key(page)
    found = cache.get_many([html_key, crosslinks_key] if with_body else [crosslinks_key])
    html, crosslinks = found.get(html_key), found.get(crosslinks_key)
    rendered = _render_for_reader(page.body) if with_body and html is None else None
    if with_body and html is None and rendered is None:
        html = UNRENDERABLE_HTML  # shown, never cached: it is no render
    rows = list(page.crosslinks.all()) if crosslinks is None else []
    wanted = {title_key(row.target_title) for row in rows}
    if rendered is not None:
        wanted |= rendered.targets.keys()
    existing = existing_keys(wanted)
    fresh = {}
    if rendered is not None:
        html = rendered.html
        if rendered.targets:
            html = mark_missing_links(html, existing)
        fresh[html_key] = html
    if crosslinks is None:
        crosslinks = [
            ShownCrossLink(
                kind=row.kind,
                target_title=row.target_title,
                label=row.label,
                note_date=row.note_date,
                target_url=wiki_href(row.target_title),
                is_missing=title_key(row.target_title) not in existing,
            )
            for row in rows
        ]
        fresh[crosslinks_key] = crosslinks
    if fresh:
        cache.set_many(fresh, CACHE_TIMEOUT)
    safe_html = None if html is None else mark_safe(html)  # noqa: S308 (sanitized by nh3)
    return PageDisplay(html=safe_html, crosslinks=crosslinks)
