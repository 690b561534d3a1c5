from django.urls import path, register_converter

from wiki.converters import TitleConverter
from wiki.views import feedback, reading

register_converter(TitleConverter, "title")

app_name = "wiki"

urlpatterns = [
    path("", reading.main_page, name="main-page"),
    path("healthz", reading.healthz, name="healthz"),
    path("wiki/<title:title>/", reading.page_detail, name="page-detail"),
    path("wiki/<title:title>/source/", reading.page_source, name="page-source"),
    path("wiki/<title:title>/vote/", feedback.page_vote, name="page-vote"),
    path("wiki/<title:title>/info/", feedback.page_info, name="page-info"),
    path("wiki/<title:title>", reading.page_without_slash, name="page-without-slash"),
]
