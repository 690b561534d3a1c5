from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("wiki.urls")),
]

handler404 = "wiki.views.errors.not_found"
handler400 = "wiki.views.errors.bad_request"
# A database or disk that cannot serve now: 503, not 500 (wiki.faults).
handler500 = "wiki.faults.server_error"
