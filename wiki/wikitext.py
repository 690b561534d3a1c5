"""MediaWiki wikitext to our markdown (``wiki.rendering``'s markup).

Pure: no database, no Django models, no cache shared between pages. The
``importmediawiki`` command calls ``convert`` once a revision and
``mediawiki_title`` for every title it meets.

The text is read by mwparserfromhell's tokenizer (its C extension), and this
module walks the token list itself. The package's tree builder, which turns
those tokens into node objects, took 3.6 of the 4.1 ms a 3 KB page cost
(the tokenizer 0.4 ms), and the import must reach 1,000 revisions a second.
The token list is the parser's documented intermediate form
(``mwparserfromhell.parser.tokens``): nested, and always balanced. Only a
template call, which needs its parameters as wikitext, goes through the tree
builder, on its own tokens.

A page's revisions share most of their paragraphs. Given a
``paragraph_cache`` (the import keeps one a page), ``convert`` cuts the text
at the blank lines that no construct spans (``_paragraph_texts``) and walks
each paragraph once, keyed by its text and, when its markdown can depend on
them, the footnote and link numbers before it; the markdown is exactly what
one walk of the whole text writes (tests/test_wikitext_paragraphs.py).

The tokenizer retries every opener it cannot close against the rest of the
text, so a hostile text of unclosed ``{|``, ``<div>`` or ``[[a|`` takes time
in the square of its length (48 KB of ``{|`` took 18 s). ``_defuse_unclosed``
first turns each opener that has no closer into the same literal text the
tokenizer would have made of it, in one linear pass.

What becomes what:
- ``== H ==`` -> ``## H``; ``'''b'''`` -> ``**b**``; ``''i''`` -> ``*i*``.
- ``*``, ``#`` lists (nested, mixed) -> markdown lists, 4 spaces a level;
  ``; term`` -> a bold line, ``: text`` -> a line of its own (``<br>``), as
  markdown has no definition lists and raw ``<dl>`` would stop markdown
  (links) inside it.
- ``[[Page]]``, ``[[Page|label]]``, ``[[Page#Section|label]]``, ``[[#S]]``:
  wiki links to the ``mediawiki_title`` of the target, labelled as
  MediaWiki showed them (link trails included: ``[[cat]]s`` reads "cats").
- ``[url label]`` -> ``[label](url)``; ``[url]`` -> ``[[1]](url)``,
  numbered as MediaWiki numbers them; a bare URL -> ``<url>``.
- ``{|`` tables -> markdown tables (the renderer's ``tables`` extension; a
  raw ``<table>`` would stop markdown, and so wiki links, inside it). The
  caption becomes a bold line above the table, header cells of the first row
  the header row (an empty one when the first row has none: markdown
  tables need one), other header cells bold text; ``colspan`` and
  ``rowspan`` become empty cells so columns stay in line.
- ``<ref>`` -> footnotes ``[^1]`` (``name=`` reuse keeps the number),
  defined at the end; ``<references/>`` is dropped.
- Templates defined in ``templates`` whose expansion is inline text are
  expanded; anything else is dropped and named in ``templates_removed``.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field

from mwparserfromhell.nodes import Template as TemplateNode
from mwparserfromhell.parser import tokens as T
from mwparserfromhell.parser.builder import Builder

try:  # the C tokenizer; the pure-Python one gives the same tokens, slower
    from mwparserfromhell.parser import CTokenizer as _Tokenizer
except ImportError:  # pragma: no cover
    from mwparserfromhell.parser.tokenizer import Tokenizer as _Tokenizer

# MediaWiki's own page size limit ($wgMaxArticleSize, 2 MiB). A longer text
# cannot have come from a MediaWiki page; it is kept as plain paragraphs.
MAX_WIKITEXT_LENGTH = 2 * 1024 * 1024
# Template expansion: how deep calls nest (MediaWiki's $wgMaxTemplateDepth is
# 40; real templates are far shallower), how many expansions one page may
# make and how much text they may add in all.
MAX_TEMPLATE_DEPTH = 20
MAX_TEMPLATE_EXPANSIONS = 500
MAX_EXPANDED_CHARACTERS = 500_000
# Template calls an expansion cache keeps (it starts again when full).
MAX_CACHED_EXPANSIONS = 1_000
# List levels kept; deeper items join the deepest level. Far below the
# renderer's MAX_NESTING_DEPTH, and past anything readable.
MAX_LIST_DEPTH = 10
# Tags nested deeper than this are text: the tokenizer fails (and retries)
# such routes anyway, at a cost that grows with the depth.
MAX_TAG_NESTING = 40
# Table columns kept (a hostile colspan cannot make a million cells).
MAX_TABLE_COLUMNS = 50

NAMESPACES = {
    *("media", "special", "talk", "user", "user talk", "project", "project talk"),
    *("file", "file talk", "image", "image talk", "mediawiki", "mediawiki talk"),
    *("template", "template talk", "help", "help talk", "category", "category talk"),
    *("module", "module talk", "portal", "draft", "wikipedia", "wp"),
}
FILE_NAMESPACES = {"file", "image", "media"}
INTERWIKI_PREFIXES = {
    *("w", "wikipedia", "wikt", "wiktionary", "commons", "meta", "mw", "mediawikiwiki"),
    *("wikibooks", "b", "wikiquote", "q", "wikisource", "s", "wikinews", "n"),
    *("wikiversity", "v", "wikivoyage", "voy", "wikidata", "d", "species", "metawikimedia"),
}
_LANGUAGE_PREFIX_RE = re.compile(r"[a-z]{2,3}(?:-[a-z]{2,8})*\Z|simple\Z")
MAGIC_WORDS_RE = re.compile(
    r"__(?:NOTOC|FORCETOC|TOC|NOEDITSECTION|NEWSECTIONLINK|NONEWSECTIONLINK|NOGALLERY|"
    r"HIDDENCAT|EXPECTUNUSEDCATEGORY|INDEX|NOINDEX|STATICREDIRECT|DISAMBIG|"
    r"NOTITLECONVERT|NOTC|NOCONTENTCONVERT|NOCC|START|END)__"
)
PARSER_FUNCTIONS = {
    *("lc", "uc", "lcfirst", "ucfirst", "urlencode", "anchorencode", "formatnum"),
    *("padleft", "padright", "plural", "grammar", "gender", "int", "ns", "nse"),
    *("fullurl", "localurl", "canonicalurl", "filepath", "tag", "displaytitle"),
    *("defaultsort", "defaultsortkey", "defaultcategorysort", "pagesincategory"),
    *("numberingroup", "language", "special", "speciale", "protectionlevel"),
}
# Tags whose content MediaWiki does not show as text, or shows as something
# we cannot make (pictures, formulas); each is named in ``unconverted``.
UNCONVERTED_TAGS = {
    *("gallery", "math", "chem", "ce", "timeline", "score", "graph", "imagemap"),
    *("inputbox", "categorytree", "hiero", "mapframe", "maplink", "templatedata"),
    *("charinsert", "indicator", "section", "dynamicpagelist", "html", "includeonly"),
    *("templatestyles", "langconvert"),
}
# Inline HTML the sanitizer keeps: written as tags around converted content.
INLINE_HTML = {
    *("sup", "sub", "small", "u", "s", "code", "span", "kbd", "mark", "q", "abbr"),
    *("ins", "del", "var", "samp", "cite", "dfn", "bdi", "time", "data"),
}
# HTML spelt by its markdown or by a kept tag.
RENAMED_HTML = {
    "b": "**",
    "strong": "**",
    "i": "*",
    "em": "*",
    "strike": "s",
    "tt": "code",
    "var": "i",
    "samp": "code",
}
# Tags that only carry presentation: their content is kept, the tag not.
TRANSPARENT_TAGS = {"font", "big", "center", "bdo", "rb", "rp", "rt", "ruby", "wbr", "p"}
# Block HTML: content kept as blocks (a raw <div> would stop markdown inside).
BLOCK_HTML = {"div", "blockquote", "noinclude", "onlyinclude", "poem", "nav", "section"}
CODE_TAGS = {"pre", "syntaxhighlight", "source"}
# Line-start characters that would begin markdown block syntax.
_LINE_START_RE = re.compile(r"[ \t]*(?:([#>+\-])|(\d+)([.)])(?=\s|$)|([=~`]))")
_URL_UNSAFE = str.maketrans({" ": "%20", "(": "%28", ")": "%29", "<": "%3C", ">": "%3E"})
_ESCAPES = str.maketrans({"\\": "\\\\", "`": "\\`", "*": "\\*", "_": "\\_", "[": "\\[", "]": "\\]"})
_TABLE_ESCAPES = str.maketrans(
    {"\\": "\\\\", "`": "\\`", "*": "\\*", "_": "\\_", "[": "\\[", "]": "\\]", "|": "\\|"}
)
_ANGLE_RE = re.compile(r"<(?=[A-Za-z/!?]|$)")
_AMPERSAND_RE = re.compile(r"&(?=#?[A-Za-z0-9]+;)")
_LINK_TRAIL_RE = re.compile(r"[a-z]+")
_RUN_OF_SPACES_RE = re.compile(r"  +")
_REDIRECT_RE = re.compile(r"\s*#REDIRECT\s*:?\s*(?=\[\[)", re.IGNORECASE)
_SPACES_RE = re.compile(r"[\s_]+")
_URL_SCHEMES = ("http://", "https://", "mailto:", "tel:")


@dataclass
class Conversion:
    """One converted text. ``links`` are the wiki-link targets written into
    ``markdown`` (MediaWiki titles, each once, in order)."""

    markdown: str
    categories: list[tuple[str, str]] = field(default_factory=list)
    templates_expanded: list[str] = field(default_factory=list)
    templates_removed: list[str] = field(default_factory=list)
    unconverted: list[str] = field(default_factory=list)
    redirect: str | None = None
    links: list[str] = field(default_factory=list)


def mediawiki_title(text: str) -> str:
    """MediaWiki's title rules: underscores as spaces, runs of spaces collapsed,
    trimmed, first letter upper case (Unicode-aware; MediaWiki's $wgCapitalLinks).
    A namespace prefix (``category:x``) is capitalised as MediaWiki does, and
    the name after it too. NFC, as MediaWiki stores titles."""
    title = _SPACES_RE.sub(" ", unicodedata.normalize("NFC", text)).strip()
    prefix, colon, rest = title.partition(":")
    if colon and prefix.strip().lower() in NAMESPACES:
        rest = rest.strip()
        return _upper_first(prefix.strip().lower()) + ":" + _upper_first(rest)
    return _upper_first(title)


def _upper_first(text: str) -> str:
    if not text:
        return text
    first = text[0].upper()
    # "ß".upper() is "SS"; MediaWiki keeps such letters whose capital is not
    # one character.
    return (first if len(first) == 1 else text[0]) + text[1:]


def convert(
    wikitext: str,
    *,
    templates: Mapping[str, str] | None = None,
    expansion_cache: dict | None = None,
    paragraph_cache: dict | None = None,
) -> Conversion:
    """Convert one revision's wikitext to markdown.

    `templates`: template name (MediaWiki title without 'Template:') -> its
    wikitext, as defined in the dump. Never raises for any text; the work is
    bounded (``MAX_WIKITEXT_LENGTH``, ``MAX_TEMPLATE_*``, ``MAX_LIST_DEPTH``).
    What could not be converted is named in ``templates_removed`` and
    ``unconverted``; its text is dropped, never shown as raw wikitext.

    `expansion_cache`: a dict the caller keeps between calls with the same
    `templates` (an import keeps one), so that a template call met again (in
    the next revision of a page, say) is not expanded again.

    `paragraph_cache`: likewise, a dict the caller keeps between the
    revisions of one page, so that a paragraph an earlier revision had too
    is not walked again (``_convert_by_paragraphs``). The result is the same
    with or without it."""
    text = (wikitext or "").replace("\r\n", "\n").replace("\r", "\n")
    if len(text) > MAX_WIKITEXT_LENGTH:
        return _as_plain_text(text)
    redirect_prefix = _REDIRECT_RE.match(text)
    body = text[redirect_prefix.end() :] if redirect_prefix else text
    templates = templates or {}
    if paragraph_cache is not None and not redirect_prefix:
        converted = _convert_by_paragraphs(body, templates, expansion_cache, paragraph_cache)
        if converted is not None:
            return converted
    tokens = _tokenize(body)
    converter = _Converter(tokens, templates, expansion_cache)
    redirect = None
    if redirect_prefix and tokens and type(tokens[0]) is T.WikilinkOpen:
        redirect = converter.redirect_target()
    markdown = converter.run()
    markdown = _restore_defused(markdown)
    if redirect is not None:
        markdown = f"#REDIRECT [[{redirect}]]\n\n{markdown}".rstrip() + "\n"
    return converter.conversion(markdown, redirect)


# What the paragraph scanner reads: comments, tags, brackets and braces,
# runs of apostrophes (bold and italic) and blank lines.
_SCAN_RE = re.compile(r"<!--|-->|<(/?)([A-Za-z][A-Za-z0-9]*)\b[^<>]*?(/?)>|[\[\]{}]|'{2,}|\n\n+|\n")
# Tags whose content the tokenizer reads as plain text, and tags that have no
# content.
_RAW_TAGS = {"nowiki", "pre", "math", "source", "syntaxhighlight", "code", "chem", "score"}
_VOID_TAGS = {"br", "wbr", "hr", "img", "meta", "link", "references"}
# Whether a paragraph's markdown can depend on the page's state before it:
# footnotes (a <ref>, or a template that may hold one) and the numbers of
# bare external links.
_STATEFUL_RE = re.compile(r"<ref|\{\{|\[[^\[\]\s|]*:|\[//", re.IGNORECASE)
# Below this many characters a text is walked whole.
_MIN_PARAGRAPHS_LENGTH = 1_000
# A page's paragraphs kept for its next revisions; past this many the cache
# starts again (memory stays bounded however long a history is).
MAX_CACHED_PARAGRAPHS = 5_000
# The key of a paragraph cache's one other entry, which no paragraph's can
# equal: its page's scans (``_paragraph_texts``), as many at most.
_SCANS = object()


def _paragraph_texts(text: str, scans: dict | None = None) -> list[str]:
    """``text`` cut at each blank line that no construct spans: the
    paragraphs, each of which the tokenizer reads alone exactly as it reads
    it within the whole text. Conservative: a blank line is a cut only when
    every bracket, brace and tag opened since the last cut was closed, no
    comment or raw tag (``<nowiki>``, ``<pre>``) is open, and the bold and
    italic runs since then paired up line by line, properly nested (the
    tokenizer lets an unclosed ``''`` or a table span blank lines, so any
    doubt leaves the paragraphs joined).

    ``scans``: a dict kept between the revisions of one page, so that the
    text between two blank lines that an earlier revision had too, met in
    the same state, is not scanned again (scanning was half the converting
    of a revision that changed one paragraph in twenty). The result is the
    same with or without it."""
    if _UNCLOSED_TAG_RE.search(text):
        return [text]
    if scans is None or _TAG_OVER_BLANK_LINE_RE.search(text):
        state, cuts = _scan(text, _NOTHING_OPEN)
    else:
        # The scanner's matches never span a blank line (but for a tag,
        # ruled out above): the text scans as its pieces, each ending after
        # its blank lines, one after another.
        state, cuts, start = _NOTHING_OPEN, [], 0
        ends = [blank.end() for blank in _BLANK_LINES_RE.finditer(text)]
        if not ends or ends[-1] != len(text):
            ends.append(len(text))
        for end in ends:
            key = (state, text[start:end])
            scanned = scans.get(key)
            if scanned is None:
                scanned = scans[key] = _scan(key[1], state)
            state, piece_cuts = scanned
            cuts.extend((cut_start + start, cut_end + start) for cut_start, cut_end in piece_cuts)
            start = end
    comment, raw = state[0], state[1]
    if comment or raw is not None or not cuts:
        return [text]
    pieces, start = [], 0
    for cut_start, cut_end in cuts:
        pieces.append(text[start:cut_start])
        start = cut_end
    pieces.append(text[start:])
    return [piece for piece in pieces if piece]


# The paragraph scanner's state (``_scan``) at the start of a text: no
# comment, raw tag, bracket, brace or tag open, and bold and italic paired up.
_NOTHING_OPEN = (False, None, 0, 0, (), True)
_BLANK_LINES_RE = re.compile(r"\n\n+")
# The one match of ``_SCAN_RE`` that may hold a blank line.
_TAG_OVER_BLANK_LINE_RE = re.compile(r"<[A-Za-z][^<>]*\n\n")
# A tag's start that no ``>`` closes before the next ``<`` or the end: the
# tokenizer's attempt to read it as a tag can reach past blank lines.
_UNCLOSED_TAG_RE = re.compile(r"<[A-Za-z][^<>]*(?=<|\Z)")


def _scan(text: str, state: tuple) -> tuple[tuple, list[tuple[int, int]]]:
    """The scan of ``_paragraph_texts`` over ``text``, which starts a text
    or follows a blank line, from ``state`` (``_NOTHING_OPEN``, or what an
    earlier call returned): the state at its end, and the spans of the
    blank lines in it that are cuts."""
    comment, raw, brackets, braces, open_tags, styles_ok = state
    cuts: list[tuple[int, int]] = []
    tags: dict[str, int] = dict(open_tags)
    styles: list[int] = []  # the open bold (3) and italic (2) runs of this line
    for match in _SCAN_RE.finditer(text):
        found = match.group(0)
        if comment:
            comment = found != "-->"
            continue
        if raw is not None:
            if match.group(1) and match.group(2).lower() == raw:
                raw = None
            continue
        first = found[0]
        if first == "\n":
            if styles:
                styles_ok = False
            styles = []
            if len(found) > 1 and styles_ok and not (brackets or braces) and not any(tags.values()):
                cuts.append(match.span())
            continue
        if found == "<!--":
            comment = True
        elif first == "<" and match.group(2):
            name = match.group(2).lower()
            if match.group(1):
                if tags.get(name):
                    tags[name] -= 1
            elif name in _RAW_TAGS and not match.group(3):
                raw = name
            elif not match.group(3) and name not in _VOID_TAGS:
                tags[name] = tags.get(name, 0) + 1
        elif first == "[":
            brackets += 1
        elif first == "]":
            brackets = max(brackets - 1, 0)
        elif first == "{":
            braces += 1
        elif first == "}":
            braces = max(braces - 1, 0)
        elif first == "'":
            if len(found) not in (2, 3):
                styles_ok = False
            elif styles and styles[-1] == len(found):
                styles.pop()
            elif len(found) in styles:
                styles_ok = False  # crossed: an italic run closed inside a bold one
            else:
                styles.append(len(found))
    open_tags = tuple(sorted((name, count) for name, count in tags.items() if count))
    return (comment, raw, brackets, braces, open_tags, styles_ok), cuts


@dataclass(frozen=True)
class _Paragraph:
    """One paragraph walked from a given page state: its markdown lines and
    what it added to the page's notes, links, categories and reports, and
    whether the walk read that state (a footnote's or a bare link's number)
    at all: a walk that did not is the walk from any state."""

    lines: tuple[str, ...]
    kind: str
    reads_page_state: bool
    notes_added: int
    note_numbers: tuple[tuple[str, int], ...]
    notes: tuple[tuple[int, str], ...]
    external_links_added: int
    expansions: int
    characters: int
    categories: tuple[tuple[str, str], ...]
    links: tuple[str, ...]
    expanded: tuple[str, ...]
    removed: tuple[str, ...]
    unconverted: tuple[str, ...]


def _convert_by_paragraphs(
    body: str, templates: Mapping[str, str], expansion_cache: dict | None, cache: dict
) -> Conversion | None:
    """``convert``'s result for a text's ``tokens``, walking each paragraph
    (``_paragraphs``) once a page: a paragraph met again in the same state
    (its footnote and link numbers so far) takes its markdown from ``cache``.
    The page's markdown is the paragraphs' lines, a blank line between two,
    as one walk writes them: after a blank line every kind of block starts
    afresh (``_Block._separate``), except a definition list, which the next
    paragraph's ``:`` line continues; None then (the caller walks the whole
    text)."""
    if len(body) < _MIN_PARAGRAPHS_LENGTH:
        return None
    if len(cache) > MAX_CACHED_PARAGRAPHS:
        cache.clear()
    scans = cache.get(_SCANS)
    if scans is None or len(scans) > MAX_CACHED_PARAGRAPHS:
        scans = cache[_SCANS] = {}
    paragraphs = _paragraph_texts(body, scans)
    if len(paragraphs) < 2:
        return None
    page = _Converter([], templates, expansion_cache)
    lines: list[str] = []
    for number, paragraph in enumerate(paragraphs):
        # A paragraph that may number footnotes or links (a template's, say)
        # but did not when walked is kept as one that cannot: by its text.
        key = paragraph
        walked = cache.get(key)
        if walked is None and _STATEFUL_RE.search(paragraph):
            key = (
                paragraph,
                page.note_count,
                tuple(page.note_numbers.items()),
                tuple(n for n, text in page.notes.items() if text),
                page.external_count,
            )
            walked = cache.get(key)
        if walked is None or not _within_limits(page, walked):
            walked = _walk_paragraph(paragraph, page, templates, expansion_cache)
            if _within_limits(page, walked):
                cache[key if walked.reads_page_state else paragraph] = walked
        if walked.kind == "deflist" and number < len(paragraphs) - 1:
            return None
        page.note_count += walked.notes_added
        page.note_numbers.update(walked.note_numbers)
        page.notes.update(walked.notes)
        page.external_count += walked.external_links_added
        page.expansions += walked.expansions
        page.expanded_characters += walked.characters
        page.categories.extend(walked.categories)
        for names, found in (
            (page.links, walked.links),
            (page.expanded, walked.expanded),
            (page.removed, walked.removed),
            (page.unconverted, walked.unconverted),
        ):
            for name in found:
                names.setdefault(name, None)
        if walked.lines:
            if lines:
                lines.append("")
            lines.extend(walked.lines)
    return page.conversion(_restore_defused(page.assemble("\n".join(lines))), None)


def _within_limits(page: _Converter, walked: _Paragraph) -> bool:
    """Whether ``walked``'s template expansions fit in what the page has
    left of its limits (the limits' counters only grow: a walk that ends
    within them was never cut short by them)."""
    return (
        page.expansions + walked.expansions <= MAX_TEMPLATE_EXPANSIONS
        and page.expanded_characters + walked.characters <= MAX_EXPANDED_CHARACTERS
    )


def _walk_paragraph(
    paragraph: list, page: _Converter, templates: Mapping[str, str], expansion_cache: dict | None
) -> _Paragraph:
    """Walk one paragraph from the page's state so far."""
    converter = _Converter(_tokenize(paragraph), templates, expansion_cache)
    converter.note_count = page.note_count
    converter.note_numbers = dict(page.note_numbers)
    converter.notes = dict(page.notes)
    converter.external_count = page.external_count
    converter.expansions = page.expansions
    converter.expanded_characters = page.expanded_characters
    converter._walk(())
    block = converter.blocks[0]
    block.end_line()
    return _Paragraph(
        lines=tuple(block.out),
        kind=block.kind,
        reads_page_state=converter.reads_page_state,
        notes_added=converter.note_count - page.note_count,
        note_numbers=tuple(
            (name, n) for name, n in converter.note_numbers.items() if name not in page.note_numbers
        ),
        notes=tuple((n, text) for n, text in converter.notes.items() if page.notes.get(n) != text),
        external_links_added=converter.external_count - page.external_count,
        expansions=converter.expansions - page.expansions,
        characters=converter.expanded_characters - page.expanded_characters,
        categories=tuple(converter.categories),
        links=tuple(converter.links),
        expanded=tuple(converter.expanded),
        removed=tuple(converter.removed),
        unconverted=tuple(converter.unconverted),
    )


