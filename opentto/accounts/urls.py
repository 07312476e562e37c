from django.urls import URLPattern, URLResolver, path

from . import views
from .url_hooks import account_urls

app_name = "accounts"
urlpatterns: list[URLPattern | URLResolver] = [
    path("verify/", views.verify_view, name="verify"),
    path("password/", views.PasswordChangeView.as_view(), name="password"),
    path("two-factor/", views.two_factor_view, name="two_factor"),
    # The overview, my data, privacy, access under NDA, grants: registered by opentto.access.
    *account_urls(),
]
