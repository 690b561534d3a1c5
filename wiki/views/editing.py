"""Moderator views that write: edit (and create), revert, move."""

import dataclasses

from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from wiki import services
from wiki.content import PageContent
from wiki.diff import diff_metadata, diff_texts
from wiki.display import render_body
from wiki.forms import CrossLinkFormSet, EditForm, MoveForm
from wiki.models import Page
from wiki.revisions import revision_content
from wiki.titles import page_url, slug_to_title, validate_title
from wiki.views.access import MODERATOR_PERMISSION, moderator_required, permission_required
from wiki.views.lookup import canonical_redirect, page_for_slug, page_or_none, revision_for_page

CROSSLINK_PREFIX = "crosslinks"
# base_revision of a form that creates a page: any existing page conflicts.
NEW_PAGE_BASE = 0
# Seconds a moderator is asked to wait when every job slot was busy.
BUSY_RETRY_AFTER_SECONDS = 10


def _edit_form_initial(page: Page | None) -> tuple[EditForm, object]:
    if page is None:
        return EditForm(initial={"base_revision": NEW_PAGE_BASE}), CrossLinkFormSet(
            prefix=CROSSLINK_PREFIX
        )
    content = PageContent.from_page(page)
    form = EditForm(
        initial={"body": page.body, "base_revision": page.current_revision_id, **content.metadata}
    )
    initial = [dataclasses.asdict(link) for link in content.crosslinks]
    formset = CrossLinkFormSet(prefix=CROSSLINK_PREFIX, initial=initial)
    return form, formset


def _render_edit(request, title, page, form, formset, *, status=200, **extra):
    context = {"title": title, "page": page, "form": form, "formset": formset, **extra}
    template = "wiki/edit_conflict.html" if status == 409 else "wiki/page_edit.html"
    return render(request, template, context, status=status)


@require_http_methods(["GET", "POST"])
@moderator_required
def page_edit(request, slug):
    """Edit a page, or create it when it does not exist (GET shows the form;
    POST previews, shows changes or saves)."""
    try:
        wanted = validate_title(slug_to_title(slug))
    except ValidationError as error:
        return render(request, "wiki/bad_title.html", {"errors": error.messages}, status=400)
    page = page_or_none(wanted, Page.objects.select_related("current_revision"))
    if page is None and not request.user.has_perm("wiki.add_page"):
        raise PermissionDenied("You do not have permission to create pages.")
    if page is not None and (response := canonical_redirect(request, page, slug)):
        return response
    display_title = page.title if page else wanted
    if request.method == "GET":
        form, formset = _edit_form_initial(page)
        return _render_edit(request, display_title, page, form, formset)
    return _edit_post(request, display_title, page)


def _edit_post(request, title: str, page: Page | None):
    """The edit form's POST: preview, show changes, or save."""
    form = EditForm(request.POST)
    formset = CrossLinkFormSet(request.POST, prefix=CROSSLINK_PREFIX)
    if not (form.is_valid() and formset.is_valid()):
        return _refused_edit(request, title, page, form, formset)
    if "preview" in request.POST:
        preview = render_body(form.cleaned_data["body"])
        return _render_edit(request, title, page, form, formset, preview=preview)
    if "show_changes" in request.POST:
        changes = diff_texts(page.body if page else "", form.cleaned_data["body"])
        return _render_edit(request, title, page, form, formset, changes=changes)
    return _save_edit(request, title, page, form, formset)


def _refused_edit(request, title, page, form, formset):
    """The form again with its errors, the moderator's text kept: 400, or
    503 with ``Retry-After`` when the only trouble is that every job slot
    was busy (the same text may well go through in a moment)."""
    busy = form.has_error("body", code="busy") or form.has_error(NON_FIELD_ERRORS, code="busy")
    if not busy:
        return _render_edit(request, title, page, form, formset, status=400)
    response = _render_edit(request, title, page, form, formset, status=503)
    response["Retry-After"] = str(BUSY_RETRY_AFTER_SECONDS)
    return response


MERGED_NOTE = (
    "Someone else saved this page while you were editing. Their changes and "
    "yours did not overlap, so both were merged and saved. Please check the result."
)


def _save_edit(request, title, page, form, formset):
    data = form.cleaned_data
    content = PageContent.from_form(form, formset)
    # No base revision means "a new page": if one exists by now, that conflicts.
    base = data["base_revision"] if data["base_revision"] is not None else NEW_PAGE_BASE
    try:
        result = services.save_page(
            title,
            content.body,
            user=request.user,
            summary=data["summary"],
            base_revision_id=base,
            metadata=content.metadata,
            crosslinks=content.crosslinks,
            merge=True,
        )
    except services.EditConflict as conflict:
        return _conflict(request, title, conflict.page, form, formset)
    except ValidationError as error:
        form.add_error(None, error)
        return _refused_edit(request, title, page, form, formset)
    if result.merged:
        note = MERGED_NOTE
    elif result.changed:
        note = "Your changes were saved."
    else:
        note = "No changes: nothing was saved."
    messages.success(request, note)
    url = result.page.get_absolute_url()
    return redirect(url + "?redirect=no" if result.page.is_redirect else url)


def _conflict(request, title, page, form, formset):
    """409: keep the moderator's text in the form, now based on the current
    revision, and show what was saved in the meantime."""
    page.refresh_from_db()
    data = dict(form.data.items())
    data["base_revision"] = page.current_revision_id
    form = EditForm(data)
    form.is_valid()
    context = {
        "changes": diff_texts(page.body, form.cleaned_data.get("body", "")),
        "metadata_changes": diff_metadata(
            PageContent.from_page(page), PageContent.from_form(form, formset)
        ),
        "is_conflict": True,
    }
    return _render_edit(request, title, page, form, formset, status=409, **context)


@require_http_methods(["GET", "POST"])
@permission_required(MODERATOR_PERMISSION, "wiki.revert_page")
def page_revert(request, slug, revision_id):
    """GET: confirm reverting to revision ``revision_id``; POST: do it."""
    page = page_for_slug(slug)
    info = revision_for_page(page, revision_id)
    if response := canonical_redirect(request, page, slug):
        return response
    if request.method == "GET":
        changes = diff_texts(page.body, revision_content(page, revision_id).body)
        context = {"page": page, "info": info, "changes": changes}
        return render(request, "wiki/page_revert.html", context)
    result = services.revert_page(page, revision_id, user=request.user)
    if result.changed:
        messages.success(request, f"The page is back to revision {revision_id}.")
    else:
        messages.info(request, f"The page already matches revision {revision_id}.")
    return redirect(page_url(page.title, "history"))


@require_http_methods(["GET", "POST"])
@permission_required(MODERATOR_PERMISSION, "wiki.move_page")
def page_move(request, slug):
    """Rename a page, leaving a redirect at the old title."""
    page = page_for_slug(slug)
    if response := canonical_redirect(request, page, slug):
        return response
    form = MoveForm(request.POST or None, initial={"new_title": page.title})
    if request.method == "GET":
        return render(request, "wiki/page_move.html", {"page": page, "form": form})
    if form.is_valid():
        data = form.cleaned_data
        try:
            moved = services.move_page(
                page, data["new_title"], user=request.user, summary=data["summary"]
            )
        except ValidationError as error:
            form.add_error("new_title", error)
        else:
            messages.success(request, f"The page is now called “{moved.title}”.")
            return redirect(moved.get_absolute_url())
    return render(request, "wiki/page_move.html", {"page": page, "form": form}, status=400)
