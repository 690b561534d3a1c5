from django.contrib.sitemaps.views import sitemap
from django.urls import path, register_converter

from wiki.converters import TitleConverter
from wiki.sitemaps import SITEMAPS
from wiki.views import discovery, reading

register_converter(TitleConverter, "title")

app_name = "wiki"

urlpatterns = [
    path("", reading.main_page, name="main-page"),
    path("healthz", reading.healthz, name="healthz"),
    path("wiki/<title:title>/", reading.page_detail, name="page-detail"),
    path("wiki/<title:title>/source/", reading.page_source, name="page-source"),
    path("wiki/<title:title>", reading.page_without_slash, name="page-without-slash"),
    path("articles/", discovery.article_years, name="article-years"),
    path("articles/<int:year>/", discovery.articles_by_year, name="articles-by-year"),
    path("search/", discovery.search_pages, name="search"),
    path("search/suggest/", discovery.search_suggest, name="search-suggest"),
    path("pages/", discovery.all_pages, name="all-pages"),
    path("sitemap.xml", sitemap, {"sitemaps": SITEMAPS}, name="sitemap"),
    path("robots.txt", discovery.robots_txt, name="robots-txt"),
]
