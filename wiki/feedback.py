"""Reader feedback read paths: vote counts, per-page statistics, the client's address (used
only in memory) and its country; who a voter is and how much of the vote
limits they have used.

The only writes here are the short-lived ``VoteAllowance`` counters: votes
are written by ``wiki.services.record_vote`` and view counts by
``wiki.page_views``.
"""

from __future__ import annotations

import datetime
import functools
import ipaddress
import secrets
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection
from django.db.models import Count, Max, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.crypto import salted_hmac

from wiki.charts import Chart, count_chart, percent_chart
from wiki.models import PageViewDay, ProblemReason, RevisionInfo, Vote, VoteAllowance
from wiki.services import reader_voter_key, voter_key_for


@dataclass(frozen=True)
class VoteCounts:
    yes: int = 0
    no: int = 0

    @property
    def total(self) -> int:
        return self.yes + self.no


def vote_counts(page) -> VoteCounts:
    """The page's yes and no votes: from its ``with_vote_counts()``
    annotations when it was loaded with them, else one query."""
    if hasattr(page, "yes_votes") and hasattr(page, "no_votes"):
        return VoteCounts(yes=page.yes_votes, no=page.no_votes)
    totals = Vote.objects.filter(page_id=page.pk).aggregate(
        yes=Count("pk", filter=Q(is_useful=True)), no=Count("pk", filter=Q(is_useful=False))
    )
    return VoteCounts(yes=totals["yes"], no=totals["no"])


def no_vote_reasons(page) -> list[tuple[str, int]]:
    """How many "no" votes on ``page`` gave each reason, as (label, count)
    for every reason (zero included) and, last, "No reason given"."""
    counts = dict(
        Vote.objects.filter(page_id=page.pk, is_useful=False)
        .values("reason")
        .annotate(number=Count("pk"))
        .values_list("reason", "number")
    )
    rows = [(label, counts.get(value, 0)) for value, label in ProblemReason.choices]
    return [*rows, ("No reason given", counts.get("", 0))]


def client_address(request) -> str:
    """The reader's IP address, for rate limits and the country lookup only:
    it is never stored. Behind ``WIKI_TRUSTED_PROXIES`` proxies that append to
    X-Forwarded-For, the address that many hops from its right end; otherwise
    the peer address (REMOTE_ADDR). Empty when it is not a valid address."""
    address = request.META.get("REMOTE_ADDR", "")
    hops = settings.WIKI_TRUSTED_PROXIES
    if hops:
        header = request.META.get("HTTP_X_FORWARDED_FOR", "")
        forwarded = [part.strip() for part in header.split(",") if part.strip()]
        if len(forwarded) >= hops:
            address = forwarded[-hops]
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return ""


# An IPv6 network (a home, an office, a phone) is given a /64 and may use any
# address in it, so a /64 counts as one address.
IPV6_NETWORK_PREFIX = 64
NETWORK_DIGEST_SALT = "wiki.feedback.network_digest"


def client_network(request) -> str:
    """The reader's address as the vote limits count it: an IPv4 address
    itself, an IPv6 address's /64 network (an IPv4-mapped IPv6 address as
    the IPv4 address). Empty when the address is unknown: every such reader
    then shares one allowance. Used in memory only."""
    address = client_address(request)
    if not address:
        return ""
    parsed = ipaddress.ip_address(address)
    if parsed.version == 6 and parsed.ipv4_mapped is not None:
        return str(parsed.ipv4_mapped)
    if parsed.version == 6:
        return str(ipaddress.ip_network(f"{parsed}/{IPV6_NETWORK_PREFIX}", strict=False))
    return address


def network_digest(network: str, day: datetime.date) -> str:
    """A keyed digest of ``network`` that changes every day (UTC): the name
    the day's vote allowances give a network. Made with a key derived from
    SECRET_KEY and the day, so it cannot be matched with any other day's, and
    nothing that outlives the day links it to the address."""
    salt = f"{NETWORK_DIGEST_SALT}:{day.isoformat()}"
    return salted_hmac(salt, network, algorithm="sha256").hexdigest()[:32]


# The message tag of the thanks for a "no" answer without a reason: the page
# then offers the reasons (wiki.templatetags.report_tags.vote_reason_asked).
ASK_REASON_TAG = "vote-reason"

# The vote cookie: a random token, signed so that a script cannot invent a
# returning reader. Only the browser keeps the token; the database keeps a
# keyed hash of it as the vote's ``voter_key``.
VOTER_COOKIE = "kcr_voter"
VOTER_COOKIE_SALT = "wiki.feedback.voter_cookie"
VOTER_COOKIE_SECONDS = 365 * 24 * 60 * 60
# Where a reader who voted with a session of their own finds their voter key
# again after logging in (Django gives the session a new key at log-in).
VOTER_SESSION_FIELD = "wiki_voter_key"


def new_voter_token() -> str:
    return secrets.token_urlsafe(24)


