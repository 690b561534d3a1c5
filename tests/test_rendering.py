"""Units for the one rendering pipeline: markdown, wiki links, sanitizer."""

import ast
import re
from pathlib import Path

import pytest

from tests.html_checks import dangers
from wiki.rendering import (
    mark_missing_links,
    parse_redirect,
    render_markdown,
    sanitize,
)

ROOT = Path(__file__).resolve().parent.parent


def html_of(body):
    return render_markdown(body).html


def test_markdown_table_renders():
    html = html_of("| Drug | Response |\n|---|---|\n| IL-2 | 15% |\n")
    assert "<table>" in html
    assert "<td>IL-2</td>" in html


def test_headings_get_anchors():
    assert '<h2 id="side-effects">Side effects</h2>' in html_of("## Side effects\n")


def test_footnotes_render():
    html = html_of("Fact[^1].\n\n[^1]: The source.\n")
    assert 'class="footnote"' in html
    assert 'href="#fn:1"' in html


def test_sane_lists_keep_list_types_apart():
    html = html_of("1. one\n2. two\n\n* a\n* b\n")
    assert "<ol>" in html and "<ul>" in html


def test_wiki_link_renders_with_slug():
    html = html_of("See [[High Dose Interleukin-2]].")
    assert (
        '<a class="wikilink" href="/wiki/High_Dose_Interleukin-2/">High Dose Interleukin-2</a>'
        in html
    )


def test_wiki_link_with_label():
    html = html_of("See [[Interleukin-2|IL-2]].")
    assert '<a class="wikilink" href="/wiki/Interleukin-2/">IL-2</a>' in html


def test_wiki_link_with_section_and_label():
    html = html_of("See [[Interleukin-2#Side effects|side effects]].")
    assert 'href="/wiki/Interleukin-2/#side-effects"' in html
    assert ">side effects</a>" in html


def test_wiki_link_targets_are_collected_by_key():
    rendered = render_markdown("[[Interleukin-2]] and [[interleukin-2|again]] and [[IL-21]]")
    assert rendered.targets == {"interleukin-2": "Interleukin-2", "il-21": "IL-21"}


def test_wiki_link_inside_code_is_not_a_link():
    rendered = render_markdown("`[[Interleukin-2]]`")
    assert rendered.targets == {}
    assert "<code>[[Interleukin-2]]</code>" in rendered.html


def test_wiki_link_with_invalid_title_stays_text():
    rendered = render_markdown("[[Bad<Title]]")
    assert rendered.targets == {}
    assert "wikilink" not in rendered.html


def test_missing_links_are_marked():
    html = mark_missing_links(render_markdown("[[Interleukin-2]] [[IL-21]]"), {"interleukin-2"})
    assert '<a class="wikilink" href="/wiki/Interleukin-2/">' in html
    assert (
        '<a class="wikilink new" href="/wiki/IL-21/" title="IL-21 (page does not exist)">' in html
    )


def test_missing_mark_names_each_links_own_title():
    html = mark_missing_links(render_markdown("[[IL-21]] and [[il-21|again]]"), set())
    assert 'href="/wiki/IL-21/" title="IL-21 (page does not exist)">IL-21</a>' in html
    assert 'href="/wiki/il-21/" title="il-21 (page does not exist)">again</a>' in html


def test_missing_mark_keeps_the_section_of_the_link():
    html = mark_missing_links(render_markdown("[[Interleukin-2#Side effects|effects]]"), set())
    assert (
        '<a class="wikilink new" href="/wiki/Interleukin-2/#side-effects" '
        'title="Interleukin-2 (page does not exist)">effects</a>'
    ) in html


def test_only_links_the_converter_made_are_marked():
    # A link typed as HTML is no wiki link: it is not in the link table either.
    body = '<a class="wikilink" href="/wiki/Typed/">typed</a> and [[Written]]'
    html = mark_missing_links(render_markdown(body), set())
    assert '<a class="wikilink" href="/wiki/Typed/">typed</a>' in html
    assert 'title="Written (page does not exist)"' in html


def test_rendering_needs_no_database():
    # No db fixture: pytest-django fails this test on any query.
    rendered = render_markdown("## Notes\n\nSee [[Interleukin-2]] and [[IL-21|the other]].")
    html = mark_missing_links(rendered, {"interleukin-2"})
    assert '<h2 id="notes">Notes</h2>' in html
    assert '<a class="wikilink" href="/wiki/Interleukin-2/">Interleukin-2</a>' in html
    assert 'title="IL-21 (page does not exist)">the other</a>' in html


