"""The header box's suggestions in a real browser: a misspelt drug name is
suggested and opened by keyboard, mouse and touch; the list follows the ARIA
combobox pattern; axe-core finds nothing with it open on a 320 px phone and
on a desktop; without JavaScript the box still searches. Saves
test-results/search-suggestions-phone.png."""

import os

import pytest
from playwright.sync_api import expect

from tests.browser import (
    BEST_PRACTICE_TAGS,
    WCAG_TAGS,
    axe_violations,
    has_horizontal_overflow,
    load_demo,
    requires_browser,
)

pytestmark = [requires_browser, pytest.mark.browser, pytest.mark.usefixtures("plain_static")]

PHONE = {"width": 320, "height": 640}
DESKTOP = {"width": 1280, "height": 800}


@pytest.fixture
def demo(transactional_db):
    load_demo()


def search_box(page):
    return page.get_by_role("combobox", name="Search the wiki")


def suggestions(page):
    return page.get_by_role("listbox", name="Suggested pages")


def type_in_box(page, text: str):
    """Type ``text`` into the header box as a person would, and wait for the
    list of suggestions to open."""
    box = search_box(page)
    box.click()
    page.keyboard.type(text, delay=30)
    suggestions(page).wait_for()
    return box


def option_titles(page) -> list[str]:
    return suggestions(page).get_by_role("option").all_inner_texts()


def chosen(page) -> str:
    """The text of the option the box's aria-activedescendant names ("" if
    none), checking that it is the one marked selected."""
    option_id = search_box(page).get_attribute("aria-activedescendant")
    if not option_id:
        return ""
    option = page.locator(f"#{option_id}")
    assert option.get_attribute("aria-selected") == "true"
    assert page.locator('[role="option"][aria-selected="true"]').count() == 1
    return option.inner_text()


def press_down_to(page, title: str):
    for _ in option_titles(page):
        page.keyboard.press("ArrowDown")
        if chosen(page) == title:
            return
    raise AssertionError(f"ArrowDown never chose {title!r}")


def test_misspelt_name_is_suggested_and_enter_opens_it(page, live_server, demo, console_errors):
    page.goto(f"{live_server.url}/")
    box = type_in_box(page, "proleukn")
    assert "Proleukin" in option_titles(page)
    assert box.get_attribute("aria-expanded") == "true"
    assert box.get_attribute("aria-controls") == "search-suggestions"
    press_down_to(page, "Proleukin")
    page.keyboard.press("Enter")
    page.wait_for_url("**/wiki/Proleukin/")
    assert page.locator("h1").inner_text() == "Interleukin-2"
    assert console_errors == []


def test_a_click_on_a_suggestion_opens_it(page, live_server, demo, console_errors):
    page.goto(f"{live_server.url}/wiki/Sunitinib/")
    type_in_box(page, "temsirolimis")
    suggestions(page).get_by_role("option", name="Temsirolimus").click()
    page.wait_for_url("**/wiki/Temsirolimus/")
    assert page.locator("h1").inner_text() == "Temsirolimus"
    assert console_errors == []


def test_a_tap_on_a_suggestion_opens_it_on_a_phone(browser, live_server, demo):
    context = browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True)
    page = context.new_page()
    page.goto(f"{live_server.url}/")
    search_box(page).tap()
    page.keyboard.type("sunitnib", delay=30)
    option = suggestions(page).get_by_role("option", name="Sunitinib")
    option.wait_for()
    assert option.bounding_box()["height"] >= 44
    option.tap()
    page.wait_for_url("**/wiki/Sunitinib/")
    assert page.locator("h1").inner_text() == "Sunitinib"
    context.close()


