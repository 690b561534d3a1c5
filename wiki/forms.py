"""Forms: validation only, no saving (the views call wiki.services)."""

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat

from wiki.content import KIND_CHOICES, RELATED
from wiki.display import cached_render
from wiki.glossary import MAX_SYNONYMS, check_name, split_synonyms
from wiki.models import (
    MAX_GLOSSARY_DEFINITION_LENGTH,
    MAX_GLOSSARY_NAME_LENGTH,
    MAX_GLOSSARY_SUMMARY_LENGTH,
    MAX_REVIEW_NOTE_LENGTH,
    MAX_REVIEWER_LENGTH,
    ProblemReason,
)
from wiki.reviews import add_months, check_review_dates
from wiki.titles import MAX_TITLE_LENGTH, validate_title

# The most an edit summary or a move's reason may say.
SUMMARY_MAX_LENGTH = 500


class EditForm(forms.Form):
    """The edit form: markdown body, edit summary, the revision the edit
    started from, and the page's metadata."""

    body = forms.CharField(
        label="Page text (markdown)",
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 25, "cols": 80, "spellcheck": "true"}),
        help_text="Link to another page with [[Title]] or [[Title|words to show]].",
    )
    summary = forms.CharField(
        label="Edit summary",
        required=False,
        max_length=SUMMARY_MAX_LENGTH,
        help_text="Briefly describe what you changed and why.",
    )
    base_revision = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)
    article_date = forms.DateField(
        label="Article date",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="Only for articles: the date the article was published.",
    )
    source_url = forms.URLField(
        label="Source address", required=False, max_length=500, assume_scheme="https"
    )
    source_name = forms.CharField(label="Source name", required=False, max_length=255)

    def clean_body(self):
        body = self.cleaned_data["body"].replace("\r\n", "\n")
        limit = settings.WIKI_MAX_BODY_BYTES
        size = len(body.encode("utf-8"))
        if size > limit:
            raise ValidationError(
                "The page text is %(size)s; the most a page may hold is %(limit)s. "
                "Split it into several pages.",
                params={"size": filesizeformat(size), "limit": filesizeformat(limit)},
                code="too_large",
            )
        # Rendered here, before any save, so that markup the renderer cannot
        # take is a form error; the preview and the save reuse this render.
        cached_render(body)
        return body


class CrossLinkForm(forms.Form):
    """One "Related pages" entry or dated "see separate page" note."""

    kind = forms.ChoiceField(label="Kind", choices=KIND_CHOICES, initial=RELATED)
    target_title = forms.CharField(label="Page title", max_length=MAX_TITLE_LENGTH)
    note_date = forms.DateField(
        label="Note date",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    label = forms.CharField(label="Label", required=False, max_length=255)
    # The save service cleans the cross-link (wiki.content, as for every
    # caller); its ValidationError comes back to this form as an error.


# Empty rows offered below the page's cross-links, and the most a page may have.
EXTRA_CROSSLINK_ROWS = 2
MAX_CROSSLINKS = 50
CrossLinkFormSet = forms.formset_factory(
    CrossLinkForm, extra=EXTRA_CROSSLINK_ROWS, can_delete=True, max_num=MAX_CROSSLINKS
)


class MoveForm(forms.Form):
    new_title = forms.CharField(label="New title", max_length=MAX_TITLE_LENGTH)
    summary = forms.CharField(label="Reason", required=False, max_length=SUMMARY_MAX_LENGTH)

    def clean_new_title(self):
        return validate_title(self.cleaned_data["new_title"])


class RecoverForm(forms.Form):
    """Recovering a deleted page (admin): the title to bring it back under.
    Left empty, the page comes back under the title it had."""

    new_title = forms.CharField(
        label="Recover as",
        required=False,
        max_length=MAX_TITLE_LENGTH,
        help_text="The title the page comes back under. Another page may have its "
        "old title by now: then give it a new one.",
    )

    def clean_new_title(self):
        title = self.cleaned_data["new_title"]
        return validate_title(title) if title.strip() else None


class RecentChangesForm(forms.Form):
    DAY_CHOICES = [(1, "1 day"), (3, "3 days"), (7, "7 days"), (30, "30 days"), (90, "90 days")]
    LIMIT_CHOICES = [(50, "50"), (100, "100"), (250, "250"), (500, "500")]
    DEFAULT_DAYS, DEFAULT_LIMIT = 30, 50

    days = forms.TypedChoiceField(
        label="Days", choices=DAY_CHOICES, coerce=int, required=False, empty_value=DEFAULT_DAYS
    )
    limit = forms.TypedChoiceField(
        label="Show", choices=LIMIT_CHOICES, coerce=int, required=False, empty_value=DEFAULT_LIMIT
    )


# The most a problem report's details (and a moderator's closing note) may say.
REPORT_DETAILS_MAX_LENGTH = 1000
# RFC 5321's limit on a forward path, as Django's model EmailField.
CONTACT_MAX_LENGTH = 254


def _text_with_newlines(value: str) -> str:
    # Browsers count a line break as one character against maxlength but
    # send it as CR LF: count it once here too.
    return value.replace("\r\n", "\n")


class ProblemReportForm(forms.Form):
    """A reader's "Report a problem with this page"."""

    reason = forms.ChoiceField(
        label="What is wrong with this page?",
        choices=ProblemReason.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Please choose what is wrong with the page.",
            "invalid_choice": "Please choose one of the reasons listed.",
        },
    )
    details = forms.CharField(
        label="Details (optional)",
        required=False,
        widget=forms.Textarea(
            attrs={"rows": 6, "cols": 60, "maxlength": REPORT_DETAILS_MAX_LENGTH}
        ),
        help_text=(
            f"At most {REPORT_DETAILS_MAX_LENGTH:,} characters. Which part is wrong, and what "
            "should it say? Please do not include personal medical details."
        ),
    )
    contact = forms.EmailField(
        label="Your e-mail address (optional)",
        required=False,
        max_length=CONTACT_MAX_LENGTH,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        help_text="Only if you would like us to reply. Only our moderators will see it.",
        error_messages={"invalid": "Please enter a full e-mail address, or leave it empty."},
    )

    def clean_details(self):
        details = _text_with_newlines(self.cleaned_data["details"])
        if len(details) > REPORT_DETAILS_MAX_LENGTH:
            raise ValidationError(
                "The details are %(length)s characters long; please keep them to "
                "%(limit)s or fewer.",
                params={"length": f"{len(details):,}", "limit": f"{REPORT_DETAILS_MAX_LENGTH:,}"},
                code="too_long",
            )
        return details


