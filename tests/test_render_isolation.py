"""One body's broken markup never changes how another body renders.

Each test breaks a conversion (markup too deep for the renderer, or a
conversion stopped part-way as a deadline stops it) and then renders an
ordinary page in the same process and thread; the result must equal what a
fresh process renders for that page.
"""

import hashlib
import json
import os
import signal
import subprocess
import sys
import traceback
from pathlib import Path

import pytest
from django.core.cache import cache

from tests.edit_data import edit_data
from wiki.display import cached_render
from wiki.models import Page
from wiki.rendering import (
    MAX_BRACKET_READING,
    MAX_FOOTNOTES,
    MAX_HEADINGS,
    MAX_NESTING_DEPTH,
    MAX_WIKI_LINKS,
    RENDER_VERSION,
    MarkupTooComplex,
    nesting_depth,
    render_markdown,
)

ROOT = Path(__file__).resolve().parent.parent

ORDINARY = """## Side effects

Some **bold** words and *some in italics*, with a note[^1].

- one
- two
    - nested

1. first
2. second

> A quotation.

| Drug | Response |
|---|---|
| IL-2 | 15% |

See [[Interleukin-2|IL-2]] and [[IL-21]].

[^1]: The source of the note.
"""

DEEP_LIST = "\n".join("    " * i + f"- level {i}" for i in range(400))
DEEP_QUOTE = "".join("> " * i + f"level {i}\n" for i in range(1, 400))
# Inputs on which the renderer is slow, each just within the limits of
# check_markup (beyond them it refuses the body before converting): a deadline
# stops each of them part-way.
SLOW_INPUTS = {
    "unclosed brackets": "[ " * 40 + "w" * (MAX_BRACKET_READING // 40 - 80),
    "wiki-link openers": " ".join(f"[[Page {number}]]" for number in range(MAX_WIKI_LINKS)),
    "identical headings": "## Same heading\n\n" * MAX_HEADINGS,
    "footnotes": "\n\n".join(f"Claim[^{i}]." for i in range(MAX_FOOTNOTES // 2))
    + "\n\n"
    + "".join(f"[^{i}]: note {i}\n" for i in range(MAX_FOOTNOTES // 2)),
}
# The first tick comes early and the next ones often: the fastest of the
# inputs above converts in a few tens of milliseconds on a fast idle machine,
# so a later first tick could find the conversion already finished.
DEADLINE_SECONDS = 0.005
DEADLINE_REPEAT_SECONDS = 0.002


class Deadline(Exception):
    pass


@pytest.fixture(scope="module")
def fresh_process_html():
    """ORDINARY as a process that has rendered nothing else renders it."""
    script = (
        "import json, sys, django; django.setup(); "
        "from wiki.rendering import render_markdown; "
        "rendered = render_markdown(sys.stdin.read()); "
        "print(json.dumps([rendered.html, rendered.targets]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        input=ORDINARY,
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    html, targets = json.loads(result.stdout)
    return html, targets


def assert_renders_as_fresh(fresh_process_html):
    rendered = render_markdown(ORDINARY)
    assert (rendered.html, rendered.targets) == fresh_process_html
    assert "<strong>bold</strong>" in rendered.html


def at_stack_depth(frames, function):
    """Call ``function`` with ``frames`` more frames on the stack, so that a
    recursion runs out at a different point of the parse."""
    if frames == 0:
        return function()
    return at_stack_depth(frames - 1, function)


def interrupted(function, seconds=DEADLINE_SECONDS):
    """Run ``function`` until a timer raises ``Deadline`` inside
    Python-Markdown's conversion. The timer repeats: a signal that lands in
    a garbage-collector callback is swallowed there, and the next one stops
    the conversion (Python reports the swallowed one as "unraisable": that
    report is dropped here, as it is the timer's own doing); a tick outside
    the conversion (after it was stopped, before the timer is cleared) is
    ignored."""

    def expire(signum, frame):
        if _inside_markdown(frame):
            raise Deadline

    previous_hook = sys.unraisablehook

    def drop_swallowed_deadline(unraisable):
        if not isinstance(unraisable.exc_value, Deadline):
            previous_hook(unraisable)

    previous = signal.signal(signal.SIGALRM, expire)
    sys.unraisablehook = drop_swallowed_deadline
    signal.setitimer(signal.ITIMER_REAL, seconds, DEADLINE_REPEAT_SECONDS)
    try:
        with pytest.raises(Deadline):
            function()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        sys.unraisablehook = previous_hook


def _inside_markdown(frame):
    while frame is not None:
        if f"{os.sep}markdown{os.sep}" in frame.f_code.co_filename:
            return True
        frame = frame.f_back
    return False


@pytest.mark.parametrize("extra_frames", range(4))
@pytest.mark.parametrize("body", [DEEP_LIST, DEEP_QUOTE], ids=["list", "quote"])
def test_too_deep_markup_is_refused_and_leaves_no_state(fresh_process_html, body, extra_frames):
    with pytest.raises(MarkupTooComplex):
        at_stack_depth(extra_frames, lambda: render_markdown(body))
    assert_renders_as_fresh(fresh_process_html)


def _stack_left_for(headroom: int) -> int:
    return sys.getrecursionlimit() - len(traceback.extract_stack()) - headroom


def _headrooms_running_out_mid_parse(body: str) -> list[int]:
    """The stack headrooms (frames left below the limit) at which rendering
    ``body`` runs out of stack inside the conversion (MarkupTooComplex), found
    by trying: how deep Python-Markdown's block parser recurses differs
    between its releases (3.11.4 needs far fewer frames for a list than
    3.11.3). With less headroom still, our own checks run out before the
    conversion starts (a plain RecursionError), which is not this test's
    case."""
    found = []
    for headroom in range(200, 0, -1):
        try:
            at_stack_depth(_stack_left_for(headroom), lambda: render_markdown(body))
        except MarkupTooComplex:
            found.append(headroom)
        except RecursionError:
            pass
        # A failure drops the converter: each try starts with one built, as
        # the test's own does.
        render_markdown(ORDINARY)
    return found


@pytest.mark.parametrize("attempt", range(4))
def test_running_out_of_stack_mid_parse_leaves_no_state(fresh_process_html, attempt):
    # Nesting within the limit, but almost no stack left: the recursion
    # fails inside Python-Markdown's block parser, part-way through.
    body = "\n".join("    " * i + f"- level {i}" for i in range(MAX_NESTING_DEPTH))
    headrooms = _headrooms_running_out_mid_parse(body)
    assert headrooms, "no stack depth made the conversion run out part-way"
    headroom = headrooms[attempt % len(headrooms)]
    render_markdown(ORDINARY)
    with pytest.raises(MarkupTooComplex):
        at_stack_depth(_stack_left_for(headroom), lambda: render_markdown(body))
    assert_renders_as_fresh(fresh_process_html)


@pytest.mark.parametrize("name", SLOW_INPUTS)
def test_conversion_stopped_part_way_leaves_no_state(fresh_process_html, name):
    interrupted(lambda: render_markdown(SLOW_INPUTS[name]))
    assert_renders_as_fresh(fresh_process_html)


def render_cache_key(body):
    return f"wiki:render:{RENDER_VERSION}:{hashlib.sha256(body.encode()).hexdigest()}"


def test_conversion_stopped_part_way_caches_nothing():
    cached_render(ORDINARY)
    assert cache.get(render_cache_key(ORDINARY)) is not None
    body = SLOW_INPUTS["unclosed brackets"]
    interrupted(lambda: cached_render(body))
    assert cache.get(render_cache_key(body)) is None


def test_nesting_depth_counts_lists_and_quotes():
    assert nesting_depth("Plain text.\n\nMore.") == 0
    assert nesting_depth("- a\n    - b\n        - c") == 2
    assert nesting_depth("> > quoted\n") == 2
    assert nesting_depth("> - a\n>     - b") == 2


def test_nesting_depth_ignores_fenced_code():
    code = "```\n" + "\n".join(" " * 4 * i + "x" for i in range(60)) + "\n```\n"
    assert nesting_depth(code) == 0
    render_markdown(code)


@pytest.mark.django_db
def test_too_deep_list_is_a_form_error_and_the_next_page_renders(moderator_client):
    for action in ({"preview": "1"}, {}):
        response = moderator_client.post("/wiki/Deep/edit/", edit_data(DEEP_LIST, **action))
        assert response.status_code == 400
        assert "nested 399 levels deep" in response.content.decode()
    assert not Page.objects.filter(title="Deep").exists()

    response = moderator_client.post("/wiki/Ordinary/edit/", edit_data(ORDINARY))
    assert response.status_code == 302
    html = moderator_client.get("/wiki/Ordinary/").content.decode()
    assert "<strong>bold</strong>" in html
    assert "<li>one</li>" in html
    assert "**bold**" not in html


@pytest.mark.django_db
def test_stored_body_too_deep_to_render_is_explained_to_readers(client, make_page):
    # A body stored before the limit existed (or loaded by an import).
    page = make_page("Old deep page", "Short for now.")
    Page.objects.filter(pk=page.pk).update(body=DEEP_LIST)
    response = client.get("/wiki/Old_deep_page/")
    assert response.status_code == 200
    assert "cannot be shown" in response.content.decode()
