from django.urls import URLPattern, URLResolver, path

from . import views

app_name = "evaluation"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.round_list_view, name="list"),
    path("results/<int:result_pk>/open/", views.round_open_view, name="open"),
    path("<int:pk>/", views.round_detail_view, name="round"),
    path("<int:pk>/assign/", views.round_assign_view, name="assign"),
    path("<int:pk>/invite/", views.round_invite_view, name="invite"),
    path(
        "<int:pk>/assignments/<int:assignment_pk>/remove/", views.round_remove_view, name="remove"
    ),
    path("<int:pk>/reopen/", views.round_reopen_view, name="reopen"),
    path("<int:pk>/accept/", views.round_accept_view, name="accept"),
    path("<int:pk>/finalise/", views.round_finalise_view, name="finalise"),
    path("<int:pk>/cancel/", views.round_cancel_view, name="cancel"),
    path("<int:pk>/deadline/", views.round_deadline_view, name="deadline"),
    path("<int:pk>/report/", views.report_view, name="report"),
    path("<int:pk>/report.pdf", views.report_pdf_view, name="report_pdf"),
    path("reviews/", views.my_reviews_view, name="my_reviews"),
    path("reviews/<int:pk>/", views.review_view, name="review"),
    path("reviews/<int:pk>/declare/", views.review_declare_view, name="declare"),
    path("evidence/<int:pk>/", views.evidence_download_view, name="evidence"),
    path("rubrics/", views.rubric_list_view, name="rubrics"),
    path("rubrics/<int:pk>/", views.rubric_detail_view, name="rubric"),
    path("rubrics/<int:pk>/revise/", views.rubric_revise_view, name="rubric_revise"),
    path("invitation/<uidb64>/<token>/", views.InvitationView.as_view(), name="invitation"),
]
