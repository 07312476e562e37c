from django.apps import AppConfig


class CoreConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "opentto.core"
    label = "core"

    def ready(self) -> None:
        from opentto import celery  # noqa: F401  (makes OpenTTO's Celery app the current one)

        from . import checks  # noqa: F401  (registers OpenTTO's deployment checks)
