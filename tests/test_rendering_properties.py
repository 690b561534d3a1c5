"""Property test: no mix of markdown and HTML, however odd, gets script past
the renderer."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.html_checks import dangers
from wiki.rendering import mark_missing_links, render_markdown

FRAGMENTS = [
    "<script>alert(1)</script>",
    "<script",
    "</script>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">',
    "<a href='jav&#x61;script:alert(1)'>",
    '<a href="&#x6A;avascript:alert(1)">',
    "[x](javascript:alert(1))",
    "[x](data:text/html,x)",
    "![i](javascript:alert(1))",
    "<javascript:alert(1)>",
    "[r]: javascript:alert(1)",
    "[r]",
    "[[Interleukin-2|",
    "[[",
    "]]",
    "|",
    '"',
    "'",
    "`",
    "```",
    "<!--",
    "-->",
    "<![CDATA[",
    "<iframe src=x>",
    "<object data=x>",
    "<embed src=x>",
    "<form action=x>",
    "<input onfocus=x autofocus>",
    "<details open ontoggle=alert(1)>",
    '<p style="x:expression(alert(1))">',
    "{onclick=alert(1)}",
    "<base href=//evil>",
    "<meta http-equiv=refresh content=0;url=javascript:alert(1)>",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "<textarea>",
    "<title>",
    "<xmp>",
    "<plaintext>",
    "<template>",
    '<a href="\x01javascript:alert(1)">',
    "#",
    "## h",
    "- ",
    "1. ",
    "> ",
    "| a | b |\n|---|---|\n| c | d |",
    "[^1]",
    "[^1]: note",
    "\n",
    "\n\n",
    "    ",
    "text",
    "**b**",
    "_i_",
    "&",
    "&amp;",
    "&#0;",
    "\x00",
    "<",
    ">",
    "=",
]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=12)), max_size=25))
def test_random_markup_never_yields_script(pieces):
    body = "".join(pieces)
    rendered = render_markdown(body)
    assert dangers(rendered.html) == [], (body, rendered.html)
    assert dangers(mark_missing_links(rendered, set())) == [], body
