"""Test clients that behave like a browser where it matters."""

from django.test import Client

BROWSER_HEADERS = {"Origin": "http://testserver"}


def browser_client(**defaults) -> Client:
    """A client sending the Origin header a browser sends with every POST
    (votes are checked by origin instead of a CSRF token)."""
    return Client(headers=BROWSER_HEADERS, **defaults)
