from django.urls import path

from opentto.core.url_hooks import registered_urls

from . import views

app_name = "results"
urlpatterns = [
    path("", views.result_list_view, name="list"),
    path("new/", views.result_onboard_view, name="onboard"),
    path("<int:pk>/", views.result_detail_view, name="detail"),
    path("<int:pk>/edit/", views.result_edit_view, name="edit"),
    path("<int:pk>/transition/", views.result_transition_view, name="transition"),
    path("attachments/<int:pk>/", views.attachment_download_view, name="attachment"),
    # <pk>/evaluation/ (evaluation), <pk>/plan/ (planning) and <pk>/deals/new/ (landing):
    # registered by those apps.
    *registered_urls("results"),
]