def _as_plain_text(text: str) -> Conversion:
    paragraphs = [
        _escape_line(_escape(line.strip(), False)) for line in text.split("\n") if line.strip()
    ]
    return Conversion(
        markdown="\n\n".join(paragraphs) + "\n",
        unconverted=[f"text longer than {MAX_WIKITEXT_LENGTH} characters (kept as plain text)"],
    )


def _tokenize(text: str) -> list:
    """The tokens of ``text``, its unclosed openers defused (the markdown
    made from them goes through ``_restore_defused``)."""
    if _SENTINEL_RE.search(text):
        text = text.translate(_SENTINELS_AS_ENTITIES)
    return _Tokenizer().tokenize(_defuse_unclosed(text), 0, False)


# Openers the tokenizer retries against the rest of the text when they are
# not closed, and their closers. Tags are matched by name.
_OPENERS_RE = re.compile(
    r"\[\[|\]\]|^\{\||^\|\}|\[(?=(?:https?:|mailto:|ftp:|//))|\{\{+|\}\}+|<!--|-->"
    r"|<(/?)([A-Za-z][A-Za-z0-9]*)([^<>]*?)(/?)>|^([*#:;]{" + str(MAX_LIST_DEPTH + 1) + ",})",
    re.MULTILINE,
)
# Tags that need no closing tag (mwparserfromhell's "single" tags).
_SINGLE_TAGS = {"br", "wbr", "hr", "meta", "link", "img", "li", "dt", "dd", "th", "td", "tr"}
# Below this many characters the quadratic cost stays under a few ms.
_DEFUSE_MIN_LENGTH = 2000
# A defused character is written as one of these (private use, which no
# markup reads) and becomes its literal markdown again after conversion. A
# text that holds them already has them written as entities first, which
# the converter writes as entities again.
_DEFUSED = {"[": "\uf8f0", "<": "\uf8f1", "{": "\uf8f2", "*": "\uf8f3", "#": "\uf8f4"}
_DEFUSED_COLON = {":": "\uf8f5", ";": "\uf8f6"}
_DEFUSED.update(_DEFUSED_COLON)
_RESTORED = str.maketrans(
    {
        _DEFUSED["["]: "\\[",
        _DEFUSED["<"]: "&lt;",
        _DEFUSED["{"]: "{",
        _DEFUSED["*"]: "\\*",
        _DEFUSED["#"]: "#",
        _DEFUSED[":"]: ":",
        _DEFUSED[";"]: ";",
    }
)
_SENTINELS_AS_ENTITIES = str.maketrans({value: f"&#{ord(value)};" for value in _DEFUSED.values()})
_SENTINEL_RE = re.compile("[\uf8f0-\uf8f6]")


