import pytest
from django.core.exceptions import ValidationError

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
