"""Plain text of a page body, for search, snippets, year lists and the meta
description.

The text is taken from the sanitized HTML of ``render_cache.cached_render``, so it
holds exactly the words a reader sees (no markdown syntax, no link targets, no
markup a moderator typed). The result is plain, unescaped text: whoever puts it
in HTML escapes it (templates do so by themselves).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from django.core.cache import cache

from wiki.caching import LONG_CACHE_SECONDS
from wiki.render_cache import body_digest, cached_render
from wiki.rendering import BLOCK_TAGS, RENDER_VERSION, MarkupTooComplex

DESCRIPTION_LENGTH = 160
SENTENCE_LENGTH = 240
PLAINTEXT_CACHE_SECONDS = LONG_CACHE_SECONDS

_SPACES = re.compile(r"[ \t\r\f\v]+")
_SENTENCE_END = re.compile(r"[.!?](?=\s|$)")


class _TextExtractor(HTMLParser):
    """Collects the text of HTML, one line per block, and the text of the
    first ``<p>`` element."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.first_paragraph: list[str] | None = None
        self._paragraph: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag in BLOCK_TAGS:
            self.parts.append("\n")
            if self._paragraph is not None:
                self._paragraph.append(" ")
        if tag == "p" and self.first_paragraph is None and self._paragraph is None:
            self._paragraph = []

    def handle_endtag(self, tag):
        if tag in BLOCK_TAGS:
            self.parts.append("\n")
        if tag == "p" and self._paragraph is not None:
            self.first_paragraph = self._paragraph
            self._paragraph = None

    def handle_data(self, data):
        self.parts.append(data)
        if self._paragraph is not None:
            self._paragraph.append(data)


def _clean(text: str) -> str:
    lines = (_SPACES.sub(" ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def _extract(body: str) -> dict[str, str] | None:
    try:
        html = cached_render(body).html
    except MarkupTooComplex:
        return None
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    text = _clean("".join(parser.parts))
    paragraph = " ".join("".join(parser.first_paragraph or []).split())
    return {"text": text, "first_paragraph": paragraph}


def _cache_key(body: str) -> str:
    return f"wiki:plaintext:{RENDER_VERSION}:{body_digest(body)}"


def extract(body: str) -> dict[str, str] | None:
    """What ``plain_text`` reads from ``body``'s render, uncached (None for a
    body the renderer cannot take): made in another process, it is handed
    to ``remember``."""
    return _extract(body)


def remember(body: str, extracted: dict[str, str]) -> None:
    """Cache ``extracted`` (``extract(body)``, made elsewhere) as ``body``'s."""
    cache.set(_cache_key(body), extracted, PLAINTEXT_CACHE_SECONDS)


def _extracted(body: str) -> dict[str, str]:
    cache_key = _cache_key(body)
    extracted = cache.get(cache_key)
    if extracted is None:
        extracted = _extract(body)
        if extracted is None:
            # A body the renderer cannot take: its words as typed, uncached.
            return {"text": _clean(body or ""), "first_paragraph": ""}
        cache.set(cache_key, extracted, PLAINTEXT_CACHE_SECONDS)
    return extracted


def plain_texts(bodies: list[str]) -> list[str]:
    """``plain_text`` of each of ``bodies``, asking the cache for all of them
    in one round trip (a page of search results needs twenty)."""
    keys = [_cache_key(body) for body in bodies]
    found = cache.get_many(keys)
    texts = []
    for body, key in zip(bodies, keys, strict=True):
        extracted = found.get(key)
        texts.append(extracted["text"] if extracted is not None else plain_text(body))
    return texts


def plain_text(body: str) -> str:
    """Return the words a reader sees in ``body``, one line per block
    (paragraph, list item, heading, table cell). Cached by the body's hash."""
    return _extracted(body)["text"]


def truncate(text: str, length: int) -> str:
    """Return ``text`` cut at a word boundary to at most ``length``
    characters, with an ellipsis when something was cut."""
    text = " ".join(text.split())
    if len(text) <= length:
        return text
    cut = text[: length - 1]
    if " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:-") + "…"


def first_paragraph(body: str, length: int = DESCRIPTION_LENGTH) -> str:
    """Return the text of the body's first paragraph (or, when it has none,
    its first words), truncated to ``length`` characters. Empty for an empty
    body."""
    extracted = _extracted(body)
    return truncate(extracted["first_paragraph"] or extracted["text"], length)


def first_sentence(body: str, length: int = SENTENCE_LENGTH) -> str:
    """Return the first sentence of the body's first paragraph, truncated to
    ``length`` characters."""
    extracted = _extracted(body)
    paragraph = extracted["first_paragraph"] or extracted["text"].split("\n", 1)[0]
    match = _SENTENCE_END.search(paragraph)
    sentence = paragraph[: match.end()] if match else paragraph
    return truncate(sentence, length)
