"""Form data for POSTs to the edit URL (shared by the editing tests)."""


def edit_data(body, base_revision=None, *, summary="", crosslinks=(), **fields):
    """The fields the edit form posts, with an empty cross-link formset
    unless ``crosslinks`` (dicts of kind, target_title, note_date, label)."""
    data = {
        "body": body,
        "summary": summary,
        "base_revision": "" if base_revision is None else str(base_revision),
        "article_date": "",
        "source_url": "",
        "source_name": "",
        "crosslinks-TOTAL_FORMS": str(len(crosslinks)),
        "crosslinks-INITIAL_FORMS": "0",
        "crosslinks-MIN_NUM_FORMS": "0",
        "crosslinks-MAX_NUM_FORMS": "1000",
    }
    for index, link in enumerate(crosslinks):
        for name in ("kind", "target_title", "note_date", "label"):
            data[f"crosslinks-{index}-{name}"] = link.get(name, "") or ""
    data.update(fields)
    return data
