"""The checker the XSS tests rely on must itself find what it looks for."""

import pytest

from tests.html_checks import dangers, page_dangers

SITE_FRAME = (
    '<html><head><meta charset="utf-8"><meta name="description" content="x">'
    '<link rel="stylesheet" href="/static/css/site.css"></head><body>'
    '<form action="/search/" method="get"><input name="q"></form>'
    '<script src="/static/js/suggest.js" defer></script></body></html>'
)


def test_site_frame_is_clean():
    assert page_dangers(SITE_FRAME) == []


@pytest.mark.parametrize(
    "html",
    [
        "<script>alert(1)</script>",
        '<script src="//evil.example/x.js"></script>',
        '<script src="/static/js/x.js">alert(1)</script>',
        '<p onclick="alert(1)">x</p>',
        '<p style="color:red">x</p>',
        "<style>p{}</style>",
        '<iframe src="/x"></iframe>',
        '<object data="/x"></object>',
        '<embed src="/x">',
        '<base href="/">',
        '<svg><a href="/x">x</a></svg>',
        '<meta http-equiv="Refresh" content="0;url=/x">',
        '<a href="javascript:alert(1)">x</a>',
        '<a href="&#106;avascript:alert(1)">x</a>',
        '<a href="java\tscript:alert(1)">x</a>',
        '<a href=" \x01JAVASCRIPT:alert(1)">x</a>',
        '<a href="vbscript:x">x</a>',
        '<img src="data:image/svg+xml,x">',
        '<button formaction="javascript:alert(1)">x</button>',
        '<img src="/x" srcset="javascript:alert(1) 1x">',
    ],
)
def test_page_checker_finds_what_could_run(html):
    assert page_dangers(SITE_FRAME.replace("</body>", html + "</body>")) != []


@pytest.mark.parametrize(
    "html", ["<form action='/x'></form>", "<meta name=x content=y>", "<svg></svg>"]
)
def test_fragment_checker_refuses_frame_tags(html):
    assert dangers(html) != []


def test_markup_shown_as_text_is_harmless():
    assert page_dangers("<p>&lt;script&gt;alert(1)&lt;/script&gt; onclick=x</p>") == []