def _defuse_unclosed(text: str) -> str:
    """Return ``text`` with each opener that has no closer (``[[``, ``{{``,
    ``{|`` at a line start, ``[url`` on its line, ``<tag>``, ``<!--``) and
    each tag nested past ``MAX_TAG_NESTING`` made literal text, as the
    tokenizer would have read them, and list markers past ``MAX_LIST_DEPTH``
    likewise. Linear. A text without such openers is returned as it is (the
    same object)."""
    if len(text) < _DEFUSE_MIN_LENGTH:
        return text
    links, tables, braces, tags_open = [], [], [], 0
    tags: dict[str, list[int]] = {}
    comment: list[int] = []  # the "<!--" since the last "-->"
    defuse: dict[int, int] = {}  # position -> how many characters to defuse
    for match in _OPENERS_RE.finditer(text):
        opener = match.group(0)
        start = match.start()
        if comment:
            if opener == "-->":
                comment = []
            elif opener == "<!--":
                comment.append(start)
            continue
        if opener == "<!--":
            comment.append(start)
        elif opener == "-->":
            continue
        elif opener == "[[":
            links.append(start)
        elif opener == "]]":
            if links:
                links.pop()
        elif opener == "{|":
            tables.append(start)
        elif opener == "|}":
            if tables:
                tables.pop()
        elif opener == "[":
            # an external link ends on its line
            line_end = text.find("\n", start)
            if text.find("]", start, len(text) if line_end < 0 else line_end) < 0:
                defuse[start] = 1
        elif opener[0] == "{":
            braces.append([start, len(opener)])
        elif opener[0] == "}":
            # the innermost braces close first, three (an argument) or two
            closing = len(opener)
            while closing >= 2 and braces:
                top = braces[-1]
                used = 3 if top[1] >= 3 and closing >= 3 else 2
                if top[1] < 2:
                    braces.pop()
                    continue
                top[1] -= used
                closing -= used
                if top[1] < 2:
                    braces.pop()
        elif match.group(5):
            defuse[start + MAX_LIST_DEPTH] = len(match.group(5)) - MAX_LIST_DEPTH
        else:
            closing, name, _, self_closing = match.group(1, 2, 3, 4)
            name = name.lower()
            if self_closing or name in _SINGLE_TAGS:
                continue
            if closing:
                stack = tags.get(name)
                if stack:
                    stack.pop()
                    tags_open -= 1
            elif tags_open >= MAX_TAG_NESTING:
                defuse[start] = 1
            else:
                tags.setdefault(name, []).append(start)
                tags_open += 1
    for position in links:
        defuse[position] = 2
    for position in tables:
        defuse[position] = 1
    for position, left in braces:
        if left >= 2:
            defuse[position] = left
    for stack in tags.values():
        for position in stack:
            defuse[position] = 1
    for position in comment:
        defuse[position] = 1
    if not defuse:
        return text
    pieces, last = [], 0
    for position in sorted(defuse):
        if position < last:
            continue
        count = defuse[position]
        pieces.append(text[last:position])
        pieces.append("".join(_DEFUSED.get(c, c) for c in text[position : position + count]))
        last = position + count
    pieces.append(text[last:])
    return "".join(pieces)


