"""MediaWiki wikitext to markdown (wiki.wikitext), construct by construct:
the markdown, and for the important constructs the HTML our renderer makes
of it."""

import time

import pytest

from wiki.rendering import render_markdown
from wiki.wikitext import MAX_TEMPLATE_EXPANSIONS, convert, mediawiki_title


def markdown_of(wikitext, **kwargs):
    return convert(wikitext, **kwargs).markdown


def html_of(wikitext, **kwargs):
    return render_markdown(convert(wikitext, **kwargs).markdown).html


@pytest.mark.parametrize(
    "raw, title",
    [
        ("interleukin_2", "Interleukin 2"),
        ("  High   dose__interleukin-2 ", "High dose interleukin-2"),
        ("élan", "Élan"),
        ("ßeta", "ßeta"),
        ("category:kidney_cancer", "Category:Kidney cancer"),
        ("Children's cancer", "Children's cancer"),
        ("e\u0301clair", "Éclair"),
    ],
)
def test_mediawiki_title_rules(raw, title):
    assert mediawiki_title(raw) == title


def test_headings_keep_their_level():
    assert markdown_of("== Side effects ==\ntext\n=== Fever ===\n") == (
        "## Side effects\n\ntext\n\n### Fever\n"
    )
    assert '<h2 id="side-effects">Side effects</h2>' in html_of("== Side effects ==")


def test_bold_italic_and_both():
    html = html_of("'''bold''' ''italic'' '''''both''''' ''' spaced '''")
    assert "<strong>bold</strong> <em>italic</em> <strong><em>both</em></strong>" in html
    assert "<strong>spaced</strong>" in html


def test_nested_bullet_and_numbered_lists():
    wikitext = "* fever\n** high fever\n* chills\n# first\n#* a note\n# second\n"
    assert markdown_of(wikitext) == (
        "* fever\n    * high fever\n* chills\n\n1. first\n    * a note\n1. second\n"
    )
    html = html_of(wikitext)
    assert "<ul>\n<li>fever<ul>\n<li>high fever</li>" in html
    assert "<ol>\n<li>first<ul>\n<li>a note</li>\n</ul>\n</li>\n<li>second</li>\n</ol>" in html


def test_list_after_a_paragraph_is_still_a_list():
    assert "<ul>\n<li>one</li>" in html_of("Side effects:\n* one\n* two\nAfter.")
    assert "<p>After.</p>" in html_of("Side effects:\n* one\n* two\nAfter.")


def test_definition_list_terms_are_bold_lines():
    assert markdown_of("; Fever\n: a high temperature\n; Chills : shivering\n") == (
        "**Fever**<br>\na high temperature<br>\n**Chills**<br>\nshivering\n"
    )


def test_internal_links_resolve_to_mediawiki_titles():
    conversion = convert(
        "[[interleukin_2]], [[Interleukin 2|IL-2]], [[High dose IL-2#Side_effects|side effects]],"
        " [[#Doses]] and [[Missing page]]"
    )
    assert conversion.markdown == (
        "[[Interleukin 2|interleukin\\_2]], [[Interleukin 2|IL-2]],"
        " [[High dose IL-2#Side effects|side effects]], [[#Doses|#Doses]] and [[Missing page]]\n"
    )
    assert conversion.links == ["Interleukin 2", "High dose IL-2", "Missing page"]
    rendered = render_markdown(conversion.markdown)
    assert rendered.targets == {
        "interleukin 2": "Interleukin 2",
        "high dose il-2": "High dose IL-2",
        "missing page": "Missing page",
    }
    assert 'href="/wiki/High_dose_IL-2/#side-effects">side effects</a>' in rendered.html
    assert '<a href="#doses">#Doses</a>' in rendered.html


def test_lower_case_link_keeps_its_text_and_finds_the_page():
    rendered = render_markdown(markdown_of("treats [[kidney cancer]] well"))
    assert '<a class="wikilink" href="/wiki/Kidney_cancer/">kidney cancer</a>' in rendered.html


