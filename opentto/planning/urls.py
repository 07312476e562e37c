"""The planning desk's addresses: one namespace (``planning:*``) for the plans and the workspace
(this app's views) and for the pages of the IP layout and of financing, whose views live in
``opentto.patents`` and ``opentto.financing`` (their URL names and paths did not change when they
moved)."""

from django.urls import path

from opentto.financing import views as financing_views
from opentto.patents import views as patents_views

from . import views

app_name = "planning"
urlpatterns = [
    path("", views.index_view, name="index"),
    path("results/<int:pk>/", views.workspace_view, {"tab": "plan"}, name="result"),
    path("results/<int:pk>/ip/", views.workspace_view, {"tab": "ip"}, name="result_ip"),
    path(
        "results/<int:pk>/financing/",
        views.workspace_view,
        {"tab": "financing"},
        name="result_financing",
    ),
    path(
        "results/<int:pk>/services/",
        views.workspace_view,
        {"tab": "services"},
        name="result_services",
    ),
    path("results/<int:pk>/plans/new/", views.plan_create_view, name="plan_create"),
    path("plans/<int:pk>/edit/", views.plan_update_view, name="plan_update"),
    path("plans/<int:pk>/options/", views.option_add_view, name="option_add"),
    path("options/<int:pk>/remove/", views.option_remove_view, name="option_remove"),
    path("plans/<int:pk>/targets/", views.target_add_view, name="target_add"),
    path("targets/<int:pk>/status/", views.target_status_view, name="target_status"),
    path("plans/<int:pk>/negotiations/", views.negotiation_view, name="negotiation"),
    path("plans/<int:pk>/<slug:verb>/", views.plan_move_view, name="plan_move"),
    path("results/<int:pk>/families/", views.family_create_view, name="family_create"),
    path("families/<int:pk>/filings/", views.filing_create_view, name="filing_create"),
    path("families/<int:pk>/propose/", views.family_propose_view, name="family_propose"),
    path("families/<int:pk>/confidentiality/", views.confidentiality_view, name="confidentiality"),
    path("filings/<int:pk>/update/", views.filing_update_view, name="filing_update"),
    path("filings/<int:pk>/edit/", patents_views.filing_edit_view, name="filing_edit"),
    path("filings/<int:pk>/fees/", patents_views.fee_reduction_view, name="fee_reduction"),
    path("filings/<int:pk>/abandon/", views.filing_abandon_view, name="filing_abandon"),
    path("deadlines/<int:pk>/done/", views.deadline_done_view, name="deadline_done"),
    path("results/<int:pk>/valuations/", views.valuation_view, name="valuation"),
    path("valuations/<int:pk>/", financing_views.valuation_memo_view, name="valuation_memo"),
    path("valuations/<int:pk>/pdf/", financing_views.valuation_pdf_view, name="valuation_pdf"),
    path("results/<int:pk>/pledges/", views.pledge_create_view, name="pledge_create"),
    path("pledges/", financing_views.pledge_list_view, name="pledges"),
    path("pledges/<int:pk>/<slug:verb>/", financing_views.pledge_move_view, name="pledge_move"),
    path("pools/", financing_views.pool_list_view, name="pools"),
    path("pools/<int:pk>/", financing_views.pool_detail_view, name="pool"),
    path("pools/<int:pk>/edit/", financing_views.pool_edit_view, name="pool_edit"),
    path(
        "pool-licences/<int:pk>/edit/", financing_views.pool_asset_edit_view, name="pool_asset_edit"
    ),
    path(
        "pool-licences/<int:pk>/remove/",
        financing_views.pool_asset_remove_view,
        name="pool_asset_remove",
    ),
    path("results/<int:pk>/rooms/", views.room_create_view, name="room_create"),
    path("rooms/", views.room_list_view, name="rooms"),
    path("rooms/<int:pk>/", views.room_detail_view, name="room"),
    path("rooms/<int:pk>/invite/", views.room_invite_view, name="room_invite"),
    path("rooms/<int:pk>/toggle/", views.room_close_view, name="room_toggle"),
    path(
        "rooms/<int:pk>/documents/<int:attachment_pk>/",
        views.room_document_view,
        name="room_document",
    ),
    path("results/<int:pk>/channels/", views.channel_create_view, name="channel_create"),
    path("channels/<int:pk>/status/", views.channel_status_view, name="channel_status"),
    path("channels/<int:pk>/edit/", views.channel_edit_view, name="channel_edit"),
    path("results/<int:pk>/tasks/", views.task_create_view, name="task_create"),
    path("tasks/<int:pk>/status/", views.task_status_view, name="task_status"),
    path("results/<int:pk>/log/", views.service_log_view, name="service_log"),
    path("calendar/", patents_views.calendar_view, name="calendar"),
    path("calendar/feed/", patents_views.calendar_feed_view, name="calendar_feed"),
    path("calendar/<str:token>.ics", patents_views.ics_view, name="ics"),
    path("workload/", views.workload_view, name="workload"),
]