def _restore_defused(markdown: str) -> str:
    return markdown.translate(_RESTORED) if _SENTINEL_RE.search(markdown) else markdown


def _escape(text: str, in_table: bool) -> str:
    """Escape literal text so markdown shows it as it is."""
    text = text.translate(_TABLE_ESCAPES if in_table else _ESCAPES)
    if "&" in text:
        text = _AMPERSAND_RE.sub("&amp;", text)
    if "<" in text:
        text = _ANGLE_RE.sub("&lt;", text)
    return text


def _escape_line(line: str) -> str:
    """Escape what would start markdown block syntax at the start of ``line``
    (a paragraph line), and drop leading spaces (which would make code)."""
    line = line.lstrip(" \t")
    match = _LINE_START_RE.match(line)
    if not match:
        return line
    if match.group(1):
        return "\\" + line
    if match.group(2):
        return match.group(2) + "\\" + line[len(match.group(2)) :]
    return f"&#{ord(line[0])};" + line[1:]


def _entity(name: str, numeric: bool, hexadecimal: bool) -> str:
    if numeric:
        try:
            code = int(name, 16 if hexadecimal else 10)
        except ValueError:
            return ""
        character = html.unescape(f"&#{code};")
    else:
        character = html.unescape(f"&{name};")
        if character == f"&{name};":  # not an entity MediaWiki knows either
            return f"&amp;{name};"
    return character


def _visible_entity(character: str, in_table: bool) -> str:
    """Markdown for a character written as an entity: the character itself,
    escaped; spaces and invisible characters as an entity an editor can see."""
    if len(character) == 1 and (
        unicodedata.category(character) in ("Zs", "Cf", "Cc") and character != " "
    ):
        return "&nbsp;" if character == "\xa0" else f"&#{ord(character)};"
    if _SENTINEL_RE.match(character):
        return f"&#{ord(character)};"
    if character.startswith("&amp;") or character == "&":
        # "&amp;copy;" reads "&copy;" there, whatever text follows
        return "&amp;" + character[5:] if character != "&" else "&amp;"
    return _escape(character, in_table)


class _Block:
    """Markdown being assembled for one context: the page, a table cell, a
    footnote or a heading. Keeps the current line's pieces and the kind of
    the last block, so blocks are separated as markdown needs."""

    __slots__ = ("flat", "out", "line", "prefix", "kind", "list_markers")

    def __init__(self, flat: bool):
        self.flat = flat  # one line: cells, footnotes, headings, labels
        self.out: list[str] = []
        self.line: list[str] = []
        self.prefix = ""  # list markers of the current line
        self.kind = ""  # "", "para", "list", "block"
        self.list_markers: list[str] = []  # the open list's marker at each level

    def write(self, text: str) -> None:
        self.line.append(text)

    def end_line(self) -> None:
        content = "".join(self.line).strip()
        if "  " in content:  # where comments and templates were; no hard breaks
            content = _RUN_OF_SPACES_RE.sub(" ", content)
        self.line = []
        prefix, self.prefix = self.prefix, ""
        if prefix:
            self._list_item(prefix, content)
        elif not content:
            if self.kind == "para" or self.kind == "list":
                self.kind = "gap"
        else:
            self._paragraph_line(content)

    def _separate(self, kind: str) -> None:
        if self.out and (self.kind != kind or kind == "block"):
            self.out.append("")
        self.kind = kind

    def _paragraph_line(self, content: str) -> None:
        if self.flat:
            # lines of one paragraph join, as MediaWiki joins them
            if self.kind == "para" and self.out:
                self.out[-1] += " " + content
            else:
                self.out.append(content)
            self.kind = "para"
            return
        if self.kind == "para":
            self.out.append(_escape_line(content))
            return
        self._separate("para")
        self.out.append(_escape_line(content))

    def _list_item(self, prefix: str, content: str) -> None:
        marker = prefix[-1]
        if marker in ";:" and (len(prefix) == 1 or prefix[-2] in ";:"):
            # definition list, or indented text: lines of their own
            text = f"**{content}**" if marker == ";" and content else content
            if not text:
                return
            if self.flat:
                self.out.append(text)
            elif self.kind == "deflist":
                self.out[-1] += "<br>"
                self.out.append(_escape_line(text) if marker == ":" else text)
            else:
                self._separate("deflist")
                self.out.append(_escape_line(text) if marker == ":" else text)
            return
        if marker in ";:":
            # "*:" continues the item above it on a line of its own
            if self.kind == "list" and content:
                self.out[-1] += "<br>" + content
            elif content:
                self._paragraph_line(content)
            return
        if self.flat:
            self.out.append(("• " if marker == "*" else "1. ") + content)
            self.kind = "list"
            return
        if self.kind != "list":
            self._separate("list")
            self.list_markers = []
        markers = self.list_markers
        # The levels this item shares with the open list; a deeper item
        # without the levels between joins the first level it lacks.
        shared = 0
        while shared < min(len(prefix) - 1, len(markers)) and prefix[shared] == markers[shared]:
            shared += 1
        depth = min(len(prefix), shared + 1, MAX_LIST_DEPTH)
        if len(markers) >= depth and markers[depth - 1] != marker:
            # "*" then "#" at one level: two lists, which markdown parts by a
            # blank line
            self.out.append("")
        del markers[depth - 1 :]
        markers.append(marker)
        bullet = "* " if marker == "*" else "1. "
        self.out.append("    " * (depth - 1) + bullet + content)

    def block(self, lines: list[str]) -> None:
        """A heading, table, rule or code block: blank lines around it."""
        self.end_line()
        if not lines:
            return
        if self.flat:
            self.out.extend(line for line in lines if line.strip())
            self.kind = "para"
            return
        self._separate("block")
        self.out.extend(lines)

    def finish(self) -> str:
        self.end_line()
        if self.flat:
            return "<br>".join(part for part in self.out if part)
        return "\n".join(self.out)


