from django.contrib.sitemaps.views import sitemap
from django.urls import include, path, register_converter
from django.views.decorators.http import require_safe

from wiki.converters import TitleConverter
from wiki.feeds import RecentChangesFeed, ReviewsDueFeed
from wiki.sitemaps import SITEMAPS
from wiki.views import categories as category_views
from wiki.views import disclaimer as disclaimer_views
from wiki.views import discovery, editing, feedback, history, links, maintenance, reading, reports
from wiki.views import glossary as glossary_views
from wiki.views import old_addresses as old_address_views
from wiki.views import pdf as pdf_views
from wiki.views import reviews as review_views

register_converter(TitleConverter, "title")

app_name = "wiki"


def _named_paths(name_prefix: str, views: dict) -> list:
    """``path("<key>/", view, name="<name_prefix>-<key>")`` for each entry."""
    return [path(f"{key}/", view, name=f"{name_prefix}-{key}") for key, view in views.items()]


# /maintenance/<list>/, each named "maintenance-<list>" (the keys of
# wiki.views.maintenance.LISTS).
MAINTENANCE_LISTS = {
    "broken-redirects": maintenance.broken_redirects,
    "double-redirects": maintenance.double_redirects,
    "wanted-pages": maintenance.wanted_pages,
    "orphaned-pages": maintenance.orphaned_pages,
    "reports": reports.maintenance_reports,
}

# /wiki/<slug>/<action>/, each named "page-<action>" (what wiki.titles.page_url
# builds). Every view takes the slug as typed and answers a non-canonical
# spelling with a permanent redirect.
PAGE_ACTIONS = {
    "source": reading.page_source,
    "pdf": pdf_views.page_pdf,
    "vote": feedback.page_vote,
    "info": feedback.page_info,
    "links": links.page_links,
    "edit": editing.page_edit,
    "move": editing.page_move,
    "history": history.page_history,
    "report": reports.page_report,
    "review": review_views.page_review,
}
page_patterns = [
    path("", reading.page_detail, name="page-detail"),
    # The view beacon of a page the caching proxies may keep.
    path("seen.gif", reading.page_seen, name="page-seen"),
    *_named_paths("page", PAGE_ACTIONS),
    path("revert/<int:revision_id>/", editing.page_revert, name="page-revert"),
    path("revisions/<int:revision_id>/", history.page_revision, name="page-revision"),
    path("revisions/<int:revision_id>/pdf/", pdf_views.revision_pdf, name="revision-pdf"),
    path("revisions/<int:revision_id>/source/", history.revision_source, name="revision-source"),
    path("diff/<int:from_id>/<int:to_id>/", history.page_diff, name="page-diff"),
]

urlpatterns = [
    path("", reading.main_page, name="main-page"),
    path("healthz", reading.healthz, name="healthz"),
    path("wiki/<title:slug>/", include(page_patterns)),
    path("wiki/<title:slug>", reading.page_without_slash, name="page-without-slash"),
    path("maintenance/", maintenance.maintenance_index, name="maintenance"),
    path("maintenance/", include(_named_paths("maintenance", MAINTENANCE_LISTS))),
    # Clinical reviews due (wiki.views.reviews), as a page, CSV and Atom.
    path("maintenance/reviews/", review_views.maintenance_reviews, name="maintenance-reviews"),
    path("maintenance/reviews/feed/", ReviewsDueFeed(), name="maintenance-reviews-feed"),
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
    # The medical disclaimer: the current version and any version by number.
    path("disclaimer/", disclaimer_views.disclaimer_current, name="disclaimer"),
    path(
        "disclaimer/<int:number>/",
        disclaimer_views.disclaimer_by_number,
        name="disclaimer-version",
    ),
    # The glossary (wiki.views.glossary): every entry, and moderators' edits.
    path("glossary/", glossary_views.glossary_index, name="glossary"),
    path("glossary/new/", glossary_views.glossary_new, name="glossary-new"),
    path("glossary/<slug:slug>/edit/", glossary_views.glossary_edit, name="glossary-edit"),
    path("glossary/<slug:slug>/history/", glossary_views.glossary_history, name="glossary-history"),
    # Categories, and the old addresses of pages imported from MediaWiki.
    path("categories/", category_views.category_list, name="category-list"),
    path("categories/<title:slug>/", category_views.category_detail, name="category-detail"),
    path("index.php", old_address_views.old_address, name="old-address"),
    path("index.php/<path:title>", old_address_views.old_address, name="old-address-path"),
]
