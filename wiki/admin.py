import csv
import datetime

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import format_html, format_html_join
from reversion.admin import VersionAdmin
from reversion.models import Version

from wiki.diff import diff_texts
from wiki.disclaimers import (
    EMPTY_DISCLAIMER,
    add_disclaimer_version,
    check_disclaimer_text,
    current_disclaimer,
)
from wiki.feedback import (
    RECENT_VIEWS_DAYS,
    countries_enabled,
    no_vote_reasons,
    page_statistics,
    recent_views_start,
)
from wiki.forms import RecoverForm
from wiki.models import (
    DEFAULT_REVIEW_INTERVAL_MONTHS,
    DisclaimerVersion,
    Page,
    PageFeedback,
    PageReview,
    SiteSettings,
)
from wiki.services import delete_page, recover_page, recovery_title
from wiki.site import absolute_url


def page_links(page, *, feedback: bool = True):
    """Links from an admin row to the page itself, its information view
    (/wiki/<Title>/info/) and, unless ``feedback`` is False, its feedback
    review; each link's text names the page for screen readers."""
    links = [
        ("Read", page.get_absolute_url()),
        ("Info", reverse("wiki:page-info", kwargs={"slug": page.slug})),
    ]
    if feedback:
        links.append(("Feedback", reverse("admin:wiki_pagefeedback_change", args=[page.pk])))
    return format_html(
        '<span class="page-links">{}</span>',
        format_html_join(
            " · ",
            '<a href="{}">{}<span class="visually-hidden"> ({})</span></a>',
            ((url, text, page.title) for text, url in links),
        ),
    )