def cookie_voter_key(request) -> str | None:
    """The voter key of the reader's signed vote cookie, or None when there
    is none (or it was tampered with)."""
    token = request.get_signed_cookie(
        VOTER_COOKIE, default=None, salt=VOTER_COOKIE_SALT, max_age=VOTER_COOKIE_SECONDS
    )
    return reader_voter_key(token) if token else None


def session_voter_key(request) -> str | None:
    """The voter key of an anonymous reader's existing session (one the
    store knows: a made-up session cookie counts as none), or None."""
    session = getattr(request, "session", None)
    if session is None:
        return None
    remembered = session.get(VOTER_SESSION_FIELD)  # also loads the session
    if remembered:
        return remembered
    return voter_key_for(None, session.session_key) if session.session_key else None


def anonymous_voter_keys(request) -> list[str]:
    """Every anonymous voter key the request carries (cookie, session)."""
    keys = [cookie_voter_key(request), session_voter_key(request)]
    return list(dict.fromkeys(key for key in keys if key))


# Standard SQL identifiers in double quotes, which SQLite and PostgreSQL share.
TAKE_ALLOWANCE_SQL = (
    'INSERT INTO "wiki_voteallowance" ("name", "used", "expires_at") VALUES (%s, 1, %s) '
    'ON CONFLICT ("name") DO UPDATE SET "used" = "wiki_voteallowance"."used" + 1 '
    'WHERE "wiki_voteallowance"."used" < %s RETURNING "used"'
)


def take_allowance(name: str, most: int, expires_at: datetime.datetime) -> bool:
    """Use one unit of the allowance ``name`` (at most ``most`` until
    ``expires_at``): True when there was one left, False (and nothing
    written) when it is used up. One atomic upsert, so concurrent workers and
    machines never both take the last unit; on SQLite (3.35 or newer) and
    PostgreSQL alike. Allowances past their expiry are deleted whenever a new
    one is started, so the table holds only the current windows."""
    # A used-up allowance is only read: a flood of refused answers writes
    # nothing (a PostgreSQL upsert that updates no row still locks it, and
    # costs a commit).
    if VoteAllowance.objects.filter(name=name, used__gte=most).exists():
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            TAKE_ALLOWANCE_SQL, [name, connection.ops.adapt_datetimefield_value(expires_at), most]
        )
        row = cursor.fetchone()
    if row is not None and row[0] == 1:
        VoteAllowance.objects.filter(expires_at__lt=timezone.now()).delete()
    return row is not None


def next_utc_midnight() -> datetime.datetime:
    """When today's (UTC) daily allowances end."""
    tomorrow = timezone.now().date() + datetime.timedelta(days=1)
    return datetime.datetime.combine(tomorrow, datetime.time(), datetime.UTC)


def take_network_allowance(request, lane: str, page_id: int, most: int) -> bool:
    """Use one unit of today's (UTC) allowance of the request's network
    (``client_network``) in ``lane`` for one page: at most ``most`` a day.
    True when there was one left, False (nothing written) when it is used up
    until ``next_utc_midnight()``. The allowance is named by the network's
    daily digest, never its address."""
    today = timezone.now().date()
    name = f"{lane}:{page_id}:{network_digest(client_network(request), today)}"
    return take_allowance(name, most, next_utc_midnight())


@functools.lru_cache(maxsize=2)
def _country_reader(path: str):
    import geoip2.database

    return geoip2.database.Reader(path)


def countries_enabled() -> bool:
    return bool(settings.GEOIP_COUNTRY_DB)


def country_for_address(address: str) -> str:
    """The two-letter country code of ``address`` from the configured
    MaxMind-format database (``GEOIP_COUNTRY_DB``), or "" when there is no
    database, no address, or no answer for it. Resolved in memory; the
    address goes nowhere else."""
    path = settings.GEOIP_COUNTRY_DB
    if not path or not address:
        return ""
    import geoip2.errors

    try:
        response = _country_reader(str(path)).country(address)
    except (geoip2.errors.AddressNotFoundError, ValueError):
        return ""
    return (response.country.iso_code or "").upper()[:COUNTRY_CODE_LENGTH]


CHART_DAYS = 90
# The window of "recent" page views admins see, in days, today included.
RECENT_VIEWS_DAYS = 30
# ISO 3166-1 alpha-2: what PageViewDay.country holds.
COUNTRY_CODE_LENGTH = 2


def recent_views_start() -> datetime.date:
    """The first day (UTC) of the recent-views window."""
    return timezone.now().date() - datetime.timedelta(days=RECENT_VIEWS_DAYS - 1)


@dataclass
class PageStatistics:
    votes: VoteCounts
    last_vote_at: datetime.datetime | None
    views_total: int
    views_last_30_days: int
    revisions: list[dict] = field(default_factory=list)
    countries: list[tuple[str, int]] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    # The % useful a week and the votes a week it is a share of.
    trend: list[Chart] = field(default_factory=list)

    @property
    def percent_useful(self) -> float | None:
        return 100.0 * self.votes.yes / self.votes.total if self.votes.total else None


def week_start(day: datetime.date) -> datetime.date:
    """The Monday of ``day``'s week (ISO weeks)."""
    return day - datetime.timedelta(days=day.weekday())


