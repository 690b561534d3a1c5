from django import template

from wiki.models import Page

register = template.Library()


@register.simple_tag
def least_useful_pages():
    """The ten least useful pages with at least five votes (admin index)."""
    return list(Page.objects.least_useful(minimum_votes=5, limit=10))
