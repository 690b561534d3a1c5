"""The one place that decides which titles are the same.

Storage, URL lookup and wiki-link parsing all call these functions, so a title
typed in a link, in a URL and in the edit form can never drift apart.

- A *title* is what people read: ``High Dose Interleukin-2``.
- A *slug* is its URL form, spaces as underscores: ``High_Dose_Interleukin-2``.
- A *key* is what makes two titles the same page: letter case, runs of spaces
  and underscores, and Unicode composition do not matter.
"""

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.urls import reverse

MAX_TITLE_LENGTH = 255
# The page served at the site root (``/``), which sitemaps list there and the
# orphaned-pages list never counts as an orphan.
MAIN_PAGE_TITLE = "Main Page"
FORBIDDEN_CHARACTERS = set("/#?[]{}|<>")
# /wiki/./ and /wiki/../ are /wiki/ and / to a browser (and so are %2e forms).
DOT_SEGMENTS = {".", ".."}
_SPACES = re.compile(r"[\s_]+")


def canonical_title(raw: str) -> str:
    """Return the title as it is stored: NFC, underscores as spaces, single
    spaces, no leading or trailing space. Letter case is kept as typed."""
    text = unicodedata.normalize("NFC", raw)
    return _SPACES.sub(" ", text).strip()


def title_key(raw: str) -> str:
    """Return the key under which a title is unique (case-folded canonical
    title). Two titles name the same page exactly when their keys are equal."""
    return canonical_title(raw).casefold()


def title_to_slug(title: str) -> str:
    """Return the URL path segment for a title: spaces become underscores."""
    return canonical_title(title).replace(" ", "_")


def slug_to_title(slug: str) -> str:
    """Return the title a URL path segment names (underscores as spaces)."""
    return canonical_title(slug)


def page_url(title: str, action: str = "", *, fragment: str = "") -> str:
    """Return the URL path of a page, ``/wiki/<Slug>/``, or of one of its
    actions, ``/wiki/<Slug>/<action>/`` (``history``, ``edit``, ``source``,
    ...: each a URL named ``page-<action>``), plus ``#fragment`` when given
    (an anchor id already made). Built with ``reverse``, so it is exactly
    the URL the patterns answer. Raises ``NoReverseMatch`` for an unknown
    action or an empty title."""
    url = reverse(f"wiki:page-{action or 'detail'}", kwargs={"slug": title_to_slug(title)})
    return f"{url}#{fragment}" if fragment else url


def category_url(name: str) -> str:
    """Return the URL path of a category's list of pages, ``/categories/<Slug>/``."""
    return reverse("wiki:category-detail", kwargs={"slug": title_to_slug(name)})


def validate_title(raw: str) -> str:
    """Return the canonical form of ``raw`` or raise ``ValidationError``.

    A title is 1-255 characters after canonicalisation, is not ``.`` or
    ``..`` and contains none of ``/ # ? [ ] { } | < >`` and no control
    characters.
    """
    title = canonical_title(raw)
    if not title:
        raise ValidationError("A title cannot be empty.", code="empty")
    if title in DOT_SEGMENTS:
        raise ValidationError(
            "A title cannot be “.” or “..”: browsers read those as parts of the address "
            "(this folder, the folder above), so no link could reach the page.",
            code="dot_segment",
        )
    if len(title) > MAX_TITLE_LENGTH:
        raise ValidationError(
            f"A title can be at most {MAX_TITLE_LENGTH} characters long.", code="too_long"
        )
    bad = sorted({character for character in title if character in FORBIDDEN_CHARACTERS})
    if bad:
        raise ValidationError(
            "A title cannot contain these characters: %(chars)s",
            params={"chars": " ".join(bad)},
            code="forbidden_character",
        )
    if any(unicodedata.category(character).startswith("C") for character in title):
        raise ValidationError(
            "A title cannot contain control or invisible formatting characters.",
            code="control_character",
        )
    return title
