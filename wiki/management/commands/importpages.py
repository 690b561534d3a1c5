"""Import pages with their history from JSON lines (the format: wiki.transfer).

The whole file is checked first; any malformed line is reported with its
number and nothing is imported. Then every page is imported in one
transaction, so a failure leaves nothing half-imported. Pages whose title
already exists are skipped, so running the same import twice is harmless.
"""

import time

from django.core.management.base import BaseCommand, CommandError

from wiki import transfer


class Command(BaseCommand):
    help = "Import pages with their revision history from a JSON-lines file."

    def add_arguments(self, parser):
        parser.add_argument("file", help="a JSON-lines file, as written by exportpages")

    def handle(self, *args, file, **options):
        try:
            records, errors = transfer.read_file(file)
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"Cannot read {file}: {error}") from error
        if errors:
            for message in errors:
                self.stderr.write(message)
            raise CommandError(f"{len(errors)} malformed line(s); nothing was imported.")
        started = time.monotonic()

        def progress(pages, revisions):
            elapsed = time.monotonic() - started
            self.stdout.write(
                f"{pages}/{len(records)} pages ({revisions} revisions) in {elapsed:.1f} s"
            )

        report = transfer.import_records(records, progress=progress)
        elapsed = time.monotonic() - started
        self.stdout.write(
            f"Imported {report.imported} pages with {report.revisions} revisions in "
            f"{elapsed:.1f} s; skipped {report.skipped} that already exist."
        )