def test_link_trail_joins_the_label():
    assert (
        markdown_of("two [[T cell]]s and [[cat]]'s") == "two [[T cell|T cells]] and [[Cat|cat]]'s\n"
    )


def test_external_links_numbered_like_mediawiki():
    wikitext = "[https://a.example/x?a=1&b=2 the trial] [https://b.example] [https://c.example] https://d.example/p"
    assert markdown_of(wikitext) == (
        "[the trial](https://a.example/x?a=1&b=2) [\\[1\\]](https://b.example)"
        " [\\[2\\]](https://c.example) <https://d.example/p>\n"
    )
    html = html_of(wikitext)
    assert '<a href="https://a.example/x?a=1&amp;b=2" rel="nofollow noopener">the trial</a>' in html
    assert '<a href="https://b.example" rel="nofollow noopener">[1]</a>' in html
    assert '<a href="https://d.example/p" rel="nofollow noopener">https://d.example/p</a>' in html


def test_external_link_with_a_scheme_we_do_not_link_keeps_its_label():
    conversion = convert("[javascript:alert(1) click] and [ftp://old.example files]")
    # MediaWiki shows the first as text too: javascript: is no link there
    assert conversion.markdown == "\\[javascript:alert(1) click\\] and files\n"
    assert "href" not in render_markdown(conversion.markdown).html


WIKITABLE = """{| class="wikitable" style="width:50%"
|+ Doses of interleukin-2
! Dose !! Given
|-
| style="color:red" | High || every 8 hours
|-
| Low || [[Low dose IL-2|daily]]
|}"""


def test_wikitable_becomes_a_table_with_caption_and_header_row():
    assert markdown_of(WIKITABLE) == (
        "**Doses of interleukin-2**\n\n"
        "| Dose | Given |\n|---|---|\n| High | every 8 hours |\n"
        "| Low | [[Low dose IL-2\\|daily]] |\n"
    )
    html = html_of(WIKITABLE)
    assert "<p><strong>Doses of interleukin-2</strong></p>" in html
    assert "<thead>\n<tr>\n<th>Dose</th>\n<th>Given</th>" in html
    assert html.count("<tr>") == 3
    assert '<td><a class="wikilink" href="/wiki/Low_dose_IL-2/">daily</a></td>' in html
    assert "style" not in html


def test_table_without_header_row_gets_an_empty_one_and_keeps_its_rows():
    html = html_of("{|\n| a || b\n|-\n| c || d\n|}")
    assert html.count("<td>") == 4
    assert "<th></th>" in html


def test_colspan_and_rowspan_keep_columns_in_line():
    markdown = markdown_of(
        '{|\n! A !! B !! C\n|-\n| colspan="2" | wide || c\n'
        "|-\n| rowspan=2 | tall || b || c\n|-\n| b2 || c2\n|}"
    )
    assert markdown.splitlines() == [
        "| A | B | C |",
        "|---|---|---|",
        "| wide |  | c |",
        "| tall | b | c |",
        "|  | b2 | c2 |",
    ]


def test_pipes_and_lists_inside_cells():
    html = html_of("{|\n! x\n|-\n| a {{!}} b\n* one\n* two\n|}")
    assert "<td>a | b<br>• one<br>• two</td>" in html


def test_html_table_is_a_table_too():
    html = html_of("<table><tr><th>Drug</th></tr><tr><td>IL-2</td></tr></table>")
    assert "<th>Drug</th>" in html and "<td>IL-2</td>" in html


def test_references_become_footnotes_and_named_reuse_keeps_the_number():
    wikitext = (
        "IL-2 works.<ref name=nih>NIH, ''2001''.</ref> Few respond.<ref>Smith.</ref>"
        " Again.<ref name=nih/>\n== References ==\n<references/>\n"
    )
    assert markdown_of(wikitext) == (
        "IL-2 works.[^1] Few respond.[^2] Again.[^1]\n\n## References\n\n"
        "[^1]: NIH, *2001*.\n[^2]: Smith.\n"
    )
    html = html_of(wikitext)
    assert html.count('class="footnote-ref"') == 3
    assert '<li id="fn:1">\n<p>NIH, <em>2001</em>.' in html