def test_renderer_imports_no_models_and_no_cache():
    # Page paths come from the URL patterns (wiki.titles.page_url); nothing
    # else the renderer uses reads the database or the cache.
    tree = ast.parse((ROOT / "wiki" / "rendering.py").read_text())
    imported = {
        node.module if isinstance(node, ast.ImportFrom) else alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert {name for name in imported if name.startswith("wiki")} == {"wiki.titles"}
    assert not {name for name in imported if name.startswith(("django.db", "django.core.cache"))}


def test_external_links_get_nofollow_noopener():
    html = html_of("[FDA](https://www.fda.gov/) and [home](/wiki/Main_Page/)")
    assert '<a href="https://www.fda.gov/" rel="nofollow noopener">FDA</a>' in html
    assert '<a href="/wiki/Main_Page/">home</a>' in html


def test_author_cannot_set_rel_or_class():
    html = html_of('<a href="/x" rel="opener" class="evil wikilink">x</a>')
    assert "opener" not in html
    assert "evil" not in html


def test_remote_images_lose_their_source():
    html = html_of("![x](https://tracker.example/pixel.png) ![y](/static/img/favicon.svg)")
    assert "tracker.example" not in html
    assert 'src="/static/img/favicon.svg"' in html


XSS_BODIES = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    '<img src="/x" onerror="alert(1)">',
    "<svg onload=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href="&#106;avascript:alert(1)">x</a>',
    '<a href="java\tscript:alert(1)">x</a>',
    '<p><a href="java\nscript:alert(1)">x</a></p>',
    '<div>\n<a href="\x01 javascript:alert(1)">x</a>\n</div>',
    '<a href="javascript&colon;alert(1)">x</a>',
    "[x](javascript:alert(1))",
    "[x](JAVASCRIPT:alert(1))",
    "[x]( javascript:alert(1) )",
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    "![x](data:image/svg+xml;base64,PHN2Zy8+)",
    '<p style="background:url(javascript:alert(1))">x</p>',
    '<div style="color:red">x</div>',
    "<iframe src=//evil.example></iframe>",
    '<object data="javascript:alert(1)"></object>',
    '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
    '<form action="javascript:alert(1)"><button>x</button></form>',
    "<style>body{display:none}</style>",
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<base href="javascript:alert(1)//">',
    "## Title {onclick=alert(1)}",
    '[x](https://ok.example/ "title" onmouseover=alert(1))',
    '<details open ontoggle="alert(1)"><summary>x</summary></details>',
    "[[Interleukin-2|<img src=x onerror=alert(1)>]]",
    '[[Interleukin-2|" onmouseover="alert(1)]]',
    '<a href="/wiki/x/" onfocus=alert(1) autofocus>x</a>',
    "<<script>script>alert(1)<</script>/script>",
    "<!--<script>alert(1)</script>-->",
]


@pytest.mark.parametrize("body", XSS_BODIES)
def test_dangerous_markup_never_reaches_html(body):
    html = html_of(body)
    assert dangers(html) == [], html


@pytest.mark.parametrize("body", XSS_BODIES)
def test_sanitizer_is_idempotent(body):
    html = html_of(body)
    assert sanitize(html) == html


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("#REDIRECT [[Interleukin-2]]", ("Interleukin-2", "")),
        ("#redirect [[Interleukin-2#Side effects]]\n", ("Interleukin-2", "Side effects")),
        ("  #REDIRECT [[High_Dose_Interleukin-2|label]]", ("High Dose Interleukin-2", "")),
        ("Text first\n#REDIRECT [[Interleukin-2]]", None),
        ("#REDIRECT [[Bad<Title]]", None),
        ("#REDIRECT Interleukin-2", None),
    ],
)
def test_parse_redirect(body, expected):
    assert parse_redirect(body) == expected


@pytest.mark.parametrize(
    "src",
    [
        "/\\evil.example/t.png",
        "//evil.example/t.png",
        "\\\\evil.example/t.png",
        " //evil.example/t.png",
        "/\t/evil.example/t.png",
        "\n/\\evil.example/t.png",
        " https://evil.example/t.png",
        "https://evil.example/t.png",
        "t.png",
    ],
)
def test_picture_from_another_host_is_refused_however_written(src):
    from wiki.rendering import is_site_path

    assert not is_site_path(src)
    assert "evil.example" not in sanitize(f'<img alt="x" src="{src}">')
    assert "src=" not in sanitize(f'<img alt="x" src="{src}">')


@pytest.mark.parametrize("src", ["/static/img/favicon.svg", " /static/img/favicon.svg"])
def test_picture_from_this_site_is_kept(src):
    assert 'src="' in sanitize(f'<img alt="x" src="{src}">')


@pytest.mark.parametrize(
    "href",
    [
        "//evil.example/",
        "/\\evil.example/",
        "\\\\evil.example/",
        "\\/evil.example/",
        " https://evil.example/",
        "\thttps://evil.example/",
        "\n//evil.example/",
        "/\t/evil.example/",
        "\x01https://evil.example/",
        "HTTPS://evil.example/",
        "http:evil.example/",
    ],
)
def test_link_to_another_host_is_marked_however_written(href):
    from wiki.rendering import is_other_site_url

    assert is_other_site_url(href)
    html = sanitize(f'<a href="{href}">x</a>')
    assert 'rel="nofollow noopener"' in html