_TAG_NAME_END = (T.TagCloseOpen, T.TagCloseSelfclose)
_LIST_MARKERS = ("*", "#", ":", ";")
_TABLE_PARTS = {"tr", "td", "th", "caption"}


class _Tag:
    __slots__ = ("name", "attributes", "markup", "self_closing")

    def __init__(self, name, attributes, markup, self_closing):
        self.name = name
        self.attributes = attributes
        self.markup = markup
        self.self_closing = self_closing


class _Converter:
    """One page's conversion: walks the token list once, writing into the
    innermost ``_Block``; notes, categories and what was left out are kept
    for the whole page."""

    def __init__(
        self, tokens: list, templates: Mapping[str, str], expansion_cache: dict | None = None
    ):
        self.tokens = tokens
        self.i = 0
        self.templates = templates
        self.expansion_cache = expansion_cache
        self.blocks: list[_Block] = [_Block(flat=False)]
        self.table_depth = 0
        self.categories: list[tuple[str, str]] = []
        self.expanded: dict[str, None] = {}
        self.removed: dict[str, None] = {}
        self.unconverted: dict[str, None] = {}
        self.links: dict[str, None] = {}
        self.note_numbers: dict[str, int] = {}
        self.notes: dict[int, str] = {}
        self.note_count = 0
        self.external_count = 0
        # Whether a footnote or a bare link was numbered (from the counts
        # above, which a paragraph walk starts from the page's so far).
        self.reads_page_state = False
        self.expansions = 0
        self.expanded_characters = 0
        self.handlers = {
            T.Text: self._text,
            T.WikilinkOpen: self._wikilink,
            T.ExternalLinkOpen: self._external_link,
            T.HTMLEntityStart: self._html_entity,
            T.HeadingStart: self._heading,
            T.CommentStart: self._comment,
            T.TagOpenOpen: self._tag,
            T.TemplateOpen: self._template,
            T.ArgumentOpen: self._argument,
        }

    # -- walking ---------------------------------------------------------

    def run(self) -> str:
        self._walk(())
        return self.assemble(self.blocks[0].finish())

    def conversion(self, markdown: str, redirect: str | None) -> Conversion:
        """The page's ``Conversion``: ``markdown`` with what this walk found."""
        return Conversion(
            markdown=markdown,
            categories=self.categories,
            templates_expanded=list(self.expanded),
            templates_removed=list(self.removed),
            unconverted=list(self.unconverted),
            redirect=redirect,
            links=list(self.links),
        )

    def assemble(self, body: str) -> str:
        """The page's markdown from its body's: the footnotes at the end."""
        body = body.strip("\n")
        if self.notes:
            definitions = [f"[^{n}]: {self.notes.get(n) or ' '}" for n in sorted(self.notes)]
            body = (body + "\n\n" if body else "") + "\n".join(definitions)
        return body + "\n" if body else ""

    def _walk(self, stop: tuple) -> None:
        tokens, handlers = self.tokens, self.handlers
        # len() each time: a template's expansion is spliced into the list
        while self.i < len(tokens):
            kind = type(tokens[self.i])
            if kind in stop:
                return
            handler = handlers.get(kind)
            if handler is None:  # a stray separator or close: text as written
                self.i += 1
                continue
            handler(tokens[self.i])

    def _sub(self, stop: tuple, *, flat: bool = True) -> str:
        """Convert tokens up to one of ``stop`` (not consumed) in a context of
        their own and return its markdown."""
        tokens = self.tokens
        if (
            flat
            and type(tokens[self.i]) is T.Text
            and self.i + 1 < len(tokens)
            and type(tokens[self.i + 1]) in stop
        ):
            # one piece of text (most labels and cells): no context needed
            text = tokens[self.i]["text"]
            self.i += 1
            if "__" in text:
                text = MAGIC_WORDS_RE.sub("", text)
            text = _escape(text.replace("\n", " ").strip(), self.table_depth > 0)
            return _RUN_OF_SPACES_RE.sub(" ", text) if "  " in text else text
        self.blocks.append(_Block(flat=flat))
        try:
            self._walk(stop)
        finally:
            block = self.blocks.pop()
        return block.finish()

    def _plain(self, stop: tuple) -> str:
        """The plain text of tokens up to one of ``stop`` (a title, a URL, an
        attribute): text and entities; anything else by its text."""
        tokens = self.tokens
        pieces = []
        while self.i < len(tokens):
            token = tokens[self.i]
            kind = type(token)
            if kind in stop:
                break
            if kind is T.Text:
                pieces.append(token["text"])
                self.i += 1
            elif kind is T.HTMLEntityStart:
                pieces.append(self._read_entity())
            elif kind is T.CommentStart:
                self._skip_to(T.CommentEnd)
            elif kind is T.TemplateOpen:
                self._skip_template()
            else:
                self.i += 1
        return "".join(pieces)

    def _skip_to(self, end_type) -> None:
        tokens = self.tokens
        while self.i < len(tokens) and type(tokens[self.i]) is not end_type:
            self.i += 1
        self.i += 1

    # -- inline ------------------------------------------------------------

    def _text(self, token) -> None:
        self.i += 1
        text = token["text"]
        if "__" in text:
            text = MAGIC_WORDS_RE.sub("", text)
        block = self.blocks[-1]
        in_table = self.table_depth > 0
        if "\n" not in text:
            block.write(_escape(text, in_table))
            return
        lines = text.split("\n")
        block.write(_escape(lines[0], in_table))
        for line in lines[1:]:
            block.end_line()
            block.write(_escape(line, in_table))

    def _read_entity(self) -> str:
        tokens = self.tokens
        self.i += 1
        numeric = hexadecimal = False
        if type(tokens[self.i]) is T.HTMLEntityNumeric:
            numeric = True
            self.i += 1
            if type(tokens[self.i]) is T.HTMLEntityHex:
                hexadecimal = True
                self.i += 1
        name = tokens[self.i]["text"]
        self.i += 2  # the name and HTMLEntityEnd
        return _entity(name, numeric, hexadecimal)

    def _html_entity(self, token) -> None:
        character = self._read_entity()
        self.blocks[-1].write(_visible_entity(character, self.table_depth > 0))

    def _comment(self, token) -> None:
        self._skip_to(T.CommentEnd)

    def _wikilink(self, token) -> None:
        self.i += 1
        target = self._plain((T.WikilinkSeparator, T.WikilinkClose))
        label = None
        if type(self.tokens[self.i]) is T.WikilinkSeparator:
            self.i += 1
            label = self._sub((T.WikilinkClose,))
        self.i += 1
        self._write_link(target, label)

    def _link_trail(self) -> str:
        if self.i < len(self.tokens) and type(self.tokens[self.i]) is T.Text:
            text = self.tokens[self.i]["text"]
            match = _LINK_TRAIL_RE.match(text)
            if match:
                self.tokens[self.i] = T.Text(text=text[match.end() :])
                return match.group(0)
        return ""

    def _write_link(self, target: str, label: str | None) -> None:
        block = self.blocks[-1]
        written = target.strip()
        leading_colon = written.startswith(":")
        name = written.lstrip(":").strip()
        prefix, colon, rest = name.partition(":")
        namespace = prefix.strip().lower() if colon else ""
        if namespace == "category" and not leading_colon:
            category = mediawiki_title(rest.partition("#")[0])
            if category:
                key = (label or "").replace("<br>", " ").strip()
                self.categories.append((category, key))
            return
        if namespace in FILE_NAMESPACES and not leading_colon:
            self.unconverted.setdefault("file " + mediawiki_title(name), None)
            return
        if colon and not leading_colon and _LANGUAGE_PREFIX_RE.match(prefix):
            return  # a language link: the same page in another language
        trail = self._link_trail()
        if namespace == "category":
            # [[:Category:Name|label]]: a link to the category's list here
            category = mediawiki_title(rest.partition("#")[0])
            if category and not any(character in category for character in "[]{}|<>\n"):
                separator = "\\|" if self.table_depth else "|"
                shown = label if label else _escape(written.lstrip(":"), self.table_depth > 0)
                block.write(f"[[:Category:{category}{separator}{shown + trail}]]")
                return
        if namespace in NAMESPACES or namespace in INTERWIKI_PREFIXES:
            # another namespace or another wiki: nothing here to link to
            kind = "interwiki" if namespace in INTERWIKI_PREFIXES else "namespace"
            self.unconverted.setdefault(f"link to {kind} {prefix.strip()}", None)
            shown = label if label is not None else _escape(written.lstrip(":"), False)
            block.write(shown + trail)
            return
        page, _, fragment = name.partition("#")
        fragment = _SPACES_RE.sub(" ", fragment).strip()
        title = mediawiki_title(page)
        if not title and not fragment:
            block.write(_escape(f"[[{target}]]", self.table_depth > 0))
            return
        if any(character in title for character in "[]{}|<>\n"):
            self.unconverted.setdefault("link to an invalid title", None)
            block.write(label if label is not None else _escape(written, False))
            return
        link_target = title + ("#" + fragment if fragment else "")
        shown = label if label else _escape(written.lstrip(":"), self.table_depth > 0)
        shown += trail
        if title:
            self.links.setdefault(title, None)
        # the renderer shows a bare [[Target]] as its target (a bare
        # [[#S]] as S): a label only when MediaWiki showed something else
        ours = link_target if title else fragment
        separator = "\\|" if self.table_depth else "|"
        if shown == _escape(ours, self.table_depth > 0) and "/" not in title:
            block.write(f"[[{link_target}]]")
        else:
            block.write(f"[[{link_target}{separator}{shown}]]")

    def redirect_target(self) -> str | None:
        """Read the ``[[Target]]`` of ``#REDIRECT [[Target]]`` (the first
        tokens); None when it names no page."""
        self.i = 1
        target = self._plain((T.WikilinkSeparator, T.WikilinkClose))
        self._skip_to(T.WikilinkClose)
        page, _, fragment = target.strip().lstrip(":").partition("#")
        title = mediawiki_title(page)
        if not title:
            return None
        fragment = _SPACES_RE.sub(" ", fragment).strip()
        return title + ("#" + fragment if fragment else "")

    def _external_link(self, token) -> None:
        brackets = token.get("brackets")
        self.i += 1
        url = self._plain((T.ExternalLinkSeparator, T.ExternalLinkClose)).strip()
        label = None
        if type(self.tokens[self.i]) is T.ExternalLinkSeparator:
            self.i += 1
            label = self._sub((T.ExternalLinkClose,)).strip()
        self.i += 1
        block = self.blocks[-1]
        href = "https:" + url if url.startswith("//") else url
        if not href.lower().startswith(_URL_SCHEMES):
            self.unconverted.setdefault("external link " + href.partition(":")[0], None)
            block.write(label or _escape(url, self.table_depth > 0))
            return
        href = href.translate(_URL_UNSAFE)
        if not brackets:
            block.write(f"<{href}>" if "://" in href else f"[{_escape(url, False)}]({href})")
            return
        if not label:
            self.reads_page_state = True
            self.external_count += 1
            label = f"\\[{self.external_count}\\]"
        block.write(f"[{label}]({href})")

    # -- block structure ----------------------------------------------------

    def _heading(self, token) -> None:
        level = min(max(token["level"], 1), 6)
        self.i += 1
        text = self._sub((T.HeadingEnd,)).strip()
        self.i += 1
        if self.blocks[-1].flat:
            self.blocks[-1].block([f"**{text}**"] if text else [])
            return
        self.blocks[-1].block([("#" * level + " " + text.rstrip("#")) if text else ""])

    def _open_tag(self) -> _Tag:
        """Read a tag's opening (``<name attrs>`` or its wiki markup) and
        return it; the tokens after it are its content."""
        tokens = self.tokens
        markup = tokens[self.i].get("wiki_markup")
        self.i += 1
        if type(tokens[self.i + 1]) in _TAG_NAME_END:
            name = tokens[self.i]["text"]
            self.i += 1
        else:
            name = self._plain((T.TagAttrStart, T.TagCloseOpen, T.TagCloseSelfclose))
        attributes: dict[str, str] = {}
        while type(tokens[self.i]) is T.TagAttrStart:
            self.i += 1
            key = self._plain(
                (T.TagAttrEquals, T.TagAttrStart, T.TagCloseOpen, T.TagCloseSelfclose)
            )
            value = ""
            if type(tokens[self.i]) is T.TagAttrEquals:
                self.i += 1
                if type(tokens[self.i]) is T.TagAttrQuote:
                    self.i += 1
                value = self._plain((T.TagAttrStart, T.TagCloseOpen, T.TagCloseSelfclose))
            attributes[key.strip().lower()] = value.strip()
        self_closing = type(tokens[self.i]) is T.TagCloseSelfclose
        self.i += 1
        return _Tag(name.strip().lower(), attributes, markup, self_closing)

    def _close_tag(self) -> None:
        # TagOpenClose, the name, TagCloseClose
        if self.i + 2 < len(self.tokens) and type(self.tokens[self.i + 2]) is T.TagCloseClose:
            self.i += 3
        else:
            self._skip_to(T.TagCloseClose)

    def _skip_tag_content(self) -> None:
        depth = 0
        tokens = self.tokens
        while self.i < len(tokens):
            kind = type(tokens[self.i])
            if kind is T.TagOpenOpen:
                depth += 1
            elif kind is T.TagCloseSelfclose:
                depth -= 1
            elif kind is T.TagOpenClose:
                if depth == 0:
                    break
                depth -= 1
            self.i += 1
        self._close_tag()

    def _raw_content(self) -> str:
        """The text of a tag's content as written (``<pre>``, ``<nowiki>``:
        the tokenizer gives it as text)."""
        text = self._plain((T.TagOpenClose,))
        self._close_tag()
        return text

    def _tag(self, token) -> None:
        markup = token.get("wiki_markup")
        if markup in _LIST_MARKERS and type(self.tokens[self.i + 2]) is T.TagCloseSelfclose:
            self.i += 3  # <li/> as "*": the marker, the name, the close
            self._list_marker(markup)
            return
        tag = self._open_tag()
        name = tag.name
        block = self.blocks[-1]
        if tag.markup in ("*", "#", ":", ";") and name in ("li", "dt", "dd"):
            self._list_marker(tag.markup)
            return
        if tag.self_closing:
            self._empty_tag(tag)
            return
        if name == "table":
            self._table(tag)
        elif name == "ref":
            self._ref(tag)
        elif name == "references":
            self._references()
        elif name == "nowiki":
            text = self._raw_content()
            block.write(_escape(html.unescape(text), self.table_depth > 0))
        elif name in CODE_TAGS:
            self._code_block(self._raw_content())
        elif name in UNCONVERTED_TAGS:
            self.unconverted.setdefault(name, None)
            self._skip_tag_content()
        elif name in ("b", "strong", "i", "em") or name in RENAMED_HTML:
            self._emphasis(tag)
        elif name in INLINE_HTML:
            content = self._sub((T.TagOpenClose,))
            self._close_tag()
            title = tag.attributes.get("title", "") if name == "abbr" else ""
            opening = f'<abbr title="{html.escape(title)}">' if title else f"<{name}>"
            block.write(f"{opening}{content}</{name}>" if content.strip() else content)
        elif name in BLOCK_HTML and not block.flat:
            content = self._sub((T.TagOpenClose,), flat=False)
            self._close_tag()
            if name == "blockquote":
                lines = [("> " + line).rstrip() for line in content.split("\n")]
            else:
                lines = content.split("\n")
            block.block(lines)
        elif name in _TABLE_PARTS and not self.table_depth:
            block.write(self._sub((T.TagOpenClose,)))
            self._close_tag()
        else:
            # presentation tags, and tags MediaWiki would show escaped: the
            # content stays, the tag goes
            if name not in TRANSPARENT_TAGS and name not in BLOCK_HTML | _TABLE_PARTS:
                self.unconverted.setdefault(f"tag <{name}>", None)
            block.write(self._sub((T.TagOpenClose,)))
            self._close_tag()

    def _empty_tag(self, tag: _Tag) -> None:
        block = self.blocks[-1]
        name = tag.name
        if name == "br":
            block.write("<br>")
        elif name == "hr":
            block.block(["* * *"])
        elif name == "ref":
            self._ref(tag, empty=True)
        elif name in ("references", "nowiki", "wbr", "noinclude", "onlyinclude"):
            return
        elif name in UNCONVERTED_TAGS:
            self.unconverted.setdefault(name, None)

    def _list_marker(self, marker: str) -> None:
        block = self.blocks[-1]
        if "".join(block.line).strip():
            if marker == ":" and block.prefix.endswith(";"):
                # "; term : definition" on one line
                prefix = block.prefix
                block.end_line()
                block.prefix = prefix[:-1] + ":"
                return
            block.write(_escape(marker, self.table_depth > 0))
            return
        block.line = []
        block.prefix += marker

    def _emphasis(self, tag: _Tag) -> None:
        content = self._sub((T.TagOpenClose,))
        self._close_tag()
        mark = RENAMED_HTML.get(tag.name, tag.name)
        if mark not in ("*", "**"):
            self.blocks[-1].write(f"<{mark}>{content}</{mark}>" if content.strip() else content)
            return
        stripped = content.strip()
        if not stripped:
            self.blocks[-1].write(content)
            return
        before = content[: len(content) - len(content.lstrip())]
        after = content[len(content.rstrip()) :]
        self.blocks[-1].write(f"{before}{mark}{stripped}{mark}{after}")

    def _code_block(self, text: str) -> None:
        text = html.unescape(text).strip("\n")
        if self.blocks[-1].flat:
            self.blocks[-1].write("<code>" + html.escape(text).replace("\n", "<br>") + "</code>")
            return
        fence = "```"
        while fence in text:
            fence += "`"
        self.blocks[-1].block([fence, *text.split("\n"), fence])

    def _ref(self, tag: _Tag, *, empty: bool = False) -> None:
        self.reads_page_state = True
        content = ""
        if not empty:
            content = self._sub((T.TagOpenClose,)).strip()
            self._close_tag()
        name = tag.attributes.get("name", "")
        if name and name in self.note_numbers:
            number = self.note_numbers[name]
        elif not content and not name:
            return
        else:
            self.note_count += 1
            number = self.note_count
            if name:
                self.note_numbers[name] = number
        if content and not self.notes.get(number):
            self.notes[number] = content
        else:
            self.notes.setdefault(number, "")
        self.blocks[-1].write(f"[^{number}]")

    def _references(self) -> None:
        # List-defined references: <references><ref name=x>...</ref></references>
        self.blocks.append(_Block(flat=True))
        try:
            self._walk((T.TagOpenClose,))
        finally:
            self.blocks.pop()
        self._close_tag()

    # -- tables ---------------------------------------------------------

    def _table(self, tag: _Tag) -> None:
        tokens = self.tokens
        rows: list[list[tuple[bool, str, int, int]]] = []
        caption = ""
        current: list | None = None
        stray = []
        self.table_depth += 1
        try:
            while self.i < len(tokens):
                kind = type(tokens[self.i])
                if kind is T.TagOpenClose:
                    self._close_tag()
                    break
                if kind is not T.TagOpenOpen:
                    text = self._sub((T.TagOpenOpen, T.TagOpenClose))
                    if text.strip():
                        stray.append(text.strip())
                    continue
                child = self._open_tag()
                if child.name == "tr":
                    current = []
                    rows.append(current)
                    if not child.self_closing:
                        self._table_row(current)
                elif child.name in ("td", "th", "caption"):
                    if child.name == "caption" or (child.markup == "|" and self._is_caption(child)):
                        text = "" if child.self_closing else self._cell_content()
                        caption = text.lstrip("+").strip() if child.name == "td" else text
                        continue
                    if current is None:
                        current = []
                        rows.append(current)
                    current.append(self._cell(child))
                elif not child.self_closing:
                    stray.append(self._sub((T.TagOpenClose,)).strip())
                    self._close_tag()
        finally:
            self.table_depth -= 1
        block = self.blocks[-1]
        if self.table_depth or block.flat:
            lines = [" · ".join(cell[1] for cell in row if cell[1]) for row in rows if row]
            if caption:
                lines.insert(0, f"**{caption}**")
            for line in (*stray, *lines):
                block.write(line)
                block.end_line()
            return
        for text in stray:
            block.write(text)
            block.end_line()
        block.block(self._markdown_table(rows, caption))

    def _is_caption(self, cell: _Tag) -> bool:
        tokens = self.tokens
        if any(key.startswith("+") for key in cell.attributes):
            return True
        return (
            not cell.self_closing
            and type(tokens[self.i]) is T.Text
            and tokens[self.i]["text"].startswith("+")
        )

    def _table_row(self, row: list) -> None:
        tokens = self.tokens
        while self.i < len(tokens):
            kind = type(tokens[self.i])
            if kind is T.TagOpenClose:
                self._close_tag()
                return
            if kind is not T.TagOpenOpen:
                self._sub((T.TagOpenOpen, T.TagOpenClose))  # stray text in a row
                continue
            cell = self._open_tag()
            if cell.name in ("td", "th"):
                row.append(self._cell(cell))
            elif not cell.self_closing:
                self._sub((T.TagOpenClose,))
                self._close_tag()

    def _cell_content(self) -> str:
        text = self._sub((T.TagOpenClose,))
        self._close_tag()
        return text.strip()

    def _cell(self, cell: _Tag) -> tuple[bool, str, int, int]:
        text = "" if cell.self_closing else self._cell_content()
        return (cell.name == "th", text, _span(cell, "colspan"), _span(cell, "rowspan"))

    def _markdown_table(self, rows: list, caption: str) -> list[str]:
        grid: list[list[tuple[bool, str]]] = []
        pending: dict[int, int] = {}  # column -> rows a rowspan still covers
        for row in rows:
            cells: list[tuple[bool, str]] = []
            column = 0
            for is_header, text, colspan, rowspan in row:
                while pending.get(column):
                    pending[column] -= 1
                    cells.append((False, ""))
                    column += 1
                for offset in range(colspan):
                    cells.append((is_header, text if offset == 0 else ""))
                    if rowspan > 1:
                        pending[column + offset] = rowspan - 1
                column += colspan
            while column < MAX_TABLE_COLUMNS and any(
                rows_left and spanned >= column for spanned, rows_left in pending.items()
            ):
                if pending.get(column):
                    pending[column] -= 1
                cells.append((False, ""))
                column += 1
            grid.append(cells[:MAX_TABLE_COLUMNS])
        grid = [row for row in grid if row]
        if not grid:
            return [f"**{caption}**"] if caption else []
        width = max(len(row) for row in grid)
        header = grid[0] if all(is_header for is_header, _ in grid[0]) else None
        body = grid[1:] if header else grid

        def line(cells, bold_headers):
            texts = [
                (f"**{text}**" if is_header and bold_headers and text else text)
                for is_header, text in cells
            ]
            texts += [""] * (width - len(texts))
            return "| " + " | ".join(texts) + " |"

        lines = [f"**{caption}**", ""] if caption else []
        lines.append(line(header or [], False))
        lines.append("|" + "---|" * width)
        lines.extend(line(row, True) for row in body)
        return lines

    # -- templates --------------------------------------------------------

    def _template_span(self) -> list:
        """The tokens of the template call at ``self.i``, consumed."""
        start = self.i
        depth = 0
        tokens = self.tokens
        while self.i < len(tokens):
            kind = type(tokens[self.i])
            if kind is T.TemplateOpen:
                depth += 1
            elif kind is T.TemplateClose:
                depth -= 1
                if depth == 0:
                    self.i += 1
                    break
            self.i += 1
        return tokens[start : self.i]

    def _skip_template(self) -> None:
        self._template_span()

    def _template(self, token) -> None:
        span = self._template_span()
        cache = self.expansion_cache
        key = _span_key(span) if cache is not None else None
        outcome = cache.get(key) if key is not None else None
        if outcome is None:
            outcome = self._expand(span)
            if key is not None and outcome.cacheable:
                if len(cache) >= MAX_CACHED_EXPANSIONS:
                    cache.clear()
                cache[key] = outcome
        else:
            # the limits count a call met again as if it were expanded again
            self.expansions += outcome.expansions
            self.expanded_characters += outcome.characters
            if (
                self.expansions > MAX_TEMPLATE_EXPANSIONS
                or self.expanded_characters > MAX_EXPANDED_CHARACTERS
            ):
                outcome = _Outcome(text=None, name=outcome.name)
        for construct in outcome.unconverted:
            self.unconverted.setdefault(construct, None)
        if outcome.text is None:
            self.removed.setdefault(outcome.name, None)
            return
        for used in outcome.used:
            self.expanded.setdefault(used, None)
        # splice the expansion in place of the call, and read on from it
        self.tokens[self.i : self.i] = _tokenize(outcome.text)

    def _expand(self, span: list) -> _Outcome:
        """What the template call ``span`` expands to: its text, or None (and
        the name to report as removed)."""
        expansions, characters = self.expansions, self.expanded_characters
        unconverted, self.unconverted = self.unconverted, {}
        try:
            code = _build(span)
            if code is None:
                name = span[1].get("text", "").strip() if type(span[1]) is T.Text else "?"
                return _Outcome(text=None, name=mediawiki_title(name) or "?")
            node = code.get(0)
            expansion = _Expansion(self)
            text = expansion.call(node, depth=0, stack=())
            name = expansion.name_of(node)
            if text is not None and _has_block_markup(_tokenize(text)):
                text = None
            return _Outcome(
                text=text,
                name=name,
                used=tuple(expansion.used),
                unconverted=tuple(self.unconverted),
                expansions=self.expansions - expansions,
                characters=self.expanded_characters - characters,
                # a call cut short by this page's limits may expand on another
                cacheable=self.expansions <= MAX_TEMPLATE_EXPANSIONS
                and self.expanded_characters <= MAX_EXPANDED_CHARACTERS,
            )
        finally:
            for construct in self.unconverted:
                unconverted.setdefault(construct, None)
            self.unconverted = unconverted

    def _argument(self, token) -> None:
        # {{{1|default}}} in a page (not a template): MediaWiki shows the
        # default, or the braces; a reader sees the default or nothing.
        self.i += 1
        self._plain((T.ArgumentSeparator, T.ArgumentClose))
        if type(self.tokens[self.i]) is T.ArgumentSeparator:
            self.i += 1
            self.blocks[-1].write(self._sub((T.ArgumentClose,)))
        self.i += 1


