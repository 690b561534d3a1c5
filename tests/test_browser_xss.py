"""The XSS corpus in a real browser: chromium loads every view of the corpus
pages and must open no dialog, log no Content-Security-Policy violation and
hold, in its parsed DOM, no event handler, style, inline or foreign script,
frame, plugin, ``<base>``, meta refresh or script URL. The DOM is the
browser's own parse, so a mutation that only a real HTML parser makes is
caught here even if the server-side checks in test_xss_corpus.py miss it."""

from urllib.parse import urlencode

import pytest
from django.test import Client

from tests.browser import requires_browser
from tests.edit_data import edit_data
from tests.test_xss_corpus import path_of
from tests.xss_vectors import BODY_FAMILIES, LABEL_VECTORS, SUMMARY_VECTORS, TITLE_VECTORS
from wiki.models import Page
from wiki.titles import title_key

pytestmark = [requires_browser, pytest.mark.browser, pytest.mark.usefixtures("plain_static")]

DOM_DANGERS = """() => {
  const found = [];
  const banned = ["iframe", "frame", "frameset", "object", "embed", "applet", "base", "style",
                  "svg", "math", "portal", "template"];
  const urlAttributes = ["href", "src", "action", "formaction", "xlink:href", "data", "poster",
                         "cite", "background", "ping"];
  for (const element of document.querySelectorAll("*")) {
    const tag = element.tagName.toLowerCase();
    for (const attribute of element.attributes) {
      const name = attribute.name.toLowerCase();
      if (name.startsWith("on") || name === "style") found.push(`${tag}[${name}]`);
    }
    if (banned.includes(tag)) found.push(`<${tag}>`);
    if (tag === "script") {
      const source = element.src ? new URL(element.src) : null;
      const ours = source && source.origin === location.origin
        && source.pathname.startsWith("/static/") && !element.textContent.trim();
      if (!ours) found.push(`<script src=${element.getAttribute("src")}>`);
    }
    if (tag === "meta" && (element.httpEquiv || "").toLowerCase() === "refresh") {
      found.push("<meta refresh>");
    }
    for (const name of urlAttributes) {
      const value = element.getAttribute(name);
      if (value === null) continue;
      let protocol;
      try { protocol = new URL(value, document.baseURI).protocol; } catch (error) { continue; }
      if (["javascript:", "vbscript:", "data:"].includes(protocol)) {
        found.push(`${tag}[${name}=${value}]`);
      }
    }
  }
  return found;
}"""


@pytest.fixture
def corpus(transactional_db, django_user_model):
    """Every body vector as one revision of its family's page, and every
    title vector as a page, all saved through the edit form. Returns the
    URLs to load."""
    from wiki.roles import moderators_group

    user = django_user_model.objects.create_user("moderator", password="x-unused-x")
    user.groups.add(moderators_group())
    client = Client()
    client.force_login(user)
    urls = ["/recent-changes/?days=1&limit=500", "/pages/", "/articles/2009/"]

    def save(title, body, **fields):
        page = Page.objects.filter(key=title_key(title)).first()
        data = edit_data(body, page.current_revision_id if page else None, **fields)
        response = client.post(path_of(title) + "edit/", data)
        assert response.status_code in (302, 400), (title, response.status_code)
        return response.status_code == 302

    for family, vectors in BODY_FAMILIES.items():
        title, word = f"Xss {family}", f"Canary{family}"
        revisions = []
        for index, vector in enumerate(vectors):
            fields = {
                "summary": vector[:500],
                "article_date": "2009-05-01",
                "source_name": vector[:255],
                "crosslinks": [
                    {
                        "kind": "related",
                        "target_title": TITLE_VECTORS[index % len(TITLE_VECTORS)],
                        "label": vector[:255],
                    }
                ],
            }
            if save(title, f"{word} text.\n\n{vector}\n", **fields):
                revisions.append(Page.objects.get(key=title_key(title)).current_revision_id)
        page_url = path_of(title)
        urls += [f"{page_url}revisions/{revision}/" for revision in revisions]
        # Pairs (1, 2), (3, 4), ...: every vector appears in one diff.
        pairs = list(zip(revisions[::2], revisions[1::2], strict=False))
        if len(revisions) % 2:
            pairs.append((revisions[-2], revisions[-1]))
        urls += [f"{page_url}diff/{before}/{after}/" for before, after in pairs]
        urls += [page_url, f"{page_url}history/", "/search/?" + urlencode({"q": word})]
    for index, title in enumerate(TITLE_VECTORS):
        summary, label = SUMMARY_VECTORS[index % len(SUMMARY_VECTORS)], LABEL_VECTORS[index % 4]
        crosslinks = [{"kind": "see", "target_title": title, "label": label}]
        assert save(title, f"[[{title}|self]] text.", summary=summary, crosslinks=crosslinks)
        assert save(f"Xss Redirect {index}", f"#REDIRECT [[{title}]]")
        urls += [
            path_of(title),
            f"{path_of(title)}history/",
            f"{path_of(title)}links/",
            f"/wiki/Xss_Redirect_{index}/",
            f"/wiki/Xss_Redirect_{index}/?redirect=no",
            "/search/?" + urlencode({"q": title, "fulltext": 1}),
        ]
    return urls


def test_corpus_opens_no_dialog_and_runs_nothing(page, live_server, corpus, console_errors):
    dialogs = []

    def on_dialog(dialog):
        dialogs.append((page.url, dialog.type, dialog.message))
        dialog.dismiss()

    page.on("dialog", on_dialog)
    problems = []
    for url in corpus:
        response = page.goto(live_server.url + url, wait_until="load")
        assert response is not None and response.status == 200, url
        page.mouse.move(5, 5)
        page.keyboard.press("Tab")
        if found := page.evaluate(DOM_DANGERS):
            problems.append((url, found))
    assert dialogs == []
    assert problems == []
    script_errors = [
        error
        for error in console_errors
        if "Content Security Policy" in error or not error.startswith("Failed to load resource")
    ]
    assert script_errors == []


@pytest.mark.parametrize(
    "html",
    [
        '<p onclick="x">x</p>',
        '<a href="  java\tscript:alert(1)">x</a>',
        '<p style="color:red">x</p>',
        "<script>1</script>",
        '<iframe src="about:blank"></iframe>',
    ],
)
def test_dom_check_finds_what_could_run(page, html):
    page.set_content(f"<!DOCTYPE html><html><body>{html}</body></html>")
    assert page.evaluate(DOM_DANGERS) != []
