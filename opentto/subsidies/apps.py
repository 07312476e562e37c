from django.apps import AppConfig


class SubsidiesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "opentto.subsidies"
    label = "subsidies"

    def ready(self) -> None:
        from . import permissions  # noqa: F401  (registers its object types and default grants)
