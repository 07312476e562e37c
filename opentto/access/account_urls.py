"""This app's pages under ``/account/``, named in the ``accounts`` namespace (registered with
``opentto.core.url_hooks`` by ``AccessConfig.ready``)."""

from django.urls import URLPattern, URLResolver, path

from . import account_views, views

urlpatterns: list[URLPattern | URLResolver] = [
    path("", account_views.account_view, name="overview"),
    path("my-data/", account_views.my_data_view, name="my_data"),
    path("privacy/", account_views.privacy_view, name="privacy"),
    path("access/", views.access_list_view, name="access"),
    path("access/request/<int:result_pk>/", views.access_request_view, name="access_request"),
    path("access/<int:pk>/decide/", views.access_decide_view, name="access_decide"),
    path("access/<int:pk>/withdraw/", views.access_withdraw_view, name="access_withdraw"),
    path("access/<int:pk>/nda/", views.access_nda_download_view, name="access_nda"),
    path("access/grants/<int:pk>/revoke/", views.access_revoke_view, name="access_revoke"),
    path("grants/", views.grants_view, name="grants"),
    path("people/<int:pk>/private/", views.person_private_view, name="person_private"),
]
