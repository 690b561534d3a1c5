from django.core.management.base import BaseCommand

from wiki.demo import load_demo_pages


class Command(BaseCommand):
    help = (
        "Create the demo pages that do not exist yet. Safe to run again: a page "
        "that exists (edited by a moderator or not) is left as it is."
    )

    def handle(self, *args, **options):
        created, skipped = load_demo_pages()
        total = len(created) + len(skipped)
        self.stdout.write(f"Demo pages: {total} in all, {len(created)} created.")
        if skipped:
            self.stdout.write(
                f"Skipped {len(skipped)} that exist already (left as they are): "
                + ", ".join(skipped)
            )
