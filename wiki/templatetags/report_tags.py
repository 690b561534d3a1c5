from django import template

from wiki.feedback import ASK_REASON_TAG
from wiki.models import ProblemReason, ProblemReport

register = template.Library()


@register.simple_tag
def problem_reasons():
    """The reasons a reader may give, as (value, label) pairs."""
    return ProblemReason.choices


@register.simple_tag
def vote_reason_asked(messages) -> bool:
    """Whether the messages shown hold the thanks for a "no" answer, after
    which the vote box offers the reasons (no JavaScript needed)."""
    return any(message.extra_tags == ASK_REASON_TAG for message in messages or ())


@register.simple_tag
def open_report_count() -> int:
    """How many problem reports are open (admin index)."""
    return ProblemReport.objects.open().count()
