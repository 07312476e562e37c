from django.apps import AppConfig


class ClashesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "opentto.clashes"
    label = "clashes"
    verbose_name = "Clashes held for the TTO"

    def ready(self) -> None:
        from . import permissions  # noqa: F401  (registers its object type and default grants)
