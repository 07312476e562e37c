from django.urls import path

from opentto.core.url_hooks import registered_urls

from . import views

app_name = "landing"
urlpatterns = [
    path("", views.deal_list_view, name="list"),
    path("<int:pk>/", views.deal_detail_view, name="detail"),
    path("<int:deal_pk>/edit/", views.deal_update_view, name="update"),
    path("<int:deal_pk>/notice/", views.deal_notice_view, name="notice"),
    path("<int:deal_pk>/notice/withdraw/", views.deal_notice_withdraw_view, name="notice_withdraw"),
    path("<int:deal_pk>/sign/", views.deal_sign_view, name="sign"),
    path("<int:deal_pk>/in-force/", views.deal_in_force_view, name="in_force"),
    path("<int:deal_pk>/complete/", views.deal_complete_view, name="complete"),
    path("<int:deal_pk>/terminate/", views.deal_terminate_view, name="terminate"),
    path("<int:deal_pk>/schedule/", views.deal_schedule_view, name="schedule"),
    path("<int:deal_pk>/payments/", views.deal_payment_view, name="payment"),
    path("<int:deal_pk>/royalties/", views.deal_royalty_view, name="royalty"),
    path("<int:deal_pk>/costs/", views.deal_cost_view, name="cost"),
    path("<int:deal_pk>/classify/", views.deal_classify_view, name="classify"),
    path(
        "<int:deal_pk>/registration/apply/",
        views.registration_apply_view,
        name="registration_apply",
    ),
    path(
        "<int:deal_pk>/registration/register/",
        views.registration_register_view,
        name="registration_register",
    ),
    path(
        "<int:deal_pk>/registration/return/",
        views.registration_return_view,
        name="registration_return",
    ),
    path(
        "<int:deal_pk>/registration/refuse/",
        views.registration_refuse_view,
        name="registration_refuse",
    ),
    path(
        "<int:deal_pk>/registration/documents/",
        views.registration_documents_view,
        name="registration_documents",
    ),
    path(
        "registration-documents/<int:pk>/",
        views.registration_document_view,
        name="registration_document",
    ),
    path("payments/<int:pk>/distribute/", views.payment_distribute_view, name="distribute"),
    path(
        "payments/<int:pk>/distribution/",
        views.payment_distribution_preview_view,
        name="distribution_preview",
    ),
    path("notices/", views.notice_list_view, name="notices"),
    path("agreements/", views.agreement_list_view, name="agreements"),
    path("rules/", views.rule_list_view, name="rules"),
    path("statements/", views.statement_list_view, name="statements"),
    path("statements/<int:person_pk>/<int:year>/", views.statement_view, name="statement"),
    path(
        "statements/<int:person_pk>/<int:year>.pdf", views.statement_pdf_view, name="statement_pdf"
    ),
    # figures/<table>.xlsx and figures/report-<year>.pdf: the dashboard's exports, registered by
    # opentto.dashboard (which has no URL module of its own).
    *registered_urls("landing"),
]
