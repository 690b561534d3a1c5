"""Write every page with its full history as JSON lines (the format: wiki.transfer)."""

from django.core.management.base import BaseCommand

from wiki import transfer
from wiki.models import Page

# How often the export reports progress, in pages.
PROGRESS_EVERY = 500


class Command(BaseCommand):
    help = "Export every page with its full revision history to a JSON-lines file."

    def add_arguments(self, parser):
        parser.add_argument("file", help="where to write, e.g. pages.jsonl ('-' for stdout)")

    def handle(self, *args, file, **options):
        total = Page.objects.count()
        to_stdout = file == "-"
        output = self.stdout if to_stdout else open(file, "w", encoding="utf-8")  # noqa: SIM115
        try:
            for number, line in enumerate(transfer.export_lines(), start=1):
                # The command's stdout ends every write with a newline itself.
                output.write(line if to_stdout else line + "\n")
                if number % PROGRESS_EVERY == 0:
                    self.stderr.write(f"exported {number}/{total} pages")
        finally:
            if not to_stdout:
                output.close()
        self.stderr.write(f"Exported {total} pages.")
