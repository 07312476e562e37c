from django.apps import AppConfig


class DashboardConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "opentto.dashboard"
    label = "dashboard"

    def ready(self) -> None:
        from opentto.core.backup_manifest import register_manifest_section

        from .selectors import compute_figures

        # A backup's manifest records the public figures of its moment (opentto backup, in core).
        register_manifest_section("figures", lambda: compute_figures(None).as_json())
