from django.apps import AppConfig


class PatentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "opentto.patents"
    label = "patents"

    def ready(self) -> None:
        from . import permissions  # noqa: F401  (registers its object types and default grants)