def test_reference_used_before_its_definition():
    assert markdown_of('a<ref name="x"/> b<ref name="x">Late.</ref>') == (
        "a[^1] b[^1]\n\n[^1]: Late.\n"
    )


def test_list_defined_references():
    assert markdown_of(
        "a<ref name=x/>\n<references>\n<ref name=x>Defined below.</ref>\n</references>"
    ) == ("a[^1]\n\n[^1]: Defined below.\n")


@pytest.mark.parametrize(
    "wikitext, shown",
    [
        ("caf&eacute; &amp; bar", "café &amp; bar"),
        ("&lt;b&gt;not bold&lt;/b&gt;", "&lt;b&gt;not bold&lt;/b&gt;"),
        ("&amp;copy; stays", "&amp;copy; stays"),
        ("5&nbsp;mg", "5\xa0mg"),
        ("&#x3B1; and &#946;", "α and β"),
        ("&bogus; entity", "&amp;bogus; entity"),
    ],
)
def test_html_entities_read_as_they_did(wikitext, shown):
    assert f"<p>{shown}</p>" in html_of(wikitext).replace("&nbsp;", "\xa0")


@pytest.mark.parametrize(
    "wikitext",
    [
        "2001. A good year",
        "# not a heading",
        "- not a list",
        "+ not a list",
        "> not a quote",
        "a*b*c and _d_ and `e` and [f](g) and \\[h]",
        "<notatag> and <b and 3 < 4",
        "===",
        "~~~ fence",
        "[[nowiki]] in <nowiki>[[x]] ''y'' {{z}}</nowiki>",
    ],
)
def test_literal_text_is_escaped_so_it_reads_as_written(wikitext):
    literal = wikitext.replace("<nowiki>", "").replace("</nowiki>", "")
    if wikitext.startswith("[[nowiki]]"):
        literal = literal.replace("[[nowiki]]", "nowiki")
    text = html_of("<nowiki>" + wikitext + "</nowiki>" if "nowiki" not in wikitext else wikitext)
    plain = text.removeprefix("<p>").removesuffix("</p>")
    plain = plain.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    plain = plain.replace('<a class="wikilink" href="/wiki/Nowiki/">nowiki</a>', "nowiki")
    assert plain == literal


def test_line_breaks_and_inline_html_the_sanitizer_keeps():
    html = html_of(
        "a<br>b<br/>c H<sub>2</sub>O x<sup>2</sup> <small>s</small> <u>u</u> <s>s</s>"
        " <code>c</code> <span style='x'>t</span>"
    )
    assert (
        "a<br>b<br>c H<sub>2</sub>O x<sup>2</sup> <small>s</small> <u>u</u> <s>s</s>"
        " <code>c</code> <span>t</span>" in html
    )


def test_div_keeps_its_content_and_links():
    html = html_of('<div class="note">See [[Interleukin-2]].</div>')
    assert '<a class="wikilink" href="/wiki/Interleukin-2/">Interleukin-2</a>' in html


def test_pre_is_a_code_block():
    assert markdown_of("<pre>x = ''1''\n  y</pre>") == "```\nx = ''1''\n  y\n```\n"


def test_comments_and_magic_words_are_removed():
    assert markdown_of("__NOTOC__\nText<!-- hidden\nnote --> here. __NOEDITSECTION__") == (
        "Text here.\n"
    )


def test_categories_with_sort_keys_are_data_not_text():
    conversion = convert("Text.\n[[Category:Kidney_cancer|Interleukin]]\n[[category:Drugs]]")
    assert conversion.categories == [("Kidney cancer", "Interleukin"), ("Drugs", "")]
    assert conversion.markdown == "Text.\n"