# The tree builder recurses once a level of nesting (and Python's C stack
# does not survive 50,000 levels): deeper or longer token lists are not built.
MAX_BUILD_DEPTH = 50
MAX_BUILD_TOKENS = 50_000
_NESTING_OPENS = (T.TemplateOpen, T.ArgumentOpen, T.WikilinkOpen, T.ExternalLinkOpen, T.TagOpenOpen)
_NESTING_CLOSES = (T.TemplateClose, T.ArgumentClose, T.WikilinkClose, T.ExternalLinkClose)


@dataclass(frozen=True)
class _Outcome:
    """One template call's expansion (``text`` None: removed, as ``name``),
    with what it counted against the page's limits; kept in the expansion
    cache, by the call's tokens, for the next revision that makes the same
    call."""

    text: str | None
    name: str
    used: tuple[str, ...] = ()
    unconverted: tuple[str, ...] = ()
    expansions: int = 0
    characters: int = 0
    cacheable: bool = False


def _span_key(span: list) -> tuple | None:
    """A template call's tokens as a dictionary key (None if one holds a
    value that cannot be one)."""
    key = tuple((type(token), tuple(token.items())) for token in span)
    try:
        hash(key)
    except TypeError:
        return None
    return key


def _build(tokens: list):
    """mwparserfromhell's tree of ``tokens`` (a Wikicode), or None when they
    nest deeper than ``MAX_BUILD_DEPTH`` or number over ``MAX_BUILD_TOKENS``."""
    if len(tokens) > MAX_BUILD_TOKENS:
        return None
    depth = 0
    for token in tokens:
        kind = type(token)
        if kind in _NESTING_OPENS:
            depth += 1
            if depth > MAX_BUILD_DEPTH:
                return None
        elif kind in _NESTING_CLOSES or kind is T.TagCloseClose or kind is T.TagCloseSelfclose:
            depth -= 1
    return Builder().build(list(tokens))


