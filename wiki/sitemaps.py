"""The sitemap: every content page (redirects excluded), and the article
year lists, at the site's address (wiki.site), never the request's Host."""

from django.contrib.sitemaps import Sitemap
from django.db.models.functions import ExtractYear
from django.urls import reverse

from wiki.models import Category, Page
from wiki.site import site_domain, site_scheme
from wiki.titles import MAIN_PAGE_TITLE, title_key


class SiteSitemap(Sitemap):
    """A sitemap whose URLs start with DJANGO_SITE_URL: Django's own take the
    request's scheme and Host."""

    def get_protocol(self, protocol=None):
        return site_scheme()

    def get_domain(self, site=None):
        return site_domain()


class PageSitemap(SiteSitemap):
    def items(self):
        return (
            Page.objects.content_pages()
            .select_related("current_revision")
            .only("title", "key", "updated_at", "current_revision__date_created")
            .order_by("key")
        )

    def location(self, page):
        # The main page's canonical address is the site root.
        if page.key == title_key(MAIN_PAGE_TITLE):
            return reverse("wiki:main-page")
        return page.get_absolute_url()

    def lastmod(self, page):
        if page.current_revision is not None:
            return page.current_revision.date_created
        return page.updated_at


class ArticleYearSitemap(SiteSitemap):
    def items(self):
        years = Page.objects.articles().annotate(year=ExtractYear("article_date"))
        return [None, *years.values_list("year", flat=True).distinct().order_by("-year")]

    def location(self, year):
        if year is None:
            return reverse("wiki:article-years")
        return reverse("wiki:articles-by-year", kwargs={"year": year})


class CategorySitemap(SiteSitemap):
    """``/categories/`` and each category it lists (never the old
    ``index.php`` addresses, which only redirect)."""

    def items(self):
        return [None, *Category.objects.listed().only("name")]

    def location(self, category):
        if category is None:
            return reverse("wiki:category-list")
        return category.get_absolute_url()


SITEMAPS = {"pages": PageSitemap, "articles": ArticleYearSitemap, "categories": CategorySitemap}
