"""Malformed requests to every URL of the contract: unknown, foreign, huge and
non-numeric ids, huge bodies and query strings, NUL bytes, invalid UTF-8,
wrong methods and missing CSRF tokens, as an anonymous reader and as a
moderator. None may answer 500, and none may change the database.

The client does not re-raise view exceptions, so a crash shows up here as
the 500 a reader would get.
"""

import datetime
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from reversion.models import Revision, Version

from tests.clients import BROWSER_HEADERS
from tests.edit_data import edit_data
from wiki.models import CrossLink, Link, Page, ProblemReport, RevisionInfo, Vote
from wiki.services import save_page

TITLE = "Interleukin-2"
FORM = "application/x-www-form-urlencoded"
ROLES = ["anonymous", "moderator"]
HUGE_IDS = [str(2**31), str(2**63), str(2**64 + 1), "9" * 40]
NON_NUMERIC_IDS = ["abc", "-1", "1.5", "0x10", "%00", "%FF%FE", "1%00"]
# Paths a reader or a moderator may GET (and HEAD). {r0}/{r1}: the page's
# first and second revision.
GET_URLS = [
    "/",
    "/wiki/{t}/",
    "/wiki/{t}/?redirect=no",
    "/wiki/{t}",
    "/wiki/{t}/history/",
    "/wiki/{t}/revisions/{r0}/",
    "/wiki/{t}/diff/{r0}/{r1}/",
    "/wiki/{t}/edit/",
    "/wiki/{t}/revert/{r0}/",
    "/wiki/{t}/move/",
    "/wiki/{t}/source/",
    "/wiki/{t}/pdf/",
    "/wiki/{t}/revisions/{r0}/pdf/",
    "/wiki/{t}/links/",
    "/wiki/{t}/info/",
    "/pages/",
    "/contributions/moderator/",
    "/search/suggest/?q=Inter",
    "/articles/",
    "/articles/2009/",
    "/search/?q=cancer",
    "/recent-changes/",
    "/recent-changes/feed/",
    "/accounts/login/",
    "/admin/",
    "/sitemap.xml",
    "/robots.txt",
    "/healthz",
    "/maintenance/",
    "/maintenance/broken-redirects/",
    "/maintenance/double-redirects/",
    "/maintenance/wanted-pages/",
    "/maintenance/orphaned-pages/",
    "/disclaimer/",
    "/disclaimer/1/",
    "/wiki/{t}/report/",
    "/maintenance/reports/",
]
POST_URLS = [
    "/wiki/{t}/edit/",
    "/wiki/{t}/revert/{r0}/",
    "/wiki/{t}/move/",
    "/wiki/{t}/vote/",
    "/wiki/{t}/report/",
    "/maintenance/reports/",
    "/accounts/login/",
    "/accounts/logout/",
]
GET_ONLY_URLS = [url for url in GET_URLS if url not in POST_URLS]
# Every URL with a revision id, the id written as {id}.
ID_URLS = [
    "/wiki/{t}/revisions/{id}/",
    "/wiki/{t}/revisions/{id}/pdf/",
    "/wiki/{t}/diff/{id}/{r1}/",
    "/wiki/{t}/diff/{r0}/{id}/",
    "/wiki/{t}/revert/{id}/",
    "/articles/{id}/",
    "/disclaimer/{id}/",
]


@pytest.fixture
def world(make_page, make_user):
    """Two pages with history, a redirect, an article, cross-links, links
    and a vote; returns the values the URL templates need."""
    save_page(TITLE, "Interleukin-2 treats kidney cancer. See [[Other Page]].", summary="one")
    save_page(
        TITLE,
        "Interleukin-2 treats kidney cancer. See [[Other Page]] and [[Missing]].",
        summary="two",
        metadata={"article_date": datetime.date(2009, 5, 1), "source_name": "Source"},
        crosslinks=[{"kind": "related", "target_title": "Other Page", "label": "Other"}],
    )
    other = make_page("Other Page", "Other text about cancer.")
    make_page("Proleukin", "#REDIRECT [[Interleukin-2]]")
    page = Page.objects.get(title=TITLE)
    Vote.objects.create(page=page, is_useful=True, voter_key="user:0")
    first, second = page.revision_infos.order_by("revision_id").values_list(
        "revision_id", flat=True
    )
    make_user("moderator", moderator=True)
    return {"t": TITLE, "r0": first, "r1": second, "other": other.current_revision_id}


