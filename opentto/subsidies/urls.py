from django.urls import URLPattern, URLResolver, path

from . import views

app_name = "subsidies"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.programme_list_view, name="programmes"),
    path("dashboard/", views.officials_dashboard_view, name="dashboard"),
    path("applications/", views.application_list_view, name="applications"),
    path("programmes/<int:programme_pk>/apply/", views.application_create_view, name="apply"),
    path("applications/<int:pk>/", views.application_detail_view, name="detail"),
    path("applications/<int:pk>/submit/", views.submit_view, name="submit"),
    path("applications/<int:pk>/withdraw/", views.withdraw_view, name="withdraw"),
    path("applications/<int:pk>/review/start/", views.start_review_view, name="start_review"),
    path("applications/<int:pk>/review/", views.review_open_view, name="review_open"),
    path("applications/<int:pk>/review/override/", views.override_view, name="review_override"),
    path("applications/<int:pk>/recognise/", views.recognise_view, name="recognise"),
    path("applications/<int:pk>/approve/", views.approve_view, name="approve"),
    path("applications/<int:pk>/reject/", views.reject_view, name="reject"),
    path("applications/<int:pk>/tranches/", views.tranche_view, name="tranche"),
    path("tranches/<int:pk>/accept/", views.tranche_accept_view, name="tranche_accept"),
    path("tranches/<int:pk>/pay/", views.tranche_pay_view, name="tranche_pay"),
]
