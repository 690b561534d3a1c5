import csv
import datetime

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from reversion.admin import VersionAdmin

from wiki.context_processors import forget_disclaimer
from wiki.feedback import countries_enabled, page_statistics
from wiki.models import Page, PageFeedback, SiteSettings


@admin.register(Page)
class PageAdmin(VersionAdmin):
    """Pages are written through the wiki's edit form (which makes the
    revision, the link table and the render state); the admin lists them,
    shows their django-reversion history, deletes and recovers."""

    list_display = ["title", "is_redirect", "article_date", "updated_at"]
    list_filter = ["article_date"]
    search_fields = ["title"]
    readonly_fields = ["title", "body", "article_date", "source_url", "source_name", "redirect_to"]
    fields = readonly_fields

    def has_add_permission(self, request):
        return False

    @admin.display(boolean=True, description="Redirect")
    def is_redirect(self, page):
        return page.is_redirect


class SiteSettingsForm(forms.ModelForm):
    class Meta:
        model = SiteSettings
        fields = ["disclaimer", "disclaimer_short"]

    def _required_text(self, name):
        value = (self.cleaned_data.get(name) or "").strip()
        if not value:
            raise forms.ValidationError(
                "The medical disclaimer cannot be empty: every page must carry it."
            )
        return value

    def clean_disclaimer(self):
        return self._required_text("disclaimer")

    def clean_disclaimer_short(self):
        return self._required_text("disclaimer_short")


@admin.register(SiteSettings)
class SiteSettingsAdmin(admin.ModelAdmin):
    form = SiteSettingsForm

    def has_add_permission(self, request):
        return not SiteSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        forget_disclaimer()


class VotePeriodFilter(admin.SimpleListFilter):
    """Count only the votes cast (or last changed) in a recent period, and
    list only the pages that had one."""

    title = "votes cast"
    parameter_name = "voted"
    PERIODS = {"7": 7, "30": 30, "90": 90, "365": 365}

    def lookups(self, request, model_admin):
        return [
            ("7", "Past 7 days"),
            ("30", "Past 30 days"),
            ("90", "Past 90 days"),
            ("365", "Past year"),
        ]

    def queryset(self, request, queryset):
        if self.value() in self.PERIODS:
            return queryset.filter(total_votes__gt=0)
        return queryset

    @classmethod
    def since(cls, request):
        days = cls.PERIODS.get(request.GET.get(cls.parameter_name, ""))
        return timezone.now() - datetime.timedelta(days=days) if days else None


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
    ]
    list_display_links = ["title"]
    list_filter = [VotePeriodFilter]
    search_fields = ["title"]
    ordering = ["title"]
    actions = ["export_csv"]
    list_per_page = 100

    def get_queryset(self, request):
        views_since = timezone.now().date() - datetime.timedelta(days=29)
        return (
            super()
            .get_queryset(request)
            .with_feedback(voted_since=VotePeriodFilter.since(request), views_since=views_since)
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

    @admin.display(description="Yes", ordering="yes_votes")
    def yes_column(self, page):
        return page.yes_votes

    @admin.display(description="No", ordering="no_votes")
    def no_column(self, page):
        return page.no_votes

    @admin.display(description="Total", ordering="total_votes")
    def total_column(self, page):
        return page.total_votes

    @admin.display(description="% useful", ordering="percent_useful")
    def percent_useful_column(self, page):
        return "–" if page.percent_useful is None else f"{page.percent_useful:.0f}%"

    @admin.display(description="Views, last 30 days", ordering="recent_views")
    def recent_views_column(self, page):
        return page.recent_views

    @admin.display(description="Last vote", ordering="last_vote_at")
    def last_vote_column(self, page):
        return page.last_vote_at

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
                "views_last_30_days",
                "last_vote",
            ]
        )
        for page in queryset.order_by("title"):
            percent = "" if page.percent_useful is None else f"{page.percent_useful:.1f}"
            last_vote = page.last_vote_at.isoformat() if page.last_vote_at else ""
            writer.writerow(
                [
                    _csv_cell(page.title),
                    request.build_absolute_uri(page.get_absolute_url()),
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
            "countries_enabled": countries_enabled(),
        }
        return TemplateResponse(request, "admin/wiki/pagefeedback/feedback_detail.html", context)
