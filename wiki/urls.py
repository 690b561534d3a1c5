from django.urls import path, register_converter

from wiki import views
from wiki.converters import TitleConverter

register_converter(TitleConverter, "title")

app_name = "wiki"

urlpatterns = [
    path("", views.main_page, name="main-page"),
    path("healthz", views.healthz, name="healthz"),
    path("wiki/<title:title>/", views.page_detail, name="page-detail"),
    path("wiki/<title:title>/source/", views.page_source, name="page-source"),
    path("wiki/<title:title>", views.page_without_slash, name="page-without-slash"),
]
