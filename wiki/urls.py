from django.urls import path, register_converter

from wiki.converters import TitleConverter
from wiki.feeds import RecentChangesFeed
from wiki.views import editing, history, reading

register_converter(TitleConverter, "title")

app_name = "wiki"

urlpatterns = [
    path("", reading.main_page, name="main-page"),
    path("healthz", reading.healthz, name="healthz"),
    path("wiki/<title:title>/", reading.page_detail, name="page-detail"),
    path("wiki/<title:title>/source/", reading.page_source, name="page-source"),
    path("wiki/<title:title>", reading.page_without_slash, name="page-without-slash"),
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
]
