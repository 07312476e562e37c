from django.apps import AppConfig


class LandingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "opentto.landing"
    label = "landing"

    def ready(self) -> None:
        from . import permissions  # noqa: F401  (registers its object types and default grants)
