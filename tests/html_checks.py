"""What a browser would act on in HTML: the checks the sanitizer tests share.

``dangers(html)`` is for a fragment the renderer made (no tag of the page
frame may appear in it). ``page_dangers(html)`` is for a whole page the site
serves: the frame legitimately has forms, ``<meta>`` and external
``<script src="/static/...">`` tags, so those are allowed there, and
everything else that could run script is not.
"""

import re
from html.parser import HTMLParser

# Tags that must never come out of the renderer.
DANGEROUS_TAGS = {"script", "iframe", "object", "embed", "form", "meta", "base", "style", "svg"}
# Tags that must never appear anywhere in a page of the site.
DANGEROUS_PAGE_TAGS = {
    "iframe",
    "frame",
    "frameset",
    "object",
    "embed",
    "applet",
    "base",
    "style",
    "svg",
    "math",
    "portal",
    "template",
}
URL_ATTRIBUTES = {
    "href",
    "src",
    "action",
    "formaction",
    "xlink:href",
    "data",
    "poster",
    "background",
    "cite",
    "codebase",
    "srcdoc",
    "ping",
}
C0_AND_SPACE = "".join(chr(code) for code in range(0x21))
DANGEROUS_URL = re.compile(r"^(javascript|vbscript|data):", re.IGNORECASE)
STATIC_SCRIPT = re.compile(r"^/static/[-\w./]+\.js$")


def browser_url(value: str | None) -> str:
    """What a browser's URL parser does first: drop tabs and newlines
    anywhere, strip control characters and spaces at both ends."""
    return re.sub(r"[\t\n\r]", "", value or "").strip(C0_AND_SPACE)


def is_dangerous_url(value: str | None) -> bool:
    return bool(DANGEROUS_URL.match(browser_url(value)))


def _is_dangerous_url_attribute(name: str, value: str | None) -> bool:
    if name == "srcset":
        candidates = [part.strip().split(" ")[0] for part in (value or "").split(",")]
        return any(is_dangerous_url(candidate) for candidate in candidates)
    return name in URL_ATTRIBUTES and is_dangerous_url(value)


class _DangerFinder(HTMLParser):
    """Collects what a browser would act on: tags, event handlers, styles and
    URLs with script schemes. Text that merely looks like markup is harmless.
    Character references in attribute values are decoded first, as a
    browser does."""

    def __init__(self, *, whole_page: bool = False):
        super().__init__(convert_charrefs=True)
        self.whole_page = whole_page
        self.found = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self._check_tag(tag, dict(attrs))
        for name, value in attrs:
            if name.startswith("on") or name == "style":
                self.found.append(f"{tag}[{name}]")
            elif _is_dangerous_url_attribute(name, value):
                self.found.append(f"{tag}[{name}={value}]")

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        self._in_script = False

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.found.append(f"inline script: {data.strip()[:80]}")

    def _check_tag(self, tag, attributes):
        if not self.whole_page:
            if tag in DANGEROUS_TAGS:
                self.found.append(f"<{tag}>")
            return
        if tag in DANGEROUS_PAGE_TAGS:
            self.found.append(f"<{tag}>")
        elif tag == "script":
            # The site's own scripts are files under /static/; anything else
            # (inline code, another host, a data: URL) is not ours.
            self._in_script = True
            if not STATIC_SCRIPT.match(attributes.get("src") or ""):
                self.found.append(f"<script src={attributes.get('src')!r}>")
        elif tag == "meta" and (attributes.get("http-equiv") or "").lower() in {
            "refresh",
            "set-cookie",
            "content-security-policy",
        }:
            self.found.append(f"<meta http-equiv={attributes['http-equiv']}>")
        elif tag == "link" and (attributes.get("rel") or "").lower() in {"import", "preload"}:
            self.found.append(f"<link rel={attributes['rel']}>")


def dangers(html: str) -> list[str]:
    """What a browser would act on in a rendered fragment (empty: nothing)."""
    finder = _DangerFinder()
    finder.feed(html)
    finder.close()
    return finder.found


def page_dangers(html: str) -> list[str]:
    """What could run script in a whole page of the site: inline or foreign
    scripts, event handlers, style attributes and elements, frames, plugins,
    ``<base>``, meta refresh, and script URLs in any URL attribute."""
    finder = _DangerFinder(whole_page=True)
    finder.feed(html)
    finder.close()
    return finder.found
