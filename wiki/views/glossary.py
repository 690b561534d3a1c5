"""The glossary: every entry for readers; adding, editing and the history of
an entry for moderators (through ``services.save_glossary_term``)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models.functions import Lower
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from wiki import services
from wiki.forms import GlossaryTermForm
from wiki.models import GlossaryTerm
from wiki.views.access import moderator_required


@require_safe
def glossary_index(request):
    """Every entry, alphabetical, as a definition list with an anchor each."""
    entries = GlossaryTerm.objects.order_by(Lower("term"), "pk")
    return render(request, "wiki/glossary.html", {"entries": entries})


def _edit(request, entry: GlossaryTerm | None):
    """The form for a new entry (``entry`` None) or a change; 400 for bad
    input, 409 when a name is another entry's or the entry changed meanwhile."""
    if request.method != "POST":
        initial = {}
        if entry is not None:
            initial = {
                "term": entry.term,
                "synonyms": "\n".join(entry.synonym_list),
                "definition": entry.definition,
                "base_revision": entry.current_revision_id,
            }
        form = GlossaryTermForm(initial=initial)
        return render(request, "wiki/glossary_edit.html", {"entry": entry, "form": form})
    form, status = GlossaryTermForm(request.POST), 400
    if form.is_valid():
        data = form.cleaned_data
        try:
            saved = services.save_glossary_term(
                entry,
                term=data["term"],
                synonyms=data["synonyms"],
                definition=data["definition"],
                summary=data["summary"],
                user=request.user,
                base_revision_id=data["base_revision"] if entry is not None else None,
            )
        except services.GlossaryEditConflict as conflict:
            form, status = _conflict_form(request, conflict.entry), 409
        except services.GlossaryNameTaken as error:
            form.add_error(None, error)
            status = 409
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"“{saved.term}” is saved in the glossary.")
            return redirect(saved.get_absolute_url())
    return render(request, "wiki/glossary_edit.html", {"entry": entry, "form": form}, status=status)


def _conflict_form(request, current: GlossaryTerm) -> GlossaryTermForm:
    # The moderator's own text stays in the form, now based on the current
    # revision, with what the other moderator saved shown beside it.
    data = request.POST.copy()
    data["base_revision"] = str(current.current_revision_id)
    form = GlossaryTermForm(data)
    form.is_valid()
    form.add_error(
        None,
        f"Someone else saved this entry while you were editing it. Their version: "
        f"term “{current.term}”, definition “{current.definition}”. Your text is below; "
        f"save again to replace theirs.",
    )
    return form


@require_http_methods(["GET", "HEAD", "POST"])
@moderator_required
def glossary_new(request):
    """Moderators: add an entry."""
    return _edit(request, None)


@require_http_methods(["GET", "HEAD", "POST"])
@moderator_required
def glossary_edit(request, slug):
    """Moderators: change an entry; every save is kept as a revision."""
    return _edit(request, get_object_or_404(GlossaryTerm, slug=slug))


@require_safe
@moderator_required
def glossary_history(request, slug):
    """Moderators: every saved state of an entry, newest first."""
    entry = get_object_or_404(GlossaryTerm, slug=slug)
    revisions = entry.revisions.select_related("author").order_by("-pk")
    return render(request, "wiki/glossary_history.html", {"entry": entry, "revisions": revisions})
