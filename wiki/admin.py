from django import forms
from django.contrib import admin, messages
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from reversion.admin import VersionAdmin
from reversion.models import Version

from wiki.context_processors import forget_disclaimer
from wiki.models import Page, SiteSettings
from wiki.services import recover_page


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
        # Pages are created in the wiki; here "add" only means recovering a
        # deleted page (django-reversion's recover views check add).
        match = getattr(request, "resolver_match", None)
        is_recover = match is not None and match.url_name in {
            "wiki_page_recover",
            "wiki_page_recoverlist",
        }
        return is_recover and super().has_add_permission(request)

    @admin.display(boolean=True, description="Redirect")
    def is_redirect(self, page):
        return page.is_redirect

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
        POST recovers). Replaces django-reversion's view, which reverts raw
        rows: that would skip the page's key, timestamps and link table."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        version = get_object_or_404(
            Version, pk=version_id, content_type=ContentType.objects.get_for_model(Page)
        )
        if request.method == "POST":
            try:
                page = recover_page(int(version.object_id), user=request.user)
            except ValidationError as error:
                self.message_user(request, " ".join(error.messages), messages.ERROR)
                return redirect("admin:wiki_page_changelist")
            self.message_user(request, f"“{page.title}” is back, with its whole history.")
            return redirect("admin:wiki_page_change", page.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Recover {version.object_repr}",
            "version": version,
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/wiki/page/recover_confirm.html", context)

    def revision_view(self, request, object_id, version_id, extra_context=None):
        """An old version is shown by the wiki's own revision page."""
        version = get_object_or_404(Version, pk=version_id, object_id=object_id)
        page = get_object_or_404(Page, pk=object_id)
        return redirect(f"/wiki/{page.slug}/revisions/{version.revision_id}/")


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
