import pytest
from django.core.exceptions import ValidationError

from wiki.models import Page
from wiki.titles import (
    canonical_title,
    slug_to_title,
    title_key,
    title_to_slug,
    validate_title,
)


@pytest.mark.parametrize(
    "spelling",
    [
        "High Dose Interleukin-2",
        "high dose interleukin-2",
        "HIGH DOSE INTERLEUKIN-2",
        "High_Dose_Interleukin-2",
        "  High   Dose__Interleukin-2 ",
        "High\tDose Interleukin-2",
        "high_DOSE_interleukin-2",
    ],
)
def test_spellings_of_one_title_share_a_key(spelling):
    assert title_key(spelling) == title_key("High Dose Interleukin-2")


def test_composed_and_decomposed_unicode_share_a_key():
    assert title_key("Ame\u0301lie") == title_key("Am\u00e9lie")


def test_different_titles_have_different_keys():
    assert title_key("IL-2") != title_key("IL-21")


def test_slug_round_trip():
    title = "High Dose Interleukin-2"
    assert title_to_slug(title) == "High_Dose_Interleukin-2"
    assert slug_to_title(title_to_slug(title)) == title


def test_canonical_title_keeps_letter_case():
    assert canonical_title(" interleukin_2 ") == "interleukin 2"


@pytest.mark.parametrize("character", list("/#?[]{}|<>"))
def test_forbidden_characters_are_refused(character):
    with pytest.raises(ValidationError):
        validate_title(f"Bad{character}Title")


@pytest.mark.parametrize("raw", ["", "   ", "___", "x" * 256, "Tab\x00Nul", "Zero\u200bwidth"])
def test_invalid_titles_are_refused(raw):
    with pytest.raises(ValidationError):
        validate_title(raw)


def test_longest_allowed_title_is_accepted():
    assert validate_title("x" * 255) == "x" * 255


@pytest.mark.parametrize("raw", [".", "..", " . ", "_.._", "_._"])
def test_dot_segment_titles_are_refused(raw):
    with pytest.raises(ValidationError) as error:
        validate_title(raw)
    assert error.value.code == "dot_segment"


@pytest.mark.parametrize("title", ["...", ".x", "x.", ". .", "Dr. No"])
def test_titles_with_dots_that_are_not_dot_segments_are_accepted(title):
    assert validate_title(title) == title


@pytest.mark.parametrize("title", [".", ".."])
def test_moving_a_page_to_a_dot_segment_title_is_a_form_error(moderator_client, make_page, title):
    make_page("Old Name", "Body.")
    response = moderator_client.post("/wiki/Old_Name/move/", {"new_title": title})
    assert response.status_code == 400
    assert "A title cannot be “.” or “..”" in response.content.decode()
    assert list(Page.objects.values_list("title", flat=True)) == ["Old Name"]


@pytest.mark.parametrize("slug", [".", "..", "%2e", "%2E%2e"])
def test_editing_a_dot_segment_title_is_refused(moderator_client, db, slug):
    response = moderator_client.post(f"/wiki/{slug}/edit/", {"body": "Text.", "summary": "x"})
    assert response.status_code == 400
    assert "A title cannot be “.” or “..”" in response.content.decode()
    assert not Page.objects.exists()


def test_wiki_link_to_a_dot_segment_makes_no_page_url():
    from wiki.rendering import render_markdown

    html = render_markdown("[[.]] and [[..]]").html
    assert 'href="/wiki/./' not in html
    assert 'href="/wiki/../' not in html
