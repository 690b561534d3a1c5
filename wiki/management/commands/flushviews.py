from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from wiki.page_views import flush_page_views
from wiki.redis_breaker import UNAVAILABLE


class Command(BaseCommand):
    help = (
        "Move the page views counted in Redis into the database. Safe to run "
        "twice or at the same time: no view is counted twice. Run it every few "
        "minutes (cron). Without Redis each app process writes its own counts."
    )

    def handle(self, *args, **options):
        try:
            written = flush_page_views()
        except UNAVAILABLE as error:
            raise CommandError(
                f"Redis is not reachable ({error}). No view is lost: the counts wait "
                "in Redis and in each app process; run this again once Redis is back."
            ) from None
        if not settings.REDIS_URL:
            self.stdout.write(
                "No Redis: each app process writes its own view counts "
                "(in batches and when it exits)."
            )
        self.stdout.write(f"Wrote {written} page views.")