def test_files_interwiki_and_language_links_are_removed():
    conversion = convert(
        "A [[File:Scan.png|thumb|A scan]] scan. [[fr:Interleukine 2]]"
        " [[wikipedia:IL-2|on Wikipedia]]"
    )
    assert conversion.markdown == "A scan. on Wikipedia\n"
    assert "file File:Scan.png" in conversion.unconverted
    assert "link to interwiki wikipedia" in conversion.unconverted


def test_link_to_a_category_page_links_to_its_list():
    assert markdown_of("see [[:Category:Drugs|all drugs]]") == (
        "see [[:Category:Drugs|all drugs]]\n"
    )
    assert markdown_of("[[:category:drugs]]s") == "[[:Category:Drugs|category:drugss]]\n"
    conversion = convert("{|\n| [[:Category:Drugs|drugs]]\n|}")
    assert "[[:Category:Drugs\\|drugs]]" in conversion.markdown
    assert conversion.categories == []


def test_redirect():
    conversion = convert("#REDIRECT [[interleukin_2#Side_effects]]\n[[Category:Redirects]]")
    assert conversion.redirect == "Interleukin 2#Side effects"
    assert conversion.markdown.startswith("#REDIRECT [[Interleukin 2#Side effects]]")
    assert conversion.categories == [("Redirects", "")]


def test_redirect_is_read_by_our_parser():
    from wiki.rendering import parse_redirect

    assert parse_redirect(markdown_of("#redirect:[[Proleukin]]")) == ("Proleukin", "")


TEMPLATES = {
    "Dose": "'''{{{1}}}''' per {{{unit|kg}}}<noinclude>Shows a dose.</noinclude>",
    "Brand": "<includeonly>sold as {{{name}}}</includeonly><noinclude>doc</noinclude>",
    "Outer": "({{Dose|{{{1}}}|unit=m²}})",
    "Loop": "again {{Loop}}",
    "Infobox": '{| class="infobox"\n| x\n|}',
    "Uses if": "{{#if:{{{1|}}}|yes|no}}",
}


def test_plain_template_is_expanded_with_its_parameters():
    conversion = convert(
        "Give {{dose|600,000}} or {{Dose|5|unit=m²}}; {{Brand|name=Proleukin}}.",
        templates=TEMPLATES,
    )
    assert conversion.markdown == "Give **600,000** per kg or **5** per m²; sold as Proleukin.\n"
    assert conversion.templates_expanded == ["Dose", "Brand"]
    assert conversion.templates_removed == []


def test_templates_expand_recursively():
    conversion = convert("{{Outer|9}}", templates=TEMPLATES)
    assert conversion.markdown == "(**9** per m²)\n"
    assert conversion.templates_expanded == ["Dose", "Outer"]


@pytest.mark.parametrize(
    "call, removed",
    [
        ("{{Loop}}", "Loop"),
        ("{{Infobox}}", "Infobox"),
        ("{{Undefined|x}}", "Undefined"),
        ("{{#if:a|b|c}}", "#if"),
        ("{{Uses if|1}}", "Uses if"),
        ("{{PAGENAME}}", "PAGENAME"),
    ],
)
def test_templates_we_cannot_expand_are_removed_and_named(call, removed):
    conversion = convert(f"Before {call} after.", templates=TEMPLATES)
    assert conversion.markdown == "Before after.\n"
    assert removed in conversion.templates_removed
    assert "{" not in render_markdown(conversion.markdown).html


def test_parser_functions_are_named_as_unconverted():
    assert "parser function #if" in convert("{{#if:a|b}}").unconverted


def test_unknown_extension_tags_are_named():
    conversion = convert("a <gallery>File:x.png</gallery> <math>x^2</math> b")
    assert conversion.markdown == "a b\n"
    assert conversion.unconverted == ["gallery", "math"]


