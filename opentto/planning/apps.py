from django.apps import AppConfig


class PlanningConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "opentto.planning"
    label = "planning"

    def ready(self) -> None:
        from . import permissions  # noqa: F401  (registers its object types and default grants)
