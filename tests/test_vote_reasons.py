"""A "no" vote may say why (POST /wiki/<Title>/vote/ with ``reason``), and
admins see the reasons per page."""

import pytest

from tests.clients import browser_client
from wiki.models import Vote
from wiki.services import record_vote

VOTE_URL = "/wiki/Interleukin-2/vote/"
JSON = {"Accept": "application/json"}


@pytest.fixture
def il2(make_page):
    return make_page("Interleukin-2", "Interleukin-2 is a treatment.")


def votes():
    return list(Vote.objects.order_by("pk").values_list("voter_key", "is_useful", "reason"))


def test_no_vote_with_a_reason_stores_it(client, il2):
    response = client.post(VOTE_URL, {"useful": "no", "reason": "outdated"})
    assert response.status_code == 302
    vote = Vote.objects.get()
    assert (vote.is_useful, vote.reason) == (False, "outdated")


def test_no_vote_without_a_reason_stores_none(client, il2):
    client.post(VOTE_URL, {"useful": "no"})
    assert Vote.objects.get().reason == ""


def test_reason_after_a_no_vote_changes_the_same_vote(client, il2):
    client.post(VOTE_URL, {"useful": "no"})
    client.post(VOTE_URL, {"useful": "no", "reason": "unclear"})
    assert [(is_useful, reason) for _key, is_useful, reason in votes()] == [(False, "unclear")]


def test_changing_to_yes_drops_the_reason(client, il2):
    client.post(VOTE_URL, {"useful": "no", "reason": "incorrect"})
    client.post(VOTE_URL, {"useful": "yes"})
    vote = Vote.objects.get()
    assert (vote.is_useful, vote.reason) == (True, "")


@pytest.mark.parametrize(
    "data",
    [
        {"useful": "no", "reason": "maybe"},
        {"useful": "no", "reason": "OUTDATED"},
        {"useful": "no", "reason": "x" * 5000},
        {"useful": "yes", "reason": "outdated"},
    ],
    ids=["unknown", "wrong-case", "huge", "with-yes"],
)
def test_bad_reason_is_400_and_changes_nothing(client, il2, data):
    record_vote(il2, False, voter_key="someone", reason="other")
    response = client.post(VOTE_URL, data)
    assert response.status_code == 400
    assert "Please choose one of the reasons listed" in response.content.decode()
    assert votes() == [("someone", False, "other")]


def test_bad_reason_answers_json_to_scripts(client, il2):
    response = client.post(VOTE_URL, {"useful": "no", "reason": "maybe"}, headers=JSON)
    assert response.status_code == 400
    assert "reasons listed" in response.json()["error"]
    assert not Vote.objects.exists()


def test_no_vote_without_javascript_offers_the_reasons(client, il2):
    response = client.post(VOTE_URL, {"useful": "no"}, follow=True)
    html = response.content.decode()
    assert response.redirect_chain == [("/wiki/Interleukin-2/#vote", 302)]
    assert "tell us below what was wrong" in html
    assert (
        '<form class="vote-reason-form" id="vote-reason" action="/wiki/Interleukin-2/vote/"' in html
    )
    assert 'method="post" data-vote-reason>' in html  # shown: no "hidden"
    for reason in ["outdated", "incorrect", "broken-link", "unclear", "other"]:
        assert f'name="reason" value="{reason}"' in html
    assert 'href="/wiki/Interleukin-2/report/">Tell us more' in html


def test_reason_form_thanks_and_is_not_offered_again(client, il2):
    client.post(VOTE_URL, {"useful": "no"}, follow=True)
    response = client.post(VOTE_URL, {"useful": "no", "reason": "unclear"}, follow=True)
    html = response.content.decode()
    assert "Thank you for telling us what was wrong." in html
    assert 'method="post" hidden data-vote-reason>' in html


def test_yes_vote_does_not_offer_the_reasons(client, il2):
    html = client.post(VOTE_URL, {"useful": "yes"}, follow=True).content.decode()
    assert "Thank you for your answer." in html
    assert 'method="post" hidden data-vote-reason>' in html


def test_shared_page_holds_the_reasons_hidden(client, il2):
    response = client.get("/wiki/Interleukin-2/")
    assert "public" in response["Cache-Control"]
    assert 'method="post" hidden data-vote-reason>' in response.content.decode()


def test_no_vote_with_javascript_asks_for_a_reason(client, il2):
    data = client.post(VOTE_URL, {"useful": "no"}, headers=JSON).json()
    assert data["ask_reason"] is True
    assert "tell us below what was wrong" in data["message"]
    data = client.post(VOTE_URL, {"useful": "no", "reason": "other"}, headers=JSON).json()
    assert data["ask_reason"] is False
    assert data["message"].startswith("Thank you for telling us")
    assert client.post(VOTE_URL, {"useful": "yes"}, headers=JSON).json()["ask_reason"] is False


def test_admin_page_feedback_shows_the_reasons_per_page(admin_client, il2, make_page):
    other = make_page("IL-21")
    for index, reason in enumerate(["outdated", "outdated", "unclear", ""]):
        record_vote(il2, False, voter_key=f"reader:{index}", reason=reason)
    record_vote(il2, True, voter_key="reader:yes")
    record_vote(other, False, voter_key="reader:other", reason="incorrect")
    html = admin_client.get(f"/admin/wiki/pagefeedback/{il2.pk}/change/").content.decode()
    assert "Why readers answered “no”" in html
    assert '<th scope="row">It is out of date</th><td>2</td>' in html
    assert '<th scope="row">It is hard to understand</th><td>1</td>' in html
    assert '<th scope="row">Something is incorrect</th><td>0</td>' in html
    assert '<th scope="row">No reason given</th><td>1</td>' in html


def test_page_feedback_reasons_are_for_admins_only(client, reader_client, il2):
    assert client.get(f"/admin/wiki/pagefeedback/{il2.pk}/change/").status_code == 302
    response = reader_client.get(f"/admin/wiki/pagefeedback/{il2.pk}/change/")
    assert response.status_code == 302  # the admin's own login page for non-staff


def test_reasons_move_with_votes_at_log_in(il2, make_user):
    reader = browser_client()
    reader.post(VOTE_URL, {"useful": "no", "reason": "broken-link"})
    user = make_user("patient")
    reader.force_login(user)
    reader.post("/wiki/Interleukin-2/vote/", {"useful": "no", "reason": "broken-link"})
    assert votes() == [(f"user:{user.pk}", False, "broken-link")]
