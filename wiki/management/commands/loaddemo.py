from django.core.management.base import BaseCommand

from wiki.demo import ARTICLE_METADATA, ARTICLE_PAGES, CROSSLINKS, PAGES
from wiki.services import save_page


class Command(BaseCommand):
    help = "Load the demo pages. Safe to run again: unchanged pages get no new revision."

    def handle(self, *args, **options):
        written = 0
        for title, body in PAGES + ARTICLE_PAGES:
            result = save_page(
                title,
                body,
                summary="Demo content",
                metadata=ARTICLE_METADATA.get(title),
                crosslinks=CROSSLINKS.get(title),
            )
            written += result.changed
        self.stdout.write(f"Demo pages: {len(PAGES + ARTICLE_PAGES)} in all, {written} written.")
