from django.urls import path

from . import views

app_name = "demands"
urlpatterns = [
    path("", views.demand_list_view, name="list"),
    path("new/", views.demand_create_view, name="create"),
    path("<int:pk>/", views.demand_detail_view, name="detail"),
    path("<int:pk>/edit/", views.demand_edit_view, name="edit"),
    path("<int:pk>/transition/", views.demand_transition_view, name="transition"),
    path("<int:pk>/matches/", views.demand_matches_view, name="matches"),
    path("<int:pk>/results/<int:result_pk>/feedback/", views.demand_feedback_view, name="feedback"),
    path("<int:pk>/results/<int:result_pk>/contact/", views.demand_contact_view, name="contact"),
    path("<int:pk>/projects/new/", views.project_create_view, name="project_create"),
    path("matches/", views.match_list_view, name="match_list"),
    path("matches/<int:pk>/", views.match_detail_view, name="match"),
    path("matches/<int:pk>/transition/", views.match_transition_view, name="match_transition"),
    path("matches/<int:pk>/deal/", views.match_deal_view, name="match_deal"),
    path("projects/", views.project_list_view, name="project_list"),
    path("projects/<int:pk>/", views.project_detail_view, name="project"),
    path("projects/<int:pk>/transition/", views.project_transition_view, name="project_transition"),
    path("projects/milestones/<int:pk>/done/", views.milestone_done_view, name="milestone_done"),
]