@admin.register(Page)
class PageAdmin(VersionAdmin):
    """Pages are written through the wiki's edit form (which makes the
    revision, the link table and the render state); the admin lists them,
    shows their django-reversion history, deletes and recovers."""

    list_display = ["title", "is_redirect", "article_date", "updated_at", "links_column"]
    list_filter = ["article_date"]
    search_fields = ["title"]
    readonly_fields = [
        "title",
        "links_column",
        "body",
        "article_date",
        "source_url",
        "source_name",
        "redirect_to",
    ]
    fields = readonly_fields
    change_list_template = "admin/wiki/page/change_list.html"

    def can_recover(self, request) -> bool:
        """Whether the user may recover deleted pages (the permission to add
        one, which only the recover views grant here)."""
        return super().has_add_permission(request)

    def has_add_permission(self, request):
        # Pages are created in the wiki; here "add" only means recovering a
        # deleted page (django-reversion's recover views check add).
        match = getattr(request, "resolver_match", None)
        is_recover = match is not None and match.url_name in {
            "wiki_page_recover",
            "wiki_page_recoverlist",
        }
        return is_recover and self.can_recover(request)

    @admin.display(boolean=True, description="Redirect")
    def is_redirect(self, page):
        return page.is_redirect

    @admin.display(description="Links")
    def links_column(self, page):
        return page_links(page)

    def changelist_view(self, request, extra_context=None):
        # django-reversion shows its "Recover deleted pages" link only to a
        # user who may add pages, and no one may here outside the recover views.
        extra_context = {"can_recover": self.can_recover(request), **(extra_context or {})}
        return super().changelist_view(request, extra_context)

    def delete_model(self, request, obj):
        # Through the service, so pages linking here show the link as missing.
        delete_page(obj, request.user)

    def delete_queryset(self, request, queryset):
        for page in queryset:
            delete_page(page, request.user)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # Read-only here: edits go through the wiki, which makes the revision.
        extra_context = {
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
            **(extra_context or {}),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        """Nothing to save: every field is read-only here, and a save would
        make a django-reversion revision outside the wiki's history."""

    def recover_view(self, request, version_id, extra_context=None):
        """Recover a deleted page through the wiki's own service (GET asks,
        offering its old title or, when that is taken, "Title (recovered)";
        POST recovers under the title given). Replaces django-reversion's
        view, which reverts raw rows: that would skip the page's key,
        timestamps and link table. A title taken meanwhile is a 409 with the
        form again."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        version = get_object_or_404(
            Version, pk=version_id, content_type=ContentType.objects.get_for_model(Page)
        )
        page_id = int(version.object_id)
        data = request.POST if request.method == "POST" else None
        form = RecoverForm(data, initial={"new_title": recovery_title(page_id)})
        status = 200
        if request.method == "POST":
            status = 400
            if form.is_valid():
                try:
                    page = recover_page(
                        page_id, user=request.user, title=form.cleaned_data["new_title"]
                    )
                except ValidationError as error:
                    if error.code != "title_taken":
                        self.message_user(request, " ".join(error.messages), messages.ERROR)
                        return redirect("admin:wiki_page_changelist")
                    form.add_error("new_title", error)
                    status = 409
                else:
                    self.message_user(request, f"“{page.title}” is back, with its whole history.")
                    return redirect("admin:wiki_page_change", page.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Recover {version.object_repr}",
            "version": version,
            "form": form,
            **(extra_context or {}),
        }
        return TemplateResponse(
            request, "admin/wiki/page/recover_confirm.html", context, status=status
        )

    def revision_view(self, request, object_id, version_id, extra_context=None):
        """An old version is shown by the wiki's own revision page."""
        version = get_object_or_404(Version, pk=version_id, object_id=object_id)
        page = get_object_or_404(Page, pk=object_id)
        return redirect("wiki:page-revision", slug=page.slug, revision_id=version.revision_id)


class DisclaimerVersionForm(forms.ModelForm):
    """A new wording of the disclaimer; the service checks and numbers it."""

    class Meta:
        model = DisclaimerVersion
        fields = ["text", "short_text"]
        error_messages = {
            "text": {"required": EMPTY_DISCLAIMER},
            "short_text": {"required": EMPTY_DISCLAIMER},
        }

    def clean(self):
        cleaned = super().clean()
        if "text" in cleaned and "short_text" in cleaned:
            # What the service would refuse, as form errors instead of a 500.
            try:
                check_disclaimer_text(cleaned["text"], cleaned["short_text"])
            except ValidationError as error:
                raise forms.ValidationError(error.messages) from error
        return cleaned


@admin.register(DisclaimerVersion)
class DisclaimerVersionAdmin(admin.ModelAdmin):
    """The versions of the medical disclaimer, newest first. "Add" saves a
    new version (offered with the current text to start from); an existing
    version is shown read-only with what changed from the one before it, and
    can be neither changed nor deleted."""

    form = DisclaimerVersionForm
    list_display = ["number", "created_at", "created_by", "short_text", "is_current"]
    list_display_links = ["number"]
    ordering = ["-number"]
    fields = ["text", "short_text"]
    readonly_fields = ["number", "created_at", "created_by"]
    change_form_template = "admin/wiki/disclaimerversion/change_form.html"

    @admin.display(boolean=True, description="Current")
    def is_current(self, version):
        return version.number == current_disclaimer().number

    def get_fields(self, request, obj=None):
        return ["number", "created_at", "created_by", *self.fields] if obj else self.fields

    def get_changeform_initial_data(self, request):
        current = current_disclaimer()
        return {"text": current.text, "short_text": current.short_text}

    def has_change_permission(self, request, obj=None):
        # Never rewritten: a new wording is a new version.
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        saved = add_disclaimer_version(obj.text, obj.short_text, user=request.user)
        obj.pk = saved.pk
        obj.refresh_from_db()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """One version, read-only, with the changes from the version before."""
        version = self.get_object(request, object_id)
        previous = None
        if version is not None:
            previous = (
                DisclaimerVersion.objects.filter(number__lt=version.number)
                .order_by("-number")
                .first()
            )
        extra_context = {
            "previous_version": previous,
            "text_changes": previous and diff_texts(previous.text, version.text),
            "short_text_changes": previous and diff_texts(previous.short_text, version.short_text),
            **(extra_context or {}),
        }
        return super().change_view(request, object_id, form_url, extra_context)


class SiteSettingsForm(forms.ModelForm):
    class Meta:
        model = SiteSettings
        fields = ["review_interval_months"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Left empty, the interval is the default (3 years).
        self.fields["review_interval_months"].required = False

    def clean_review_interval_months(self):
        value = self.cleaned_data.get("review_interval_months")
        return DEFAULT_REVIEW_INTERVAL_MONTHS if value is None else value


@admin.register(SiteSettings)
class SiteSettingsAdmin(admin.ModelAdmin):
    """The site's settings: the interval between clinical reviews. (The
    disclaimer has its own versions: ``DisclaimerVersionAdmin``.)"""

    form = SiteSettingsForm

    def has_add_permission(self, request):
        return not SiteSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


class VoteDateFilter(admin.ListFilter):
    """Count only the votes cast (or last changed) between two dates, given
    as ``voted_from`` and ``voted_to`` (inclusive, ISO dates, either may be
    left out), and list only the pages that had one. Offers a few recent
    periods as links and a form for any range."""

    title = "date of vote"
    template = "admin/wiki/pagefeedback/vote_date_filter.html"
    FROM, TO = "voted_from", "voted_to"
    PRESETS = [("Past 7 days", 7), ("Past 30 days", 30), ("Past 90 days", 90), ("Past year", 365)]

    def __init__(self, request, params, model, model_admin):
        super().__init__(request, params, model, model_admin)
        for name in (self.FROM, self.TO):
            if name in params:
                value = params.pop(name)
                value = value[-1] if isinstance(value, list) else value
                if value:
                    self.used_parameters[name] = value
        self.hidden_parameters = []

    @classmethod
    def window(cls, request) -> tuple[datetime.datetime | None, datetime.datetime | None]:
        """The (from, until) datetimes the request asks for; until is
        exclusive. Raises IncorrectLookupParameters for a date that is not
        one."""
        bounds = []
        for name, extra_days in ((cls.FROM, 0), (cls.TO, 1)):
            text = request.GET.get(name, "")
            if not text:
                bounds.append(None)
                continue
            try:
                day = datetime.date.fromisoformat(text)
            except ValueError as error:
                raise IncorrectLookupParameters(f"{name}: {text!r} is not a date") from error
            start = datetime.datetime.combine(
                day + datetime.timedelta(days=extra_days), datetime.time()
            )
            bounds.append(timezone.make_aware(start))
        return bounds[0], bounds[1]

    def has_output(self):
        return True

    def expected_parameters(self):
        return [self.FROM, self.TO]

    def queryset(self, request, queryset):
        if self.used_parameters:
            return queryset.filter(total_votes__gt=0)
        return queryset

    def choices(self, changelist):
        self.hidden_parameters = [
            (name, value)
            for name, value in changelist.get_filters_params().items()
            if name not in (self.FROM, self.TO)
        ] + [(name, changelist.params[name]) for name in ("q", "o") if changelist.params.get(name)]
        yield {
            "selected": not self.used_parameters,
            "query_string": changelist.get_query_string(remove=[self.FROM, self.TO]),
            "display": "Any date",
        }
        today = timezone.localdate()
        for label, days in self.PRESETS:
            since = (today - datetime.timedelta(days=days - 1)).isoformat()
            yield {
                "selected": self.used_parameters == {self.FROM: since},
                "query_string": changelist.get_query_string({self.FROM: since}, [self.TO]),
                "display": label,
            }

    @property
    def from_value(self):
        return self.used_parameters.get(self.FROM, "")

    @property
    def to_value(self):
        return self.used_parameters.get(self.TO, "")


class PageKindFilter(admin.SimpleListFilter):
    """Content pages only unless asked: redirects have no text of their own
    (their readers vote on the target), so by default they are left out."""

    title = "kind of page"
    parameter_name = "kind"
    ALL, REDIRECTS = "all", "redirects"

    def lookups(self, request, model_admin):
        return [(self.ALL, "All pages, redirects too"), (self.REDIRECTS, "Redirects only")]

    def queryset(self, request, queryset):
        if self.value() == self.ALL:
            return queryset
        if self.value() == self.REDIRECTS:
            return queryset.redirects()
        return queryset.content_pages()

    def choices(self, changelist):
        # The default (no parameter) is "content pages only", not "all".
        yield {
            "selected": self.value() not in (self.ALL, self.REDIRECTS),
            "query_string": changelist.get_query_string(remove=[self.parameter_name]),
            "display": "Content pages only",
        }
        for value, label in self.lookup_choices:
            yield {
                "selected": self.value() == value,
                "query_string": changelist.get_query_string({self.parameter_name: value}),
                "display": label,
            }


class NullsLast(F):
    """A column to sort by, with the rows where it is empty (pages without
    votes) last whichever way the admin sorts. The change list calls
    ``asc()`` or ``desc()`` on an ordering expression; a ready-made
    ``F(...).asc(nulls_last=True)`` would instead be reversed to nulls
    first when sorted the other way."""

    def asc(self, **kwargs):
        return super().asc(nulls_last=True)

    def desc(self, **kwargs):
        return super().desc(nulls_last=True)


def _annotation_column(name: str, description: str, *, ordering=None):
    """A change-list column showing the annotation ``name`` of
    ``with_feedback()``, sortable by it (or by ``ordering``)."""

    @admin.display(description=description, ordering=ordering or name)
    def column(model_admin, page):
        return getattr(page, name)

    return column


def _csv_cell(value) -> str:
    # A spreadsheet runs a cell starting with these as a formula.
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in {"=", "+", "-", "@"} else text


@admin.register(PageFeedback)
class PageFeedbackAdmin(admin.ModelAdmin):
    """Admin review of reader feedback: read-only, for every staff user."""

    list_display = [
        "title",
        "yes_column",
        "no_column",
        "total_column",
        "percent_useful_column",
        "recent_views_column",
        "last_vote_column",
        "links_column",
    ]
    list_display_links = ["title"]
    list_filter = [PageKindFilter, VoteDateFilter]
    search_fields = ["title"]
    ordering = ["title"]
    actions = ["export_csv"]
    list_per_page = 100

    def get_queryset(self, request):
        views_since = recent_views_start()
        voted_since, voted_until = VoteDateFilter.window(request)
        return (
            super()
            .get_queryset(request)
            .with_feedback(
                voted_since=voted_since, voted_until=voted_until, views_since=views_since
            )
        )

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_staff

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    yes_column = _annotation_column("yes_votes", "Yes")
    no_column = _annotation_column("no_votes", "No")
    total_column = _annotation_column("total_votes", "Total")
    recent_views_column = _annotation_column(
        "recent_views", f"Views, last {RECENT_VIEWS_DAYS} days"
    )

    @admin.display(description="Last vote", ordering=NullsLast("last_vote_at"))
    def last_vote_column(self, page):
        if page.last_vote_at is None:
            return "–"
        local = timezone.localtime(page.last_vote_at)
        # The date and the time each on one line, so the column stays narrow.
        return format_html(
            '<time datetime="{}"><span class="vote-time">{}</span> '
            '<span class="vote-time">{}</span></time>',
            local.isoformat(),
            formats.date_format(local, "j M Y"),
            formats.time_format(local, "H:i"),
        )

    @admin.display(description="% useful", ordering=NullsLast("percent_useful"))
    def percent_useful_column(self, page):
        return "–" if page.percent_useful is None else f"{page.percent_useful:.0f}%"

    @admin.display(description="Links")
    def links_column(self, page):
        return page_links(page, feedback=False)

    @admin.action(description="Export selected pages as CSV", permissions=["view"])
    def export_csv(self, request, queryset):
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="page-feedback.csv"'
        writer = csv.writer(response)
        writer.writerow(
            [
                "title",
                "url",
                "yes",
                "no",
                "total",
                "percent_useful",
                f"views_last_{RECENT_VIEWS_DAYS}_days",
                "last_vote",
            ]
        )
        for page in queryset.order_by("title"):
            percent = "" if page.percent_useful is None else f"{page.percent_useful:.1f}"
            last_vote = page.last_vote_at.isoformat() if page.last_vote_at else ""
            writer.writerow(
                [
                    _csv_cell(page.title),
                    absolute_url(page.get_absolute_url()),
                    page.yes_votes,
                    page.no_votes,
                    page.total_votes,
                    percent,
                    page.recent_views,
                    last_vote,
                ]
            )
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The per-page review: charts, votes per revision, countries."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        page = self.get_object(request, object_id)
        if page is None:
            raise Http404("No such page.")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"Feedback on {page.title}",
            "subtitle": None,
            "page": page,
            "statistics": page_statistics(page),
            "no_vote_reasons": no_vote_reasons(page),
            "countries_enabled": countries_enabled(),
        }
        return TemplateResponse(request, "admin/wiki/pagefeedback/feedback_detail.html", context)


@admin.register(PageReview)
class PageReviewAdmin(admin.ModelAdmin):
    """Clinical reviews, to read: they are recorded at /wiki/<Title>/review/
    and kept for ever, so the admin can neither add, change nor delete one."""

    list_display = ["page_title", "reviewed_on", "reviewer", "next_review_due", "recorded_by"]
    list_filter = ["reviewed_on", "next_review_due"]
    search_fields = ["reviewer", "note"]
    ordering = ["-reviewed_on", "-pk"]
    date_hierarchy = "reviewed_on"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="page")
    def page_title(self, review):
        # The page may have been deleted (its reviews stay for its recovery).
        page = Page.objects.filter(pk=review.page_id).only("title").first()
        return page.title if page is not None else f"(deleted page {review.page_id})"
