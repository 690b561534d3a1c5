"""Signal receivers. Only hand-offs to a service: no rules live here."""

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from wiki.feedback import anonymous_voter_keys
from wiki.services import adopt_votes


@receiver(user_logged_in, dispatch_uid="wiki.signals.adopt_reader_votes")
def adopt_reader_votes(sender, request, user, **kwargs):
    """A reader who answered before logging in keeps one vote a page, now
    the user's. Django has already given the session a new key here, which
    is why a session voter's key is kept in the session itself."""
    if request is None:
        return
    for voter_key in anonymous_voter_keys(request):
        adopt_votes(voter_key, user)
