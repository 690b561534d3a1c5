"""Categories: [[Category:Name|sort key]] in a page's text, the category
pages, and a page's categories at its foot."""

import pytest

from wiki.models import Category, PageCategory
from wiki.services import save_page

pytestmark = pytest.mark.django_db


def memberships(title):
    return {
        row.category.name: row.sort_key
        for row in PageCategory.objects.filter(page__title=title).select_related("category")
    }


def test_category_link_puts_the_page_in_the_category(make_page):
    make_page(
        "Interleukin-2", "Text.\n\n[[Category:Treatments|Interleukin]]\n[[Category:Immunotherapy]]"
    )
    assert memberships("Interleukin-2") == {"Treatments": "Interleukin", "Immunotherapy": ""}


def test_category_link_shows_nothing_in_the_text(client, make_page):
    make_page("Interleukin-2", "Text.\n\n[[Category:Treatments]]")
    body = client.get("/wiki/Interleukin-2/").content.decode().split('class="page-body"')[1]
    body = body.split("</div>")[0]
    assert "Category:" not in body and "<p></p>" not in body


def test_editing_the_text_keeps_categories_in_step(make_page):
    make_page("Interleukin-2", "Text.\n\n[[Category:Treatments]]")
    save_page("Interleukin-2", "Text.\n\n[[Category:Immunotherapy|IL]]", summary="recategorise")
    assert memberships("Interleukin-2") == {"Immunotherapy": "IL"}
    save_page("Interleukin-2", "No categories now.", summary="none")
    assert memberships("Interleukin-2") == {}


def test_category_names_are_one_category_in_any_spelling(make_page):
    make_page("A", "[[Category:Treatments]]")
    make_page("B", "[[Category:treatments]]")
    assert Category.objects.count() == 1
    assert Category.objects.get().name == "Treatments"


def test_page_shows_its_categories_at_the_foot(client, make_page):
    make_page("Interleukin-2", "Text.\n\n[[Category:Treatments]]")
    html = client.get("/wiki/Interleukin-2/").content.decode()
    foot = html.split('class="page-categories"')[1]
    assert 'href="/categories/Treatments/"' in foot


def test_category_list_has_every_category_with_its_page_count(client, make_page):
    make_page("A", "[[Category:Treatments]]")
    make_page("B", "[[Category:Treatments]] [[Category:Immunotherapy]]")
    html = client.get("/categories/").content.decode()
    assert html.index("Immunotherapy") < html.index("Treatments")
    assert "Immunotherapy</a> (1 page)" in html
    assert "Treatments</a> (2 pages)" in html


def test_category_page_lists_pages_by_sort_key_then_title(client, make_page):
    make_page("Zeta", "[[Category:Treatments|Alpha]]")
    make_page("Beta", "[[Category:Treatments]]")
    make_page("Alpha", "[[Category:Treatments]]")
    html = client.get("/categories/Treatments/").content.decode()
    # Zeta sorts as "alpha", beside Alpha, whose own sort key is its title;
    # equal keys fall back to the title.
    assert html.index(">Alpha<") < html.index(">Zeta<") < html.index(">Beta<")


def test_category_page_shows_its_description_sanitized(client, make_page):
    make_page("A", "[[Category:Treatments]]")
    Category.objects.filter(name="Treatments").update(
        description="Pages about **treatments**.<script>alert(1)</script>"
    )
    html = client.get("/categories/Treatments/").content.decode()
    assert "<strong>treatments</strong>" in html
    assert "alert(1)" not in html


def test_unknown_category_is_404(client):
    assert client.get("/categories/Nothing_here/").status_code == 404


def test_category_in_another_spelling_redirects_301(client, make_page):
    make_page("A", "[[Category:Treatments]]")
    response = client.get("/categories/treatments/")
    assert response.status_code == 301
    assert response["Location"] == "/categories/Treatments/"


def test_link_to_a_category_page(client, make_page):
    make_page("A", "See [[:Category:Treatments|the treatments]].")
    html = client.get("/wiki/A/").content.decode()
    assert '<a href="/categories/Treatments/">the treatments</a>' in html
    assert not PageCategory.objects.exists()


def test_sitemap_lists_categories(client, make_page):
    make_page("A", "[[Category:Treatments]]")
    xml = client.get("/sitemap.xml").content.decode()
    assert "http://testserver/categories/</loc>" in xml
    assert "http://testserver/categories/Treatments/</loc>" in xml
    assert "index.php" not in xml
