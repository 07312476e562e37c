from django.urls import URLPattern, URLResolver, path

from opentto.core.url_hooks import registered_urls

from . import views

app_name = "accounts"
urlpatterns: list[URLPattern | URLResolver] = [
    path("verify/", views.verify_view, name="verify"),
    path("password/", views.PasswordChangeView.as_view(), name="password"),
    path("two-factor/", views.two_factor_view, name="two_factor"),
    # The overview, my data, privacy, access under NDA, grants: registered by opentto.access.
    *registered_urls("accounts"),
]
