"""Management commands of the contract: loaddemo and createmoderator."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from reversion.models import Revision

from wiki.demo import ARTICLE_PAGES, PAGES
from wiki.models import Page
from wiki.services import save_page


def test_loaddemo_writes_the_demo_pages(db):
    call_command("loaddemo", stdout=io.StringIO())
    titles = set(Page.objects.values_list("title", flat=True))
    assert {
        "Main Page",
        "Interleukin-2",
        "High Dose Interleukin-2",
        "Low Dose Interleukin-2",
        "IL-21",
        "Proleukin",
        "Aldesleukin",
    } <= titles
    assert Page.objects.get(title="Proleukin").redirect_to == "Interleukin-2"
    assert Page.objects.get(title="Aldesleukin").redirect_to == "Interleukin-2"


def test_loaddemo_is_idempotent(db):
    call_command("loaddemo", stdout=io.StringIO())
    pages, revisions = Page.objects.count(), Revision.objects.count()
    output = io.StringIO()
    call_command("loaddemo", stdout=output)
    assert Page.objects.count() == pages
    assert Revision.objects.count() == revisions
    assert "0 created" in output.getvalue()
    assert f"Skipped {len(PAGES + ARTICLE_PAGES)} that exist already" in output.getvalue()


def test_loaddemo_keeps_a_moderators_edit_of_a_demo_page(db, moderator):
    call_command("loaddemo", stdout=io.StringIO())
    page = Page.objects.get(title="Interleukin-2")
    save_page(
        "Interleukin-2",
        "Rewritten by a moderator.",
        user=moderator,
        summary="rewrite",
        base_revision_id=page.current_revision_id,
    )
    revisions = Revision.objects.count()
    output = io.StringIO()
    call_command("loaddemo", stdout=output)
    page = Page.objects.get(title="Interleukin-2")
    assert page.body == "Rewritten by a moderator."
    assert page.current_revision.user == moderator
    assert Revision.objects.count() == revisions
    assert "Interleukin-2" in output.getvalue().split("Skipped", 1)[1]


def test_loaddemo_creates_only_the_missing_demo_pages(db):
    call_command("loaddemo", stdout=io.StringIO())
    Page.objects.get(title="IL-21").delete()
    kept = Page.objects.get(title="Interleukin-2").current_revision_id
    output = io.StringIO()
    call_command("loaddemo", stdout=output)
    assert Page.objects.filter(title="IL-21").exists()
    assert Page.objects.get(title="Interleukin-2").current_revision_id == kept
    assert "1 created" in output.getvalue()


def test_loaddemo_leaves_a_page_under_another_spelling_alone(db):
    save_page("INTERLEUKIN-2", "Someone's own page.", summary="first")
    call_command("loaddemo", stdout=io.StringIO())
    page = Page.objects.get(key="interleukin-2")
    assert (page.title, page.body) == ("INTERLEUKIN-2", "Someone's own page.")


def test_demo_interleukin_page_carries_the_trial_figures(client, db):
    call_command("loaddemo", stdout=io.StringIO())
    html = client.get("/wiki/Interleukin-2/").content.decode()
    for fact in ["aldesleukin", "Proleukin", "255", "270", "15%", "16%", "6.7+ years", "4.9 years"]:
        assert fact in html


def read_password(monkeypatch, text):
    # The command reads the first line of standard input when it is no terminal.
    monkeypatch.setattr("sys.stdin", io.StringIO(text))


def test_createmoderator_makes_a_moderator(db, monkeypatch):
    read_password(monkeypatch, "a-long-and-unusual-password\n")
    call_command("createmoderator", "alice", stdout=io.StringIO())
    user = get_user_model().objects.get(username="alice")
    assert user.groups.filter(name="Moderators").exists()
    assert user.check_password("a-long-and-unusual-password")
    assert user.has_perm("wiki.change_page")
    assert user.has_perm("wiki.move_page")
    assert not user.is_staff


def test_createmoderator_refuses_a_weak_password(db, monkeypatch):
    read_password(monkeypatch, "123\n")
    with pytest.raises(CommandError):
        call_command("createmoderator", "bob", stdout=io.StringIO())
    assert not get_user_model().objects.filter(username="bob").exists()


def test_createmoderator_promotes_an_existing_user(db, monkeypatch, django_user_model):
    django_user_model.objects.create_user("carol", password="an-old-long-password")
    read_password(monkeypatch, "")
    call_command("createmoderator", "carol", stdout=io.StringIO())
    user = django_user_model.objects.get(username="carol")
    assert user.groups.filter(name="Moderators").exists()
    assert user.check_password("an-old-long-password")


def test_createmoderator_needs_a_password_for_a_new_user(db, monkeypatch):
    read_password(monkeypatch, "\n")
    with pytest.raises(CommandError, match="needs a password"):
        call_command("createmoderator", "dave", stdout=io.StringIO())
