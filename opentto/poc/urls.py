from django.urls import path

from . import views

app_name = "poc"
urlpatterns = [
    path("", views.project_list_view, name="list"),
    path("programmes/", views.programme_list_view, name="programmes"),
    path("results/<int:pk>/new/", views.project_create_view, name="create"),
    path("<int:pk>/", views.project_detail_view, name="detail"),
    path("<int:pk>/commit/", views.commit_view, name="commit"),
    path("<int:pk>/spend/", views.spend_view, name="spend"),
    path("<int:pk>/milestones/", views.milestone_view, name="milestone"),
    path("<int:pk>/review/", views.review_view, name="review"),
    path("<int:pk>/stop/", views.stop_view, name="stop"),
    path("<int:pk>/move/<slug:verb>/", views.transition_view, name="transition"),
    path("milestones/<int:pk>/done/", views.milestone_done_view, name="milestone_done"),
    path("evidence/<int:pk>/", views.evidence_download_view, name="evidence"),
]