def _span(cell: _Tag, attribute: str) -> int:
    value = cell.attributes.get(attribute, "") if cell.attributes else ""
    if not value:
        return 1
    digits = "".join(character for character in value if character.isdigit())[:3]
    return min(max(int(digits or 1), 1), MAX_TABLE_COLUMNS)


def _has_block_markup(tokens: list) -> bool:
    """True when a template's expansion holds a table, heading or list,
    which cannot be dropped into a line of text."""
    for token in tokens:
        kind = type(token)
        if kind is T.HeadingStart or kind is T.TemplateOpen:
            return True
        if kind is T.TagOpenOpen and token.get("wiki_markup") in ("{|", "*", "#", ":", ";"):
            return True
    return False


_INCLUDE_ONLY_RE = re.compile(r"<includeonly\s*>(.*?)</includeonly\s*>", re.DOTALL | re.IGNORECASE)
_NO_INCLUDE_RE = re.compile(
    r"<noinclude\s*>.*?(?:</noinclude\s*>|\Z)|<noinclude\s*/>", re.DOTALL | re.IGNORECASE
)
_ONLY_INCLUDE_RE = re.compile(r"<onlyinclude\s*>(.*?)</onlyinclude\s*>", re.DOTALL | re.IGNORECASE)
_MAGIC_VARIABLES = {"!": "|", "=": "=", "!!": "||"}


