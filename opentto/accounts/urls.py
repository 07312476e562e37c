from django.urls import URLPattern, URLResolver, path

from opentto.access import views as access_views

from . import views

app_name = "accounts"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.account_view, name="overview"),
    path("verify/", views.verify_view, name="verify"),
    path("password/", views.PasswordChangeView.as_view(), name="password"),
    path("two-factor/", views.two_factor_view, name="two_factor"),
    path("my-data/", views.my_data_view, name="my_data"),
    path("privacy/", views.privacy_view, name="privacy"),
    path("access/", access_views.access_list_view, name="access"),
    path("access/request/<int:result_pk>/", access_views.access_request_view, name="access_request"),
    path("access/<int:pk>/decide/", access_views.access_decide_view, name="access_decide"),
    path("access/<int:pk>/withdraw/", access_views.access_withdraw_view, name="access_withdraw"),
    path("access/<int:pk>/nda/", access_views.access_nda_download_view, name="access_nda"),
    path("access/grants/<int:pk>/revoke/", access_views.access_revoke_view, name="access_revoke"),
    path("grants/", access_views.grants_view, name="grants"),
    path("people/<int:pk>/private/", access_views.person_private_view, name="person_private"),
]
