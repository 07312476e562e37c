from django.urls import path

from opentto.evaluation.views import evaluation_record_view
from opentto.landing.views import deal_create_view
from opentto.planning.views import plan_approve_view

from . import views

app_name = "results"
urlpatterns = [
    path("", views.result_list_view, name="list"),
    path("new/", views.result_onboard_view, name="onboard"),
    path("<int:pk>/", views.result_detail_view, name="detail"),
    path("<int:pk>/edit/", views.result_edit_view, name="edit"),
    path("<int:pk>/transition/", views.result_transition_view, name="transition"),
    path("<int:pk>/evaluation/", evaluation_record_view, name="evaluation"),
    path("<int:pk>/plan/", plan_approve_view, name="plan"),
    path("<int:pk>/deals/new/", deal_create_view, name="deal_create"),
    path("attachments/<int:pk>/", views.attachment_download_view, name="attachment"),
]
