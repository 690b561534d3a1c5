from django import forms
from django.contrib import admin, messages
from django.shortcuts import redirect
from reversion.admin import VersionAdmin

from wiki.context_processors import forget_disclaimer
from wiki.models import Page, SiteSettings
from wiki.services import delete_page


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

    def add_view(self, request, form_url="", extra_context=None):
        # New pages are written in the wiki, where saving makes the revision,
        # the link table and the render state; the admin keeps django-
        # reversion's add permission only because its recover view needs it.
        messages.info(
            request, "Create a page by opening its address in the wiki: /wiki/Title/edit/"
        )
        return redirect("admin:wiki_page_changelist")

    @admin.display(boolean=True, description="Redirect")
    def is_redirect(self, page):
        return page.is_redirect

    def delete_model(self, request, obj):
        # Through the service, so pages linking here show the link as missing.
        delete_page(obj, request.user)

    def delete_queryset(self, request, queryset):
        for page in queryset:
            delete_page(page, request.user)


EMPTY_DISCLAIMER = "The medical disclaimer cannot be empty: every page must carry it."


class SiteSettingsForm(forms.ModelForm):
    class Meta:
        model = SiteSettings
        fields = ["disclaimer", "disclaimer_short"]
        error_messages = {
            "disclaimer": {"required": EMPTY_DISCLAIMER},
            "disclaimer_short": {"required": EMPTY_DISCLAIMER},
        }

    def _required_text(self, name):
        value = (self.cleaned_data.get(name) or "").strip()
        if not value:
            raise forms.ValidationError(EMPTY_DISCLAIMER)
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
