from django.apps import AppConfig


class WikiConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "wiki"
    verbose_name = "Wiki"

    def ready(self):
        # Imported for their side effects: registering the system checks and
        # connecting the signal receivers.
        from wiki import checks, signals  # noqa: F401