class CloseReportForm(forms.Form):
    """A moderator closing a problem report, with a note of what was done."""

    report = forms.IntegerField(min_value=1, max_value=2**63 - 1, widget=forms.HiddenInput)
    note = forms.CharField(
        label="Note (what was done)",
        required=False,
        widget=forms.Textarea(
            attrs={"rows": 2, "cols": 40, "maxlength": REPORT_DETAILS_MAX_LENGTH}
        ),
    )

    def clean_note(self):
        note = _text_with_newlines(self.cleaned_data["note"])
        if len(note) > REPORT_DETAILS_MAX_LENGTH:
            raise ValidationError(
                "The note may be at most %(limit)s characters long.",
                params={"limit": f"{REPORT_DETAILS_MAX_LENGTH:,}"},
                code="too_long",
            )
        return note


class ReviewForm(forms.Form):
    """A clinical review of the page's current revision (DESIGN.md's fields).
    ``next_review_due`` may be left empty: the service then takes
    ``reviewed_on`` plus the site's interval, which the view fills in as the
    initial value."""

    reviewer = forms.CharField(
        label="Reviewer",
        max_length=MAX_REVIEWER_LENGTH,
        help_text='Name and role as readers will see them, e.g. "Dr A. Patel, consultant '
        'oncologist".',
        error_messages={"required": "Say who reviewed the page: their name and role."},
    )
    reviewed_on = forms.DateField(
        label="Date of review",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={
            "required": "Give the date of the review.",
            "invalid": "Give the date of the review as a date, like 2026-03-31.",
        },
    )
    next_review_due = forms.DateField(
        label="Next review due",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="Leave empty for the site's usual interval after the date of review.",
        error_messages={"invalid": "Give the next review date as a date, like 2029-03-31."},
    )
    note = forms.CharField(
        label="Note for moderators",
        required=False,
        max_length=MAX_REVIEW_NOTE_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        help_text="Optional: what was checked or changed. Readers do not see it.",
    )

    def __init__(self, *args, interval_months: int, today, **kwargs):
        super().__init__(*args, **kwargs)
        self.interval_months = interval_months
        self.today = today

    def clean(self):
        cleaned = super().clean()
        reviewed_on = cleaned.get("reviewed_on")
        if reviewed_on is None:
            return cleaned
        if cleaned.get("next_review_due") is None and "next_review_due" not in self.errors:
            cleaned["next_review_due"] = add_months(reviewed_on, self.interval_months)
        if "next_review_due" in self.errors:
            return cleaned
        try:
            check_review_dates(reviewed_on, cleaned["next_review_due"], on=self.today)
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                for message in messages:
                    self.add_error(field, message)
        return cleaned


class GlossaryTermForm(forms.Form):
    """A glossary entry: term, synonyms, plain-text definition, an edit
    summary and the revision the edit started from."""

    term = forms.CharField(
        label="Term",
        max_length=MAX_GLOSSARY_NAME_LENGTH,
        help_text="As readers meet it on a page, e.g. “nephrectomy” or “mRCC”.",
    )
    synonyms = forms.CharField(
        label="Synonyms and abbreviations",
        required=False,
        max_length=(MAX_GLOSSARY_NAME_LENGTH + 1) * MAX_SYNONYMS,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text="Other names for the same thing, one a line or separated by commas, "
        "e.g. “metastatic renal cell carcinoma”.",
    )
    definition = forms.CharField(
        label="Definition in plain words",
        max_length=MAX_GLOSSARY_DEFINITION_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60, "spellcheck": "true"}),
        help_text=f"Plain text, at most {MAX_GLOSSARY_DEFINITION_LENGTH} characters, "
        "written for a patient reading it for the first time.",
    )
    summary = forms.CharField(
        label="Edit summary", required=False, max_length=MAX_GLOSSARY_SUMMARY_LENGTH
    )
    base_revision = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)

    def clean_term(self):
        return check_name(self.cleaned_data["term"])

    def clean_synonyms(self):
        synonyms = [check_name(name) for name in split_synonyms(self.cleaned_data["synonyms"])]
        if len(synonyms) > MAX_SYNONYMS:
            raise ValidationError(
                "An entry may have at most %(limit)s synonyms.", params={"limit": MAX_SYNONYMS}
            )
        return synonyms