@pytest.mark.parametrize("href", ["/wiki/Interleukin-2/", "#side-effects", "Interleukin-2", "?q=x"])
def test_link_within_the_site_is_not_marked(href):
    from wiki.rendering import is_other_site_url

    assert not is_other_site_url(href)
    assert "rel=" not in sanitize(f'<a href="{href}">x</a>')


def test_wiki_link_with_label_in_a_table_cell():
    html = html_of("| a |\n|---|\n| [[Interleukin-2\\|IL-2]] |\n")
    assert '<td><a class="wikilink" href="/wiki/Interleukin-2/">IL-2</a></td>' in html


def test_escaped_wiki_link_opener_is_no_link():
    rendered = render_markdown("\\[[Interleukin-2]] and [[IL-21|x \\[1\\]]]")
    assert rendered.targets == {"il-21": "IL-21"}
    assert "[[Interleukin-2]]" in rendered.html
    assert ">x [1]</a>" in rendered.html


# Wide tables: each in a focusable, labelled region of our own -------------------------

WIDE_TABLE = (
    "| Cancer | Patients studied | Overall response |\n|---|---|---|\n| Kidney | 255 | 15% |\n"
)
REGION_RE = re.compile(
    r'<div class="table-scroll" role="region" tabindex="0" aria-label="([^"]*)">'
)


def regions(html):
    return REGION_RE.findall(html)


def test_table_is_wrapped_in_a_focusable_labelled_region():
    html = html_of(WIDE_TABLE)
    assert regions(html) == ["Table: Cancer, scrolls sideways"]
    assert html.startswith('<div class="table-scroll" role="region" tabindex="0"')
    assert html.rstrip().endswith("</table></div>")


def test_table_region_is_named_by_the_caption_before_the_first_header():
    html = html_of(
        "<table><caption>Response to <b>IL-2</b></caption><tr><th>Cancer</th></tr></table>"
    )
    assert regions(html) == ["Table: Response to IL-2, scrolls sideways"]


def test_table_without_caption_or_header_gets_a_plain_label():
    assert regions(html_of("<table><tr><td>255</td></tr></table>")) == ["Table, scrolls sideways"]


def test_tables_of_the_same_name_get_numbered_labels():
    html = html_of(f"{WIDE_TABLE}\nText.\n\n{WIDE_TABLE}\n<table><tr><td>1</td></tr></table>")
    assert regions(html) == [
        "Table: Cancer, scrolls sideways",
        "Table: Cancer (2), scrolls sideways",
        "Table, scrolls sideways",
    ]


def test_table_region_label_is_escaped_and_shortened():
    html = html_of(f'<table><tr><th>"Quoted" &amp; {"long " * 30}</th></tr></table>')
    (label,) = regions(html)
    assert label.startswith("Table: &quot;Quoted&quot; &amp; long long")
    assert "…, scrolls sideways" in label
    assert len(label) < 140


def test_nested_table_scrolls_with_the_table_around_it():
    html = html_of(
        "<table><tr><td><table><tr><th>Inner</th></tr></table></td><th>Outer</th></tr></table>"
    )
    assert regions(html) == ["Table: Outer, scrolls sideways"]
    assert html.count("<table>") == 2


def test_wiki_links_in_a_table_are_still_marked_missing():
    rendered = render_markdown("| Drug |\n|---|\n| [[No Such Drug]] |\n")
    html = mark_missing_links(rendered, set())
    assert 'class="wikilink new"' in html
    assert regions(html) == ["Table: Drug, scrolls sideways"]


FORGED_REGIONS = [
    '<div class="table-scroll" role="region" tabindex="0" aria-label="Forged">Text</div>',
    '<div role="region" aria-label="Forged"><p>Text</p></div>',
    '<section role="region" tabindex="0" aria-label="Forged">Text</section>',
    '<p class="table-scroll" tabindex="0">Text</p>',
    '<span role="region" aria-label="Forged">Text</span>',
    '<div class="table-scroll" role="region" tabindex="0" aria-label="Forged">'
    "<table><tr><th>Real</th></tr></table></div>",
    '<table aria-label="Forged" role="region" tabindex="5"><tr><th>Real</th></tr></table>',
    '<table><tr><th><a title="&lt;/table&gt;&lt;div role=region&gt;" href="/x">Real</a>'
    "</th></tr></table>",
    '[x](/ "</table><div class=table-scroll role=region aria-label=Forged>")',
]


@pytest.mark.parametrize("body", FORGED_REGIONS)
def test_a_moderator_cannot_forge_a_table_region(body):
    html = html_of(body)
    assert 'aria-label="Forged' not in html
    assert html.count('role="region"') == html.count("<table>")
    assert html.count("tabindex=") == html.count("<table>")
    assert html.count('class="table-scroll"') == html.count("<table>")
    assert all(label in {"Table: Real, scrolls sideways"} for label in regions(html))