def snapshot():
    """Everything a refused request must leave as it was."""
    return {
        "counts": [
            model.objects.count()
            for model in (
                Page,
                Version,
                Revision,
                RevisionInfo,
                Vote,
                Link,
                CrossLink,
                ProblemReport,
            )
        ],
        "pages": list(
            Page.objects.order_by("pk").values_list(
                "pk", "title", "body", "current_revision_id", "source_name", "article_date"
            )
        ),
    }


def client_for(role, *, csrf_checks=False, origin=True):
    # With the Origin header a browser sends with every POST, unless a test
    # wants a forged request (the vote form is checked by origin, not token).
    client = Client(
        raise_request_exception=False,
        enforce_csrf_checks=csrf_checks,
        headers=BROWSER_HEADERS if origin else {},
    )
    if role == "moderator":
        client.force_login(get_user_model().objects.get(username="moderator"))
    return client


def send(client, method, url, data=None, **extra):
    """Send one request; fail on a 500 or on any change to the database."""
    before = snapshot()
    response = client.generic(method, url, data or "", **extra)
    assert response.status_code < 500, (method, url, response.status_code)
    assert snapshot() == before, (method, url, response.status_code)
    return response


def fill(template, world, **values):
    return template.format(**{**world, **values})


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("template", ID_URLS)
def test_unknown_foreign_and_huge_ids_answer_404(world, role, template):
    client = client_for(role)
    method = "GET"
    for revision_id in ["999999", str(world["other"]), "0", *HUGE_IDS]:
        response = send(client, method, fill(template, world, id=revision_id))
        expected = {404} if role == "moderator" or "/revert/" not in template else {302}
        assert response.status_code in expected, (template, revision_id, response.status_code)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("template", ID_URLS)
def test_non_numeric_ids_answer_404(world, role, template):
    client = client_for(role)
    for revision_id in NON_NUMERIC_IDS:
        response = send(client, "GET", fill(template, world, id=revision_id))
        assert response.status_code == 404, (template, revision_id, response.status_code)


@pytest.mark.parametrize("role", ROLES)
def test_unknown_foreign_and_huge_ids_on_post(world, role):
    client = client_for(role)
    for revision_id in ["999999", str(world["other"]), *HUGE_IDS]:
        response = send(client, "POST", fill("/wiki/{t}/revert/{id}/", world, id=revision_id))
        assert response.status_code == (404 if role == "moderator" else 302)


@pytest.mark.parametrize("role", ROLES)
def test_history_compare_form_with_bad_ids(world, role):
    client = client_for(role)
    for query in ["from=999999&to=1", f"from={2**64}&to={world['r0']}", "from=%00&to=x"]:
        response = send(client, "GET", f"/wiki/{TITLE}/history/?{query}")
        assert response.status_code in {200, 302}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("template", GET_URLS)
def test_unknown_title_everywhere(world, role, template):
    client = client_for(role)
    for title in ["No_Such_Page", "a%00b", "%FF%FE", "x" * 400, "%3Cscript%3E", "%20", "_"]:
        send(client, "GET", fill(template, world, t=title))


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("template", GET_URLS)
def test_huge_nul_and_invalid_utf8_query_strings(world, role, template):
    client = client_for(role)
    url = fill(template, world)
    joiner = "&" if "?" in url else "?"
    for query in [
        "q=" + "x" * 20_000,
        "q=" + "%E2%80%94" * 3000,
        "page=" + "9" * 5000,
        "q=a%00b&page=%00&from=%00&to=%00&days=%00&limit=%00&redirect=%00",
        "q=%FF%FE&page=%FF&days=%C0%AF",
        "%FF%FE=%FF",
        "days=99999999999999999999&limit=-1",
    ]:
        send(client, "GET", url + joiner + query)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("template", GET_ONLY_URLS)
