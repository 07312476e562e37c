from django.apps import AppConfig


class PocConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "opentto.poc"
    label = "poc"

    def ready(self) -> None:
        from . import permissions  # noqa: F401  (registers its object types and default grants)
        from .hooks import register_plan_hook

        register_plan_hook()
