"""Management commands of the contract: loaddemo and createmoderator."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from reversion.models import Revision

from wiki.models import Page


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
    assert "0 written" in output.getvalue()


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