def page_statistics(page, *, days: int = CHART_DAYS) -> PageStatistics:
    """Exact figures for one page: votes, views, votes per revision, views
    per country (when a country database is configured), daily charts of
    views and votes for the last ``days`` and, over the weeks those days
    touch, the % useful a week with the votes a week. A vote counts on the
    day its latest answer was given."""
    today = timezone.now().date()
    first_day = today - datetime.timedelta(days=days - 1)
    votes = Vote.objects.filter(page=page)
    vote_totals = votes.aggregate(
        yes=Count("pk", filter=Q(is_useful=True)),
        no=Count("pk", filter=Q(is_useful=False)),
        last=Max("updated_at"),
    )
    views = PageViewDay.objects.filter(page=page)
    view_totals = views.aggregate(
        total=Sum("views"),
        recent=Sum("views", filter=Q(day__gte=recent_views_start())),
    )
    daily_views = dict(
        views.filter(day__gte=first_day)
        .values("day")
        .annotate(number=Sum("views"))
        .values_list("day", "number")
    )
    # The weekly trend starts on the Monday of the first chart day, so its
    # first week is whole.
    trend_start = week_start(first_day)
    daily_answers = (
        votes.annotate(day=TruncDate("updated_at"))
        .filter(day__gte=trend_start)
        .values("day")
        .annotate(yes=Count("pk", filter=Q(is_useful=True)), number=Count("pk"))
        .values_list("day", "yes", "number")
    )
    daily_votes: dict[datetime.date, int] = {}
    weekly_yes: dict[datetime.date, int] = {}
    weekly_votes: dict[datetime.date, int] = {}
    for day, yes, number in daily_answers:
        if day >= first_day:
            daily_votes[day] = number
        week = week_start(day)
        weekly_yes[week] = weekly_yes.get(week, 0) + yes
        weekly_votes[week] = weekly_votes.get(week, 0) + number
    chart_days = [first_day + datetime.timedelta(days=offset) for offset in range(days)]
    weeks = sorted({week_start(day) for day in chart_days})
    statistics = PageStatistics(
        votes=VoteCounts(yes=vote_totals["yes"], no=vote_totals["no"]),
        last_vote_at=vote_totals["last"],
        views_total=view_totals["total"] or 0,
        views_last_30_days=view_totals["recent"] or 0,
        charts=[
            count_chart("Views a day", chart_days, daily_views, unit="views", period_name="Day"),
            count_chart(
                "Votes a day (latest answers)",
                chart_days,
                daily_votes,
                unit="votes",
                period_name="Day",
            ),
        ],
        trend=[
            percent_chart(
                "% useful a week", weeks, weekly_yes, weekly_votes, period_name="Week starting"
            ),
            count_chart(
                "Votes a week", weeks, weekly_votes, unit="votes", period_name="Week starting"
            ),
        ],
    )
    statistics.revisions = _votes_per_revision(votes)
    if countries_enabled():
        statistics.countries = list(
            views.exclude(country="")
            .values("country")
            .annotate(number=Sum("views"))
            .order_by("-number", "country")
            .values_list("country", "number")
        )
    return statistics


@dataclass(frozen=True)
class ReasonCount:
    label: str
    number: int
    # The share of all "no" votes, in per cent.
    percent: float


def site_no_vote_reasons() -> list[ReasonCount]:
    """Why readers answered "no", across every page: each reason given at
    least once, most often first (then in the reasons' own order), and last
    the "no" votes that gave none. Empty when there is no "no" vote."""
    counts = dict(
        Vote.objects.filter(is_useful=False)
        .values("reason")
        .annotate(number=Count("pk"))
        .values_list("reason", "number")
    )
    total = sum(counts.values())
    if not total:
        return []
    order = {value: position for position, (value, _) in enumerate(ProblemReason.choices)}
    given = sorted(
        ((value, label) for value, label in ProblemReason.choices if counts.get(value)),
        key=lambda choice: (-counts[choice[0]], order[choice[0]]),
    )
    rows = [(label, counts[value]) for value, label in given]
    if counts.get(""):
        rows.append(("No reason given", counts[""]))
    return [
        ReasonCount(label=label, number=number, percent=100.0 * number / total)
        for label, number in rows
    ]


def _votes_per_revision(votes) -> list[dict]:
    rows = list(
        votes.values("revision_id")
        .annotate(
            yes=Count("pk", filter=Q(is_useful=True)),
            no=Count("pk", filter=Q(is_useful=False)),
        )
        .order_by("-revision_id")
    )
    infos = {
        info.revision_id: info
        for info in RevisionInfo.objects.filter(
            revision_id__in=[row["revision_id"] for row in rows if row["revision_id"]]
        ).select_related("revision")
    }
    for row in rows:
        info = infos.get(row["revision_id"])
        row["total"] = row["yes"] + row["no"]
        row["percent_useful"] = 100.0 * row["yes"] / row["total"] if row["total"] else None
        row["date"] = info.revision.date_created if info else None
        row["comment"] = info.revision.comment if info else ""
    return rows
