from django.core.management.base import BaseCommand

from wiki import search


class Command(BaseCommand):
    help = "Rebuild the full-text search index from every page's current text."

    def handle(self, *args, **options):
        count = search.rebuild()
        self.stdout.write(f"Search index rebuilt: {count} pages.")