def test_suggestions_by_keyboard_alone(page, live_server, demo, console_errors):
    page.goto(f"{live_server.url}/wiki/Interleukin-2/")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "search"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "search-input"
    page.keyboard.type("s", delay=30)
    suggestions(page).wait_for()
    titles = option_titles(page)
    assert len(titles) >= 2
    assert chosen(page) == ""
    page.keyboard.press("ArrowDown")
    assert chosen(page) == titles[0]
    page.keyboard.press("ArrowDown")
    assert chosen(page) == titles[1]
    page.keyboard.press("ArrowUp")
    assert chosen(page) == titles[0]
    page.keyboard.press("ArrowUp")
    assert chosen(page) == titles[-1]
    # The focus never left the box.
    assert page.evaluate("document.activeElement.id") == "search-input"
    page.keyboard.press("Escape")
    assert suggestions(page).is_hidden()
    assert search_box(page).get_attribute("aria-expanded") == "false"
    assert chosen(page) == ""
    assert search_box(page).input_value() == "s"
    # Down opens the list again at its first suggestion.
    page.keyboard.press("ArrowDown")
    expect(suggestions(page)).to_be_visible()
    assert chosen(page) == titles[0]
    page.keyboard.press("Escape")
    # More letters, with a typo: a new list, and Enter opens the chosen page.
    page.keyboard.type("unitnib", delay=30)
    suggestions(page).get_by_role("option", name="Sunitinib").wait_for()
    press_down_to(page, "Sunitinib")
    page.keyboard.press("Enter")
    page.wait_for_url("**/wiki/Sunitinib/")
    assert console_errors == []


def test_enter_without_a_chosen_suggestion_searches(page, live_server, demo, console_errors):
    page.goto(f"{live_server.url}/")
    type_in_box(page, "proleukn")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search/?q=proleukn")
    assert page.locator(".did-you-mean").get_by_role("link").first.inner_text() == "Proleukin"
    assert console_errors == []


def test_tab_and_a_click_elsewhere_close_the_list(page, live_server, demo):
    page.goto(f"{live_server.url}/")
    type_in_box(page, "proleukn")
    page.keyboard.press("Tab")
    assert suggestions(page).is_hidden()
    assert search_box(page).get_attribute("aria-expanded") == "false"
    search_box(page).click()
    expect(suggestions(page)).to_be_visible()
    page.locator("h1").click()
    assert suggestions(page).is_hidden()


def test_typing_asks_the_server_once_it_pauses(page, live_server, demo):
    asked = []
    page.on("request", lambda request: "/search/suggest/" in request.url and asked.append(1))
    page.goto(f"{live_server.url}/")
    type_in_box(page, "proleukn")
    # Eight keys, 30 ms apart: without the pause, eight requests.
    assert 1 <= len(asked) < len("proleukn")


def test_a_query_without_suggestions_keeps_the_list_closed(page, live_server, demo):
    page.goto(f"{live_server.url}/")
    with page.expect_response(lambda response: "/search/suggest/" in response.url):
        search_box(page).click()
        page.keyboard.type("zzqx", delay=30)
    assert suggestions(page).is_hidden()
    assert search_box(page).get_attribute("aria-expanded") == "false"
    page.keyboard.press("ArrowDown")
    assert suggestions(page).is_hidden()
    assert page.get_by_role("status").filter(has_text="No suggestions.").count() == 1


def placeholder_fits(page) -> bool:
    """Whether the header box is wide enough to show its whole placeholder."""
    return page.evaluate(
        """() => {
            const box = document.getElementById('search-input');
            const style = getComputedStyle(box);
            const context = document.createElement('canvas').getContext('2d');
            context.font = style.font;
            const room = box.clientWidth - parseFloat(style.paddingLeft)
                - parseFloat(style.paddingRight);
            return box.placeholder !== '' && context.measureText(box.placeholder).width <= room;
        }"""
    )


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone-320", "desktop"])
def test_open_suggestions_have_no_axe_violations(browser, live_server, demo, viewport):
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    page.goto(f"{live_server.url}/wiki/Interleukin-2/")
    assert placeholder_fits(page)
    # The button keeps its word on one line (44 px high, not two lines' 69).
    assert page.locator(".site-search button").bounding_box()["height"] <= 46
    type_in_box(page, "proleukn")
    press_down_to(page, "Proleukin")
    assert not has_horizontal_overflow(page)
    if viewport == PHONE:
        os.makedirs("test-results", exist_ok=True)
        page.screenshot(path="test-results/search-suggestions-phone.png")
    assert axe_violations(page, WCAG_TAGS + BEST_PRACTICE_TAGS) == []
    context.close()


def test_without_javascript_the_box_searches(browser, live_server, demo):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server.url}/")
    box = page.get_by_label("Search the wiki")
    assert box.get_attribute("role") is None
    assert box.get_attribute("placeholder") == "Search treatments"
    box.fill("proleukn")
    box.press("Enter")
    page.wait_for_url("**/search/?q=proleukn")
    assert page.locator(".did-you-mean").get_by_role("link").first.inner_text() == "Proleukin"
    context.close()
