from django import template

from wiki.models import Page
from wiki.reviews import today

register = template.Library()


@register.simple_tag
def overdue_review_count():
    """How many pages are overdue for clinical review (admin index)."""
    return Page.objects.overdue_for_review(today()).count()
