"""Import a MediaWiki site from its XML export (see wiki.mediawiki).

The dump is read twice, streaming: first checked whole (a malformed dump
imports nothing and the error names the element and line), then imported
page by page. Running it again adds nothing twice. ``--dry-run`` writes
nothing and prints the report of what would be imported.
"""

import time

from django.core.management.base import BaseCommand, CommandError

from wiki import mediawiki

# The width of the progress bar, in characters.
BAR_WIDTH = 30


class Command(BaseCommand):
    help = "Import a MediaWiki XML export (dumpBackup.php --full) with every revision."

    def add_arguments(self, parser):
        parser.add_argument("dump", help="a MediaWiki XML export, schema 0.10 or 0.11")
        parser.add_argument(
            "--dry-run", action="store_true", help="write nothing; print what would be imported"
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=None,
            help="processes that convert pages while this one writes them "
            "(default: one a CPU; 0: convert here)",
        )

    def handle(self, *args, dump, dry_run, workers, **options):
        if workers is not None and not 0 <= workers <= mediawiki.MAX_WORKERS:
            raise CommandError(f"--workers must be between 0 and {mediawiki.MAX_WORKERS}.")
        started = time.monotonic()
        try:
            summary = mediawiki.check_dump(dump)
        except OSError as error:
            raise CommandError(f"Cannot read {dump}: {error}") from error
        except mediawiki.MalformedDump as error:
            raise CommandError(
                f"{dump} is not a dump that can be imported: {error}. Nothing was imported."
            ) from error
        self.stdout.write(
            f"Checked {dump}: {summary.pages} pages, {summary.revisions} revisions, "
            f"{len(summary.templates)} templates."
        )
        report = mediawiki.import_dump(
            dump,
            summary,
            dry_run=dry_run,
            progress=self._progress_bar(summary.revisions),
            workers=workers,
        )
        for line in report.lines():
            self.stdout.write(line)
        elapsed = time.monotonic() - started
        rate = report.revisions.count / elapsed if elapsed else 0
        self.stdout.write(f"{elapsed:.1f} s ({rate:.0f} revisions a second).")

    def _progress_bar(self, total: int):
        """A progress bar redrawn in place, on a terminal only (a log or a
        pipe gets the report alone)."""
        if not self.stdout.isatty() or not total:
            return None
        shown = [-1]

        def progress(done: int) -> None:
            percent = min(100, done * 100 // total)
            if percent == shown[0]:
                return
            shown[0] = percent
            filled = BAR_WIDTH * percent // 100
            bar = "#" * filled + "-" * (BAR_WIDTH - filled)
            self.stdout.write(f"\r[{bar}] {percent:3d}% {done}/{total} revisions", ending="")
            if percent == 100:
                self.stdout.write("")
            self.stdout.flush()

        return progress