def test_wrong_methods_on_read_urls(world, role, template):
    client = client_for(role)
    for method in ["POST", "PUT", "PATCH", "DELETE"]:
        response = send(client, method, fill(template, world), "x=1")
        assert response.status_code in {302, 403, 405}, (method, template, response.status_code)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("template", POST_URLS)
def test_wrong_methods_on_post_urls(world, role, template):
    client = client_for(role)
    for method in ["PUT", "PATCH", "DELETE"]:
        response = send(client, method, fill(template, world), "x=1")
        # Django's LoginView treats PUT as POST: a failed login form, 200.
        allowed = {200, 405} if template == "/accounts/login/" and method == "PUT" else {302, 405}
        assert response.status_code in allowed, (method, template, response.status_code)
    if template.endswith(("/vote/", "/logout/")):
        response = send(client, "GET", fill(template, world))
        assert response.status_code == 405


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("template", POST_URLS)
def test_missing_csrf_token_is_refused(world, role, template):
    client = client_for(role, csrf_checks=True, origin=False)
    data = {
        **edit_data("Vandalised.", world["r1"]),
        "useful": "yes",
        "new_title": "Moved Away",
        "username": "moderator",
        "password": "wrong",
    }
    before = snapshot()
    response = client.post(fill(template, world), data)
    assert response.status_code == 403, (template, response.status_code)
    assert snapshot() == before


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("template", POST_URLS)
def test_request_body_over_the_upload_limit_is_413(world, role, template):
    # As in production, the CSRF check reads the form first: any POST with a
    # body over DATA_UPLOAD_MAX_MEMORY_SIZE is refused before a view runs.
    client = client_for(role, csrf_checks=True)
    client.get("/accounts/login/")  # the CSRF cookie, as a browser would hold it
    body = "body=" + "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    response = send(client, "POST", fill(template, world), body, content_type=FORM)
    assert response.status_code == 413, (template, response.status_code)
    assert "too large" in response.content.decode().lower()


@pytest.mark.parametrize("role", ROLES)
def test_page_text_over_the_page_limit_is_refused(world, role):
    client = client_for(role)
    data = edit_data("x" * (settings.WIKI_MAX_BODY_BYTES + 1), world["r1"])
    response = send(client, "POST", f"/wiki/{TITLE}/edit/", urlencode(data), content_type=FORM)
    if role == "moderator":
        assert response.status_code == 400
        assert "the most a page may hold" in response.content.decode()
    else:
        assert response.status_code == 302


@pytest.mark.parametrize("role", ROLES)
def test_huge_fields_in_other_forms_are_refused(world, role):
    client = client_for(role)
    huge = "x" * 300_000
    for url, payload in [
        (f"/wiki/{TITLE}/move/", {"new_title": huge, "summary": huge}),
        (f"/wiki/{TITLE}/vote/", {"useful": huge}),
        ("/accounts/login/", {"username": huge, "password": huge}),
    ]:
        response = send(client, "POST", url, urlencode(payload), content_type=FORM)
        assert response.status_code in {200, 302, 400}, (url, response.status_code)


@pytest.mark.parametrize("role", ROLES)
def test_nul_bytes_in_edit_form_fields(world, role):
    client = client_for(role)
    crosslink = {"kind": "related", "target_title": "Other Page", "label": "Other"}
    fields = [
        "body",
        "summary",
        "source_name",
        "source_url",
        "article_date",
        "base_revision",
        "crosslinks-0-label",
        "crosslinks-0-target_title",
        "crosslinks-0-kind",
        "crosslinks-0-note_date",
        "crosslinks-TOTAL_FORMS",
    ]
    for name in fields:
        data = edit_data("New text.", world["r1"], crosslinks=[crosslink])
        data[name] = data[name] + "\x00x"
        response = send(client, "POST", f"/wiki/{TITLE}/edit/", urlencode(data), content_type=FORM)
        assert response.status_code == (400 if role == "moderator" else 302), name


