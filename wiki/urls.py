from django.contrib.sitemaps.views import sitemap
from django.urls import path, register_converter
from django.views.decorators.http import require_safe

from wiki.converters import TitleConverter
from wiki.feeds import RecentChangesFeed
from wiki.sitemaps import SITEMAPS
from wiki.views import discovery, editing, feedback, history, links, maintenance, reading
from wiki.views import pdf as pdf_views

register_converter(TitleConverter, "title")

app_name = "wiki"

urlpatterns = [
    path("", reading.main_page, name="main-page"),
    path("healthz", reading.healthz, name="healthz"),
    path("wiki/<title:title>/", reading.page_detail, name="page-detail"),
    path("wiki/<title:title>/source/", reading.page_source, name="page-source"),
    path("wiki/<title:title>/pdf/", pdf_views.page_pdf, name="page-pdf"),
    path(
        "wiki/<title:title>/revisions/<int:revision_id>/pdf/",
        pdf_views.revision_pdf,
        name="revision-pdf",
    ),
    path("wiki/<title:title>/vote/", feedback.page_vote, name="page-vote"),
    path("wiki/<title:title>/info/", feedback.page_info, name="page-info"),
    path("wiki/<title:title>", reading.page_without_slash, name="page-without-slash"),
    path("wiki/<title:title>/links/", links.page_links, name="page-links"),
    path("maintenance/", maintenance.maintenance_index, name="maintenance"),
    path(
        "maintenance/broken-redirects/",
        maintenance.broken_redirects,
        name="maintenance-broken-redirects",
    ),
    path(
        "maintenance/double-redirects/",
        maintenance.double_redirects,
        name="maintenance-double-redirects",
    ),
    path("maintenance/wanted-pages/", maintenance.wanted_pages, name="maintenance-wanted-pages"),
    path(
        "maintenance/orphaned-pages/", maintenance.orphaned_pages, name="maintenance-orphaned-pages"
    ),
    path("wiki/<title:title>/edit/", editing.page_edit, name="page-edit"),
    path("wiki/<title:title>/move/", editing.page_move, name="page-move"),
    path("wiki/<title:title>/revert/<int:revision_id>/", editing.page_revert, name="page-revert"),
    path("wiki/<title:title>/history/", history.page_history, name="page-history"),
    path(
        "wiki/<title:title>/revisions/<int:revision_id>/",
        history.page_revision,
        name="page-revision",
    ),
    path("wiki/<title:title>/diff/<int:from_id>/<int:to_id>/", history.page_diff, name="page-diff"),
    path("recent-changes/", history.recent_changes, name="recent-changes"),
    path("recent-changes/feed/", RecentChangesFeed(), name="recent-changes-feed"),
    path("contributions/<str:username>/", history.contributions, name="contributions"),
    path("articles/", discovery.article_years, name="article-years"),
    path("articles/<int:year>/", discovery.articles_by_year, name="articles-by-year"),
    path("search/", discovery.search_pages, name="search"),
    path("search/suggest/", discovery.search_suggest, name="search-suggest"),
    path("pages/", discovery.all_pages, name="all-pages"),
    path("sitemap.xml", require_safe(sitemap), {"sitemaps": SITEMAPS}, name="sitemap"),
    path("robots.txt", discovery.robots_txt, name="robots-txt"),
    path("favicon.ico", reading.favicon, name="favicon"),
]