class _Expansion:
    """One template call expanded as MediaWiki's preprocessor does it, on
    wikitext: the template's own text with its parameters substituted, each
    template it calls expanded in turn. ``call`` returns None when anything
    in it cannot be expanded (a parser function, an undefined or looping
    template, a limit reached)."""

    def __init__(self, converter: _Converter):
        self.converter = converter
        self.used: list[str] = []

    def name_of(self, node: TemplateNode) -> str:
        name = str(node.name).strip()
        for prefix in ("subst:", "safesubst:", "msg:", "raw:"):
            if name.lower().startswith(prefix):
                name = name[len(prefix) :].strip()
        if name.lower().startswith("template:"):
            name = name[len("template:") :]
        if name.startswith("#") or ":" in name:
            function = name.partition(":")[0].strip()
            if function.startswith("#") or function.lower() in PARSER_FUNCTIONS:
                return function.lower()
        if name in _MAGIC_VARIABLES:
            return name
        return mediawiki_title(name)

    def call(self, node, *, depth: int, stack: tuple) -> str | None:
        name = self.name_of(node)
        converter = self.converter
        if name in _MAGIC_VARIABLES:
            return _MAGIC_VARIABLES[name]
        if name.startswith("#") or name.lower() in PARSER_FUNCTIONS:
            converter.unconverted.setdefault("parser function " + name, None)
            return None
        body = converter.templates.get(name)
        if body is None or depth >= MAX_TEMPLATE_DEPTH or name in stack:
            return None
        converter.expansions += 1
        if converter.expansions > MAX_TEMPLATE_EXPANSIONS:
            return None
        arguments = {}
        position = 0
        for parameter in node.params:
            if parameter.showkey:
                arguments[str(parameter.name).strip()] = str(parameter.value).strip()
            else:
                position += 1
                arguments[str(position)] = str(parameter.value)
        text = self._substitute(_transcluded(body), arguments)
        if text is None:
            return None
        text = self._expand_calls(text, depth=depth + 1, stack=(*stack, name))
        if text is None:
            return None
        converter.expanded_characters += len(text)
        if converter.expanded_characters > MAX_EXPANDED_CHARACTERS:
            return None
        self.used.append(name)
        return text

    def _substitute(self, text: str, arguments: dict[str, str], level: int = 0) -> str | None:
        if "{{{" not in text:
            return text
        if level > MAX_TEMPLATE_DEPTH:
            return None
        code = _build(_tokenize(text))
        if code is None:
            return None
        outermost = [
            argument
            for argument in code.filter_arguments(recursive=True)
            if not any(
                isinstance(ancestor, type(argument)) for ancestor in code.get_ancestors(argument)
            )
        ]
        for argument in outermost:
            name = self._substitute(str(argument.name), arguments, level + 1)
            if name is None:
                return None
            name = name.strip()
            if name in arguments:
                value = arguments[name]
            elif argument.default is not None:
                value = self._substitute(str(argument.default), arguments, level + 1)
                if value is None:
                    return None
            else:
                value = ""
            code.replace(argument, value)
        return str(code)

    def _expand_calls(self, text: str, *, depth: int, stack: tuple) -> str | None:
        if "{{" not in text:
            return text
        code = _build(_tokenize(text))
        if code is None:
            return None
        outermost = [
            template
            for template in code.filter_templates(recursive=True)
            if not any(isinstance(a, TemplateNode) for a in code.get_ancestors(template))
        ]
        for template in outermost:
            value = self.call(template, depth=depth, stack=stack)
            if value is None:
                return None
            code.replace(template, value)
        return str(code)


def _transcluded(body: str) -> str:
    """The part of a template's text that a page using it receives."""
    only = _ONLY_INCLUDE_RE.findall(body)
    if only:
        return "".join(only)
    body = _NO_INCLUDE_RE.sub("", body)
    return _INCLUDE_ONLY_RE.sub(lambda match: match.group(1), body)