@pytest.mark.parametrize("role", ROLES)
def test_nul_bytes_and_invalid_utf8_in_other_forms(world, role):
    client = client_for(role)
    bodies = {
        f"/wiki/{TITLE}/move/": [
            "new_title=A%00B",
            "new_title=Moved&summary=%00",
            "new_title=%FF/",
        ],
        f"/wiki/{TITLE}/vote/": ["useful=yes%00", "useful=%FF%FE", "useful=%00"],
        "/accounts/login/": ["username=moderator%00&password=x", "username=%FF%FE&password=%00"],
    }
    for url, payloads in bodies.items():
        for payload in payloads:
            response = send(client, "POST", url, payload, content_type=FORM)
            assert response.status_code in {200, 302, 400}, (url, payload, response.status_code)


@pytest.mark.parametrize("role", ROLES)
def test_invalid_utf8_in_edit_form(world, role):
    client = client_for(role)
    data = urlencode(edit_data("x", world["r1"])).replace("body=x", "body=%FF%FE%00")
    response = send(client, "POST", f"/wiki/{TITLE}/edit/", data, content_type=FORM)
    assert response.status_code == (400 if role == "moderator" else 302)


def test_invalid_utf8_in_a_new_title_moves_to_replacement_characters(world):
    # Django decodes broken bytes as U+FFFD, a valid (if odd) title: the
    # move is done, and nothing is lost or crashes.
    client = client_for("moderator")
    response = client.post(f"/wiki/{TITLE}/move/", "new_title=A%FF%FEB", content_type=FORM)
    assert response.status_code == 302
    assert Page.objects.get(title="A\ufffd\ufffdB").body.startswith("Interleukin-2 treats")
    assert Page.objects.get(title=TITLE).is_redirect


@pytest.mark.parametrize("role", ROLES)
def test_bad_usernames_in_contributions_answer_404(world, role):
    client = client_for(role)
    for username in ["nobody", "a%00b", "%FF%FE", "x" * 400, "%20"]:
        response = send(client, "GET", f"/contributions/{username}/")
        assert response.status_code == 404, (username, response.status_code)


@pytest.mark.parametrize(
    "url",
    [
        "/admin/wiki/page/?q=a%00b",
        "/admin/wiki/page/a%00b/change/",
        "/admin/wiki/page/99999999999999999999999/change/",
        "/admin/wiki/page/abc/change/",
        "/admin/wiki/pagefeedback/?q=a%00b",
        "/admin/wiki/pagefeedback/?o=%00&p=%00",
        "/admin/auth/user/?q=%00",
        "/admin/auth/user/a%00b/change/",
        "/admin/wiki/page/?q=" + "x" * 20_000,
        "/admin/%FF%FE/",
    ],
)
def test_bad_input_to_the_admin_never_fails(world, make_user, url):
    client = Client(raise_request_exception=False)
    client.force_login(make_user("admin", superuser=True))
    send(client, "GET", url)


def test_odd_numbers_in_the_edit_form_are_refused(world):
    # An unknown or huge base revision is a conflict (409): the moderator's
    # text comes back to them, nothing is saved.
    client = client_for("moderator")
    for name, value in [
        ("base_revision", str(2**64)),
        ("base_revision", "999999"),
        ("base_revision", "-5"),
        ("base_revision", "1e9"),
        ("crosslinks-TOTAL_FORMS", str(2**64)),
        ("crosslinks-TOTAL_FORMS", "100000"),
        ("article_date", "99999-01-01"),
        ("article_date", "2009-02-30"),
    ]:
        data = {**edit_data("Changed text.", world["r1"]), name: value}
        response = send(client, "POST", f"/wiki/{TITLE}/edit/", urlencode(data), content_type=FORM)
        assert response.status_code in {400, 409}, (name, value, response.status_code)
