"""Write every page with its full history as JSON lines (see DESIGN.md)."""

import json

from django.core.management.base import BaseCommand
from reversion.models import Revision

from wiki.models import Page, RevisionInfo
from wiki.revisions import revision_contents

PROGRESS_EVERY = 500


def _date(value):
    return value.isoformat() if value else None


def _crosslinks(items):
    return [
        {
            "kind": item["kind"],
            "target_title": item["target_title"],
            "note_date": _date(item["note_date"]),
            "label": item["label"],
        }
        for item in items
    ]


def _metadata(metadata: dict) -> dict:
    return {
        "article_date": _date(metadata.get("article_date")),
        "source_url": metadata.get("source_url") or "",
        "source_name": metadata.get("source_name") or "",
    }


def page_record(page: Page) -> dict:
    """One page as the export format: title, current metadata and
    cross-links, and every revision oldest first with its own."""
    revision_ids = list(
        RevisionInfo.objects.filter(page_id=page.pk)
        .order_by("revision_id")
        .values_list("revision_id", flat=True)
    )
    contents = revision_contents(page, revision_ids)
    revisions = Revision.objects.select_related("user").in_bulk(revision_ids)
    record = {"title": page.title, **_metadata({name: getattr(page, name) for name in (
        "article_date", "source_url", "source_name")})}  # fmt: skip
    record["crosslinks"] = _crosslinks(
        [
            {
                "kind": link.kind,
                "target_title": link.target_title,
                "note_date": link.note_date,
                "label": link.label,
            }
            for link in page.crosslinks.all()
        ]
    )
    record["revisions"] = []
    for revision_id in revision_ids:
        revision, content = revisions[revision_id], contents[revision_id]
        record["revisions"].append(
            {
                "body": content.body,
                "summary": revision.comment,
                "author": revision.user.get_username() if revision.user else None,
                "date": revision.date_created.isoformat(),
                **_metadata(content.metadata),
                "crosslinks": _crosslinks(content.crosslinks),
            }
        )
    return record


class Command(BaseCommand):
    help = "Export every page with its full revision history to a JSON-lines file."

    def add_arguments(self, parser):
        parser.add_argument("file", help="where to write, e.g. pages.jsonl ('-' for stdout)")

    def handle(self, *args, file, **options):
        pages = Page.objects.order_by("key").prefetch_related("crosslinks")
        total = pages.count()
        output = self.stdout if file == "-" else open(file, "w", encoding="utf-8")  # noqa: SIM115
        try:
            for number, page in enumerate(pages.iterator(chunk_size=200), start=1):
                line = json.dumps(page_record(page), ensure_ascii=False)
                if file == "-":
                    output.write(line)
                else:
                    output.write(line + "\n")
                if number % PROGRESS_EVERY == 0:
                    self.stderr.write(f"exported {number}/{total} pages")
        finally:
            if file != "-":
                output.close()
        self.stderr.write(f"Exported {total} pages.")
