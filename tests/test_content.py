"""wiki.content: the one shape of a page's content, and its one clean()."""

import datetime
import json

import pytest
from django.core.exceptions import ValidationError
from reversion.models import Version

from wiki.content import RELATED, SEE_SEPARATE, CrossLinkContent, PageContent, empty_metadata
from wiki.forms import CrossLinkFormSet, EditForm
from wiki.models import Page


def test_clean_normalizes_title_label_and_missing_kind():
    link = CrossLinkContent(kind="", target_title="  il_21 ", label=" IL-21 ").clean()
    assert link == CrossLinkContent(kind=RELATED, target_title="il 21", label="IL-21")


@pytest.mark.parametrize(
    "link",
    [
        CrossLinkContent(kind="odd", target_title="IL-21"),
        CrossLinkContent(kind=RELATED, target_title=""),
        CrossLinkContent(kind=RELATED, target_title="a|b"),
    ],
)
def test_clean_refuses_an_unknown_kind_or_an_impossible_title(link):
    with pytest.raises(ValidationError):
        PageContent(body="", crosslinks=(link,)).clean()


def test_edited_sets_only_what_it_is_given():
    link = CrossLinkContent(kind=SEE_SEPARATE, target_title="IL-21")
    content = PageContent(body="Old.", metadata={**empty_metadata(), "source_name": "A"})
    content = content.edited("New.", {"source_url": "https://example.org/"}, [link])
    assert content.body == "New."
    assert content.metadata == {
        "article_date": None,
        "source_url": "https://example.org/",
        "source_name": "A",
    }
    assert content.edited("Newer.").crosslinks == (link,)


def test_from_version_reads_what_from_page_reads(make_page):
    page = make_page(
        "Interleukin-2",
        "Text.",
        metadata={"article_date": datetime.date(2009, 5, 1), "source_name": "Journal"},
        crosslinks=[
            {"kind": "see", "target_title": "IL-21", "note_date": datetime.date(2007, 10, 23)},
            {"kind": "related", "target_title": "Low Dose Interleukin-2", "label": "Low dose"},
        ],
    )
    version = Version.objects.get_for_object(page).get(revision_id=page.current_revision_id)
    assert PageContent.from_version(version) == PageContent.from_page(page)


def test_from_version_reads_an_old_version_defensively(make_page):
    page = make_page("Interleukin-2", "Text.")
    version = Version.objects.get_for_object(page).get()
    version.serialized_data = json.dumps([{"fields": {"body": 42, "article_date": "someday"}}])
    content = PageContent.from_version(version, crosslink_versions=[])
    assert content == PageContent(body="")


def test_from_form_skips_empty_and_deleted_crosslink_rows(db):
    data = {
        "body": "Text.",
        "summary": "",
        "base_revision": "",
        "article_date": "2009-05-01",
        "source_url": "",
        "source_name": "Journal",
        "crosslinks-TOTAL_FORMS": "3",
        "crosslinks-INITIAL_FORMS": "0",
        "crosslinks-0-kind": "related",
        "crosslinks-0-target_title": "IL-21",
        "crosslinks-1-kind": "see",
        "crosslinks-1-target_title": "Deleted",
        "crosslinks-1-DELETE": "on",
        "crosslinks-2-kind": "related",
        "crosslinks-2-target_title": "",
    }
    form, formset = EditForm(data), CrossLinkFormSet(data, prefix="crosslinks")
    assert form.is_valid() and formset.is_valid()
    content = PageContent.from_form(form, formset)
    assert content == PageContent(
        body="Text.",
        metadata={
            "article_date": datetime.date(2009, 5, 1),
            "source_url": "",
            "source_name": "Journal",
        },
        crosslinks=(CrossLinkContent(kind=RELATED, target_title="IL-21"),),
    )


def test_an_unsaved_page_has_empty_content():
    assert PageContent.from_page(Page(title="New")) == PageContent(body="")
