from django.apps import AppConfig


class PlanningConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "opentto.planning"
    label = "planning"

    def ready(self) -> None:
        from django.urls import path

        from opentto.core.url_hooks import register_urls
        from opentto.results.hooks import register_result_page_part

        from . import (
            permissions,  # noqa: F401  (registers its object types and default grants)
            views,
        )
        from .result_page import result_page_part

        # Below planning, the result page shows the plan form and names the plan's approval page.
        register_result_page_part("planning", result_page_part)
        register_urls("results", [path("<int:pk>/plan/", views.plan_approve_view, name="plan")])
