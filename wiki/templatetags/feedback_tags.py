from dataclasses import dataclass

from django import template

from wiki.feedback import ReasonCount, site_no_vote_reasons
from wiki.models import MINIMUM_VOTES_TO_RANK, RANKED_PAGES, Page

register = template.Library()


@dataclass(frozen=True)
class Rankings:
    least_useful: list[Page]
    most_useful: list[Page]
    minimum_votes: int = MINIMUM_VOTES_TO_RANK
    listed: int = RANKED_PAGES


@register.simple_tag
def page_rankings() -> Rankings:
    """The least and the most useful content pages (admin index), each with
    at least ``MINIMUM_VOTES_TO_RANK`` votes and at most ``RANKED_PAGES`` a
    list. No page is in both: while fewer than twice ``RANKED_PAGES`` pages
    have enough votes, the lower half of them (by % useful) are the least
    useful and the upper half the most useful."""
    ranked = list(Page.objects.least_useful(limit=2 * RANKED_PAGES))
    if len(ranked) < 2 * RANKED_PAGES:
        half = (len(ranked) + 1) // 2
        return Rankings(least_useful=ranked[:half], most_useful=ranked[half:][::-1])
    least = ranked[:RANKED_PAGES]
    most = list(Page.objects.exclude(pk__in=[page.pk for page in least]).most_useful())
    return Rankings(least_useful=least, most_useful=most)


@register.simple_tag
def top_no_vote_reasons() -> list[ReasonCount]:
    """Why readers answered "no", across the site (admin index)."""
    return site_no_vote_reasons()
