from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "opentto.notifications"
    label = "notifications"

    def ready(self) -> None:
        from . import permissions  # noqa: F401  (registers its object types and default grants)
