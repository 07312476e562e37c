from django.apps import AppConfig


class DashboardConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "opentto.dashboard"
    label = "dashboard"

    def ready(self) -> None:
        from django.urls import path

        from opentto.core.backup_manifest import register_manifest_section
        from opentto.core.url_hooks import register_urls

        from . import views
        from .selectors import compute_figures

        # A backup's manifest records the public figures of its moment (opentto backup, in core).
        register_manifest_section("figures", lambda: compute_figures(None).as_json())
        # The exports answer under landing's names (/deals/figures/...): landing sits below this app.
        register_urls(
            "landing",
            [
                path("figures/<str:table>.xlsx", views.export_xlsx_view, name="figures_xlsx"),
                path(
                    "figures/report-<int:year>.pdf",
                    views.annual_report_pdf_view,
                    name="annual_report",
                ),
            ],
        )