def test_medical_page_renders_whole():
    wikitext = (
        "'''Interleukin-2''' (IL-2, sold as [[Proleukin]]) is a [[cytokine]].<ref>NCI.</ref>\n\n"
        "== Side effects ==\n* [[Fever]]\n* low blood pressure\n\n" + WIKITABLE + "\n\n"
        "See [https://www.cancer.gov the NCI].\n== References ==\n<references/>\n"
        "[[Category:Treatments|Interleukin]]"
    )
    conversion = convert(wikitext)
    rendered = render_markdown(conversion.markdown)
    assert set(rendered.targets.values()) == {"Proleukin", "Cytokine", "Fever", "Low dose IL-2"}
    for fragment in ("<strong>Interleukin-2</strong>", "<h2", "<table>", 'class="footnote"'):
        assert fragment in rendered.html
    assert conversion.categories == [("Treatments", "Interleukin")]


# Hostile dumps: each of these took the tokenizer minutes or hours unguarded
# (its work grows with the square of unclosed openers).
PATHOLOGICAL = {
    "unclosed tables": "{|\n",
    "unclosed tags": "<div>",
    "unclosed refs": "<ref>",
    "unclosed piped links": "[[a|",
    "unclosed templates": "{{a|",
    "unclosed comments": "<!--",
    "unclosed external links": "[http://a.example ",
    "list markers": "*",
    "links": "[[a]] ",
    "deep nesting": None,
}


@pytest.mark.parametrize("name", PATHOLOGICAL)
def test_pathological_megabyte_finishes_quickly(name):
    unit = PATHOLOGICAL[name]
    if unit is None:
        text = "<div>" * 100_000 + "{{a|" * 50_000 + "x" + "}}" * 50_000 + "</div>" * 100_000
    else:
        text = unit * (1_000_000 // len(unit))
    # this process's CPU time: other work on a busy machine does not count
    started = time.process_time()
    conversion = convert(text, templates={"A": "{{a|{{{1}}}}}"})
    assert time.process_time() - started < 5
    assert conversion.markdown


def test_text_longer_than_mediawiki_allows_is_kept_as_plain_text():
    conversion = convert("''x'' [[y]]\n" * 300_000)
    assert conversion.markdown.startswith("''x'' \\[\\[y\\]\\]\n\n")
    assert conversion.unconverted == ["text longer than 2097152 characters (kept as plain text)"]


def test_deep_template_recursion_is_bounded():
    templates = {f"T{n}": f"{{{{T{n + 1}}}}}" for n in range(100)}
    templates["T100"] = "deep"
    started = time.process_time()
    conversion = convert("{{T0}}", templates=templates)
    assert time.process_time() - started < 1
    assert conversion.markdown == ""
    assert conversion.templates_removed == ["T0"]


def test_deep_lists_are_clamped():
    markdown = markdown_of("*" * 50 + " deep")
    assert render_markdown(markdown).html.count("<ul>") <= 10


def test_expansion_cache_gives_the_same_conversion_as_none():
    templates = {
        "Drug": "'''{{{1}}}''' (brand name: {{{name|not given}}})",
        "Dose note": "<includeonly>{{#if:{{{1|}}}|{{{1}}}|ask}}</includeonly>",
    }
    text = "{{Drug|aldesleukin|name=Proleukin}} and {{Drug|x}}.\n\n{{Dose note|1 mg}}\n"
    cache = {}
    first = convert(text, templates=templates, expansion_cache=cache)
    assert cache
    second = convert(text, templates=templates, expansion_cache=cache)
    assert first == second == convert(text, templates=templates)
    assert "'''" not in second.markdown and "**aldesleukin** (brand name: Proleukin)" in (
        second.markdown
    )
    assert second.templates_removed == ["Dose note"]
    assert "parser function #if" in second.unconverted


def test_expansion_cache_keeps_the_limit_on_expansions():
    calls = "{{A}} " * (MAX_TEMPLATE_EXPANSIONS + 10)
    cache = {}
    convert(calls, templates={"A": "a"}, expansion_cache=cache)
    conversion = convert(calls, templates={"A": "a"}, expansion_cache=cache)
    assert conversion == convert(calls, templates={"A": "a"})
    assert conversion.markdown.count("a") == MAX_TEMPLATE_EXPANSIONS
    assert conversion.templates_removed == ["A"]
