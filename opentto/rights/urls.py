from django.urls import path

from . import views

app_name = "rights"
urlpatterns = [
    path("", views.application_list_view, name="list"),
    path("pilots/", views.pilot_list_view, name="pilots"),
    path("notices/", views.notice_list_view, name="notices"),
    path("new/<int:result_pk>/", views.application_create_view, name="create"),
    path("<int:pk>/", views.application_detail_view, name="detail"),
    path("<int:pk>/submit/", views.submit_view, name="submit"),
    path("<int:pk>/withdraw/", views.withdraw_view, name="withdraw"),
    path("<int:pk>/grant/", views.grant_view, name="grant"),
    path("<int:pk>/refuse/", views.refuse_view, name="refuse"),
    path("<int:pk>/notice/", views.notice_view, name="notice"),
    path("<int:pk>/objection/", views.objection_view, name="objection"),
    path("<int:pk>/agreement/", views.agreement_view, name="agreement"),
    path("<int:pk>/agreement/file/", views.agreement_file_view, name="agreement_file"),
    path("<int:pk>/effect/", views.effect_view, name="effect"),
]
