import reversion
from django import forms
from django.contrib import admin
from reversion.admin import VersionAdmin
from reversion.models import Version

from wiki.context_processors import forget_disclaimer
from wiki.models import Page, RevisionInfo, SiteSettings
from wiki.services import restore_recovered_page


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

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        # A save here happens inside VersionAdmin's revision (a recover):
        # give it the per-revision facts that the history lists read.
        if reversion.is_active():
            last = RevisionInfo.objects.filter(page_id=obj.pk).order_by("-revision_id").first()
            reversion.add_meta(
                RevisionInfo,
                page=obj,
                title=obj.title,
                size=obj.size,
                size_change=obj.size - (last.size if last else 0),
            )

    def recover_view(self, request, version_id, extra_context=None):
        response = super().recover_view(request, version_id, extra_context)
        if request.method == "POST" and response.status_code == 302:
            version = Version.objects.filter(pk=version_id).first()
            if version is not None and version.content_type.model_class() is Page:
                restore_recovered_page(int(version.object_id))
        return response


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
