from django.conf import settings
from django.core.management.base import BaseCommand

from wiki.page_views import flush_page_views


class Command(BaseCommand):
    help = (
        "Move the page views counted in Redis into the database. Safe to run "
        "twice or at the same time: no view is counted twice. Run it every few "
        "minutes (cron). Without Redis each app process writes its own counts."
    )

    def handle(self, *args, **options):
        written = flush_page_views()
        if not settings.REDIS_URL:
            self.stdout.write(
                "No Redis: each app process writes its own view counts "
                "(in batches and when it exits)."
            )
        self.stdout.write(f"Wrote {written} page views.")
