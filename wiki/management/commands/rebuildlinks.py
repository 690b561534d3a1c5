from django.core.management.base import BaseCommand

from wiki.services import rebuild_links


class Command(BaseCommand):
    help = (
        "Rebuild the link table from every page's current text and cross-links, "
        "and make every page render its links afresh."
    )

    def handle(self, *args, **options):
        count = rebuild_links()
        self.stdout.write(f"Links rebuilt for {count} pages.")
