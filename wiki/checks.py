"""System checks of the wiki's own settings (``manage.py check``)."""

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def site_url_is_set(app_configs, **kwargs):
    """``check --deploy``: a warning when DJANGO_SITE_URL is unset, since the
    derived address (wiki.site) is rarely the public one."""
    if not settings.SITE_URL_IS_DERIVED:
        return []
    return [
        Warning(
            f"DJANGO_SITE_URL is not set: absolute URLs (canonical links, feeds, the "
            f"sitemap, PDFs) and the origin votes must come from use {settings.SITE_URL}, "
            f"derived from DJANGO_HTTPS and DJANGO_ALLOWED_HOSTS.",
            hint="Set DJANGO_SITE_URL to the site's public address, e.g. https://kcr.example.org",
            id="wiki.W001",
        )
    ]
