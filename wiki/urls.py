from django.urls import path, register_converter

from wiki.converters import TitleConverter
from wiki.views import feedback, links, maintenance, reading
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
]
